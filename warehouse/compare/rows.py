"""Rows of two warehouses compared as multisets: values canonicalised, numbers within a tolerance.

A column is *approximate* when either side declares it a floating-point or decimal type; its values are compared as
floats with ``math.isclose(rel_tol, abs_tol)``. Every other column is *exact*: integers, text, booleans, dates and
timestamps must be equal after canonicalisation (one Python representation per value, whatever the driver returned).
NULL and NaN are distinct values, each equal only to itself.

Rows are grouped by a digest of their exact values, so a large table costs a few bytes per row; within a group the
approximate parts are sorted and paired, then the leftovers matched greedily within the tolerance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

DEFAULT_REL_TOL = 1e-9
DEFAULT_ABS_TOL = 1e-12
APPROXIMATE_TYPES = ("double", "float", "real", "numeric", "decimal")
JSON_TYPES = ("json",)

# Greedy matching of leftovers is quadratic: beyond this many rows in one group, leftovers are reported as they are.
GREEDY_LIMIT = 2_000


@dataclass(frozen=True)
class Tolerance:
    """How close two numbers of an approximate column must be: ``math.isclose(a, b, rel_tol, abs_tol)``."""

    rel_tol: float = DEFAULT_REL_TOL
    abs_tol: float = DEFAULT_ABS_TOL

    def close(self, a: float | None, b: float | None) -> bool:
        if a is None or b is None:
            return a is None and b is None
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=self.rel_tol, abs_tol=self.abs_tol)


def is_approximate(data_type: str) -> bool:
    """Whether a declared column type holds floating-point or decimal numbers."""
    lowered = data_type.lower()
    return any(name in lowered for name in APPROXIMATE_TYPES)


def is_json(data_type: str) -> bool:
    return any(name in data_type.lower() for name in JSON_TYPES)


def canonical_number(value: Any) -> float | None:
    """An approximate column's value as a float (None for NULL)."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    raise TypeError(f"not a number: {value!r}")


def canonical_exact(value: Any, json_column: bool = False) -> Any:
    """An exact column's value in one representation: int, str, bool, date, datetime (UTC) or None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else ("nan" if math.isnan(value) else value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC)
        return value
    if isinstance(value, (dt.date, dt.time)):
        return value
    if json_column and isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return str(value)


@dataclass(frozen=True)
class RowShape:
    """Which positions of a row are exact and which approximate."""

    exact: tuple[int, ...]
    approximate: tuple[int, ...]
    json: frozenset[int] = frozenset()

    @classmethod
    def of(cls, left_types: Sequence[str], right_types: Sequence[str]) -> RowShape:
        pairs = list(enumerate(zip(left_types, right_types, strict=True)))
        approx = tuple(i for i, (a, b) in pairs if is_approximate(a) or is_approximate(b))
        exact = tuple(i for i, _ in pairs if i not in approx)
        return cls(exact, approx, frozenset(i for i, (a, b) in pairs if is_json(a) or is_json(b)))

    def split(self, row: Sequence[Any]) -> tuple[bytes, tuple[float | None, ...]]:
        """(digest of the exact values, the approximate values) of one row."""
        exact = tuple(canonical_exact(row[i], i in self.json) for i in self.exact)
        digest = hashlib.blake2b(repr(exact).encode(), digest_size=16).digest()
        return digest, tuple(canonical_number(row[i]) for i in self.approximate)

    def canonical(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """The whole row canonicalised, for showing it in a report."""
        approx = set(self.approximate)
        return tuple(
            canonical_number(v) if i in approx else canonical_exact(v, i in self.json) for i, v in enumerate(row)
        )


Groups = dict[bytes, list[tuple[float | None, ...]]]


def group_rows(rows: Iterable[Sequence[Any]], shape: RowShape) -> tuple[Groups, int]:
    """Rows grouped by the digest of their exact values, and how many rows there were."""
    groups: Groups = {}
    count = 0
    for row in rows:
        digest, approx = shape.split(row)
        groups.setdefault(digest, []).append(approx)
        count += 1
    return groups, count


def _sort_key(values: tuple[float | None, ...]) -> tuple[tuple[int, float], ...]:
    return tuple((0, 0.0) if v is None else (1, 0.0) if math.isnan(v) else (2, v) for v in values)


def _rows_close(a: tuple[float | None, ...], b: tuple[float | None, ...], tolerance: Tolerance) -> bool:
    return all(tolerance.close(x, y) for x, y in zip(a, b, strict=True))


def match_group(
    left: list[tuple[float | None, ...]], right: list[tuple[float | None, ...]], tolerance: Tolerance
) -> tuple[list[tuple[float | None, ...]], list[tuple[float | None, ...]]]:
    """The approximate parts of one group that found no partner: (only on the left, only on the right)."""
    if left == right:
        return [], []
    left_sorted, right_sorted = sorted(left, key=_sort_key), sorted(right, key=_sort_key)
    left_rest: list[tuple[float | None, ...]] = []
    right_rest: list[tuple[float | None, ...]] = []
    for a, b in zip(left_sorted, right_sorted, strict=False):
        if not _rows_close(a, b, tolerance):
            left_rest.append(a)
            right_rest.append(b)
    shorter = min(len(left_sorted), len(right_sorted))
    left_rest += left_sorted[shorter:]
    right_rest += right_sorted[shorter:]
    if not left_rest or not right_rest or len(left_rest) * len(right_rest) > GREEDY_LIMIT**2:
        return left_rest, right_rest
    unmatched_right = list(right_rest)
    unmatched_left = []
    for a in left_rest:
        partner = next((j for j, b in enumerate(unmatched_right) if _rows_close(a, b, tolerance)), None)
        if partner is None:
            unmatched_left.append(a)
        else:
            unmatched_right.pop(partner)
    return unmatched_left, unmatched_right


@dataclass
class GroupDifference:
    """The rows of both sides that found no partner, by exact-values digest."""

    left_only: dict[bytes, list[tuple[float | None, ...]]] = field(default_factory=dict)
    right_only: dict[bytes, list[tuple[float | None, ...]]] = field(default_factory=dict)

    @property
    def left_count(self) -> int:
        return sum(len(v) for v in self.left_only.values())

    @property
    def right_count(self) -> int:
        return sum(len(v) for v in self.right_only.values())


def diff_groups(left: Groups, right: Groups, tolerance: Tolerance) -> GroupDifference:
    """Rows of ``left`` and ``right`` that have no equal row (within the tolerance) on the other side."""
    result = GroupDifference()
    for digest in left.keys() | right.keys():
        left_rest, right_rest = match_group(left.get(digest, []), right.get(digest, []), tolerance)
        if left_rest:
            result.left_only[digest] = left_rest
        if right_rest:
            result.right_only[digest] = right_rest
    return result


def pick_examples(
    rows: Iterable[Sequence[Any]],
    shape: RowShape,
    wanted: dict[bytes, list[tuple[float | None, ...]]],
    limit: int,
    tolerance: Tolerance,
) -> list[tuple[Any, ...]]:
    """Up to ``limit`` whole rows (canonical) among ``rows`` that are the unmatched ones in ``wanted``."""
    remaining = {digest: list(values) for digest, values in wanted.items()}
    examples: list[tuple[Any, ...]] = []
    for row in rows:
        if len(examples) >= limit:
            break
        digest, approx = shape.split(row)
        candidates = remaining.get(digest)
        if not candidates:
            continue
        index = next((i for i, v in enumerate(candidates) if _rows_close(v, approx, tolerance)), None)
        if index is not None:
            candidates.pop(index)
            examples.append(shape.canonical(row))
    return examples
