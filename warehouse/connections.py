"""Where the warehouses are and how to open them.

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

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DUCKDB_PATH = "data/warehouse.duckdb"
DEFAULT_PG_DATABASE = "growth_analytics"


def duckdb_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The DuckDB file to use: ``path``, else ``$DUCKDB_PATH``, else the default; relative to the repo root."""
    chosen = Path(path if path is not None else os.environ.get("DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)
    return chosen if chosen.is_absolute() else REPO_ROOT / chosen


def connect_duckdb(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the DuckDB warehouse file."""
    target = duckdb_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(target))


def pg_settings(database: str | None = None) -> dict[str, Any]:
    """Connection keywords for psycopg from the PG* environment variables (no secret is stored anywhere)."""
    settings: dict[str, Any] = {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": int(os.environ.get("PGPORT", "5432")),
        "user": os.environ.get("PGUSER", "postgres"),
        "dbname": database or os.environ.get("PGDATABASE") or DEFAULT_PG_DATABASE,
    }
    if os.environ.get("PGPASSWORD"):
        settings["password"] = os.environ["PGPASSWORD"]
    return settings


def describe_pg(database: str | None = None) -> str:
    """host:port/database, for messages (never the password)."""
    s = pg_settings(database)
    return f"postgresql://{s['user']}@{s['host']}:{s['port']}/{s['dbname']}"


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


def connect_postgres(database: str | None = None, *, create: bool = True, autocommit: bool = False):  # noqa: ANN201
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
