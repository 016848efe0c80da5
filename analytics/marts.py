"""Read-only access to the BI contract (schema ``marts``): the one reader of the dashboard and the weekly report.

Nothing here imports Streamlit, so the report, the dashboard and the tests use the same reader.

* Backend: the target ``DBT_TARGET`` names (``settings.targets``; the deprecated ``DASHBOARD_WAREHOUSE`` still
  works): DuckDB by default (file ``DUCKDB_PATH``, default ``data/warehouse.duckdb``), PostgreSQL with
  ``DBT_TARGET=postgres``. On PostgreSQL the reader logs in as the read-only reporting role
  (``REPORTING_ROLE``, default ``growth_reporting``; password ``REPORTING_PASSWORD`` when the server wants one),
  so the database itself guarantees that the dashboard can only read ``marts``.
* DuckDB is opened read-only, one short connection per query. While ``dbt build`` rewrites the file DuckDB refuses
  readers (the writer holds the file lock): the reader retries briefly, then serves the last good result of the
  same query, flagged ``stale``, together with when that data was built.
* Every value reaches the database as a bound parameter; identifiers (mart and column names) are checked against
  the warehouse's own catalogue before they are quoted into SQL.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from settings.errors import SettingsError
from settings.targets import DEFAULT_TARGET, TARGETS, get_target, target_from_env
from warehouse.connections import duckdb_path as resolve_duckdb_path
from warehouse.connections import pg_settings

SCHEMA = "marts"
DEFAULT_REPORTING_ROLE = "growth_reporting"


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be read now and no earlier result of the query is cached."""


class UnknownColumn(ValueError):
    """A query named a mart or column that the warehouse does not have."""


@dataclass(frozen=True)
class Settings:
    backend: str = DEFAULT_TARGET  # a target name (settings.targets)
    duckdb_path: Path = field(default_factory=lambda: resolve_duckdb_path(None))
    pg_database: str | None = None
    reporting_role: str = DEFAULT_REPORTING_ROLE
    # Lock handling: attempts and first wait (doubles each time): 6 tries ~ 3 s in all.
    retries: int = 6
    retry_wait_seconds: float = 0.1
    # A cached result younger than this is served without asking the warehouse again.
    cache_ttl_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        target = target_from_env(env)
        if not target.has_dashboard:
            readable = ", ".join(name for name, t in TARGETS.items() if t.has_dashboard)
            raise SettingsError(
                f"DBT_TARGET={target.name}: the dashboard and the report read {readable};"
                f" reach {target.label}'s marts with its own tools (see README)"
            )
        return cls(
            backend=target.name,
            duckdb_path=resolve_duckdb_path(env.get("DUCKDB_PATH") or None),
            pg_database=env.get("PGDATABASE") or None,
            reporting_role=env.get("REPORTING_ROLE") or DEFAULT_REPORTING_ROLE,
            cache_ttl_seconds=_seconds(env.get("DASHBOARD_CACHE_TTL", "60"), "DASHBOARD_CACHE_TTL"),
        )

    @property
    def adapter(self) -> str:
        """The dbt adapter (SQL dialect) of the target read: how to connect and which placeholders to use."""
        return get_target(self.backend).adapter

    def describe(self) -> str:
        if self.adapter == "duckdb":
            return f"DuckDB {self.duckdb_path}"
        s = pg_settings(self.pg_database)
        return f"PostgreSQL {self.reporting_role}@{s['host']}:{s['port']}/{s['dbname']}"


def _seconds(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r}: expected a number of seconds") from None
    if value < 0:
        raise ValueError(f"{name}={text!r}: expected a number of seconds >= 0")
    return value


@dataclass
class Result:
    """A query's rows, and whether they are a cached copy served because the warehouse was busy."""

    df: pd.DataFrame
    fetched_at: datetime
    stale: bool = False
    error: str | None = None


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflicting" in text or "being used by another process" in text


def _is_unavailable(exc: Exception) -> bool:
    """The warehouse cannot be reached (locked, missing, server down), as opposed to a wrong query."""
    if _is_lock_error(exc) or isinstance(exc, FileNotFoundError | ConnectionError):
        return True
    module = type(exc).__module__
    return module.startswith("psycopg") and type(exc).__name__ in ("OperationalError", "InterfaceError")


