"""Revenue marts on both warehouses, checked against independent pandas computations from the staging tables and
against the generator's realized truths (truth.json `revenue.realized`).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from tests.conftest import BuiltWarehouse

MONEY = 0.005


def as_float(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = frame[column].astype(float)
    return frame


@pytest.fixture(scope="module")
def movements(built: BuiltWarehouse) -> pd.DataFrame:
    frame = built.query("select * from marts.mrr_movements order by month_start_date")
    money = [c for c in frame.columns if c.endswith("_mrr") or c == "arr"]
    return as_float(frame, *money)


def test_mrr_bridge_identities(movements: pd.DataFrame) -> None:
    m = movements
    assert len(m) >= 5  # 150 days from 2025-01-06: January .. June
    bridge = m["starting_mrr"] + m["new_mrr"] + m["expansion_mrr"] - m["contraction_mrr"] - m["churned_mrr"]
    assert np.allclose(bridge + m["reactivation_mrr"], m["ending_mrr"], atol=1e-6)
    assert np.allclose(m["starting_mrr"].iloc[1:].to_numpy(), m["ending_mrr"].iloc[:-1].to_numpy(), atol=1e-6)
    assert m["starting_mrr"].iloc[0] == 0
    assert np.allclose(m["arr"], 12 * m["ending_mrr"], atol=1e-6)
    customers = m["paying_customers_start"] + m["new_customers"] + m["reactivated_customers"] - m["churned_customers"]
    assert (customers == m["paying_customers_end"]).all()
    assert m["ending_mrr"].iloc[-1] > 0 and m["new_customers"].sum() > 0 and m["churned_customers"].sum() > 0


def test_mrr_matches_an_independent_month_end_snapshot(built: BuiltWarehouse, movements: pd.DataFrame) -> None:
    """MRR of the version in force at each month's end (or at the end of the data), recomputed in pandas."""
    versions = built.query(
        "select subscription_id, status, plan_id, valid_from_local, valid_to_local from staging.stg_raw__subscriptions"
    )
    plans = as_float(built.query("select plan_id, billing_period, price from staging.stg_raw__plans"), "price")
    months = built.query("select month_start_date, max(date_day) as last_day from marts.dim_date group by 1")
    versions = versions.merge(plans, on="plan_id", how="left")
    monthly = np.where(versions["billing_period"] == "year", versions["price"] / 12, versions["price"])
    versions["mrr"] = np.where(versions["status"] == "active", np.round(monthly, 4), 0.0)
    valid_from = pd.to_datetime(versions["valid_from_local"])
    valid_to = pd.to_datetime(versions["valid_to_local"])
    expected = {}
    for month_start, last_day in zip(months["month_start_date"], months["last_day"], strict=True):
        month_start = pd.Timestamp(month_start)
        snapshot = min(month_start + pd.offsets.MonthBegin(1), pd.Timestamp(last_day) + timedelta(days=1))
        in_force = (valid_from < snapshot) & (valid_to.isna() | (valid_to >= snapshot))
        expected[month_start] = versions.loc[in_force, "mrr"].sum()
    actual = dict(zip(pd.to_datetime(movements["month_start_date"]), movements["ending_mrr"], strict=True))
    assert actual.keys() == expected.keys()
    for month, value in expected.items():
        assert actual[month] == pytest.approx(value, abs=MONEY), month


def test_monthly_revenue_matches_payments(built: BuiltWarehouse) -> None:
    payments = built.query(
        "select payment_type, amount, created_at_local from staging.stg_raw__payments where status = 'succeeded'"
    )
    payments["signed"] = np.where(payments["payment_type"] == "refund", -1.0, 1.0) * payments["amount"].astype(float)
    payments["month"] = pd.to_datetime(payments["created_at_local"]).dt.to_period("M").dt.to_timestamp()
    expected = payments.groupby("month")["signed"].sum()
    metrics = as_float(built.query("select month_start_date, revenue, refunds from marts.revenue_metrics"), "revenue")
    actual = metrics.set_index(pd.to_datetime(metrics["month_start_date"]))["revenue"]
    for month, value in expected.items():
        assert actual[month] == pytest.approx(value, abs=MONEY), month
    assert actual.drop(expected.index).abs().sum() == 0


