"""Benchmark: events generated and written per second by the simulator, against a naive per-row baseline.

    .venv/bin/python benchmarks/bench_generate.py [--users 135000] [--days 365] [--naive-users 1200] [--repeat 3]

* fast: ``data_generation.generate`` (saas scenario) at ~10 million events, after a small warm-up run in the same
  process (so one-time imports are not counted). Reports wall-clock events/s (rows written to events.parquet,
  duplicates included) and the process CPU time (threads: generation, and one parquet writer per big file). The
  median of `--repeat` runs is reported, with every run's time.
* naive: the usual way such generators are written - a Python loop over users, days, sessions and events calling
  Faker for each row's ids, choices and timestamps, one dict per row, then ``pandas.DataFrame.to_sql`` into
  SQLite - at a small scale (~90,000 events, long enough to time steadily).

The machine is shared: wall-clock figures vary with its load; CPU seconds are more stable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def run_fast(users: int, days: int, folder: Path, repeat: int = 3) -> dict[str, float]:
    """The median run (by wall time) of ``repeat`` runs after a warm-up; every run's wall time in ``walls``."""
    from data_generation import generate

    generate(scenario="saas", seed=1, users=500, days=30, output=folder / "warmup")  # imports, Faker, caches
    runs = sorted((_fast_once(generate, users, days, folder) for _ in range(repeat)), key=lambda r: r["wall"])
    median = runs[len(runs) // 2]
    median["walls"] = [r["wall"] for r in runs]
    return median


def _fast_once(generate, users: int, days: int, folder: Path) -> dict[str, float]:
    wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
    out = generate(scenario="saas", seed=42, users=users, days=days, output=folder / "saas")
    wall, cpu, main = time.perf_counter() - wall, time.process_time() - cpu, time.thread_time() - main
    counts = json.loads((out / "truth.json").read_text())["counts"]
    size = sum(p.stat().st_size for p in out.iterdir())
    return {
        "events": counts["events"],
        "sessions": counts["sessions"],
        "wall": wall,
        "cpu": cpu,
        "main_cpu": main,  # generation thread; the rest of ``cpu`` is the parquet writer thread
        "bytes": size,
    }


def run_naive(users: int, days: int, folder: Path) -> dict[str, float]:
    """The usual hand-written generator: a Python loop over users, days, sessions and events, Faker for the
    human-looking and random fields of each row, one dict per row, then pandas ``to_sql`` into SQLite."""
    import pandas as pd
    from faker import Faker

    fake = Faker()
    Faker.seed(42)
    random.seed(42)
    start = datetime(2025, 1, 1)
    end = start + timedelta(days=days)
    names = ["login", "page_view", "feature_used", "search"]
    devices = ["web", "ios", "android"]
    wall, cpu = time.perf_counter(), time.process_time()
    user_rows, session_rows, event_rows = [], [], []
    for i in range(users):
        user_id = f"u_{i:06d}"
        created = fake.date_time_between_dates(start, end)
        device = fake.random_element(devices)
        user_rows.append(
            {
                "user_id": user_id,
                "created_at": created,
                "email": fake.email(),
                "acquisition_channel": fake.random_element(["organic", "paid_search", "paid_social", "referral"]),
                "device": device,
                "country": fake.country_code(),
                "segment": fake.random_element(["smb", "mid_market", "enterprise"]),
                "properties": json.dumps({"company": fake.company()}),
                "loaded_at": created + timedelta(seconds=random.randrange(1, 60)),
            }
        )
        lifetime = int(random.expovariate(1 / 60))
        day = created
        while day < end and (day - created).days <= lifetime:
            for _ in range(random.choices([0, 1, 2], [0.65, 0.3, 0.05])[0]):
                session_id = fake.uuid4()
                at = fake.date_time_between_dates(day, day + timedelta(days=1))
                session_device = device if random.random() < 0.85 else fake.random_element(devices)
                session_rows.append(
                    {"session_id": session_id, "user_id": user_id, "started_at": at, "device": session_device}
                )
                for k in range(1 + int(random.expovariate(1 / 2.8))):
                    at = at + timedelta(seconds=random.expovariate(1 / 70))
                    name = "login" if k == 0 else fake.random_element(names)
                    event_rows.append(
                        {
                            "event_id": fake.uuid4(),
                            "user_id": user_id,
                            "session_id": session_id,
                            "event_name": name,
                            "occurred_at": at,
                            "device": session_device,
                            "amount": None,
                            "properties": json.dumps({"feature": fake.word()} if name == "feature_used" else {}),
                            "loaded_at": at + timedelta(seconds=random.randrange(1, 120)),
                        }
                    )
            day += timedelta(days=1)
    with sqlite3.connect(folder / "naive.sqlite") as conn:
        for table, rows in (("users", user_rows), ("sessions", session_rows), ("events", event_rows)):
            pd.DataFrame(rows).to_sql(table, conn, index=False, if_exists="replace")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"events": len(event_rows), "sessions": len(session_rows), "wall": wall, "cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=135_000, help="users for the fast run (~10 million events)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--naive-users", type=int, default=1200, help="users for the naive baseline")
    parser.add_argument("--repeat", type=int, default=3, help="fast runs; the median is reported")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_generate_") as tmp:
        folder = Path(tmp)
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        fast = run_fast(args.users, args.days, folder, args.repeat)
        fast_rate = fast["events"] / fast["wall"]
        print(
            f"fast : saas, {args.users:,} users x {args.days} days -> {fast['events']:,} events"
            f" + {fast['sessions']:,} sessions (+ users, subscriptions, ...), {fast['bytes'] / 1e6:.0f} MB parquet"
        )
        print(
            f"       {fast['wall']:.1f} s wall (median; runs {', '.join(f'{w:.1f}' for w in fast['walls'])} s),"
            f" {fast['cpu']:.1f} s CPU -> {fast_rate:,.0f} events/s generated+written"
            f" ({fast['events'] / fast['cpu']:,.0f} events per CPU-second)"
        )
        writer = fast["cpu"] - fast["main_cpu"]
        critical = max(fast["main_cpu"], writer)
        print(
            f"       CPU by thread: generation {fast['main_cpu']:.1f} s, parquet writers {writer:.1f} s; on two"
            f" otherwise idle cores the longer one bounds the wall time: ~{fast['events'] / critical:,.0f} events/s"
        )
        naive = run_naive(args.naive_users, args.days, folder)
        naive_rate = naive["events"] / naive["wall"]
        print(
            f"naive: per-row Faker/python dicts + pandas to_sql (SQLite), {args.naive_users} users ->"
            f" {naive['events']:,} events in {naive['wall']:.1f} s wall ({naive['cpu']:.1f} s CPU)"
            f" -> {naive_rate:,.0f} events/s"
        )
        print(
            f"speed-up: {fast_rate / naive_rate:,.0f}x wall-clock,"
            f" {(fast['events'] / fast['cpu']) / (naive['events'] / naive['cpu']):,.0f}x per CPU-second"
        )
        print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
