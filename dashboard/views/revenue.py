"""Revenue: MRR movements waterfall, MRR/ARR over time, ARPU and LTV, MRR by plan, revenue concentration."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Revenue"
URL = "revenue"
ICON = ":material/payments:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = (
    "mrr_movements",
    "revenue_metrics",
    "revenue_metrics_by_channel",
    "mrr",
    "dim_plans",
    "user_revenue",
    "revenue_concentration",
)
MOVEMENTS = [
    ("new_mrr", "New", 1),
    ("expansion_mrr", "Expansion", 1),
    ("reactivation_mrr", "Reactivation", 1),
    ("contraction_mrr", "Contraction", -1),
    ("churned_mrr", "Churned", -1),
]


def waterfall_steps(row: pd.Series) -> tuple[list[str], list[float], list[str]]:
    """Opening MRR, signed movements, closing MRR of one mrr_movements row."""
    labels = ["Starting MRR"] + [label for _, label, _ in MOVEMENTS] + ["Ending MRR"]
    values = (
        [float(row["starting_mrr"])]
        + [sign * float(row[col]) for col, _, sign in MOVEMENTS]
        + [float(row["ending_mrr"])]
    )
    measures = ["absolute"] + ["relative"] * len(MOVEMENTS) + ["total"]
    return labels, values, measures


def render() -> None:
    st.title("Revenue")
    filters = ui.current_filters()
    if filters.devices or filters.countries:
        st.caption("Device and country filters do not apply: the revenue marts are by month and channel.")
    ui.section("MRR movements", _movements, filters)
    ui.section("ARPU and LTV", _unit_economics, filters)
    ui.section("MRR by plan", _by_plan, filters)
    ui.section("Revenue concentration", _concentration, filters)


def _movements(filters: ui.Filters) -> None:
    df = ui.load(
        "mrr_movements",
        ui.Filters(filters.start, filters.end),
        date_column="month_start_date",
        order_by=["month_start_date"],
    )
    if not (df["ending_mrr"].astype(float).abs().sum() + df["starting_mrr"].astype(float).abs().sum()):
        raise ui.MartUnavailable(
            "no recurring revenue in this data (MRR is 0 in every month): the business has no subscriptions."
            " Revenue is still counted below."
        )
    if filters.channels:
        st.caption("MRR movements are for all channels (mrr_movements has no channel); ARPU/LTV below are filtered.")
    months = [pd.Timestamp(m).date() for m in df["month_start_date"]]
    complete = [m for m, c in zip(months, df["is_complete_period"].astype(bool), strict=True) if c]
    default = complete[-1] if complete else months[-1]
    chosen = st.selectbox(
        "Month",
        months,
        index=months.index(default),
        format_func=lambda m: f"{m:%Y-%m}" + ("" if m in complete else " (in progress)"),
        key="revenue_month",
    )
    row = df[[pd.Timestamp(m).date() == chosen for m in df["month_start_date"]]].iloc[0]
    labels, values, measures = waterfall_steps(row)
    left, right = st.columns(2)
    left.plotly_chart(charts.waterfall(labels, values, measures, title=f"MRR bridge {chosen:%Y-%m}"), width="stretch")
    right.plotly_chart(
        charts.multi_lines(
            df, "month_start_date", ["ending_mrr"], ["MRR"], "MRR at the end of each month (ARR = 12 × MRR)"
        ),
        width="stretch",
    )
    cols = st.columns(4)
    cols[0].metric(
        "Ending MRR",
        ui.fmt_number(row["ending_mrr"], "money"),
        ui.fmt_delta(row["ending_mrr"], row["starting_mrr"], "money"),
    )
    cols[1].metric("ARR", ui.fmt_number(row["arr"], "money"))
    cols[2].metric("Net new MRR", ui.fmt_number(row["net_new_mrr"], "money"))
    cols[3].metric(
        "Paying customers",
        ui.fmt_number(row["paying_customers_end"]),
        ui.fmt_delta(row["paying_customers_end"], row["paying_customers_start"]),
    )
    ui.table(df, "mrr movements")


def _unit_economics(filters: ui.Filters) -> None:
    month_filters = ui.Filters(filters.start, filters.end, filters.channels)
    if filters.channels:
        df = ui.load(
            "revenue_metrics_by_channel",
            month_filters,
            date_column="month_start_date",
            order_by=["month_start_date", "channel"],
        )
        color = "channel"
    else:
        df = ui.load("revenue_metrics", month_filters, date_column="month_start_date", order_by=["month_start_date"])
        color = None
    if "is_complete_period" in df and df["is_complete_period"].astype(bool).any():
        df = df[df["is_complete_period"].astype(bool)]
        st.caption("Complete months only: a month in progress has partial revenue and churn.")
    left, right = st.columns(2)
    left.plotly_chart(
        charts.lines(df, "month_start_date", "arpu", color, title="ARPU (net revenue / active users)", markers=True),
        width="stretch",
    )
    right.plotly_chart(
        charts.lines(df, "month_start_date", "ltv", color, title="LTV (ARPU / customer churn rate)", markers=True),
        width="stretch",
    )
    if not filters.channels:
        by_channel = ui.load(
            "revenue_metrics_by_channel",
            month_filters,
            date_column="month_start_date",
            where={"is_complete_period": True},
            allow_empty=True,
        )
        if not by_channel.empty:
            latest = by_channel[by_channel["month_start_date"] == by_channel["month_start_date"].max()]
            st.plotly_chart(
                charts.grouped_bars(
                    latest.sort_values("ltv"),
                    "channel",
                    "ltv",
                    orientation="h",
                    text_format=",.0f",
                    title=f"LTV by channel, {pd.Timestamp(latest['month_start_date'].iloc[0]):%Y-%m}",
                ),
                width="stretch",
            )
    ui.table(df, "revenue metrics")


def _by_plan(filters: ui.Filters) -> None:
    ui.require("dim_plans", "plan_id", "plan_name")
    df = ui.aggregate(
        "mrr",
        "select m.month_start_date, coalesce(p.plan_name, m.plan_id) as plan_name, sum(m.mrr) as mrr,"
        " count(distinct case when m.is_paying then m.user_id end) as paying_customers"
        " from {t} as m left join marts.dim_plans as p on m.plan_id = p.plan_id"
        "{where} group by m.month_start_date, coalesce(p.plan_name, m.plan_id) order by 1, 2",
        ui.Filters(filters.start, filters.end),
        date_column="month_start_date",
        required=("plan_id", "mrr", "is_paying", "user_id"),
    )
    if df.empty:
        raise ui.MartUnavailable("`marts.mrr` has no subscription months in the chosen range.")
    fig = charts.grouped_bars(df, "month_start_date", "mrr", "plan_name", title="MRR by plan")
    fig.update_layout(barmode="stack")
    st.plotly_chart(fig, width="stretch")
    ui.table(df, "mrr by plan")


def _concentration(filters: ui.Filters) -> None:
    if filters.dates_narrowed or filters.channels:
        st.caption(
            "Lifetime revenue over the whole data; the channel filter applies to the curve, not to the top-share table."
        )
    users = ui.load(
        "user_revenue",
        ui.Filters(channels=filters.channels),
        columns=["user_id", "acquisition_channel", "lifetime_revenue"],
        where={"is_paying_user": True},
    )
    users = users[users["lifetime_revenue"] > 0]
    if users.empty:
        raise ui.MartUnavailable("no paying user with positive lifetime revenue.")
    left, right = st.columns(2)
    left.plotly_chart(
        charts.lorenz(users["lifetime_revenue"], title="Share of revenue from the largest customers"), width="stretch"
    )
    top = ui.load("revenue_concentration", order_by=["top_percent"], allow_empty=True)
    if not top.empty:
        top = top.assign(label=top["top_percent"].map(lambda p: f"top {p:g}%"))
        right.plotly_chart(
            charts.grouped_bars(
                top,
                "label",
                "revenue_share",
                y_format=".0%",
                text_format=".0%",
                title="Revenue share of the top customers",
            ),
            width="stretch",
        )
        ui.table(top.drop(columns=["label"]), "revenue concentration")
