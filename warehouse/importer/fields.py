"""The mapping's building blocks as typed, frozen values, and the checks that make them: one mapped field, a
timestamp's formats, the properties JSON, and an input (files, format, quoting, encoding, pattern).

Every check raises :class:`MappingError` naming the mapping file and the key. :mod:`warehouse.importer.mapping`
assembles these into the whole :class:`~warehouse.importer.mapping.Mapping`.
"""

from __future__ import annotations

import os
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from warehouse.errors import InputError

FORMATS = ("csv", "delimited", "ndjson", "parquet")
TIMESTAMP_FIELDS = ("occurred_at", "created_at")
SPECIAL_FORMATS = ("auto", "epoch_s", "epoch_ms")
INPUT_KEYS = ("path", "pattern", "format", "delimiter", "quote", "header", "columns", "encoding")
FIELD_KEYS = ("column", "columns", "separator", "value", "format", "time_zone", "date_only_time")
ENV_REFERENCE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


class MappingError(InputError):
    """The mapping file is wrong (exit code 2)."""


class _Keyed:
    """``value["key"]`` and ``value.get("key")`` read attributes: callers written for the mapping as a dict."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)


@dataclass(frozen=True)
class TimestampSpec(_Keyed):
    """How a timestamp field's text is read: strptime formats (or auto / epoch_s / epoch_ms), the zone of naive
    times, and the time of day given to date-only values (seconds after midnight)."""

    format: tuple[str, ...] = ("auto",)
    time_zone: str = "UTC"
    date_only_seconds: int = 0

    def describe(self) -> str:
        return "ISO 8601" if self.format == ("auto",) else " or ".join(self.format)


@dataclass(frozen=True)
class FieldSpec(_Keyed):
    """One mapped field: the text of ``columns`` (joined by ``separator``) or a constant ``value``."""

    columns: tuple[str, ...] | None = None
    value: str | None = None
    separator: str = " "
    timestamp: TimestampSpec | None = None

    def describe(self) -> str:
        return f"value {self.value!r}" if self.value is not None else "column " + " + ".join(self.columns or ())


@dataclass(frozen=True)
class FieldMap(_Keyed):
    """The mapped fields of events or of users: contract column -> field, and the properties JSON
    (key -> input column)."""

    fields: dict[str, FieldSpec]
    properties: dict[str, str]

    def __contains__(self, name: str) -> bool:
        return name in self.fields or (name == "properties" and bool(self.properties))

    def __bool__(self) -> bool:
        return bool(self.fields or self.properties)

    def columns(self) -> list[tuple[str, str]]:
        """``(field name, input column)`` of every mapped column."""
        out = [(name, c) for name, spec in self.fields.items() for c in spec.columns or ()]
        return out + [(f"properties.{k}", c) for k, c in self.properties.items()]


@dataclass(frozen=True)
class InputSpec(_Keyed):
    """Where records are and how they are written."""

    path: Path
    pattern: str | None
    format: str
    delimiter: str | None
    quote: str | None
    header: bool
    columns: tuple[str, ...] | None
    encoding: str

    @property
    def is_text(self) -> bool:
        return self.format in ("csv", "delimited")


def where(path: Path, key: str) -> str:
    return f"{path}: {key}" if key else str(path)


def check_keys(value: Any, allowed: tuple[str, ...], path: Path, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{where(path, key or 'top level')} must be a mapping of keys, got {type(value).__name__}")
    for k in value:
        if k not in allowed:
            place = f"in {key}" if key else "at the top level"
            raise MappingError(f"{path}: unknown key {k!r} {place} (allowed: {', '.join(allowed)})")
    return value


def string_list(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise MappingError(f"{where(path, key)} must be a column name or a non-empty list of column names")
    return tuple(value)


def field_spec(value: Any, path: Path, key: str, name: str) -> FieldSpec:
    """One mapped field: a column name, or a mapping with column/columns/value (+ timestamp options)."""
    if isinstance(value, str):
        value = {"column": value}
    spec = check_keys(value, FIELD_KEYS, path, key)
    sources = [k for k in ("column", "columns", "value") if k in spec]
    if len(sources) != 1:
        raise MappingError(f"{where(path, key)}: give exactly one of column, columns or value")
    columns, constant = None, None
    if "value" in spec:
        if not isinstance(spec["value"], str | int | float):
            raise MappingError(f"{where(path, key + '.value')} must be a plain value")
        constant = str(spec["value"])
    else:
        columns = string_list(spec.get("column", spec.get("columns")), path, key)
    separator = spec.get("separator", " ")
    if not isinstance(separator, str):
        raise MappingError(f"{where(path, key + '.separator')} must be text")
    ts_keys = [k for k in ("format", "time_zone", "date_only_time") if k in spec]
    if ts_keys and name not in TIMESTAMP_FIELDS:
        raise MappingError(f"{where(path, key)}: {ts_keys[0]} applies to timestamps only")
    timestamp = timestamp_spec(spec, path, key) if name in TIMESTAMP_FIELDS else None
    return FieldSpec(columns, constant, separator, timestamp)


def _formats(spec: dict[str, Any], path: Path, key: str) -> tuple[str, ...]:
    formats = spec.get("format", "auto")
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, list) or not formats or not all(isinstance(f, str) and f for f in formats):
        raise MappingError(
            f"{where(path, key + '.format')} must be a strptime format, a list of them, or one of"
            f" {', '.join(SPECIAL_FORMATS)}"
        )
    special = [f for f in formats if f in SPECIAL_FORMATS]
    if special and len(formats) > 1:
        raise MappingError(f"{where(path, key + '.format')}: {special[0]} cannot be combined with other formats")
    if not special:
        with duckdb.connect() as con:
            for fmt in formats:
                try:
                    con.execute("select try_strptime('', ?)", [fmt]).fetchall()
                except duckdb.Error as exc:
                    raise MappingError(
                        f"{where(path, key + '.format')}: {fmt!r} is not a valid strptime format"
                        f" ({str(exc).splitlines()[0]})"
                    ) from None
    return tuple(formats)


def timestamp_spec(spec: dict[str, Any], path: Path, key: str) -> TimestampSpec:
    formats = _formats(spec, path, key)
    time_zone = spec.get("time_zone", "UTC")
    try:
        zoneinfo.ZoneInfo(str(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"{where(path, key + '.time_zone')}: unknown time zone {time_zone!r}"
            " (use an IANA name such as UTC or Europe/Berlin)"
        ) from None
    offset_seconds = 0
    if "date_only_time" in spec:
        text = str(spec["date_only_time"])
        m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
        if not m or int(m[1]) > 23 or int(m[2]) > 59 or int(m[3] or 0) > 59:
            raise MappingError(f"{where(path, key + '.date_only_time')} must be a time of day HH:MM[:SS], got {text!r}")
        timed = [f for f in formats if f in SPECIAL_FORMATS or re.search(r"%[HIMSTXcfpzZ]", f)]
        if timed:
            raise MappingError(
                f"{where(path, key + '.date_only_time')} needs date-only formats, {timed[0]!r} has a time"
            )
        offset_seconds = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)
    return TimestampSpec(formats, str(time_zone), offset_seconds)


def properties_spec(value: Any, path: Path, key: str) -> dict[str, str]:
    """``[col, ...]`` or ``{key: col}`` -> ``{json key: column}``."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        if not all(isinstance(v, str) and v for v in value):
            raise MappingError(f"{where(path, key)} must list column names")
        return {v.lstrip("$.").split(".")[-1] if v.startswith("$") else v: v for v in value}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(v, str) or not v:
                raise MappingError(f"{where(path, key + '.' + str(k))} must be a column name")
            out[str(k)] = v
        return out
    raise MappingError(f"{where(path, key)} must be a list of columns or a mapping of key: column")


