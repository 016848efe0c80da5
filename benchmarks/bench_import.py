"""Importer speed and memory: a team's history in HeyMax's CSV format at 1 M, 10 M and 100 M lines, and the full
Send-a-Tree export.

    .venv/bin/python benchmarks/bench_import.py --heymax 1m,10m [--target duckdb|postgres] [--chunk-lines N]
    .venv/bin/python benchmarks/bench_import.py [--mapping examples/send_a_tree/mapping.yml] [--build]

``--heymax`` generates (once, cached under data/bench_import/) a deterministic CSV with the columns and value
shapes of ../shared/datasets/heymax/event_stream.csv: 180 days, up to 300,000 users (one per 33 lines), the same
event mix, categories, amounts, platforms, and a channel and country fixed per user. Each import runs in a
subprocess of its own (``python -m warehouse import``): the script prints its wall time, lines per second, and
the subprocess' CPU time and peak resident memory (``wait4``), with the load average at the start. Targets
(issue 17; not tests): at least 700k lines/s on DuckDB at 10 M, peak memory under 1.5 GB at 10 M and 100 M, time
linear in lines.

Without ``--heymax`` it imports the full Send-a-Tree export (273 gzipped files, ~3 million lines) in-process, as
before; with ``--build`` it then runs the full ``dbt build`` on it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench_dbt import print_slowest  # noqa: E402 - benchmarks/ is the script's folder, first on sys.path
from heymax_data import write_heymax_csv  # noqa: E402

from settings.targets import DEFAULT_TARGET, TARGET_NAMES  # noqa: E402
from warehouse.connections import drop_pg_database, ensure_pg_database  # noqa: E402

CACHE = REPO_ROOT / "data" / "bench_import"
SIZES = {"1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}


def heymax_input(lines: int) -> Path:
    """The cached generated file of ``lines`` lines and a mapping for it (the example's, pointed at it)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    csv_path = CACHE / f"heymax_{lines}.csv"
    if not csv_path.exists():
        started = time.perf_counter()
        write_heymax_csv(csv_path, lines)
        print(
            f"generated {csv_path} ({csv_path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - started:.1f} s"
        )
    mapping = CACHE / f"heymax_{lines}.yml"
    text = (REPO_ROOT / "examples" / "heymax" / "mapping.yml").read_text()
    lines_out = [f"  path: {csv_path.name}" if line.strip().startswith("path:") else line for line in text.splitlines()]
    mapping.write_text("\n".join(lines_out) + "\n")
    return mapping


def run_import(mapping: Path, target: str, duckdb_path: Path, pg_database: str, chunk_lines: int | None) -> tuple:
    """Import in a subprocess; (wall seconds, CPU seconds, peak RSS in MB, its stdout)."""
    cmd = [sys.executable, "-m", "warehouse", "import", "--config", str(mapping), "--target", target, "--quiet"]
    cmd += ["--duckdb-path", str(duckdb_path), "--pg-database", pg_database]
    if chunk_lines:
        cmd += ["--chunk-lines", str(chunk_lines)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"import failed (exit {proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def bench_heymax(sizes: list[str], target: str, pg_database: str, chunk_lines: int | None) -> None:
    print(f"{'lines':>12} {'wall s':>8} {'lines/s':>10} {'CPU s':>8} {'peak MB':>8}  load average at start")
    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        for size in sizes:
            lines = SIZES[size]
            mapping = heymax_input(lines)
            if target == "postgres":
                ensure_pg_database(pg_database, recreate=True)
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            wall, cpu, peak, out = run_import(mapping, target, Path(tmp) / "bench.duckdb", pg_database, chunk_lines)
            assert f"read {lines:,} = loaded {lines:,}" in out, out
            print(f"{lines:>12,} {wall:>8.1f} {lines / wall:>10,.0f} {cpu:>8.1f} {peak:>8,.0f}  {load}", flush=True)
            (Path(tmp) / "bench.duckdb").unlink(missing_ok=True)
    if target == "postgres":
        drop_pg_database(pg_database)
    print("targets: >= 700k lines/s on DuckDB at 10 M; peak < 1,536 MB at 10 M and 100 M; time linear in lines")
    print("CPU s: the import's own CPU time (all threads); on a loaded machine it is the steadier figure")


def bench_mapping(args: argparse.Namespace) -> None:
    import pandas  # noqa: F401 - DuckDB's Arrow scan imports it; load it before the clock starts

    from warehouse.importer import import_events, read_mapping

    with tempfile.TemporaryDirectory(prefix="bench_import_") as tmp:
        duckdb_path = Path(tmp) / "import.duckdb"
        if args.target == "postgres":
            ensure_pg_database(args.pg_database, recreate=True)
        started, cpu = time.perf_counter(), time.process_time()
        summary = import_events(
            args.mapping, target=args.target, duckdb_path=duckdb_path, pg_database=args.pg_database, quiet=True
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        for line in summary.lines():
            print(line)
        print(f"full import into {args.target}: {wall:.1f} s (target < 30 s), {summary.read / wall:,.0f} lines/s")
        if args.build:
            from pipeline.dbt import run_dbt

            started = time.perf_counter()
            run_dbt(
                ["build"],
                target=args.target,
                vars=read_mapping(args.mapping).dbt_vars,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heymax", help="generated HeyMax-format sizes, comma-separated: 1m, 10m, 100m")
    parser.add_argument("--chunk-lines", type=int, default=None, help="the importer's chunk size (default its own)")
    parser.add_argument("--mapping", default=str(REPO_ROOT / "examples" / "send_a_tree" / "mapping.yml"))
    parser.add_argument("--target", choices=TARGET_NAMES, default=DEFAULT_TARGET)
    parser.add_argument("--pg-database", default="growth_analytics_bench")
    parser.add_argument("--build", action="store_true", help="then time a full dbt build on the imported data")
    parser.add_argument("--slowest", type=int, default=8, help="with --build, list this many slowest dbt nodes")
    args = parser.parse_args()
    if args.heymax:
        sizes = [s.strip().lower() for s in args.heymax.split(",")]
        unknown = [s for s in sizes if s not in SIZES]
        if unknown:
            parser.error(f"unknown size {unknown[0]!r} (one of {', '.join(SIZES)})")
        bench_heymax(sizes, args.target, args.pg_database, args.chunk_lines)
    else:
        bench_mapping(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
