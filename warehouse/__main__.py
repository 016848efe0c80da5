"""Command line: ``python -m warehouse {ddl,load,import,compare,spark-server}``.

Exit codes (settings.exit_codes): 0 done, 1 the warehouse failed (nothing changed), 2 bad input or configuration
(nothing written; also when another run holds the warehouse), 130 interrupted (nothing changed). ``compare`` exits
1 when the two warehouses' marts differ. ``load`` and ``import`` hold the warehouse's run lock (warehouse.lock).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from settings.exit_codes import run_main
from settings.paths import REPO_ROOT
from settings.targets import DEFAULT_TARGET, TARGET_NAMES

DDL_DIR = REPO_ROOT / "warehouse" / "ddl"


def _add_target_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=TARGET_NAMES,
        default=DEFAULT_TARGET,
        help="warehouse to write (spark: the SPARK_* settings, see README)",
    )
    parser.add_argument(
        "--duckdb-path", default=None, help="DuckDB file (default $DUCKDB_PATH or data/warehouse.duckdb)"
    )
    parser.add_argument(
        "--pg-database", default=None, help="PostgreSQL database (default $PGDATABASE or growth_analytics)"
    )
    parser.add_argument(
        "--recreate",
        action="store_true",
        help="drop and recreate the raw tables first (on PostgreSQL this drops the dbt views on them too)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = _non_negative(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text}")
    return int(value)


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m warehouse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    ddl = sub.add_parser(
        "ddl", help="write warehouse/ddl/raw_<dialect>.sql and the dbt sources YAML from warehouse/contract.py"
    )
    ddl.add_argument("--check", action="store_true", help="only check the files are up to date (exit 1 if not)")

    load = sub.add_parser("load", help="load a folder of <table>.parquet into schema raw")
    what = load.add_mutually_exclusive_group(required=True)
    what.add_argument("--input", help="folder with one <table>.parquet per raw table (replaces raw)")
    what.add_argument(
        "--append",
        metavar="BATCH_FOLDER",
        help="add the next batch of the loaded dataset (python -m data_generation --continue writes them);"
        " a batch already loaded adds nothing",
    )
    _add_target_args(load)

    imp = sub.add_parser("import", help="import your own event export described by a mapping YAML")
    imp.add_argument("--config", required=True, help="mapping YAML (see docs/importing.md)")
    imp.add_argument(
        "--append",
        action="store_true",
        help="add to what is in raw instead of replacing it (files and rows already there are not added again)",
    )
    imp.add_argument(
        "--chunk-lines",
        type=_positive_int,
        default=None,
        help="records held in memory at once (default $IMPORT_CHUNK_LINES or 500,000)",
    )
    imp.add_argument(
        "--memory-limit",
        default=None,
        help="memory limit of each DuckDB instance of the import, e.g. 512MB (default $IMPORT_MEMORY_LIMIT or 512MB)",
    )
    _add_target_args(imp)

    cmp = sub.add_parser("compare", help="compare two warehouses' marts: same tables, columns and rows (exit 1 if not)")
    cmp.add_argument("--left", required=True, help="duckdb:<file>, postgres:<database> or spark:<warehouse folder>")
    cmp.add_argument("--right", required=True, help="duckdb:<file>, postgres:<database> or spark:<warehouse folder>")
    cmp.add_argument("--schema", default="marts", help="schema to compare (default: marts)")
    cmp.add_argument("--table", action="append", dest="tables", help="compare only this table (repeatable)")
    cmp.add_argument("--rel-tol", type=_non_negative, help="relative tolerance for numbers (default 1e-9)")
    cmp.add_argument("--abs-tol", type=_non_negative, help="absolute tolerance floor (default 1e-12)")
    cmp.add_argument("--examples", type=_non_negative_int, default=3, help="differing rows shown per table and side")
    sub.add_parser(
        "spark-server",
        help="serve the Spark warehouse to BI clients over Thrift/JDBC on SPARK_THRIFT_HOST:SPARK_THRIFT_PORT",
    )
    return parser


def generated_files() -> dict[Path, str]:
    """Every file rendered from warehouse/contract.py, by path: the DDL per dialect and the dbt sources YAML."""
    from warehouse.contract import DDL_DIALECTS, render_ddl
    from warehouse.dbt_sources import SOURCES_FILE, render_sources

    files = {DDL_DIR / f"raw_{dialect}.sql": render_ddl(dialect) for dialect in DDL_DIALECTS}
    files[REPO_ROOT / SOURCES_FILE] = render_sources()
    return files


def _ddl(check: bool) -> int:
    stale = []
    for path, text in generated_files().items():
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    if stale:
        print(f"error: out of date, run `python -m warehouse ddl`: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


def _where(args: argparse.Namespace) -> str:
    from warehouse.connections import describe_warehouse

    return describe_warehouse(args.target, args.duckdb_path, args.pg_database)


def _load(args: argparse.Namespace) -> int:
    from warehouse.load import load, stderr_progress
    from warehouse.lock import warehouse_lock

    progress = (lambda _: None) if args.quiet else stderr_progress
    if args.append is not None:
        return _append(args, progress)
    with warehouse_lock(args.target, args.duckdb_path, args.pg_database, command="warehouse load"):
        counts = load(
            args.input,
            target=args.target,
            duckdb_path=args.duckdb_path,
            pg_database=args.pg_database,
            recreate=args.recreate,
            progress=progress,
        )
    width = max(len(name) for name in counts)
    for name, rows in counts.items():
        print(f"raw.{name:<{width}}  {rows:>12,}")
    print(f"loaded {sum(counts.values()):,} rows into {_where(args)}")
    return 0


def _append(args: argparse.Namespace, progress) -> int:  # a progress callable
    from warehouse.batches import append_batch
    from warehouse.lock import warehouse_lock

    if args.recreate:
        print("error: --recreate empties raw; it cannot go with --append", file=sys.stderr)
        return 2
    with warehouse_lock(args.target, args.duckdb_path, args.pg_database, command="warehouse load --append"):
        result = append_batch(
            args.append,
            target=args.target,
            duckdb_path=args.duckdb_path,
            pg_database=args.pg_database,
            progress=progress,
        )
    m = result.manifest
    days = f"{m.first_day} to {m.last_day}" if m.first_day else "no day range"
    if result.already_loaded:
        print(f"batch {m.batch_id} ({days}) is already loaded in {_where(args)}: nothing added")
        return 0
    width = max(len(name) for name in result.counts)
    for name, rows in result.counts.items():
        print(f"raw.{name:<{width}}  {rows:>12,}")
    print(f"appended batch {m.batch_id} ({days}): {sum(result.counts.values()):,} rows into {_where(args)}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from warehouse.importer import import_events
    from warehouse.lock import warehouse_lock

    with warehouse_lock(args.target, args.duckdb_path, args.pg_database, command="warehouse import"):
        summary = import_events(
            args.config,
            target=args.target,
            duckdb_path=args.duckdb_path,
            pg_database=args.pg_database,
            append=args.append,
            recreate=args.recreate,
            quiet=args.quiet,
            chunk_lines=args.chunk_lines,
            memory_limit=args.memory_limit,
        )
    for line in summary.lines():
        print(line)
    print(f"into {_where(args)}")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from warehouse.compare import DEFAULT_ABS_TOL, DEFAULT_REL_TOL, Tolerance, compare_specs

    tolerance = Tolerance(
        DEFAULT_REL_TOL if args.rel_tol is None else args.rel_tol,
        DEFAULT_ABS_TOL if args.abs_tol is None else args.abs_tol,
    )
    result = compare_specs(args.left, args.right, args.schema, tolerance, args.examples, args.tables)
    print(f"left:  {result.left}\nright: {result.right}")
    for table in result.tables:
        mark = "ok  " if table.equal else "DIFF"
        print(f"  {mark} {result.schema}.{table.table:<40} {table.left_rows:>12,} | {table.right_rows:>12,} rows")
    for difference in result.differences():
        print(difference)
    print(result.summary())
    return 0 if result.equal else 1


def _spark_server() -> int:
    from warehouse.spark.server import serve

    return serve()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    commands = {
        "ddl": lambda: _ddl(args.check),
        "load": lambda: _load(args),
        "compare": lambda: _compare(args),
        "spark-server": _spark_server,
    }
    return run_main(commands.get(args.command, lambda: _import(args)), interrupted="interrupted, nothing changed")


if __name__ == "__main__":
    sys.exit(main())
