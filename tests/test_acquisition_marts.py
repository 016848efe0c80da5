"""Acquisition marts on both warehouses: channel spend, sign-ups and cost per sign-up against the generator's
channels (truth.json `channels`), null CAC without spend, and attribution credits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import BuiltWarehouse


@pytest.fixture(scope="module")
def performance(built: BuiltWarehouse) -> pd.DataFrame:
    frame = built.query("select * from marts.channel_performance order by channel, month_start_date")
    for column in ("spend", "revenue", "cac", "roas", "cost_per_signup"):
        frame[column] = frame[column].astype(float)
    return frame


def test_channels_match_planted_signups_and_spend(performance: pd.DataFrame, truth: dict) -> None:
    totals = performance.groupby("channel")[["spend", "signups"]].sum()
    for channel, planted in truth["channels"].items():
        assert int(totals.loc[channel, "signups"]) == planted["realized_signups"], channel
        if planted["paid"]:
            assert totals.loc[channel, "spend"] == pytest.approx(planted["realized_spend"], abs=0.01)
            cost_per_signup = totals.loc[channel, "spend"] / totals.loc[channel, "signups"]
            print(f"{channel}: cost per sign-up {cost_per_signup:.2f} (planted {planted['cost_per_signup']})")
            assert cost_per_signup == pytest.approx(planted["cost_per_signup"], rel=0.10)
        else:
            assert totals.loc[channel, "spend"] == 0


def test_cac_is_null_without_spend_and_finite_with_it(performance: pd.DataFrame, truth: dict) -> None:
    unpaid = [c for c, planted in truth["channels"].items() if not planted["paid"]]
    assert unpaid, "the saas scenario has organic channels"
    rows = performance[performance["channel"].isin(unpaid)]
    assert rows[["cac", "roas", "cost_per_signup"]].isna().all().all()
    assert rows["new_paying_customers"].sum() > 0  # they do convert users: CAC is null, not 0
    paid = performance[(performance["spend"] > 0) & (performance["new_paying_customers"] > 0)]
    assert len(paid) > 0
    assert np.allclose(paid["cac"], paid["spend"] / paid["new_paying_customers"])
    assert np.isfinite(paid["cac"]).all() and (paid["cac"] > 0).all()
    assert np.allclose(paid["roas"], paid["revenue"] / paid["spend"])


def test_cohort_columns_add_up_to_users(built: BuiltWarehouse, performance: pd.DataFrame) -> None:
    users = built.query(
        "select count(*) as users, sum(case when is_activated then 1 else 0 end) as act from marts.dim_users"
    )
    assert int(performance["signups"].sum()) == int(users["users"].iloc[0])
    assert int(performance["activated_users"].sum()) == int(users["act"].iloc[0])
    payers = built.query("select count(*) as n from marts.user_revenue where payments > 0")
    assert int(performance["converted_users"].sum()) == int(payers["n"].iloc[0])
    assert int(performance["new_paying_customers"].sum()) == int(payers["n"].iloc[0])


def test_attribution_credits(built: BuiltWarehouse) -> None:
    touches = built.query("select * from marts.attribution")
    for column in ("first_touch_credit", "last_touch_credit", "linear_credit"):
        touches[column] = touches[column].astype(float)
    per_conversion = touches.groupby("conversion_id")[["first_touch_credit", "last_touch_credit", "linear_credit"]]
    assert np.allclose(per_conversion.sum().to_numpy(), 1.0)
    payers = built.query("select count(*) as n from marts.user_revenue where payments > 0")
    assert touches["conversion_id"].nunique() == int(payers["n"].iloc[0])
    # every touch point is a session of the converting user that started no later than the conversion
    sessions = built.query("select session_id, user_id, started_at from marts.fct_sessions")
    joined = touches[~touches["is_fallback_touch"]].merge(sessions, on="session_id", suffixes=("", "_session"))
    assert len(joined) == int((~touches["is_fallback_touch"]).sum())
    assert (joined["user_id"] == joined["user_id_session"]).all()
    assert (pd.to_datetime(joined["started_at"]) <= pd.to_datetime(joined["converted_at"])).all()
    multi = touches[touches["touch_points"] > 1]
    assert len(multi) > 0, "the dataset should have conversions with several touch points"
    by_channel = built.query("select * from marts.attribution_by_channel")
    for column in ("first_touch_conversions", "last_touch_conversions", "linear_conversions"):
        assert float(by_channel[column].astype(float).sum()) == pytest.approx(touches["conversion_id"].nunique())
