"""Where the warehouses are and how to open them (variables and defaults from ``settings.targets``).

DuckDB: a file, ``DUCKDB_PATH`` or ``data/warehouse.duckdb``; a relative path is taken from the repository root,
so the CLI, the tests and dbt's profile agree whatever the working directory.

PostgreSQL: the usual libpq variables ``PGHOST`` ``PGPORT`` ``PGUSER`` ``PGPASSWORD`` ``PGDATABASE`` with the
defaults 127.0.0.1 / 5432 / postgres / (none) / growth_analytics. The database is created when it does not exist.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb

from settings.errors import SettingsError
from settings.paths import repo_path
from settings.targets import TARGETS, get_target
from warehouse.errors import InputError

_DUCKDB = TARGETS["duckdb"]
_POSTGRES = TARGETS["postgres"]
# Names of data files DuckDB would read as such (not as a database): refused as a warehouse path.
DATA_FILE_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".json", ".ndjson", ".jsonl", ".xlsx", ".gz", ".zst"}
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def duckdb_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB file to use: ``path``, else ``$DUCKDB_PATH``, else the default; relative to the repo root."""
    return repo_path(path if path is not None else _DUCKDB.setting("DUCKDB_PATH"))


def check_duckdb_file(path: str | os.PathLike[str] | None = None, *, create_folder: bool = True) -> Path:
    """The DuckDB warehouse file (see :func:`duckdb_path`), checked to be one: a DuckDB database or a new file
    whose folder exists (created here). A data file name (``x.csv``, ``x.parquet``), an existing file that is not a
    DuckDB database, or a folder that cannot be created is refused with one line (:class:`InputError`)."""
    target = duckdb_path(path)
    if target.suffix.lower() in DATA_FILE_SUFFIXES:
        raise InputError(
            f"DuckDB warehouse {target}: a {target.suffix} name is a data file, not a database;"
            " use a name such as warehouse.duckdb"
        )
    if target.is_dir():
        raise InputError(f"DuckDB warehouse {target} is a folder; give the path of a database file inside it")
    if target.exists():
        try:
            with target.open("rb") as f:
                header = f.read(12)
        except OSError as exc:
            raise InputError(f"DuckDB warehouse {target}: cannot read it ({exc.strerror})") from None
        if header[8:12] != DUCKDB_MAGIC:
            raise InputError(f"DuckDB warehouse {target} exists and is not a DuckDB database; refusing to touch it")
    elif create_folder:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            folder = target.parent
            raise InputError(f"cannot create the folder {folder} of the DuckDB warehouse: {exc.strerror}") from None
    return target


def connect_duckdb(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the DuckDB warehouse file."""
    return duckdb.connect(str(check_duckdb_file(path)))


def pg_settings(database: str | None = None) -> dict[str, Any]:
    """Connection keywords for psycopg from the PG* environment variables (no secret is stored anywhere)."""
    port_text = _POSTGRES.setting("PGPORT")
    try:
        port = int(port_text)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise SettingsError(f"PGPORT={port_text!r}: expected a port number (1-65535)")
    settings: dict[str, Any] = {
        "host": _POSTGRES.setting("PGHOST"),
        "port": port,
        "user": _POSTGRES.setting("PGUSER"),
        "dbname": database or _POSTGRES.setting("PGDATABASE"),
    }
    if _POSTGRES.setting("PGPASSWORD"):
        settings["password"] = _POSTGRES.setting("PGPASSWORD")
    return settings


def describe_pg(database: str | None = None) -> str:
    """host:port/database, for messages (never the password)."""
    s = pg_settings(database)
    return f"postgresql://{s['user']}@{s['host']}:{s['port']}/{s['dbname']}"


def describe_warehouse(
    target: str, duckdb_file: str | os.PathLike[str] | None = None, pg_database: str | None = None
) -> str:
    """Where ``target``'s warehouse is, for messages: the DuckDB file, or the PostgreSQL URL without a password."""
    adapter = get_target(target).adapter
    if adapter == "duckdb":
        return str(duckdb_path(duckdb_file))
    if adapter == "spark":
        from warehouse.spark.session import spark_settings

        return f"Spark warehouse {spark_settings().warehouse_dir}"
    return describe_pg(pg_database)


def ensure_pg_database(database: str | None = None, *, recreate: bool = False, connect_timeout: int = 5) -> str:
    """Create the PostgreSQL database when missing (drop it first when ``recreate``); return its name."""
    import psycopg
    from psycopg import sql

    settings = pg_settings(database)
    name = settings["dbname"]
    admin = {**settings, "dbname": "postgres", "connect_timeout": connect_timeout}
    with psycopg.connect(**admin, autocommit=True) as conn:
        if recreate:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
        exists = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return name


def drop_pg_database(database: str, connect_timeout: int = 5) -> None:
    """Drop a PostgreSQL database if it exists (closing its connections): for tests and benchmarks."""
    import psycopg
    from psycopg import sql

    admin = {**pg_settings(database), "dbname": "postgres", "connect_timeout": connect_timeout}
    with psycopg.connect(**admin, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(database)))


def connect_postgres(database: str | None = None, *, create: bool = True, autocommit: bool = False):
    """Open a psycopg 3 connection to the warehouse database, creating the database first if asked."""
    import psycopg

    if create:
        ensure_pg_database(database)
    return psycopg.connect(**pg_settings(database), autocommit=autocommit)


def postgres_available(connect_timeout: int = 3) -> tuple[bool, str]:
    """Whether a PostgreSQL server answers with the configured settings, and why not."""
    try:
        import psycopg

        admin = {**pg_settings(), "dbname": "postgres", "connect_timeout": connect_timeout}
        with psycopg.connect(**admin) as conn:
            conn.execute("select 1")
        return True, ""
    except Exception as exc:  # noqa: BLE001 - any failure means "not available", reported as text
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return False, f"no PostgreSQL at {describe_pg('postgres')}: {first_line}"
