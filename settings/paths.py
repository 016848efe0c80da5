"""Where things are: the repository, its data folder, the dbt project and the default DuckDB warehouse file.

Every path here is absolute (taken from this file's place in the repository), so the CLIs, the tests and dbt agree
whatever the working directory.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"  # everything a run writes (ignored by git)
GENERATED_DIR = DATA_DIR / "generated"  # one folder of raw Parquet per generated scenario
DOCS_SITE = DATA_DIR / "docs" / "index.html"  # the offline dbt docs site
DEFAULT_DUCKDB_PATH = DATA_DIR / "warehouse.duckdb"  # the warehouse when DUCKDB_PATH is not set
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"  # dbt_project.yml and profiles.yml
DBT_PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"


def repo_path(path: str | Path) -> Path:
    """``path`` as an absolute path, a relative one taken from the repository root (not the working directory)."""
    chosen = Path(path)
    return chosen if chosen.is_absolute() else REPO_ROOT / chosen
