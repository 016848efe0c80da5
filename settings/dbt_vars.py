"""The dbt vars a dataset may set: declared, with their defaults, in dbt_project.yml; checked here for every caller.

A scenario file, an import mapping (its ``dbt_vars:`` section) and a vars file given to the pipeline all carry dbt
vars. Each is checked against what dbt_project.yml declares before dbt runs, so a misspelt name or a value of the
wrong kind is one clear line, not a build that quietly falls back to a default or fails half-way.

A value must be of the kind of its default: a list where the default is a list (holding what the default's items
are), text where it is text, a number where it is a number, a boolean where it is a boolean. Where the default is
null the value may be null or any single value (text, number, boolean).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from settings.errors import SettingsError
from settings.paths import DBT_PROJECT_FILE


class DbtVarsError(SettingsError):
    """dbt vars that dbt_project.yml does not declare, or a value not of its default's kind."""


def declared_vars() -> dict[str, Any]:
    """Every var dbt_project.yml declares, name -> default, in the file's order (a fresh copy on each call)."""
    return {name: _copy(default) for name, default in _read_declared(DBT_PROJECT_FILE).items()}


@lru_cache(maxsize=4)
def _read_declared(project_file: Path) -> dict[str, Any]:
    try:
        project = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"cannot read the declared dbt vars from {project_file}: {exc}") from exc
    declared = project.get("vars") if isinstance(project, dict) else None
    if not isinstance(declared, dict) or not declared:
        raise SettingsError(f"{project_file} declares no vars (expected a `vars:` mapping)")
    return declared


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


def check_dbt_vars(values: Any, where: str) -> dict[str, Any]:
    """``values`` as a dict when every name is a declared var and every value fits its default; else DbtVarsError.

    ``where`` says where the values come from (a file, ``a scenario file x.yaml``); it starts the error message.
    None (no vars at all) gives an empty dict.
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise DbtVarsError(f"{where}: dbt_vars must be a mapping of dbt var names to values, got {_kind(values)}")
    declared = declared_vars()
    for name, value in values.items():
        if name not in declared:
            raise DbtVarsError(
                f"{where}: unknown key {name!r} in dbt_vars (dbt_project.yml defines: {', '.join(declared)})"
            )
        expected = _mismatch(value, declared[name])
        if expected is not None:
            raise DbtVarsError(
                f"{where}: dbt_vars.{name} must be {expected} like its default {declared[name]!r}, got {_kind(value)}"
            )
    return dict(values)


def _mismatch(value: Any, default: Any) -> str | None:
    """What ``value`` should have been (``a list``, ``text``, ...) when it does not fit ``default``; else None."""
    if default is None:
        return None if value is None or _is_scalar(value) else "null or a single value"
    if isinstance(default, list):
        if not isinstance(value, list):
            return "a list"
        if default:
            item = _scalar_kind(default[0])
            if any(_scalar_kind(v) != item for v in value):
                return f"a list of {_PLURAL[item]}"
        elif not all(_is_scalar(v) for v in value):
            return "a list of single values"
        return None
    if isinstance(default, dict):
        return None if isinstance(value, dict) else "a mapping"
    kind = _scalar_kind(default)
    return None if _scalar_kind(value) == kind else _SINGULAR[kind]


_SINGULAR = {"text": "text", "number": "a number", "boolean": "a boolean", "other": "a single value"}
_PLURAL = {"text": "text", "number": "numbers", "boolean": "booleans", "other": "single values"}


def _scalar_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number" if math.isfinite(value) else "other"
    if isinstance(value, str):
        return "text"
    return "other"


def _is_scalar(value: Any) -> bool:
    return _scalar_kind(value) != "other"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
