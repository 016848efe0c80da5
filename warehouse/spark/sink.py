"""The importer's sink for Spark: the import is gathered in a scratch DuckDB file, then written to Spark at the end.

Spark has no transaction over several tables, so the import's rows go first to a DuckDB file of its own (the
DuckDB sink, always in replace mode there) and only :meth:`SparkSink.finish` writes them to Spark, through
:func:`warehouse.spark.raw.write_spark`: new tables swapped in when all are written, so a failed import leaves the
previous raw tables. ``append`` merges with the Spark tables by the loader's keys; the files an earlier import
read are looked up in Spark's ``raw.import_files``.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from warehouse.importer.sink import FILES_TABLE, DuckDBSink


class SparkSink(DuckDBSink):
    dialect = "duckdb"  # the SQL the importer runs against the sink is DuckDB's (the scratch file)

    def __init__(self, mode: str, memory_limit: str) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="spark_import_"))
        super().__init__(self._scratch / "import.duckdb", "replace", memory_limit)
        self.spark_mode = mode

    def imported_files(self, dataset: str) -> set[tuple[str, str, int, datetime]]:
        from warehouse.spark.session import get_session

        spark = get_session()
        if not spark.catalog.tableExists(f"raw.{FILES_TABLE}"):
            return set()
        rows = (
            spark.table(f"raw.{FILES_TABLE}")
            .where(f"dataset = '{dataset.replace(chr(39), chr(39) * 2)}'")
            .select("source", "file_name", "size_bytes", "modified_at")
            .collect()
        )
        return {(r[0], r[1], int(r[2]), r[3]) for r in rows}

    def finish(self) -> dict[str, int]:
        from warehouse.spark.raw import ALL_TABLES, write_spark

        assert self.con is not None
        self.con.execute("commit")
        names = [n for n in ALL_TABLES if self.spark_mode == "replace" or n in self.counts]
        sources = {name: f"select * from raw.{name}" for name in names}
        written = write_spark(self.con, sources, mode=self.spark_mode)
        self.con.execute("begin transaction")  # commit() below ends it
        return {name: written[name] for name in self.counts if name in written}

    def close(self) -> None:
        super().close()
        shutil.rmtree(self._scratch, ignore_errors=True)
