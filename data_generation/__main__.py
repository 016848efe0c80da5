"""Command line: ``python -m data_generation --scenario saas --seed 42 --users 10000 --days 365``.

``--horizon 400`` simulates 400 days and writes the first ``--days``; ``--continue <dataset folder> --days 1``
then writes the next day as a batch (data_generation/batches.py)."""

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
    p.add_argument(
        "--horizon",
        type=_whole,
        default=None,
        help="simulate this many days but write only the first --days, so the dataset can be continued",
    )
    p.add_argument(
        "--continue",
        dest="continue_from",
        metavar="DATASET",
        default=None,
        help="write the next --days days of this generated dataset (made with --horizon) as a batch folder",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.continue_from is not None:
        return _continue(parser, args)

    def body() -> int:
        out = generate(
            scenario=args.scenario,
            seed=args.seed,
            users=args.users,
            days=args.days,
            start_date=args.start_date,
            output=args.output,
            quiet=args.quiet,
            horizon=args.horizon,
        )
        if not args.quiet:
            print(str(out), file=sys.stderr)
        return 0

    # settings.exit_codes: 2 for bad input (GenerationError), 1 when the disk fails, 130 on Ctrl-C.
    return run_main(body, interrupted="interrupted; nothing was written")


def _continue(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """--continue: everything but --days comes from the dataset itself."""
    from data_generation import continue_dataset

    fixed = [f"--{n.replace('_', '-')}" for n in ("scenario", "seed", "users", "start_date", "output", "horizon")]
    given = [
        flag
        for flag in fixed
        if getattr(args, flag[2:].replace("-", "_")) != parser.get_default(flag[2:].replace("-", "_"))
    ]
    if given:
        parser.error(f"--continue takes the dataset's own settings; drop {', '.join(given)}")

    def body() -> int:
        print(str(continue_dataset(args.continue_from, args.days, quiet=args.quiet)))
        return 0

    return run_main(body, interrupted="interrupted; nothing was written")


if __name__ == "__main__":
    sys.exit(main())
