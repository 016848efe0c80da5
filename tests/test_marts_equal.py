"""Every table in schema marts holds the same rows on DuckDB and PostgreSQL.

The marts are discovered from information_schema on both warehouses (so marts added by any part of the
project are covered without editing this file). Rows are compared after sorting by all columns; numbers
match within a relative tolerance of 1e-6, everything else exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

REL_TOL = 1e-6
ABS_TOL = 1e-9


def mart_tables(built) -> list[str]:
    df = built.query(
        "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
    )
    return df["table_name"].tolist()


def columns_of(built, table: str) -> list[str]:
    df = built.query(
        "select column_name, ordinal_position from information_schema.columns"
        f" where table_schema = 'marts' and table_name = '{table}' order by ordinal_position"
    )
    return df["column_name"].tolist()


def canonical(value: Any) -> Any:
    """One Python representation per value, whatever driver produced it."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return canonical(value.item())
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat(sep=" ")
    if isinstance(value, (dict, list)):
        import json

        return json.dumps(value, sort_keys=True)
    return str(value)


def sort_key(row: tuple) -> tuple:
    key = []
    for value in row:
        if value is None:
            key.append((0, 0, ""))
        elif isinstance(value, float):
            key.append((1, float(f"{value:.6g}"), ""))
        else:
            key.append((2, 0, str(value)))
    return tuple(key)


def rows_of(built, table: str, columns: list[str]) -> list[tuple]:
    df = built.query(f"select {', '.join(columns)} from marts.{table}")
    rows = [tuple(canonical(v) for v in row) for row in df.itertuples(index=False, name=None)]
    return sorted(rows, key=sort_key)


def values_equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


@pytest.fixture(scope="module")
def both(built_duckdb, built_postgres):
    return built_duckdb, built_postgres


def test_same_marts_on_both_warehouses(both):
    duck, pg = both
    duck_tables, pg_tables = mart_tables(duck), mart_tables(pg)
    assert duck_tables, "no table in schema marts on DuckDB"
    assert duck_tables == pg_tables


def test_every_mart_has_the_same_rows(both):
    duck, pg = both
    differences: dict[str, str] = {}
    for table in mart_tables(duck):
        columns = columns_of(duck, table)
        if columns != columns_of(pg, table):
            differences[table] = f"columns differ: {columns} vs {columns_of(pg, table)}"
            continue
        duck_rows, pg_rows = rows_of(duck, table, columns), rows_of(pg, table, columns)
        if len(duck_rows) != len(pg_rows):
            differences[table] = f"{len(duck_rows)} rows on DuckDB, {len(pg_rows)} on PostgreSQL"
            continue
        for duck_row, pg_row in zip(duck_rows, pg_rows, strict=True):
            bad = [c for c, a, b in zip(columns, duck_row, pg_row, strict=True) if not values_equal(a, b)]
            if bad:
                differences[table] = f"first differing row, columns {bad}:\n  duckdb   {duck_row}\n  postgres {pg_row}"
                break
    assert not differences, "\n".join(f"marts.{t}: {d}" for t, d in sorted(differences.items()))