def field_map(value: Any, allowed: tuple[str, ...], path: Path, key: str, extra: tuple[str, ...] = ()) -> FieldMap:
    spec = check_keys(value, allowed + extra, path, key)
    fields: dict[str, FieldSpec] = {}
    properties: dict[str, str] = {}
    for name, v in spec.items():
        if name in extra:
            continue
        if name == "properties":
            properties = properties_spec(v, path, f"{key}.{name}")
        else:
            fields[name] = field_spec(v, path, f"{key}.{name}", name)
    return FieldMap(fields, properties)


def expand_env(text: str) -> str:
    """``$VAR`` and ``${VAR}`` from the environment, and ``${VAR:-default}`` (the default when VAR is unset or
    empty), as in a shell. A reference to an unset variable without a default is left as written."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        found = os.environ.get(name)
        if found:
            return found
        if match.group(2) is not None:
            return match.group(2)
        return match.group(0)

    return ENV_REFERENCE.sub(value, text)


def guess_format(name: str) -> str | None:
    name = name.lower().removesuffix(".gz")
    for suffixes, fmt in (
        ((".csv", ".tsv"), "csv"),
        ((".ndjson", ".jsonl", ".json"), "ndjson"),
        ((".parquet",), "parquet"),
    ):
        if name.endswith(suffixes):
            return fmt
    return None


def _pattern(spec: dict[str, Any], path: Path, key: str) -> str | None:
    """A glob inside the input folder: relative, without ``..`` (issue: patterns reaching outside are refused)."""
    pattern = spec.get("pattern")
    if pattern is None:
        return None
    if not isinstance(pattern, str) or not pattern:
        raise MappingError(f"{where(path, key + '.pattern')} must be a glob such as '*.csv.gz'")
    parts = PurePosixPath(pattern.replace("\\", "/")).parts
    if pattern.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", pattern) or ".." in parts:
        raise MappingError(
            f"{where(path, key + '.pattern')}: {pattern!r} reaches outside input.path; a pattern names files"
            " inside the input folder (relative, no '..')"
        )
    return pattern


def _quoting(spec: dict[str, Any], fmt: str, pattern: str | None, name: str, path: Path, key: str) -> tuple:
    tsv = (pattern or name).removesuffix(".gz").endswith(".tsv")
    delimiter = spec.get("delimiter", ("\t" if tsv else ",") if fmt == "csv" else None)
    if fmt in ("csv", "delimited"):
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise MappingError(f"{where(path, key + '.delimiter')} must be one character (format {fmt})")
        if delimiter in "\r\n":
            raise MappingError(f"{where(path, key + '.delimiter')} cannot be a line break")
    elif "delimiter" in spec or "quote" in spec:
        raise MappingError(f"{where(path, key)}: delimiter and quote apply to csv and delimited formats only")
    quote = spec.get("quote", '"' if fmt == "csv" else None)
    if quote is not None and (not isinstance(quote, str) or len(quote) != 1 or quote == delimiter or quote in "\r\n"):
        raise MappingError(f"{where(path, key + '.quote')} must be one character other than the delimiter, or null")
    return delimiter, quote


def input_spec(value: Any, base: Path, path: Path, key: str) -> InputSpec:
    spec = check_keys(value, INPUT_KEYS, path, key)
    if "path" not in spec or not isinstance(spec["path"], str):
        raise MappingError(f"{where(path, key)}: path (a file or folder, relative to the mapping) is required")
    location = Path(expand_env(spec["path"])).expanduser()
    location = Path(os.path.normpath(location if location.is_absolute() else (base / location)))
    pattern = _pattern(spec, path, key)
    fmt = spec.get("format") or guess_format(pattern or location.name)
    if fmt is None:
        raise MappingError(
            f"{where(path, key)}: cannot tell the format of {location.name!r};"
            f" set format to one of {', '.join(FORMATS)}"
        )
    if fmt not in FORMATS:
        raise MappingError(f"{where(path, key + '.format')}: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    delimiter, quote = _quoting(spec, fmt, pattern, location.name, path, key)
    header = spec.get("header", fmt == "csv")
    if not isinstance(header, bool):
        raise MappingError(f"{where(path, key + '.header')} must be true or false")
    if header and fmt not in ("csv", "delimited"):
        raise MappingError(f"{where(path, key + '.header')} applies to csv and delimited formats only")
    columns = spec.get("columns")
    if columns is not None:
        columns = string_list(columns, path, key + ".columns")
        if header:
            raise MappingError(
                f"{where(path, key + '.columns')}: the files have a header; columns are for header-less files"
            )
    encoding = spec.get("encoding", "utf-8")
    try:
        "".encode(encoding)
    except (LookupError, TypeError):
        raise MappingError(f"{where(path, key + '.encoding')}: unknown encoding {encoding!r}") from None
    return InputSpec(location, pattern, fmt, delimiter, quote, header, columns, encoding)
