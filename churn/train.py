"""Backtest, choose, fit, explain and score: the churn step from features to the ``ml`` tables.

Backtest (never a random split): for each of the last ``BACKTEST_DATES`` labelled as-of dates T, a candidate is fitted
on the rows whose label window had closed by T (as-of date <= T - window) and scored on the users at T. The candidate
with the higher mean ROC AUC over those dates wins (ties: the logistic regression). It is then fitted on every
labelled row and scores the latest two as-of dates. Too little data (few labelled rows, churners or weeks): the step
says so, empties the ``ml`` tables and writes no model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from churn.features import CATEGORICAL, FEATURES, LABEL, prepare, reason
from churn.models import CANDIDATES, make_model
from churn.store import ML_COLUMNS

BACKTEST_DATES = 4
MIN_TRAIN_ROWS = 400  # labelled user-weeks before the first backtest date
MIN_CLASS_ROWS = 40  # churned and retained rows each, in that training set
SCORED_DATES = 2


@dataclass
class TrainResult:
    model_name: str | None
    message: str
    tables: dict[str, pd.DataFrame]
    backtest_auc: dict[str, float] = field(default_factory=dict)
    model: Any = None
    seconds: float = 0.0


def _empty_tables() -> dict[str, pd.DataFrame]:
    return {name: pd.DataFrame(columns=cols) for name, cols in ML_COLUMNS.items()}


def _backtest_dates(frame: pd.DataFrame, window_days: int) -> list[Any]:
    labelled = sorted(frame.loc[frame[LABEL].notna(), "as_of_date"].unique())
    return labelled[-BACKTEST_DATES:]


def _train_rows(frame: pd.DataFrame, as_of: Any, window_days: int) -> pd.DataFrame:
    closed = frame["as_of_date"] <= as_of - timedelta(days=window_days)
    return frame[closed & frame[LABEL].notna()]


def check_enough(frame: pd.DataFrame, window_days: int) -> str | None:
    """None when there is enough history for a model, else why not (one line)."""
    dates = _backtest_dates(frame, window_days)
    if len(dates) < 2:
        return f"only {len(dates)} as-of date(s) with a closed {window_days}-day label window (needs 2)"
    train = _train_rows(frame, dates[0], window_days)
    churned = int(train[LABEL].astype(bool).sum())
    if len(train) < MIN_TRAIN_ROWS or min(churned, len(train) - churned) < MIN_CLASS_ROWS:
        return (
            f"{len(train)} labelled user-weeks ({churned} churned) before the first backtest date {dates[0]} "
            f"(needs {MIN_TRAIN_ROWS}, and {MIN_CLASS_ROWS} churned and {MIN_CLASS_ROWS} retained)"
        )
    return None


def _fit(name: str, rows: pd.DataFrame, seed: int) -> Any:
    model = make_model(name, seed)
    model.fit(prepare(rows), rows[LABEL].astype(bool).to_numpy())
    return model


def _predict(model: Any, rows: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(prepare(rows))[:, 1]


def permutation_importance(model: Any, rows: pd.DataFrame, seed: int, repeats: int = 3) -> pd.Series:
    """Mean drop in ROC AUC when one feature's values are shuffled across users (per original column)."""
    rng = np.random.default_rng(seed)
    x = prepare(rows)
    y = rows[LABEL].astype(bool).to_numpy()
    base = roc_auc_score(y, model.predict_proba(x)[:, 1])
    drops = {}
    for name in FEATURES:
        losses = []
        for _ in range(repeats):
            shuffled = x.copy()
            shuffled[name] = rng.permutation(shuffled[name].to_numpy())
            losses.append(base - roc_auc_score(y, model.predict_proba(shuffled)[:, 1]))
        drops[name] = float(np.mean(losses))
    return pd.Series(drops).sort_values(ascending=False)


def reasons(model: Any, rows: pd.DataFrame, reference: pd.DataFrame, top: int = 3) -> list[list[str | None]]:
    """Per row, the features whose value raises the probability most against a typical user (median / most common
    value of ``reference``), in words; fewer than ``top`` when fewer features raise it."""
    x = prepare(rows)
    ref = prepare(reference)
    base = model.predict_proba(x)[:, 1]
    lifts = np.zeros((len(x), len(FEATURES)))
    for j, name in enumerate(FEATURES):
        typical = ref[name].mode().iloc[0] if name in CATEGORICAL else ref[name].median()
        changed = x.copy()
        changed[name] = typical
        lifts[:, j] = base - model.predict_proba(changed)[:, 1]
    order = np.argsort(-lifts, axis=1)[:, :top]
    out = []
    for i, row in enumerate(order):
        words: list[str | None] = [reason(FEATURES[j], x.iloc[i][FEATURES[j]]) for j in row if lifts[i, j] > 0.005]
        out.append(words + [None] * (top - len(words)))
    return out


