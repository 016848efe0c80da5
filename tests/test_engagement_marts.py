"""Engagement marts: identities that must hold, recomputed in pandas, and the planted engagement -> retention link.

The simulator draws one latent engagement per user that drives both the session rate and the lifetime
(truth.engagement.lifetime_model), so users active on more days in their first week must retain better.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from tests.conftest import BuiltWarehouse

RETENTION_WEEKS = (4, 8, 12)


def _as_date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.date


def _last_event_date(built: BuiltWarehouse):
    return _as_date(built.query("select max(event_date) as d from marts.fct_events")["d"]).iloc[0]


def _week_of(built: BuiltWarehouse) -> dict:
    calendar = built.query("select date_day, week_start_date from marts.dim_date")
    return dict(zip(_as_date(calendar["date_day"]), _as_date(calendar["week_start_date"]), strict=True))


def test_engagement_weekly_identities(built: BuiltWarehouse) -> None:
    weekly = built.query("select * from marts.engagement_weekly order by week_start_date")
    weekly["week_start_date"] = _as_date(weekly["week_start_date"])
    sessions = built.query("select user_id, events, duration_seconds, session_date from marts.fct_sessions")
    activity = built.query("select user_id, activity_date from marts.fct_user_activity_daily")
    week_of = _week_of(built)

    # Every week from the first to the last event date, once.
    starts = pd.to_datetime(weekly["week_start_date"])
    assert (starts.diff().dropna() == pd.Timedelta(days=7)).all()
    assert weekly["week_start_date"].iloc[-1] == week_of[_last_event_date(built)]
    complete = weekly["is_complete_period"].astype(bool)
    assert complete.iloc[:-1].all()

    # Totals reconcile with fct_sessions; ratios are what they say.
    assert int(weekly["sessions"].sum()) == len(sessions)
    assert int(weekly["session_events"].sum()) == int(sessions["events"].sum())
    with_sessions = weekly[weekly["sessions"] > 0]
    np.testing.assert_allclose(
        with_sessions["events_per_session"].astype(float),
        with_sessions["session_events"].astype(float) / with_sessions["sessions"].astype(float),
        rtol=1e-12,
    )
    assert (with_sessions["sessions_per_user"].astype(float) >= 1).all()

    # Recomputed in pandas: active users, session users, median duration per week.
    activity["week"] = _as_date(activity["activity_date"]).map(week_of)
    sessions["week"] = _as_date(sessions["session_date"]).map(week_of)
    expected_active = activity.groupby("week")["user_id"].nunique()
    expected_session_users = sessions.groupby("week")["user_id"].nunique()
    expected_median = sessions.groupby("week")["duration_seconds"].median()
    mart = weekly.set_index("week_start_date")
    assert (mart["active_users"].astype(int) == expected_active.reindex(mart.index).fillna(0).astype(int)).all()
    assert (mart["session_users"].astype(int) == expected_session_users.reindex(mart.index).fillna(0).astype(int)).all()
    np.testing.assert_allclose(
        mart.loc[expected_median.index, "median_session_duration_seconds"].astype(float),
        expected_median.astype(float),
        rtol=1e-12,
    )


def test_feature_adoption_identities(built: BuiltWarehouse) -> None:
    adoption = built.query("select * from marts.engagement_feature_adoption")
    weekly = built.query("select week_start_date, active_users from marts.engagement_weekly")
    features = built.query("select distinct feature_name from marts.fct_events where feature_name is not null")
    assert len(features) >= 2
    assert len(adoption) == len(weekly) * len(features)

    rate = adoption["adoption_rate"].dropna().astype(float)
    assert len(rate) > 0 and rate.between(0, 1).all()
    assert (adoption["feature_users"].astype(int) <= adoption["active_users"].astype(int)).all()
    has_active = adoption[adoption["active_users"].astype(int) > 0]
    np.testing.assert_allclose(
        has_active["adoption_rate"].astype(float),
        has_active["feature_users"].astype(float) / has_active["active_users"].astype(float),
        rtol=1e-12,
    )
    # Its active users are the weekly mart's.
    for frame in (adoption, weekly):
        frame["week_start_date"] = _as_date(frame["week_start_date"])
    merged = adoption.merge(weekly, on="week_start_date", suffixes=("", "_weekly"))
    assert len(merged) == len(adoption)
    assert (merged["active_users"].astype(int) == merged["active_users_weekly"].astype(int)).all()

    # Feature users recomputed in pandas: active users of the week with a feature event that week.
    week_of = _week_of(built)
    events = built.query(
        "select user_id, feature_name, event_date from marts.fct_events where feature_name is not null"
    )
    activity = built.query("select user_id, activity_date from marts.fct_user_activity_daily")
    events["week_start_date"] = _as_date(events["event_date"]).map(week_of)
    activity["week_start_date"] = _as_date(activity["activity_date"]).map(week_of)
    active_pairs = activity[["week_start_date", "user_id"]].drop_duplicates()
    used = events[["week_start_date", "feature_name", "user_id"]].drop_duplicates().merge(active_pairs)
    expected = used.groupby(["week_start_date", "feature_name"]).size().rename("expected")
    got = adoption.set_index(["week_start_date", "feature_name"])["feature_users"].astype(int)
    joined = got.to_frame().join(expected, how="left").fillna(0)
    assert (joined["feature_users"] == joined["expected"].astype(int)).all()


def _first_week_and_retention(built: BuiltWarehouse) -> pd.DataFrame:
    users = built.query("select user_id, signup_date from marts.dim_users")
    activity = built.query("select user_id, activity_date from marts.fct_user_activity_daily")
    users["signup_date"] = pd.to_datetime(users["signup_date"])
    activity["activity_date"] = pd.to_datetime(activity["activity_date"])
    days = activity.merge(users, on="user_id")
    days["day"] = (days["activity_date"] - days["signup_date"]).dt.days
    first_week = days[days["day"].between(0, 6)].groupby("user_id")["day"].nunique()
    users["first_week_active_days"] = users["user_id"].map(first_week).fillna(0).astype(int)
    for week in RETENTION_WEEKS:
        active = days[days["day"].between(7 * week, 7 * week + 6)]["user_id"].unique()
        users[f"retained_{week}"] = users["user_id"].isin(active)
    return users


def test_retention_buckets_sum_to_the_cohort_and_match_pandas(built: BuiltWarehouse) -> None:
    mart = built.query("select * from marts.engagement_retention")
    users = _first_week_and_retention(built)
    last = pd.Timestamp(_last_event_date(built))
    assert set(mart["retention_week"].astype(int)) == set(RETENTION_WEEKS)
    for week in RETENTION_WEEKS:
        rows = mart[mart["retention_week"].astype(int) == week].sort_values("bucket_order")
        eligible = users[(last - users["signup_date"]).dt.days >= 7 * week + 6]
        # Users in buckets sum to the cohort, and the cohort is every user whose week N is in the data.
        assert int(rows["eligible_users"].sum()) == len(eligible) > 0
        assert (rows["cohort_users"].astype(int) == len(eligible)).all()
        assert math.isclose(float(rows["share_of_cohort"].sum()), 1.0, rel_tol=1e-9)
        # Buckets cover 0..7 active days without gaps or overlaps.
        lows = rows["min_first_week_active_days"].astype(int).tolist()
        highs = rows["max_first_week_active_days"].astype(int).tolist()
        assert lows[0] == 0 and highs[-1] == 7
        assert lows[1:] == [high + 1 for high in highs[:-1]]
        for row in rows.itertuples():
            in_bucket = eligible[
                eligible["first_week_active_days"].between(
                    row.min_first_week_active_days, row.max_first_week_active_days
                )
            ]
            assert int(row.eligible_users) == len(in_bucket), (week, row.first_week_bucket)
            assert int(row.retained_users) == int(in_bucket[f"retained_{week}"].sum()), (week, row.first_week_bucket)


def _trend_z(eligible: list[int], retained: list[int]) -> float:
    """Cochran-Armitage test for a trend in proportions over ordered groups (scores 0, 1, 2, ...): its z."""
    n = np.asarray(eligible, dtype=float)
    k = np.asarray(retained, dtype=float)
    score = np.arange(len(n), dtype=float)
    p = k.sum() / n.sum()
    t = float((score * (k - n * p)).sum())
    var = p * (1 - p) * float((n * score**2).sum() - (n * score).sum() ** 2 / n.sum())
    return t / math.sqrt(var)


def test_first_week_engagement_predicts_week_4_retention(built: BuiltWarehouse, truth: dict[str, Any]) -> None:
    """Retention rises with the first-week bucket: a clear trend, and no bucket significantly below the one before.

    Adjacent low buckets ('0 days', '1 day') retain alike at this scale (~6 % each), so strict order between every
    pair would test noise; the trend test and the 2-sigma reversal check test the planted effect.
    """
    assert "engagement" in truth["engagement"]["lifetime_model"]
    mart = built.query("select * from marts.engagement_retention")
    for week in RETENTION_WEEKS:
        rows = mart[(mart["retention_week"].astype(int) == week) & (mart["eligible_users"].astype(int) > 0)]
        rows = rows.sort_values("bucket_order")
        n = rows["eligible_users"].astype(int).tolist()
        k = rows["retained_users"].astype(int).tolist()
        rates = [ki / ni for ki, ni in zip(k, n, strict=True)]
        assert len(rows) >= 3, rows.to_string()
        z = _trend_z(n, k)
        assert z > 4, f"week {week}: no clear trend of retention over buckets (z = {z:.2f}, rates {rates})"
        assert rates[-1] > rates[0], (week, rates)
        if week == 4:
            for (n1, r1), (n2, r2) in zip(zip(n, rates, strict=True), zip(n[1:], rates[1:], strict=True), strict=False):
                pooled = (r1 * n1 + r2 * n2) / (n1 + n2)
                se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) or 1.0
                assert r2 - r1 > -2 * se, f"week 4: a more engaged bucket retains less ({r1:.3f} -> {r2:.3f})"
