"""Churn risk on the marts: train on ``marts.churn_features``, pick a model by a time-based backtest, write scores.

``python -m churn train`` (what ``make run`` does after ``dbt build``) reads the features, backtests a regularised
logistic regression and a gradient-boosted model out of time, fits the better one on every labelled week, scores the
latest two as-of dates and writes schema ``ml`` (read by the ``churn_risk`` and ``churn_model_evaluation`` marts,
so run ``dbt build --select marts.churn`` afterwards). ``python -m churn score`` rescores with the saved model.
"""

from churn.errors import ChurnError
from churn.train import TrainResult, train_and_score

__all__ = ["ChurnError", "TrainResult", "train_and_score"]
