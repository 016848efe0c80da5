"""Compare two warehouses' marts: same tables, same columns, same rows (numbers within a tolerance).

``python -m warehouse compare --left duckdb:data/a.duckdb --right postgres:growth_analytics`` prints the
differences and exits 1 when there are any. The test suite uses :func:`compare_schemas` to prove that DuckDB and
PostgreSQL (and later Spark, an incremental refresh and a full rebuild) build the same marts.
"""

from __future__ import annotations

from warehouse.compare.readers import (
    CompareError,
    DuckDBReader,
    PostgresReader,
    SchemaReader,
    open_reader,
    register_reader,
)
from warehouse.compare.rows import DEFAULT_ABS_TOL, DEFAULT_REL_TOL, Tolerance
from warehouse.compare.schemas import DEFAULT_SCHEMA, SchemaComparison, TableComparison, compare_schemas

__all__ = [
    "DEFAULT_ABS_TOL",
    "DEFAULT_REL_TOL",
    "DEFAULT_SCHEMA",
    "CompareError",
    "DuckDBReader",
    "PostgresReader",
    "SchemaComparison",
    "SchemaReader",
    "TableComparison",
    "Tolerance",
    "compare_schemas",
    "compare_specs",
    "open_reader",
    "register_reader",
]


def compare_specs(
    left: str,
    right: str,
    schema: str = DEFAULT_SCHEMA,
    tolerance: Tolerance | None = None,
    examples: int = 3,
    tables: list[str] | None = None,
) -> SchemaComparison:
    """Open the two warehouses named by specs (``duckdb:<file>``, ``postgres:<database>``) and compare them."""
    left_reader = open_reader(left)
    try:
        right_reader = open_reader(right)
        try:
            return compare_schemas(left_reader, right_reader, schema, tolerance, examples, tables)
        finally:
            right_reader.close()
    finally:
        left_reader.close()
