"""Questions answered end to end: parse (or a validated language-model interpretation), compile with the warm
MetricFlow engine, run the SQL on the warehouse.

An ``Asker`` is built once per process (the dashboard keeps one in its resource cache); the first build pays for
importing MetricFlow and reading the dimension values, every answer after that costs one compilation and one query.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ask.engine import Compiler, SqlRunner, load_manifest_json
from ask.interpretation import Interpretation
from ask.parser import Ambiguity, Parsed, Refusal, parse
from ask.vocabulary import Vocabulary, build_vocabulary
from pipeline.dbt import DBT_PROJECT_DIR

DEFAULT_MANIFEST = DBT_PROJECT_DIR / "target" / "semantic_manifest.json"


class AskError(RuntimeError):
    """Asking cannot start (no semantic manifest, a bad setting): one line for the user."""

    exit_code = 2  # the user's input or settings (settings.exit_codes)


def manifest_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("ASK_MANIFEST") or DEFAULT_MANIFEST)


def today_from_env(environ: dict[str, str] | None = None) -> dt.date:
    """``ASK_TODAY`` (YYYY-MM-DD) when set, else the calendar's today: "last 90 days" counts back from it."""
    env = os.environ if environ is None else environ
    text = env.get("ASK_TODAY")
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise AskError(f"ASK_TODAY={text!r}: expected a date YYYY-MM-DD") from None


@dataclass
class Answer:
    question: str
    parsed: Parsed
    source: str = "parser"  # or "language model"
    rows: pd.DataFrame | None = None
    previous: pd.DataFrame | None = None  # the period before, for comparisons
    sql: str | None = None
    error: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def interpretation(self) -> Interpretation | None:
        return self.parsed if isinstance(self.parsed, Interpretation) else None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"question": self.question, "source": self.source}
        if isinstance(self.parsed, Interpretation):
            out["interpretation"] = self.parsed.to_json()
            out["mf_query"] = self.parsed.mf_command()
            out["notes"] = list(self.parsed.notes)
        elif isinstance(self.parsed, Ambiguity):
            out["ambiguous"] = {
                "message": self.parsed.message,
                "choices": [{"label": c.label, "question": c.question} for c in self.parsed.choices],
            }
        else:
            out["refused"] = {
                "message": self.parsed.message,
                "unknown": list(self.parsed.unknown),
                "suggestions": list(self.parsed.suggestions),
            }
        if self.error:
            out["error"] = self.error
        if self.rows is not None:
            out["rows"] = _records(self.rows)
        return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in df.to_dict(orient="records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if type(value).__name__ == "Decimal":
        return float(value)
    return value


class Asker:
    def __init__(self, manifest: dict[str, Any], backend: str, run_sql: SqlRunner, llm: Any = None) -> None:
        self.manifest = manifest
        self.compiler = Compiler(manifest, backend)
        self.run_sql = run_sql
        self.llm = llm
        self._vocabulary: Vocabulary | None = None

    @classmethod
    def from_files(cls, path: Path, backend: str, run_sql: SqlRunner, llm: Any = None) -> Asker:
        if not path.exists():
            raise AskError(f"no semantic manifest at {path}: run `make run` (or dbt parse) first, or set ASK_MANIFEST")
        return cls(load_manifest_json(path), backend, run_sql, llm)

    @property
    def vocabulary(self) -> Vocabulary:
        if self._vocabulary is None:
            self._vocabulary = build_vocabulary(self.manifest, self.compiler.dimensions, self.dimension_values())
        return self._vocabulary

    def dimension_values(self) -> dict[str, list[Any]]:
        """Each categorical dimension's values, read through the semantic layer (a group-by without metrics)."""
        out: dict[str, list[Any]] = {}
        for model in self.manifest.get("semantic_models", []):
            primary = next((e["name"] for e in model.get("entities", []) if e.get("type") == "primary"), None)
            for dim in model.get("dimensions", []):
                if dim.get("type") != "categorical" or primary is None:
                    continue
                name = f"{primary}__{dim['name']}"
                df = self.run_sql(self.compiler.sql([], [name]))
                out[name] = [v for v in df.iloc[:, 0].tolist() if v is not None]
        return out

    def interpret(self, question: str, today: dt.date) -> tuple[Parsed, str]:
        parsed = parse(question, self.vocabulary, today)
        if not isinstance(parsed, Interpretation) and self.llm is not None:
            from ask.llm import interpret_with_model

            model_parsed = interpret_with_model(self.llm, question, self.vocabulary, today)
            if isinstance(model_parsed, Interpretation):
                return model_parsed, "language model"
        return parsed, "parser"

    def answer(self, question: str, today: dt.date) -> Answer:
        import time

        t0 = time.perf_counter()
        parsed, source = self.interpret(question, today)
        answer = Answer(question, parsed, source)
        answer.timings["interpret"] = time.perf_counter() - t0
        interpretation = answer.interpretation
        if interpretation is None:
            return answer
        try:
            answer.sql = self.sql(interpretation)
        except Exception as exc:  # noqa: BLE001 - MetricFlow refuses the query: say why, in one line
            answer.parsed = Refusal(f"The semantic layer refused this query: {metricflow_message(exc)}")
            return answer
        answer.timings["compile"] = time.perf_counter() - t0
        answer.rows = self.run_sql(answer.sql)
        if interpretation.compare:
            start, end = interpretation.previous_period()
            answer.previous = self.run_sql(self.sql(interpretation, start, end))
            answer.rows = compare_periods(answer.rows, answer.previous, interpretation)
        answer.timings["total"] = time.perf_counter() - t0
        return answer

    def sql(self, i: Interpretation, start: dt.date | None = None, end: dt.date | None = None) -> str:
        return self.compiler.sql(
            list(i.metrics),
            i.mf_group_by(),
            start or i.start,
            end or i.end,
            i.mf_where(),
            i.mf_order(),
            i.limit,
        )


def compare_periods(current: pd.DataFrame, previous: pd.DataFrame, i: Interpretation) -> pd.DataFrame:
    """One row per group: each metric in the period, in the period before, and the change."""
    keys = list(i.group_by)
    if keys:
        merged = current.merge(previous, on=keys, how="outer", suffixes=("", "_previous"))
    else:
        merged = pd.concat([current.reset_index(drop=True), previous.add_suffix("_previous")], axis=1)
    for m in i.metrics:
        now = pd.to_numeric(merged[m], errors="coerce").astype(float)
        before = pd.to_numeric(merged[f"{m}_previous"], errors="coerce").astype(float)
        merged[f"{m}_change"] = now - before
        merged[f"{m}_change_pct"] = (now - before) / before.where(before != 0) * 100
    if i.order:
        by = i.order[0].lstrip("-")
        merged = merged.sort_values(by, ascending=not i.order[0].startswith("-"))
    return merged.reset_index(drop=True)


def metricflow_message(exc: Exception) -> str:
    """MetricFlow's first error message in one line (its exceptions span dozens of lines)."""
    text = str(exc)
    match = re.search(r"Message:\s*(.+?\.)(?:\s|$)", text, re.S)
    if match:
        return " ".join(match.group(1).split())
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
