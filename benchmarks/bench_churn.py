"""Churn step (python -m churn train): wall time and peak memory at the default scale and at 150k users (DuckDB).

For each scale: generate saas, load DuckDB, dbt run +churn_features (not timed), then time `python -m churn train`
in a child process and read its peak resident memory. Prints one line per scale. Not a test: it prints figures.

    python benchmarks/bench_churn.py                      # default (10k users) and 150k users, 365 days
    python benchmarks/bench_churn.py --users 10000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.dbt import REPO_ROOT, load_vars, run_dbt


def bench(users: int, days: int, work: Path) -> str:
    from data_generation import generate
    from warehouse.load import load

    data = generate(scenario="saas", seed=42, users=users, days=days, output=work / "data", quiet=True)
    db = work / "warehouse.duckdb"
    load(data, target="duckdb", duckdb_path=db)
    vars = load_vars(data / "dbt_vars.yml")
    run_dbt(["run", "--select", "+churn_features"], target="duckdb", vars=vars, duckdb_path=db, capture=True)
    child = (
        "import resource, sys, duckdb\n"
        "from churn.__main__ import main\n"
        f"conn = duckdb.connect({str(db)!r})\n"
        "rows = conn.execute('select count(*) from marts.churn_features').fetchone()[0]\n"
        "conn.close()\n"
        f"code = main(['train', '--data-dir', {str(data)!r}])\n"
        "print(f'ROWS {rows} PEAK_MB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}')\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "DUCKDB_PATH": str(db)}
    began = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", child], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"python -m churn train failed:\n{proc.stderr[-3000:]}")
    seconds = time.perf_counter() - began
    lines = proc.stdout.strip().splitlines()
    _, rows, _, peak = lines[-1].split()
    return (
        f"users {users:,}, days {days}: {int(rows):,} feature rows, python -m churn train {seconds:.1f}s "
        f"(incl. start-up), peak RSS {peak} MB; " + " | ".join(lines[:-1])
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", nargs="+", type=int, default=[10_000, 150_000])
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    for users in args.users:
        with tempfile.TemporaryDirectory(prefix="bench_churn_") as tmp:
            print(bench(users, args.days, Path(tmp)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
