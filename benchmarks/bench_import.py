"""Importer speed: the full Send-a-Tree export (273 gzipped files, ~3 million lines) into DuckDB.

    .venv/bin/python benchmarks/bench_import.py [--mapping examples/send_a_tree/mapping.yml] [--target duckdb]

Prints the wall time of the whole import (read, parse, write, in one transaction), rows per second, the process'
CPU time, and read = loaded + rejected. The data is read from ../shared/datasets beside the repository.
Target on this 2-core machine: under 30 s into DuckDB. With --build it then runs the full `dbt build` on the
imported data with the mapping's dbt vars and prints its time (target: under 60 s on DuckDB).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench_dbt import print_slowest  # noqa: E402 - benchmarks/ is the script's folder, first on sys.path

from warehouse.connections import drop_pg_database, ensure_pg_database  # noqa: E402
from warehouse.importer import import_events  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mapping", default=str(REPO_ROOT / "examples" / "send_a_tree" / "mapping.yml"))
    parser.add_argument("--target", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--pg-database", default="growth_analytics_bench")
    parser.add_argument("--repeat", type=int, default=1, help="run the import this many times (best is shown)")
    parser.add_argument("--build", action="store_true", help="then time a full dbt build on the imported data")
    parser.add_argument("--slowest", type=int, default=8, help="with --build, list this many slowest dbt nodes")
    args = parser.parse_args()

    import pandas  # noqa: F401 - DuckDB's Arrow scan imports it; load it before the clock starts

    best = None
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        for run in range(1, args.repeat + 1):
            duckdb_path = Path(tmp) / f"import_{run}.duckdb"
            if args.target == "postgres":
                ensure_pg_database(args.pg_database, recreate=True)
            started, cpu = time.perf_counter(), time.process_time()
            summary = import_events(
                args.mapping, target=args.target, duckdb_path=duckdb_path, pg_database=args.pg_database, quiet=True
            )
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            size = f", file {duckdb_path.stat().st_size / 1e6:,.0f} MB" if args.target == "duckdb" else ""
            print(
                f"run {run}: {wall:.1f} s wall ({cpu:.1f} s CPU in this process{size}),"
                f" {summary.read / wall:,.0f} lines/s"
            )
            best = wall if best is None else min(best, wall)
        for line in summary.lines():
            print(line)
        print(f"full import into {args.target}: {best:.1f} s (target < 30 s), {summary.read / best:,.0f} lines/s")
        if args.build:
            from pipeline.dbt import run_dbt
            from warehouse.importer import read_mapping

            started = time.perf_counter()
            run_dbt(
                ["build"],
                target=args.target,
                vars=read_mapping(args.mapping)["dbt_vars"],
                duckdb_path=duckdb_path,
                pg_database=args.pg_database,
                target_path=Path(tmp) / "target",
                log_path=Path(tmp) / "logs",
                capture=True,
            )
            print(f"full dbt build on {args.target}: {time.perf_counter() - started:.1f} s (target < 60 s on DuckDB)")
            print_slowest(Path(tmp) / "target" / "run_results.json", args.slowest)
        if args.target == "postgres":
            drop_pg_database(args.pg_database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
