"""Experiment marts on both warehouses: the statistics macros against SciPy, and the planted experiments recovered.

The small dataset (tests/conftest.py SMALL_SCENARIO: saas, seed 7, 1,500 users, 150 days) plants two experiments:
`onboarding_checklist` with a true absolute lift of +0.05 and `pricing_page_copy` with none. For this seed the
first is significant at 0.05 and its 95 % interval holds the true lift; the second is not significant.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.conftest import BuiltWarehouse

# One query, rendered by dbt once per warehouse: Phi and the two-sided p-value over z in [-8, 8] (step 0.05), and the
# chi-square upper tail for df 1..12 over x = n^2 / 8, n = 0..60 (0 .. 450), in one long table.
MACRO_GRID_SQL = """
with z_grid as (
    select cast(g.n as double precision) / 20 as z, abs(cast(g.n as double precision) / 20) as abs_z
    from generate_series(-160, 160) as g (n)
),
chi_grid as (
    select cast(a.n as double precision) * cast(a.n as double precision) / 8 as x, cast(d.n as integer) as df
    from generate_series(0, 60) as a (n) cross join generate_series(1, 12) as d (n)
)
select 'phi' as kind, z as x, 0 as df, {{ normal_cdf('z') }} as value from z_grid
union all
select 'p_two_sided' as kind, z as x, 0 as df, 2.0 * (1.0 - {{ normal_cdf('abs_z') }}) as value from z_grid
union all
select 'chi_square_sf' as kind, x, df, {{ chi_square_sf('x', 'df') }} as value from chi_grid
"""


@pytest.fixture(scope="module")
def macro_grid(built: BuiltWarehouse, tmp_path_factory) -> pd.DataFrame:
    """The macros' SQL as dbt renders it for the warehouse of `built`, run on that warehouse."""
    proc = built.dbt(["--quiet", "compile", "--inline", MACRO_GRID_SQL], tmp_path_factory.mktemp("macro_grid"))
    sql = proc.stdout.strip()
    assert sql.lower().startswith("with"), f"unexpected dbt compile output: {sql[:300]}"
    grid = built.query(sql)
    grid["x"] = grid["x"].astype(float)
    grid["value"] = grid["value"].astype(float)
    return grid


def test_normal_cdf_macro_matches_scipy(built: BuiltWarehouse, macro_grid: pd.DataFrame) -> None:
    phi = macro_grid[macro_grid["kind"] == "phi"]
    p = macro_grid[macro_grid["kind"] == "p_two_sided"]
    z = phi["x"].to_numpy()
    assert len(z) == 321 and z.min() == -8 and z.max() == 8
    phi_error = np.abs(phi["value"].to_numpy() - stats.norm.cdf(z)).max()
    p_error = np.abs(p["value"].to_numpy() - 2 * stats.norm.sf(np.abs(p["x"].to_numpy()))).max()
    print(f"{built.target}: max |Phi - scipy| = {phi_error:.2e}, max |p - scipy| = {p_error:.2e}")
    assert p_error < 1e-4
    # the documented bound of Abramowitz-Stegun 26.2.17 (7.5e-8), with room for float rounding
    assert phi_error < 1e-7


def test_chi_square_sf_macro_matches_scipy(built: BuiltWarehouse, macro_grid: pd.DataFrame) -> None:
    chi = macro_grid[macro_grid["kind"] == "chi_square_sf"]
    assert len(chi) == 61 * 12
    error = np.abs(chi["value"].to_numpy() - stats.chi2.sf(chi["x"].to_numpy(), chi["df"].astype(int).to_numpy()))
    print(f"{built.target}: max |chi2 sf - scipy| = {error.max():.2e}")
    assert error.max() < 1e-6


@pytest.fixture(scope="module")
def results(built: BuiltWarehouse) -> pd.DataFrame:
    frame = built.query("select * from marts.experiment_results order by experiment_id, variant")
    for column in ("conversion_rate", "absolute_lift", "lift_ci_lower", "lift_ci_upper", "p_value", "srm_p_value"):
        frame[column] = frame[column].astype(float)
    return frame


def treatment_row(results: pd.DataFrame, experiment_id: str, variant: str) -> pd.Series:
    rows = results[(results["experiment_id"] == experiment_id) & (results["variant"] == variant)]
    assert len(rows) == 1, f"{experiment_id}/{variant}: expected one row, got {len(rows)}"
    return rows.iloc[0]


def test_planted_experiments_are_recovered(results: pd.DataFrame, truth: dict) -> None:
    planted = truth["experiments"]
    assert {e for e in planted} == set(results["experiment_id"])
    with_effect = [e for e, t in planted.items() if t["has_effect"]]
    without_effect = [e for e, t in planted.items() if not t["has_effect"]]
    assert with_effect and without_effect, "the dataset should plant one experiment of each kind"
    for experiment_id, t in planted.items():
        row = treatment_row(results, experiment_id, t["treatment_variant"])
        print(
            f"{experiment_id}: lift {row['absolute_lift']:.4f} (true {t['true_absolute_lift']}), "
            f"95% CI [{row['lift_ci_lower']:.4f}, {row['lift_ci_upper']:.4f}], p = {row['p_value']:.6f}"
        )
        assert row["control_variant"] == t["control_variant"]
        if t["has_effect"]:
            assert row["is_significant"] and row["p_value"] < 0.05
            assert row["lift_ci_lower"] <= t["true_absolute_lift"] <= row["lift_ci_upper"]
        else:
            assert not row["is_significant"] and row["p_value"] >= 0.05
            assert row["lift_ci_lower"] <= 0 <= row["lift_ci_upper"]


def test_assignments_and_sample_ratio(results: pd.DataFrame, truth: dict) -> None:
    for experiment_id, t in truth["experiments"].items():
        rows = results[results["experiment_id"] == experiment_id].set_index("variant")
        assert rows["assigned_users"].astype(int).to_dict() == t["assigned_users"]
        # the generator splits by the plan, so no sample-ratio mismatch may be flagged
        assert (rows["srm_p_value"] > 0.001).all() and not rows["has_sample_ratio_mismatch"].any()
        for variant, rate in t["conversion_rate"].items():
            n = t["assigned_users"][variant]
            observed = rows.loc[variant, "conversion_rate"]
            assert abs(observed - rate) < 4 * math.sqrt(rate * (1 - rate) / n), (experiment_id, variant, observed)


def test_statistics_are_consistent_with_the_counts(results: pd.DataFrame) -> None:
    """Recompute the z-test and the interval in Python from the counts of every non-control row."""
    for experiment_id, rows in results.groupby("experiment_id"):
        control = rows[rows["is_control"]].iloc[0]
        n_c, x_c = int(control["assigned_users"]), int(control["converted_users"])
        for _, row in rows[~rows["is_control"]].iterrows():
            n_v, x_v = int(row["assigned_users"]), int(row["converted_users"])
            p_c, p_v, pooled = x_c / n_c, x_v / n_v, (x_c + x_v) / (n_c + n_v)
            z = (p_v - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_v))
            half = 1.959963984540054 * math.sqrt(p_c * (1 - p_c) / n_c + p_v * (1 - p_v) / n_v)
            assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), abs=1e-5), experiment_id
            assert row["lift_ci_lower"] == pytest.approx(p_v - p_c - half, abs=1e-5)
            assert row["lift_ci_upper"] == pytest.approx(p_v - p_c + half, abs=1e-5)
