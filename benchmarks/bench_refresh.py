"""A day's incremental refresh against a full build, on DuckDB and PostgreSQL (issue 11).

For each scale: simulate a business over ``--days`` + a few days (``--horizon``), write the first ``--days`` days,
load them and run a full ``dbt build``; then continue the business by ``--refresh-days`` day(s)
(``python -m data_generation --continue``), append the batch and run the incremental ``dbt build`` with its data
tests restricted to the new rows (what ``make refresh`` does, without docs). Prints one line per (scale, warehouse):
events, generate / load / full build seconds, append / incremental build seconds, the ratio refresh / full build,
peak memory of the dbt processes and the DuckDB file size. Not a test: it prints figures for docs/performance.md.

    python benchmarks/bench_refresh.py --users 150000                  # ~10 M events, both warehouses
    python benchmarks/bench_refresh.py --users 20000 --targets duckdb  # a quick look
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.dbt import load_vars, run_dbt
from warehouse.connections import drop_pg_database, ensure_pg_database


def _timed(body):
    start = time.perf_counter()
    result = body()
    return result, time.perf_counter() - start


def _peak_child_gib() -> float:
    """Largest resident set of any finished child process so far (dbt runs in children), GiB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024


def _one(target: str, where: dict, sql: str):
    if target == "duckdb":
        import duckdb

        with duckdb.connect(str(where["duckdb_path"]), read_only=True) as conn:
            return conn.execute(sql).fetchone()[0]
    from warehouse.connections import connect_postgres

    with connect_postgres(where["pg_database"], create=False) as conn:
        return conn.execute(sql).fetchone()[0]


def _events(target: str, where: dict) -> int:
    return int(_one(target, where, "select count(*) from marts.fct_events"))


def bench(users: int, days: int, refresh_days: int, targets: list[str], tmp: Path) -> list[str]:
    from data_generation import continue_dataset, generate
    from warehouse.batches import append_batch
    from warehouse.load import load

    out, gen_s = _timed(
        lambda: generate(
            scenario="saas",
            seed=42,
            users=users,
            days=days,
            start_date=date(2025, 1, 1),
            output=tmp / f"gen_{users}",
            quiet=True,
            horizon=days + 7 * refresh_days,
        )
    )
    batch, cont_s = _timed(lambda: continue_dataset(out, refresh_days, quiet=True))
    vars = load_vars(out / "dbt_vars.yml")
    lines = []
    for target in targets:
        where: dict = {"duckdb_path": tmp / f"{users}.duckdb"} if target == "duckdb" else {"pg_database": "gat_bench"}
        if target == "postgres":
            ensure_pg_database(where["pg_database"], recreate=True)
        logs = {"target_path": tmp / f"target_{target}", "log_path": tmp / f"logs_{target}"}
        _, load_s = _timed(lambda: load(out, target=target, **where))  # noqa: B023 - called at once
        _, full_s = _timed(lambda: run_dbt(["build"], target=target, vars=vars, capture=True, **where, **logs))  # noqa: B023
        full_peak = _peak_child_gib()
        events = _events(target, where)
        watermark = _one(target, where, "select max(loaded_at) from raw.events")
        since = {"data_tests_loaded_since": f"{watermark:%Y-%m-%d %H:%M:%S.%f}"}
        _, append_s = _timed(lambda: append_batch(batch, target=target, **where))  # noqa: B023
        _, incr_s = _timed(
            lambda: run_dbt(["build"], target=target, vars={**vars, **since}, capture=True, **where, **logs)  # noqa: B023
        )
        added = _events(target, where) - events
        size = where["duckdb_path"].stat().st_size / 2**30 if target == "duckdb" else float("nan")
        refresh_s = append_s + incr_s
        lines.append(
            f"{target:8} users {users:>9,} events {events:>12,} (+{added:,}) | generate {gen_s:7.1f}s"
            f" continue {cont_s:6.1f}s | load {load_s:7.1f}s full build {full_s:7.1f}s | append {append_s:6.1f}s"
            f" incremental build {incr_s:7.1f}s | refresh/full {refresh_s / full_s:6.1%} | peak dbt RSS"
            f" {full_peak:5.2f} GiB | file {size:5.2f} GiB"
        )
        print(lines[-1], flush=True)
        if target == "postgres":
            drop_pg_database(where["pg_database"])
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[150_000], help="users per scale (~65 events each)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--refresh-days", type=int, default=1)
    parser.add_argument("--targets", nargs="+", choices=["duckdb", "postgres"], default=["duckdb", "postgres"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_refresh_") as tmp_name:
        for users in args.users:
            bench(users, args.days, args.refresh_days, args.targets, Path(tmp_name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
