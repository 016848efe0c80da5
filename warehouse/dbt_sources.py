"""The dbt sources YAML of schema raw, rendered from the contract (warehouse/contract.py).

``python -m warehouse ddl`` writes it to ``dbt_project/models/staging/raw/_raw__sources.yml`` beside the DDL files,
and ``--check`` fails when the committed file differs. Tables, columns and descriptions come from the contract; the
tests follow from it (``not_null`` on every non-nullable column, ``unique`` on a single-column primary key). What
dbt needs beyond the contract is declared here: the source-level settings (``SOURCE``) and per-table additions
(``TABLE_EXTRAS``, merged into a table's entry).
"""

from __future__ import annotations

from typing import Any

import yaml

from warehouse.contract import LOADED_AT, Table, raw_tables

SOURCES_FILE = "dbt_project/models/staging/raw/_raw__sources.yml"

SOURCE: dict[str, Any] = {
    "name": "raw",
    "description": (
        "Raw landing tables: the contract in warehouse/contract.py. Loaded by the simulator's loader or the importer"
        " of a team's own events."
    ),
    "schema": "raw",
    "loaded_at_field": LOADED_AT.name,
    # Daily loads: a table whose latest row landed more than a day and two hours ago missed a load (warn); more than
    # two days and two hours, two loads (error). `dbt source freshness` reads loaded_at (the arrival time).
    "freshness": {"warn_after": {"count": 26, "period": "hour"}, "error_after": {"count": 50, "period": "hour"}},
}

TABLE_EXTRAS: dict[str, dict[str, Any]] = {
    # Bookkeeping of the importer, not a feed: it is empty until an import rejects a line, so no freshness.
    "import_rejects": {"freshness": None},
}

HEADER = (
    "# Generated from warehouse/contract.py (tables, columns, tests) and warehouse/dbt_sources.py (source settings)\n"
    "# by `python -m warehouse ddl`; do not edit by hand.\n"
)


def _column_tests(table: Table, column_name: str, nullable: bool) -> list[str]:
    tests = [] if nullable else ["not_null"]
    if table.primary_key == (column_name,):
        tests.append("unique")
    return tests


def source_table(table: Table) -> dict[str, Any]:
    """One table's entry in the sources YAML."""
    columns = []
    for column in table.columns:
        entry: dict[str, Any] = {"name": column.name, "description": column.description}
        tests = _column_tests(table, column.name, column.nullable)
        if tests:
            entry["data_tests"] = tests
        columns.append(entry)
    extras = TABLE_EXTRAS.get(table.name, {})
    return {"name": table.name, "description": table.description, **extras, "columns": columns}


def render_sources() -> str:
    """The text of ``_raw__sources.yml``: every table of schema raw the contract declares."""
    unknown = sorted(set(TABLE_EXTRAS) - {t.name for t in raw_tables()})
    if unknown:
        raise ValueError(f"TABLE_EXTRAS names tables the contract does not declare: {', '.join(unknown)}")
    document = {"version": 2, "sources": [{**SOURCE, "tables": [source_table(t) for t in raw_tables()]}]}
    body = yaml.safe_dump(document, sort_keys=False, width=110, allow_unicode=True)
    return HEADER + body
