"""The words a question may use, all taken from the semantic manifest (and the dimensions' values in the warehouse).

* metrics: by name (``active_users`` / "active users"), label ("Active users") and the synonyms listed under
  ``config.meta.synonyms`` of the semantic models;
* dimensions: the categorical dimensions by name and synonyms, with their qualified names (``user__channel``);
* values: each categorical dimension's values ("paid search" -> channel = paid_search), read once through the
  semantic layer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

GRAINS = ("day", "week", "month", "quarter", "year")
# Words that are time or grammar before they are values (billing_period 'month', is_activated 'true').
RESERVED_VALUES = {*GRAINS, "true", "false", "yes", "no", "none", "null", ""}


def phrase(text: str) -> str:
    """Lower case, punctuation and underscores to single spaces: the form every match is made in."""
    return " ".join(re.sub(r"[^\w%]+|_", " ", text.lower()).split())


def plural(word: str) -> str:
    if word.endswith("s"):
        return word
    if word.endswith("y") and not word.endswith(("ay", "ey", "oy")):
        return word[:-1] + "ies"
    return word + "s"


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    description: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Dimension:
    name: str  # short name, e.g. channel
    qualified: tuple[str, ...]  # every qualified name with that short name (user__channel, funnel_cell__channel)
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class Value:
    dimension: str  # short name
    value: str  # as stored
    phrase: str
    case_sensitive: bool  # short upper-case codes (US, IN) only match as written


@dataclass
class Vocabulary:
    metrics: dict[str, Metric]
    dimensions: dict[str, Dimension]
    values: list[Value]
    reachable: Callable[[list[str]], list[str]]  # metric names -> qualified dimension names
    phrase_index: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # phrase -> [(kind, name)]

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[str, str]]] = {}
        for m in self.metrics.values():
            for p in m.phrases:
                index.setdefault(p, []).append(("metric", m.name))
        for d in self.dimensions.values():
            for p in d.phrases:
                index.setdefault(p, []).append(("dimension", d.name))
        self.phrase_index = {p: sorted(set(v)) for p, v in index.items()}

    def all_words(self) -> list[str]:
        """Every phrase a suggestion may name."""
        return sorted({*self.phrase_index, *(v.phrase for v in self.values)})

    def metric_label(self, name: str) -> str:
        return self.metrics[name].label if name in self.metrics else name

    def qualified_for(self, short: str, metrics: list[str]) -> list[str]:
        """Qualified names of dimension ``short`` that all of ``metrics`` can be grouped or filtered by."""
        reachable = set(self.reachable(metrics)) if metrics else None
        names = self.dimensions[short].qualified if short in self.dimensions else ()
        return [q for q in names if reachable is None or q in reachable]


def _synonyms(manifest: Mapping[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for model in manifest.get("semantic_models", []):
        meta = ((model.get("config") or {}).get("meta") or {}).get("synonyms") or {}
        for name, words in meta.items():
            out.setdefault(name, []).extend(str(w) for w in words)
    for metric in manifest.get("metrics", []):
        meta = ((metric.get("config") or {}).get("meta") or {}).get("synonyms") or []
        out.setdefault(metric["name"], []).extend(str(w) for w in meta)
    return out


def build_vocabulary(
    manifest: Mapping[str, Any],
    reachable: Callable[[list[str]], list[str]],
    dimension_values: Mapping[str, Iterable[Any]],
) -> Vocabulary:
    """``dimension_values``: qualified dimension name -> its values (from the warehouse)."""
    synonyms = _synonyms(manifest)
    metrics: dict[str, Metric] = {}
    for m in manifest.get("metrics", []):
        name = m["name"]
        label = m.get("label") or name.replace("_", " ")
        words = {phrase(name), phrase(label), *(phrase(s) for s in synonyms.get(name, []))}
        metrics[name] = Metric(name, label, m.get("description") or "", tuple(sorted(w for w in words if w)))

    qualified: dict[str, set[str]] = {}
    for model in manifest.get("semantic_models", []):
        primary = next((e["name"] for e in model.get("entities", []) if e.get("type") == "primary"), None)
        for d in model.get("dimensions", []):
            if d.get("type") != "categorical" or primary is None:
                continue
            qualified.setdefault(d["name"], set()).add(f"{primary}__{d['name']}")
    dimensions: dict[str, Dimension] = {}
    for short, names in qualified.items():
        words = {phrase(short), *(phrase(s) for s in synonyms.get(short, []))}
        words |= {plural(w) for w in words}
        dimensions[short] = Dimension(short, tuple(sorted(names)), tuple(sorted(w for w in words if w)))

    values: list[Value] = []
    seen: set[tuple[str, str]] = set()
    for qualified_name, raw_values in dimension_values.items():
        short = qualified_name.split("__")[-1]
        for raw in raw_values:
            if raw is None or isinstance(raw, bool | int | float):
                continue
            text = str(raw)
            p = phrase(text)
            if p in RESERVED_VALUES or p.isdigit() or (short, text) in seen:
                continue
            seen.add((short, text))
            values.append(Value(short, text, p, case_sensitive=len(text) <= 3 and text.isupper()))
    return Vocabulary(metrics, dimensions, values, reachable)
