"""Readers of one warehouse schema for the marts comparison: which tables, which columns, which rows.

A reader is named by a spec ``<kind>:<location>``: ``duckdb:data/warehouse.duckdb`` (a file, relative paths from the
working directory), ``postgres:growth_analytics`` (a database, reached with the PG* settings) or
``spark:data/spark/warehouse`` (a Spark warehouse folder, see :mod:`warehouse.spark.reader`). Another warehouse
plugs in with :func:`register_reader` and a class that follows :class:`SchemaReader`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

from warehouse.errors import InputError

FETCH_ROWS = 10_000


class CompareError(InputError):
    """A warehouse named for comparison cannot be opened or read (bad input: exit code 2)."""


class SchemaReader(Protocol):
    """What the comparison needs from a warehouse, for one schema."""

    description: str

    def tables(self, schema: str) -> list[str]:
        """Names of the tables (and views) in ``schema``, sorted."""
        ...

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        """(column name, declared data type) of ``schema.table`` in table order."""
        ...

    def rows(self, schema: str, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        """Every row of ``schema.table`` as Python values, ``columns`` in that order, streamed."""
        ...

    def close(self) -> None: ...


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(schema: str, table: str, columns: list[str]) -> str:
    return f"select {', '.join(_quote(c) for c in columns)} from {_quote(schema)}.{_quote(table)}"


class DuckDBReader:
    """A DuckDB file, opened read-only (never created)."""

    def __init__(self, path: str | Path) -> None:
        import duckdb

        file = Path(path).expanduser().resolve()
        if not file.is_file():
            raise CompareError(f"no DuckDB file at {file}")
        try:
            self._conn = duckdb.connect(str(file), read_only=True)
        except duckdb.Error as exc:
            raise CompareError(f"cannot open DuckDB file {file}: {str(exc).splitlines()[0]}") from None
        self.description = f"duckdb:{file}"

    def tables(self, schema: str) -> list[str]:
        result = self._conn.execute(
            "select table_name from information_schema.tables"
            " where table_schema = ? and table_catalog = current_database() order by table_name",
            [schema],
        )
        return [name for (name,) in result.fetchall()]

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        result = self._conn.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = ? and table_name = ? and table_catalog = current_database()"
            " order by ordinal_position",
            [schema, table],
        )
        return [(name, str(type_)) for name, type_ in result.fetchall()]

    def rows(self, schema: str, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(_select(schema, table, columns))
            while batch := cursor.fetchmany(FETCH_ROWS):
                yield from batch
        finally:
            cursor.close()

    def close(self) -> None:
        self._conn.close()


class PostgresReader:
    """A PostgreSQL database on the server the PG* environment variables name (never created)."""

    def __init__(self, database: str) -> None:
        import psycopg

        from warehouse.connections import describe_pg, pg_settings

        if not database:
            raise CompareError("postgres: needs a database name, e.g. postgres:growth_analytics")
        self.description = describe_pg(database)
        try:
            self._conn = psycopg.connect(**pg_settings(database), connect_timeout=5)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CompareError(f"cannot open {self.description}: {first}") from None
        self._conn.read_only = True

    def tables(self, schema: str) -> list[str]:
        with self._conn.cursor() as cur:
            cur.execute(
                "select table_name from information_schema.tables where table_schema = %s order by table_name",
                (schema,),
            )
            return [name for (name,) in cur.fetchall()]

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        with self._conn.cursor() as cur:
            cur.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = %s and table_name = %s order by ordinal_position",
                (schema, table),
            )
            return [(name, str(type_)) for name, type_ in cur.fetchall()]

    def rows(self, schema: str, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        # A named (server-side) cursor streams the table instead of holding it all client-side.
        try:
            with self._conn.cursor(name=f"compare_{table}") as cur:
                cur.itersize = FETCH_ROWS
                cur.execute(_select(schema, table, columns))
                yield from cur
        finally:
            self._conn.rollback()

    def close(self) -> None:
        self._conn.close()


def _spark_reader(location: str) -> SchemaReader:
    """Spark's reader, imported only when asked for (pyspark is an optional dependency)."""
    from warehouse.spark.reader import SparkReader

    return SparkReader(location)


_READERS: dict[str, Callable[[str], SchemaReader]] = {
    "duckdb": DuckDBReader,
    "postgres": PostgresReader,
    "spark": _spark_reader,
}


def register_reader(kind: str, factory: Callable[[str], SchemaReader]) -> None:
    """Make ``<kind>:<location>`` specs open with ``factory(location)`` (e.g. a Spark reader)."""
    _READERS[kind] = factory


def reader_kinds() -> list[str]:
    return sorted(_READERS)


def open_reader(spec: str) -> SchemaReader:
    """The reader a spec ``<kind>:<location>`` names; CompareError (one line) when it cannot be opened."""
    kind, sep, location = spec.partition(":")
    if not sep or kind not in _READERS:
        kinds = ", ".join(reader_kinds())
        raise CompareError(f"warehouse {spec!r}: expected <kind>:<location> with kind one of {kinds}")
    return _READERS[kind](location)
