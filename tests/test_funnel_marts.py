"""The funnel marts recover what the simulator planted, and agree with an independent pandas funnel.

* Per channel, the step conversions and the overall conversion of `funnel_conversion` match
  truth.funnel.step_conversion_by_channel / overall_conversion_by_channel within a 4-sigma band: an exact two-sided
  binomial test of the mart's k converters out of n (the users the mart counted in the denominator) against the
  planted p must not reject at 6.3e-5, the two-sided tail beyond 4 sigma of a normal (exact, because a channel's
  last step can have only ~20 users). Like the truth, the comparison uses entry cohorts whose windows have closed
  and leaves out the incident day.
* The funnel recomputed in pandas from fct_events and dim_users equals the mart cell by cell.
* The planted incident day is the most extreme day of `funnel_conversion_daily`. At the shared small scale
  (about 10 sign-ups a day) no single day can stand out, so this test generates a larger dataset of its own
  (100 sign-ups a day for 56 days) and builds it on DuckDB only; the cross-warehouse equality of the SQL is
  covered by the tests on `built`.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.conftest import BuiltWarehouse

SIGMAS = 4.0
FOUR_SIGMA_TWO_SIDED = math.erfc(SIGMAS / math.sqrt(2))  # 6.3e-5
INCIDENT_SCENARIO = {"scenario": "saas", "seed": 11, "users": 5600, "days": 56, "start_date": date(2025, 1, 6)}


def _as_date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.date


def _incident_dates(truth: dict[str, Any]) -> set[date]:
    return {date.fromisoformat(i["date"]) for i in truth.get("incidents", [])}


def _closed_cells(built: BuiltWarehouse, truth: dict[str, Any]) -> pd.DataFrame:
    cells = built.query(
        "select acquisition_channel, step_name, step_number, entry_date, entered_users, step_users, "
        "previous_step_users from marts.funnel_conversion where is_window_closed"
    )
    cells["entry_date"] = _as_date(cells["entry_date"])
    cells = cells[~cells["entry_date"].isin(_incident_dates(truth))]
    for col in ("entered_users", "step_users", "previous_step_users"):
        cells[col] = pd.to_numeric(cells[col])
    return cells


def _within_band(observed_k: int, n: int, p: float) -> tuple[bool, float]:
    """(k of n is consistent with p at the 4-sigma level, sigma of the rate)."""
    from scipy.stats import binomtest

    sigma = math.sqrt(p * (1 - p) / n)
    return binomtest(int(observed_k), int(n), p).pvalue >= FOUR_SIGMA_TWO_SIDED, sigma


def test_step_conversion_by_channel_recovers_truth(built: BuiltWarehouse, truth: dict[str, Any]) -> None:
    cells = _closed_cells(built, truth)
    planted = truth["funnel"]["step_conversion_by_channel"]
    steps = truth["funnel"]["steps"]
    assert sorted(cells["acquisition_channel"].unique()) == sorted(planted)
    failures = []
    checked = 0
    for channel, by_step in planted.items():
        rows = cells[cells["acquisition_channel"] == channel]
        for step in steps[1:]:
            step_rows = rows[rows["step_name"] == step]
            n, k = step_rows["previous_step_users"].sum(), step_rows["step_users"].sum()
            assert n >= 10, f"{channel}/{step}: only {n} users reached the previous step"
            ok, sigma = _within_band(k, n, by_step[step])
            checked += 1
            if not ok:
                failures.append(
                    f"{channel}/{step}: {k}/{n} = {k / n:.4f}, planted {by_step[step]:.4f} ± {SIGMAS}×{sigma:.4f}"
                )
    assert checked == len(planted) * (len(steps) - 1)
    assert not failures, "\n".join(failures)


def test_overall_conversion_by_channel_recovers_truth(built: BuiltWarehouse, truth: dict[str, Any]) -> None:
    cells = _closed_cells(built, truth)
    final_step = truth["funnel"]["steps"][-1]
    failures = []
    for channel, p in truth["funnel"]["overall_conversion_by_channel"].items():
        rows = cells[(cells["acquisition_channel"] == channel) & (cells["step_name"] == final_step)]
        n, k = rows["entered_users"].sum(), rows["step_users"].sum()
        ok, sigma = _within_band(k, n, p)
        if not ok:
            failures.append(f"{channel}: {k}/{n} = {k / n:.4f}, planted {p:.4f} ± {SIGMAS}×{sigma:.4f}")
    assert not failures, "\n".join(failures)


def _pandas_funnel(built: BuiltWarehouse) -> pd.DataFrame:
    """The strict ordered funnel, user by user, written independently of the SQL."""
    steps: list[str] = list(built.vars["funnel_steps"])
    window = pd.Timedelta(days=int(built.vars["funnel_conversion_window_days"]))
    names = ", ".join("'" + s.replace("'", "''") + "'" for s in steps)
    events = built.query(
        f"select event_id, user_id, event_name, device, event_date, occurred_at from marts.fct_events "
        f"where event_name in ({names})"
    )
    events["occurred_at"] = pd.to_datetime(events["occurred_at"])
    last_event_at = pd.to_datetime(built.query("select max(occurred_at) as t from marts.fct_events")["t"].iloc[0])
    users = built.query("select user_id, acquisition_channel from marts.dim_users")

    entries = (
        events[events["event_name"] == steps[0]]
        .sort_values(["user_id", "occurred_at", "event_id"])
        .drop_duplicates("user_id", keep="first")
        .rename(columns={"device": "entry_device", "occurred_at": "entered_at"})
    )
    entries["entry_date"] = _as_date(entries["event_date"])
    entries["window_ends_at"] = entries["entered_at"] + window
    entries = entries.merge(users, on="user_id", how="left")
    entries["acquisition_channel"] = entries["acquisition_channel"].fillna("unknown")
    base = entries[["user_id", "acquisition_channel", "entry_device", "entry_date", "entered_at", "window_ends_at"]]

    frames = []
    reached = base[["user_id"]].assign(reached_at=base["entered_at"])
    for number, step in enumerate(steps, start=1):
        if number > 1:
            candidates = events.loc[events["event_name"] == step, ["user_id", "occurred_at"]]
            candidates = candidates.merge(reached, on="user_id").merge(
                base[["user_id", "window_ends_at"]], on="user_id"
            )
            in_order = candidates[
                (candidates["occurred_at"] >= candidates["reached_at"])
                & (candidates["occurred_at"] <= candidates["window_ends_at"])
            ]
            reached = in_order.groupby("user_id", as_index=False)["occurred_at"].min()
            reached = reached.rename(columns={"occurred_at": "reached_at"})
        per_step = base.merge(reached, on="user_id", how="left").assign(step_number=number)
        frames.append(per_step)
    users_steps = pd.concat(frames, ignore_index=True)
    users_steps["is_reached"] = users_steps["reached_at"].notna()
    users_steps["is_in_window"] = ~users_steps["is_reached"] & (users_steps["window_ends_at"] > last_event_at)
    users_steps["hours"] = (users_steps["reached_at"] - users_steps["entered_at"]).dt.total_seconds() / 3600
    return users_steps


def test_funnel_recomputed_in_pandas_equals_mart(built: BuiltWarehouse) -> None:
    users_steps = _pandas_funnel(built)
    keys = ["entry_date", "acquisition_channel", "entry_device", "step_number"]
    expected = (
        users_steps.groupby(keys)
        .agg(
            entered_users=("user_id", "size"),
            step_users=("is_reached", "sum"),
            users_in_window=("is_in_window", "sum"),
            median_hours_from_entry=("hours", "median"),
        )
        .reset_index()
    )
    mart = built.query(
        "select entry_date, acquisition_channel, entry_device, step_number, entered_users, step_users, "
        "users_in_window, median_hours_from_entry from marts.funnel_conversion"
    )
    mart["entry_date"] = _as_date(mart["entry_date"])
    merged = expected.merge(mart, on=keys, how="outer", suffixes=("_pandas", "_mart"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head(10).to_string()
    assert len(merged) > 100
    for col in ("entered_users", "step_users", "users_in_window"):
        diff = merged[merged[f"{col}_pandas"].astype(int) != merged[f"{col}_mart"].astype(int)]
        assert diff.empty, f"{col} differs:\n{diff.head(10).to_string()}"
    np.testing.assert_allclose(
        merged["median_hours_from_entry_mart"].astype(float),
        merged["median_hours_from_entry_pandas"].astype(float),
        rtol=0,
        atol=1e-6,
    )
    # The mart's totals are the users who entered (one row per user and step).
    assert users_steps["user_id"].nunique() == int(mart.loc[mart["step_number"] == 1, "entered_users"].sum())


def test_daily_mart_is_the_channel_mart_rolled_up(built: BuiltWarehouse) -> None:
    daily = built.query(
        "select entry_date, step_number, entered_users, step_users, users_in_window from marts.funnel_conversion_daily"
    )
    cells = built.query(
        "select entry_date, step_number, sum(entered_users) as entered_users, sum(step_users) as step_users, "
        "sum(users_in_window) as users_in_window from marts.funnel_conversion group by entry_date, step_number"
    )
    for frame in (daily, cells):
        frame["entry_date"] = _as_date(frame["entry_date"])
    merged = daily.merge(cells, on=["entry_date", "step_number"], how="left", suffixes=("", "_cells"))
    for col in ("entered_users", "step_users", "users_in_window"):
        rolled = merged[f"{col}_cells"].fillna(0).astype(int)
        assert (merged[col].astype(int) == rolled).all(), col
    # Every day from the first to the last event date, for every step.
    days = pd.date_range(min(daily["entry_date"]), max(daily["entry_date"]), freq="D").date
    assert len(daily) == len(days) * len(built.vars["funnel_steps"])


@pytest.fixture(scope="module")
def incident_built(tmp_path_factory) -> tuple[BuiltWarehouse, dict[str, Any]]:
    import json

    from data_generation import generate
    from pipeline.dbt import load_vars
    from warehouse.load import load

    tmp: Path = tmp_path_factory.mktemp("funnel_incident")
    data_dir = generate(output=tmp / "saas", quiet=True, **INCIDENT_SCENARIO)
    duckdb_path = tmp / "warehouse.duckdb"
    load(data_dir, target="duckdb", duckdb_path=duckdb_path)
    built = BuiltWarehouse("duckdb", duckdb_path, None, load_vars(data_dir / "dbt_vars.yml"), data_dir)
    built.dbt(["run", "--select", "+funnel_conversion_daily"], tmp)
    return built, json.loads((data_dir / "truth.json").read_text())


def test_incident_day_is_the_most_extreme_day(incident_built: tuple[BuiltWarehouse, dict[str, Any]]) -> None:
    built, truth = incident_built
    assert truth["incidents"], "the saas scenario plants an incident"
    for incident in truth["incidents"]:
        daily = built.query(
            "select entry_date, entered_users, step_users, conversion_from_first_step "
            "from marts.funnel_conversion_daily where step_name = ? and is_window_closed and entered_users > 0",
            (incident["step"],),
        )
        daily["entry_date"] = _as_date(daily["entry_date"])
        day = date.fromisoformat(incident["date"])
        assert day in set(daily["entry_date"]), f"incident day {day} has no closed window in the data"
        rate = daily.set_index("entry_date")["conversion_from_first_step"]
        others = rate.drop(day)
        assert len(others) >= 30
        assert rate.idxmin() == day, f"lowest day is {rate.idxmin()} ({rate.min():.3f}), incident {rate[day]:.3f}"
        # Far below the typical day: the planted multiplier is 0.15, so half the median is a generous bound.
        assert rate[day] < 0.5 * others.median(), (rate[day], others.median())


def test_bad_funnel_steps_fail_with_one_clear_line(built_duckdb: BuiltWarehouse, tmp_path: Path) -> None:
    bad = dict(built_duckdb.vars, funnel_steps=["sign_up"])
    proc = built_duckdb.dbt(["compile", "--select", "int_funnel_steps_enumerated"], tmp_path, vars=bad, check=False)
    assert proc.returncode != 0
    assert "var('funnel_steps') needs at least two steps" in proc.stdout
    repeated = dict(built_duckdb.vars, funnel_steps=["sign_up", "activate", "sign_up"])
    proc = built_duckdb.dbt(
        ["compile", "--select", "int_funnel_steps_enumerated"], tmp_path, vars=repeated, check=False
    )
    assert proc.returncode != 0
    assert "var('funnel_steps') repeats an event name" in proc.stdout
