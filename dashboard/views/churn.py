"""Churn risk: who is likely to leave next (and why), how the model did in its backtest, and how well calibrated."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, ui

TITLE = "Churn risk"
URL = "churn"
ICON = ":material/person_remove:"
# The marts this page reads (declared as the page's dbt exposure in dbt_project/models/exposures.yml).
MARTS = ("churn_risk", "churn_model_evaluation", "churn_model_calibration")
BANDS = ["high", "medium", "low"]


def render() -> None:
    st.title("Churn risk")
    st.caption(
        "Probability that an active user shows no activity in the churn window (var churn_window_days, 28 days by"
        " default), from the model python -m churn picked by a time-based backtest. Empty until make run has trained"
        " it (or the dataset is too small: the pipeline then says so)."
    )
    filters = ui.current_filters()
    ui.section("Risk today", _risk, filters)
    ui.section("Backtest", _backtest)
    ui.section("Calibration and lift", _calibration)


def _risk(filters: ui.Filters) -> None:
    df = ui.load("churn_risk", filters, order_by=["as_of_date", "churn_probability"])
    latest = df["as_of_date"].max()
    now = df[df["as_of_date"] == latest]
    before = df[df["as_of_date"] < latest]
    cols = st.columns(len(BANDS))
    for col, band in zip(cols, BANDS, strict=True):
        n = int((now["risk_band"] == band).sum())
        prev = int((before["risk_band"] == band).sum()) if not before.empty else None
        col.metric(f"{band.title()} risk users", ui.fmt_number(n), ui.fmt_delta(n, prev))
    st.caption(f"Scored at {pd.Timestamp(latest).date()} (compared with the week before).")
    bins = now.assign(bucket=(now["churn_probability"].astype(float) * 10).clip(upper=9.999).astype(int) / 10)
    hist = bins.groupby("bucket", as_index=False).agg(users=("user_id", "count"))
    hist["probability"] = hist["bucket"].map(lambda b: f"{b:.1f}–{b + 0.1:.1f}")
    st.plotly_chart(
        charts.grouped_bars(hist, "probability", "users", title="Users by churn probability"), width="stretch"
    )
    top = now.sort_values("churn_probability", ascending=False).head(50)
    shown = top[
        ["user_id", "churn_probability", "risk_band", "reason_1", "reason_2", "reason_3", "acquisition_channel"]
    ]
    ui.table(shown, "riskiest active users")


def _backtest() -> None:
    ev = ui.load("churn_model_evaluation", order_by=["as_of_date"])
    long = ev.melt(
        id_vars=["as_of_date"],
        value_vars=["roc_auc", "ceiling_roc_auc", "recency_roc_auc"],
        var_name="score",
        value_name="auc",
    ).dropna(subset=["auc"])
    names = {"roc_auc": "model", "ceiling_roc_auc": "planted propensity (ceiling)", "recency_roc_auc": "recency only"}
    long["score"] = long["score"].map(names)
    st.plotly_chart(
        charts.lines(long, "as_of_date", "auc", "score", markers=True, title="ROC AUC by backtest as-of date"),
        width="stretch",
    )
    model, ceiling = ev["roc_auc"].astype(float).mean(), ev["ceiling_roc_auc"].astype(float).mean()
    text = f"**{ev['model_name'].iloc[0]}**: mean ROC AUC {model:.3f}"
    if pd.notna(ceiling):
        text += f" of a possible {ceiling:.3f} (the planted propensity's AUC on the same labels)"
    st.markdown(text + f"; recency alone {ev['recency_roc_auc'].astype(float).mean():.3f}.")
    ui.table(ev, "backtest")


def _calibration() -> None:
    cal = ui.load("churn_model_calibration", order_by=["as_of_date", "probability_decile"])
    latest = cal[cal["as_of_date"] == cal["as_of_date"].max()]
    long = latest.melt(
        id_vars=["probability_decile"],
        value_vars=["mean_probability", "churn_rate"],
        var_name="measure",
        value_name="share",
    )
    long["measure"] = long["measure"].map({"mean_probability": "predicted", "churn_rate": "observed"})
    st.plotly_chart(
        charts.grouped_bars(
            long, "probability_decile", "share", "measure", y_format=".0%", title="Predicted vs observed churn"
        ),
        width="stretch",
    )
    base = latest["churned_users"].sum() / max(latest["users"].sum(), 1)
    lift = latest.assign(lift=latest["churn_rate"].astype(float) / base if base else float("nan"))
    st.caption("Lift = churn rate of the decile / overall churn rate (10 = the riskiest tenth of users).")
    ui.table(lift, "calibration")
