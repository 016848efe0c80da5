"""The marts of a Spark warehouse for :mod:`warehouse.compare`: ``spark:<schema location>``.

The reader works on the process's Spark session (started from the SPARK_* settings when none runs; see
:mod:`warehouse.spark.session`); the location after ``spark:`` may name the warehouse folder, whose sibling
``metastore`` folder is then the metastore (the layout of ``data/spark``). Spark returns timestamps in the session
time zone, which the project sets to UTC, so they compare with the naive UTC timestamps of DuckDB and PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from warehouse.compare.readers import CompareError


class SparkReader:
    """Tables of one schema in the Spark catalog (Hive metastore), read through the running session."""

    def __init__(self, location: str = "", session: Any = None) -> None:
        from warehouse.spark.session import java_reason

        if session is None:
            reason = java_reason()
            if reason:
                raise CompareError(f"cannot start Spark: {reason}")
            if location:
                folder = Path(location).expanduser().resolve()
                if not folder.is_dir():
                    raise CompareError(f"no Spark warehouse folder at {folder}")
                os.environ["SPARK_WAREHOUSE_DIR"] = str(folder)
                os.environ.setdefault("SPARK_METASTORE_DIR", str(folder.parent / "metastore"))
            from warehouse.spark.session import get_session

            session = get_session()
        self._spark = session
        conf = session.conf.get("spark.sql.warehouse.dir", "")
        self.description = f"spark:{conf}"

    def tables(self, schema: str) -> list[str]:
        if not self._spark.catalog.databaseExists(schema):
            return []
        return sorted(t.name for t in self._spark.catalog.listTables(schema) if not t.isTemporary)

    def columns(self, schema: str, table: str) -> list[tuple[str, str]]:
        fields = self._spark.table(f"`{schema}`.`{table}`").schema.fields
        return [(f.name, f.dataType.simpleString()) for f in fields]

    def rows(self, schema: str, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
        frame = self._spark.table(f"`{schema}`.`{table}`").select(*[f"`{c}`" for c in columns])
        for row in frame.toLocalIterator():
            yield tuple(row)

    def close(self) -> None:
        """The session is shared by the process (dbt may still use it): nothing to close here."""
