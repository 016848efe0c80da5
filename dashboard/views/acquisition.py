"""Acquisition: spend, CAC, ROAS and LTV:CAC by channel; attribution models side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Acquisition"
URL = "acquisition"
ICON = ":material/campaign:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = (
    "channel_performance",
    "attribution_by_channel",
)
SUMS = ["spend", "signups", "activated_users", "converted_users", "new_paying_customers", "revenue"]


def channel_totals(monthly: pd.DataFrame) -> pd.DataFrame:
    """Per channel over the chosen months: sums, then ratios recomputed from the sums (ratios do not add up).

    CAC = spend / new paying customers; ROAS = revenue / spend; LTV:CAC = paying-customer LTV of the channel's
    latest month with a value / CAC. Null where a denominator is 0 (organic channels have no spend).
    """
    totals = monthly.groupby("channel", as_index=False)[SUMS].sum()
    latest_ltv = (
        monthly.dropna(subset=["paying_customer_ltv"])
        .sort_values("month_start_date")
        .groupby("channel", as_index=False)["paying_customer_ltv"]
        .last()
    )
    out = totals.merge(latest_ltv, on="channel", how="left")
    spend = out["spend"].where(out["spend"] > 0)
    out["cac"] = spend / out["new_paying_customers"].where(out["new_paying_customers"] > 0)
    out["cost_per_signup"] = spend / out["signups"].where(out["signups"] > 0)
    out["roas"] = out["revenue"] / spend
    out["ltv_to_cac"] = out["paying_customer_ltv"] / out["cac"]
    out["paid_conversion_rate"] = out["new_paying_customers"] / out["signups"].where(out["signups"] > 0)
    return out.sort_values("spend", ascending=False).reset_index(drop=True)


def render() -> None:
    st.title("Acquisition")
    st.caption(
        "Monthly channel economics: spend from raw.marketing_spend, sign-ups and paying customers by acquisition"
        " channel. Organic channels have no spend, so no CAC or ROAS."
    )
    filters = ui.current_filters()
    if filters.devices or filters.countries:
        st.caption("Device and country filters do not apply: acquisition marts are by channel and month.")
    ui.section("Spend and unit economics by channel", _economics, filters)
    ui.section("Attribution models side by side", _attribution, filters)


def _economics(filters: ui.Filters) -> None:
    monthly = ui.load(
        "channel_performance",
        filters,
        date_column="month_start_date",
        order_by=["month_start_date", "channel"],
    )
    for col in SUMS + ["paying_customer_ltv"]:
        monthly[col] = monthly[col].astype(float)
    totals = channel_totals(monthly)
    paid = totals[totals["spend"] > 0]
    fig = charts.grouped_bars(
        monthly[monthly["spend"] > 0], "month_start_date", "spend", "channel", title="Spend by month"
    )
    fig.update_layout(barmode="stack")
    left, right = st.columns(2)
    left.plotly_chart(fig, width="stretch")
    right.plotly_chart(
        charts.grouped_bars(paid, "channel", "cac", text_format=",.0f", title="CAC (spend / new paying customers)"),
        width="stretch",
    )
    left, right = st.columns(2)
    left.plotly_chart(
        charts.grouped_bars(paid, "channel", "roas", text_format=".2f", title="ROAS (revenue / spend)"), width="stretch"
    )
    ltv = paid.dropna(subset=["ltv_to_cac"])
    fig = charts.grouped_bars(ltv, "channel", "ltv_to_cac", text_format=".1f", title="LTV : CAC")
    fig.add_hline(y=3, line_dash="dot", annotation_text="3 : 1")
    right.plotly_chart(fig, width="stretch")
    ui.table(totals, "channel economics")
    with st.expander("Monthly rows"):
        ui.table(monthly, "channel performance monthly")


def _attribution(filters: ui.Filters) -> None:
    df = ui.aggregate(
        "attribution_by_channel",
        "select channel, sum(first_touch_conversions) as first_touch, sum(last_touch_conversions) as last_touch,"
        " sum(linear_conversions) as linear, sum(first_touch_revenue) as first_touch_revenue,"
        " sum(last_touch_revenue) as last_touch_revenue, sum(linear_revenue) as linear_revenue"
        " from {t}{where} group by channel order by channel",
        ui.Filters(filters.start, filters.end, filters.channels),
        date_column="month_start_date",
        required=("first_touch_conversions", "last_touch_conversions", "linear_conversions"),
    )
    if df.empty or not df[["first_touch", "last_touch", "linear"]].to_numpy().sum():
        raise ui.MartUnavailable("no attributed conversion in the chosen range.")
    long = df.melt(
        id_vars="channel",
        value_vars=["first_touch", "last_touch", "linear"],
        var_name="model",
        value_name="conversions",
    )
    long["model"] = long["model"].str.replace("_", " ")
    st.plotly_chart(
        charts.grouped_bars(long, "channel", "conversions", "model", text_format=".1f", title="Conversions credited"),
        width="stretch",
    )
    st.caption(
        "First touch credits the first session's channel, last touch the last one before the conversion, linear"
        " splits the credit equally over the touch points. The totals agree; the split by channel does not."
    )
    ui.table(df, "attribution by channel")
