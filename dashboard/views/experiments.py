"""Experiments: conversion per variant with confidence intervals, lift and significance, sample-ratio check."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Experiments"
URL = "experiments"
ICON = ":material/science:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = ("experiment_results",)
Z95 = 1.959964


def wilson_interval(converted: float, assigned: float, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval of a conversion rate; (nan, nan) without assignments."""
    if not assigned:
        return math.nan, math.nan
    p = converted / assigned
    denom = 1 + z * z / assigned
    centre = (p + z * z / (2 * assigned)) / denom
    half = z * math.sqrt(p * (1 - p) / assigned + z * z / (4 * assigned * assigned)) / denom
    return centre - half, centre + half


def verdict(row: pd.Series) -> str:
    """One line per non-control variant, from the mart's own test results."""
    if bool(row["is_control"]):
        return "control"
    if pd.isna(row["p_value"]):
        return "no test (no variance)"
    direction = "better" if row["absolute_lift"] > 0 else "worse"
    if bool(row["is_significant"]):
        return f"significantly {direction} (p = {row['p_value']:.3g})"
    return f"no significant difference (p = {row['p_value']:.3g})"


def render() -> None:
    st.title("Experiments")
    filters = ui.current_filters()
    if filters.by_user or filters.dates_narrowed:
        st.caption("Filters do not apply: experiment results are computed over each experiment's whole assignment.")
    ui.section("Results", _results)


def _results() -> None:
    df = ui.load("experiment_results", order_by=["experiment_id", "variant"])
    experiments = list(dict.fromkeys(df["experiment_id"]))
    summary = (
        df.groupby("experiment_id", as_index=False)
        .agg(
            variants=("variant", "count"),
            assigned_users=("assigned_users", "sum"),
            significant_variants=("is_significant", "sum"),
            sample_ratio_mismatch=("has_sample_ratio_mismatch", "max"),
            started=("experiment_started_at", "min"),
        )
        .sort_values("started")
    )
    ui.table(summary, "experiments")
    chosen = st.selectbox("Experiment", experiments, key="experiment_id")
    exp = df[df["experiment_id"] == chosen].copy()
    intervals = [wilson_interval(c, a) for c, a in zip(exp["converted_users"], exp["assigned_users"], strict=True)]
    exp["rate_ci_lower"] = [lo for lo, _ in intervals]
    exp["rate_ci_upper"] = [hi for _, hi in intervals]
    exp["verdict"] = exp.apply(verdict, axis=1)
    head = exp.iloc[0]
    st.markdown(
        f"**Goal:** `{head['goal_event']}` within {int(head['conversion_window_days'])} days of assignment ·"
        f" control: `{head['control_variant']}` · {int(exp['assigned_users'].sum()):,} users assigned"
    )
    left, right = st.columns(2)
    left.plotly_chart(
        charts.bars_with_ci(
            exp,
            "variant",
            "conversion_rate",
            "rate_ci_lower",
            "rate_ci_upper",
            title="Conversion rate (95 % Wilson CI)",
        ),
        width="stretch",
    )
    treated = exp[~exp["is_control"].astype(bool)]
    if not treated.empty:
        fig = charts.bars_with_ci(
            treated,
            "variant",
            "absolute_lift",
            "lift_ci_lower",
            "lift_ci_upper",
            title="Absolute lift vs control (95 % CI)",
        )
        fig.add_hline(y=0, line_color="#718096")
        right.plotly_chart(fig, width="stretch")
    for _, row in treated.iterrows():
        text = (
            f"**{row['variant']}**: {row['conversion_rate']:.2%} vs {row['control_conversion_rate']:.2%} control,"
            f" lift {row['absolute_lift']:+.2%} (95 % CI {row['lift_ci_lower']:+.2%} to {row['lift_ci_upper']:+.2%})"
            f" — {row['verdict']}."
        )
        (st.success if bool(row["is_significant"]) else st.info)(text)
    srm_p = head["srm_p_value"]
    shares = ", ".join(
        f"{v}: {o:.1%} observed / {p:.1%} planned"
        for v, o, p in zip(exp["variant"], exp["observed_share"], exp["planned_share"], strict=True)
    )
    if bool(head["has_sample_ratio_mismatch"]):
        st.error(
            f"Sample-ratio mismatch (χ² p = {srm_p:.2g}): the split differs from the plan ({shares})."
            " Do not trust the results until the assignment is fixed."
        )
    else:
        p_text = "n/a" if pd.isna(srm_p) else f"{srm_p:.2g}"
        st.caption(f"Sample-ratio check passed (χ² p = {p_text}): {shares}.")
    ui.table(exp, f"experiment {chosen}")
