"""The two candidate models (scikit-learn pipelines over ``features.prepare`` frames), both seeded."""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from churn.features import CATEGORICAL, NUMERIC

CANDIDATES = ("logistic_regression", "gradient_boosting")


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def _categories() -> OneHotEncoder:
    return OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20, sparse_output=False)


def make_model(name: str, seed: int) -> Pipeline:
    """An unfitted candidate: ``logistic_regression`` (L2, C=0.5, counts on a signed log scale, standardised) or
    ``gradient_boosting`` (histogram boosting, 100 shallow trees, L2-regularised leaves)."""
    if name == "logistic_regression":
        numeric = make_pipeline(
            SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            FunctionTransformer(_signed_log),
            StandardScaler(),
        )
        columns = ColumnTransformer([("num", numeric, NUMERIC), ("cat", _categories(), CATEGORICAL)])
        model = LogisticRegression(C=0.5, max_iter=2000, random_state=seed)
    elif name == "gradient_boosting":
        columns = ColumnTransformer([("num", "passthrough", NUMERIC), ("cat", _categories(), CATEGORICAL)])
        model = HistGradientBoostingClassifier(
            learning_rate=0.1,
            max_iter=100,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=seed,
        )
    else:
        raise ValueError(f"unknown model {name!r}; one of {', '.join(CANDIDATES)}")
    return Pipeline([("columns", columns), ("model", model)])
