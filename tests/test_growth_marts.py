"""Growth and retention marts recomputed independently in pandas, on both warehouses.

Every mart here is rebuilt from the most basic fact table (fct_user_activity_daily, dim_users) with plain
pandas and compared row by row, so a wrong join or window in SQL shows up as a difference. The last tests
check planted truths of the simulator: segments and channels with a higher true churn retain fewer users.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
GRAINS = ("day", "week", "month")


# ---------------------------------------------------------------- helpers (the reference implementation)


def period_start(dates: pd.Series, grain: str, week_start: str) -> pd.Series:
    """First day of the day / week (starting on ``week_start``) / month containing each date."""
    dates = pd.to_datetime(dates).dt.normalize()
    if grain == "day":
        return dates
    if grain == "week":
        offset = (dates.dt.day_of_week - WEEKDAYS.index(week_start)) % 7
        return dates - pd.to_timedelta(offset, unit="D")
    return dates.dt.to_period("M").dt.to_timestamp()


def next_period(start: pd.Timestamp, grain: str) -> pd.Timestamp:
    if grain == "day":
        return start + pd.Timedelta(days=1)
    if grain == "week":
        return start + pd.Timedelta(days=7)
    return start + pd.offsets.MonthBegin(1)


def period_spine(first_day: pd.Timestamp, last_day: pd.Timestamp, grain: str, week_start: str) -> list[pd.Timestamp]:
    start = period_start(pd.Series([first_day]), grain, week_start).iloc[0]
    spine = []
    while start <= last_day:
        spine.append(start)
        start = next_period(start, grain)
    return spine


def expected_growth_accounting(
    activity: pd.DataFrame, first_day: pd.Timestamp, last_day: pd.Timestamp, grain: str, week_start: str
) -> pd.DataFrame:
    """Growth accounting by the book: sets of active users per period, compared with the period before."""
    spine = period_spine(first_day, last_day, grain, week_start)
    periods = activity.assign(period=period_start(activity["activity_date"], grain, week_start))
    active_sets = periods.groupby("period")["user_id"].agg(set).to_dict()
    first_period = periods.groupby("user_id")["period"].min()
    rows = []
    previous: set = set()
    for start in spine:
        active = active_sets.get(start, set())
        new = {u for u in active if first_period[u] == start}
        retained = active & previous
        resurrected = active - new - retained
        churned = previous - active
        rows.append(
            {
                "period_start": start,
                "active_users": len(active),
                "new_users": len(new),
                "retained_users": len(retained),
                "resurrected_users": len(resurrected),
                "churned_users": len(churned),
                "retention_rate": len(retained) / len(previous) if previous else np.nan,
                "quick_ratio": (len(new) + len(resurrected)) / len(churned) if churned else np.nan,
                "is_complete_period": next_period(start, grain) - pd.Timedelta(days=1) <= last_day,
            }
        )
        previous = active
    return pd.DataFrame(rows)


def normalise(df: pd.DataFrame, date_columns: list[str]) -> pd.DataFrame:
    """Dates as Timestamps, numbers as floats, text as Python str, so DuckDB and PostgreSQL frames compare alike."""
    out = df.copy()
    for column in out.columns:
        values = out[column]
        if column in date_columns:
            out[column] = pd.to_datetime(values)
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.astype(bool)
        elif pd.api.types.is_numeric_dtype(values):
            out[column] = values.astype(float)
        elif values.map(lambda v: v is None or isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)).all():
            out[column] = pd.to_numeric(values.map(lambda v: None if v is None else float(v)))
        else:
            out[column] = values.astype(object)
    return out


def assert_frames_match(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], label: str) -> None:
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert len(actual) == len(expected), f"{label}: {len(actual)} rows, expected {len(expected)}"
    for column in expected.columns:
        a, e = actual[column], expected[column]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            same = np.isclose(a.astype(float), e.astype(float), rtol=1e-9, atol=1e-12, equal_nan=True)
        else:
            same = (a.astype(str) == e.astype(str)).to_numpy()
        if not same.all():
            bad = actual.loc[~same, keys].assign(actual=a[~same], expected=e[~same]).head(5)
            raise AssertionError(f"{label}: column {column} differs in {int((~same).sum())} rows, e.g.\n{bad}")


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def week_start(small_vars: dict[str, Any]) -> str:
    return str(small_vars.get("week_start", "monday")).lower()


@pytest.fixture(scope="module")
def activity(built) -> pd.DataFrame:
    df = built.query("select user_id, acquisition_channel, segment, activity_date from marts.fct_user_activity_daily")
    return df.assign(activity_date=pd.to_datetime(df["activity_date"]))


@pytest.fixture(scope="module")
def data_range(built) -> tuple[pd.Timestamp, pd.Timestamp]:
    df = built.query("select min(date_day) as first_day, max(date_day) as last_day from marts.dim_date")
    return pd.Timestamp(df["first_day"].iloc[0]), pd.Timestamp(df["last_day"].iloc[0])


# ---------------------------------------------------------------- growth accounting


@pytest.mark.parametrize("grain", GRAINS)
def test_growth_accounting_matches_pandas(built, activity, data_range, week_start, grain):
    actual = built.query(f"select * from marts.growth_accounting where period_grain = '{grain}'")
    actual = actual.drop(columns=["period_grain"])
    expected = expected_growth_accounting(activity, *data_range, grain, week_start)
    assert_frames_match(normalise(actual, ["period_start"]), expected, ["period_start"], f"growth_accounting {grain}")


@pytest.mark.parametrize(
    ("mart", "dimension"),
    [("growth_accounting_by_channel", "acquisition_channel"), ("growth_accounting_by_segment", "segment")],
)
def test_sliced_growth_accounting_matches_pandas(built, activity, data_range, week_start, mart, dimension):
    actual = normalise(built.query(f"select * from marts.{mart} where period_grain = 'week'"), ["period_start"])
    expected = pd.concat(
        [
            expected_growth_accounting(group, *data_range, "week", week_start).assign(**{dimension: value})
            for value, group in activity.groupby(dimension)
        ]
    )
    assert_frames_match(actual.drop(columns=["period_grain"]), expected, [dimension, "period_start"], f"{mart} week")


def test_growth_identities_hold_on_every_row(built):
    df = built.query("select * from marts.growth_accounting order by period_grain, period_start")
    assert (df.active_users == df.new_users + df.retained_users + df.resurrected_users).all()
    previous_active = df.groupby("period_grain")["active_users"].shift(1).fillna(0)
    assert (df.churned_users == previous_active - df.retained_users).all()
    # Over the whole range every active user is new exactly once per grain.
    new_per_grain = df.groupby("period_grain")["new_users"].sum()
    users_ever_active = built.query("select count(*) as n from marts.dim_users where first_active_date is not null")
    assert (new_per_grain == int(users_ever_active["n"].iloc[0])).all(), new_per_grain


# ---------------------------------------------------------------- cohort retention


@pytest.mark.parametrize("grain", GRAINS)
def test_cohort_retention_matches_pandas(built, activity, data_range, week_start, grain):
    spine = period_spine(*data_range, grain, week_start)
    index = {start: i for i, start in enumerate(spine)}
    periods = activity.assign(period=period_start(activity["activity_date"], grain, week_start))
    user_periods = periods[["user_id", "period"]].drop_duplicates()
    cohort_of = user_periods.groupby("user_id")["period"].min().rename("cohort")
    user_periods = user_periods.join(cohort_of, on="user_id")
    user_periods["k"] = user_periods["period"].map(index) - user_periods["cohort"].map(index)
    cells = user_periods.groupby(["cohort", "k"]).size()
    sizes = cohort_of.value_counts()
    rows = []
    for cohort in spine:
        for k in range(len(spine) - index[cohort]):
            size = int(sizes.get(cohort, 0))
            active = int(cells.get((cohort, k), 0))
            rows.append(
                {
                    "cohort_start": cohort,
                    "periods_since_cohort": float(k),
                    "cohort_users": float(size),
                    "active_users": float(active),
                    "retention_rate": active / size if size else np.nan,
                }
            )
    expected = pd.DataFrame(rows)
    actual = built.query(
        f"select cohort_start, periods_since_cohort, cohort_users, active_users, retention_rate"
        f" from marts.cohort_retention where cohort_grain = '{grain}'"
    )
    assert_frames_match(
        normalise(actual, ["cohort_start"]), expected, ["cohort_start", "periods_since_cohort"], f"cohort {grain}"
    )


def test_cohort_triangles_are_complete_and_keep_zero_cells(built):
    df = built.query(
        "select cohort_grain, cohort_start, max(periods_since_cohort) as max_k, count(*) as cells,"
        " sum(case when active_users = 0 then 1 else 0 end) as zero_cells"
        " from marts.cohort_retention group by cohort_grain, cohort_start"
    )
    df = df.sort_values(["cohort_grain", "cohort_start"])
    weekly = df[df.cohort_grain == "week"]
    assert int(weekly["max_k"].iloc[0]) >= 12
    for grain, cohorts in df.groupby("cohort_grain"):
        # A full triangle: cohort i of n has n - i cells, k = 0 .. n - 1 - i.
        n = len(cohorts)
        assert cohorts["cells"].astype(int).tolist() == list(range(n, 0, -1)), grain
    # Daily cohorts of a few users have days on which none of them came back: those cells are rows of 0.
    assert int(df.loc[df.cohort_grain == "day", "zero_cells"].sum()) > 0


def test_cohort_by_channel_adds_up(built):
    total = built.query(
        "select cohort_grain, cohort_start, periods_since_cohort, cohort_users, active_users"
        " from marts.cohort_retention"
    )
    by_channel = built.query(
        "select cohort_grain, cohort_start, periods_since_cohort, sum(cohort_users) as cohort_users,"
        " sum(active_users) as active_users from marts.cohort_retention_by_channel"
        " group by cohort_grain, cohort_start, periods_since_cohort"
    )
    keys = ["cohort_grain", "cohort_start", "periods_since_cohort"]
    merged = normalise(total, ["cohort_start"]).merge(
        normalise(by_channel, ["cohort_start"]), on=keys, suffixes=("", "_sum"), how="outer", indicator=True
    )
    assert (merged["_merge"] == "both").all()
    assert (merged.cohort_users == merged.cohort_users_sum).all()
    assert (merged.active_users == merged.active_users_sum).all()


# ---------------------------------------------------------------- n-day retention


def test_nday_retention_matches_pandas(built, small_vars, data_range, week_start):
    retention_days = small_vars.get("retention_days", [1, 7, 14, 30, 60, 90])
    users = built.query("select user_id, acquisition_channel, signup_date from marts.dim_users")
    users["signup_date"] = pd.to_datetime(users["signup_date"])
    days = built.query("select user_id, days_since_signup from marts.fct_user_activity_daily")
    days["days_since_signup"] = days["days_since_signup"].astype(int)
    last_day = data_range[1]
    active_on = set(zip(days.user_id, days.days_since_signup, strict=True))
    latest = days.groupby("user_id")["days_since_signup"].max()
    rows = []
    for n in retention_days:
        frame = users.assign(
            signup_week=period_start(users["signup_date"], "week", week_start),
            retention_day=n,
            eligible=(last_day - users["signup_date"]).dt.days >= n,
        )
        frame["on_day"] = frame["eligible"] & np.array([(u, n) in active_on for u in frame.user_id])
        frame["on_or_after"] = frame["eligible"] & (frame.user_id.map(latest).fillna(-1) >= n)
        rows.append(frame)
    per_user = pd.concat(rows)
    expected = (
        per_user.groupby(["signup_week", "acquisition_channel", "retention_day"])
        .agg(
            signed_up_users=("user_id", "size"),
            eligible_users=("eligible", "sum"),
            retained_on_day_users=("on_day", "sum"),
            retained_on_or_after_users=("on_or_after", "sum"),
        )
        .reset_index()
        .astype(
            {
                "signed_up_users": float,
                "eligible_users": float,
                "retained_on_day_users": float,
                "retained_on_or_after_users": float,
                "retention_day": float,
            }
        )
    )
    actual = built.query(
        "select signup_week, acquisition_channel, retention_day, signed_up_users, eligible_users,"
        " retained_on_day_users, retained_on_or_after_users from marts.nday_retention"
    )
    assert_frames_match(
        normalise(actual, ["signup_week"]),
        expected,
        ["signup_week", "acquisition_channel", "retention_day"],
        "nday_retention",
    )


# ---------------------------------------------------------------- active users and L28


def test_active_users_match_brute_force(built, activity, data_range):
    first_day, last_day = data_range
    days = pd.date_range(first_day, last_day, freq="D")
    by_day = activity.groupby("activity_date")["user_id"].agg(set)
    rows = []
    for day in days:

        def users_in(window: int, day: pd.Timestamp = day) -> int:
            window_days = by_day[(by_day.index > day - pd.Timedelta(days=window)) & (by_day.index <= day)]
            return len(set().union(*window_days)) if len(window_days) else 0

        dau, wau, mau = users_in(1), users_in(7), users_in(30)
        rows.append(
            {
                "date_day": day,
                "dau": float(dau),
                "wau": float(wau),
                "mau": float(mau),
                "stickiness": dau / mau if mau else np.nan,
            }
        )
    expected = pd.DataFrame(rows)
    actual = built.query("select date_day, dau, wau, mau, stickiness from marts.active_users")
    assert_frames_match(normalise(actual, ["date_day"]), expected, ["date_day"], "active_users")


def test_activity_frequency_is_the_l28_histogram(built, activity, data_range):
    as_of = data_range[1]
    window = activity[(activity.activity_date > as_of - pd.Timedelta(days=28)) & (activity.activity_date <= as_of)]
    per_user = window.groupby("user_id")["activity_date"].nunique()
    counts = per_user.value_counts()
    expected = pd.DataFrame(
        {"active_days": [float(k) for k in range(1, 29)], "users": [float(counts.get(k, 0)) for k in range(1, 29)]}
    )
    actual = built.query("select as_of_date, active_days, users, users_active_at_least from marts.activity_frequency")
    assert set(pd.to_datetime(actual["as_of_date"])) == {as_of}
    assert_frames_match(normalise(actual[["active_days", "users"]], []), expected, ["active_days"], "L28")
    assert int(actual.loc[actual.active_days == 1, "users_active_at_least"].iloc[0]) == len(per_user)


# ---------------------------------------------------------------- planted truths


def _pairwise_order_violations(measured: pd.Series, truth: pd.Series, min_ratio: float) -> list[str]:
    """Pairs whose truth differs by at least ``min_ratio`` but whose measured order disagrees."""
    bad = []
    for a in truth.index:
        for b in truth.index:
            if truth[a] >= truth[b] * min_ratio and not measured[a] > measured[b]:
                bad.append(
                    f"{a} (truth {truth[a]:.2f}, measured {measured[a]:.3f}) should retain more than "
                    f"{b} (truth {truth[b]:.2f}, measured {measured[b]:.3f})"
                )
    return bad


def _weekly_retention(built, mart: str, dimension: str) -> pd.Series:
    df = built.query(
        f"select {dimension}, sum(retained_users) as retained, sum(retained_users + churned_users) as base"
        f" from marts.{mart} where period_grain = 'week' and is_complete_period group by {dimension}"
    )
    return (df["retained"].astype(float) / df["base"].astype(float)).set_axis(df[dimension])


def test_segments_with_longer_true_lifetimes_retain_more(built, truth):
    """Segments whose planted median lifetime is at least 1.5x longer show higher week-over-week retention."""
    lifetime = pd.Series({s: v["median_lifetime_days_at_mean_engagement"] for s, v in truth["segments"].items()})
    measured = _weekly_retention(built, "growth_accounting_by_segment", "segment")
    assert set(measured.index) == set(lifetime.index)
    assert _pairwise_order_violations(measured, lifetime, 1.5) == []


def test_channels_with_higher_true_retention_retain_more(built, truth):
    """Channels whose planted retention multiplier is at least 1.3x higher show higher weekly retention."""
    multiplier = pd.Series({c: v["retention_multiplier"] for c, v in truth["channels"].items()})
    measured = _weekly_retention(built, "growth_accounting_by_channel", "acquisition_channel")
    assert set(measured.index) == set(multiplier.index)
    assert _pairwise_order_violations(measured, multiplier, 1.3) == []
