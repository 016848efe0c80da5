"""The churn step as the pipeline and the CLI run it: read features, train (or load) a model, write schema ml."""

from __future__ import annotations

import pickle
from pathlib import Path

from churn.errors import ChurnError
from churn.store import connect, read_features, replace_table
from churn.train import TrainResult, model_path, score_latest, train_and_score
from churn.truth import propensity_for, truth_file
from settings import DATA_DIR

TARGETS = ("duckdb", "postgres")  # the warehouses the churn step reads and writes


def train_step(
    target: str,
    data_dir: Path | None = None,
    window_days: int = 28,
    seed: int = 42,
    duckdb_path: Path | None = None,
    pg_database: str | None = None,
    models_dir: Path = DATA_DIR,
    log=print,
) -> TrainResult:
    """Train on the warehouse's churn_features, write the ml tables, save the model (or remove a stale one)."""
    truth = truth_file(data_dir)
    with connect(target, duckdb_path, pg_database) as conn:
        frame = read_features(conn)
        result = train_and_score(
            frame, window_days, seed, propensity=lambda rows: propensity_for(rows, truth, window_days), log=log
        )
        for name, table in result.tables.items():
            replace_table(conn, name, table)
    path = model_path(models_dir, target)
    if result.model is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps((result.model_name, result.model)))
    log(result.message)
    return result


def score_step(
    target: str,
    duckdb_path: Path | None = None,
    pg_database: str | None = None,
    models_dir: Path = DATA_DIR,
    log=print,
) -> int:
    """Rescore the latest as-of dates with the saved model; returns the rows written."""
    path = model_path(models_dir, target)
    if not path.is_file():
        raise ChurnError(f"no trained churn model at {path}: run python -m churn train first")
    name, model = pickle.loads(path.read_bytes())
    with connect(target, duckdb_path, pg_database) as conn:
        scores = score_latest(model, name, read_features(conn))
        replace_table(conn, "churn_scores", scores)
    log(f"churn model: {name} scored {len(scores):,} users")
    return len(scores)
