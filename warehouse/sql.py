"""SQL text helpers shared by the loader and the importer: literals and identifiers, quoted once, here."""

from __future__ import annotations


def sql_string(value: str) -> str:
    """``value`` as a SQL string literal (single quotes doubled); the same in DuckDB and PostgreSQL."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier (double quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'
