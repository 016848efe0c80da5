"""Schema check helpers for scenario files: each takes the value and its dotted path and raises with both."""

from __future__ import annotations

import math
from typing import Any

from data_generation.errors import ScenarioError


class Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> ScenarioError:
        return ScenarioError(f"invalid scenario file {self.source}: {path}: {problem}")

    def mapping(self, value: Any, path: str, allowed: set[str] | None = None, required: set[str] | None = None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {kind_of(value)}")
        if required:
            missing = sorted(required - value.keys())
            if missing:
                raise self.fail(f"{path}.{missing[0]}" if path else missing[0], "required key is missing")
        if allowed is not None:
            unknown = sorted(str(k) for k in value if k not in allowed)
            if unknown:
                raise self.fail(f"{path}.{unknown[0]}" if path else unknown[0], "unknown key")
        return value

    def number(
        self, value: Any, path: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(path, f"expected a number, got {kind_of(value)}")
        if lo is not None and (value < lo or (lo_open and value == lo)):
            raise self.fail(path, f"must be {'>' if lo_open else '>='} {lo:g}, got {value:g}")
        if hi is not None and value > hi:
            raise self.fail(path, f"must be <= {hi:g}, got {value:g}")
        return float(value)

    def probability(self, value: Any, path: str) -> float:
        return self.number(value, path, 0.0, 1.0)

    def positive(self, value: Any, path: str) -> float:
        return self.number(value, path, 0.0, lo_open=True)

    def integer(self, value: Any, path: str, lo: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {kind_of(value)}")
        if lo is not None and value < lo:
            raise self.fail(path, f"must be >= {lo}, got {value}")
        return int(value)

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {kind_of(value)}")
        return value

    def name(self, value: Any, path: str) -> str:
        text = self.string(value, path)
        if not all(ch.isalnum() or ch in "_-" for ch in text):
            raise self.fail(path, f"names may hold letters, digits, '_' and '-' only, got {text!r}")
        return text

    def string_list(self, value: Any, path: str, min_len: int = 1) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) < min_len:
            raise self.fail(path, f"expected a list of at least {min_len} names, got {kind_of(value)}")
        items = tuple(self.name(v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(set(items)) != len(items):
            raise self.fail(path, "names must be unique")
        return items

    def number_list(self, value: Any, path: str, length: int | None = None, lo: float = 0.0) -> tuple[float, ...]:
        if not isinstance(value, list) or not value or (length is not None and len(value) != length):
            want = f"a list of {length} numbers" if length else "a non-empty list of numbers"
            raise self.fail(path, f"expected {want}, got {kind_of(value)}")
        return tuple(self.number(v, f"{path}[{i}]", lo) for i, v in enumerate(value))

    def weights(self, value: Any, path: str, key_kind: str = "name") -> dict:
        """A mapping of name -> non-negative weight with a positive total."""
        self.mapping(value, path)
        if not value:
            raise self.fail(path, "expected at least one entry")
        out: dict = {}
        for key, weight in value.items():
            if key_kind == "name":
                self.name(key, f"{path}.{key}")
            elif key_kind == "scalar" and not isinstance(key, (str, int, float, bool)):
                raise self.fail(f"{path}.{key}", "keys must be strings, numbers or booleans")
            out[key] = self.number(weight, f"{path}.{key}", 0.0)
        if sum(out.values()) <= 0:
            raise self.fail(path, "weights must not all be zero")
        return out


def kind_of(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
