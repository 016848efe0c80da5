"""Engagement: DAU/WAU/MAU, stickiness, the L28 histogram, feature adoption, engagement vs retention."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Engagement"
URL = "engagement"
ICON = ":material/touch_app:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = (
    "active_users",
    "activity_frequency",
    "fct_user_activity_daily",
    "engagement_weekly",
    "engagement_feature_adoption",
    "engagement_retention",
)


def render() -> None:
    st.title("Engagement")
    filters = ui.current_filters()
    ui.section("Active users and stickiness", _active, filters)
    ui.section("L28: active days in the last 28 days", _l28, filters)
    ui.section("Sessions", _sessions, filters)
    ui.section("Feature adoption", _features, filters)
    ui.section("First-week engagement vs later retention", _engagement_retention, filters)


def _active(filters: ui.Filters) -> None:
    if filters.channels or filters.devices or filters.countries:
        st.caption("DAU/WAU/MAU are totals for all users: the active_users mart has no channel, device or country.")
    df = ui.load("active_users", ui.Filters(filters.start, filters.end), date_column="date_day", order_by=["date_day"])
    left, right = st.columns(2)
    left.plotly_chart(
        charts.multi_lines(
            df, "date_day", ["dau", "wau", "mau"], ["DAU", "WAU (7 days)", "MAU (30 days)"], "DAU / WAU / MAU"
        ),
        width="stretch",
    )
    fig = charts.multi_lines(df, "date_day", ["stickiness", "dau_over_wau"], ["DAU/MAU", "DAU/WAU"], "Stickiness")
    fig.update_yaxes(tickformat=".0%")
    right.plotly_chart(fig, width="stretch")
    if "is_mau_window_complete" in df and not df["is_mau_window_complete"].astype(bool).all():
        st.caption("MAU and DAU/MAU of the first 29 days of data count fewer than 30 days (window not complete).")
    ui.table(df, "dau wau mau")


def l28_histogram(filters: ui.Filters) -> tuple[pd.DataFrame, str]:
    """Users by number of active days in the 28 days ending at the end of the date range.

    Unfiltered and ending on the last data date, this is marts.activity_frequency; otherwise it is counted from
    marts.fct_user_activity_daily with the channel, device and country filters (same rule).
    """
    last = ui.run_query("select max(activity_date) as v from marts.fct_user_activity_daily")
    if last.empty or pd.isna(last["v"].iloc[0]):
        raise ui.MartUnavailable("`marts.fct_user_activity_daily` is empty for this dataset.")
    end = (
        min(filters.end, pd.Timestamp(last["v"].iloc[0]).date())
        if filters.end
        else pd.Timestamp(last["v"].iloc[0]).date()
    )
    start = end - timedelta(days=27)
    unfiltered = not (filters.channels or filters.devices or filters.countries)
    if unfiltered and "as_of_date" in ui.mart_columns("activity_frequency"):
        mart = ui.load(
            "activity_frequency",
            columns=["as_of_date", "active_days", "users"],
            order_by=["active_days"],
            allow_empty=True,
        )
        if not mart.empty and pd.Timestamp(mart["as_of_date"].iloc[0]).date() == end:
            df = mart[["active_days", "users"]].copy()
            df["users"] = df["users"].astype(int)
            return df, f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"
    window = ui.Filters(start, end, filters.channels, filters.devices, filters.countries)
    df = ui.aggregate(
        "fct_user_activity_daily",
        "select active_days, count(*) as users from ("
        " select user_id, count(distinct activity_date) as active_days from {t}{where} group by user_id"
        ") as per_user group by active_days order by active_days",
        window,
        date_column="activity_date",
        required=("user_id",),
    )
    full = pd.DataFrame({"active_days": range(1, 29)})
    df = full.merge(df, on="active_days", how="left").fillna({"users": 0})
    df["users"] = df["users"].astype(int)
    return df, f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def _l28(filters: ui.Filters) -> None:
    df, label = l28_histogram(filters)
    if not df["users"].sum():
        raise ui.MartUnavailable("no active users in the last 28 days of the range.")
    st.plotly_chart(
        charts.histogram_bars(
            df, "active_days", "users", title=f"Active users by active days, {label}", x_title="Active days out of 28"
        ),
        width="stretch",
    )
    share_power = df.loc[df["active_days"] >= 20, "users"].sum() / df["users"].sum()
    st.caption(f"{share_power:.0%} of the period's active users were active on 20 or more of the 28 days.")
    ui.table(df, "l28 histogram")


def _sessions(filters: ui.Filters) -> None:
    df = ui.load(
        "engagement_weekly",
        ui.Filters(filters.start, filters.end),
        date_column="week_start_date",
        order_by=["week_start_date"],
    )
    left, right = st.columns(2)
    left.plotly_chart(
        charts.multi_lines(
            df,
            "week_start_date",
            ["sessions_per_user", "events_per_session"],
            ["Sessions per user", "Events per session"],
            "Per week",
        ),
        width="stretch",
    )
    df["median_session_minutes"] = df["median_session_duration_seconds"] / 60
    df["avg_session_minutes"] = df["avg_session_duration_seconds"] / 60
    right.plotly_chart(
        charts.multi_lines(
            df,
            "week_start_date",
            ["median_session_minutes", "avg_session_minutes"],
            ["Median", "Mean"],
            "Session length (minutes)",
        ),
        width="stretch",
    )
    ui.table(df, "weekly engagement")


def _features(filters: ui.Filters) -> None:
    df = ui.load(
        "engagement_feature_adoption",
        ui.Filters(filters.start, filters.end),
        date_column="week_start_date",
        order_by=["week_start_date", "feature_name"],
    )
    complete = df[df["is_complete_period"].astype(bool)] if "is_complete_period" in df else df
    if complete.empty:
        complete = df
    last_week = complete["week_start_date"].max()
    latest = complete[complete["week_start_date"] == last_week].sort_values("adoption_rate", ascending=True)
    left, right = st.columns(2)
    left.plotly_chart(
        charts.grouped_bars(
            latest,
            "feature_name",
            "adoption_rate",
            y_format=".0%",
            orientation="h",
            text_format=".1%",
            title=f"Adoption, week of {pd.Timestamp(last_week):%Y-%m-%d}",
        ),
        width="stretch",
    )
    right.plotly_chart(
        charts.lines(df, "week_start_date", "adoption_rate", "feature_name", y_format=".0%", title="Adoption by week"),
        width="stretch",
    )
    ui.table(df, "feature adoption")


def _engagement_retention(filters: ui.Filters) -> None:
    df = ui.load("engagement_retention", order_by=["retention_week", "bucket_order"])
    if filters.dates_narrowed or filters.by_user:
        st.caption("For all users over the whole data: engagement_retention has no date, channel, device or country.")
    df["bucket"] = df["first_week_bucket"].astype(str)
    fig = charts.lines(
        df.assign(retention_week=df["retention_week"].map(lambda w: f"week {w}")),
        "bucket_order",
        "retention_rate",
        "retention_week",
        y_format=".0%",
        markers=True,
        title="Retention by active days in the first week",
        x_title="Active days in days 0–6 after sign-up",
    )
    order = df.drop_duplicates("bucket_order").sort_values("bucket_order")
    fig.update_xaxes(tickvals=order["bucket_order"], ticktext=order["bucket"])
    st.plotly_chart(fig, width="stretch")
    ui.table(df.drop(columns=["bucket"]), "engagement vs retention")
