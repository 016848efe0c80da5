"""The one dbt-vars reader (settings.dbt_vars) and its three callers: the scenario parser, the importer's mapping and
the pipeline. Every var dbt_project.yml declares may be set; anything else, or a value of the wrong kind, is one
line naming where it came from, before dbt runs."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from data_generation import generate
from data_generation.errors import ScenarioError
from data_generation.scenario import SCENARIO_DIR, load_scenario
from pipeline.dbt import load_vars, run_dbt
from settings.dbt_vars import DbtVarsError, check_dbt_vars, declared_vars
from settings.paths import DBT_PROJECT_FILE, REPO_ROOT


def test_declared_vars_are_those_of_dbt_project_yml_in_order():
    declared = declared_vars()
    names = list(declared)
    # A few declared vars and their defaults, as dbt_project.yml writes them.
    assert names[:2] == ["reporting_timezone", "week_start"]
    assert declared["activation_event"] is None
    assert declared["funnel_steps"] == ["sign_up", "activate", "start_trial", "subscribe"]
    assert declared["anomaly_window_days"] == 28
    # Every name appears as a top-level key of the `vars:` block, in the same order.
    text = DBT_PROJECT_FILE.read_text()
    block = text[text.index("\nvars:\n") : text.index("\non-run-start:")]
    positions = [block.index(f"\n  {name}:") for name in names]
    assert positions == sorted(positions)


def test_declared_vars_is_a_fresh_copy():
    declared_vars()["funnel_steps"].append("x")
    declared_vars().pop("week_start")
    assert declared_vars()["funnel_steps"][-1] == "subscribe" and "week_start" in declared_vars()


def test_valid_values_come_back_unchanged():
    values = {
        "funnel_steps": ["view", "buy"],
        "activity_events": [],
        "retention_days": [1, 7],
        "funnel_conversion_window_days": 7,
        "anomaly_z_threshold": 2.5,
        "activation_event": "buy",
        "reporting_timezone": "Asia/Singapore",
    }
    assert check_dbt_vars(values, "here") == values
    assert check_dbt_vars({"activation_event": None}, "here") == {"activation_event": None}
    assert check_dbt_vars(None, "here") == {}


def test_unknown_name_is_one_line_listing_the_declared_names():
    with pytest.raises(DbtVarsError) as info:
        check_dbt_vars({"funnel_step": ["a", "b"]}, "mapping.yml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("mapping.yml: unknown key 'funnel_step' in dbt_vars (dbt_project.yml defines: ")
    assert all(name in message for name in declared_vars())


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("funnel_steps", "sign_up", "must be a list like its default"),
        ("funnel_steps", ["sign_up", 2], "must be a list of text like its default"),
        ("retention_days", ["7"], "must be a list of numbers like its default"),
        ("activity_events", [["a"]], "must be a list of single values"),
        ("week_start", ["monday"], "must be text like its default 'monday', got a list of 1"),
        ("week_start", None, "must be text like its default 'monday', got null"),
        ("funnel_conversion_window_days", "14", "must be a number like its default 14, got text '14'"),
        ("anomaly_z_threshold", True, "must be a number like its default 3, got boolean True"),
        ("anomaly_window_days", float("nan"), "must be a number"),
        ("activation_event", ["activate"], "must be null or a single value like its default None"),
    ],
)
def test_a_value_must_be_of_its_defaults_kind(name, value, expected):
    with pytest.raises(DbtVarsError, match="^vars.yml: dbt_vars." + name + " ") as info:
        check_dbt_vars({name: value}, "vars.yml")
    assert expected in str(info.value)


def test_not_a_mapping():
    with pytest.raises(DbtVarsError, match=r"^x: dbt_vars must be a mapping of dbt var names to values, got a list"):
        check_dbt_vars(["funnel_steps"], "x")


# -- the scenario parser ----------------------------------------------------------------------------------------


def _scenario_with(tmp_path: Path, **dbt_vars) -> Path:
    data = yaml.safe_load((SCENARIO_DIR / "saas.yaml").read_text())
    data["dbt_vars"].update(dbt_vars)
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_scenario_may_set_every_declared_var_and_they_reach_dbt_vars_yml(tmp_path):
    extra = {
        "activation_event": "start_trial",
        "anomaly_window_days": 21,
        "anomaly_min_history_days": 10,
        "anomaly_z_threshold": 2.5,
    }
    path = _scenario_with(tmp_path, **extra)
    assert {k: load_scenario(path).dbt_vars[k] for k in extra} == extra
    out = generate(scenario=str(path), seed=3, users=60, days=20, start_date=date(2025, 1, 6), output=tmp_path / "o")
    written = yaml.safe_load((out / "dbt_vars.yml").read_text())
    assert {k: written[k] for k in extra} == extra
    assert load_vars(out / "dbt_vars.yml") == written


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"anomaly_treshold": 2}, "unknown key 'anomaly_treshold' in dbt_vars (dbt_project.yml defines: "),
        ({"anomaly_z_threshold": "high"}, "dbt_vars.anomaly_z_threshold must be a number like its default 3"),
        ({"activation_event": "no_such_event"}, "dbt_vars.activation_event: 'no_such_event' is neither a funnel"),
    ],
)
def test_a_scenarios_wrong_vars_are_named(tmp_path, dbt_vars, message):
    path = _scenario_with(tmp_path, **dbt_vars)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(info.value).startswith(f"invalid scenario file {path}: ")
    assert message in str(info.value)


def test_shipped_scenarios_pass_the_reader():
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        dbt_vars = dict(load_scenario(path.stem).dbt_vars)
        assert check_dbt_vars(dbt_vars, path.name) == dbt_vars


# -- the importer's mapping --------------------------------------------------------------------------------------


def test_a_mapping_is_checked_by_the_same_reader(tmp_path):
    from warehouse.importer import MappingError, read_mapping

    (tmp_path / "events.csv").write_text("ts,uid,event\n2025-01-01 10:00:00,u1,sign_up\n")
    mapping = {
        "version": 1,
        "name": "shop",
        "input": {"path": "events.csv"},
        "events": {"user_id": "uid", "event_name": "event", "occurred_at": "ts"},
        "dbt_vars": {"funnel_steps": ["sign_up", "buy"], "anomaly_window_days": 14, "activation_event": "buy"},
    }
    path = tmp_path / "mapping.yml"
    path.write_text(yaml.safe_dump(mapping))
    assert read_mapping(path)["dbt_vars"] == mapping["dbt_vars"]
    mapping["dbt_vars"]["anomaly_window_days"] = "two weeks"
    path.write_text(yaml.safe_dump(mapping))
    with pytest.raises(MappingError, match=rf"^{path}: dbt_vars.anomaly_window_days must be a number"):
        read_mapping(path)


# -- the pipeline ------------------------------------------------------------------------------------------------


def test_run_dbt_refuses_undeclared_vars_before_running(tmp_path):
    with pytest.raises(DbtVarsError, match="unknown key 'funel_steps'"):
        run_dbt(["debug"], vars={"funel_steps": ["a", "b"]}, target_path=tmp_path, log_path=tmp_path)
    assert not any(tmp_path.iterdir()), "dbt did not run"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("week_start: [monday]\n", "dbt_vars.week_start must be text"),
        ("funnel_step: [a, b]\n", "unknown key 'funnel_step' in dbt_vars"),
        ("- a\n- b\n", "expected a mapping of dbt vars, got list"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_pipeline_docs_checks_the_vars_file_first(tmp_path, text, message):
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "docs", "--vars-file", str(vars_file)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(f"error: {vars_file}") and message in lines[0], result.stderr


def test_pipeline_docs_names_a_missing_vars_file(tmp_path):
    missing = tmp_path / "nowhere.yml"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "docs", "--vars-file", str(missing)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: cannot read the dbt vars file {missing}: No such file or directory"
