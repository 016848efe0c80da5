"""`python -m pipeline run`: generate (or import) -> load -> dbt build -> churn model -> dbt docs; DuckDB or PostgreSQL.
`python -m pipeline refresh`: the daily cycle on that warehouse (pipeline/refresh.py).

This is what `make run` and `make refresh` call. Each stage prints what it did; a failing stage stops the run with its
error as one line and the exit code of settings.exit_codes (2: the user's input or settings, 1: a failure of the
system, 130: interrupted). A run holds its warehouse's lock (warehouse.lock) from start to end, and the folder of
the generated data while it writes and loads it.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.dbt import dbt_env, load_vars, run_dbt
from settings.dbt_vars import declared_vars
from settings.exit_codes import run_main
from settings.paths import DATA_DIR, DOCS_SITE, GENERATED_DIR
from settings.targets import DEFAULT_TARGET, TARGET_NAMES, get_target
from warehouse.connections import check_duckdb_file
from warehouse.errors import InputError
from warehouse.lock import folder_lock, warehouse_lock


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="generate or import, load, dbt build, dbt docs")
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--scenario",
        default="saas",
        help="simulated business: a shipped name (default: saas) or a scenario .yaml file (its data goes to"
        " data/generated/<file name without .yaml>)",
    )
    source.add_argument("--data", type=Path, help="a mapping file of your own event data (see docs/importing.md)")
    run.add_argument(
        "--target", choices=TARGET_NAMES, default=DEFAULT_TARGET, help=f"warehouse (default: {DEFAULT_TARGET})"
    )
    run.add_argument("--seed", type=int, default=42)
    run.add_argument("--users", type=_positive_int, default=10_000)
    run.add_argument("--days", type=_positive_int, default=365)
    run.add_argument("--start-date", type=_iso_date, default=date(2025, 1, 1))
    run.add_argument(
        "--horizon",
        type=_positive_int,
        help="simulate this many days and write the first --days, so that `refresh` can continue the business",
    )
    run.add_argument("--skip-docs", action="store_true", help="do not generate the dbt docs site")
    run.add_argument("--quiet", action="store_true")
    refresh = sub.add_parser("refresh", help="append the next day(s) or new import files, incremental dbt build, docs")
    fresh_source = refresh.add_mutually_exclusive_group()
    fresh_source.add_argument("--scenario", default="saas", help="the generated scenario to continue (default: saas)")
    fresh_source.add_argument("--data", type=Path, help="the mapping file of an import: imports its new files")
    refresh.add_argument(
        "--target", choices=("duckdb", "postgres"), default="duckdb", help="warehouse (default: duckdb)"
    )
    refresh.add_argument("--days", type=_positive_int, default=1, help="days to continue the simulation (default: 1)")
    refresh.add_argument("--skip-docs", action="store_true", help="do not regenerate the dbt docs site")
    refresh.add_argument("--quiet", action="store_true")
    docs = sub.add_parser("docs", help="generate the static dbt docs site into data/docs/index.html")
    docs.add_argument("--target", choices=TARGET_NAMES, default=DEFAULT_TARGET)
    docs.add_argument("--vars-file", type=Path, help="dbt vars (YAML) of the dataset in the warehouse")
    return parser


def _stage(name: str) -> float:
    print(f"==> {name}", flush=True)
    return time.perf_counter()


def _done(start: float, detail: str = "") -> None:
    print(f"    done in {time.perf_counter() - start:.1f}s{(' — ' + detail) if detail else ''}", flush=True)


def build_docs(target: str, vars: dict[str, Any]) -> Path:
    """The static dbt docs site (one offline HTML file) at data/docs/index.html."""
    from pipeline.docs_site import build_docs_site

    return build_docs_site(target, DOCS_SITE, vars=vars)


def generated_folder(scenario: str) -> Path:
    """Where a run writes a scenario's data: ``data/generated/<name>``, the name of a scenario file without .yaml."""
    name = Path(scenario).stem if Path(scenario).suffix in (".yaml", ".yml") else scenario
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        raise InputError(f"scenario {scenario!r}: expected a scenario name or a path to a scenario .yaml file")
    return GENERATED_DIR / name


def run(args: argparse.Namespace) -> int:
    out = None if args.data else generated_folder(args.scenario)
    if get_target(args.target).adapter == "duckdb":
        check_duckdb_file(None)  # before any work: refuses a data file's name or a folder that cannot be made
    with warehouse_lock(args.target, command="pipeline run"):
        return _run(args, out)


