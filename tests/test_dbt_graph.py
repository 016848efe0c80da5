"""The dbt DAG must not depend on vars.

A ref inside a `{% if var(...) %}` branch is only a dependency when that branch renders at parse time. With the
other setting the model can then be built before the relation it reads, and a unit test that feeds that relation
as a fixture runs before it exists ("relation does not exist", or a race that passes on small data and fails on
large). This parses the project under every scenario's and every example's vars and checks that each model
depends on every model its SQL names, and that each unit test's inputs are parents of the model under test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from data_generation.scenario import available_scenarios, load_scenario
from pipeline.dbt import DBT_PROJECT_DIR, REPO_ROOT, run_dbt
from warehouse.importer import read_mapping

REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")
VAR_SETS = {f"scenario-{name}": lambda name=name: dict(load_scenario(name).dbt_vars) for name in available_scenarios()}
VAR_SETS.update(
    {
        f"example-{path.parent.name}": lambda path=path: dict(read_mapping(path)["dbt_vars"])
        for path in sorted((REPO_ROOT / "examples").glob("*/mapping.yml"))
    }
)


def _parse(vars: dict, tmp: Path) -> dict:
    run_dbt(
        ["parse", "--no-partial-parse"],
        target="duckdb",
        vars=vars,
        duckdb_path=tmp / "unused.duckdb",
        target_path=tmp / "target",
        log_path=tmp / "logs",
        capture=True,
    )
    return json.loads((tmp / "target" / "manifest.json").read_text())


def test_every_var_set_is_checked():
    assert {"scenario-saas", "scenario-ecommerce", "example-send_a_tree"} <= set(VAR_SETS)


@pytest.mark.parametrize("name", sorted(VAR_SETS))
def test_refs_are_dependencies_whatever_the_vars(name, tmp_path):
    manifest = _parse(VAR_SETS[name](), tmp_path)
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    parents = {name: {p.rsplit(".", 1)[-1] for p in n["depends_on"]["nodes"]} for name, n in models.items()}
    problems = []
    for model, node in models.items():
        named = set(REF.findall((DBT_PROJECT_DIR / node["original_file_path"]).read_text()))
        problems += [f"model {model} reads {ref} but does not depend on it" for ref in sorted(named - parents[model])]
    for test in manifest["unit_tests"].values():
        for given in test["given"]:
            fed = REF.findall(given["input"])
            if fed and fed[0] not in parents[test["model"]]:
                problems.append(f"unit test {test['name']} feeds {fed[0]}, not a parent of {test['model']}")
    assert not problems, "\n".join(problems)


def test_period_completeness_has_one_home():
    """Which periods exist and whether one is complete is decided in dim_date / dim_periods only: no other model
    regroups dim_date's completeness flags or derives a period's end from the event range (docs/decisions.md)."""
    rebuilt = re.compile(r"is_complete_(week|month)|bool_and\(\s*is_complete_month|dateadd\('day',\s*6,")
    offenders = [
        str(path.relative_to(DBT_PROJECT_DIR))
        for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.sql"))
        if path.stem not in {"dim_date", "dim_periods"} and rebuilt.search(path.read_text())
    ]
    assert not offenders, f"period spines or completeness rebuilt outside dim_periods: {offenders}"
    spined = {
        "mrr", "mrr_movements", "mrr_customer_months", "customer_revenue_months", "revenue_metrics_by_channel",
        "attribution_by_channel", "channel_performance", "engagement_weekly", "engagement_feature_adoption",
        "funnel_conversion_daily",
    }  # fmt: skip
    reading = {p.stem for p in (DBT_PROJECT_DIR / "models").rglob("*.sql") if "ref('dim_periods')" in p.read_text()}
    assert spined <= reading, f"period marts not spined on dim_periods: {sorted(spined - reading)}"
