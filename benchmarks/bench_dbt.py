"""Full `dbt build` time at the default scale and at about 10 million events, on DuckDB and PostgreSQL.

Prints one line per (scale, warehouse): events in raw, build seconds. Not a test: it prints figures.
Target (issue 3): the ~10-million-event warehouse builds in under 2 minutes on DuckDB on a 2-core machine.

    python benchmarks/bench_dbt.py                     # default scale and ~10M events, both warehouses
    python benchmarks/bench_dbt.py --scales default    # only the default scale
    python benchmarks/bench_dbt.py --targets duckdb
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.dbt import load_vars, run_dbt
from settings.targets import TARGET_NAMES
from warehouse.connections import ensure_pg_database

# users -> events: the saas scenario gives roughly 50-90 events per user over a year.
SCALES = {"default": 10_000, "10m": 150_000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", nargs="+", choices=sorted(SCALES), default=["default", "10m"])
    parser.add_argument("--targets", nargs="+", choices=TARGET_NAMES, default=list(TARGET_NAMES))
    parser.add_argument("--slowest", type=int, default=8, help="list this many slowest models and tests per build")
    parser.add_argument("--users-10m", type=int, default=SCALES["10m"], help="users for the ~10M-event scale")
    args = parser.parse_args()
    SCALES["10m"] = args.users_10m

    from data_generation import generate
    from warehouse.load import load

    with tempfile.TemporaryDirectory(prefix="bench_dbt_") as tmp_name:
        tmp = Path(tmp_name)
        for scale in args.scales:
            users = SCALES[scale]
            out = generate(
                scenario="saas",
                seed=42,
                users=users,
                days=365,
                start_date=date(2025, 1, 1),
                output=tmp / f"gen_{scale}",
                quiet=True,
            )
            vars = load_vars(out / "dbt_vars.yml")
            for target in args.targets:
                if target == "duckdb":
                    kwargs: dict = {"duckdb_path": tmp / f"{scale}.duckdb"}
                else:
                    kwargs = {"pg_database": "growth_bench"}
                    ensure_pg_database("growth_bench", recreate=True)
                counts = load(out, target=target, **kwargs)
                start = time.perf_counter()
                run_dbt(
                    ["build"],
                    target=target,
                    vars=vars,
                    target_path=tmp / "target",
                    log_path=tmp / "logs",
                    capture=True,
                    **kwargs,
                )
                seconds = time.perf_counter() - start
                print(
                    f"dbt build  scale={scale:<8} users={users:>8,} raw_events={counts['events']:>11,}"
                    f"  target={target:<8} {seconds:7.1f} s",
                    flush=True,
                )
                print_slowest(tmp / "target" / "run_results.json", args.slowest)
    return 0


def print_slowest(run_results: Path, count: int) -> None:
    """The nodes that took longest (dbt's own timing), so a slow build says where its time went."""
    if count <= 0 or not run_results.is_file():
        return
    results = json.loads(run_results.read_text())["results"]
    results.sort(key=lambda r: r.get("execution_time") or 0, reverse=True)
    for r in results[:count]:
        print(f"    {r['execution_time']:6.1f} s  {r['unique_id']}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
