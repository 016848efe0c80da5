"""The Spark session the project uses, and where its tables live.

Settings come from environment variables (none is a secret):

- ``SPARK_MASTER``: ``local[2]`` by default; ``local-cluster[2,1,1024]`` runs two executor processes.
- ``SPARK_WAREHOUSE_DIR`` / ``SPARK_METASTORE_DIR``: the Parquet tables and the Derby metastore, by default
  ``data/spark/warehouse`` and ``data/spark/metastore``. Derby admits one process at a time: give every run that
  may overlap (a test session, a benchmark) its own pair.
- ``SPARK_DRIVER_MEMORY`` (``1g``) and ``SPARK_SHUFFLE_PARTITIONS`` (``4``).
- ``SPARK_LOCAL_IP`` is set to ``127.0.0.1`` when unset, so nothing listens beyond the loopback interface.

dbt reaches the same session two ways: in this process (dbtRunner; dbt-spark's ``session`` method picks up the
running session) or in a child process, which reads the static settings from ``PYSPARK_SUBMIT_ARGS``
(:func:`spark_env`) and the SQL settings from ``profiles.yml``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from settings.errors import SettingsError
from settings.paths import DATA_DIR, REPO_ROOT

DEFAULT_MASTER = "local[2]"


@dataclass(frozen=True)
class SparkSettings:
    master: str
    warehouse_dir: Path
    metastore_dir: Path
    driver_memory: str
    shuffle_partitions: int

    def static_conf(self) -> dict[str, str]:
        """Settings fixed when the JVM starts (a running session keeps its own)."""
        return {
            "spark.master": self.master,
            "spark.driver.memory": self.driver_memory,
            "spark.sql.warehouse.dir": str(self.warehouse_dir),
            "spark.hadoop.javax.jdo.option.ConnectionURL": (
                f"jdbc:derby:;databaseName={self.metastore_dir / 'metastore_db'};create=true"
            ),
            "spark.driver.extraJavaOptions": f"-Dderby.system.home={self.metastore_dir}",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.host": "127.0.0.1",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.catalogImplementation": "hive",
        }

    def sql_conf(self) -> dict[str, str]:
        """Settings of the SQL engine (also what profiles.yml passes as server-side parameters)."""
        return {
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.adaptive.enabled": "true",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.sources.partitionOverwriteMode": "dynamic",
        }


def _path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    chosen = Path(value) if value else default
    return (chosen if chosen.is_absolute() else REPO_ROOT / chosen).resolve()


def spark_settings() -> SparkSettings:
    """The settings from the environment (SettingsError, one line, for an unusable value)."""
    partitions = os.environ.get("SPARK_SHUFFLE_PARTITIONS", "4")
    if not partitions.isdigit() or int(partitions) < 1:
        raise SettingsError(f"SPARK_SHUFFLE_PARTITIONS must be a positive whole number, got {partitions!r}")
    return SparkSettings(
        master=os.environ.get("SPARK_MASTER") or DEFAULT_MASTER,
        warehouse_dir=_path("SPARK_WAREHOUSE_DIR", DATA_DIR / "spark" / "warehouse"),
        metastore_dir=_path("SPARK_METASTORE_DIR", DATA_DIR / "spark" / "metastore"),
        driver_memory=os.environ.get("SPARK_DRIVER_MEMORY") or "1g",
        shuffle_partitions=int(partitions),
    )


def java_reason() -> str | None:
    """None when a Java runtime and pyspark are there, else why Spark cannot start."""
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        return "no Java runtime (java on PATH or JAVA_HOME): Spark needs Java 17 or later"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed: pip install -r requirements-spark.txt"
    return None


def spark_env(settings: SparkSettings | None = None) -> dict[str, str]:
    """Environment for a child process that starts Spark (dbt's session method) with these settings."""
    s = settings or spark_settings()
    conf = {k: v for k, v in s.static_conf().items() if k != "spark.driver.extraJavaOptions"}
    args = " ".join(f"--conf {k}={v}" for k, v in conf.items())
    java_opts = s.static_conf()["spark.driver.extraJavaOptions"]
    return {
        "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
        "PYSPARK_SUBMIT_ARGS": f'{args} --driver-java-options "{java_opts}" pyspark-shell',
        "SPARK_SHUFFLE_PARTITIONS": str(s.shuffle_partitions),
    }


def get_session(settings: SparkSettings | None = None) -> Any:
    """The process's SparkSession, started with the settings when none runs (the running one otherwise)."""
    from pyspark.sql import SparkSession

    s = settings or spark_settings()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    s.warehouse_dir.mkdir(parents=True, exist_ok=True)
    s.metastore_dir.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("growth_analytics").enableHiveSupport()
    for key, value in {**s.static_conf(), **s.sql_conf()}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
