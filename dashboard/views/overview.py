"""Overview: KPI cards for the last complete week or month, each with its change against the period before.

What a KPI is, its formats, the complete periods and the closed-window conversion cohort come from the KPI layer
(analytics.kpis) that the weekly report uses too; this page adds the sidebar filters and the layout.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import kpis
from analytics.kpis import Kpi, Period
from dashboard import charts, ui

TITLE = "Overview"
URL = "overview"
ICON = ":material/home:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = (
    "dim_periods",
    "dim_users",
    "fct_user_activity_daily",
    "funnel_conversion",
    "mrr_customer_months",
    "fct_daily_metrics",
    "growth_accounting",
    "growth_accounting_by_channel",
)


def last_complete_period(grain: str, filters: ui.Filters) -> Period | None:
    """The last complete period of ``grain`` ending on or before the filter's end date, and the one before it."""
    ui.require("dim_periods", "period_grain", "period_start", "period_end_date", "is_complete_period")
    return kpis.last_complete_period(ui.reader(), grain, filters.end)


def _window_filters(filters: ui.Filters, start: date, end: date) -> ui.Filters:
    return ui.Filters(start, end, filters.channels, filters.devices, filters.countries)


def _scalar(df: pd.DataFrame, col: str = "v") -> float | None:
    if df.empty or pd.isna(df[col].iloc[0]):
        return None
    return float(df[col].iloc[0])


def _pair(fetch, period: Period) -> tuple[float | None, float | None]:  # (start, end) -> value
    try:
        return fetch(period.start, period.end), fetch(period.previous_start, period.previous_end)
    except ui.MartUnavailable:
        return None, None


def active_users(filters: ui.Filters, period: Period) -> Kpi:
    def fetch(start: date, end: date) -> float | None:
        df = ui.aggregate(
            "fct_user_activity_daily",
            "select count(distinct user_id) as v from {t}{where}",
            _window_filters(filters, start, end),
            date_column="activity_date",
            required=("user_id",),
        )
        return _scalar(df)

    cur, prev = _pair(fetch, period)
    return Kpi("Active users", cur, prev, help="Distinct users with an activity event in the period.")


def new_users(filters: ui.Filters, period: Period) -> Kpi:
    def fetch(start: date, end: date) -> float | None:
        df = ui.aggregate(
            "dim_users",
            "select count(*) as v from {t}{where}",
            _window_filters(filters, start, end),
            date_column="signup_date",
        )
        return _scalar(df)

    cur, prev = _pair(fetch, period)
    return Kpi("New users", cur, prev, help="Users who signed up in the period.")


def conversion_period(grain: str, filters: ui.Filters) -> Period | None:
    """The last complete period whose entrants have all had their full conversion window, and the one before
    (analytics.kpis.conversion_cohort: entrants of the last few days may still convert, so they would read low)."""
    ui.require("funnel_conversion", "entry_date", "is_window_closed")
    ui.require("dim_periods", "period_grain", "period_start", "period_end_date", "is_complete_period")
    return kpis.conversion_cohort(ui.reader(), grain, filters.end)


def conversion(filters: ui.Filters, grain: str) -> Kpi:
    """Funnel conversion of a cohort of entrants: final step reached / entered, windows closed."""
    mart = "funnel_conversion"

    def fetch(start: date, end: date) -> float | None:
        ui.require(mart, "step_number", "entered_users", "step_users", "entry_date")
        return kpis.conversion_rate(ui.reader(), start, end, ui.bound_filters(mart, filters))

    try:
        cohort = conversion_period(grain, filters)
    except ui.MartUnavailable:
        cohort = None
    if cohort is None:
        return Kpi("Conversion", None, None, kind="pct", help="No cohort of funnel entrants has a closed window yet.")
    cur, prev = _pair(fetch, cohort)
    return Kpi(
        "Conversion",
        cur,
        prev,
        kind="pct",
        note=f"Conversion is for the funnel entrants of {cohort.start:%Y-%m-%d} – {cohort.end:%Y-%m-%d}: the latest"
        f" {grain} whose conversion windows have all closed (later entrants may still convert).",
        help=f"Share of the funnel entrants of {cohort.start:%Y-%m-%d} – {cohort.end:%Y-%m-%d} who reached the final"
        " step within the conversion window: the latest cohort whose windows have all closed (later entrants may"
        " still convert).",
    )


