"""Funnel: users per step with drop-off, conversion by channel and device, daily conversion with anomalies."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Funnel"
URL = "funnel"
ICON = ":material/filter_alt:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = (
    "funnel_conversion",
    "funnel_conversion_daily",
    "metric_anomalies",
)
MART = "funnel_conversion"


def render() -> None:
    st.title("Funnel")
    st.caption(
        "Strict ordered funnel by entry date: a user reaches a step only after the previous one and within the"
        " conversion window. Entrants whose window is still open may yet convert."
    )
    filters = ui.current_filters()
    ui.section("Steps", _steps, filters)
    ui.section("Conversion by channel and device", _by_segment, filters)
    ui.section("Daily conversion", _daily, filters)


def _steps(filters: ui.Filters) -> None:
    df = ui.aggregate(
        MART,
        "select step_number, step_name, sum(step_users) as step_users, sum(entered_users) as entered_users,"
        " sum(users_in_window) as users_in_window from {t}{where} group by step_number, step_name order by step_number",
        filters,
        date_column="entry_date",
        required=("step_number", "step_name", "step_users", "entered_users", "users_in_window"),
    )
    if df.empty or not df["entered_users"].sum():
        raise ui.MartUnavailable(f"`marts.{MART}` has no funnel entrants for the chosen filters.")
    df["conversion_from_previous_step"] = df["step_users"] / df["step_users"].shift(1)
    df["conversion_from_first_step"] = df["step_users"] / df["entered_users"]
    st.plotly_chart(charts.funnel_steps(df, "step_name", "step_users"), width="stretch")
    open_users = int(df["users_in_window"].sum())
    if open_users:
        st.caption(f"{open_users:,} user-steps are still inside their conversion window (not yet counted as lost).")
    ui.table(df, "funnel steps")


def _final_step_rates(filters: ui.Filters, by: str) -> pd.DataFrame:
    return ui.aggregate(
        MART,
        f'select "{by}" as segment, sum(step_users) as converted, sum(entered_users) as entered from {{t}}'
        f' where step_number = (select max(step_number) from {{t}}){{and_where}} group by "{by}" order by 1',
        filters,
        date_column="entry_date",
        required=(by, "step_number", "step_users", "entered_users"),
    )


def _by_segment(filters: ui.Filters) -> None:
    left, right = st.columns(2)
    tables = []
    for column, by, label in ((left, "acquisition_channel", "channel"), (right, "entry_device", "device")):
        df = _final_step_rates(filters, by)
        if df.empty:
            column.info(f"No entrants by {label} for the chosen filters.")
            continue
        df["conversion"] = df["converted"] / df["entered"].where(df["entered"] > 0)
        df = df.sort_values("conversion", ascending=False)
        column.plotly_chart(
            charts.grouped_bars(
                df, "segment", "conversion", y_format=".0%", title=f"Conversion by {label}", text_format=".1%"
            ),
            width="stretch",
        )
        tables.append(df.assign(dimension=label))
    if tables:
        ui.table(
            pd.concat(tables, ignore_index=True)[["dimension", "segment", "entered", "converted", "conversion"]],
            "conversion by channel and device",
        )


def _daily(filters: ui.Filters) -> None:
    if filters.channels or filters.devices:
        df = ui.aggregate(
            MART,
            "select entry_date, sum(step_users) as converted, sum(entered_users) as entered from {t}"
            " where step_number = (select max(step_number) from {t}){and_where}"
            " group by entry_date order by entry_date",
            filters,
            date_column="entry_date",
            required=("entry_date", "step_number", "step_users", "entered_users"),
        )
        df["conversion"] = df["converted"] / df["entered"].where(df["entered"] > 0)
        st.caption("Filtered by channel/device: computed from funnel_conversion (anomaly flags are for all users).")
    else:
        df = ui.load(
            "funnel_conversion_daily",
            filters,
            date_column="entry_date",
            where={"is_final_step": True},
            order_by=["entry_date"],
        )
        df = df.rename(
            columns={"conversion_from_first_step": "conversion", "step_users": "converted", "entered_users": "entered"}
        )
    if df.empty:
        raise ui.MartUnavailable("no funnel entrants in the chosen date range.")
    df = df.sort_values("entry_date").reset_index(drop=True)
    # 7-day conversion weighted by entrants: sum converted / sum entered over the window (not a mean of rates)
    rolling = df[["converted", "entered"]].astype(float).rolling(7, min_periods=4).sum()
    df["conversion_7d"] = rolling["converted"] / rolling["entered"].where(rolling["entered"] > 0)
    anomalies = _anomalies(filters)
    flagged = None
    if anomalies is not None and not anomalies.empty:
        flagged = df[pd.to_datetime(df["entry_date"]).isin(pd.to_datetime(anomalies["anomaly_date"]))]
    st.plotly_chart(
        charts.line_with_anomalies(
            df, "entry_date", "conversion", flagged, smooth="conversion_7d", title="Overall conversion by entry date"
        ),
        width="stretch",
    )
    if anomalies is not None and not anomalies.empty:
        st.caption(
            "✕ = a day on which a step's conversion (from the previous step) left its trailing range"
            " (marts.metric_anomalies, all users):"
        )
        ui.table(anomalies, "funnel anomalies")
    elif anomalies is None:
        st.caption("marts.metric_anomalies is not built: no anomaly marks.")
    else:
        st.caption("No funnel anomaly flagged in this date range.")
    ui.table(df, "daily conversion")


def _anomalies(filters: ui.Filters) -> pd.DataFrame | None:
    """Days that marts.metric_anomalies flags on funnel step conversion (metric_name conversion_to_<step>)."""
    try:
        ui.require("metric_anomalies", "metric_date", "metric_name", "is_anomaly")
    except ui.MartUnavailable:
        return None
    df = ui.load(
        "metric_anomalies",
        ui.Filters(filters.start, filters.end),
        date_column="metric_date",
        where={"is_anomaly": True},
        order_by=["metric_date", "metric_name"],
        allow_empty=True,
    )
    df = df[df["metric_name"].astype(str).str.startswith("conversion_to_")]
    return df.rename(columns={"metric_date": "anomaly_date"})
