"""The `dbt` Jinja namespace for linting: type macros render a type name, every other macro renders a call."""

from __future__ import annotations

from typing import Any

_TYPES = {
    "type_string": "varchar",
    "type_timestamp": "timestamp",
    "type_numeric": "numeric(28, 6)",
    "type_float": "double precision",
    "type_int": "integer",
    "type_bigint": "bigint",
    "type_boolean": "boolean",
}


def _call(name: str, *args: Any, **kwargs: Any) -> str:
    parts = [str(a) for a in args] + [str(v) for v in kwargs.values()]
    return f"{name}({', '.join(parts)})"


def cast(expression: Any, data_type: Any) -> str:
    return f"cast({expression} as {data_type})"


def safe_cast(expression: Any, data_type: Any) -> str:
    return f"cast({expression} as {data_type})"


def string_literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def generate_series(upper_bound: Any) -> str:
    return "select 1 as generated_number"


def date_spine(datepart: Any, start_date: Any, end_date: Any) -> str:
    return f"select cast(null as date) as date_{datepart}"


def __getattr__(name: str) -> Any:
    if name in _TYPES:
        return lambda *args, **kwargs: _TYPES[name]
    if name.startswith("__"):
        raise AttributeError(name)
    return lambda *args, **kwargs: _call(name, *args, **kwargs)