def revenue_kpi(filters: ui.Filters, period: Period, grain: str) -> Kpi:
    """Month: MRR of the month (end-of-month snapshot). Week: net revenue booked in the week."""
    if grain == "month":

        def fetch_mrr(start: date, end: date) -> float | None:
            df = ui.aggregate(
                "mrr_customer_months",
                "select sum(mrr) as v from {t}{where}",
                ui.Filters(channels=filters.channels),
                where={"month_start_date": start},
                required=("mrr",),
            )
            return _scalar(df)

        cur, prev = _pair(fetch_mrr, period)
        if cur:  # no MRR at all (a business without subscriptions): show revenue instead
            return Kpi("MRR", cur, prev, kind="money", help="Monthly recurring revenue at the end of the month.")

    def fetch(start: date, end: date) -> float | None:
        df = ui.aggregate(
            "fct_daily_metrics",
            "select sum(revenue) as v from {t}{where}",
            ui.Filters(start, end),
            date_column="date_day",
        )
        return _scalar(df)

    cur, prev = _pair(fetch, period)
    return Kpi(
        "Revenue",
        cur,
        prev,
        kind="money",
        help="Net revenue booked in the period (charges minus refunds), all users.",
    )


def quick_ratio(filters: ui.Filters, period: Period, grain: str) -> Kpi:
    """(new + resurrected) / churned users of the period, from growth accounting."""
    mart = "growth_accounting_by_channel" if filters.channels else "growth_accounting"
    needed = ("period_grain", "period_start", "new_users", "resurrected_users", "churned_users")

    def fetch(start: date, end: date) -> float | None:
        df = ui.aggregate(
            mart,
            "select sum(new_users) as n, sum(resurrected_users) as r, sum(churned_users) as c from {t}{where}",
            ui.Filters(channels=filters.channels),
            where={"period_grain": grain, "period_start": start},
            required=needed,
        )
        churned = _scalar(df, "c")
        if not churned:
            return None
        return ((_scalar(df, "n") or 0.0) + (_scalar(df, "r") or 0.0)) / abs(churned)

    cur, prev = _pair(fetch, period)
    return Kpi(
        "Quick ratio",
        cur,
        prev,
        kind="ratio",
        help="(new + resurrected) / churned active users; above 1 the active base grows.",
    )


def render() -> None:
    st.title("Overview")
    filters = ui.current_filters()
    grain = st.radio("Period", ["week", "month"], horizontal=True, key="overview_grain", format_func=str.title)
    try:
        period = last_complete_period(grain, filters)
    except ui.MartUnavailable as exc:
        st.info(f"Nothing to show: {exc}")
        return
    if period is None:
        st.info(f"The chosen date range holds fewer than two complete {grain}s: no period to compare.")
        return
    st.caption(
        f"Last complete {grain}: **{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}**, compared with "
        f"{period.previous_start:%Y-%m-%d} – {period.previous_end:%Y-%m-%d}."
        " The end of the date filter picks the period."
    )
    cards = [
        active_users(filters, period),
        new_users(filters, period),
        conversion(filters, grain),
        revenue_kpi(filters, period, grain),
        quick_ratio(filters, period, grain),
    ]
    for column, kpi in zip(st.columns(len(cards)), cards, strict=True):
        column.metric(
            kpi.name,
            kpi.value_text,
            kpis.fmt_change(kpi.current, kpi.previous, kpi.kind),
            help=kpi.help,
        )
    for kpi in cards:
        if kpi.note:
            st.caption(kpi.note)
    table = pd.DataFrame(
        {
            "kpi": [k.name for k in cards],
            "current_period": [k.current for k in cards],
            "previous_period": [k.previous for k in cards],
        }
    )
    ui.section("Daily trend", _daily_trend, filters)
    with st.expander("KPI values"):
        ui.table(table, "overview kpis")


def _daily_trend(filters: ui.Filters) -> None:
    df = ui.load(
        "fct_daily_metrics",
        ui.Filters(filters.start, filters.end),
        date_column="date_day",
        order_by=["date_day"],
    )
    if filters.channels or filters.devices or filters.countries:
        st.caption("Daily totals below are for all users (fct_daily_metrics has no channel, device or country).")
    left, right = st.columns(2)
    left.plotly_chart(
        charts.multi_lines(
            df, "date_day", ["dau", "wau", "mau"], ["DAU", "WAU (7 days)", "MAU (30 days)"], "Active users"
        ),
        width="stretch",
    )
    right.plotly_chart(
        charts.multi_lines(
            df, "date_day", ["signups", "activations"], ["Sign-ups", "Activations"], "Sign-ups and activations"
        ),
        width="stretch",
    )
    ui.table(df, "daily metrics")
