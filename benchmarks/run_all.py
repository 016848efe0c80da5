"""Run every benchmark in turn and print their figures (`make bench`). Takes several minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_generate.py", "bench_load.py", "bench_import.py", "bench_dbt.py"]

if __name__ == "__main__":
    failed = []
    for name in BENCHMARKS:
        print(f"\n### {name}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name)]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    sys.exit(1 if failed else 0)
