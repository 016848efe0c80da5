"""The dbt sources YAML of schema raw is rendered from the contract, and the committed file is that rendering.

``python -m warehouse ddl`` writes it (with the DDL files); ``--check`` fails when it is stale.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import warehouse.__main__ as warehouse_cli
from warehouse import contract, dbt_sources
from warehouse.contract import Column, Table, raw_tables
from warehouse.dbt_sources import SOURCES_FILE, render_sources

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_committed_sources_file_is_the_rendering_of_the_contract():
    committed = (REPO_ROOT / SOURCES_FILE).read_text()
    assert committed == render_sources(), f"{SOURCES_FILE} is stale: run `python -m warehouse ddl`"


def test_sources_hold_every_raw_table_column_and_description():
    (source,) = yaml.safe_load(render_sources())["sources"]
    assert (source["name"], source["schema"], source["loaded_at_field"]) == ("raw", "raw", "loaded_at")
    tables = {t["name"]: t for t in source["tables"]}
    assert list(tables) == [t.name for t in raw_tables()]
    assert {"users", "events", "payments", "import_rejects"} <= set(tables)
    for table in raw_tables():
        entry = tables[table.name]
        assert entry["description"] == table.description
        assert [c["name"] for c in entry["columns"]] == table.column_names
        for column, yaml_column in zip(table.columns, entry["columns"], strict=True):
            assert yaml_column["description"] == column.description
            tests = yaml_column.get("data_tests", [])
            assert ("not_null" in tests) == (not column.nullable), (table.name, column.name)
            assert ("unique" in tests) == (table.primary_key == (column.name,)), (table.name, column.name)


def test_a_table_added_to_the_contract_is_rendered(monkeypatch):
    extra = Table(
        "example_ledger",
        "One row per batch.",
        (Column("batch_id", "string", False, "Batch."), Column("note", "string", True, "Free text.")),
        ("batch_id",),
    )
    monkeypatch.setitem(contract.IMPORT_TABLES, "example_ledger", extra)
    (source,) = yaml.safe_load(render_sources())["sources"]
    (entry,) = [t for t in source["tables"] if t["name"] == "example_ledger"]
    assert entry["columns"] == [
        {"name": "batch_id", "description": "Batch.", "data_tests": ["not_null", "unique"]},
        {"name": "note", "description": "Free text."},
    ]


def test_extras_for_an_undeclared_table_are_refused(monkeypatch):
    monkeypatch.setitem(dbt_sources.TABLE_EXTRAS, "no_such_table", {"freshness": None})
    with pytest.raises(ValueError, match="no_such_table"):
        render_sources()


def test_ddl_check_fails_on_a_stale_sources_file(tmp_path, monkeypatch, capsys):
    sources = tmp_path / SOURCES_FILE
    sources.parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / SOURCES_FILE, sources)
    shutil.copytree(REPO_ROOT / "warehouse" / "ddl", tmp_path / "warehouse" / "ddl")
    monkeypatch.setattr(warehouse_cli, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(warehouse_cli, "DDL_DIR", tmp_path / "warehouse" / "ddl")
    assert warehouse_cli.main(["ddl", "--check"]) == 0

    sources.write_text(sources.read_text().replace("Stable user identifier.", "Edited by hand."))
    assert warehouse_cli.main(["ddl", "--check"]) == 1
    err = capsys.readouterr().err
    assert "out of date" in err and str(sources) in err

    assert warehouse_cli.main(["ddl"]) == 0
    assert sources.read_text() == render_sources()
    assert warehouse_cli.main(["ddl", "--check"]) == 0
