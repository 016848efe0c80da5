"""`python -m report [--output reports/weekly_growth.html] [--week YYYY-MM-DD]`: write the weekly growth report.

Reads the warehouse the dashboard reads: DuckDB (``DUCKDB_PATH``) or, with ``DASHBOARD_WAREHOUSE=postgres``,
PostgreSQL as the reporting role.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from dashboard.db import Settings, Warehouse
from report.weekly import ReportError, write_report

DEFAULT_OUTPUT = Path("reports/weekly_growth.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description="Write the weekly growth report (HTML).")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"default {DEFAULT_OUTPUT}")
    parser.add_argument("--week", type=date.fromisoformat, default=None, help="first day of the week to report")
    args = parser.parse_args(argv)
    try:
        warehouse = Warehouse(Settings.from_env())
        path = write_report(args.output, warehouse, args.week)
    except (ReportError, ValueError, FileNotFoundError) as exc:
        print(f"report: {exc}", file=sys.stderr)
        return 1
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
