"""The data follows the scenario: planted truths recovered from the generated tables within stated tolerances.

Tolerances are 4 binomial standard errors (computed from the truth and the sample size) unless said otherwise.
Seeds are fixed, so these tests are deterministic; the tolerance says how far an honest estimate may stray.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from data_generation import generate
from data_generation.readback import first_deliveries, ordered_funnel, read_dataset, read_truth

# many users per day over a short period: funnel, incident, experiments, deliveries, spend
SHORT = {"scenario": "saas", "seed": 21, "users": 8000, "days": 60, "start_date": date(2025, 3, 3)}
# fewer users over a long period: retention, churn shape, trend and weekday pattern
LONG = {"scenario": "saas", "seed": 22, "users": 3000, "days": 240, "start_date": date(2025, 1, 6)}


def _se(p: float, n: int) -> float:
    return float(np.sqrt(max(p * (1 - p), 1e-9) / max(n, 1)))


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    folder = generate(output=tmp_path_factory.mktemp("short") / "saas", **SHORT)
    data = read_dataset(folder)
    data["events"] = first_deliveries(data["events"])
    return data, read_truth(folder), folder


@pytest.fixture(scope="module")
def long(tmp_path_factory):
    folder = generate(output=tmp_path_factory.mktemp("long") / "saas", **LONG)
    data = read_dataset(folder)
    data["events"] = first_deliveries(data["events"])
    return data, read_truth(folder)


@pytest.fixture(scope="module")
def funnel(short):
    """Ordered 14-day funnel per user entering early enough for a full window, incident day excluded."""
    data, truth, _ = short
    f = truth["funnel"]
    per_user = ordered_funnel(data["events"], f["steps"], f["conversion_window_days"])
    users = data["users"].set_index("user_id")
    per_user = per_user.join(users[["acquisition_channel", "device"]])
    end = pd.Timestamp(truth["end_date"]) + pd.Timedelta(days=1)
    full_window = per_user["entered_at"] + pd.Timedelta(days=f["conversion_window_days"]) <= end
    incident_days = {pd.Timestamp(i["date"]).date() for i in truth["incidents"]}
    normal_day = ~per_user["entered_at"].dt.date.isin(incident_days)
    return per_user[full_window & normal_day]


@pytest.mark.parametrize(
    "group, key", [("acquisition_channel", "step_conversion_by_channel"), ("device", "step_conversion_by_device")]
)
def test_step_conversion_matches_truth(short, funnel, group, key):
    _, truth, _ = short
    steps = truth["funnel"]["steps"]
    checked = 0
    for name, rows in funnel.groupby(group):
        for before, step in zip(steps, steps[1:], strict=False):
            n = int(rows[before].sum())
            observed = rows[step].sum() / n
            expected = truth["funnel"][key][name][step]
            assert abs(observed - expected) < 4 * _se(expected, n), (name, step, observed, expected, n)
            checked += 1
    assert checked == len(truth["funnel"][key]) * (len(steps) - 1)


def test_overall_conversion_by_channel_matches_truth_and_channels_differ(short, funnel):
    _, truth, _ = short
    last = truth["funnel"]["steps"][-1]
    observed = funnel.groupby("acquisition_channel")[last].mean()
    sizes = funnel.groupby("acquisition_channel").size()
    expected = pd.Series(truth["funnel"]["overall_conversion_by_channel"])
    for channel in expected.index:
        assert abs(observed[channel] - expected[channel]) < 4 * _se(expected[channel], sizes[channel])
    assert expected.max() > 1.5 * expected.min()  # channels really differ
    assert observed.idxmax() == expected.idxmax()


def test_the_incident_stands_out_in_daily_conversion_by_entry_date(short, funnel):
    data, truth, _ = short
    incident = truth["incidents"][0]
    steps = truth["funnel"]["steps"]
    # all users this time, incident day included
    per_user = ordered_funnel(data["events"], steps, truth["funnel"]["conversion_window_days"])
    end = pd.Timestamp(truth["end_date"]) + pd.Timedelta(days=1)
    per_user = per_user[per_user["entered_at"] + pd.Timedelta(days=14) <= end]
    before = steps[steps.index(incident["step"]) - 1]
    day = per_user["entered_at"].dt.date
    daily = per_user[per_user[before]].groupby(day[per_user[before]])[incident["step"]].mean()
    hit = pd.Timestamp(incident["date"]).date()
    assert daily.idxmin() == hit
    assert daily[hit] < 0.4 * daily.drop(hit).median()
    expected = truth["funnel"]["step_conversion"][incident["step"]] * incident["conversion_multiplier"]
    n = int(per_user.loc[day == hit, before].sum())
    assert abs(daily[hit] - expected) < 4 * _se(expected, n) + 0.02


def test_experiments_recover_the_planted_lift_and_split(short):
    data, truth, _ = short
    ev = data["events"]
    assigned = data["experiment_assignments"]
    checked = set()
    for exp_id, exp in truth["experiments"].items():
        rows = assigned[assigned["experiment_id"] == exp_id]
        n = len(rows)
        assert n > 1000
        for variant, share in exp["planned_split"].items():
            observed_share = (rows["variant"] == variant).mean()
            assert abs(observed_share - share) < 4 * _se(share, n)
            assert exp["assigned_users"][variant] == (rows["variant"] == variant).sum()
        goal = ev[ev["event_name"] == exp["goal_event"]][["user_id", "occurred_at"]]
        joined = rows.merge(goal, on="user_id", how="left")
        joined["hit"] = (joined["occurred_at"] > joined["assigned_at"]) & (
            joined["occurred_at"] <= joined["assigned_at"] + pd.Timedelta(days=exp["window_days"])
        )
        converted = joined.groupby(["variant", "user_id"])["hit"].any().groupby("variant").mean()
        sizes = rows.groupby("variant").size()
        for variant, rate in exp["conversion_rate"].items():
            assert abs(converted[variant] - rate) < 4 * _se(rate, sizes[variant]), (exp_id, variant)
        control, treatment = exp["control_variant"], exp["treatment_variant"]
        lift = converted[treatment] - converted[control]
        se = np.hypot(
            _se(exp["conversion_rate"][control], sizes[control]),
            _se(exp["conversion_rate"][treatment], sizes[treatment]),
        )
        assert abs(lift - exp["true_absolute_lift"]) < 4 * se
        checked.add(exp["has_effect"])
    assert checked == {True, False}


def test_duplicate_and_late_deliveries_are_near_their_planted_shares(short):
    _, truth, folder = short
    raw = pd.read_parquet(folder / "events.parquet", columns=["event_id", "occurred_at", "loaded_at"])
    distinct = raw["event_id"].nunique()
    duplicate_rows = len(raw) - distinct
    assert truth["delivery"]["duplicate_rows"] == duplicate_rows
    share = truth["duplicate_event_share"]
    assert abs(duplicate_rows / distinct - share) < 4 * _se(share, distinct)
    first = first_deliveries(raw)
    lag = first["loaded_at"] - first["occurred_at"]
    late = lag >= pd.Timedelta(days=1)
    assert abs(late.mean() - truth["late_event_share"]) < 4 * _se(truth["late_event_share"], distinct)
    assert (lag[late] <= pd.Timedelta(days=5)).all()
    assert lag[~late].quantile(0.5) < pd.Timedelta(minutes=1)
    assert lag[~late].max() <= pd.Timedelta(minutes=30)


def test_spend_follows_paid_sign_ups_at_the_stated_cost(short):
    data, truth, _ = short
    spend = data["marketing_spend"]
    users = data["users"]
    for channel, info in truth["channels"].items():
        if not info["paid"]:
            assert channel not in set(spend["channel"])
            continue
        rows = spend[spend["channel"] == channel].set_index("spend_date")
        signups = users[users["acquisition_channel"] == channel]["created_at"].dt.date.value_counts()
        cac = rows["spend"].sum() / signups.sum()
        assert cac == pytest.approx(info["cost_per_signup"], rel=0.05)
        daily = pd.DataFrame({"spend": rows["spend"], "signups": signups}).fillna(0)
        assert daily["spend"].corr(daily["signups"]) > 0.6
        assert (rows["clicks"] <= rows["impressions"]).all()


def test_sessions_mix_channels_so_attribution_models_differ(short):
    data, _, _ = short
    sessions = data["sessions"]
    users = data["users"].set_index("user_id")
    per_user = sessions.groupby("user_id")["channel"].nunique()
    assert (per_user > 1).mean() > 0.3
    first_touch = sessions.sort_values("started_at").groupby("user_id")["channel"].first()
    assert (first_touch == users.loc[first_touch.index, "acquisition_channel"]).all()
    ev = data["events"]
    conversions = ev[ev["event_name"] == "subscribe"].dropna(subset=["session_id"])
    last_touch = conversions["session_id"].map(sessions.set_index("session_id")["channel"])
    differs = (last_touch.values != users.loc[conversions["user_id"], "acquisition_channel"].values).mean()
    assert 0.2 < differs < 0.9


def test_sign_ups_grow_and_follow_the_week(long):
    data, truth = long
    cal = truth["calendar"]
    start = pd.Timestamp(truth["start_date"])
    days = pd.date_range(start, periods=truth["days"], freq="D")
    counts = data["users"]["created_at"].dt.normalize().value_counts().reindex(days, fill_value=0)
    weekday = np.asarray(list(cal["weekday_weights"].values()))[days.day_of_week]
    season = 1 + cal["seasonality_amplitude"] * np.cos(
        2 * np.pi * (days.day_of_year - 1 - cal["seasonality_peak_day_of_year"]) / 365.2425
    )
    adjusted = counts / (weekday / weekday.mean()) / season
    half = truth["days"] // 2
    ratio = adjusted.iloc[half:].sum() / adjusted.iloc[:half].sum()
    expected = (1 + cal["growth_per_year"]) ** (half / 365)
    se = ratio * np.sqrt(1 / counts.iloc[:half].sum() + 1 / counts.iloc[half:].sum())
    assert abs(ratio - expected) < 4 * se
    assert ratio > 1.1
    per_weekday = counts.groupby(days.day_of_week).mean()
    assert per_weekday[[5, 6]].max() < 0.75 * per_weekday[[0, 1, 2, 3]].min()


def _activity_weeks(data, truth) -> tuple[pd.DataFrame, pd.Series]:
    ev = data["events"]
    activity = ev[ev["event_name"].isin(["login", "page_view", "feature_used", "search"])]
    created = data["users"].set_index("user_id")["created_at"]
    end = pd.Timestamp(truth["end_date"]) + pd.Timedelta(days=1)
    eligible = created[created + pd.Timedelta(weeks=13) <= end]
    act = activity[activity["user_id"].isin(eligible.index)]
    week = ((act["occurred_at"] - act["user_id"].map(eligible)) // pd.Timedelta(weeks=1)).astype(int)
    day = ((act["occurred_at"] - act["user_id"].map(eligible)) // pd.Timedelta(days=1)).astype(int)
    active = pd.crosstab(act["user_id"], week).reindex(index=eligible.index, fill_value=0) > 0
    first_week_days = day[week == 0].groupby(act.loc[week == 0, "user_id"]).nunique().reindex(eligible.index).fillna(0)
    return active, first_week_days


def test_more_first_week_activity_predicts_better_retention(long):
    data, truth = long
    active, first_week = _activity_weeks(data, truth)
    assert len(active) > 800
    high = first_week >= first_week.quantile(0.75)
    low = first_week <= first_week.quantile(0.25)
    for week in (4, 8, 12):
        hi, lo = active.loc[high, week].mean(), active.loc[low, week].mean()
        assert hi > lo + 4 * np.hypot(_se(hi, high.sum()), _se(lo, low.sum())), week


def test_churn_is_steep_early_then_flattens(long):
    data, truth = long
    active, _ = _activity_weeks(data, truth)
    curve = active.mean()
    assert curve[1] - curve[4] > 2.0 * (curve[8] - curve[11])
    assert curve[12] > 0.03  # a tail of retained users


def test_retention_differs_by_segment_as_planted(long):
    data, truth = long
    active, _ = _activity_weeks(data, truth)
    segment = data["users"].set_index("user_id").loc[active.index, "segment"]
    week8 = active[8].groupby(segment).mean()
    scale = pd.Series({s: v["weibull_scale_days"] for s, v in truth["segments"].items()})
    assert list(week8.sort_values().index) == list(scale.sort_values().index)


def test_end_date_is_the_last_day_with_data(long):
    data, truth = long
    last = data["events"]["occurred_at"].max().date()
    assert last == date.fromisoformat(truth["end_date"])
    assert date.fromisoformat(truth["end_date"]) == LONG["start_date"] + timedelta(days=LONG["days"] - 1)
