"""The MetricFlow semantic layer (dbt_project/models/semantic/) returns the marts' numbers.

`mf query` runs against the small DuckDB warehouse the `built_duckdb` fixture built. MetricFlow reads
`<project>/target/semantic_manifest.json` (a fixed path), so the test parses a private copy of the dbt project
instead of writing into the shared one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.dbt import DBT_PROJECT_DIR, dbt_executable

BIN = Path(sys.executable).parent
MONTHLY = ["sign_ups", "new_users", "active_users", "funnel_entrants", "conversions", "revenue", "mrr"]


@pytest.fixture(scope="module")
def mf_project(built_duckdb, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A parsed copy of the dbt project and the environment that points `mf` at the built warehouse."""
    import json

    project = tmp_path_factory.mktemp("mf") / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    env = dict(os.environ)
    env.update(
        {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DBT_TARGET": "duckdb",
            "DUCKDB_PATH": str(built_duckdb.duckdb_path),
            "DBT_PROFILES_DIR": str(project),
            "DBT_PROJECT_DIR": str(project),
        }
    )
    # The semantic manifest renders vars (the funnel length), so parse with the dataset's vars.
    cmd = [dbt_executable(), "parse", "--project-dir", str(project), "--profiles-dir", str(project)]
    cmd += ["--vars", json.dumps(built_duckdb.vars, sort_keys=True)]
    proc = subprocess.run(cmd, cwd=project, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert (project / "target" / "semantic_manifest.json").exists()
    return project, env


def mf(project_env: tuple[Path, dict[str, str]], *args: str) -> subprocess.CompletedProcess[str]:
    project, env = project_env
    mf_bin = str(BIN / "mf") if (BIN / "mf").exists() else "mf"
    return subprocess.run([mf_bin, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)


def mf_query(project_env, metrics: list[str], group_by: list[str], tmp_path: Path) -> pd.DataFrame:
    out = tmp_path / f"{'_'.join(metrics)[:60]}_{len(group_by)}.csv"
    proc = mf(project_env, "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(out))
    assert proc.returncode == 0 and out.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    df = pd.read_csv(out)
    df["month"] = pd.to_datetime(df["metric_time__month"]).dt.date
    return df.drop(columns=["metric_time__month"])


def month_of(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.to_period("M").dt.to_timestamp().dt.date


@pytest.fixture(scope="module")
def monthly(mf_project, tmp_path_factory) -> pd.DataFrame:
    """One `mf query` for every monthly metric (each `mf` run loads dbt: ~15 s)."""
    got = mf_query(mf_project, [*MONTHLY, "conversion_rate"], ["metric_time__month"], tmp_path_factory.mktemp("mfq"))
    return got.dropna(subset=["month"]).set_index("month").sort_index()


def test_monthly_metrics_equal_the_marts(monthly, built_duckdb):
    got = monthly

    q = built_duckdb.query
    signups = q("select date_day, signups from marts.fct_daily_metrics")
    signups = signups.groupby(month_of(signups["date_day"]))["signups"].sum()
    growth = q("select period_start, new_users, active_users from marts.growth_accounting where period_grain = 'month'")
    growth.index = month_of(growth["period_start"])
    funnel = q(
        "select entry_date, step_number, entered_users, step_users, max(step_number) over () as last_step"
        " from marts.funnel_conversion"
    )
    funnel["month"] = month_of(funnel["entry_date"])
    entrants = funnel[funnel["step_number"] == 1].groupby("month")["entered_users"].sum()
    conversions = funnel[funnel["step_number"] == funnel["last_step"]].groupby("month")["step_users"].sum()
    revenue = q("select month_start_date, revenue from marts.revenue_metrics")
    revenue.index = month_of(revenue["month_start_date"])
    mrr = q("select month_start_date, ending_mrr from marts.mrr_movements")
    mrr.index = month_of(mrr["month_start_date"])

    assert len(got) >= 5, "expected about five months of data"
    for month, row in got.iterrows():
        assert row["sign_ups"] == signups.get(month, 0), month
        assert row["new_users"] == growth.loc[month, "new_users"], month
        assert row["active_users"] == growth.loc[month, "active_users"], month
        assert row["funnel_entrants"] == entrants.get(month, 0), month
        assert row["conversions"] == conversions.get(month, 0), month
        # money: exact to the cent (revenue is numeric(18,2)); MRR carries the mart's 4 decimals
        assert round(float(row["revenue"]), 2) == round(float(revenue.loc[month, "revenue"]), 2), month
        assert float(row["mrr"]) == pytest.approx(float(mrr.loc[month, "ending_mrr"]), abs=1e-6), month
    # every month of the marts is covered (sign-ups happen every month of the data)
    assert set(signups[signups > 0].index) <= set(got.index)


def test_dimensions_split_the_same_totals(mf_project, built_duckdb, tmp_path):
    by_channel = mf_query(mf_project, ["sign_ups", "active_users"], ["metric_time__month", "user__channel"], tmp_path)
    users = built_duckdb.query("select signup_date, acquisition_channel from marts.dim_users")
    expected = users.groupby([month_of(users["signup_date"]), users["acquisition_channel"]]).size()
    got = by_channel.dropna(subset=["sign_ups"]).set_index(["month", "user__channel"])["sign_ups"]
    got = got[got > 0]
    assert got.sort_index().to_dict() == {k: v for k, v in expected.sort_index().to_dict().items() if v > 0}

    # active users by channel = distinct active users of the channel in the month (growth_accounting_by_channel)
    growth = built_duckdb.query(
        "select period_start, acquisition_channel, active_users from marts.growth_accounting_by_channel"
        " where period_grain = 'month' and active_users > 0"
    )
    expected_active = dict(
        zip(
            zip(month_of(growth["period_start"]), growth["acquisition_channel"], strict=True),
            growth["active_users"],
            strict=True,
        )
    )
    got_active = by_channel.dropna(subset=["active_users"]).set_index(["month", "user__channel"])["active_users"]
    assert {k: v for k, v in got_active.to_dict().items() if v > 0} == expected_active

    by_plan = mf_query(mf_project, ["mrr"], ["metric_time__month", "plan__plan_name"], tmp_path)
    # subscription months without a plan in force at the snapshot (plan_id null, MRR 0) form their own group
    mrr = built_duckdb.query(
        "select m.month_start_date, coalesce(p.plan_name, '<none>') as plan_name, sum(m.mrr) as mrr"
        " from marts.mrr as m left join marts.dim_plans as p on m.plan_id = p.plan_id group by 1, 2"
    )
    expected_mrr = {
        (month, plan): float(v)
        for month, plan, v in zip(month_of(mrr["month_start_date"]), mrr["plan_name"], mrr["mrr"], strict=True)
    }
    by_plan["plan__plan_name"] = by_plan["plan__plan_name"].fillna("<none>")
    got_mrr = by_plan.set_index(["month", "plan__plan_name"])["mrr"].astype(float).to_dict()
    assert got_mrr.keys() == expected_mrr.keys()
    for key, value in expected_mrr.items():
        assert got_mrr[key] == pytest.approx(value, abs=1e-6), key
    assert sum(expected_mrr.values()) > 0


def test_conversion_rate_is_the_ratio_of_its_parts(monthly):
    df = monthly[monthly["funnel_entrants"] > 0]
    assert not df.empty
    for _, row in df.iterrows():
        assert row["conversion_rate"] == pytest.approx(row["conversions"] / row["funnel_entrants"], rel=1e-9)
