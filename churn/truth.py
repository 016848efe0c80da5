"""The planted churn propensity for rows of ``churn_features``, from a generated dataset's truth_churn.parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from data_generation.churn_truth import CHURN_TRUTH_FILE, planted_propensity


def truth_file(data_dir: Path | None) -> Path | None:
    """The truth file of a generated dataset; None for imported data (no planted truth)."""
    if data_dir is None:
        return None
    path = Path(data_dir) / CHURN_TRUTH_FILE
    return path if path.is_file() else None


def propensity_for(frame: pd.DataFrame, path: Path | None, window_days: int) -> np.ndarray:
    """The planted propensity per row of ``frame`` (user_id, as_of_date, days_since_last_active); NaN without truth."""
    if path is None or frame.empty:
        return np.full(len(frame), np.nan)
    truth = pq.read_table(path).to_pandas().set_index("user_id")
    rows = truth.reindex(frame["user_id"].to_numpy())
    as_of = pd.to_datetime(frame["as_of_date"]).dt.tz_localize("UTC").to_numpy()
    day = np.timedelta64(1, "D")
    created = pd.to_datetime(rows["created_at"], utc=True).to_numpy()
    cap = pd.to_datetime(rows["lifetime_cap_at"], utc=True)
    days_to_cap = np.where(cap.isna(), np.inf, (cap.to_numpy() - as_of) / day)
    out = planted_propensity(
        age_days=(as_of - created) / day,
        days_since_last_active=frame["days_since_last_active"].to_numpy(dtype=float),
        weibull_shape=rows["weibull_shape"].to_numpy(dtype=float),
        lifetime_scale_days=rows["lifetime_scale_days"].to_numpy(dtype=float),
        sessions_per_day=rows["sessions_per_day"].to_numpy(dtype=float),
        days_to_cap=days_to_cap.astype(float),
        window_days=window_days,
    )
    return np.where(rows["weibull_shape"].isna().to_numpy(), np.nan, out)
