"""Streaming: the importer's peak memory does not grow with the size of its input.

Two HeyMax-format files, one eight times the other and both many times the chunk size, are imported by
``python -m warehouse import`` in a subprocess each; the subprocess' peak resident memory (``wait4``) must be about
the same. An importer holding the whole input would need some 0.6 GB more per million lines (issue 17); the margin
here is generous, and no time is measured.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from settings.paths import REPO_ROOT

CHUNK_LINES = 10_000
SMALL, BIG = 50_000, 400_000


def _write_heymax_csv(path: Path, lines: int) -> None:
    spec = importlib.util.spec_from_file_location("heymax_data", REPO_ROOT / "benchmarks" / "heymax_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_heymax_csv(path, lines)


def _peak_mb(tmp: Path, lines: int) -> float:
    """Import a generated file of ``lines`` lines in a subprocess; its peak RSS in MB."""
    folder = tmp / f"in_{lines}"
    folder.mkdir()
    _write_heymax_csv(folder / "events.csv", lines)
    text = (REPO_ROOT / "examples" / "heymax" / "mapping.yml").read_text().splitlines()
    (folder / "mapping.yml").write_text(
        "\n".join("  path: events.csv" if line.strip().startswith("path:") else line for line in text) + "\n"
    )
    cmd = [sys.executable, "-m", "warehouse", "import", "--config", str(folder / "mapping.yml"), "--quiet"]
    cmd += ["--duckdb-path", str(tmp / f"w_{lines}.duckdb"), "--chunk-lines", str(CHUNK_LINES)]
    cmd += ["--memory-limit", "128MB"]
    out_path, err_path = tmp / f"out_{lines}.txt", tmp / f"err_{lines}.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, err_path.read_text()
    assert f"read {lines:,} = loaded {lines:,} + rejected 0" in out_path.read_text()
    return usage.ru_maxrss / 1024


def test_peak_memory_does_not_grow_with_the_input(tmp_path):
    small = _peak_mb(tmp_path, SMALL)
    big = _peak_mb(tmp_path, BIG)
    assert big < small + 150, f"peak {big:.0f} MB for {BIG:,} lines vs {small:.0f} MB for {SMALL:,}"
    assert big < 800, f"peak {big:.0f} MB"
