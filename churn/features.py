"""The model's view of ``marts.churn_features``: which columns are features, and how each reads in words."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

NUMERIC = [
    "tenure_days",
    "days_since_last_active",
    "active_days_7d",
    "active_days_28d",
    "active_days_prior_28d",
    "active_days_change",
    "events_28d",
    "sessions_28d",
    "avg_session_events_28d",
    "avg_session_seconds_28d",
    "features_adopted",
    "funnel_stage_number",
    "days_in_funnel_stage",
    "failed_payments_90d",
    "is_paying",
]
CATEGORICAL = ["acquisition_channel", "device", "segment"]
FEATURES = NUMERIC + CATEGORICAL
LABEL = "is_churned"


def _n(v: object) -> str:
    return "unknown" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{float(v):g}"


# How a feature value reads in a reason ("last active 12 days ago").
WORDS: dict[str, Callable[[object], str]] = {
    "tenure_days": lambda v: f"signed up {_n(v)} days ago",
    "days_since_last_active": lambda v: f"last active {_n(v)} days ago",
    "active_days_7d": lambda v: f"active {_n(v)} of the last 7 days",
    "active_days_28d": lambda v: f"active {_n(v)} of the last 28 days",
    "active_days_prior_28d": lambda v: f"active {_n(v)} days in the 4 weeks before that",
    "active_days_change": lambda v: f"active days changed by {_n(v)} against the 4 weeks before",
    "events_28d": lambda v: f"{_n(v)} events in the last 28 days",
    "sessions_28d": lambda v: f"{_n(v)} sessions in the last 28 days",
    "avg_session_events_28d": lambda v: f"{float(v):.1f} events per session" if v == v else "no sessions",
    "avg_session_seconds_28d": lambda v: f"sessions of {float(v) / 60:.1f} minutes" if v == v else "no sessions",
    "features_adopted": lambda v: f"{_n(v)} product features used so far",
    "funnel_stage_number": lambda v: f"funnel stage {_n(v)}",
    "days_in_funnel_stage": lambda v: f"{_n(v)} days at the current funnel stage",
    "failed_payments_90d": lambda v: f"{_n(v)} failed payments in 90 days",
    "is_paying": lambda v: "paying" if bool(v) else "not paying",
    "acquisition_channel": lambda v: f"came through {v}",
    "device": lambda v: f"signed up on {v}",
    "segment": lambda v: f"segment {v}",
}


def prepare(frame: pd.DataFrame) -> pd.DataFrame:
    """The feature columns with stable dtypes: numbers as float (null = NaN), categories as strings."""
    out = pd.DataFrame(index=frame.index)
    for name in NUMERIC:
        out[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in CATEGORICAL:
        out[name] = frame[name].astype(object).where(frame[name].notna(), "unknown").astype(str)
    return out


def reason(feature: str, value: object) -> str:
    return WORDS[feature](value)
