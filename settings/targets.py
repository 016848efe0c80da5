"""The warehouses the project builds on ("targets"): their names, dbt adapters, environment variables and defaults.

This registry is the one list of targets. The CLIs take ``--target`` with these names as choices, dbt gets the name
as ``DBT_TARGET`` (an output of the same name in ``dbt_project/profiles.yml``), and the dashboard and the report
read ``DBT_TARGET`` to choose the warehouse they read. Adding a target means one entry here, one output in
profiles.yml, the dispatch macros its SQL dialect needs and a writer for the loader.

``DASHBOARD_WAREHOUSE`` is the old name of the dashboard's choice; it still works (deprecated) when ``DBT_TARGET``
is not set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from settings.errors import SettingsError
from settings.paths import DEFAULT_DUCKDB_PATH

TARGET_ENV = "DBT_TARGET"  # the target choice, from `--target` down to dbt, the dashboard and the report
DEPRECATED_TARGET_ENV = "DASHBOARD_WAREHOUSE"  # the dashboard's old name for the same choice


@dataclass(frozen=True)
class Target:
    """One warehouse the project can build on."""

    name: str  # the --target choice, DBT_TARGET value and profiles.yml output name
    adapter: str  # the dbt adapter (profiles.yml `type:`), which also names the SQL dialect
    label: str  # for people: "DuckDB", "PostgreSQL"
    location: str  # the environment variable that says where the data lives (a file, a database)
    env: Mapping[str, str] = field(default_factory=dict)  # environment variable -> default when unset
    has_dashboard: bool = True  # the dashboard and the report (analytics/marts.py) can read its marts

    def setting(self, variable: str, environ: Mapping[str, str] | None = None) -> str:
        """The value of one of this target's environment variables, or its default (empty values count as unset)."""
        env = os.environ if environ is None else environ
        if variable not in self.env:
            raise KeyError(f"{variable} is not a setting of target {self.name}")
        return env.get(variable) or self.env[variable]

    def describe(self, environ: Mapping[str, str] | None = None) -> str:
        """Where this target's warehouse is, for messages: ``DuckDB data/warehouse.duckdb`` (never a password)."""
        return f"{self.label} {self.setting(self.location, environ)}"


TARGETS: dict[str, Target] = {
    "duckdb": Target(
        name="duckdb",
        adapter="duckdb",
        label="DuckDB",
        location="DUCKDB_PATH",
        env={"DUCKDB_PATH": str(DEFAULT_DUCKDB_PATH)},
    ),
    "postgres": Target(
        name="postgres",
        adapter="postgres",
        label="PostgreSQL",
        location="PGDATABASE",
        env={
            "PGHOST": "127.0.0.1",
            "PGPORT": "5432",
            "PGUSER": "postgres",
            "PGPASSWORD": "",
            "PGDATABASE": "growth_analytics",
        },
    ),
    "spark": Target(
        name="spark",
        adapter="spark",
        label="Spark",
        location="SPARK_HOST",  # in-process sessions keep their tables under SPARK_WAREHOUSE_DIR (warehouse/spark)
        env={
            "SPARK_METHOD": "session",
            "SPARK_HOST": "127.0.0.1",
            "SPARK_PORT": "10000",
            "SPARK_USER": "dbt",
            "SPARK_AUTH": "NONE",
            "SPARK_TOKEN": "",
            "SPARK_CLUSTER": "",
            "SPARK_ORGANIZATION": "0",
            "SPARK_CONNECT_RETRIES": "0",
            "SPARK_THREADS": "1",
            "SPARK_SHUFFLE_PARTITIONS": "4",
        },
        has_dashboard=False,
    ),
}
TARGET_NAMES: tuple[str, ...] = tuple(TARGETS)
DEFAULT_TARGET = "duckdb"


def get_target(name: str) -> Target:
    """The registered target ``name``; SettingsError (one line naming the choices) for any other name."""
    target = TARGETS.get(name)
    if target is None:
        raise SettingsError(f"unknown target {name!r}: expected one of {', '.join(TARGET_NAMES)}")
    return target


def target_from_env(environ: Mapping[str, str] | None = None) -> Target:
    """The target chosen by ``DBT_TARGET`` (or the deprecated ``DASHBOARD_WAREHOUSE``), else the default.

    When both are set they must agree; otherwise it is unclear which warehouse was meant (SettingsError).
    """
    env = os.environ if environ is None else environ
    chosen = (env.get(TARGET_ENV) or "").strip().lower()
    legacy = (env.get(DEPRECATED_TARGET_ENV) or "").strip().lower()
    if chosen and legacy and chosen != legacy:
        raise SettingsError(
            f"{TARGET_ENV}={chosen} and {DEPRECATED_TARGET_ENV}={legacy} disagree: set {TARGET_ENV} only"
            f" ({DEPRECATED_TARGET_ENV} is its deprecated name)"
        )
    name = chosen or legacy or DEFAULT_TARGET
    try:
        return get_target(name)
    except SettingsError:
        variable = TARGET_ENV if chosen else DEPRECATED_TARGET_ENV
        raise SettingsError(f"{variable}={name!r}: expected one of {', '.join(TARGET_NAMES)}") from None
