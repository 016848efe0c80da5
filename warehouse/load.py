"""Load a folder of ``<table>.parquet`` files into schema ``raw`` of DuckDB or PostgreSQL.

One load is one transaction over all raw tables: each table is emptied and refilled, so a reload replaces the
data (never duplicates it) and a load that fails half-way leaves the previous data whole. Raw tables are never
dropped (dbt's staging views depend on them) unless ``recreate=True`` is asked for.

DuckDB reads the Parquet files itself (``read_parquet``). PostgreSQL gets them through ``COPY ... FROM STDIN``
in binary format, streamed record batch by record batch (DuckDB -> Arrow -> :mod:`warehouse.pgcopy` -> psycopg's
copy), never row by row.

The writing half (:func:`write_raw`) is shared with the importer: it takes, per raw table, a SELECT that a DuckDB
"staging" connection can run, and moves its rows into the warehouse.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from settings.targets import DEFAULT_TARGET, TARGET_NAMES, get_target
from warehouse import pgcopy
from warehouse.connections import check_duckdb_file, connect_postgres, describe_pg, ensure_pg_database
from warehouse.contract import BOOKKEEPING_TABLES, IMPORT_TABLES, LOGICAL_TYPES, TABLES, Table, render_ddl
from warehouse.errors import InputError, WarehouseError
from warehouse.sql import sql_string as _sql_string

ALL_TABLES: dict[str, Table] = {**TABLES, **IMPORT_TABLES, **BOOKKEEPING_TABLES}
WRITABLE_ADAPTERS = ("duckdb", "postgres", "spark")  # the adapters this module has a writer for
COPY_BATCH_ROWS = 131_072

# Append mode (importer --append): how a new row meets the rows already there.
# Rows whose key already exists are not added; for users the earlier sign-up wins.
APPEND_KEYS: dict[str, tuple[str, ...]] = {
    "users": ("user_id",),
    "events": ("event_id",),
    "import_rejects": ("file_name", "line_number"),
}

Progress = Callable[[str], None]
Guard = Callable[[Callable[[str], list[tuple]]], None]


def _quiet(_: str) -> None:
    return None


def stderr_progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------------
# Input validation (Parquet folder)
# --------------------------------------------------------------------------------------------------------------


def _arrow_type_fits(found: pa.DataType, logical: str) -> bool:
    """Whether a Parquet column's Arrow type converts to the contract's logical type without loss."""
    t = pa.types
    if t.is_dictionary(found):
        found = found.value_type
    if logical in ("string", "json"):
        return t.is_string(found) or t.is_large_string(found) or t.is_string_view(found)
    if logical == "integer":
        return found in (pa.int8(), pa.int16(), pa.int32(), pa.uint8(), pa.uint16())
    if logical == "bigint":
        return t.is_integer(found) and found != pa.uint64()
    if logical == "double":
        return t.is_floating(found)
    if logical == "money":
        return t.is_decimal(found) and found.scale <= 2 and found.precision - found.scale <= 16
    if logical == "boolean":
        return t.is_boolean(found)
    if logical == "date":
        return t.is_date(found)
    if logical == "timestamp":
        return t.is_timestamp(found) and found.tz is None
    raise ValueError(f"unknown logical type {logical!r}")


def validate_parquet_folder(input_dir: Path) -> dict[str, int]:
    """Check every contract table has a readable ``<table>.parquet`` matching the contract; return its row count.

    Raises :class:`InputError` naming the file (and column) at the first problem.
    """
    if not input_dir.is_dir():
        raise InputError(f"input folder {input_dir} does not exist")
    rows: dict[str, int] = {}
    for table in TABLES.values():
        path = input_dir / f"{table.name}.parquet"
        if not path.is_file():
            raise InputError(f"{path}: missing (every raw table needs a <table>.parquet, empty tables too)")
        try:
            meta = pq.ParquetFile(path).metadata
            schema = meta.schema.to_arrow_schema()
        except Exception as exc:  # noqa: BLE001 - any read failure is reported as bad input
            raise InputError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
        found = {f.name: f for f in schema}
        file_names = [c.name for c in table.file_columns]
        for col in table.file_columns:
            if col.name not in found:
                raise InputError(f"{path}: table {table.name} has no column {col.name!r} ({col.type})")
            ftype = found[col.name].type
            if not _arrow_type_fits(ftype, col.type):
                expected = LOGICAL_TYPES[col.type][2]
                raise InputError(
                    f"{path}: table {table.name} column {col.name!r} is {ftype}, the contract wants {expected}"
                    f" ({col.type}{', naive UTC' if col.type == 'timestamp' else ''})"
                )
        extra = [name for name in found if name not in file_names]
        if extra:
            raise InputError(f"{path}: table {table.name} has columns the contract does not know: {', '.join(extra)}")
        for col in table.file_columns:
            if col.nullable:
                continue
            index = schema.get_field_index(col.name)
            for rg in range(meta.num_row_groups):
                stats = meta.row_group(rg).column(index).statistics
                if stats is not None and stats.has_null_count and stats.null_count > 0:
                    raise InputError(
                        f"{path}: table {table.name} column {col.name!r} has nulls, the contract says not null"
                    )
        rows[table.name] = meta.num_rows
    return rows


def database_errors() -> tuple[type[BaseException], ...]:
    """Exceptions of DuckDB and psycopg that mean "the database refused": reported as one line."""
    import psycopg

    errors: tuple[type[BaseException], ...] = (duckdb.Error, psycopg.Error)
    try:  # Spark is optional (requirements-spark.txt)
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException

        errors += (PySparkException, Py4JError)
    except ImportError:
        pass
    return errors


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parquet_sources(input_dir: Path, dialect: str, batch_id: str) -> dict[str, str]:
    """Per contract table, a DuckDB SELECT reading its Parquet file cast to the contract's column types, each row
    stamped with ``batch_id``."""
    sources = {}
    for table in TABLES.values():
        path = _sql_string(str((input_dir / f"{table.name}.parquet").resolve()))
        columns = select_list(table, dialect, batch_id)
        sources[table.name] = f"select {columns} from read_parquet({path}, binary_as_string = true)"
    return sources


def select_list(table: Table, dialect: str, batch_id: str | None = None) -> str:
    """``cast(col as type) as col, ...`` in contract order; JSON stays text for PostgreSQL (jsonb parses it) and
    Spark (a string column). A stamped column (``batch_id``) is the constant ``batch_id``, which must then be given."""
    parts = []
    for col in table.columns:
        if col.stamped:
            if batch_id is None:
                raise ValueError(f"raw.{table.name}.{col.name} is stamped by the loader: pass batch_id")
            parts.append(f"cast({_sql_string(batch_id)} as varchar) as {col.name}")
            continue
        duck_type = LOGICAL_TYPES[col.type][0]
        if col.type == "json" and dialect != "duckdb":
            duck_type = "varchar"
        parts.append(f"cast({col.name} as {duck_type}) as {col.name}")
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------------------------
# Warehouse-side checks
# --------------------------------------------------------------------------------------------------------------


def _expected_type(logical: str, dialect: str) -> str:
    return LOGICAL_TYPES[logical][0 if dialect == "duckdb" else 1].replace(" ", "").lower()


def _found_type(dialect: str, data_type: str, precision: int | None, scale: int | None) -> str:
    found = data_type.replace(" ", "").lower()
    if dialect == "postgres":
        if found == "timestampwithouttimezone":
            return "timestamp"
        if found == "numeric" and precision is not None:
            return f"numeric({precision},{scale})"
    return found


def contract_mismatches(rows: list[tuple], dialect: str) -> dict[str, str]:
    """Compare information_schema rows ``(table, column, data_type, precision, scale, is_nullable)`` to the
    contract; return ``{table: first difference}`` for tables that exist and differ."""
    found: dict[str, list[tuple]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row[1:])
    problems = {}
    for name, cols in found.items():
        table = ALL_TABLES.get(name)
        if table is None:
            continue
        have = {c[0]: c for c in cols}
        for col in table.columns:
            if col.name not in have:
                problems[name] = f"column {col.name} is missing"
                break
            _, data_type, precision, scale, nullable = have[col.name]
            ftype = _found_type(dialect, data_type, precision, scale)
            if ftype != _expected_type(col.type, dialect):
                problems[name] = f"column {col.name} is {ftype}, the contract wants {_expected_type(col.type, dialect)}"
                break
            if (nullable == "YES") != col.nullable:
                problems[name] = f"column {col.name} is {'' if nullable == 'YES' else 'not '}nullable"
                break
        else:
            extra = [c for c in have if c not in table.column_names]
            if extra:
                problems[name] = f"has extra columns {', '.join(extra)}"
    return problems


INFO_SCHEMA_SQL = """
select table_name, column_name, data_type, numeric_precision, numeric_scale, is_nullable
from information_schema.columns
where table_schema = 'raw' {catalog_filter}
order by table_name, ordinal_position
"""


def _raise_mismatch(problems: dict[str, str], where: str) -> None:
    name, problem = next(iter(problems.items()))
    raise InputError(
        f"raw.{name} in {where} does not match the contract ({problem}); nothing was loaded."
        f" Re-run with --recreate to drop and recreate the raw tables (dbt views on them are dropped too;"
        " rebuild them with dbt)"
    )


# --------------------------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------------------------


def check_target(target: str) -> str:
    """The adapter of ``target`` when it is a registered target (settings.targets) this module can write; else
    InputError, one line naming the choices."""
    if target not in TARGET_NAMES:
        raise InputError(f"unknown target {target!r}: expected one of {', '.join(TARGET_NAMES)}")
    adapter = get_target(target).adapter
    if adapter not in WRITABLE_ADAPTERS:
        raise InputError(f"target {target!r}: the loader has no writer for {adapter} yet")
    return adapter


def write_raw(
    staging: duckdb.DuckDBPyConnection,
    sources: Mapping[str, str],
    *,
    target: str = DEFAULT_TARGET,
    duckdb_file: str | os.PathLike[str] | None = None,
    pg_database: str | None = None,
    mode: str = "replace",
    recreate: bool = False,
    progress: Progress = _quiet,
    guard: Guard | None = None,
) -> dict[str, int]:
    """Move rows into schema ``raw`` in one transaction; return rows written per table.

    ``sources`` maps a raw table to a SELECT (runnable on ``staging``) giving the table's columns in contract
    order. ``mode='replace'`` empties every raw table (contract, import and bookkeeping tables) and fills those in
    ``sources``; ``mode='append'`` adds to ``users``, ``events`` and ``import_rejects`` only rows whose key is new
    (see ``APPEND_KEYS``); ``mode='batch'`` adds every row as it is (a batch's re-deliveries stay re-deliveries).
    ``guard(query)``, when given, runs inside the transaction before anything is written; ``query(sql)`` returns
    the rows of ``sql``, in which ``{raw}`` names schema raw. Whatever it raises rolls the write back. Any failure
    rolls the whole write back.
    """
    adapter = check_target(target)
    if mode not in ("replace", "append", "batch"):
        raise ValueError(f"unknown mode {mode!r}")
    unknown = [t for t in sources if t not in ALL_TABLES]
    if unknown:
        raise ValueError(f"no raw table {unknown[0]!r}")
    if mode == "append":
        keyless = [t for t in sources if t not in APPEND_KEYS]
        if keyless:
            raise ValueError(f"append mode cannot merge raw.{keyless[0]}")
    if adapter == "duckdb":
        return _write_duckdb(staging, sources, check_duckdb_file(duckdb_file), mode, recreate, progress, guard)
    if adapter == "spark":
        from warehouse.spark.raw import write_spark

        return write_spark(staging, sources, mode=mode, recreate=recreate, progress=progress, guard=guard)
    return _write_postgres(staging, sources, pg_database, mode, recreate, progress, guard)


def _write_duckdb(
    staging: duckdb.DuckDBPyConnection,
    sources: Mapping[str, str],
    path: Path,
    mode: str,
    recreate: bool,
    progress: Progress,
    guard: Guard | None = None,
) -> dict[str, int]:
    home = staging.execute("select current_database()").fetchone()[0]
    # The loader prints its own progress; raw tables have no order to keep, so DuckDB may insert in parallel.
    staging.execute("set enable_progress_bar = false")
    staging.execute("set preserve_insertion_order = false")
    staging.execute(f"attach {_sql_string(str(path))} as wh (type duckdb)")
    counts: dict[str, int] = {}
    try:
        staging.execute("begin transaction")
        try:
            staging.execute("use wh")
            if recreate:
                for name in ALL_TABLES:
                    staging.execute(f"drop table if exists raw.{name}")
            staging.execute(render_ddl("duckdb"))
            staging.execute(f"use {home}")
            rows = staging.execute(INFO_SCHEMA_SQL.format(catalog_filter="and table_catalog = 'wh'")).fetchall()
            problems = contract_mismatches(rows, "duckdb")
            if problems:
                _raise_mismatch(problems, str(path))
            if guard is not None:
                guard(lambda sql: staging.execute(sql.format(raw="wh.raw")).fetchall())
            for name, table in ALL_TABLES.items():
                cols = ", ".join(table.column_names)
                if mode == "replace":
                    staging.execute(f"delete from wh.raw.{name}")
                if name not in sources:
                    continue
                started = time.perf_counter()
                source = sources[name]
                if mode == "append":
                    counts[name] = _append_duckdb(staging, name, cols, source)
                else:
                    counts[name] = staging.execute(f"insert into wh.raw.{name} ({cols}) {source}").fetchone()[0]
                progress(f"  raw.{name}: {counts[name]:,} rows ({time.perf_counter() - started:.1f} s)")
            staging.execute("commit")
        except BaseException:
            # A commit that failed (disk full) has already ended the transaction: the rollback then fails too,
            # and its error ("no transaction is active") must not hide the original one, raised here.
            _quietly(staging, "rollback")
            raise
    finally:
        for statement in (f"use {home}", "detach wh", "reset preserve_insertion_order", "reset enable_progress_bar"):
            _quietly(staging, statement)
    return counts


def _quietly(con: duckdb.DuckDBPyConnection, statement: str) -> None:
    """Run a clean-up statement; its own failure is dropped so that the error being raised stays the one seen."""
    try:
        con.execute(statement)
    except duckdb.Error:
        pass


def _key_match(name: str, left: str, right: str) -> str:
    return " and ".join(f"{left}.{k} = {right}.{k}" for k in APPEND_KEYS[name])


def _append_duckdb(con: duckdb.DuckDBPyConnection, name: str, cols: str, source: str) -> int:
    con.execute(f"create or replace temp table __append_{name} as {source}")
    try:
        if name == "users":
            con.execute(
                "delete from wh.raw.users r using __append_users s"
                " where r.user_id = s.user_id and s.created_at < r.created_at"
            )
        return con.execute(
            f"insert into wh.raw.{name} ({cols}) select {cols} from __append_{name} s"
            f" where not exists (select 1 from wh.raw.{name} r where {_key_match(name, 'r', 's')})"
        ).fetchone()[0]
    finally:
        con.execute(f"drop table if exists __append_{name}")


def _copy_chunks(reader: pa.RecordBatchReader, table: Table):  # generator of buffers
    """Binary COPY payload for ``table``'s rows: header, one buffer per record batch, trailer."""
    types = [c.type for c in table.columns]
    yield pgcopy.HEADER
    for batch in reader:
        if batch.num_rows:
            yield pgcopy.encode_batch(batch, types)
    yield pgcopy.TRAILER


def _write_postgres(
    staging: duckdb.DuckDBPyConnection,
    sources: Mapping[str, str],
    database: str | None,
    mode: str,
    recreate: bool,
    progress: Progress,
    guard: Guard | None = None,
) -> dict[str, int]:
    from psycopg.copy import QueuedLibpqWriter

    where = describe_pg(database)
    try:
        ensure_pg_database(database)
        conn = connect_postgres(database, create=False)
    except Exception as exc:  # noqa: BLE001 - connection problems are one line for the user
        raise WarehouseError(f"cannot connect to {where}: {_first_line(exc)}") from None
    counts: dict[str, int] = {}
    with conn:
        with conn.transaction(), conn.cursor() as cur:
            if recreate:
                for name in ALL_TABLES:
                    cur.execute(f"drop table if exists raw.{name} cascade")
            cur.execute(render_ddl("postgres"))
            rows = cur.execute(INFO_SCHEMA_SQL.format(catalog_filter="")).fetchall()
            problems = contract_mismatches(rows, "postgres")
            if problems:
                _raise_mismatch(problems, where)
            if guard is not None:
                # one batch load at a time: a second waits here and then finds the first one's bookkeeping
                cur.execute("lock table raw.load_batches in exclusive mode")
                guard(lambda sql: cur.execute(sql.format(raw="raw")).fetchall())
            if mode == "replace":
                cur.execute("truncate " + ", ".join(f"raw.{name}" for name in ALL_TABLES))
            for name, table in ALL_TABLES.items():
                if name not in sources:
                    continue
                started = time.perf_counter()
                cols = ", ".join(table.column_names)
                into = f"__append_{name}" if mode == "append" else f"raw.{name}"
                if mode == "append":
                    cur.execute(f"create temp table {into} (like raw.{name}) on commit drop")
                # A cursor of its own: the staging connection may still hold a finished statement's result.
                reader = staging.cursor().sql(sources[name]).to_arrow_reader(COPY_BATCH_ROWS)
                # Binary COPY (the server skips text parsing), sent by a queued writer on a thread of its own
                # so that the next batch is encoded here while the server stores this one. In replace mode the
                # table was truncated in this transaction, so FREEZE may write the rows already frozen: no
                # second pass to set hint bits or freeze them later (other sessions see them only after commit,
                # as ever; a reader whose snapshot predates the commit would see them too, harmless for raw).
                options = "format binary, freeze" if mode == "replace" else "format binary"
                with cur.copy(
                    f"copy {into} ({cols}) from stdin with ({options})", writer=QueuedLibpqWriter(cur)
                ) as copy:
                    for chunk in _copy_chunks(reader, table):
                        copy.write(chunk)
                copied = cur.rowcount
                if mode == "append":
                    if name == "users":
                        cur.execute(
                            f"delete from raw.users r using {into} s"
                            f" where r.user_id = s.user_id and s.created_at < r.created_at"
                        )
                    cur.execute(
                        f"insert into raw.{name} ({cols}) select {cols} from {into} s"
                        f" where not exists (select 1 from raw.{name} r where {_key_match(name, 'r', 's')})"
                    )
                    copied = cur.rowcount
                counts[name] = copied
                progress(f"  raw.{name}: {counts[name]:,} rows ({time.perf_counter() - started:.1f} s)")
    conn.close()
    return counts


# --------------------------------------------------------------------------------------------------------------
# The load command
# --------------------------------------------------------------------------------------------------------------


def load(
    input_dir: str | os.PathLike[str],
    target: str = DEFAULT_TARGET,
    duckdb_path: str | os.PathLike[str] | None = None,
    pg_database: str | None = None,
    *,
    recreate: bool = False,
    progress: Progress = _quiet,
) -> dict[str, int]:
    """Replace schema ``raw`` with the Parquet files in ``input_dir``; return rows loaded per contract table.

    Validates the whole folder first (:class:`InputError`, nothing written). Import tables
    (``raw.import_rejects``) are emptied: the raw layer now holds this dataset only, recorded as its batch 0 in
    ``raw.load_batches`` (warehouse/batches.py; batches follow with ``load --append``).
    """
    from warehouse.batches import BOOKKEEPING, bookkeeping_source, full_load_manifest

    folder = Path(input_dir)
    adapter = check_target(target)
    expected = validate_parquet_folder(folder)
    manifest = full_load_manifest(folder)
    sources = parquet_sources(folder, adapter, manifest.batch_id)
    sources[BOOKKEEPING] = bookkeeping_source(manifest, folder, sum(expected.values()))
    staging = duckdb.connect()
    try:
        counts = write_raw(
            staging,
            sources,
            target=target,
            duckdb_file=duckdb_path,
            pg_database=pg_database,
            recreate=recreate,
            progress=progress,
        )
    except database_errors() as exc:
        raise WarehouseError(f"load from {folder} failed, nothing changed: {_first_line(exc)}") from None
    finally:
        staging.close()
    for name, rows in expected.items():
        if counts.get(name) != rows:
            raise WarehouseError(f"raw.{name}: loaded {counts.get(name)} rows but the file has {rows}")
    return {name: counts[name] for name in TABLES}
