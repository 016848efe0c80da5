"""`python -m report [--output reports/weekly_growth.html] [--week YYYY-MM-DD]`: write the weekly growth report.

Reads the warehouse the dashboard reads: DuckDB (``DUCKDB_PATH``) or, with ``DBT_TARGET=postgres``,
PostgreSQL as the reporting role.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from analytics.marts import Settings, Warehouse
from report.weekly import ReportError, write_report
from settings.exit_codes import run_main

DEFAULT_OUTPUT = Path("reports/weekly_growth.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m report", description="Write the weekly growth report (HTML).")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help=f"default {DEFAULT_OUTPUT}")
    parser.add_argument("--week", type=date.fromisoformat, default=None, help="first day of the week to report")
    args = parser.parse_args(argv)

    def body() -> int:
        try:
            settings = Settings.from_env()
        except ValueError as exc:  # an environment variable with an unusable value
            raise ReportError(str(exc)) from None
        path = write_report(args.output, Warehouse(settings), args.week)
        print(f"report: {path}")
        return 0

    # Exit codes (settings.exit_codes): 2 for the user's settings or data, 1 when the warehouse cannot be read.
    return run_main(body, prog="report")


if __name__ == "__main__":
    raise SystemExit(main())