class Warehouse:
    """Runs parameterised read-only queries against ``marts`` with a small result cache."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self._cache: dict[tuple[str, tuple[Any, ...]], Result] = {}
        self._lock = threading.Lock()
        # After a query found the warehouse locked through all its retries, the next queries of the same page
        # try once only, until this moment: a page of 20 queries then waits ~3 s in all, not 20 times that.
        self._busy_until = 0.0

    # -- connections -------------------------------------------------------------------------------------------
    def _connect(self):  # duckdb or psycopg connection
        if self.settings.adapter == "duckdb":
            import duckdb

            path = self.settings.duckdb_path
            if not path.exists():
                raise FileNotFoundError(f"no DuckDB warehouse at {path}: run `make run` or set DUCKDB_PATH")
            return duckdb.connect(str(path), read_only=True)
        import psycopg

        kwargs = pg_settings(self.settings.pg_database)
        kwargs["user"] = self.settings.reporting_role
        kwargs.pop("password", None)
        if os.environ.get("REPORTING_PASSWORD"):
            kwargs["password"] = os.environ["REPORTING_PASSWORD"]
        return psycopg.connect(**kwargs, connect_timeout=5, autocommit=True)

    def _run(self, sql: str, params: Sequence[Any]) -> pd.DataFrame:
        conn = self._connect()
        try:
            if self.settings.adapter == "duckdb":
                return conn.execute(sql, list(params)).df()
            pg_sql = sql.replace("%", "%%").replace("?", "%s")
            with conn.cursor() as cur:
                cur.execute(pg_sql, list(params))
                cols = [d.name for d in cur.description]
                return pd.DataFrame(cur.fetchall(), columns=cols)
        finally:
            conn.close()

    # -- queries -----------------------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = (), *, max_age: float | None = None) -> Result:
        """Rows of ``sql`` (``?`` placeholders). Served from cache when younger than the TTL.

        When the warehouse is locked by a writer after all retries, the last good result of the same query comes
        back with ``stale=True``; with nothing cached, WarehouseUnavailable is raised.
        """
        key = (sql, tuple(params))
        ttl = self.settings.cache_ttl_seconds if max_age is None else max_age
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and not cached.stale and _age(cached.fetched_at) < ttl:
            return cached
        wait = self.settings.retry_wait_seconds
        last_error: Exception | None = None
        attempts = 1 if time.monotonic() < self._busy_until else max(1, self.settings.retries)
        for attempt in range(attempts):
            try:
                df = self._run(sql, params)
            except Exception as exc:  # noqa: BLE001 - decide below whether it is worth retrying
                last_error = exc
                if not _is_lock_error(exc):
                    break
                if attempt + 1 < attempts:
                    time.sleep(wait)
                    wait *= 2
                continue
            self._busy_until = 0.0
            result = Result(df=_normalise(df), fetched_at=datetime.now())
            with self._lock:
                self._cache[key] = result
            return result
        if last_error is not None and not _is_unavailable(last_error):
            raise last_error  # a bug in a query, not a busy or missing warehouse: let it show
        message = str(last_error).strip().splitlines()[0] if last_error else "unknown error"
        if last_error is not None and _is_lock_error(last_error):
            self._busy_until = time.monotonic() + 5.0
        if cached is not None:
            stale = Result(df=cached.df, fetched_at=cached.fetched_at, stale=True, error=message)
            return stale
        raise WarehouseUnavailable(f"{self.settings.describe()}: {message}") from last_error

    def df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        return self.query(sql, params).df

    # -- catalogue ---------------------------------------------------------------------------------------------
    def catalogue(self) -> dict[str, list[str]]:
        """Every relation in ``marts`` with its columns in order."""
        rows = self.df(
            "select table_name, column_name from information_schema.columns"
            " where table_schema = ? order by table_name, ordinal_position",
            (SCHEMA,),
        )
        out: dict[str, list[str]] = {}
        for table, column in zip(rows["table_name"], rows["column_name"], strict=True):
            out.setdefault(str(table), []).append(str(column))
        return out

    def columns(self, mart: str) -> list[str]:
        """Columns of ``marts.<mart>``; empty when the mart is not built."""
        return self.catalogue().get(mart, [])

    def has(self, mart: str, *columns: str) -> bool:
        cols = self.columns(mart)
        return bool(cols) and all(c in cols for c in columns)

    def row_count(self, mart: str) -> int:
        self._check(mart, [])
        return int(self.df(f"select count(*) as n from {_ident(SCHEMA)}.{_ident(mart)}")["n"].iloc[0])

    def built_at(self) -> datetime | None:
        """When the warehouse was last written: the DuckDB file's mtime (PostgreSQL: unknown, None)."""
        if self.settings.adapter == "duckdb":
            path = self.settings.duckdb_path
            wal = path.with_name(path.name + ".wal")
            times = [p.stat().st_mtime for p in (path, wal) if p.exists()]
            return datetime.fromtimestamp(max(times)) if times else None
        return None

    def data_freshness(self) -> tuple[date, datetime] | None:
        """(data through date, last arrival) from marts.data_freshness; None when the mart is missing or empty."""
        if not self.has("data_freshness", "data_through_date", "last_loaded_at"):
            return None
        df = self.df("select data_through_date, last_loaded_at from marts.data_freshness")
        if df.empty or pd.isna(df["data_through_date"].iloc[0]) or pd.isna(df["last_loaded_at"].iloc[0]):
            return None
        through = pd.Timestamp(df["data_through_date"].iloc[0]).date()
        return through, pd.Timestamp(df["last_loaded_at"].iloc[0]).to_pydatetime()

    def _check(self, mart: str, columns: Iterable[str]) -> list[str]:
        available = self.columns(mart)
        if not available:
            raise UnknownColumn(f"{SCHEMA}.{mart} does not exist in {self.settings.describe()}")
        missing = [c for c in columns if c not in available]
        if missing:
            raise UnknownColumn(f"{SCHEMA}.{mart} has no column(s) {', '.join(missing)}")
        return available

    def select(
        self,
        mart: str,
        columns: Sequence[str] | None = None,
        *,
        where: Mapping[str, Any] | None = None,
        date_column: str | None = None,
        date_range: tuple[date | None, date | None] | None = None,
        order_by: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Result:
        """``select <columns> from marts.<mart>`` with equality / ``in`` filters and a date range, all bound.

        ``where`` values may be a scalar (``=``), a non-empty list (``in``), or None / empty (no filter).
        """
        where = {k: v for k, v in (where or {}).items() if v is not None and not (_is_seq(v) and len(v) == 0)}
        wanted = list(columns) if columns else []
        needed = [*wanted, *where, *(order_by or []), *([date_column] if date_column else [])]
        available = self._check(mart, needed)
        select_list = ", ".join(_ident(c) for c in wanted) if wanted else ", ".join(_ident(c) for c in available)
        clause, params = where_clause(where, date_column, date_range)
        sql = f"select {select_list} from {_ident(SCHEMA)}.{_ident(mart)}{clause}"
        if order_by:
            sql += " order by " + ", ".join(_ident(c) for c in order_by)
        if limit is not None:
            sql += f" limit {int(limit)}"
        return self.query(sql, params)


def freshness_text(freshness: tuple[date, datetime] | None) -> str:
    """The line both the dashboard and the report print: "data through 2025-06-30, refreshed 2025-07-01 06:12 UTC"."""
    if freshness is None:
        return ""
    through, arrived = freshness
    return f"data through {through:%Y-%m-%d}, refreshed {arrived:%Y-%m-%d %H:%M} UTC"


def where_clause(
    where: Mapping[str, Any] | None,
    date_column: str | None = None,
    date_range: tuple[date | None, date | None] | None = None,
    *,
    prefix: str = " where ",
) -> tuple[str, list[Any]]:
    """`` where a in (?, ?) and d >= ?`` and its parameters; empty string when there is nothing to filter.

    Column names must have been checked against the catalogue by the caller (they are quoted, never bound).
    """
    clauses: list[str] = []
    params: list[Any] = []
    for col, value in (where or {}).items():
        if value is None or (_is_seq(value) and len(value) == 0):
            continue
        if _is_seq(value):
            values = list(value)
            clauses.append(f"{_ident(col)} in ({', '.join('?' for _ in values)})")
            params.extend(values)
        else:
            clauses.append(f"{_ident(col)} = ?")
            params.append(value)
    if date_column and date_range:
        start, end = date_range
        if start is not None:
            clauses.append(f"{_ident(date_column)} >= ?")
            params.append(start)
        if end is not None:
            clauses.append(f"{_ident(date_column)} <= ?")
            params.append(end)
    if not clauses:
        return "", []
    return prefix + " and ".join(clauses), params


def ident(name: str) -> str:
    """A double-quoted identifier (use only for names checked against the catalogue)."""
    return _ident(name)


def _ident(name: str) -> str:
    if not name or '"' in name or "\x00" in name:
        raise UnknownColumn(f"not a valid identifier: {name!r}")
    return f'"{name}"'


def _is_seq(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset)


def _age(moment: datetime) -> float:
    return (datetime.now() - moment).total_seconds()


def _normalise(df: pd.DataFrame) -> pd.DataFrame:
    """Decimals -> float, so that charts and arithmetic behave the same on DuckDB and PostgreSQL."""
    from decimal import Decimal

    for col in df.columns:
        series = df[col]
        if series.dtype == object and len(series) and series.map(lambda v: isinstance(v, Decimal)).any():
            df[col] = pd.to_numeric(series, errors="coerce").astype("float64")
    return df
