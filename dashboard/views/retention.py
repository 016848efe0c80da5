"""Retention: cohort triangle (incomplete cells marked), retention curves, by channel, N-day retention."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Retention"
URL = "retention"
ICON = ":material/grid_on:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = (
    "cohort_retention",
    "cohort_retention_by_channel",
    "nday_retention",
)


def cohort_cells(grain: str, filters: ui.Filters) -> pd.DataFrame:
    """One row per cohort and age: cohort_users, active_users, retention_rate, is_complete_period.

    With a channel filter the channel mart is summed over the chosen channels and the rate recomputed.
    """
    cohort_filters = ui.Filters(filters.start, filters.end, filters.channels)
    if filters.channels:
        df = ui.aggregate(
            "cohort_retention_by_channel",
            "select cohort_start, periods_since_cohort, sum(cohort_users) as cohort_users,"
            " sum(active_users) as active_users, bool_and(is_complete_period) as is_complete_period"
            " from {t}{where} group by cohort_start, periods_since_cohort order by cohort_start, periods_since_cohort",
            cohort_filters,
            date_column="cohort_start",
            where={"cohort_grain": grain},
            required=("periods_since_cohort", "cohort_users", "active_users", "is_complete_period"),
        )
    else:
        df = ui.load(
            "cohort_retention",
            cohort_filters,
            date_column="cohort_start",
            where={"cohort_grain": grain},
            columns=["cohort_start", "periods_since_cohort", "cohort_users", "active_users", "is_complete_period"],
            order_by=["cohort_start", "periods_since_cohort"],
        )
    df = df[df["cohort_users"] > 0].copy()
    if df.empty:
        raise ui.MartUnavailable(f"no {grain} cohort with users for the chosen filters.")
    df["retention_rate"] = df["active_users"] / df["cohort_users"]
    df["is_complete_period"] = df["is_complete_period"].astype(bool)
    return df


def triangle(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    values = cells.pivot(index="cohort_start", columns="periods_since_cohort", values="retention_rate")
    incomplete = ~cells.pivot(index="cohort_start", columns="periods_since_cohort", values="is_complete_period").fillna(
        True
    ).astype(bool)
    sizes = cells.drop_duplicates("cohort_start").set_index("cohort_start")["cohort_users"]
    values.index = [pd.Timestamp(i).strftime("%Y-%m-%d") for i in values.index]
    incomplete.index = values.index
    sizes.index = values.index
    return values, incomplete, sizes


def curve(cells: pd.DataFrame) -> pd.DataFrame:
    """Average retention by age over complete cells, weighted by cohort size (sum active / sum cohort users)."""
    done = cells[cells["is_complete_period"]]
    out = done.groupby("periods_since_cohort", as_index=False)[["active_users", "cohort_users"]].sum()
    out["retention_rate"] = out["active_users"] / out["cohort_users"]
    return out


def render() -> None:
    st.title("Retention")
    filters = ui.current_filters()
    left, right = st.columns([2, 1])
    grain = left.radio("Cohort grain", ["week", "month"], horizontal=True, key="retention_grain", format_func=str.title)
    max_cohorts = right.slider("Most recent cohorts shown", 4, 52, 16, key="retention_cohorts")
    if filters.devices or filters.countries:
        st.caption("Device and country filters do not apply here: cohort marts are by channel only.")
    ui.section("Cohort triangle", _triangle, grain, filters, max_cohorts)
    ui.section("Retention curves by channel", _curves_by_channel, grain, filters)
    ui.section("N-day retention by channel", _nday, filters)


def _triangle(grain: str, filters: ui.Filters, max_cohorts: int) -> None:
    cells = cohort_cells(grain, filters)
    keep = sorted(cells["cohort_start"].unique())[-max_cohorts:]
    cells = cells[cells["cohort_start"].isin(keep)]
    values, incomplete, sizes = triangle(cells)
    st.plotly_chart(
        charts.cohort_heatmap(values, incomplete, sizes, x_title=f"{grain.title()}s since first activity"),
        width="stretch",
    )
    st.caption(
        f"Cohort = users whose first activity fell in the {grain}. Grey cells marked * are not complete yet:"
        f" that {grain} has not ended."
    )
    overall = curve(cells)
    st.plotly_chart(
        charts.lines(
            overall,
            "periods_since_cohort",
            "retention_rate",
            y_format=".0%",
            markers=True,
            title="Average retention curve (complete cells, weighted by cohort size)",
            x_title=f"{grain.title()}s since first activity",
        ),
        width="stretch",
    )
    ui.table(cells, f"cohort retention {grain}")


def _curves_by_channel(grain: str, filters: ui.Filters) -> None:
    df = ui.load(
        "cohort_retention_by_channel",
        ui.Filters(filters.start, filters.end, filters.channels),
        date_column="cohort_start",
        where={"cohort_grain": grain, "is_complete_period": True},
        columns=["acquisition_channel", "periods_since_cohort", "cohort_users", "active_users"],
    )
    out = df.groupby(["acquisition_channel", "periods_since_cohort"], as_index=False)[
        ["active_users", "cohort_users"]
    ].sum()
    out = out[out["cohort_users"] > 0]
    out["retention_rate"] = out["active_users"] / out["cohort_users"]
    st.plotly_chart(
        charts.lines(
            out,
            "periods_since_cohort",
            "retention_rate",
            "acquisition_channel",
            y_format=".0%",
            markers=True,
            x_title=f"{grain.title()}s since first activity",
        ),
        width="stretch",
    )
    ui.table(out, f"retention curves by channel {grain}")


def _nday(filters: ui.Filters) -> None:
    df = ui.aggregate(
        "nday_retention",
        "select acquisition_channel, retention_day, sum(eligible_users) as eligible_users,"
        " sum(retained_on_day_users) as retained_on_day_users,"
        " sum(retained_on_or_after_users) as retained_on_or_after_users"
        " from {t}{where} group by acquisition_channel, retention_day order by retention_day, acquisition_channel",
        ui.Filters(filters.start, filters.end, filters.channels),
        date_column="signup_week",
        required=("acquisition_channel", "retention_day", "eligible_users", "retained_on_day_users"),
    )
    df = df[df["eligible_users"] > 0].copy()
    if df.empty:
        raise ui.MartUnavailable("no user is old enough for any N-day retention in the chosen range.")
    df["retention_rate_on_day"] = df["retained_on_day_users"] / df["eligible_users"]
    df["retention_rate_on_or_after"] = df["retained_on_or_after_users"] / df["eligible_users"]
    df["day"] = df["retention_day"].map(lambda d: f"day {d}")
    st.plotly_chart(
        charts.grouped_bars(
            df.sort_values("retention_day"),
            "day",
            "retention_rate_on_day",
            "acquisition_channel",
            y_format=".0%",
            title="Active exactly N days after sign-up (eligible users only)",
        ),
        width="stretch",
    )
    ui.table(df.drop(columns=["day"]), "n-day retention by channel")
