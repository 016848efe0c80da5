"""Metric anomalies on both warehouses.

1. On the small shared dataset: the trailing 28-day mean, standard deviation and z-score are recomputed in pandas
   from metric_daily_values and must agree with metric_anomalies.
2. On a dataset sized for the planted incident: the incident (truth.json `incidents`: users who entered the funnel
   that day could hardly reach the step) is flagged, and few other days are.

Why a second dataset: a step conversion by entry date is a share of that day's entrants. The small dataset has
about 10 sign-ups a day, so the step's daily conversion has a standard deviation of about 0.2 and even a drop to
0.15 x the usual rate is within 1-2 sigma: no z-score can tell it from noise. With 6,000 users over 60 days
(about 100 sign-ups a day, ~55 reaching the step before) the same incident lies about 4.5 sigma out. 60 days is
the shortest run where the incident day (72 % into the data) has 28 days of history and a closed 14-day window.
Only the models metric_anomalies needs are built (dbt run, no tests) to keep the suite's time down.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.dbt import load_vars
from tests.conftest import BuiltWarehouse, fresh_warehouse

INCIDENT_SCENARIO = {"scenario": "saas", "seed": 7, "users": 6000, "days": 60, "start_date": date(2025, 1, 6)}
MAX_OTHER_ANOMALY_DAYS = 5
WINDOW, MIN_HISTORY, THRESHOLD = 28, 14, 3.0


def test_trailing_statistics_match_pandas(built: BuiltWarehouse) -> None:
    values = built.query("select metric_date, metric_name, metric_value from marts.metric_daily_values")
    anomalies = built.query("select * from marts.metric_anomalies")
    for frame in (values, anomalies):
        frame["metric_date"] = pd.to_datetime(frame["metric_date"])
        frame["metric_value"] = frame["metric_value"].astype(float)
    assert {"signups", "dau", "revenue", "conversion_to_activate"} <= set(values["metric_name"])
    checked = 0
    for name, series in values.sort_values("metric_date").groupby("metric_name"):
        days = series.set_index("metric_date")["metric_value"]
        # one row per calendar day, so a row window is a day window
        assert (days.index.to_series().diff().dropna() == pd.Timedelta(days=1)).all(), name
        before = days.shift(1).rolling(WINDOW, min_periods=1)
        expected = pd.DataFrame({"mean": before.mean(), "std": before.std(), "n": before.count()})
        expected["z"] = (days - expected["mean"]) / expected["std"].replace(0, np.nan)
        expected.loc[(expected["n"] < MIN_HISTORY) | days.isna(), "z"] = np.nan
        actual = anomalies[anomalies["metric_name"] == name].set_index("metric_date").sort_index()
        assert (actual["history_days"].astype(int).to_numpy() == expected["n"].fillna(0).to_numpy()).all(), name
        scored = expected["z"].notna()
        assert (actual["z_score"].notna() == scored).all(), name
        z = actual.loc[scored, "z_score"].astype(float)
        assert np.allclose(z, expected.loc[scored, "z"], atol=1e-5), name
        means = actual["trailing_mean"].astype(float)
        assert np.allclose(means[scored], expected.loc[scored, "mean"], atol=1e-5), name
        flagged = actual["is_anomaly"].astype(bool)
        assert (flagged == (scored & (expected["z"].abs() > THRESHOLD))).all(), name
        checked += int(scored.sum())
    assert checked > 300


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def incident_built(request, tmp_path_factory) -> BuiltWarehouse:
    from data_generation import generate
    from warehouse.load import load

    target = request.param
    tmp = tmp_path_factory.mktemp(f"incident_{target}")
    data_dir = generate(output=tmp / "saas", quiet=True, **INCIDENT_SCENARIO)
    duckdb_path, pg_database = fresh_warehouse(target, tmp, "_incident")
    load(data_dir, target=target, duckdb_path=duckdb_path, pg_database=pg_database)
    built = BuiltWarehouse(target, duckdb_path, pg_database, load_vars(data_dir / "dbt_vars.yml"), data_dir)
    built.dbt(["run", "--select", "+metric_anomalies"], tmp)
    return built


def incident_truth(built: BuiltWarehouse) -> list[dict]:
    import json

    return json.loads(Path(built.data_dir, "truth.json").read_text())["incidents"]


def test_planted_incident_is_flagged(incident_built: BuiltWarehouse) -> None:
    incidents = incident_truth(incident_built)
    assert incidents, "the saas scenario plants an incident"
    anomalies = incident_built.query("select * from marts.metric_anomalies where is_anomaly")
    anomalies["metric_date"] = pd.to_datetime(anomalies["metric_date"])
    incident_days = set()
    for incident in incidents:
        day = pd.Timestamp(incident["date"])
        incident_days.add(day)
        hit = anomalies[
            (anomalies["metric_date"] == day) & (anomalies["metric_name"] == f"conversion_to_{incident['step']}")
        ]
        assert len(hit) == 1, f"incident {incident['date']} ({incident['step']}) not flagged"
        row = hit.iloc[0]
        print(
            f"{incident['date']} conversion_to_{incident['step']}: {float(row['metric_value']):.3f} "
            f"vs {float(row['trailing_mean']):.3f}, z = {float(row['z_score']):.2f}"
        )
        assert row["anomaly_direction"] == "drop"
    others = anomalies[~anomalies["metric_date"].isin(incident_days)]
    print(
        f"{len(others)} other anomalies: "
        + ", ".join(f"{d.date()} {m}" for d, m in zip(others["metric_date"], others["metric_name"], strict=True))
    )
    assert others["metric_date"].nunique() <= MAX_OTHER_ANOMALY_DAYS
