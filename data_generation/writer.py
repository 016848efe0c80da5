"""The only module that touches the file system: writes a simulation into an output folder, all or nothing.

Files go to a temporary folder next to the output and are moved into place at the end, so a failed run leaves
nothing half-written and an existing output stays until the new one is complete. Parquet is written with fixed
settings (no timestamps of "now" anywhere), so the same inputs give byte-identical files.

Sessions and events arrive in blocks; a single background thread writes each block while the next one is
generated (pyarrow releases the GIL while encoding).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from data_generation.churn_truth import CHURN_TRUTH_FILE, churn_truth_table
from data_generation.columns import storage_schema
from data_generation.continuation import Cut
from data_generation.errors import GenerationError, GenerationSystemError
from data_generation.simulator import Progress, Simulation, _quiet
from data_generation.users import user_ids
from settings.exit_codes import SYSTEM_ERRNOS
from warehouse.contract import TABLES
from warehouse.manifest import MANIFEST_FILE

PARQUET_SETTINGS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    "version": "2.6",
    "data_page_version": "1.0",
    "store_schema": False,  # the parquet types alone read back as the contract's Arrow schema
}
ROW_GROUP_ROWS = 1_048_576
MAX_PENDING_BLOCKS = 2
# identifier columns are unique per row: dictionary encoding would only be tried and abandoned
NO_DICTIONARY = {"event_id", "session_id", "payment_id", "email"}


def _dictionary_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.type in ("string", "json") and c.name not in NO_DICTIONARY]


def _statistics_columns(table: str) -> list[str]:
    """Min/max statistics for time and number columns (useful for pruning); string statistics cost a third of the
    write time for nothing a query uses."""
    return [c.name for c in TABLES[table].columns if c.type not in ("string", "json")]


def _writer(path: Path, table: str) -> pq.ParquetWriter:
    timestamps = [c.name for c in TABLES[table].columns if c.type == "timestamp"]
    return pq.ParquetWriter(
        path,
        storage_schema(table),
        use_dictionary=_dictionary_columns(table),
        write_statistics=_statistics_columns(table),
        column_encoding=dict.fromkeys(timestamps, "DELTA_BINARY_PACKED"),
        **PARQUET_SETTINGS,
    )


def check_output(output: Path) -> None:
    """Fail early (before simulating) when ``output`` cannot be written or must not be replaced."""
    output = Path(output)
    if output.exists() and not output.is_dir():
        raise GenerationError(f"cannot write output folder {output}: a file with that name exists")
    if output.is_dir() and any(output.iterdir()) and not (output / "truth.json").is_file():
        raise GenerationError(
            f"cannot write output folder {output}: "
            "it holds other files (not a generator output); refusing to replace it"
        )
    ancestor = output.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise GenerationError(f"cannot write output folder {output}: {ancestor} is not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise GenerationError(f"cannot write output folder {output}: no permission to write in {ancestor}")


def prepare_output(output: Path) -> Path:
    """Check that ``output`` can be (re)placed and return a fresh temporary folder next to it."""
    check_output(output)
    parent = Path(output).absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{Path(output).name}.tmp-", dir=parent))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise GenerationError(f"cannot write output folder {output}: {reason}") from exc


def _move_into_place(tmp: Path, output: Path) -> None:
    old = None
    if output.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=tmp.parent))
        os.replace(output, old / "previous")
    os.replace(tmp, output)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_simulation(
    sim: Simulation,
    output: Path,
    progress: Progress = _quiet,
    cut: Cut | None = None,
    truth_extra: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Write every raw table, truth.json, truth_churn.parquet and dbt_vars.yml; return rows written per table.

    With ``cut`` (data_generation/continuation.py) only the rows of that delivery are written, plus its
    ``batch.json``; a batch (sequence > 0) gets no truth.json or dbt_vars.yml (its base has them)."""
    output = Path(output)
    tmp = prepare_output(output)
    try:
        counts = _write_all(sim, tmp, progress, cut)
        if cut is None or cut.sequence == 0:
            truth = {**sim.truth(counts), **(truth_extra or {})}
            (tmp / "truth.json").write_text(json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n")
            churn_truth = churn_truth_table(sim.world, user_ids(sim.world.n))
            pq.write_table(churn_truth, tmp / CHURN_TRUTH_FILE, **PARQUET_SETTINGS)
            header = (
                f"# dbt vars for scenario {sim.world.sc.name} (pass with --vars or let the pipeline read this file)\n"
            )
            (tmp / "dbt_vars.yml").write_text(header + yaml.safe_dump(sim.dbt_vars(), sort_keys=True))
        if cut is not None:
            (tmp / MANIFEST_FILE).write_text(cut.manifest(counts).to_json())
        _move_into_place(tmp, output)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        # Disk full or an I/O error is the machine's failure (exit 1); anything else is the chosen folder's (exit 2).
        error = GenerationSystemError if exc.errno in SYSTEM_ERRNOS else GenerationError
        raise error(f"cannot write output folder {output}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    progress(f"wrote {output}")
    return counts


def _write_all(sim: Simulation, folder: Path, progress: Progress, cut: Cut | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in TABLES:
        if name in ("events", "sessions"):
            continue
        table = sim.tables[name] if cut is None else cut.table(name, sim.tables[name])
        with _writer(folder / f"{name}.parquet", name) as w:
            w.write_table(table, row_group_size=ROW_GROUP_ROWS)
        counts[name] = table.num_rows
    writers = {name: _writer(folder / f"{name}.parquet", name) for name in ("events", "sessions")}
    rows = {"events": 0, "sessions": 0}

    def write_block(name: str, table: pa.Table) -> None:
        writers[name].write_table(table, row_group_size=ROW_GROUP_ROWS)
        rows[name] += table.num_rows

    # One writer thread per file, so each file's blocks stay in order (byte-identical output) while the two
    # files are compressed side by side; above all once generation has finished and only writing is left.
    pending: deque[Future] = deque()
    try:
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="events-writer") as events_pool,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sessions-writer") as sessions_pool,
        ):
            for events, sessions in sim.batches(progress):
                if cut is not None:
                    events, sessions = cut.block(events, sessions)
                while len(pending) >= 2 * MAX_PENDING_BLOCKS:
                    pending.popleft().result()
                pending.append(events_pool.submit(write_block, "events", events))
                pending.append(sessions_pool.submit(write_block, "sessions", sessions))
            while pending:
                pending.popleft().result()
    finally:
        for writer in writers.values():
            writer.close()
    counts.update(rows)
    return {name: counts[name] for name in TABLES}
