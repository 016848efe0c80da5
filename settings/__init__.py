"""One home for the project's settings: paths, the dbt vars a dataset may set (``settings.dbt_vars``)."""

from __future__ import annotations

from settings.errors import SettingsError
from settings.paths import DATA_DIR, DBT_PROJECT_DIR, DBT_PROJECT_FILE, DEFAULT_DUCKDB_PATH, DOCS_SITE, REPO_ROOT

__all__ = [
    "DATA_DIR",
    "DBT_PROJECT_DIR",
    "DBT_PROJECT_FILE",
    "DEFAULT_DUCKDB_PATH",
    "DOCS_SITE",
    "REPO_ROOT",
    "SettingsError",
]
