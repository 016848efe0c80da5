"""Every shipped scenario builds with its own dbt vars, and the marts follow what that scenario plants.

The saas scenario is built and tested in depth elsewhere (test_dbt_build and the mart tests). Here the other
three run through generate -> load -> `dbt build` (models and data tests; unit tests do not depend on the data
and run in test_dbt_build) at a small scale: ecommerce and gifting take revenue from events, health_enrollment
has no revenue at all (`revenue_source: none`) and risk segments that churn differently. The health programme,
the only scenario with the 'none' revenue path, is built on PostgreSQL too.
"""

from __future__ import annotations

from datetime import date

import pytest

from data_generation import generate
from pipeline.dbt import load_vars
from tests.conftest import BuiltWarehouse, fresh_warehouse
from warehouse.load import load

BUILDS = [
    ("ecommerce", "duckdb"),
    ("gifting", "duckdb"),
    ("health_enrollment", "duckdb"),
    ("health_enrollment", "postgres"),
]


_BUILT: dict[tuple[str, str], BuiltWarehouse] = {}


def _build(scenario: str, target: str, tmp_path_factory) -> BuiltWarehouse:
    """Generate, load and build one scenario on one warehouse, once per test session."""
    if (scenario, target) in _BUILT:
        return _BUILT[scenario, target]
    tmp = tmp_path_factory.mktemp(f"{scenario}_{target}")
    data = generate(
        scenario=scenario, seed=5, users=1000, days=120, start_date=date(2025, 3, 3), output=tmp / "data", quiet=True
    )
    duckdb_path, pg_database = fresh_warehouse(target, tmp, "_scenario")
    load(data, target=target, duckdb_path=duckdb_path, pg_database=pg_database)
    built = BuiltWarehouse(target, duckdb_path, pg_database, load_vars(data / "dbt_vars.yml"), data)
    built.dbt(["build", "--exclude-resource-type", "unit_test"], tmp)
    _BUILT[scenario, target] = built
    return built


@pytest.fixture(scope="module", params=BUILDS, ids=lambda p: "-".join(p))
def scenario_build(request, tmp_path_factory) -> tuple[str, BuiltWarehouse]:
    scenario, target = request.param
    return scenario, _build(scenario, target, tmp_path_factory)


@pytest.fixture(
    scope="module", params=[t for s, t in BUILDS if s == "health_enrollment"], ids=lambda t: f"health_enrollment-{t}"
)
def health_build(request, tmp_path_factory) -> BuiltWarehouse:
    return _build("health_enrollment", request.param, tmp_path_factory)


def _number(value) -> float:
    return 0.0 if value is None else float(value)


def test_every_distinct_event_reaches_fct_events(scenario_build):
    _, built = scenario_build
    raw = built.query("select count(distinct event_id) as n from raw.events").iloc[0]["n"]
    assert raw > 0
    assert built.query("select count(*) as n from marts.fct_events").iloc[0]["n"] == raw


def test_growth_identity_and_scenario_funnel(scenario_build):
    _, built = scenario_build
    ga = built.query("select * from marts.growth_accounting")
    assert len(ga) > 0
    assert (ga["active_users"] == ga["new_users"] + ga["retained_users"] + ga["resurrected_users"]).all()
    steps = built.query(
        "select distinct step_number, step_name from marts.funnel_conversion_daily order by step_number"
    )
    assert list(steps["step_name"]) == list(built.vars["funnel_steps"])


def test_revenue_is_the_sum_of_the_scenarios_revenue_events(scenario_build):
    scenario, built = scenario_build
    total = _number(built.query("select sum(revenue) as r from marts.revenue_metrics").iloc[0]["r"])
    if built.vars["revenue_source"] == "none":
        assert scenario == "health_enrollment"
        assert total == 0
        # Nobody pays: ARPU is 0 over the active users, ARPPU (per paying user) is null, never an error.
        months = built.query("select * from marts.revenue_metrics")
        assert (months["paying_users"] == 0).all() and months["arppu"].isna().all()
        assert (months["arpu"].dropna().astype(float) == 0).all() and (months["active_users"] > 0).any()
        return
    assert built.vars["revenue_source"] == "events"
    names = ", ".join(f"'{name}'" for name in built.vars["revenue_events"])
    expected = _number(
        built.query(
            "select sum(amount) as r from (select distinct event_id, amount from raw.events"
            f" where event_name in ({names}) and amount is not null) as distinct_events"
        ).iloc[0]["r"]
    )
    assert expected > 0
    assert total == pytest.approx(expected, abs=0.005)


def test_health_risk_segments_churn_in_their_planted_order(health_build):
    built = health_build
    weekly = built.query(
        "select segment, sum(retained_users) as retained, sum(retained_users + churned_users) as previous"
        " from marts.growth_accounting_by_segment where period_grain = 'week' and is_complete_period"
        " group by segment"
    )
    rate = {row.segment: _number(row.retained) / _number(row.previous) for row in weekly.itertuples()}
    assert set(rate) == {"low_risk", "moderate_risk", "high_risk"}
    # Planted Weibull lifetimes: scale 60 / 40 / 22 days. Week-over-week retention must follow, with a clear gap
    # between the extremes (0.03 is well inside the difference measured at this scale and seed, 0.17).
    assert rate["high_risk"] < rate["moderate_risk"] < rate["low_risk"]
    assert rate["low_risk"] - rate["high_risk"] > 0.03
