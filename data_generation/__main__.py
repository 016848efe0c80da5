"""Command line: ``python -m data_generation --scenario saas --seed 42 --users 10000 --days 365``."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from data_generation import available_scenarios, generate
from settings.exit_codes import run_main

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m data_generation",
        description="Simulate a business and write its raw tables (parquet), truth.json and dbt_vars.yml.",
        epilog=f"Scenarios: {', '.join(available_scenarios())} (or a path to a scenario .yaml file).",
    )
    p.add_argument("--scenario", default="saas", help="scenario name or YAML file (default: saas)")
    p.add_argument("--seed", type=_whole, default=42, help="random seed (default: 42)")
    p.add_argument("--users", type=_whole, default=10_000, help="number of users who sign up (default: 10000)")
    p.add_argument("--days", type=_whole, default=365, help="days of data (default: 365)")
    p.add_argument("--start-date", default="2025-01-01", help="first day, YYYY-MM-DD (default: 2025-01-01)")
    p.add_argument("--output", default=None, help="output folder (default: data/generated/<scenario>)")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        out = generate(
            scenario=args.scenario,
            seed=args.seed,
            users=args.users,
            days=args.days,
            start_date=args.start_date,
            output=args.output,
            quiet=args.quiet,
        )
        if not args.quiet:
            print(str(out), file=sys.stderr)
        return 0

    # settings.exit_codes: 2 for bad input (GenerationError), 1 when the disk fails, 130 on Ctrl-C.
    return run_main(body, interrupted="interrupted; nothing was written")


if __name__ == "__main__":
    sys.exit(main())
