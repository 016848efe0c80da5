"""Write schema ``raw`` as Spark tables (Parquet files in the Spark warehouse), atomically.

The rows come as DuckDB SELECTs (the same ``sources`` the loader and the importer give :func:`warehouse.load.write_raw`
for the other warehouses). Each is exported to a Parquet file in a scratch folder, which Spark reads and writes as
a new table ``raw.<name>__loading`` with the column types of ``warehouse/contract.py``. Only when every new table is
written are they swapped in (rename the old away, rename the new in, drop the old); a failure before that drops
the new tables and leaves the previous raw tables as they were.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from warehouse.contract import Table, raw_tables
from warehouse.sql import sql_string

ALL_TABLES: dict[str, Table] = {t.name: t for t in raw_tables()}

# Logical type (warehouse/contract.py) -> Spark SQL type. JSON stays text: the models read it with get_json_object.
SPARK_TYPES: dict[str, str] = {
    "string": "string",
    "integer": "int",
    "bigint": "bigint",
    "double": "double",
    "money": "decimal(18,2)",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
    "json": "string",
}
LOADING = "__loading"
PREVIOUS = "__previous"

Progress = Callable[[str], None]


def spark_select(table: Table, view: str) -> str:
    """``select cast(col as <spark type>) as col, ...`` from ``view`` in contract order."""
    cols = ", ".join(f"cast(`{c.name}` as {SPARK_TYPES[c.type]}) as `{c.name}`" for c in table.columns)
    return f"select {cols} from {view}"


def empty_select(table: Table) -> str:
    cols = ", ".join(f"cast(null as {SPARK_TYPES[c.type]}) as `{c.name}`" for c in table.columns)
    return f"select {cols} where false"


def _table_exists(spark: Any, name: str) -> bool:
    return bool(spark.catalog.tableExists(name))


def _append_select(name: str, table: Table, new_view: str, mode: str) -> tuple[str, str]:
    """(select of the merged table, select of the rows the merge adds): ``append`` keyed as the loader does,
    ``batch`` every new row as it is."""
    from warehouse.load import APPEND_KEYS

    cols = ", ".join(f"`{c}`" for c in table.column_names)
    keys = APPEND_KEYS.get(name) if mode == "append" else None
    if not keys:  # a batch, or a table without a key (raw.import_files): every new row is added
        added = f"select {cols} from {new_view}"
        return f"select {cols} from raw.{name} union all {added}", added
    match = " and ".join(f"r.`{k}` = s.`{k}`" for k in keys)
    if name == "users":  # an earlier sign-up replaces the row already there
        kept = f"select {cols} from raw.{name} r where not exists (select 1 from {new_view} s where {match}"
        kept += " and s.created_at < r.created_at)"
    else:
        kept = f"select {cols} from raw.{name} r"
    added = f"select {cols} from {new_view} s where not exists (select 1 from ({kept}) r where {match})"
    return f"{kept} union all {added}", added


def write_spark(
    staging: duckdb.DuckDBPyConnection,
    sources: Mapping[str, str],
    *,
    mode: str = "replace",
    recreate: bool = False,
    progress: Progress = lambda _: None,
    guard: Callable[[Callable[[str], list[tuple]]], None] | None = None,
) -> dict[str, int]:
    """Replace the raw tables on Spark (``mode='replace'``) or add to them (``append``: by key, ``batch``: every row);
    return rows written per table. ``guard(query)`` runs first, as in :func:`warehouse.load.write_raw`."""
    from warehouse.spark.session import get_session, spark_settings

    settings = spark_settings()
    spark = get_session(settings)
    spark.sql("create schema if not exists raw")
    for name, table in ALL_TABLES.items():  # every raw table exists (empty at first), as the DDL does elsewhere
        if recreate and mode == "replace":
            spark.sql(f"drop table if exists raw.{name}")
        if not _table_exists(spark, f"raw.{name}"):
            spark.sql(f"create table raw.{name} using parquet as {empty_select(table)}")
    if guard is not None:
        guard(lambda sql: [tuple(row) for row in spark.sql(sql.format(raw="raw")).collect()])
    scratch_root = settings.warehouse_dir.parent / "scratch"
    scratch_root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="raw_", dir=scratch_root))
    written: list[str] = []
    counts: dict[str, int] = {}
    try:
        for name, table in ALL_TABLES.items():
            if mode != "replace" and name not in sources:
                continue
            started = time.perf_counter()
            view = f"__raw_{name}"
            if name in sources:
                file = scratch / f"{name}.parquet"
                copied = staging.execute(f"copy ({sources[name]}) to {sql_string(str(file))} (format parquet)")
                counts[name] = int(copied.fetchone()[0])
                spark.read.parquet(str(file)).createOrReplaceTempView(view)
                select = spark_select(table, view)
            else:
                select = empty_select(table)
            spark.sql(f"drop table if exists raw.{name}{LOADING}")
            if mode != "replace":
                spark.sql(f"create or replace temporary view __typed_{name} as {select}")
                merged, added = _append_select(name, table, f"__typed_{name}", mode)
                if mode == "append":  # rows whose key is already there are not added
                    counts[name] = spark.sql(f"select count(*) from ({added})").collect()[0][0]
                select = merged
            spark.sql(f"create table raw.{name}{LOADING} using parquet as {select}")
            written.append(name)
            if name in counts:
                progress(f"  raw.{name}: {counts[name]:,} rows ({time.perf_counter() - started:.1f} s)")
        _swap(spark, written)
    except BaseException:
        for name in written:
            spark.sql(f"drop table if exists raw.{name}{LOADING}")
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return counts


def _swap(spark: Any, names: list[str]) -> None:
    """Put each ``raw.<name>__loading`` in place of ``raw.<name>``; the previous tables are dropped last."""
    for name in names:
        spark.sql(f"drop table if exists raw.{name}{PREVIOUS}")
        if _table_exists(spark, f"raw.{name}"):
            spark.sql(f"alter table raw.{name} rename to raw.{name}{PREVIOUS}")
        spark.sql(f"alter table raw.{name}{LOADING} rename to raw.{name}")
    for name in names:
        spark.sql(f"drop table if exists raw.{name}{PREVIOUS}")
