"""Prove a change leaves every mart as it was: build one business with a git ref's models and with this checkout's,
then compare every table of schema marts (``python -m warehouse compare``). Exit 0 identical, 1 different, 2 bad use.

    .venv/bin/python scripts/marts_unchanged.py --ref main                  # the default business (make run) on DuckDB
    .venv/bin/python scripts/marts_unchanged.py --ref main --target postgres --users 1500 --days 150 --seed 7
    .venv/bin/python scripts/marts_unchanged.py --baseline duckdb:data/baseline.duckdb   # reuse a build of the ref

The ref is exported with ``git archive`` into a temporary folder (the repository and its worktrees are untouched) and
built with this checkout's virtual environment. Builds go to ``data/marts_unchanged/`` (DuckDB) or the PostgreSQL
databases ``<PGDATABASE or growth_analytics>_ref`` / ``_head``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for settings/

from settings.paths import DATA_DIR, REPO_ROOT
from settings.targets import DEFAULT_TARGET, TARGET_NAMES, get_target

WORK_DIR = DATA_DIR / "marts_unchanged"


def build(tree: Path, args: argparse.Namespace, name: str) -> str:
    """Build the business with the models of ``tree``; return the warehouse spec for the comparison."""
    env = dict(os.environ, DBT_SEND_ANONYMOUS_USAGE_STATS="False")
    target = get_target(args.target)
    if target.adapter == "duckdb":  # a file of our own
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        path = WORK_DIR / f"{name}.duckdb"
        path.unlink(missing_ok=True)
        location = str(path)
    else:  # a database (schema) named after the configured one
        location = f"{target.setting(target.location)}_{name}"
    env[target.location] = location
    spec = f"{target.adapter}:{location}"
    command = [sys.executable, "-m", "pipeline", "run", "--target", args.target, "--scenario", args.scenario]
    command += ["--seed", str(args.seed), "--users", str(args.users), "--days", str(args.days)]
    command += ["--skip-docs", "--quiet"]
    print(f"==> building {name} ({tree}) into {spec}", flush=True)
    subprocess.run(command, cwd=tree, env=env, check=True)
    return spec


def export_ref(ref: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=REPO_ROOT, capture_output=True, check=False)
    if archive.returncode != 0:
        raise SystemExit(f"error: git archive {ref}: {archive.stderr.decode().strip().splitlines()[0]}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--ref", help="git ref whose models give the expected marts (e.g. main)")
    source.add_argument("--baseline", help="an existing build of the expected marts (duckdb:<file>, postgres:<db>)")
    parser.add_argument("--target", choices=TARGET_NAMES, default=DEFAULT_TARGET)
    parser.add_argument("--scenario", default="saas")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rel-tol", default=None, help="passed to python -m warehouse compare (default 1e-9)")
    args = parser.parse_args(argv)
    try:
        if args.baseline:
            expected = args.baseline
        else:
            with tempfile.TemporaryDirectory(prefix="marts_ref_") as tmp:
                expected = build(export_ref(args.ref, Path(tmp)), args, "ref")
        actual = build(REPO_ROOT, args, "head")
    except subprocess.CalledProcessError as exc:
        print(f"error: build failed (exit {exc.returncode})", file=sys.stderr)
        return 2
    compare = [sys.executable, "-m", "warehouse", "compare", "--left", expected, "--right", actual]
    if args.rel_tol is not None:
        compare += ["--rel-tol", args.rel_tol]
    return subprocess.run(compare, cwd=REPO_ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