def score_latest(model: Any, model_name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """churn_scores rows: the users at the latest SCORED_DATES as-of dates, with probability and reasons."""
    with threadpool_limits(limits=1):
        return _score_latest(model, model_name, frame)


def _score_latest(model: Any, model_name: str, frame: pd.DataFrame) -> pd.DataFrame:
    latest = sorted(frame["as_of_date"].unique())[-SCORED_DATES:]
    scored = frame[frame["as_of_date"].isin(latest)].reset_index(drop=True)
    labelled = frame[frame[LABEL].notna()]
    why_words = reasons(model, scored, labelled if len(labelled) else frame)
    return scored[["user_id", "as_of_date"]].assign(
        model_name=model_name,
        churn_probability=_predict(model, scored),
        reason_1=[w[0] for w in why_words],
        reason_2=[w[1] for w in why_words],
        reason_3=[w[2] for w in why_words],
    )


def train_and_score(
    frame: pd.DataFrame, window_days: int, seed: int = 42, propensity: Any = None, log: Any = print
) -> TrainResult:
    """Everything but I/O: ``frame`` is churn_features, ``propensity(rows)`` the planted propensity (or None).

    One thread for the numeric libraries: OpenMP's thread pool in gradient boosting slows down thirtyfold on a
    shared machine, and one thread keeps results identical from machine to machine."""
    with threadpool_limits(limits=1):
        return _train_and_score(frame, window_days, seed, propensity, log)


def _train_and_score(frame: pd.DataFrame, window_days: int, seed: int, propensity: Any, log: Any) -> TrainResult:
    began = time.perf_counter()
    why = check_enough(frame, window_days)
    if why is not None:
        msg = f"churn model: too little history — {why}; no model written"
        return TrainResult(None, msg, _empty_tables(), seconds=time.perf_counter() - began)
    dates = _backtest_dates(frame, window_days)
    predictions: dict[str, list[pd.DataFrame]] = {name: [] for name in CANDIDATES}
    last_models: dict[str, Any] = {}
    aucs: dict[str, list[float]] = {name: [] for name in CANDIDATES}
    for as_of in dates:
        train = _train_rows(frame, as_of, window_days)
        test = frame[frame["as_of_date"] == as_of]
        y = test[LABEL].astype(bool).to_numpy()
        for name in CANDIDATES:
            model = _fit(name, train, seed)
            p = _predict(model, test)
            aucs[name].append(roc_auc_score(y, p) if 0 < y.sum() < len(y) else np.nan)
            predictions[name].append(test.assign(churn_probability=p))
            last_models[name] = model
    mean_auc = {name: float(np.nanmean(v)) for name, v in aucs.items()}
    chosen = max(CANDIDATES, key=lambda n: (mean_auc[n], n == "logistic_regression"))
    log(
        "churn model: backtest ROC AUC "
        + ", ".join(f"{n} {mean_auc[n]:.3f}" for n in CANDIDATES)
        + f" over {len(dates)} as-of dates; chose {chosen}"
    )
    backtest = pd.concat(predictions[chosen], ignore_index=True)
    backtest = backtest.assign(
        model_name=chosen,
        recency_score=backtest["days_since_last_active"].astype(float),
        planted_propensity=propensity(backtest) if propensity is not None else np.nan,
        is_churned=backtest[LABEL].astype(bool),
    )
    last_test = frame[frame["as_of_date"] == dates[-1]]
    importance = permutation_importance(last_models[chosen], last_test, seed)
    labelled = frame[frame[LABEL].notna()]
    final = _fit(chosen, labelled, seed)
    scores = score_latest(final, chosen, frame)
    tables = {
        "churn_scores": scores,
        "churn_backtest": backtest[ML_COLUMNS["churn_backtest"]],
        "churn_feature_importance": pd.DataFrame(
            {
                "model_name": chosen,
                "feature_name": importance.index,
                "importance": importance.to_numpy(),
                "importance_rank": np.arange(1, len(importance) + 1),
            }
        ),
    }
    seconds = time.perf_counter() - began
    msg = (
        f"churn model: {chosen} fitted on {len(labelled):,} labelled user-weeks; scored {len(scores):,} users "
        f"at {', '.join(str(d) for d in sorted(scores['as_of_date'].unique()))} in {seconds:.1f}s"
    )
    return TrainResult(chosen, msg, tables, backtest_auc=mean_auc, model=final, seconds=seconds)


def model_path(data_dir: Path, target: str) -> Path:
    return data_dir / "churn" / f"model_{target}.pkl"
