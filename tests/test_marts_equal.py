"""Every table in schema marts holds the same rows on DuckDB and PostgreSQL.

The comparison is warehouse/compare (tested on hand-made tables in tests/test_compare.py): the marts are discovered
from information_schema on both warehouses, so marts added by any part of the project are covered without editing
this file; rows are compared as multisets, numbers within a relative tolerance of 1e-9, everything else exactly.
"""

from __future__ import annotations

import pytest

from warehouse.compare import DuckDBReader, PostgresReader, SchemaComparison, Tolerance, compare_schemas

REL_TOL = 1e-9


@pytest.fixture(scope="module")
def comparison(built_duckdb, built_postgres) -> SchemaComparison:
    left, right = DuckDBReader(built_duckdb.duckdb_path), PostgresReader(built_postgres.pg_database)
    try:
        return compare_schemas(left, right, tolerance=Tolerance(rel_tol=REL_TOL))
    finally:
        left.close()
        right.close()


def test_same_marts_on_both_warehouses(comparison, built_duckdb):
    tables = built_duckdb.query("select table_name from information_schema.tables where table_schema = 'marts'")
    assert len(tables) > 30, "schema marts on DuckDB holds fewer tables than the project builds"
    assert comparison.only_left == [] and comparison.only_right == []
    assert len(comparison.tables) == len(tables)


def test_every_mart_has_the_same_rows(comparison):
    assert comparison.rows_compared > 100_000
    assert comparison.equal, "\n".join(comparison.differences())
