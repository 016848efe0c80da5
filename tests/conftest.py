"""Shared fixtures: a small generated business, loaded into DuckDB and PostgreSQL, and built with dbt.

Everything heavy is session-scoped and built once. PostgreSQL tests skip with a reason when no server
answers, except under CI (env ``CI`` set), where a missing server is a failure.

Environment knobs (for running several suites side by side):
- ``PG_TEST_DATABASE``: PostgreSQL database the suite recreates (default ``growth_analytics_test``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pipeline.dbt import REPO_ROOT, load_vars, run_dbt

# The small dataset every dbt test builds on: big enough for 12-week cohorts and 90-day retention,
# small enough for a build in seconds.
SMALL_SCENARIO = {"scenario": "saas", "seed": 7, "users": 1500, "days": 150, "start_date": date(2025, 1, 6)}
SHARED_DATASETS = REPO_ROOT.parent / "shared" / "datasets"


def pg_test_database() -> str:
    return os.environ.get("PG_TEST_DATABASE", "growth_analytics_test")


def postgres_reason() -> str | None:
    """None when PostgreSQL answers with the PG* settings, else why not."""
    try:
        import psycopg

        with psycopg.connect(
            host=os.environ.get("PGHOST", "127.0.0.1"),
            port=int(os.environ.get("PGPORT", "5432")),
            user=os.environ.get("PGUSER", "postgres"),
            password=os.environ.get("PGPASSWORD") or None,
            dbname="postgres",
            connect_timeout=3,
        ):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"PostgreSQL not reachable with the PG* settings: {exc}".splitlines()[0]


def require_postgres() -> None:
    reason = postgres_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so PostgreSQL tests must run: {reason}")
    pytest.skip(reason)


@dataclass
class BuiltWarehouse:
    """A warehouse that dbt has built, with a small query helper returning pandas DataFrames."""

    target: str
    duckdb_path: Path | None
    pg_database: str | None
    vars: dict[str, Any]
    data_dir: Path

    def connect(self):
        if self.target == "duckdb":
            import duckdb

            return duckdb.connect(str(self.duckdb_path), read_only=True)
        import psycopg

        return psycopg.connect(
            host=os.environ.get("PGHOST", "127.0.0.1"),
            port=int(os.environ.get("PGPORT", "5432")),
            user=os.environ.get("PGUSER", "postgres"),
            password=os.environ.get("PGPASSWORD") or None,
            dbname=self.pg_database,
        )

    def query(self, sql: str, params: tuple | list | None = None):
        import pandas as pd

        conn = self.connect()
        try:
            if self.target == "duckdb":
                return conn.execute(sql, params or []).df()
            with conn.cursor() as cur:
                cur.execute(sql, params)
                cols = [d.name for d in cur.description]
                return pd.DataFrame(cur.fetchall(), columns=cols)
        finally:
            conn.close()

    def dbt(self, args: list[str], tmp: Path, vars: dict[str, Any] | None = None, check: bool = True):
        return run_dbt(
            args,
            target=self.target,
            vars=vars if vars is not None else self.vars,
            duckdb_path=self.duckdb_path,
            pg_database=self.pg_database,
            target_path=tmp / "target",
            log_path=tmp / "logs",
            capture=True,
            check=check,
        )


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    from data_generation import generate

    out = tmp_path_factory.mktemp("generated") / "saas"
    return generate(output=out, quiet=True, **SMALL_SCENARIO)


@pytest.fixture(scope="session")
def truth(small_dataset) -> dict[str, Any]:
    return json.loads((small_dataset / "truth.json").read_text())


@pytest.fixture(scope="session")
def small_vars(small_dataset) -> dict[str, Any]:
    return load_vars(small_dataset / "dbt_vars.yml")


def fresh_warehouse(target: str, tmp: Path, pg_suffix: str = "") -> tuple[Path | None, str | None]:
    """(duckdb_path, pg_database) of an empty warehouse: a DuckDB file in ``tmp``, or the PostgreSQL test
    database ``<PG_TEST_DATABASE><pg_suffix>`` dropped and created anew (skips, or fails under CI, without a server).
    Each suite that keeps its own PostgreSQL build alive passes its own suffix."""
    if target == "duckdb":
        return tmp / "warehouse.duckdb", None
    from warehouse.connections import ensure_pg_database

    require_postgres()
    pg_database = f"{pg_test_database()}{pg_suffix}"
    ensure_pg_database(pg_database, recreate=True)
    return None, pg_database


def _build(target: str, data_dir: Path, vars: dict[str, Any], tmp: Path) -> BuiltWarehouse:
    from warehouse.load import load

    duckdb_path, pg_database = fresh_warehouse(target, tmp)
    load(data_dir, target=target, duckdb_path=duckdb_path, pg_database=pg_database)
    built = BuiltWarehouse(target, duckdb_path, pg_database, vars, data_dir)
    built.dbt(["build"], tmp)
    return built


@pytest.fixture(scope="session")
def built_duckdb(small_dataset, small_vars, tmp_path_factory) -> BuiltWarehouse:
    return _build("duckdb", small_dataset, small_vars, tmp_path_factory.mktemp("dbt_duckdb"))


@pytest.fixture(scope="session")
def built_postgres(small_dataset, small_vars, tmp_path_factory) -> BuiltWarehouse:
    return _build("postgres", small_dataset, small_vars, tmp_path_factory.mktemp("dbt_postgres"))


@pytest.fixture(scope="session", params=["duckdb", "postgres"])
def built(request) -> BuiltWarehouse:
    """The small dataset built by dbt, once per warehouse: tests using it run on both."""
    return request.getfixturevalue(f"built_{request.param}")


@pytest.fixture(scope="session")
def ask_manifest(built_duckdb, tmp_path_factory) -> Path:
    """The semantic manifest of the small dataset (dbt parse with its vars), for `ask`."""
    tmp = tmp_path_factory.mktemp("ask_parse")
    built_duckdb.dbt(["parse"], tmp)
    path = tmp / "target" / "semantic_manifest.json"
    assert path.exists()
    return path


def _train_churn(built: BuiltWarehouse, tmp_path_factory) -> tuple:
    """The warehouse after python -m churn train (28-day window, seed 7) and a rebuild of the marts that read ml."""
    from churn.step import train_step

    tmp = tmp_path_factory.mktemp(f"churn_{built.target}")
    result = train_step(
        built.target,
        data_dir=built.data_dir,
        window_days=28,
        seed=7,
        duckdb_path=built.duckdb_path,
        pg_database=built.pg_database,
        models_dir=tmp,
        log=lambda _: None,
    )
    built.dbt(["build", "--select", "source:ml+"], tmp)
    return built, result


@pytest.fixture(scope="session")
def churn_trained_duckdb(built_duckdb, tmp_path_factory) -> tuple:
    return _train_churn(built_duckdb, tmp_path_factory)


@pytest.fixture(scope="session")
def churn_trained_postgres(built_postgres, tmp_path_factory) -> tuple:
    return _train_churn(built_postgres, tmp_path_factory)


@pytest.fixture(scope="session")
def churn_trained(built, request) -> tuple:
    """(built warehouse, training result) once per warehouse: the churn model trained on the small dataset."""
    return request.getfixturevalue(f"churn_trained_{built.target}")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (Playwright's sync API allows one running instance)."""
    from playwright.sync_api import sync_playwright

    from tests.test_dashboard_browser import CHROMIUM_ARGS, ensure_chromium

    executable = ensure_chromium()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
