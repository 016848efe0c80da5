"""Incremental refresh equals a full rebuild (issue 11), on DuckDB and PostgreSQL.

A small simulated business is replayed as a base load and three batches (tests/refresh_batches.py: late events
days beyond the lookback, re-deliveries, clock-skewed rows); after each batch dbt refreshes incrementally. One
refresh is cut short: only the first two incremental models run (as when a refresh is killed after them), and the
next refresh has to catch up from each model's own watermark. At the end a copy of the warehouse is rebuilt with
``--full-refresh`` from the same raw rows, and every mart must hold the same rows (warehouse.compare, 1e-9).
The dataset runs without its tracker sessions, so sessions are derived from events: the case where a late event
joins or splits sessions.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import BuiltWarehouse, fresh_warehouse
from tests.refresh_batches import release, set_aside
from warehouse.compare import DuckDBReader, PostgresReader, Tolerance, compare_schemas

START = date(2025, 1, 6)
SCENARIO = {"scenario": "saas", "seed": 11, "users": 300, "days": 40, "start_date": START}
CUTS = [START + timedelta(days=d) for d in (26, 31, 36)]
INCREMENTAL_MODELS = ["stg_raw__events", "fct_events", "fct_sessions", "fct_user_activity_daily"]


@pytest.fixture(scope="module")
def batch_dataset(tmp_path_factory) -> Path:
    from data_generation import generate

    return generate(output=tmp_path_factory.mktemp("refresh_data") / "saas", quiet=True, **SCENARIO)


def _executor(built: BuiltWarehouse):
    """A function running one SQL statement (committed) on the built warehouse."""
    if built.target == "duckdb":
        import duckdb

        def run(sql: str) -> None:
            with duckdb.connect(str(built.duckdb_path)) as conn:
                conn.execute(sql)

        return run

    import psycopg

    from warehouse.connections import pg_settings

    def run(sql: str) -> None:
        with psycopg.connect(**pg_settings(built.pg_database), autocommit=True) as conn:
            conn.execute(sql)

    return run


def _copy(built: BuiltWarehouse, tmp: Path) -> BuiltWarehouse:
    """The same warehouse under another name (raw rows and incrementally built tables)."""
    if built.target == "duckdb":
        copy = tmp / "full_refresh.duckdb"
        shutil.copyfile(built.duckdb_path, copy)
        return BuiltWarehouse("duckdb", copy, None, built.vars, built.data_dir)
    from warehouse.connections import drop_pg_database

    name = f"{built.pg_database}_full"
    drop_pg_database(name)
    _executor(BuiltWarehouse("postgres", None, "postgres", {}, built.data_dir))(
        f'create database "{name}" template "{built.pg_database}"'
    )
    return BuiltWarehouse("postgres", None, name, built.vars, built.data_dir)


def _reader(built: BuiltWarehouse):
    return DuckDBReader(built.duckdb_path) if built.target == "duckdb" else PostgresReader(built.pg_database)


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def refreshed(request, batch_dataset, tmp_path_factory):
    """(incrementally refreshed warehouse, the same raw rows rebuilt with --full-refresh, row counts per refresh)."""
    from pipeline.dbt import load_vars
    from warehouse.load import load

    target = request.param
    tmp = tmp_path_factory.mktemp(f"refresh_{target}")
    duckdb_path, pg_database = fresh_warehouse(target, tmp, pg_suffix="_refresh")
    load(batch_dataset, target=target, duckdb_path=duckdb_path, pg_database=pg_database)
    built = BuiltWarehouse(target, duckdb_path, pg_database, load_vars(batch_dataset / "dbt_vars.yml"), batch_dataset)
    execute = _executor(built)
    set_aside(execute)
    execute("delete from pending.sessions")  # no tracker sessions: derived sessions, the harder case
    counts = []
    for batch in range(len(CUTS) + 1):
        release(execute, CUTS, batch)
        if batch == 0:
            built.dbt(["run"], tmp)
        elif batch == 2:
            built.dbt(["run", "--select", *INCREMENTAL_MODELS[:2]], tmp)  # a refresh cut short after two models
        else:
            built.dbt(["run", "--select", "stg_raw__events+"], tmp)  # what reads events (the rest cannot change)
        counts.append(int(built.query("select count(*) as n from marts.fct_events")["n"][0]))
    full = _copy(built, tmp)
    full.dbt(["run", "--select", "stg_raw__events+", "--full-refresh"], tmp)
    return built, full, counts


def test_each_batch_adds_events(refreshed):
    _, _, counts = refreshed
    assert all(later > earlier for earlier, later in zip(counts, counts[1:], strict=False)), counts


def test_batches_planted_late_redelivered_and_skewed_rows(refreshed):
    built, _, _ = refreshed
    raw = built.query(
        "select count(*) as deliveries, count(distinct event_id) as events,"
        " sum(case when substr(md5(event_id), 1, 1) = '0' and loaded_at > occurred_at + interval '3 day'"
        " then 1 else 0 end) as late from raw.events"
    )
    assert raw["deliveries"][0] > raw["events"][0]  # re-deliveries exist
    assert raw["late"][0] > 20  # events arriving days after they happened
    stg = built.query("select count(*) as n, count(distinct event_id) as d from staging.stg_raw__events")
    assert stg["n"][0] == stg["d"][0] == raw["events"][0]


def test_refreshed_marts_equal_a_full_rebuild(refreshed):
    built, full, _ = refreshed
    left, right = _reader(built), _reader(full)
    try:
        comparison = compare_schemas(left, right, tolerance=Tolerance(rel_tol=1e-9))
    finally:
        left.close()
        right.close()
    assert comparison.only_left == [] and comparison.only_right == []
    assert comparison.rows_compared > 10_000
    assert comparison.equal, "\n".join(comparison.differences())


def test_late_events_joined_sessions_built_earlier(refreshed):
    """Late events landed in sessions holding events delivered batches before (the recompute had work to do)."""
    built, _, _ = refreshed
    joined = built.query(
        "select count(distinct late.event_id) as n from marts.fct_events as late"
        " inner join marts.fct_events as earlier on late.session_id = earlier.session_id"
        " where substr(md5(late.event_id), 1, 1) = '0' and earlier.loaded_at < late.loaded_at - interval '1 day'"
    )
    assert joined["n"][0] > 0
