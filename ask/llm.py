"""Optional: an OpenAI-compatible chat endpoint turns questions the parser could not read into the same JSON
interpretation. The model never writes SQL: its answer is parsed as JSON and every name and value in it is checked
against the semantic manifest and the warehouse's dimension values before anything runs.

Configured by environment variables (nothing is sent anywhere unless ``ASK_LLM_URL`` is set):
``ASK_LLM_URL`` (base URL, e.g. ``http://127.0.0.1:8080/v1``), ``ASK_LLM_MODEL``, ``ASK_LLM_API_KEY`` (optional),
``ASK_LLM_TIMEOUT`` (seconds, default 20).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ask.interpretation import KEYS, Filter, Interpretation
from ask.parser import Refusal
from ask.vocabulary import GRAINS, Vocabulary

Transport = Callable[[str, dict[str, Any], dict[str, str], float], dict[str, Any]]


def http_transport(url: str, body: dict[str, Any], headers: dict[str, str], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read().decode())


@dataclass(frozen=True)
class ModelClient:
    url: str
    model: str
    api_key: str | None = None
    timeout: float = 20.0
    transport: Transport = http_transport

    def complete(self, messages: list[dict[str, str]]) -> str:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {"model": self.model, "messages": messages, "temperature": 0, "response_format": {"type": "json_object"}}
        reply = self.transport(self.url.rstrip("/") + "/chat/completions", body, headers, self.timeout)
        return str(reply["choices"][0]["message"]["content"])


def model_from_env(environ: Mapping[str, str] | None = None) -> ModelClient | None:
    env = os.environ if environ is None else environ
    url = (env.get("ASK_LLM_URL") or "").strip()
    if not url:
        return None
    try:
        timeout = float(env.get("ASK_LLM_TIMEOUT") or 20)
    except ValueError:
        timeout = 20.0
    return ModelClient(url, env.get("ASK_LLM_MODEL") or "default", env.get("ASK_LLM_API_KEY") or None, timeout)


def prompt(vocab: Vocabulary, today: dt.date) -> str:
    """The instructions: the JSON shape and every allowed name and value."""
    metrics = "; ".join(f"{m.name} ({m.label}: {m.description})" for m in vocab.metrics.values())
    dims = "; ".join(f"{d.name}: {', '.join(d.qualified)}" for d in vocab.dimensions.values())
    values: dict[str, list[str]] = {}
    for v in vocab.values:
        values.setdefault(v.dimension, []).append(v.value)
    return (
        "Turn the user's question about product metrics into one JSON object and nothing else, with keys "
        f"{', '.join(KEYS)}. metrics: list of metric names; group_by: list of qualified dimension names; grain: one "
        f"of {', '.join(GRAINS)} or null; start, end: YYYY-MM-DD or null (today is {today}); where: list of "
        '{"dimension": qualified name, "values": [values]}; order: list of metric or dimension names, "-" first '
        "for descending; limit: integer or null; compare: true to compare with the previous period. Never write "
        f"SQL.\nMetrics: {metrics}\nDimensions: {dims}\nValues: "
        + "; ".join(f"{k}: {', '.join(v)}" for k, v in values.items())
    )


def interpret_with_model(
    client: ModelClient, question: str, vocab: Vocabulary, today: dt.date
) -> Interpretation | Refusal:
    try:
        content = client.complete(
            [{"role": "system", "content": prompt(vocab, today)}, {"role": "user", "content": question}]
        )
    except Exception as exc:  # noqa: BLE001 - any transport failure: the parser's answer stands
        return Refusal(
            f"The language model did not answer: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        )
    return validate(content, vocab, today)


def validate(content: str, vocab: Vocabulary, today: dt.date) -> Interpretation | Refusal:
    """The model's text as an Interpretation, or a Refusal naming the first thing that is not allowed."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", content.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return Refusal("The language model's answer is not JSON; nothing was run.")
    if not isinstance(data, dict):
        return Refusal("The language model's answer is not a JSON object; nothing was run.")
    extra = sorted(set(data) - set(KEYS))
    if extra:
        return Refusal(f"The language model's answer has unexpected keys ({', '.join(extra)}); nothing was run.")

    def bad(what: str) -> Refusal:
        return Refusal(f"The language model's answer is refused: {what}; nothing was run.")

    metrics = data.get("metrics")
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        return bad("metrics must be a non-empty list of names")
    unknown = [m for m in metrics if m not in vocab.metrics]
    if unknown:
        return bad(f"unknown metric {', '.join(map(repr, unknown))}")
    reachable = set(vocab.reachable(metrics))
    categorical = {q for d in vocab.dimensions.values() for q in d.qualified}
    group_by = data.get("group_by") or []
    if not isinstance(group_by, list) or not all(isinstance(g, str) for g in group_by):
        return bad("group_by must be a list of names")
    for g in group_by:
        if g not in reachable or g not in categorical:
            return bad(f"{g!r} is not a dimension of {', '.join(metrics)}")
    grain = data.get("grain")
    if grain is not None and grain not in GRAINS:
        return bad(f"grain {grain!r} is not one of {', '.join(GRAINS)}")
    dates: dict[str, dt.date | None] = {}
    for key in ("start", "end"):
        value = data.get(key)
        if value is None:
            dates[key] = None
            continue
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return bad(f"{key} must be a date YYYY-MM-DD")
        try:
            dates[key] = dt.date.fromisoformat(value)
        except ValueError:
            return bad(f"{key} {value!r} is not a date")
    known_values: dict[str, set[str]] = {}
    for v in vocab.values:
        known_values.setdefault(v.dimension, set()).add(v.value)
    filters: list[Filter] = []
    where = data.get("where") or []
    if not isinstance(where, list):
        return bad("where must be a list of {dimension, values}")
    for item in where:
        if not isinstance(item, dict) or set(item) != {"dimension", "values"}:
            return bad("each where item must be exactly {dimension, values}")
        dim, vals = item["dimension"], item["values"]
        if not isinstance(dim, str) or dim not in reachable or dim not in categorical:
            return bad(f"{dim!r} is not a dimension of {', '.join(metrics)}")
        if not isinstance(vals, list) or not vals or not all(isinstance(v, str) for v in vals):
            return bad("where values must be a non-empty list of strings")
        allowed = known_values.get(dim.split("__")[-1], set())
        strange = [v for v in vals if v not in allowed]
        if strange:
            return bad(f"{', '.join(map(repr, strange))} is not a value of {dim}")
        filters.append(Filter(dim, tuple(vals)))
    order = data.get("order") or []
    if not isinstance(order, list) or not all(isinstance(o, str) for o in order):
        return bad("order must be a list of names")
    for o in order:
        if o.lstrip("-") not in {*metrics, *group_by} or o.count("-") > 1 or (o.startswith("-") is False and "-" in o):
            return bad(f"cannot order by {o!r}")
    limit = data.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 10_000):
        return bad("limit must be a whole number from 1 to 10000")
    compare = data.get("compare", False)
    if not isinstance(compare, bool):
        return bad("compare must be true or false")
    start, end = dates["start"], dates["end"]
    if start and end and start > end:
        return bad("the time range ends before it starts")
    if compare and start is None:
        return bad("a comparison needs a start date")
    return Interpretation(
        metrics=tuple(dict.fromkeys(metrics)),
        group_by=tuple(dict.fromkeys(group_by)),
        grain=grain,
        start=start,
        end=end if end or not compare else today,
        where=tuple(filters),
        order=tuple(order),
        limit=limit,
        compare=compare,
        notes=("Read by a language model, then checked name by name against the semantic layer.",),
    )
