"""Run every benchmark in turn and print their figures (`make bench`). Takes several minutes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ["bench_generate.py"],
    ["bench_load.py"],
    ["bench_import.py", "--build"],
    ["bench_dbt.py"],
    ["bench_batches.py"],
]

if __name__ == "__main__":
    failed = []
    for name, *args in BENCHMARKS:
        print(f"\n### {name} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(HERE / name), *args]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    sys.exit(1 if failed else 0)
