"""Churn risk (issue 15): features without leakage, a model checked against the churn the simulator planted.

The model is trained once per warehouse on the small session dataset (``churn_trained``, seconds), then the churn
marts are rebuilt from the ml tables it wrote. Figures at scale: benchmarks/bench_churn.py, docs/performance.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import timedelta

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from churn.features import FEATURES
from churn.train import TrainResult, train_and_score
from data_generation.churn_truth import planted_propensity
from pipeline.dbt import REPO_ROOT

WINDOW = 28  # churn_window_days of the session fixture churn_trained (tests/conftest.py)
AUC_GAP_TO_CEILING = 0.05  # the bound: within 0.05 of the planted-propensity ceiling
CALIBRATION_BOUND = 0.06  # mean |predicted - observed| over probability deciles, per backtest date


def _features(built) -> pd.DataFrame:
    frame = built.query("select * from marts.churn_features")
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame.sort_values(["as_of_date", "user_id"], ignore_index=True)


# ---------------------------------------------------------------------------------------------------------------
# Features


def test_features_only_use_data_before_the_as_of_date(built_duckdb, tmp_path):
    """Move every event, session and payment from the as-of date on 40 days later: no feature at that date or
    before changes (the label may: it looks ahead on purpose)."""
    import duckdb

    before = _features(built_duckdb)
    dates = sorted(before["as_of_date"].unique())
    cut = dates[len(dates) // 2]
    path = tmp_path / "moved.duckdb"
    shutil.copy(built_duckdb.duckdb_path, path)
    with duckdb.connect(str(path)) as conn:
        t = f"timestamp '{cut.isoformat()} 00:00:00'"
        for table, columns in {
            "events": ["occurred_at", "loaded_at"],
            "sessions": ["started_at", "ended_at", "loaded_at"],
            "payments": ["created_at", "loaded_at"],
        }.items():
            moved = ", ".join(f"{c} = {c} + interval 40 day" for c in columns)
            n = conn.execute(f"update raw.{table} set {moved} where {columns[0]} >= {t}").fetchone()[0]
            assert n > 0 or table == "payments", f"nothing moved in raw.{table}"
    moved_wh = type(built_duckdb)("duckdb", path, None, built_duckdb.vars, built_duckdb.data_dir)
    # a full refresh: the incremental models would otherwise keep the rows built before the move
    moved_wh.dbt(["run", "--select", "+churn_features", "--full-refresh"], tmp_path)
    after = _features(moved_wh)
    keep = [c for c in before.columns if c != "is_churned"]
    left = before.loc[before["as_of_date"] <= cut, keep].reset_index(drop=True)
    right = after.loc[after["as_of_date"] <= cut, keep].reset_index(drop=True)
    assert len(left) > 500
    pd.testing.assert_frame_equal(left, right, check_dtype=False)
    # and the move did reach the label: users active just after the cut now look churned at the cut
    labels = before[before["as_of_date"] == cut].merge(after, on=["as_of_date", "user_id"])
    assert (labels["is_churned_x"].astype(bool) != labels["is_churned_y"].astype(bool)).sum() > 0


def test_label_is_null_only_while_the_window_is_open(built):
    frame = _features(built)
    last_day = pd.to_datetime(built.query("select max(date_day) as d from marts.dim_date")["d"].iloc[0]).date()
    open_window = frame["as_of_date"].map(lambda d: d + timedelta(days=WINDOW - 1) > last_day)
    assert (frame["is_churned"].isna() == open_window).all()
    assert open_window.any() and (~open_window).any()


# ---------------------------------------------------------------------------------------------------------------
# Model against the planted truth


def test_backtest_auc_near_the_planted_ceiling_and_above_recency(churn_trained):
    built, result = churn_trained
    assert result.model_name in ("logistic_regression", "gradient_boosting")
    ev = built.query("select * from marts.churn_model_evaluation order by as_of_date")
    assert len(ev) >= 2
    model, ceiling, recency = (ev[c].astype(float).mean() for c in ("roc_auc", "ceiling_roc_auc", "recency_roc_auc"))
    assert model >= ceiling - AUC_GAP_TO_CEILING, (model, ceiling)
    assert model > recency, (model, recency)
    assert (ev["calibration_error"].astype(float) < CALIBRATION_BOUND).all(), ev["calibration_error"].tolist()


def test_evaluation_mart_matches_scikit_learn(churn_trained):
    """The mart's SQL metrics equal scikit-learn's on the backtest rows it reads."""
    built, _ = churn_trained
    rows = built.query("select * from ml.churn_backtest")
    ev = built.query("select * from marts.churn_model_evaluation").set_index("as_of_date")
    for as_of, g in rows.groupby("as_of_date"):
        y = g["is_churned"].astype(bool).to_numpy()
        p = g["churn_probability"].astype(float).to_numpy()
        row = ev.loc[as_of]
        assert float(row["roc_auc"]) == pytest.approx(roc_auc_score(y, p), abs=1e-8)
        assert float(row["pr_auc"]) == pytest.approx(average_precision_score(y, p), abs=1e-8)
        assert float(row["recency_roc_auc"]) == pytest.approx(roc_auc_score(y, g["recency_score"]), abs=1e-8)
        assert float(row["ceiling_roc_auc"]) == pytest.approx(roc_auc_score(y, g["planted_propensity"]), abs=1e-8)
        assert float(row["base_rate"]) == pytest.approx(y.mean(), abs=1e-8)
        top = g.assign(p=p).sort_values(["p", "user_id"], ascending=[False, True]).head(int(np.ceil(len(g) * 0.1)))
        assert float(row["top_decile_precision"]) == pytest.approx(top["is_churned"].astype(bool).mean(), abs=1e-8)


def test_risk_scores_have_reasons_in_words(churn_trained):
    built, _ = churn_trained
    risk = built.query("select * from marts.churn_risk")
    assert risk["as_of_date"].nunique() == 2
    high = risk[risk["risk_band"] == "high"]
    assert len(high) > 0 and high["reason_1"].notna().all()
    assert high["reason_1"].str.contains("days|active|segment|stage|signed up|came through", regex=True).all()


def test_planted_propensity_matches_closed_forms():
    # never-ending lifetime: churn = no session in the window, exp(-r N), whatever the silence so far
    r = np.array([0.05, 0.3])
    p = planted_propensity(
        np.array([100.0, 100.0]), np.array([3, 10]), np.ones(2), np.full(2, 1e12), r, np.full(2, np.inf), WINDOW
    )
    assert p == pytest.approx(np.exp(-r * WINDOW), rel=1e-6)
    # a programme that has ended before the as-of date: certain churn
    p = planted_propensity(
        np.array([50.0]), np.array([5]), np.ones(1), np.array([1e12]), np.array([1.0]), np.array([-1.0]), 28
    )
    assert p == pytest.approx([1.0])


# ---------------------------------------------------------------------------------------------------------------
# Too little data, CLI


def test_too_little_history_writes_no_model(built_duckdb):
    frame = _features(built_duckdb)
    first_weeks = frame[frame["as_of_date"] <= sorted(frame["as_of_date"].unique())[4]]
    result = train_and_score(first_weeks, WINDOW, seed=1, log=lambda _: None)
    assert isinstance(result, TrainResult) and result.model is None and result.model_name is None
    assert "too little history" in result.message
    assert all(t.empty for t in result.tables.values())


def test_cli_score_without_a_model_is_one_line(tmp_path):
    env = {"DUCKDB_PATH": str(tmp_path / "none.duckdb"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "churn", "score"], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")


def test_every_feature_is_a_mart_column(built):
    columns = set(built.query("select * from marts.churn_features limit 1").columns)
    assert set(FEATURES) <= columns


# ---------------------------------------------------------------------------------------------------------------
# A planted cause must show among the top contributors


@pytest.fixture(scope="module")
def risk_segment_only_features(tmp_path_factory) -> pd.DataFrame:
    """health_enrollment with churn planted to depend on the risk segment alone: every other retention lever
    (channel, device, funnel depth, the programme's end, engagement's effect on lifetime) is switched off. Built up
    to churn_features only, on DuckDB."""
    import duckdb
    import yaml

    from data_generation import generate
    from pipeline.dbt import load_vars, run_dbt
    from warehouse.load import load

    tmp = tmp_path_factory.mktemp("risk_segment_only")
    sc = yaml.safe_load((REPO_ROOT / "data_generation" / "scenarios" / "health_enrollment.yaml").read_text())
    sc["name"] = "risk_segment_only"
    for lever in (*sc["channels"].values(), *sc["devices"].values()):
        lever["retention_multiplier"] = 1.0
    sc["engagement"]["depth_lifetime_multiplier"] = [1.0] * len(sc["funnel"]["steps"])
    sc["engagement"]["lifetime_exponent"] = 0.0
    del sc["engagement"]["program"]
    (tmp / "scenario.yaml").write_text(yaml.safe_dump(sc))
    data = generate(scenario=tmp / "scenario.yaml", seed=3, users=1500, days=150, output=tmp / "data", quiet=True)
    db = tmp / "warehouse.duckdb"
    load(data, target="duckdb", duckdb_path=db)
    vars = load_vars(data / "dbt_vars.yml")
    run_dbt(
        ["run", "--select", "+churn_features"],
        target="duckdb",
        vars=vars,
        duckdb_path=db,
        capture=True,
        target_path=tmp / "target",
        log_path=tmp / "logs",
    )
    with duckdb.connect(str(db), read_only=True) as conn:
        frame = conn.execute("select * from marts.churn_features").df()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"]).dt.date
    return frame.sort_values(["as_of_date", "user_id"], ignore_index=True)


def test_planted_risk_segment_is_found(risk_segment_only_features):
    """The model finds the planted cause: shuffling the segment costs AUC, it ranks in the top third of the 18
    features, and the same users scored as high-risk / moderate / low-risk members get the planted order. It does
    not rank first or second: among users active in the last 28 days, whether they are already gone (recency)
    decides most labels (docs/decisions.md, "Churn risk")."""
    from churn.features import prepare

    result = train_and_score(risk_segment_only_features, WINDOW, seed=3, log=lambda _: None)
    importance = result.tables["churn_feature_importance"].set_index("feature_name")
    assert importance.loc["segment", "importance"] > 0
    assert importance.loc["segment", "importance_rank"] <= len(FEATURES) // 3, importance["importance_rank"].to_dict()
    rows = prepare(risk_segment_only_features)
    mean_p = {
        seg: result.model.predict_proba(rows.assign(segment=seg))[:, 1].mean()
        for seg in ("low_risk", "moderate_risk", "high_risk")
    }
    assert mean_p["low_risk"] < mean_p["moderate_risk"] < mean_p["high_risk"], mean_p
