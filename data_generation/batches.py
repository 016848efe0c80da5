"""``python -m data_generation --continue <dataset folder> --days N``: the next N days of a dataset as a batch.

A dataset generated with ``--horizon H`` holds the arrivals of days 1..D of a business simulated over H days
(truth.json's ``continuation`` says how to simulate it again). Continuing it simulates the same horizon from the
same seed and writes the arrivals of the next N days (data_generation/continuation.py cuts them) to
``<dataset>/batches/<batch id>/``: one ``<table>.parquet`` per raw table and a ``batch.json`` (batch id, sequence,
day range, rows per table, late and re-delivered events). The batch reaching day H also carries whatever arrives
after it, so the base and all its batches together hold every row of the horizon. Same dataset and day range,
same bytes.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from data_generation.continuation import Cut, dataset_id
from data_generation.errors import GenerationError
from data_generation.population import RunConfig
from data_generation.scenario import Scenario, load_scenario
from data_generation.simulator import Simulation, simulate
from data_generation.timeutil import DAY
from warehouse.errors import InputError
from warehouse.manifest import MANIFEST_FILE, BatchManifest, read_manifest

BATCHES_DIR = "batches"


def simulate_horizon(
    sc: Scenario, seed: int, users: int, start: date, days: int, continuable: bool, progress: Callable[[str], None]
) -> Simulation:
    cfg = RunConfig(scenario=sc, seed=seed, users=users, days=days, start_date=start, late_tail=continuable)
    return simulate(cfg, progress)


def _scenario_source(scenario: str) -> str:
    path = Path(scenario)
    return str(path.resolve()) if path.suffix in (".yaml", ".yml") and path.is_file() else scenario


def base_cut(sim: Simulation, scenario: str, days: int, horizon: int | None) -> tuple[Cut, dict[str, Any]]:
    """The delivery a generation writes (days 1..``days``) and what truth.json adds for a continuable dataset."""
    cfg = sim.cfg
    span = horizon if horizon is not None else days
    dataset = dataset_id(cfg.scenario.name, cfg.seed, cfg.users, cfg.start_date, span)
    hi = cfg.start_us + days * DAY if horizon is not None and days < horizon else None
    cut = Cut(dataset, 0, cfg.start_date, 1, days, None, hi, cfg.end_us)
    if horizon is None:
        return cut, {}
    end = cfg.start_date + timedelta(days=days - 1)
    extra = {
        "days": days,
        "end_date": end.isoformat(),
        "continuation": {
            "horizon_days": horizon,
            "scenario": _scenario_source(scenario),
            "note": (
                "simulated over horizon_days and cut by arrival (loaded_at) after `days`; counts are of the rows"
                " written here, every other figure is of the whole horizon"
            ),
        },
    }
    return cut, extra


def _fail(message: str) -> GenerationError:
    return GenerationError(message)


def _manifest(folder: Path) -> BatchManifest:
    try:
        manifest = read_manifest(folder)
    except InputError as exc:
        raise _fail(str(exc)) from None
    if manifest is None:
        raise _fail(f"{folder} has no {MANIFEST_FILE}: not a dataset or batch written by this generator")
    return manifest


def delivered_batches(base: Path) -> list[BatchManifest]:
    """The batches already written for ``base``, in order; a broken chain is an error."""
    folder = base / BATCHES_DIR
    # hidden folders are the writer's temporary ones (a run that failed or is running)
    folders = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")] if folder.is_dir() else []
    found = sorted((_manifest(p) for p in folders), key=lambda m: m.sequence)
    for expected, manifest in enumerate(found, start=1):
        if manifest.sequence != expected:
            raise _fail(f"{folder}: batch number {expected} is missing (found {manifest.batch_id} next)")
    return found


def continue_dataset(base: Path, days: int, quiet: bool = True) -> Path:
    """Write the next ``days`` days of ``base`` as batch folder ``base/batches/<batch id>``; return it."""
    if not (base / "truth.json").is_file():
        raise _fail(f"{base} is not a generated dataset (no truth.json)")
    truth = json.loads((base / "truth.json").read_text())
    continuation = truth.get("continuation")
    if not continuation:
        raise _fail(
            f"{base} was generated without --horizon, so nothing after its last day was simulated; generate it"
            " with a horizon longer than --days (e.g. --days 120 --horizon 150) to continue it"
        )
    manifest = _manifest(base)
    batches = delivered_batches(base)
    horizon = int(continuation["horizon_days"])
    last = batches[-1].delivery["day_numbers"][1] if batches else int(truth["days"])
    if last >= horizon:
        raise _fail(f"{base} is complete: every day of its {horizon}-day horizon has been delivered")
    if last + days > horizon:
        raise _fail(
            f"only {horizon - last} days are left in the {horizon}-day horizon of {base} (delivered through day"
            f" {last}); ask for at most {horizon - last}"
        )
    sc = load_scenario(continuation["scenario"])
    start = date.fromisoformat(truth["start_date"])
    expected = dataset_id(sc.name, int(truth["seed"]), int(truth["users"]), start, horizon)
    if expected != manifest.dataset:
        raise _fail(f"{base}: its scenario no longer simulates dataset {manifest.dataset} (got {expected})")
    from data_generation.writer import write_simulation

    began = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - began:6.1f}s] {message}", file=sys.stderr, flush=True)

    progress(f"{manifest.dataset}: days {last + 1}..{last + days} of {horizon}")
    sim = simulate_horizon(sc, int(truth["seed"]), int(truth["users"]), start, horizon, True, progress)
    cfg = sim.cfg
    hi = cfg.start_us + (last + days) * DAY if last + days < horizon else None
    cut = Cut(
        manifest.dataset, len(batches) + 1, start, last + 1, last + days, cfg.start_us + last * DAY, hi, cfg.end_us
    )
    out = base / BATCHES_DIR / cut.batch_id
    write_simulation(sim, out, progress, cut)
    return out
