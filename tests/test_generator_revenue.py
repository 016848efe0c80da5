"""SaaS revenue consistency: subscription versions, billing, retries, refunds, and agreement with the events."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from data_generation import generate
from data_generation.readback import first_deliveries, read_dataset, read_truth
from data_generation.timeutil import add_months

SCALE = {"scenario": "saas", "seed": 3, "users": 2500, "days": 240, "start_date": date(2025, 1, 1)}
DATA_END = pd.Timestamp(SCALE["start_date"] + timedelta(days=SCALE["days"]))


@pytest.fixture(scope="module")
def saas(tmp_path_factory):
    folder = generate(output=tmp_path_factory.mktemp("rev") / "saas", **SCALE)
    return read_dataset(folder), read_truth(folder)


@pytest.fixture(scope="module")
def subs(saas):
    data, _ = saas
    return data["subscriptions"].sort_values(["subscription_id", "version"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def periods(saas, subs):
    """Per paid subscription: paid start, billing period (months), final end (NaT while running)."""
    data, _ = saas
    plans = data["plans"].set_index("plan_id")
    paid = subs[subs["change_type"] == "paid_start"].set_index("subscription_id")
    last = _last_versions(subs)
    return pd.DataFrame(
        {
            "user_id": paid["user_id"],
            "paid_start": paid["valid_from"],
            "months": paid["plan_id"].map(plans["billing_period"]).map({"month": 1, "year": 12}),
            "end": last.loc[paid.index, "valid_to"],
            "cancelled_at": last.loc[paid.index, "cancelled_at"],
        }
    )


def _last_versions(subs: pd.DataFrame) -> pd.DataFrame:
    """The current (last) version of each subscription, nulls kept (``groupby().last()`` would skip them)."""
    return subs.groupby("subscription_id").tail(1).set_index("subscription_id")


def _us(ts: pd.Series) -> np.ndarray:
    return ts.to_numpy(dtype="datetime64[us]").astype(np.int64)


def test_plans_have_monthly_and_annual_prices_in_several_tiers(saas):
    plans = saas[0]["plans"]
    assert plans["tier"].nunique() >= 3
    per_tier = plans.pivot(index="tier", columns="billing_period", values="price")
    assert per_tier.notna().all().all()
    assert ((per_tier["year"] > per_tier["month"] * 9) & (per_tier["year"] < per_tier["month"] * 12)).all()


def test_versions_are_contiguous(subs):
    g = subs.groupby("subscription_id")
    assert (g["version"].transform(lambda v: list(range(1, len(v) + 1)) == list(v))).all()
    nxt = g["valid_from"].shift(-1)
    inner = nxt.notna()
    assert (subs.loc[inner, "valid_to"] == nxt[inner]).all()
    assert (subs.loc[inner, "cancelled_at"].isna()).all()
    assert (subs["valid_to"].isna() | (subs["valid_to"] > subs["valid_from"])).all()
    assert ((subs["status"] == "trialing") == (subs["change_type"] == "trial_start")).all()
    assert (subs.loc[subs["change_type"] == "trial_start", "version"] == 1).all()
    paid_v2 = subs[(subs["change_type"] == "paid_start") & (subs["version"] == 2)]
    assert (g["change_type"].first().loc[paid_v2["subscription_id"]] == "trial_start").all()
    assert set(subs.loc[subs["change_type"] == "paid_start", "version"]) <= {1, 2}
    assert set(subs["change_type"]) == {"trial_start", "paid_start", "upgrade", "downgrade"}


def test_trials_last_at_most_the_trial_length(subs, saas):
    trial_days = saas[1]["revenue"]["trial_days"]
    trials = subs[subs["change_type"] == "trial_start"].dropna(subset=["valid_to"])
    assert ((trials["valid_to"] - trials["valid_from"]) <= pd.Timedelta(days=trial_days)).all()


def test_lifecycle_events_agree_with_subscriptions(saas, subs):
    data, _ = saas
    ev = first_deliveries(data["events"])

    def pairs(frame: pd.DataFrame, user: str, at: str) -> list[tuple[str, pd.Timestamp]]:
        return sorted(zip(frame[user], frame[at], strict=True))

    for event, change in (
        ("start_trial", "trial_start"),
        ("subscribe", "paid_start"),
        ("upgrade_plan", "upgrade"),
        ("downgrade_plan", "downgrade"),
    ):
        events = ev[ev["event_name"] == event]
        versions = subs[subs["change_type"] == change]
        assert len(events) > 0, event
        assert pairs(events, "user_id", "occurred_at") == pairs(versions, "user_id", "valid_from"), event
    last = _last_versions(subs)
    voluntary = last[last["cancelled_at"].notna() & (last["cancelled_at"] != last["valid_to"])]
    cancels = ev[ev["event_name"] == "cancel_subscription"]
    assert len(voluntary) > 0
    assert pairs(cancels, "user_id", "occurred_at") == pairs(voluntary, "user_id", "cancelled_at")


def test_a_cancelled_subscription_ends_at_the_end_of_its_paid_period(periods):
    voluntary = periods[periods["cancelled_at"].notna() & (periods["cancelled_at"] != periods["end"])]
    assert len(voluntary) > 20
    assert (voluntary["end"] > voluntary["cancelled_at"]).all()
    # the end is a renewal date: paid start + a whole number of billing periods
    for _, row in voluntary.iterrows():
        start = np.array([_us(pd.Series([row["paid_start"]]))[0]])
        renewals = add_months(np.repeat(start, 40), np.arange(40) * int(row["months"]))
        end = _us(pd.Series([row["end"]]))[0]
        k = int(np.searchsorted(renewals, end))
        assert renewals[k] == end
        assert renewals[k - 1] <= _us(pd.Series([row["cancelled_at"]]))[0]


def test_one_charge_per_billing_period_while_active(saas, periods, subs):
    data, _ = saas
    pay = data["payments"]
    charges = pay[(pay["payment_type"] == "charge") & (pay["attempt_number"] == 1)]
    by_sub = charges.groupby("subscription_id")["created_at"].apply(lambda s: sorted(s))
    starts = _us(periods["paid_start"])
    ends = np.where(periods["end"].isna(), np.iinfo(np.int64).max, _us(periods["end"].fillna(DATA_END)))
    data_end = _us(pd.Series([DATA_END]))[0]
    plans = data["plans"].set_index("plan_id")["price"]
    versions = subs.set_index("subscription_id")
    for i, sub_id in enumerate(periods.index):
        renewals = add_months(np.repeat(starts[i], 40), np.arange(40) * int(periods["months"].iloc[i]))
        expected = renewals[(renewals < data_end) & (renewals < ends[i])]
        got = _us(pd.Series(by_sub.get(sub_id, []), dtype="datetime64[us]"))
        assert list(got) == list(expected), sub_id
    # every charge is for the plan in force at that time, at its price
    merged = charges.merge(
        versions.reset_index()[["subscription_id", "plan_id", "valid_from", "valid_to"]],
        on="subscription_id",
        suffixes=("", "_version"),
    )
    in_force = merged[
        (merged["created_at"] >= merged["valid_from"])
        & (merged["valid_to"].isna() | (merged["created_at"] < merged["valid_to"]))
    ]
    assert len(in_force) == len(charges)
    assert (in_force["plan_id"] == in_force["plan_id_version"]).all()
    assert (in_force["amount"] == in_force["plan_id"].map(plans)).all()


def test_failed_charges_are_retried_and_unrecovered_ones_end_the_subscription(saas, subs):
    data, truth = saas
    pay = data["payments"].set_index("payment_id")
    charges = pay[pay["payment_type"] == "charge"]
    assert ((charges["status"] == "failed") == charges["failure_reason"].notna()).all()
    retries = charges[charges["retry_of_payment_id"].notna()]
    assert len(retries) > 0
    before = pay.loc[retries["retry_of_payment_id"]]
    assert (before["status"] == "failed").all()
    assert (before["subscription_id"].values == retries["subscription_id"].values).all()
    assert (retries["attempt_number"].values == before["attempt_number"].values + 1).all()
    assert (retries["created_at"].values > before["created_at"].values).all()
    assert (charges.loc[charges["attempt_number"] == 1, "retry_of_payment_id"].isna()).all()
    last_retry = len(truth["revenue"]["retry_days"]) + 1
    exhausted = charges[(charges["attempt_number"] == last_retry) & (charges["status"] == "failed")]
    assert len(exhausted) > 0
    final = _last_versions(subs).loc[exhausted["subscription_id"]]
    assert (final["valid_to"].values == exhausted["created_at"].values).all()
    assert (final["cancelled_at"].values == exhausted["created_at"].values).all()


def test_refunds_reference_succeeded_charges(saas):
    pay = saas[0]["payments"].set_index("payment_id")
    refunds = pay[pay["payment_type"] == "refund"]
    assert len(refunds) > 0
    charged = pay.loc[refunds["refunded_payment_id"]]
    assert (charged["payment_type"] == "charge").all()
    assert (charged["status"] == "succeeded").all()
    assert (charged["amount"].values == refunds["amount"].values).all()
    assert (refunds["created_at"].values > charged["created_at"].values).all()
    assert refunds["refunded_payment_id"].is_unique
    assert (refunds["status"] == "succeeded").all()
    assert pay.loc[pay["payment_type"] == "charge", "refunded_payment_id"].isna().all()


def test_billing_rates_follow_the_scenario(saas):
    data, truth = saas
    rev = truth["revenue"]
    pay = data["payments"]
    first = pay[(pay["payment_type"] == "charge") & (pay["attempt_number"] == 1)]
    failure_share = (first["status"] == "failed").mean()
    assert rev["realized"]["first_attempt_failure_share"] == pytest.approx(failure_share, abs=1e-6)
    se = np.sqrt(rev["payment_failure_rate"] * (1 - rev["payment_failure_rate"]) / len(first))
    assert abs(failure_share - rev["payment_failure_rate"]) < 4 * se
    succeeded = pay[(pay["payment_type"] == "charge") & (pay["status"] == "succeeded")]
    refund_share = (pay["payment_type"] == "refund").sum() / len(succeeded)
    se = np.sqrt(rev["refund_rate"] * (1 - rev["refund_rate"]) / len(succeeded))
    assert abs(refund_share - rev["refund_rate"]) < 4 * se + 0.005  # refunds after the data end are not seen yet
    assert rev["retry_recovery_rate"] == pytest.approx(1 - (1 - rev["retry_success_rate"]) ** len(rev["retry_days"]))
    # recovered share: follow each failed first attempt's retry chain
    charges = pay[pay["payment_type"] == "charge"].set_index("payment_id")
    origin = charges["retry_of_payment_id"].copy()
    for _ in rev["retry_days"]:
        parent = origin.map(charges["retry_of_payment_id"])
        origin = parent.where(parent.notna(), origin)
    recovered = charges[(charges["status"] == "succeeded") & origin.notna()]
    failed_first = first[first["status"] == "failed"]
    assert set(origin.loc[recovered.index]) <= set(failed_first["payment_id"])
    assert rev["realized"]["failed_charges_recovered_share"] == pytest.approx(
        len(recovered) / len(failed_first), abs=1e-6
    )


def test_some_churned_customers_come_back_and_subscribe_again(subs, periods):
    firsts = subs.groupby("subscription_id").head(1).set_index("subscription_id")
    fresh_paid = firsts[(firsts["change_type"] == "paid_start")]
    ended = periods.dropna(subset=["end"])
    comebacks = fresh_paid.merge(ended[["user_id", "end"]], on="user_id")
    comebacks = comebacks[comebacks["valid_from"] > comebacks["end"]]
    assert comebacks["user_id"].nunique() >= 3


def test_only_activated_users_start_trials(saas):
    ev = first_deliveries(saas[0]["events"])
    activated = ev[ev["event_name"] == "activate"].groupby("user_id")["occurred_at"].min()
    trials = ev[ev["event_name"] == "start_trial"]
    assert trials["user_id"].isin(activated.index).all()
    assert (trials["occurred_at"] > trials["user_id"].map(activated)).all()