def train_churn(target: str, data_dir: Path | None, vars: dict[str, Any], seed: int) -> bool:
    """Train the churn model on the marts and write schema ml; with too little history it says so, writes none.
    False when the target has no churn step (Spark: the ml tables stay empty)."""
    from churn.step import TARGETS as CHURN_TARGETS
    from churn.step import train_step

    if target not in CHURN_TARGETS:
        print(f"    churn model: not available on {target} (python -m churn reads DuckDB and PostgreSQL); skipped")
        return False
    window = int(vars.get("churn_window_days", declared_vars()["churn_window_days"]))
    train_step(target, data_dir=data_dir, window_days=window, seed=seed, log=lambda line: print(f"    {line}"))
    return True


def _run(args: argparse.Namespace, out: Path | None) -> int:
    DATA_DIR.mkdir(exist_ok=True)
    env = dbt_env(args.target)
    target = get_target(args.target)
    print(f"Warehouse: {args.target} ({target.describe(env)})")
    if args.data:
        from warehouse.importer import import_events, read_mapping

        mapping = read_mapping(args.data)  # read once: its dbt vars here, the rest by the import
        vars = dict(mapping.dbt_vars)
        t = _stage(f"Importing your events with {args.data}")
        result = import_events(mapping, target=args.target, quiet=args.quiet)
        _done(t, str(result) if result is not None else "")
    else:
        from data_generation import generate
        from warehouse.load import load

        assert out is not None
        # Runs on other warehouses may generate the same scenario: one writes and loads the folder at a time.
        with folder_lock(out, command="pipeline run"):
            t = _stage(
                f"Generating scenario {args.scenario!r} ({args.users} users, {args.days} days, seed {args.seed})"
            )
            generate(
                scenario=args.scenario,
                seed=args.seed,
                users=args.users,
                days=args.days,
                start_date=args.start_date,
                output=out,
                quiet=args.quiet,
                horizon=args.horizon,
            )
            _done(t, str(out))
            t = _stage(f"Loading into {args.target}")
            counts = load(out, target=args.target)
            _done(t, ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            vars = load_vars(out / "dbt_vars.yml")
    t = _stage("dbt build")
    # Spark rebuilds its incremental models whole (docs/decisions.md, Apache Spark): the run replaced raw anyway.
    build = ["build", "--full-refresh"] if args.target == "spark" else ["build"]
    run_dbt(build, target=args.target, vars=vars, capture=args.quiet)  # quiet: dbt's log only on failure
    _done(t)
    t = _stage("Churn model (python -m churn train)")
    if train_churn(args.target, None if args.data else out, vars, args.seed):
        run_dbt(["build", "--select", "source:ml+"], target=args.target, vars=vars, capture=True)
    _done(t)
    docs_path = None
    if not args.skip_docs:
        t = _stage("dbt docs")
        docs_path = build_docs(args.target, vars)
        _done(t, str(docs_path))
    print()
    dataset = f"your events ({args.data})" if args.data else f"scenario {args.scenario}"
    print(f"Ready: {dataset} is built. Each run replaces what the warehouse held.")
    if target.adapter == "spark":
        from warehouse.spark.session import spark_settings

        print(f"  Warehouse:  Spark tables under {spark_settings().warehouse_dir} (schema marts)")
        print("  BI access:  make spark-server   then jdbc:hive2://127.0.0.1:10000/marts")
    else:
        print(f"  Warehouse:  {target.describe(env)}  (schemas raw, staging, intermediate, marts)")
    if docs_path:
        print(f"  dbt docs:   file://{docs_path}  (opens offline)")
    on_target = "" if args.target == DEFAULT_TARGET else f" TARGET={args.target}"
    if target.has_dashboard:  # the dashboard and the report read DuckDB or PostgreSQL
        print(f"  Dashboard:  make dashboard{on_target}   then open http://localhost:8501")
        print(f"  Report:     make report{on_target}      writes reports/weekly_growth.html")
    docs_vars = f" DATA={args.data}" if args.data else (f" SCENARIO={args.scenario}" if args.scenario != "saas" else "")
    print(f"  Docs again: make docs{on_target}{docs_vars}")
    return 0


def docs(args: argparse.Namespace) -> int:
    vars = load_vars(args.vars_file)
    with warehouse_lock(args.target, command="pipeline docs"):
        path = build_docs(args.target, vars)
    print(f"dbt docs: file://{path}")
    return 0


def refresh(args: argparse.Namespace) -> int:
    from pipeline.refresh import refresh as refresh_cycle

    generated = None if args.data else generated_folder(args.scenario)
    if args.target == "duckdb":
        check_duckdb_file(None)
    with warehouse_lock(args.target, command="pipeline refresh"):
        return refresh_cycle(args, generated, build_docs)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {"run": run, "refresh": refresh, "docs": docs}
    # One line and the convention's exit code for every known error (settings.exit_codes); Ctrl-C exits 130.
    return run_main(
        lambda: commands[args.command](args),
        interrupted="interrupted; the warehouse keeps what it held before the step that was stopped",
    )


if __name__ == "__main__":
    sys.exit(main())
