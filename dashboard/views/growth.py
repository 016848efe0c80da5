"""Growth accounting: new, resurrected, retained and churned users per period, with the quick ratio."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Growth"
URL = "growth"
ICON = ":material/trending_up:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = (
    "growth_accounting",
    "growth_accounting_by_channel",
    "growth_accounting_by_segment",
)
COUNTS = ["active_users", "new_users", "retained_users", "resurrected_users", "churned_users"]


def with_quick_ratio(df: pd.DataFrame) -> pd.DataFrame:
    """Recompute quick ratio and retention rate after summing counts over channels (ratios do not add up)."""
    out = df.copy()
    churned = out["churned_users"].where(out["churned_users"] > 0)
    out["quick_ratio"] = (out["new_users"] + out["resurrected_users"]) / churned
    previous_active = out["active_users"].shift(1)
    out["retention_rate"] = out["retained_users"] / previous_active.where(previous_active > 0)
    return out


def load_growth(grain: str, filters: ui.Filters) -> tuple[pd.DataFrame, str]:
    """Growth accounting for ``grain``; summed over the chosen channels when the channel filter is set."""
    period_filters = ui.Filters(filters.start, filters.end)
    if filters.channels:
        mart = "growth_accounting_by_channel"
        df = ui.aggregate(
            mart,
            "select period_start, bool_and(is_complete_period) as is_complete_period, "
            + ", ".join(f"sum({c}) as {c}" for c in COUNTS)
            + " from {t}{where} group by period_start order by period_start",
            ui.Filters(filters.start, filters.end, filters.channels),
            date_column="period_start",
            where={"period_grain": grain},
            required=(*COUNTS, "is_complete_period"),
        )
        df = with_quick_ratio(df)
    else:
        mart = "growth_accounting"
        df = ui.load(
            mart, period_filters, date_column="period_start", where={"period_grain": grain}, order_by=["period_start"]
        )
    if df.empty:
        raise ui.MartUnavailable(f"`marts.{mart}` has no {grain} rows for the chosen filters.")
    for c in COUNTS:
        df[c] = df[c].astype(float)
    return df, mart


def render() -> None:
    st.title("Growth accounting")
    st.caption(
        "Active users of each period split into new (first active period), retained (also active the period before)"
        " and resurrected (back after a gap); churned = active the period before but not now (drawn below zero)."
        " Quick ratio = (new + resurrected) / churned."
    )
    filters = ui.current_filters()
    left, right = st.columns([2, 1])
    grain = left.radio(
        "Grain", ["day", "week", "month"], index=1, horizontal=True, key="growth_grain", format_func=str.title
    )
    include_partial = right.checkbox("Include the incomplete last period", value=False, key="growth_partial")
    if filters.devices or filters.countries:
        st.caption("Device and country filters do not apply: growth accounting is by channel and segment only.")
    ui.section("Users gained and lost", _main, grain, filters, include_partial)
    ui.section("Quick ratio by segment", _by_segment, grain, filters, include_partial)


def _main(grain: str, filters: ui.Filters, include_partial: bool) -> None:
    df, mart = load_growth(grain, filters)
    if not include_partial:
        df = df[df["is_complete_period"].astype(bool)]
        if df.empty:
            raise ui.MartUnavailable(f"no complete {grain} in the chosen date range.")
    st.plotly_chart(
        charts.growth_accounting(
            df, "period_start", "new_users", "resurrected_users", "retained_users", "churned_users", "quick_ratio"
        ),
        width="stretch",
    )
    if filters.channels:
        st.caption(f"Summed over {', '.join(filters.channels)} (from `{mart}`); quick ratio recomputed from the sums.")
    ui.table(df, f"growth accounting {grain}")


def _by_segment(grain: str, filters: ui.Filters, include_partial: bool) -> None:
    df = ui.load(
        "growth_accounting_by_segment",
        ui.Filters(filters.start, filters.end),
        date_column="period_start",
        where={"period_grain": grain},
        order_by=["period_start", "segment"],
    )
    if not include_partial:
        df = df[df["is_complete_period"].astype(bool)]
    if df.empty:
        raise ui.MartUnavailable(f"no complete {grain} in the chosen date range.")
    st.plotly_chart(
        charts.lines(df, "period_start", "quick_ratio", "segment", title=f"Quick ratio per {grain} by segment"),
        width="stretch",
    )
    ui.table(df, f"growth accounting by segment {grain}")
