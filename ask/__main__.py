"""`python -m ask "weekly active users by channel since March"`: the interpretation in words, the equivalent
`mf query`, then the rows. ``--json`` prints the interpretation and the rows as one JSON object.

Exit codes (settings.exit_codes): 0 answered; 2 refused or ambiguous (the reason printed, or in the JSON), or the
user's settings (no semantic manifest, a bad date); 1 when the warehouse cannot be read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from analytics.marts import WarehouseUnavailable
from ask.interpretation import Interpretation
from ask.parser import Ambiguity
from ask.service import Answer, Asker, AskError, manifest_path, today_from_env
from settings.exit_codes import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, run_main


def build_asker(target: str | None) -> Asker:
    from analytics.marts import Settings, Warehouse
    from ask.llm import model_from_env

    env = dict(__import__("os").environ)
    if target:
        env["DBT_TARGET"] = target
        env.pop("DASHBOARD_WAREHOUSE", None)
    try:
        settings = Settings.from_env(env)
    except ValueError as exc:
        raise AskError(str(exc)) from None
    warehouse = Warehouse(settings)
    return Asker.from_files(manifest_path(), settings.adapter, warehouse.df, llm=model_from_env())


def render_text(answer: Answer, labels: dict[str, str]) -> str:
    parsed = answer.parsed
    if isinstance(parsed, Ambiguity):
        lines = [parsed.message]
        lines += [f"  - {c.label}: python -m ask {json.dumps(c.question)}" for c in parsed.choices]
        return "\n".join(lines)
    if not isinstance(parsed, Interpretation):
        return parsed.message
    lines = [f"Understood: {parsed.describe(labels)}"]
    if answer.source != "parser":
        lines.append(f"(interpreted by the {answer.source}, checked against the semantic manifest)")
    lines += [f"Note: {n}" for n in parsed.notes]
    lines.append(f"Same as: {parsed.mf_command()}")
    lines.append("")
    if answer.rows is None or answer.rows.empty:
        lines.append("No rows: nothing matches in the warehouse.")
    else:
        lines.append(answer.rows.head(200).to_string(index=False))
        if len(answer.rows) > 200:
            lines.append(f"... {len(answer.rows) - 200} more rows (use --json for all)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ask", description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="+", help="the question, in plain language")
    parser.add_argument("--json", action="store_true", help="print the interpretation and rows as JSON")
    parser.add_argument("--target", choices=["duckdb", "postgres"], help="warehouse (default: DBT_TARGET)")
    parser.add_argument("--today", help="count relative dates from this day (YYYY-MM-DD; default ASK_TODAY or today)")
    parser.add_argument("--sql", action="store_true", help="also print the SQL MetricFlow compiled")
    args = parser.parse_args(argv)
    question = " ".join(args.question)

    def body() -> int:
        try:
            today = dt.date.fromisoformat(args.today) if args.today else today_from_env()
        except ValueError:
            raise AskError(f"--today {args.today!r}: expected a date YYYY-MM-DD") from None
        asker = build_asker(args.target)
        try:
            answer = asker.answer(question, today)
        except WarehouseUnavailable as exc:
            raise WarehouseDown(str(exc)) from None
        labels = {m: asker.vocabulary.metric_label(m) for m in asker.vocabulary.metrics}
        if args.json:
            out = answer.to_json()
            if args.sql and answer.sql:
                out["sql"] = answer.sql
            print(json.dumps(out, indent=2, default=str, ensure_ascii=False))
        else:
            print(render_text(answer, labels))
            if args.sql and answer.sql:
                print("\n" + answer.sql)
        return EXIT_OK if answer.interpretation is not None else EXIT_USAGE

    return run_main(body, prog="ask")


class WarehouseDown(RuntimeError):
    """The warehouse cannot be read (locked, missing server): a failure of the system, not of the question."""

    exit_code = EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
