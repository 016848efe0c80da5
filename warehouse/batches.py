"""Batches in raw: the bookkeeping row of a load and ``python -m warehouse load --append <batch folder>``.

A full load (``load --input``) replaces raw and records its folder as batch 0 of its dataset in ``raw.load_batches``.
``append_batch`` adds one batch folder (written by ``python -m data_generation --continue``) in one transaction,
every row as delivered (re-deliveries included: staging deduplicates) and stamped with the batch id, after checking
under a lock of ``raw.load_batches``:

* the batch is not there yet (else nothing is added, and the caller says so);
* it belongs to the dataset raw holds (same scenario, seed, size, start and horizon);
* it is the next one: sequence = last sequence + 1, and its first day follows the last day loaded.

Anything else is refused with one line before a row is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from warehouse.contract import TABLES
from warehouse.errors import InputError, WarehouseError
from warehouse.load import (
    Progress,
    _first_line,
    _quiet,
    database_errors,
    parquet_sources,
    validate_parquet_folder,
    write_raw,
)
from warehouse.manifest import MANIFEST_FILE, BatchManifest, read_manifest
from warehouse.sql import sql_string

BOOKKEEPING = "load_batches"


class _AlreadyLoaded(Exception):
    """Raised inside the load transaction to roll it back when the batch is in raw already."""


@dataclass
class AppendResult:
    manifest: BatchManifest
    counts: dict[str, int] = field(default_factory=dict)
    already_loaded: bool = False


def _date_sql(day: date | None) -> str:
    return "cast(null as date)" if day is None else f"date {sql_string(day.isoformat())}"


def bookkeeping_source(manifest: BatchManifest, folder: Path, rows: int) -> str:
    """A DuckDB SELECT of the batch's one ``raw.load_batches`` row."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return (
        f"select {sql_string(manifest.batch_id)} as batch_id, {sql_string(manifest.dataset)} as dataset,"
        f" cast({int(manifest.sequence)} as integer) as sequence, {_date_sql(manifest.first_day)} as first_day,"
        f" {_date_sql(manifest.last_day)} as last_day, {sql_string(str(folder.resolve()))} as source,"
        f" cast({int(rows)} as bigint) as row_count, timestamp {sql_string(now.isoformat(sep=' '))} as loaded_at"
    )


def full_load_manifest(folder: Path) -> BatchManifest:
    """What a full load records: the folder's own manifest, or (a folder without one) batch 0 of a dataset named
    after the folder. A batch folder (sequence > 0) is refused: it only makes sense on top of its base."""
    manifest = read_manifest(folder)
    if manifest is None:
        name = f"load-{folder.resolve().name}"
        return BatchManifest(
            dataset=f"folder {folder.resolve()}", batch_id=name, sequence=0, first_day=None, last_day=None
        )
    if manifest.sequence != 0:
        raise InputError(
            f"{folder} is batch {manifest.sequence} of dataset {manifest.dataset}, not a full dataset:"
            " append it with `python -m warehouse load --append` after loading its base"
        )
    return manifest


def _check_next(manifest: BatchManifest, loaded: list[tuple]) -> None:
    """Refuse (one line) a batch that is not the next one of the dataset raw holds; ``loaded`` rows are
    (batch_id, dataset, sequence, last_day) in sequence order."""
    if any(row[0] == manifest.batch_id and row[1] == manifest.dataset for row in loaded):
        raise _AlreadyLoaded
    if not loaded:
        raise InputError(
            f"raw holds no dataset to append batch {manifest.batch_id} to: load its base first"
            " (python -m warehouse load --input <dataset folder>); nothing was loaded"
        )
    base = loaded[0][1]
    if manifest.dataset != base:
        raise InputError(
            f"batch {manifest.batch_id} belongs to dataset {manifest.dataset}, but raw holds {base}; nothing was loaded"
        )
    last_id, _, last_sequence, last_day = loaded[-1]
    if manifest.sequence != last_sequence + 1:
        raise InputError(
            f"batch {manifest.batch_id} is number {manifest.sequence}, but the last batch loaded is number"
            f" {last_sequence} ({last_id}): batches load in order, the next is number {last_sequence + 1};"
            " nothing was loaded"
        )
    if manifest.first_day is not None and last_day is not None and manifest.first_day != last_day + timedelta(days=1):
        raise InputError(
            f"batch {manifest.batch_id} starts on {manifest.first_day}, but raw holds arrivals through {last_day}:"
            " the days must follow on without a gap or overlap; nothing was loaded"
        )


def append_batch(
    input_dir: str | os.PathLike[str],
    target: str = "duckdb",
    duckdb_path: str | os.PathLike[str] | None = None,
    pg_database: str | None = None,
    *,
    progress: Progress = _quiet,
) -> AppendResult:
    """Add the batch in ``input_dir`` to raw, all or nothing; see the module docstring for the checks."""
    folder = Path(input_dir)
    if not folder.is_dir():
        raise InputError(f"input folder {folder} does not exist")
    manifest = read_manifest(folder)
    if manifest is None:
        raise InputError(
            f"{folder} has no {MANIFEST_FILE}: not a batch folder (python -m data_generation --continue writes them)"
        )
    if manifest.sequence == 0:
        raise InputError(f"{folder} is a full dataset (batch 0), not a batch: load it with --input instead")
    expected = validate_parquet_folder(folder)
    sources = parquet_sources(folder, target, manifest.batch_id)
    sources[BOOKKEEPING] = bookkeeping_source(manifest, folder, sum(expected.values()))

    def guard(query) -> None:  # the query callable write_raw hands over
        rows = query(f"select batch_id, dataset, sequence, last_day from {{raw}}.{BOOKKEEPING} order by sequence")
        _check_next(manifest, [tuple(r) for r in rows])

    staging = duckdb.connect()
    try:
        counts = write_raw(
            staging,
            sources,
            target=target,
            duckdb_file=duckdb_path,
            pg_database=pg_database,
            mode="batch",
            progress=progress,
            guard=guard,
        )
    except _AlreadyLoaded:
        return AppendResult(manifest, already_loaded=True)
    except database_errors() as exc:
        raise WarehouseError(f"append of {folder} failed, nothing changed: {_first_line(exc)}") from None
    finally:
        staging.close()
    for name in TABLES:
        if counts.get(name) != expected[name]:
            raise WarehouseError(f"raw.{name}: appended {counts.get(name)} rows but the file has {expected[name]}")
    return AppendResult(manifest, counts={name: counts[name] for name in TABLES})