def test_payment_health_matches_realized_truth(built: BuiltWarehouse, truth: dict) -> None:
    realized = truth["revenue"]["realized"]
    counts = built.query(
        """
        select
            sum(case when payment_type = 'charge' and retry_of_payment_id is null then 1 else 0 end) as first_attempts,
            sum(case when payment_type = 'charge' and retry_of_payment_id is null and is_failed then 1 else 0 end)
                as failed_first_attempts,
            sum(
                case when payment_type = 'charge' and retry_of_payment_id is null and is_failed and is_recovered
                then 1 else 0 end
            ) as recovered,
            sum(case when payment_type = 'charge' and is_succeeded then 1 else 0 end) as succeeded_charges,
            sum(case when is_refunded then 1 else 0 end) as refunded_charges
        from marts.fct_payments
        """
    ).iloc[0]
    counts = {k: int(v) for k, v in counts.items()}
    assert counts["first_attempts"] == realized["first_attempt_charges"]
    assert counts["failed_first_attempts"] / counts["first_attempts"] == pytest.approx(
        realized["first_attempt_failure_share"], abs=1e-6
    )
    assert counts["recovered"] / counts["failed_first_attempts"] == pytest.approx(
        realized["failed_charges_recovered_share"], abs=1e-6
    )
    assert counts["refunded_charges"] / counts["succeeded_charges"] == pytest.approx(
        realized["refund_share_of_succeeded_charges"], abs=1e-6
    )
    # the monthly rates add up to the same totals
    monthly = built.query(
        "select sum(failed_first_attempts) as f, sum(recovered_charges) as r from marts.revenue_metrics"
    )
    assert int(monthly["f"].iloc[0]) == counts["failed_first_attempts"]
    assert int(monthly["r"].iloc[0]) == counts["recovered"]


def test_subscriptions_fold_their_versions(built: BuiltWarehouse, truth: dict) -> None:
    subs = built.query("select * from marts.fct_subscriptions")
    assert len(subs) == truth["revenue"]["realized"]["subscriptions"]
    raw = built.query("select subscription_id, count(*) as versions from staging.stg_raw__subscriptions group by 1")
    merged = subs.merge(raw, on="subscription_id", suffixes=("", "_raw"))
    assert len(merged) == len(subs) and (merged["versions"] == merged["versions_raw"]).all()
    paid = subs[subs["is_converted_to_paid"]]
    assert paid["paid_started_at"].notna().all() and paid["first_paid_plan_id"].notna().all()
    ended = subs[subs["subscription_status"] == "ended"]
    assert ended["ended_at"].notna().all() and (ended["current_mrr"].astype(float) == 0).all()


def test_ratios_and_nulls(built: BuiltWarehouse) -> None:
    m = built.query("select * from marts.revenue_metrics order by month_start_date")
    m = as_float(m, "revenue", "arpu", "arppu", "customer_churn_rate", "ltv")
    with_users = m[m["active_users"] > 0]
    assert np.allclose(with_users["arpu"], with_users["revenue"] / with_users["active_users"])
    payers = m[m["paying_users"] > 0]
    assert np.allclose(payers["arppu"], payers["revenue"] / payers["paying_users"])
    churning = m[m["customer_churn_rate"] > 0]
    assert len(churning) > 0
    assert np.allclose(churning["ltv"], churning["arpu"] / churning["customer_churn_rate"])
    # no churn (or nobody paying at the start): LTV is null, never infinite
    assert m.loc[~(m["customer_churn_rate"] > 0), "ltv"].isna().all()
    # the churn of revenue_metrics is the MRR bridge's
    bridge = built.query("select month_start_date, paying_customers_start, churned_customers from marts.mrr_movements")
    joined = m.merge(bridge, on="month_start_date", suffixes=("", "_bridge"))
    assert (joined["customers_start"] == joined["paying_customers_start"]).all()
    assert (joined["churned_customers"] == joined["churned_customers_bridge"]).all()


def test_revenue_concentration(built: BuiltWarehouse) -> None:
    users = as_float(built.query("select lifetime_revenue from marts.user_revenue"), "lifetime_revenue")
    paying = np.sort(users.loc[users["lifetime_revenue"] > 0, "lifetime_revenue"].to_numpy())[::-1]
    shares = as_float(built.query("select * from marts.revenue_concentration order by top_percent"), "revenue_share")
    assert list(shares["top_percent"]) == [1, 10, 20]
    for _, row in shares.iterrows():
        top = int(np.ceil(len(paying) * row["top_percent"] / 100))
        assert int(row["top_users"]) == top
        assert row["revenue_share"] == pytest.approx(paying[:top].sum() / paying.sum(), abs=1e-9)
    print(dict(zip(shares["top_percent"], shares["revenue_share"].round(3), strict=True)))
