"""The dbt build on the small generated business, on both warehouses: what exists, and core facts vs truth."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

# `ml` holds what the churn step writes (scores, backtest); dbt creates its tables empty before the first training.
SCHEMAS = {"raw", "staging", "intermediate", "marts", "ml"}
# Schemas a warehouse always has, which must stay empty: DuckDB's `main`, PostgreSQL's `public`.
DEFAULT_SCHEMAS = {"main", "public"}
SYSTEM_SCHEMAS = {"information_schema", "pg_catalog", "pg_toast"}


def marts_relations(built, tmp: Path) -> set[str]:
    """Relation names of every model dbt builds into schema marts, from `dbt ls` (whatever folder it lives in)."""
    proc = built.dbt(
        ["ls", "--resource-type", "model", "--output", "json", "--output-keys", "name schema config", "--quiet"], tmp
    )
    relations = set()
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        node = json.loads(line)
        if node["schema"] == "marts" and node["config"]["materialized"] != "ephemeral":
            relations.add(node["config"].get("alias") or node["name"])
    return relations


def scalar(built, sql: str):
    return built.query(sql).iloc[0, 0]


def test_schemas_are_exactly_raw_staging_intermediate_marts_ml(built):
    schemas = built.query(
        "select distinct table_schema from information_schema.tables"
        " where table_schema not in ('information_schema', 'pg_catalog')"
    )["table_schema"]
    assert set(schemas) == SCHEMAS
    all_schemas = set(built.query("select schema_name from information_schema.schemata")["schema_name"])
    unexpected = {s for s in all_schemas - SCHEMAS - DEFAULT_SCHEMAS - SYSTEM_SCHEMAS if not s.startswith("pg_")}
    assert unexpected == set()


def test_every_marts_model_exists_with_rows(built, tmp_path):
    tables = built.query("select table_name, table_type from information_schema.tables where table_schema = 'marts'")
    expected = marts_relations(built, tmp_path)
    assert {"dim_users", "fct_events", "growth_accounting", "cohort_retention"} <= expected
    assert set(tables["table_name"]) == expected
    assert set(tables["table_type"]) == {"BASE TABLE"}
    empty = [t for t in sorted(tables["table_name"]) if scalar(built, f"select count(*) from marts.{t}") == 0]
    assert empty == []


def test_core_facts_match_planted_counts(built, truth):
    counts = truth["counts"]
    assert scalar(built, "select count(*) from raw.events") == counts["events"]
    # Staging removes re-deliveries: one row per distinct event.
    assert scalar(built, "select count(*) from marts.fct_events") == counts["distinct_events"]
    assert scalar(built, "select count(*) from marts.dim_users") == counts["users"]
    assert scalar(built, "select count(*) from marts.fct_sessions") == counts["sessions"]
    assert scalar(built, "select count(*) from marts.fct_sessions where is_derived") == 0


def test_calendar_and_periods_span_the_data(built, truth, small_vars):
    first, last = built.query("select min(date_day), max(date_day), count(*) from marts.dim_date").iloc[0, :2]
    assert pd.Timestamp(first) == pd.Timestamp(truth["start_date"])
    days = scalar(built, "select count(*) from marts.dim_date")
    assert days == (pd.Timestamp(last) - pd.Timestamp(first)).days + 1
    assert days == truth["days"]
    periods = built.query("select period_grain, count(*) as n from marts.dim_periods group by period_grain")
    per_grain = dict(zip(periods["period_grain"], periods["n"].astype(int), strict=True))
    assert per_grain["day"] == days
    # pandas names a weekly period by the weekday it ends on: the day before var('week_start').
    weekdays = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
    week_start = weekdays.index(str(small_vars.get("week_start", "monday"))[:3].upper())
    weekly = pd.date_range(first, last, freq="D").to_period(f"W-{weekdays[week_start - 1]}")
    assert per_grain["week"] == len(weekly.unique())
    assert per_grain["month"] == len(pd.date_range(first, last, freq="D").to_period("M").unique())


def test_daily_metrics_add_up(built):
    daily = built.query(
        "select sum(signups) as signups, sum(events) as events, sum(revenue) as revenue from marts.fct_daily_metrics"
    )
    assert int(daily["signups"].iloc[0]) == scalar(built, "select count(*) from marts.dim_users")
    assert int(daily["events"].iloc[0]) == scalar(built, "select count(*) from marts.fct_events")
    net = scalar(
        built,
        "select sum(case when payment_type = 'refund' then -amount else amount end) from raw.payments"
        " where status = 'succeeded'",
    )
    assert float(daily["revenue"].iloc[0]) == pytest.approx(float(net), abs=0.005)


def test_sessions_are_derived_when_raw_sessions_are_empty(built_duckdb, tmp_path, small_vars, truth):
    """Emptying raw.sessions switches fct_sessions to sessions derived by the 30-minute inactivity rule."""
    import duckdb

    copy_path = tmp_path / "no_sessions.duckdb"
    shutil.copy(built_duckdb.duckdb_path, copy_path)
    with duckdb.connect(str(copy_path)) as conn:
        conn.execute("delete from raw.sessions")
    derived = type(built_duckdb)("duckdb", Path(copy_path), None, small_vars, built_duckdb.data_dir)
    # fct_events and fct_sessions are incremental (new rows by arrival): rebuild them whole from the emptied raw.
    derived.dbt(["run", "--select", "fct_events", "fct_sessions", "--full-refresh"], tmp_path)

    sessions = derived.query("select * from marts.fct_sessions")
    assert sessions["is_derived"].all()
    # The simulator's sessions are separated by long gaps, so the derived count is close to the reported one.
    assert sessions.shape[0] == pytest.approx(truth["counts"]["sessions"], rel=0.05)
    events = derived.query(
        "select user_id, session_id, occurred_at from marts.fct_events order by user_id, occurred_at"
    )
    assert events["session_id"].notna().all()
    # A derived session's id is its user and its start (stable when a refresh sessionizes a user's tail again).
    assert all(sid.startswith(f"{uid}-") for sid, uid in zip(events["session_id"], events["user_id"], strict=True))
    gaps = events.groupby("user_id")["occurred_at"].diff()
    new_session = events["session_id"] != events.groupby("user_id")["session_id"].shift()
    timeout = pd.Timedelta(minutes=30)
    assert (gaps[new_session & gaps.notna()] > timeout).all()
    assert (gaps[~new_session] <= timeout).all()
    assert int(sessions["events"].sum()) == len(events)
