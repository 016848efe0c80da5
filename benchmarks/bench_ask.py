"""How long `ask` takes: the first answer (import MetricFlow, build its engine, read the dimension values) and the
answers after it (compile in-process + one warehouse query), against one `mf query` subprocess for comparison.

Runs on the warehouse `make run` built (DUCKDB_PATH, or DBT_TARGET=postgres) and its semantic manifest.
Not a test: it prints figures. Target (issue 16): an answer under 2 s after the first.

    python benchmarks/bench_ask.py                 # in-process figures
    python benchmarks/bench_ask.py --mf            # also time one `mf query` for the same question
    python benchmarks/bench_ask.py --today 2025-06-28
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUESTIONS = [
    "weekly active users by channel since March",
    "top 5 channels by revenue",
    "sign ups on ios last month vs previous period",
    "monthly recurring revenue by plan",
    "conversion rate by device in the last 90 days",
    "daily active users in the US last 30 days",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--today", help="YYYY-MM-DD (default ASK_TODAY or today)")
    parser.add_argument("--rounds", type=int, default=3, help="times each question is asked after the first answer")
    parser.add_argument("--mf", action="store_true", help="also time one `mf query` subprocess")
    args = parser.parse_args()

    started = time.perf_counter()
    from analytics.marts import Settings, Warehouse
    from ask.service import Asker, manifest_path, today_from_env

    imported = time.perf_counter()
    today = dt.date.fromisoformat(args.today) if args.today else today_from_env()
    settings = Settings.from_env()
    warehouse = Warehouse(Settings(**{**settings.__dict__, "cache_ttl_seconds": 0.0}))
    asker = Asker.from_files(manifest_path(), settings.adapter, warehouse.df)
    engine_built = time.perf_counter()
    _ = asker.vocabulary
    vocabulary_read = time.perf_counter()
    first = asker.answer(QUESTIONS[0], today)
    first_done = time.perf_counter()
    print(f"warehouse: {settings.describe()}  today: {today}")
    print(
        f"first answer: {first_done - started:.2f} s in all ({len(first.rows) if first.rows is not None else 0} rows)"
    )
    print(f"  import ask + MetricFlow  {imported - started:6.2f} s")
    print(f"  build MetricFlow engine  {engine_built - imported:6.2f} s")
    print(f"  read dimension values    {vocabulary_read - engine_built:6.2f} s")
    print(f"  parse, compile, run      {first_done - vocabulary_read:6.2f} s")
    times: dict[str, list[float]] = {q: [] for q in QUESTIONS}
    for _ in range(args.rounds):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            answer = asker.answer(q, today)
            times[q].append(time.perf_counter() - t0)
            if answer.interpretation is None:
                print(f"  (not answered: {q!r}: {answer.parsed.message})")
    print(f"answers after the first ({args.rounds} rounds, median / max):")
    for q, ts in times.items():
        print(f"  {statistics.median(ts):5.2f} / {max(ts):5.2f} s  {q}")
    every = [t for ts in times.values() for t in ts]
    print(f"all: median {statistics.median(every):.2f} s, max {max(every):.2f} s")
    if args.mf:
        interpretation = asker.interpret(QUESTIONS[0], today)[0]
        command = interpretation.mf_command().split(" ", 1)[1]
        mf = str(Path(sys.executable).parent / "mf")
        env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
        t0 = time.perf_counter()
        proc = subprocess.run(
            f"{mf} {command} --quiet",
            shell=True,
            cwd=Path(__file__).resolve().parent.parent / "dbt_project",
            env=env,
            capture_output=True,
            text=True,
        )
        print(f"one `mf query` subprocess: {time.perf_counter() - t0:.2f} s (exit {proc.returncode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
