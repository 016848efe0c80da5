"""Benchmark: new data in batches - generating a continuable dataset, continuing it by a day, appending the day.

    .venv/bin/python benchmarks/bench_batches.py [--users 135000] [--days 365] [--extra-days 30] [--postgres DB]

* base: ``generate(..., horizon=days + extra_days)``: the whole horizon is simulated, the first ``days`` written.
* continue: ``continue_dataset(base, 1)``: the same horizon simulated again, one day of arrivals written. Its cost
  is that of simulating the horizon (the design: one simulation, cut by arrival), not of the day it writes.
* load / append: the base loaded into DuckDB (and PostgreSQL with ``--postgres``), the batch appended, and the same
  batch appended again (refused by the ledger: nothing added, so it should take about as long as connecting).

Wall-clock and CPU seconds (all threads of this process; the databases' own CPU is not in it for PostgreSQL) per
step. The machine is shared: wall-clock figures vary with its load; CPU seconds are more stable.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def timed(step: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=135_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--extra-days", type=int, default=30, help="horizon beyond --days (default 30)")
    parser.add_argument("--postgres", default=None, help="also load into this PostgreSQL database (recreated)")
    args = parser.parse_args()

    from data_generation import continue_dataset, generate
    from warehouse.batches import append_batch
    from warehouse.load import load
    from warehouse.manifest import read_manifest

    rows: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench_batches_") as tmp:
        folder = Path(tmp) / "saas"
        horizon = args.days + args.extra_days
        base, wall, cpu = timed(
            lambda: generate(scenario="saas", seed=1, users=args.users, days=args.days, horizon=horizon, output=folder)
        )
        m = read_manifest(base)
        rows.append(("generate base (horizon)", f"{m.counts['events']:,} events, {horizon} days simulated", wall, cpu))
        batch, wall, cpu = timed(lambda: continue_dataset(base, 1))
        b = read_manifest(batch)
        d = b.delivery
        what = (
            f"{b.counts['events']:,} events ({d['late_events']:,} late, {d['late_5_days_or_more']:,} of them 5+ days;"
            f" {d['redelivered_events']:,} re-delivered), {b.rows:,} rows"
        )
        rows.append(("continue by 1 day", what, wall, cpu))
        targets: list[tuple[str, dict[str, Any]]] = [("duckdb", {"duckdb_path": Path(tmp) / "w.duckdb"})]
        if args.postgres:
            from warehouse.connections import ensure_pg_database

            ensure_pg_database(args.postgres, recreate=True)
            targets.append(("postgres", {"pg_database": args.postgres}))
        for target, where in targets:
            counts, wall, cpu = timed(lambda t=target, w=where: load(base, target=t, **w))
            rows.append((f"{target}: load base", f"{sum(counts.values()):,} rows", wall, cpu))
            result, wall, cpu = timed(lambda t=target, w=where: append_batch(batch, target=t, **w))
            rows.append((f"{target}: append the day", f"{sum(result.counts.values()):,} rows", wall, cpu))
            result, wall, cpu = timed(lambda t=target, w=where: append_batch(batch, target=t, **w))
            assert result.already_loaded
            rows.append((f"{target}: append it again", "nothing added (already loaded)", wall, cpu))
    print(f"users {args.users:,}, days {args.days} + {args.extra_days} in the horizon")
    print("| step | what | wall s | CPU s |\n|---|---|---|---|")
    for step, what, wall, cpu in rows:
        print(f"| {step} | {what} | {wall:.1f} | {cpu:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
