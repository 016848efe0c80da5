"""One import run: read the inputs chunk by chunk, parse each chunk, write its rows, and at the end the users,
the file bookkeeping and the accounting check, all inside one warehouse transaction.

Memory is bounded by the chunk size (records held at once) and the working database's memory limit, whatever the
size of the input. The check ``read = loaded + rejected`` (and that every loaded record became exactly one event or
user record) runs before the commit: when it fails, or anything else does, the transaction is rolled back and the
warehouse is as it was.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from warehouse.connections import duckdb_path as resolve_duckdb_path
from warehouse.contract import BOOKKEEPING_TABLES, IMPORT_TABLES
from warehouse.errors import InputError, WarehouseError
from warehouse.importer.fields import InputSpec
from warehouse.importer.mapping import Mapping, RecordKind, mapped_columns, read_mapping
from warehouse.importer.parsing import group_sql, json_path
from warehouse.importer.prefetch import prefetch
from warehouse.importer.progress import Progress
from warehouse.importer.readers import Chunk, InputFile, describe_files, iter_chunks
from warehouse.importer.sink import DuckDBSink, PostgresSink, Sink
from warehouse.importer.staging import Staging
from warehouse.importer.summary import ImportSummary, dbt_var_warnings
from warehouse.load import check_target, database_errors
from warehouse.sql import sql_string

BOOKKEEPING = "load_batches"

DEFAULT_CHUNK_LINES = 500_000
DEFAULT_MEMORY_LIMIT = "512MB"
CHUNK_LINES_ENV = "IMPORT_CHUNK_LINES"
MEMORY_LIMIT_ENV = "IMPORT_MEMORY_LIMIT"


@dataclass
class _Source:
    """One input of the mapping (the events, or the users' own file) and the kinds of record it holds."""

    role: str
    inp: InputSpec
    kinds: tuple[RecordKind, ...]
    files: list[InputFile] = field(default_factory=list)


@dataclass
class _Tally:
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    event_rows: int = 0
    user_rows: int = 0
    events_out: int = 0
    rejects_out: int = 0
    done_bytes: int = 0
    event_names: set[str] = field(default_factory=set)


def chunk_lines_setting(value: int | None) -> int:
    """The chunk size: ``value``, else ``$IMPORT_CHUNK_LINES``, else the default."""
    if value is None:
        text = os.environ.get(CHUNK_LINES_ENV)
        if not text:
            return DEFAULT_CHUNK_LINES
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise InputError(f"{CHUNK_LINES_ENV}={text!r}: expected a whole number of lines") from None
    if value < 1:
        raise InputError(f"chunk size must be at least 1 line, got {value}")
    return value


def memory_limit_setting(value: str | None) -> str:
    """The memory limit of each of the import's two DuckDB instances: ``value``, else ``$IMPORT_MEMORY_LIMIT``,
    else the default (DuckDB spills to a temporary folder beyond it)."""
    text = (value or os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)", text, flags=re.IGNORECASE):
        raise InputError(f"memory limit {text!r}: expected a size such as 512MB or 2GB")
    return text


class _Importer:
    """The state of one run; :func:`import_events` drives it."""

    def __init__(self, mapping: Mapping, sink: Sink, staging: Staging, progress: Progress, chunk_lines: int) -> None:
        self.mapping = mapping
        self.sink = sink
        self.staging = staging
        self.progress = progress
        self.chunk_lines = chunk_lines
        self.tally = _Tally()
        self.sources = [_Source("events", mapping.input, mapping.record_kinds)]
        if mapping.users.mode == "input":
            assert mapping.users.input is not None
            kind = RecordKind("users", None, mapping.users.input.columns, None)
            self.sources.append(_Source("users", mapping.users.input, (kind,)))
        self.skipped: list[InputFile] = []
        self.want_names = any(mapping.dbt_vars.get(v) for v in ("funnel_steps", "activity_events", "revenue_events"))
        self.want_names = self.want_names or bool(mapping.dbt_vars.get("feature_event"))

    def list_inputs(self, append: bool) -> None:
        known = self.sink.imported_files(self.mapping.name) if append else set()
        next_id = 1
        for source in self.sources:
            files = describe_files(source.inp, source.role, next_id)
            next_id += len(files)
            source.files = [f for f in files if f.key not in known]
            self.skipped += [f for f in files if f.key in known]
            self.staging.add_files(source.files)

    def read_all(self) -> None:
        total = sum(f.size for s in self.sources for f in s.files)
        self.progress.reading(sum(len(s.files) for s in self.sources), total)
        for source in self.sources:
            if not source.files:
                continue
            self.progress.note(f"reading {source.role} from {source.inp.path} ({len(source.files):,} files)")
            self._read_source(source)
        self.progress.status(self.tally.read, self.tally.rejected, self.tally.done_bytes, force=True)

    def _read_source(self, source: _Source) -> None:
        positions: dict[int, int] = {}

        def position(f: InputFile, pos: int) -> None:
            self.tally.done_bytes += pos - positions.get(f.file_id, 0)
            positions[f.file_id] = pos

        json_cols = self._json_columns(source)
        found = [False] * len(json_cols)
        for chunk in self._chunks(source, position):
            self._check_headers(source, chunk)
            if len(chunk.table):
                self._chunk(source, chunk)
                if json_cols and not all(found):
                    paths = [json_path(c) for _, c in json_cols]
                    found = [a or b for a, b in zip(found, self.staging.json_found(paths), strict=True)]
                self.staging.done_with_chunk()
            self.progress.status(self.tally.read, self.tally.rejected, self.tally.done_bytes)
        for (key, col), ok in zip(json_cols, found, strict=True):
            if not ok:
                raise InputError(
                    f"{source.inp.path}: column {col!r} (mapped as {key} in {self.mapping.mapping_path.name}) is in"
                    " no record of the input"
                )

    def _chunks(self, source: _Source, position) -> Iterator[Chunk]:  # callback
        return prefetch(
            iter_chunks(
                source.files,
                source.inp,
                self.chunk_lines,
                lambda f: self.staging.parquet_tables(f, self.chunk_lines),
                position,
            )
        )

    def _mapped(self, source: _Source) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for kind in source.kinds:
            out += [m for m in mapped_columns(kind, self.mapping.users, source.role) if m not in out]
        return out

    def _json_columns(self, source: _Source) -> list[tuple[str, str]]:
        return self._mapped(source) if source.inp.format == "ndjson" else []

    def _check_headers(self, source: _Source, chunk: Chunk) -> None:
        """Every mapped column must be in each file's header (or a Parquet file's columns)."""
        inp = source.inp
        if not ((inp.is_text and inp.header) or inp.format == "parquet"):
            return
        ids = set(pc.unique(chunk.table["file_id"]).to_pylist()) if len(chunk.table) else set()
        for f in source.files:
            if f.header is None or not (f.file_id in ids or f in chunk.files_done):
                continue
            for key, col in self._mapped(source):
                if not (inp.format == "parquet" and col.startswith("$")) and col not in f.header:
                    raise InputError(
                        f"{f.path}: column {col!r} (mapped as {key} in {self.mapping.mapping_path.name}) is not in"
                        f" the file; it has: {', '.join(f.header)}"
                    )

    def _group_sqls(self, source: _Source, table: pa.Table) -> list[str]:
        ids = sorted(pc.unique(table["file_id"]).to_pylist())
        groups: dict[tuple[str, ...] | None, list[int]] = {}
        by_id = {f.file_id: f for f in source.files}
        for file_id in ids:
            header = by_id[file_id].header if source.inp.is_text and source.inp.header else None
            groups.setdefault(tuple(header) if header is not None else None, []).append(file_id)
        users = self.mapping.users
        return [group_sql(source.role, source.inp, source.kinds, users, g, cols) for cols, g in groups.items()]

    def _chunk(self, source: _Source, chunk: Chunk) -> None:
        parsed, loaded, rejected, event_rows, user_rows = self.staging.parse(
            chunk.table, self._group_sqls(source, chunk.table)
        )
        t = self.tally
        t.read += len(chunk.table)
        if parsed != len(chunk.table):
            raise WarehouseError(
                f"internal error, nothing was written: {len(chunk.table):,} records, {parsed:,} parsed"
            )
        t.loaded, t.rejected = t.loaded + loaded, t.rejected + rejected
        t.event_rows, t.user_rows = t.event_rows + event_rows, t.user_rows + user_rows
        if event_rows:
            t.events_out += self.sink.write("events", self.staging.events(self.sink.dialect))
        if rejected:
            t.rejects_out += self.sink.write("import_rejects", self.staging.rejects(self.sink.dialect))
        if loaded:
            self.staging.keep_users()
        if self.want_names and event_rows:
            t.event_names |= self.staging.event_names()

    def finish(self, import_id: str, loaded_at: datetime) -> tuple[int, int, int]:
        """Users, duplicate-user rejects and the file bookkeeping; the accounting check.
        Returns (users derived from events, repeated user records kept as events, records read)."""
        t = self.tally
        duplicates, folded = self.staging.resolve_users()
        if duplicates:
            t.rejects_out += self.sink.write("import_rejects", self.staging.duplicate_rejects(self.sink.dialect))
        t.loaded, t.rejected, t.user_rows = t.loaded - duplicates, t.rejected + duplicates, t.user_rows - duplicates
        self.progress.note("writing users")
        self.sink.write("users", self.staging.users(self.sink.dialect))
        kept, derived = self.staging.user_counts()
        files = [f for s in self.sources for f in s.files]
        rows = [
            (import_id, self.mapping.name, f.role, f.name, f.size, f.modified_at, f.records, loaded_at) for f in files
        ]
        table = IMPORT_TABLES["import_files"]
        self.sink.write(
            "import_files",
            pa.Table.from_pylist(
                [dict(zip(table.column_names, r, strict=True)) for r in rows], schema=table.arrow_schema()
            ).to_reader(),
        )
        if files or self.sink.mode == "replace":
            self._record_batch(import_id, loaded_at, t.loaded)
        # Nothing lost, nothing invented: every record read is exactly one loaded or one rejected record, and
        # every loaded record is an event or a user record.
        if not (
            t.read == t.loaded + t.rejected
            and t.loaded == t.event_rows + t.user_rows
            and t.events_out == t.event_rows
            and t.rejects_out == t.rejected
            and t.read == sum(f.records for f in files)
        ):
            raise WarehouseError(
                f"internal error, nothing was written: read {t.read:,} records, loaded {t.loaded:,}"
                f" ({t.event_rows:,} events + {t.user_rows:,} user records, {t.events_out:,} events out) + rejected"
                f" {t.rejected:,} ({t.rejects_out:,} out)"
            )
        return derived, folded, kept

    def _record_batch(self, import_id: str, loaded_at: datetime, records: int) -> None:
        """The import's row in raw.load_batches (the ledger `load --append` keeps too): an import that replaces
        raw is batch 0 of its dataset, an --append that read files is the next one."""
        sequence = 0
        if self.sink.mode == "append":
            # import ids name the second an import started: two appends within one second share theirs (and their
            # rows' batch_id), so they share one ledger row too
            if self.sink.query(f"select 1 from raw.{BOOKKEEPING} where batch_id = {self.sink.param()}", [import_id]):
                self.sink.execute(
                    f"update raw.{BOOKKEEPING} set row_count = row_count + {int(records)}"
                    f" where batch_id = {sql_string(import_id)}"
                )
                return
            (last,) = self.sink.query(f"select max(sequence) from raw.{BOOKKEEPING}")[0]
            sequence = 0 if last is None else int(last) + 1
        row = {
            "batch_id": import_id,
            "dataset": f"import {self.mapping.name}",
            "sequence": sequence,
            "first_day": loaded_at.date(),
            "last_day": loaded_at.date(),
            "source": str(self.mapping.input.path),
            "row_count": records,
            "loaded_at": loaded_at,
        }
        table = BOOKKEEPING_TABLES[BOOKKEEPING]
        self.sink.write(BOOKKEEPING, pa.Table.from_pylist([row], schema=table.arrow_schema()).to_reader())

    def summary(
        self, import_id: str, target: str, mode: str, written: dict[str, int], derived: int, folded: int, secs: float
    ) -> ImportSummary:
        files = [f for s in self.sources for f in s.files]
        return ImportSummary(
            import_id=import_id,
            target=target,
            mode=mode,
            files=len(files),
            read=self.tally.read,
            loaded=self.tally.loaded,
            rejected=self.tally.rejected,
            blank_lines=sum(f.blank_lines for f in files),
            written={t: written.get(t, 0) for t in ("users", "events", "import_rejects", "import_files")},
            users_derived=derived if self.mapping.users.mode != "derive" else 0,
            duplicate_registrations=folded,
            warnings=[f"empty file skipped: {f.name}" for f in files if f.empty]
            + dbt_var_warnings(self.mapping.dbt_vars, self.tally.event_names),
            seconds=secs,
            files_skipped=len(self.skipped),
        )


def _sink(
    target: str, duckdb_path: str | os.PathLike[str] | None, pg_database: str | None, mode: str, memory: str
) -> Sink:
    if check_target(target) == "duckdb":
        return DuckDBSink(resolve_duckdb_path(duckdb_path), mode, memory)
    if target == "spark":
        from warehouse.spark.sink import SparkSink

        return SparkSink(mode, memory)
    return PostgresSink(pg_database, mode)


def import_events(
    config: str | os.PathLike[str] | Mapping,
    target: str = "duckdb",
    duckdb_path: str | os.PathLike[str] | None = None,
    pg_database: str | None = None,
    *,
    append: bool = False,
    recreate: bool = False,
    quiet: bool = False,
    chunk_lines: int | None = None,
    memory_limit: str | None = None,
) -> ImportSummary:
    """Import the export described by the mapping (a path, or a mapping already read) into schema ``raw``.

    Replaces the raw layer (``append=False``: users and events become this import, other tables empty) or adds to
    it (``append=True``: files already imported are skipped, and only rows whose event id / user id / rejected
    line is new are added). One transaction either way. ``chunk_lines`` (default ``$IMPORT_CHUNK_LINES`` or
    500,000) bounds the records held at once; ``memory_limit`` (default ``$IMPORT_MEMORY_LIMIT`` or 512MB) bounds
    each of the two DuckDB instances (the working one, and the DuckDB warehouse), which spill to disk beyond it.
    """
    started = time.perf_counter()
    check_target(target)
    mapping = config if isinstance(config, Mapping) else read_mapping(config)
    lines = chunk_lines_setting(chunk_lines)
    memory = memory_limit_setting(memory_limit)
    progress = Progress(quiet)
    loaded_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    import_id = f"{mapping.name}-{loaded_at:%Y%m%dT%H%M%SZ}"
    mode = "append" if append else "replace"
    sink = _sink(target, duckdb_path, pg_database, mode, memory)
    with tempfile.TemporaryDirectory(prefix="import_") as tmp:
        staging = Staging(mapping.name, import_id, loaded_at, mapping.users, memory, Path(tmp))
        committed = False
        try:
            sink.begin(recreate)
            run = _Importer(mapping, sink, staging, progress, lines)
            run.list_inputs(append)
            run.read_all()
            if run.tally.read == 0 and not run.skipped:
                raise InputError(f"{mapping.input.path}: no records to import (the input is empty)")
            derived, folded, _ = run.finish(import_id, loaded_at)
            progress.note(f"committing to {target}")
            written = sink.finish()
            sink.commit()
            committed = True
        except database_errors() as exc:
            raise WarehouseError(f"import failed, nothing changed: {str(exc).strip().splitlines()[0]}") from None
        finally:
            if not committed:
                sink.rollback()
            sink.close()
            staging.close()
    return run.summary(import_id, target, mode, written, derived, folded, time.perf_counter() - started)
