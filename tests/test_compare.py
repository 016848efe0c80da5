"""The marts comparison (warehouse/compare) on hand-made tables: it finds each kind of difference and no false one.

Each test writes a few rows into schema ``marts`` of two small warehouses (DuckDB files; PostgreSQL for the
cross-warehouse case) and checks what the comparison reports.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest

from warehouse.__main__ import main as warehouse_main
from warehouse.compare import (
    CompareError,
    DuckDBReader,
    PostgresReader,
    SchemaComparison,
    Tolerance,
    compare_schemas,
    compare_specs,
    register_reader,
)
from warehouse.compare.rows import match_group

SCHEMA = "create table marts.{table} (id integer, label varchar, amount decimal(18, 4), ratio double, day date)"


def make_duckdb(path: Path, tables: dict[str, list[tuple]], ddl: str = SCHEMA) -> Path:
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema if not exists marts")
        for table, rows in tables.items():
            conn.execute(ddl.format(table=table))
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                conn.executemany(f"insert into marts.{table} values ({marks})", rows)
    return path


def compare_files(left: Path, right: Path, tolerance: Tolerance | None = None) -> SchemaComparison:
    return compare_specs(f"duckdb:{left}", f"duckdb:{right}", tolerance=tolerance)


ROWS = [
    (1, "a", 10.5, 0.1, dt.date(2025, 1, 1)),
    (2, "b", 0, 1 / 3, dt.date(2025, 1, 2)),
    (3, None, None, None, None),
]


def test_identical_tables_in_any_row_order_are_equal(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": ROWS, "u": ROWS[:1]})
    right = make_duckdb(tmp_path / "r.duckdb", {"t": list(reversed(ROWS)), "u": ROWS[:1]})
    result = compare_files(left, right)
    assert result.equal, result.differences()
    assert [t.table for t in result.tables] == ["t", "u"]
    assert result.rows_compared == 4
    assert result.differences() == []


def test_one_extra_row_is_reported_with_the_row(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": ROWS})
    right = make_duckdb(tmp_path / "r.duckdb", {"t": [*ROWS, (4, "d", 1, 2.0, dt.date(2025, 1, 4))]})
    result = compare_files(left, right)
    assert not result.equal
    (table,) = result.tables
    assert (table.left_rows, table.right_rows, table.left_only, table.right_only) == (3, 4, 0, 1)
    assert table.right_examples == [(4, "d", 1.0, 2.0, dt.date(2025, 1, 4))]
    (text,) = result.differences()
    assert "marts.t: 0 of 3 rows only on the left, 1 of 4 only on the right" in text
    assert "(4, 'd', 1.0, 2.0, datetime.date(2025, 1, 4))" in text


def test_a_duplicate_row_counts_as_a_difference(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": [ROWS[0], ROWS[0], ROWS[1]]})
    right = make_duckdb(tmp_path / "r.duckdb", {"t": [ROWS[0], ROWS[1], ROWS[1]]})
    (table,) = compare_files(left, right).tables
    assert (table.left_only, table.right_only) == (1, 1)
    assert table.left_examples[0][0] == 1 and table.right_examples[0][0] == 2


def test_a_float_beyond_the_tolerance_differs(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": [(1, "a", 1, 0.25, None)]})
    right = make_duckdb(tmp_path / "r.duckdb", {"t": [(1, "a", 1, 0.25 * (1 + 1e-7), None)]})
    assert not compare_files(left, right).equal
    # ... and is accepted by a looser tolerance.
    assert compare_files(left, right, Tolerance(rel_tol=1e-6)).equal


def test_floats_within_the_tolerance_are_equal(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": [(1, "a", 1, 0.1 + 0.2, None), (2, "b", 0, 1e-17, None)]})
    right = make_duckdb(tmp_path / "r.duckdb", {"t": [(1, "a", 1, 0.3, None), (2, "b", 0, 0.0, None)]})
    assert 0.1 + 0.2 != 0.3
    result = compare_files(left, right)
    assert result.equal, result.differences()


def test_a_decimal_off_by_its_last_digit_differs(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": [(1, "a", 1234.5678, 0.0, None)]})
    right = make_duckdb(tmp_path / "r.duckdb", {"t": [(1, "a", 1234.5679, 0.0, None)]})
    assert not compare_files(left, right).equal


def test_null_is_not_zero_and_nan_equals_nan(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": [(1, "a", None, math.nan, None)]})
    same = make_duckdb(tmp_path / "s.duckdb", {"t": [(1, "a", None, math.nan, None)]})
    zero = make_duckdb(tmp_path / "z.duckdb", {"t": [(1, "a", 0, math.nan, None)]})
    assert compare_files(left, same).equal
    assert not compare_files(left, zero).equal


def test_text_dates_and_timestamps_compare_exactly(tmp_path):
    ddl = "create table marts.{table} (label varchar, day date, happened_at timestamp, flag boolean)"
    base = ("x", dt.date(2025, 3, 1), dt.datetime(2025, 3, 1, 12, 0, 0, 1), True)
    variants = [
        ("x ", *base[1:]),
        (base[0], dt.date(2025, 3, 2), *base[2:]),
        (*base[:2], dt.datetime(2025, 3, 1, 12, 0, 0, 2), base[3]),
        (*base[:3], False),
    ]
    left = make_duckdb(tmp_path / "l.duckdb", {"t": [base]}, ddl)
    assert compare_files(left, make_duckdb(tmp_path / "same.duckdb", {"t": [base]}, ddl)).equal
    for i, variant in enumerate(variants):
        right = make_duckdb(tmp_path / f"r{i}.duckdb", {"t": [variant]}, ddl)
        assert not compare_files(left, right).equal, variant


def test_a_missing_table_and_different_columns_are_reported(tmp_path):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": ROWS, "only_here": []})
    right = make_duckdb(
        tmp_path / "r.duckdb",
        {"t": [r[:4] for r in ROWS]},
        "create table marts.{table} (id integer, label varchar, amount decimal(18, 4), ratio double)",
    )
    result = compare_files(left, right)
    assert result.only_left == ["only_here"] and result.only_right == []
    (table,) = result.tables
    assert table.column_problem and "columns differ" in table.column_problem
    assert table.columns == ["id", "label", "amount", "ratio"]
    assert table.left_only == table.right_only == 0  # the common columns hold the same rows
    text = "\n".join(result.differences())
    assert "tables only in duckdb:" in text and "only_here" in text and "marts.t: columns differ" in text


def test_pairs_misaligned_by_sorting_are_matched_within_the_tolerance():
    tolerance = Tolerance()
    left = [(1.0, 5.0), (1.0 + 1e-13, 3.0)]
    right = [(1.0 + 1e-13, 5.0), (1.0, 3.0)]
    assert match_group(left, right, tolerance) == ([], [])
    assert match_group(left, [(1.0, 5.0), (1.0, 3.5)], tolerance) == ([(1.0 + 1e-13, 3.0)], [(1.0, 3.5)])


def test_bad_specs_fail_with_one_line(tmp_path):
    with pytest.raises(CompareError, match="expected <kind>:<location>"):
        compare_specs("sqlite:x.db", "duckdb:y.duckdb")
    with pytest.raises(CompareError, match="no DuckDB file at"):
        compare_specs(f"duckdb:{tmp_path / 'missing.duckdb'}", f"duckdb:{tmp_path / 'missing.duckdb'}")
    empty = make_duckdb(tmp_path / "empty.duckdb", {})
    with pytest.raises(CompareError, match="no table in schema marts"):
        compare_specs(f"duckdb:{empty}", f"duckdb:{empty}")


def test_cli_exit_codes(tmp_path, capsys):
    left = make_duckdb(tmp_path / "l.duckdb", {"t": ROWS})
    same = make_duckdb(tmp_path / "s.duckdb", {"t": ROWS})
    other = make_duckdb(tmp_path / "o.duckdb", {"t": ROWS[:2]})
    assert warehouse_main(["compare", "--left", f"duckdb:{left}", "--right", f"duckdb:{same}"]) == 0
    assert "marts: 1 tables, 3 rows compared (rel_tol 1e-09, abs_tol 1e-12): identical" in capsys.readouterr().out
    assert warehouse_main(["compare", "--left", f"duckdb:{left}", "--right", f"duckdb:{other}"]) == 1
    out = capsys.readouterr().out
    assert "marts.t: 1 of 3 rows only on the left, 0 of 2 only on the right" in out
    assert warehouse_main(["compare", "--left", f"duckdb:{left}", "--right", "duckdb:/nonexistent.duckdb"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no DuckDB file at") and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit) as exc:
        warehouse_main(["compare", "--left", f"duckdb:{left}", "--right", f"duckdb:{same}", "--rel-tol", "-1"])
    assert exc.value.code == 2


def test_another_reader_plugs_in(tmp_path):
    """A third warehouse is one reader class registered under a name (how Spark joins)."""
    path = make_duckdb(tmp_path / "l.duckdb", {"t": ROWS})

    class RenamedReader(DuckDBReader):
        def __init__(self, location: str) -> None:
            super().__init__(location)
            self.description = f"other:{location}"

    register_reader("other", RenamedReader)
    result = compare_specs(f"duckdb:{path}", f"other:{path}")
    assert result.equal and result.right == f"other:{path}"


def test_duckdb_and_postgres_readers_agree_on_the_same_rows(tmp_path):
    from tests.conftest import fresh_warehouse

    _, database = fresh_warehouse("postgres", tmp_path, "_compare")
    import psycopg

    from warehouse.connections import pg_settings

    ddl = (
        "create table marts.{table} (id bigint, label text, amount numeric(18, 4), ratio double precision,"
        " day date, happened_at timestamp, flag boolean)"
    )
    rows = [
        (1, "é", 10.5, 1 / 3, dt.date(2025, 1, 1), dt.datetime(2025, 1, 1, 8, 30), True),
        (2, None, None, None, None, None, None),
    ]
    with psycopg.connect(**pg_settings(database), autocommit=True) as conn:
        conn.execute("create schema marts")
        conn.execute(ddl.format(table="t"))
        with conn.cursor() as cur:
            cur.executemany("insert into marts.t values (%s, %s, %s, %s, %s, %s, %s)", rows)
    duck = make_duckdb(tmp_path / "d.duckdb", {"t": list(reversed(rows))}, ddl.replace("text", "varchar"))
    left, right = DuckDBReader(duck), PostgresReader(database)
    try:
        result = compare_schemas(left, right)
        assert result.equal, result.differences()
        assert result.rows_compared == 2
        changed = compare_schemas(left, right, tolerance=Tolerance(rel_tol=0, abs_tol=0))
        assert changed.equal  # 1/3 is the same double on both sides, and numeric(18, 4) the same decimal
    finally:
        left.close()
        right.close()
