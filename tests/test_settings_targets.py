"""The target registry (settings/targets.py) is the one list of warehouses: dbt's profile, the CLIs and the readers
agree with it, and the target choice has one name (DBT_TARGET) from the command line down to the dashboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from analytics.marts import Settings
from pipeline.dbt import dbt_env
from settings import SettingsError
from settings.paths import DBT_PROJECT_DIR, REPO_ROOT
from settings.targets import DEFAULT_TARGET, TARGET_NAMES, TARGETS, get_target, target_from_env
from warehouse.connections import duckdb_path

PROFILES = DBT_PROJECT_DIR / "profiles.yml"
ENV_VAR = re.compile(r"env_var\('(\w+)',\s*'([^']*)'\)")


def _outputs() -> dict[str, dict]:
    return yaml.safe_load(PROFILES.read_text())["growth_analytics"]["outputs"]


def test_every_registered_target_is_a_profiles_output_of_its_adapter_and_nothing_else_is():
    outputs = _outputs()
    assert sorted(outputs) == sorted(TARGET_NAMES)
    for name, output in outputs.items():
        assert output["type"] == TARGETS[name].adapter


def test_profiles_reads_the_registry_variables_with_the_registry_defaults():
    text = PROFILES.read_text()
    blocks = re.split(r"\n    (\w+):\n", text)  # [head, name, body, name, body, ...]
    bodies = dict(zip(blocks[1::2], blocks[2::2], strict=True))
    for name, target in TARGETS.items():
        used = dict(ENV_VAR.findall(bodies[name]))
        assert set(used) == set(target.env), name
        for variable, default in used.items():
            if variable == "DUCKDB_PATH":  # relative to the dbt project in the profile; absolute in the registry
                assert (DBT_PROJECT_DIR / default).resolve() == Path(target.env[variable])
            else:
                assert default == target.env[variable], variable
    assert f"env_var('DBT_TARGET', '{DEFAULT_TARGET}')" in text


def test_dbt_target_names_the_target_and_the_old_name_still_works():
    assert target_from_env({}).name == DEFAULT_TARGET
    assert target_from_env({"DBT_TARGET": "postgres"}).name == "postgres"
    assert target_from_env({"DASHBOARD_WAREHOUSE": "Postgres "}).name == "postgres"
    assert target_from_env({"DBT_TARGET": "postgres", "DASHBOARD_WAREHOUSE": "postgres"}).name == "postgres"
    assert Settings.from_env({"DBT_TARGET": "postgres"}).backend == "postgres"
    assert Settings.from_env({"DASHBOARD_WAREHOUSE": "postgres"}).adapter == "postgres"
    with pytest.raises(SettingsError, match="the dashboard and the report read duckdb, postgres;"):
        Settings.from_env({"DBT_TARGET": "spark"})  # a registered target whose marts the reader cannot open


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"DBT_TARGET": "oracle"}, "DBT_TARGET='oracle': expected one of duckdb, postgres"),
        ({"DASHBOARD_WAREHOUSE": "sqlite"}, "DASHBOARD_WAREHOUSE='sqlite': expected one of"),
        ({"DBT_TARGET": "duckdb", "DASHBOARD_WAREHOUSE": "postgres"}, "disagree: set DBT_TARGET only"),
    ],
)
def test_a_wrong_target_choice_is_one_clear_line(environ, message):
    with pytest.raises(SettingsError, match=re.escape(message)) as info:
        target_from_env(environ)
    assert "\n" not in str(info.value)
    with pytest.raises(SettingsError):
        get_target(environ.get("DBT_TARGET", "x") + "_unknown")


def test_dbt_env_passes_the_target_and_fills_the_registry_defaults(monkeypatch):
    monkeypatch.delenv("DUCKDB_PATH", raising=False)
    monkeypatch.delenv("PGDATABASE", raising=False)
    env = dbt_env("duckdb")
    assert env["DBT_TARGET"] == "duckdb"
    assert env["DUCKDB_PATH"] == TARGETS["duckdb"].env["DUCKDB_PATH"]
    env = dbt_env("postgres", pg_database="elsewhere")
    assert (env["DBT_TARGET"], env["PGDATABASE"]) == ("postgres", "elsewhere")
    assert dbt_env("postgres")["PGDATABASE"] == TARGETS["postgres"].env["PGDATABASE"]
    with pytest.raises(SettingsError):
        dbt_env("oracle")
    monkeypatch.setenv("DUCKDB_PATH", "data/elsewhere.duckdb")  # relative: to the repository, as the loader reads it
    assert dbt_env("duckdb")["DUCKDB_PATH"] == str(duckdb_path()) == str(REPO_ROOT / "data" / "elsewhere.duckdb")


def test_every_command_line_offers_exactly_the_registered_targets():
    from pipeline.__main__ import build_parser as pipeline_parser
    from warehouse.__main__ import build_parser as warehouse_parser

    def target_choices(parser, command):
        sub = next(a for a in parser._actions if a.dest == "command").choices[command]
        return next(a for a in sub._actions if a.dest == "target")

    for parser, commands in ((pipeline_parser(), ("run", "docs")), (warehouse_parser(), ("load", "import"))):
        for command in commands:
            action = target_choices(parser, command)
            assert tuple(action.choices) == TARGET_NAMES
            assert action.default == DEFAULT_TARGET
