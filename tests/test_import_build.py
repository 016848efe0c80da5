"""Your own events, end to end: slices of two real datasets nobody here wrote are imported, built with dbt on
DuckDB and PostgreSQL, and the marts agree with the input.

The datasets are read in place from ../shared/datasets (never copied into the repository).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATASETS, BuiltWarehouse, fresh_warehouse
from tests.test_importer import EXAMPLES, example, need_shared, write_mapping
from warehouse.importer import import_events, read_mapping

HEYMAX_CSV = SHARED_DATASETS / "heymax" / "event_stream.csv"
SEND_A_TREE = SHARED_DATASETS / "send_a_tree" / "data-completed"


def _heymax_slice(tmp: Path, lines: int = 3000) -> Path:
    (tmp / "slice").mkdir()
    with HEYMAX_CSV.open() as f:
        head = [next(f) for _ in range(lines + 1)]  # header + lines
    (tmp / "slice" / "events.csv").write_text("".join(head))
    return write_mapping(tmp, example("heymax", tmp / "slice" / "events.csv"))


def _send_a_tree_slice(tmp: Path, days: int = 8) -> Path:
    folder = tmp / "days"
    folder.mkdir()
    for day in range(1, days + 1):
        shutil.copy(SEND_A_TREE / f"day_{day}.gz", folder / f"day_{day}.gz")
    return write_mapping(tmp, example("send_a_tree", folder))


SLICES = {"heymax": (HEYMAX_CSV, _heymax_slice), "send_a_tree": (SEND_A_TREE, _send_a_tree_slice)}


@pytest.fixture(
    scope="module", params=[(d, t) for d in SLICES for t in ("duckdb", "postgres")], ids=lambda p: "-".join(p)
)
def imported(request, tmp_path_factory) -> tuple[str, BuiltWarehouse, dict]:
    dataset, target = request.param
    source, make_slice = SLICES[dataset]
    need_shared(source)
    tmp = tmp_path_factory.mktemp(f"byo_{dataset}_{target}")
    mapping_path = make_slice(tmp)
    mapping = read_mapping(mapping_path)
    vars = dict(mapping["dbt_vars"])
    duckdb_path, pg_database = fresh_warehouse(target, tmp, "_byo")
    summary = import_events(mapping_path, target=target, duckdb_path=duckdb_path, pg_database=pg_database, quiet=True)
    assert summary.read == summary.loaded + summary.rejected
    # Here the data is under test. Unit tests do not read it; they run in tests/test_dbt_build.py, and
    # tests/test_dbt_graph.py checks that under these mappings' vars every unit test's inputs are built first.
    built = BuiltWarehouse(target, duckdb_path, pg_database, vars, tmp)
    built.dbt(["build", "--exclude-resource-type", "unit_test"], tmp)
    return dataset, built, {"summary": summary, "mapping": mapping}


def test_every_imported_event_and_user_reaches_the_marts(imported):
    dataset, built, info = imported
    raw = built.query("select count(*) as n, count(distinct user_id) as users from raw.events").iloc[0]
    assert raw["n"] == info["summary"].loaded  # every loaded line is one event (a registration line too)
    facts = built.query("select count(*) as n, count(distinct user_id) as users from marts.fct_events").iloc[0]
    assert (facts["n"], facts["users"]) == (raw["n"], raw["users"])
    users = built.query("select count(*) as n from marts.dim_users").iloc[0]["n"]
    assert users == built.query("select count(*) as n from raw.users").iloc[0]["n"]


def test_growth_accounting_identities_hold_on_imported_data(imported):
    _, built, _ = imported
    ga = built.query("select * from marts.growth_accounting")
    assert len(ga) > 0
    assert (ga["active_users"] == ga["new_users"] + ga["retained_users"] + ga["resurrected_users"]).all()
    assert ga.groupby("period_grain")["new_users"].sum().nunique() == 1  # every grain counts each user once


def test_funnel_follows_the_mapping_steps(imported):
    dataset, built, info = imported
    steps = info["mapping"]["dbt_vars"]["funnel_steps"]
    daily = built.query(
        "select step_number, step_name, sum(step_users) as users from marts.funnel_conversion_daily"
        " group by step_number, step_name order by step_number"
    )
    users = [int(n) for n in daily["users"]]  # PostgreSQL's sum() is numeric
    assert list(daily["step_name"]) == steps
    assert users == sorted(users, reverse=True)  # a strict funnel never grows
    entrants = built.query(
        f"select count(distinct user_id) as n from marts.fct_events where event_name = '{steps[0]}'"
    ).iloc[0]["n"]
    assert users[0] == int(entrants)
    if dataset == "send_a_tree":
        # Every Send-a-Tree user registers, and registration is the funnel's entry.
        assert int(entrants) == int(built.query("select count(*) as n from raw.users").iloc[0]["n"])


def test_example_mappings_name_their_funnels():
    for name in ("heymax", "send_a_tree"):
        assert read_mapping(EXAMPLES / name / "mapping.yml")["dbt_vars"]["funnel_steps"]
