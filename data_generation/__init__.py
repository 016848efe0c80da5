"""Seeded business simulator: writes the raw tables of ``warehouse.contract`` plus the planted truth.

``generate(scenario, seed, users, days, start_date, output)`` is the Python entry point; ``python -m data_generation``
the command line. Scenarios are YAML files in ``data_generation/scenarios/``.
"""

from __future__ import annotations

import re
import sys
import time
from datetime import date, datetime
from pathlib import Path

from data_generation.errors import GenerationError, ScenarioError
from data_generation.scenario import available_scenarios, load_scenario

__all__ = [
    "GenerationError",
    "ScenarioError",
    "available_scenarios",
    "continue_dataset",
    "default_output",
    "generate",
    "parse_start_date",
]

MAX_USERS = 100_000_000
MAX_DAYS = 36_500


def continue_dataset(base: str | Path, days: int, quiet: bool = True) -> Path:
    """Write the next ``days`` days of the dataset in ``base`` as a new batch folder; return it (see
    data_generation/batches.py)."""
    from data_generation.batches import continue_dataset as run

    return run(Path(base), _count("days", days, MAX_DAYS), quiet)


def default_output(scenario: str | Path) -> Path:
    return Path("data") / "generated" / Path(str(scenario)).stem


def parse_start_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise GenerationError(f"start date {value!r} is not a date in the form YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(text)
    except ValueError as exc:
        raise GenerationError(f"start date {value!r} is not a valid date: {exc}") from exc
    if parsed.year < 1971:
        raise GenerationError(f"start date {value!r} is before 1971")
    return parsed


def _count(name: str, value: object, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise GenerationError(f"{name} must be a whole number, got {value!r}")
    if value <= 0:
        raise GenerationError(f"{name} must be positive, got {value}")
    if value > maximum:
        raise GenerationError(f"{name} must be at most {maximum:,}, got {value:,}")
    return value


def generate(
    scenario: str | Path = "saas",
    seed: int = 42,
    users: int = 10_000,
    days: int = 365,
    start_date: date | str = "2025-01-01",
    output: str | Path | None = None,
    quiet: bool = True,
    horizon: int | None = None,
) -> Path:
    """Simulate ``scenario`` and write it to ``output`` (default ``data/generated/<scenario>``); return the folder.

    With ``horizon`` (days, at least ``days``) the business is simulated over that many days and only the first
    ``days`` days of arrivals are written: ``continue_dataset`` (data_generation/batches.py) then writes the
    following days as batches. ``users`` sign up over the whole horizon.

    Raises ``GenerationError`` (with a one-line message) on bad input; nothing is written then.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GenerationError(f"seed must be a whole number >= 0, got {seed!r}")
    users = _count("users", users, MAX_USERS)
    days = _count("days", days, MAX_DAYS)
    if horizon is not None:
        horizon = _count("horizon", horizon, MAX_DAYS)
        if horizon < days:
            raise GenerationError(f"horizon ({horizon} days) must be at least --days ({days})")
    start = parse_start_date(start_date)
    if (date.max - start).days < days:
        raise GenerationError(f"start date {start.isoformat()} plus {days:,} days runs past the year 9999")
    sc = load_scenario(scenario)
    out = Path(output) if output is not None else default_output(sc.name)
    # numpy and pyarrow load only once the input is known to be good (bad input fails fast)
    from data_generation.batches import base_cut, simulate_horizon
    from data_generation.writer import check_output, write_simulation

    check_output(out)
    began = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            print(f"[{time.perf_counter() - began:6.1f}s] {message}", file=sys.stderr, flush=True)

    span = f", horizon {horizon} days" if horizon is not None else ""
    progress(f"scenario {sc.name}: seed {seed}, {users:,} users, {days} days from {start.isoformat()}{span}")
    sim = simulate_horizon(sc, seed, users, start, days if horizon is None else horizon, horizon is not None, progress)
    cut, truth_extra = base_cut(sim, str(scenario), days, horizon)
    write_simulation(sim, out, progress, cut, truth_extra)
    return out
