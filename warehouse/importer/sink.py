"""Where an import's rows go: schema ``raw`` of DuckDB or PostgreSQL, inside one transaction held for the whole
import, so that rows can be written chunk by chunk and a failure anywhere leaves the warehouse as it was.

``replace``: every raw table is emptied at the start of the transaction and each chunk is inserted straight into
its table. ``append``: chunks go to temporary tables of the transaction and are merged at the end by their keys
(``warehouse.load.APPEND_KEYS``: an event id, a user id, a rejected file line already there is not added again; a
user's earlier sign-up wins), as the loader's append does. Rows arrive as Arrow record batches in contract column
order; DuckDB inserts them from the batch reader, PostgreSQL receives them by binary ``COPY``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from warehouse import pgcopy
from warehouse.connections import check_duckdb_file, connect_postgres, describe_pg, ensure_pg_database
from warehouse.contract import Table, render_ddl
from warehouse.errors import WarehouseError
from warehouse.load import ALL_TABLES, APPEND_KEYS, INFO_SCHEMA_SQL, _raise_mismatch, contract_mismatches

FILES_TABLE = "import_files"


def _key_match(name: str, left: str, right: str) -> str:
    return " and ".join(f"{left}.{k} = {right}.{k}" for k in APPEND_KEYS[name])


def _merge_sql(name: str, staged: str, raw: str) -> list[str]:
    """Statements adding the staged rows of table ``name`` to ``raw`` (by key; the earliest sign-up wins)."""
    cols = ", ".join(ALL_TABLES[name].column_names)
    out = []
    if name == "users":
        out.append(f"delete from {raw} r using {staged} s where r.user_id = s.user_id and s.created_at < r.created_at")
    if name in APPEND_KEYS:
        out.append(
            f"insert into {raw} ({cols}) select {cols} from {staged} s"
            f" where not exists (select 1 from {raw} r where {_key_match(name, 'r', 's')})"
        )
    else:
        out.append(f"insert into {raw} ({cols}) select {cols} from {staged}")
    return out


class Sink:
    """One import's transaction on a warehouse. Use: ``begin``, ``write`` per batch of rows, ``finish``,
    ``commit`` (or ``rollback``), ``close``."""

    dialect = ""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.counts: dict[str, int] = {}

    def target_table(self, name: str) -> str:
        return f"raw.{name}" if self.mode == "replace" else f"__append_{name}"

    def imported_files(self, dataset: str) -> set[tuple[str, str, int, datetime]]:
        """``(source, file, size, modified)`` of the files earlier imports of ``dataset`` read."""
        rows = self.query(
            f"select source, file_name, size_bytes, modified_at from raw.{FILES_TABLE} where dataset = " + self.param(),
            [dataset],
        )
        return {(r[0], r[1], int(r[2]), r[3]) for r in rows}

    def finish(self) -> dict[str, int]:
        """Merge the staged rows (append); return the rows written to each table (for append: the rows the
        merge inserted, a user whose earlier sign-up replaced their row included)."""
        if self.mode == "replace":
            return dict(self.counts)
        written = {}
        for name in self.counts:
            for sql in _merge_sql(name, f"__append_{name}", f"raw.{name}"):
                written[name] = self.execute(sql)
        return written

    # Implemented per warehouse.
    def param(self) -> str:
        raise NotImplementedError

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        raise NotImplementedError

    def execute(self, sql: str) -> int:
        """Run a statement; return the rows it changed."""
        raise NotImplementedError


class DuckDBSink(Sink):
    dialect = "duckdb"

    def __init__(self, path: Path, mode: str, memory_limit: str) -> None:
        super().__init__(mode)
        self.path = path
        self.memory_limit = memory_limit
        self.con: duckdb.DuckDBPyConnection | None = None
        self.created = False

    def begin(self, recreate: bool) -> None:
        check_duckdb_file(self.path)
        self.created = not self.path.exists()
        self.con = duckdb.connect(str(self.path))
        self.con.execute(f"set memory_limit = '{self.memory_limit}'")
        # Raw tables have no order to keep: DuckDB may insert in parallel.
        self.con.execute("set preserve_insertion_order = false")
        self.con.execute("begin transaction")
        if recreate:
            for name in ALL_TABLES:
                self.con.execute(f"drop table if exists raw.{name}")
        self.con.execute(render_ddl("duckdb"))
        rows = self.con.execute(
            INFO_SCHEMA_SQL.format(catalog_filter="and table_catalog = current_database()")
        ).fetchall()
        problems = contract_mismatches(rows, "duckdb")
        if problems:
            _raise_mismatch(problems, str(self.path))
        for name in ALL_TABLES:
            if self.mode == "replace":
                self.con.execute(f"delete from raw.{name}")

    def write(self, name: str, reader: pa.RecordBatchReader) -> int:
        assert self.con is not None
        into = self.target_table(name)
        if self.mode == "append" and name not in self.counts:
            self.con.execute(f"create temp table {into} as select * from raw.{name} limit 0")
        cols = ", ".join(ALL_TABLES[name].column_names)
        self.con.register("__batches", reader)
        try:
            n = self.con.execute(f"insert into {into} ({cols}) select * from __batches").fetchone()[0]
        finally:
            self.con.unregister("__batches")
        self.counts[name] = self.counts.get(name, 0) + n
        return n

    def param(self) -> str:
        return "?"

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        assert self.con is not None
        return self.con.execute(sql, params or []).fetchall()

    def execute(self, sql: str) -> int:
        assert self.con is not None
        row = self.con.execute(sql).fetchone()
        return int(row[0]) if row else 0

    def commit(self) -> None:
        assert self.con is not None
        self.con.execute("commit")

    def rollback(self) -> None:
        """Undo the transaction; a warehouse file this import created is removed (there was none before)."""
        if self.con is not None:
            try:
                self.con.execute("rollback")
            except duckdb.Error:
                pass
        if self.created:
            self.close()
            for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
                leftover.unlink(missing_ok=True)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def _copy_payload(reader: pa.RecordBatchReader, table: Table) -> Iterator[pa.Buffer | bytes]:
    types = [c.type for c in table.columns]
    yield pgcopy.HEADER
    for batch in reader:
        if batch.num_rows:
            yield pgcopy.encode_batch(batch, types)
    yield pgcopy.TRAILER


class PostgresSink(Sink):
    dialect = "postgres"

    def __init__(self, database: str | None, mode: str) -> None:
        super().__init__(mode)
        self.database = database
        self.conn: Any = None

    def begin(self, recreate: bool) -> None:
        where = describe_pg(self.database)
        try:
            ensure_pg_database(self.database)
            self.conn = connect_postgres(self.database, create=False)
        except Exception as exc:  # noqa: BLE001 - connection problems are one line for the user
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WarehouseError(f"cannot connect to {where}: {first}") from None
        with self.conn.cursor() as cur:
            if recreate:
                for name in ALL_TABLES:
                    cur.execute(f"drop table if exists raw.{name} cascade")
            cur.execute(render_ddl("postgres"))
            problems = contract_mismatches(
                cur.execute(INFO_SCHEMA_SQL.format(catalog_filter="")).fetchall(), "postgres"
            )
            if problems:
                _raise_mismatch(problems, where)
            if self.mode == "replace":
                cur.execute("truncate " + ", ".join(f"raw.{name}" for name in ALL_TABLES))

    def write(self, name: str, reader: pa.RecordBatchReader) -> int:
        from psycopg.copy import QueuedLibpqWriter

        table = ALL_TABLES[name]
        into = self.target_table(name)
        cols = ", ".join(table.column_names)
        with self.conn.cursor() as cur:
            if self.mode == "append" and name not in self.counts:
                cur.execute(f"create temp table {into} (like raw.{name}) on commit drop")
            # The table was truncated in this transaction (replace): FREEZE writes the rows already frozen.
            options = "format binary, freeze" if self.mode == "replace" else "format binary"
            with cur.copy(f"copy {into} ({cols}) from stdin with ({options})", writer=QueuedLibpqWriter(cur)) as copy:
                for chunk in _copy_payload(reader, table):
                    copy.write(chunk)
            n = cur.rowcount
        self.counts[name] = self.counts.get(name, 0) + n
        return n

    def param(self) -> str:
        return "%s"

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        with self.conn.cursor() as cur:
            return cur.execute(sql, params or None).fetchall()

    def execute(self, sql: str) -> int:
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return max(cur.rowcount, 0)

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        if self.conn is not None:
            try:
                self.conn.rollback()
            except Exception:  # noqa: BLE001 - the connection may be gone; nothing was committed
                pass

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
