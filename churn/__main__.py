"""`python -m churn train|score`: the churn step by hand (make run runs `train` after dbt build).

After either, `dbt build --select marts.churn` refreshes the churn_risk and churn_model_evaluation marts (the
pipeline does it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from churn.step import score_step, train_step
from settings.exit_codes import run_main


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m churn", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="backtest, choose and fit a model; write schema ml")
    train.add_argument("--target", choices=["duckdb", "postgres"], default="duckdb")
    train.add_argument("--data-dir", type=Path, help="generated dataset (its truth_churn.parquet: ceiling)")
    train.add_argument("--window-days", type=int, default=28, help="var churn_window_days of the build (default 28)")
    train.add_argument("--seed", type=int, default=42)
    score = sub.add_parser("score", help="rescore the latest as-of dates with the saved model")
    score.add_argument("--target", choices=["duckdb", "postgres"], default="duckdb")
    return parser


def _command(args: argparse.Namespace) -> int:
    if args.command == "train":
        train_step(args.target, args.data_dir, args.window_days, args.seed)
    else:
        score_step(args.target)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # one line and the project's exit code for every known error (settings.exit_codes: ChurnError is 2)
    return run_main(lambda: _command(args))


if __name__ == "__main__":
    sys.exit(main())
