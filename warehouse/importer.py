"""Bring your own events: read an event export described by a mapping YAML into schema ``raw``.

The export may be CSV, another delimited text (space, tab, ...), NDJSON or Parquet; one file or a folder of files;
gzipped or not. The mapping (see ``docs/importing.md``) says which input column holds each contract column. The
import fills ``raw.users`` and ``raw.events`` (the other contract tables are left empty) and writes every line it
could not read to ``raw.import_rejects`` with the file, line number and reason, so that

    lines read = lines loaded + lines rejected

holds for every import (checked before anything is written). Events without an event id get one from where they
come from (``<dataset>:<file>:<line>``): re-importing a file adds nothing, and identical lines stay separate events.

How it runs: text files are split into physical lines by pyarrow (with their line numbers) and land in an in-memory
DuckDB; all parsing (field splitting, record kinds, timestamps, amounts, JSON) is vectorised SQL over those lines;
the result is written in one transaction by :func:`warehouse.load.write_raw`.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import sys
import time
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from settings.dbt_vars import DbtVarsError, check_dbt_vars
from warehouse.errors import InputError, WarehouseError
from warehouse.load import TARGETS, database_errors, write_raw

FORMATS = ("csv", "delimited", "ndjson", "parquet")
TIMESTAMP_FIELDS = ("occurred_at", "created_at")
EVENT_FIELDS = ("user_id", "event_name", "occurred_at", "event_id", "session_id", "device", "amount", "properties")
REQUIRED_EVENT_FIELDS = ("user_id", "event_name", "occurred_at")
USER_FIELDS = ("user_id", "created_at", "email", "acquisition_channel", "device", "country", "segment", "properties")
USER_ATTRIBUTES = ("email", "acquisition_channel", "device", "country", "segment", "properties")

TOP_KEYS = ("version", "name", "description", "input", "events", "record_kinds", "users", "dbt_vars")
INPUT_KEYS = ("path", "pattern", "format", "delimiter", "quote", "header", "columns", "encoding")
KIND_KEYS = ("name", "match", "columns", "events")
MATCH_KEYS = ("field_count", "column", "equals")
USERS_KEYS = ("input", "from_kind", *USER_FIELDS)
FIELD_KEYS = ("column", "columns", "separator", "value", "format", "time_zone", "date_only_time")
SPECIAL_FORMATS = ("auto", "epoch_s", "epoch_ms")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
READ_CHUNK_BYTES = 32 * 1024 * 1024
FLUSH_LINES = 2_000_000


# --------------------------------------------------------------------------------------------------------------
# Mapping: read and validate
# --------------------------------------------------------------------------------------------------------------


class MappingError(InputError):
    """The mapping file is wrong (exit code 2)."""


def _where(path: Path, key: str) -> str:
    return f"{path}: {key}" if key else str(path)


def _check_keys(value: Any, allowed: tuple[str, ...], path: Path, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MappingError(f"{_where(path, key or 'top level')} must be a mapping of keys, got {type(value).__name__}")
    for k in value:
        if k not in allowed:
            place = f"in {key}" if key else "at the top level"
            raise MappingError(f"{path}: unknown key {k!r} {place} (allowed: {', '.join(allowed)})")
    return value


def _string_list(value: Any, path: Path, key: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise MappingError(f"{_where(path, key)} must be a column name or a non-empty list of column names")
    return list(value)


def _field_spec(value: Any, path: Path, key: str, name: str) -> dict[str, Any]:
    """Normalise one mapped field: a column name, or a mapping with column/columns/value (+ timestamp options)."""
    if isinstance(value, str):
        value = {"column": value}
    spec = _check_keys(value, FIELD_KEYS, path, key)
    sources = [k for k in ("column", "columns", "value") if k in spec]
    if len(sources) != 1:
        raise MappingError(f"{_where(path, key)}: give exactly one of column, columns or value")
    out: dict[str, Any] = {"columns": None, "value": None, "separator": " "}
    if "value" in spec:
        if not isinstance(spec["value"], str | int | float):
            raise MappingError(f"{_where(path, key + '.value')} must be a plain value")
        out["value"] = str(spec["value"])
    else:
        out["columns"] = _string_list(spec.get("column", spec.get("columns")), path, key)
    if "separator" in spec:
        if not isinstance(spec["separator"], str):
            raise MappingError(f"{_where(path, key + '.separator')} must be text")
        out["separator"] = spec["separator"]
    ts_keys = [k for k in ("format", "time_zone", "date_only_time") if k in spec]
    if ts_keys and name not in TIMESTAMP_FIELDS:
        raise MappingError(f"{_where(path, key)}: {ts_keys[0]} applies to timestamps only")
    if name in TIMESTAMP_FIELDS:
        out.update(_timestamp_options(spec, path, key))
    return out


def _timestamp_options(spec: dict[str, Any], path: Path, key: str) -> dict[str, Any]:
    formats = spec.get("format", "auto")
    formats = [formats] if isinstance(formats, str) else formats
    if not isinstance(formats, list) or not formats or not all(isinstance(f, str) and f for f in formats):
        raise MappingError(
            f"{_where(path, key + '.format')} must be a strptime format, a list of them, or one of"
            f" {', '.join(SPECIAL_FORMATS)}"
        )
    special = [f for f in formats if f in SPECIAL_FORMATS]
    if special and len(formats) > 1:
        raise MappingError(f"{_where(path, key + '.format')}: {special[0]} cannot be combined with other formats")
    if not special:
        con = duckdb.connect()
        for fmt in formats:
            try:
                con.execute("select try_strptime('', ?)", [fmt]).fetchall()
            except duckdb.Error as exc:
                raise MappingError(
                    f"{_where(path, key + '.format')}: {fmt!r} is not a valid strptime format"
                    f" ({str(exc).splitlines()[0]})"
                ) from None
        con.close()
    time_zone = spec.get("time_zone", "UTC")
    try:
        zoneinfo.ZoneInfo(str(time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f"{_where(path, key + '.time_zone')}: unknown time zone {time_zone!r}"
            " (use an IANA name such as UTC or Europe/Berlin)"
        ) from None
    offset_seconds = 0
    if "date_only_time" in spec:
        text = str(spec["date_only_time"])
        m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", text)
        if not m or int(m[1]) > 23 or int(m[2]) > 59 or int(m[3] or 0) > 59:
            raise MappingError(
                f"{_where(path, key + '.date_only_time')} must be a time of day HH:MM[:SS], got {text!r}"
            )
        timed = [f for f in formats if f in SPECIAL_FORMATS or re.search(r"%[HIMSTXcfpzZ]", f)]
        if timed:
            raise MappingError(
                f"{_where(path, key + '.date_only_time')} needs date-only formats, {timed[0]!r} has a time"
            )
        offset_seconds = int(m[1]) * 3600 + int(m[2]) * 60 + int(m[3] or 0)
    return {"format": formats, "time_zone": str(time_zone), "date_only_seconds": offset_seconds}


def _properties_spec(value: Any, path: Path, key: str) -> dict[str, list[str]]:
    """``[col, ...]`` or ``{key: col}`` -> ``{json key: [column]}``."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        if not all(isinstance(v, str) and v for v in value):
            raise MappingError(f"{_where(path, key)} must list column names")
        return {v.lstrip("$.").split(".")[-1] if v.startswith("$") else v: [v] for v in value}
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(v, str) or not v:
                raise MappingError(f"{_where(path, key + '.' + str(k))} must be a column name")
            out[str(k)] = [v]
        return out
    raise MappingError(f"{_where(path, key)} must be a list of columns or a mapping of key: column")


def _fields(value: Any, allowed: tuple[str, ...], path: Path, key: str, extra: tuple[str, ...] = ()) -> dict:
    spec = _check_keys(value, allowed + extra, path, key)
    out: dict[str, Any] = {}
    for name, v in spec.items():
        if name in extra:
            continue
        if name == "properties":
            out[name] = _properties_spec(v, path, f"{key}.{name}")
        else:
            out[name] = _field_spec(v, path, f"{key}.{name}", name)
    return out


ENV_REFERENCE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


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


def _input_spec(value: Any, base: Path, path: Path, key: str) -> dict[str, Any]:
    spec = _check_keys(value, INPUT_KEYS, path, key)
    if "path" not in spec or not isinstance(spec["path"], str):
        raise MappingError(f"{_where(path, key)}: path (a file or folder, relative to the mapping) is required")
    location = Path(expand_env(spec["path"])).expanduser()
    location = location if location.is_absolute() else (base / location)
    location = Path(os.path.normpath(location))
    pattern = spec.get("pattern")
    if pattern is not None and not isinstance(pattern, str):
        raise MappingError(f"{_where(path, key + '.pattern')} must be a glob such as '*.csv.gz'")
    fmt = spec.get("format") or _guess_format(pattern or location.name)
    if fmt is None:
        raise MappingError(
            f"{_where(path, key)}: cannot tell the format of {location.name!r}; set format to one of"
            f" {', '.join(FORMATS)}"
        )
    if fmt not in FORMATS:
        raise MappingError(f"{_where(path, key + '.format')}: unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    tsv = (pattern or location.name).removesuffix(".gz").endswith(".tsv")
    delimiter = spec.get("delimiter", ("\t" if tsv else ",") if fmt == "csv" else None)
    if fmt in ("csv", "delimited"):
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise MappingError(f"{_where(path, key + '.delimiter')} must be one character (format {fmt})")
    elif "delimiter" in spec or "quote" in spec:
        raise MappingError(f"{_where(path, key)}: delimiter and quote apply to csv and delimited formats only")
    quote = spec.get("quote", '"' if fmt == "csv" else None)
    if quote is not None and (not isinstance(quote, str) or len(quote) != 1 or quote == delimiter):
        raise MappingError(f"{_where(path, key + '.quote')} must be one character other than the delimiter, or null")
    header = spec.get("header", fmt == "csv")
    if not isinstance(header, bool):
        raise MappingError(f"{_where(path, key + '.header')} must be true or false")
    if header and fmt not in ("csv", "delimited"):
        raise MappingError(f"{_where(path, key + '.header')} applies to csv and delimited formats only")
    columns = spec.get("columns")
    if columns is not None:
        columns = _string_list(columns, path, key + ".columns")
        if header:
            raise MappingError(
                f"{_where(path, key + '.columns')}: the files have a header; columns are for header-less files"
            )
    encoding = spec.get("encoding", "utf-8")
    try:
        "".encode(encoding)
    except (LookupError, TypeError):
        raise MappingError(f"{_where(path, key + '.encoding')}: unknown encoding {encoding!r}") from None
    return {
        "path": location,
        "pattern": pattern,
        "format": fmt,
        "delimiter": delimiter,
        "quote": quote,
        "header": header,
        "columns": columns,
        "encoding": encoding,
    }


def _guess_format(name: str) -> str | None:
    name = name.lower().removesuffix(".gz")
    for suffixes, fmt in (
        ((".csv", ".tsv"), "csv"),
        ((".ndjson", ".jsonl", ".json"), "ndjson"),
        ((".parquet",), "parquet"),
    ):
        if name.endswith(suffixes):
            return fmt
    return None


def _dbt_vars(value: Any, path: Path) -> dict[str, Any]:
    try:
        return check_dbt_vars(value, str(path))
    except DbtVarsError as exc:
        raise MappingError(str(exc)) from None


def read_mapping(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a mapping YAML; return it normalised (defaults filled, paths absolute).

    Keys of the result: ``name``, ``description``, ``mapping_path``, ``input`` (path, pattern, format, delimiter,
    quote, header, columns, encoding), ``record_kinds`` (list of {name, match, columns, events}), ``users``
    ({mode: derive|kind|input, from_kind, input, fields}) and ``dbt_vars`` (the dataset's dbt vars, as written).
    Raises :class:`MappingError` (an :class:`InputError`) naming the key at the first problem.
    """
    mapping_path = Path(path).resolve()
    try:
        raw = yaml.safe_load(mapping_path.read_text())
    except OSError as exc:
        raise MappingError(f"{mapping_path}: cannot read the mapping ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{mapping_path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    doc = _check_keys(raw, TOP_KEYS, mapping_path, "")
    base = mapping_path.parent
    if doc.get("version", 1) != 1:
        raise MappingError(f"{mapping_path}: version {doc.get('version')!r} is not supported (expected 1)")
    name = doc.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise MappingError(
            f"{mapping_path}: name is required: a short dataset name (letters, digits, _ . -),"
            " used as the prefix of derived event ids"
        )
    if "input" not in doc:
        raise MappingError(f"{mapping_path}: input is required (path, format, ...)")
    inp = _input_spec(doc["input"], base, mapping_path, "input")

    if ("events" in doc) == ("record_kinds" in doc):
        raise MappingError(f"{mapping_path}: give either events (one kind of record) or record_kinds (several)")
    kinds: list[dict[str, Any]] = []
    if "events" in doc:
        kinds.append(
            {
                "name": "events",
                "match": None,
                "columns": inp["columns"],
                "events": _fields(doc["events"], EVENT_FIELDS, mapping_path, "events"),
            }
        )
    else:
        if not isinstance(doc["record_kinds"], list) or not doc["record_kinds"]:
            raise MappingError(f"{mapping_path}: record_kinds must be a non-empty list of kinds")
        for i, item in enumerate(doc["record_kinds"]):
            key = f"record_kinds[{i}]"
            kind = _check_keys(item, KIND_KEYS, mapping_path, key)
            kname = kind.get("name")
            if not isinstance(kname, str) or not NAME_RE.match(kname):
                raise MappingError(f"{mapping_path}: {key}.name is required (letters, digits, _ . -)")
            key = f"record_kinds.{kname}"
            if "match" not in kind:
                raise MappingError(f"{mapping_path}: {key}.match is required (field_count and/or column + equals)")
            match = _check_keys(kind["match"], MATCH_KEYS, mapping_path, key + ".match")
            if not match or ("column" in match) != ("equals" in match):
                raise MappingError(f"{mapping_path}: {key}.match needs field_count, or column with equals")
            if "field_count" in match and (not isinstance(match["field_count"], int) or match["field_count"] < 1):
                raise MappingError(f"{mapping_path}: {key}.match.field_count must be a positive whole number")
            if "field_count" in match and inp["format"] not in ("csv", "delimited"):
                raise MappingError(f"{mapping_path}: {key}.match.field_count applies to csv and delimited formats")
            equals = match.get("equals")
            if equals is not None:
                equals = [str(e) for e in (equals if isinstance(equals, list) else [equals])]
            columns = kind.get("columns", inp["columns"])
            if columns is not None:
                columns = _string_list(columns, mapping_path, key + ".columns")
                if "field_count" in match and len(columns) != match["field_count"]:
                    raise MappingError(
                        f"{mapping_path}: {key}.columns lists {len(columns)} names but"
                        f" match.field_count is {match['field_count']}"
                    )
            events = _fields(kind["events"], EVENT_FIELDS, mapping_path, key + ".events") if "events" in kind else None
            kinds.append(
                {
                    "name": kname,
                    "match": {"field_count": match.get("field_count"), "column": match.get("column"), "equals": equals},
                    "columns": columns,
                    "events": events,
                }
            )
        names = [k["name"] for k in kinds]
        if len(set(names)) != len(names):
            raise MappingError(f"{mapping_path}: record_kinds names must be unique")

    users = _users_spec(doc.get("users"), kinds, base, mapping_path)
    for kind in kinds:
        key = "events" if kind["match"] is None else f"record_kinds.{kind['name']}.events"
        if kind["events"] is not None:
            missing = [f for f in REQUIRED_EVENT_FIELDS if f not in kind["events"]]
            if missing:
                raise MappingError(f"{mapping_path}: {key}.{missing[0]} is required")
        elif not (users["mode"] == "kind" and users["from_kind"] == kind["name"]):
            raise MappingError(f"{mapping_path}: record_kinds.{kind['name']} has no events and is not users.from_kind")
    if inp["format"] in ("csv", "delimited") and not inp["header"]:
        for kind in kinds:
            _check_known_columns(kind, users, mapping_path)
    return {
        "version": 1,
        "name": name,
        "description": doc.get("description"),
        "mapping_path": mapping_path,
        "input": inp,
        "record_kinds": kinds,
        "users": users,
        "dbt_vars": _dbt_vars(doc.get("dbt_vars"), mapping_path),
    }


def _users_spec(value: Any, kinds: list[dict], base: Path, path: Path) -> dict[str, Any]:
    if value is None:
        return {"mode": "derive", "from_kind": None, "input": None, "fields": {}}
    spec = _check_keys(value, USERS_KEYS, path, "users")
    if "input" in spec and "from_kind" in spec:
        raise MappingError(f"{path}: users takes input (their own file) or from_kind, not both")
    fields = _fields(spec, USERS_KEYS, path, "users", extra=("input", "from_kind"))
    if "input" in spec:
        missing = [f for f in ("user_id", "created_at") if f not in fields]
        if missing:
            raise MappingError(f"{path}: users.{missing[0]} is required when users have their own input")
        return {
            "mode": "input",
            "from_kind": None,
            "input": _input_spec(spec["input"], base, path, "users.input"),
            "fields": fields,
        }
    if "from_kind" in spec:
        kind = next((k for k in kinds if k["name"] == spec["from_kind"]), None)
        if kind is None:
            raise MappingError(f"{path}: users.from_kind {spec['from_kind']!r} is not one of the record_kinds")
        for f, ev in (("user_id", "user_id"), ("created_at", "occurred_at")):
            if f not in fields:
                if not kind["events"] or ev not in kind["events"]:
                    raise MappingError(f"{path}: users.{f} is required (kind {kind['name']} has no events.{ev})")
                fields[f] = kind["events"][ev]
        return {"mode": "kind", "from_kind": kind["name"], "input": None, "fields": fields}
    derived = [f for f in ("user_id", "created_at") if f in fields]
    if derived:
        raise MappingError(
            f"{path}: users.{derived[0]} comes from the events when users are derived"
            " (give users.input or users.from_kind to read it)"
        )
    if fields and len(kinds) > 1:
        raise MappingError(
            f"{path}: with record_kinds, user attributes need users.from_kind (the kind that holds them)"
        )
    return {"mode": "derive", "from_kind": None, "input": None, "fields": fields}


def _spec_columns(specs: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for name, spec in specs.items():
        if name == "properties":
            out += [(f"properties.{k}", cols[0]) for k, cols in spec.items()]
        elif spec["columns"]:
            out += [(name, c) for c in spec["columns"]]
    return out


def _check_known_columns(kind: dict[str, Any], users: dict[str, Any], path: Path) -> None:
    where = "input" if kind["match"] is None else f"record_kinds.{kind['name']}"
    if kind["columns"] is None:
        raise MappingError(f"{path}: {where}.columns is required: the files have no header to name the fields")
    specs = dict(kind["events"] or {})
    mapped = [(f"events.{n}", c) for n, c in _spec_columns(specs)]
    if users["mode"] == "derive" or users["from_kind"] == kind["name"]:
        mapped += [(f"users.{n}", c) for n, c in _spec_columns(users["fields"])]
    if kind["match"] and kind["match"]["column"]:
        mapped.append(("match.column", kind["match"]["column"]))
    for key, col in mapped:
        if col not in kind["columns"]:
            raise MappingError(
                f"{path}: {key} names column {col!r}, which is not in {where}.columns ({', '.join(kind['columns'])})"
            )


# --------------------------------------------------------------------------------------------------------------
# Input files -> lines
# --------------------------------------------------------------------------------------------------------------


def _natural_key(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def list_files(inp: dict[str, Any]) -> list[tuple[str, Path]]:
    """``(name, path)`` of every input file in natural order; name is relative to the input folder."""
    location: Path = inp["path"]
    if location.is_file():
        return [(location.name, location)]
    if not location.is_dir():
        raise InputError(f"input {location} does not exist")
    pattern = inp["pattern"] or "*"
    files = [p for p in location.rglob(pattern) if p.is_file() and not p.name.startswith(".")]
    if not files:
        raise InputError(f"input {location} has no files matching {pattern!r}")
    named = [(p.relative_to(location).as_posix(), p) for p in files]
    return sorted(named, key=lambda item: _natural_key(item[0]))


def _open(path: Path):  # noqa: ANN202 - binary file object
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


def iter_line_chunks(path: Path, encoding: str):  # noqa: ANN201 - generator
    """Yield ``(first_line_number, lines)`` chunks of a text file (gzip or not) as Arrow string arrays."""
    line_no = 1
    carry = b""
    with _open(path) as handle:
        while True:
            try:
                block = handle.read(READ_CHUNK_BYTES)
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise InputError(f"{path}: cannot read ({exc})") from None
            data = carry + block
            if not data:
                return
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                bad_line = line_no + data[: exc.start].count(b"\n")
                raise InputError(
                    f"{path}: line {bad_line} is not valid {encoding} ({exc.reason}); set input.encoding in the mapping"
                ) from None
            if line_no == 1 and text.startswith("\ufeff"):
                text = text[1:]
            lines = pc.split_pattern(pa.array([text], pa.large_string()), "\n").flatten()
            if text.endswith("\n"):
                lines = lines.slice(0, len(lines) - 1)
            if "\r" in text:
                lines = pc.utf8_rtrim(lines, characters="\r")
            yield line_no, lines.cast(pa.string())
            line_no += len(lines)
            if not block:
                return


class _Progress:
    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.last = 0.0

    def __call__(self, message: str, force: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if force or now - self.last >= 1.0:
            self.last = now
            print(message, file=sys.stderr, flush=True)


@dataclass
class _Source:
    """One input (the events export, or the users' own file) once read into the staging database."""

    role: str
    inp: dict[str, Any]
    kinds: list[dict[str, Any]]
    files: list[tuple[int, str, Path]] = field(default_factory=list)
    headers: dict[int, list[str]] = field(default_factory=dict)
    empty_files: list[str] = field(default_factory=list)
    blank_lines: int = 0


def _parse_header(line: str, inp: dict[str, Any]) -> list[str]:
    if inp["quote"]:
        return [c.strip() for c in next(csv.reader([line], delimiter=inp["delimiter"], quotechar=inp["quote"]))]
    return [c.strip() for c in line.split(inp["delimiter"])]


def _read_source(con: duckdb.DuckDBPyConnection, source: _Source, first_file_id: int, progress: _Progress) -> int:
    """Read every file of ``source`` into table ``__lines``; return the next free file id."""
    files = list_files(source.inp)
    fmt = source.inp["format"]
    pending: list[pa.Table] = []
    pending_rows = 0
    total_lines = 0

    def flush() -> None:
        nonlocal pending, pending_rows
        if pending:
            batch = pa.concat_tables(pending)  # noqa: F841 - read by DuckDB's replacement scan
            con.execute("insert into __lines select * from batch")
        pending, pending_rows = [], 0

    file_id = first_file_id
    for index, (name, path) in enumerate(files, start=1):
        source.files.append((file_id, name, path))
        if fmt == "parquet":
            total_lines += _read_parquet_rows(con, source, file_id, name, path)
        else:
            got_any = False
            for first, lines in iter_line_chunks(path, source.inp["encoding"]):
                got_any = got_any or len(lines) > 0
                numbers = pa.array(np.arange(first, first + len(lines), dtype=np.int64))
                if first == 1 and source.inp["header"] and len(lines):
                    source.headers[file_id] = _parse_header(lines[0].as_py(), source.inp)
                    lines, numbers = lines.slice(1), numbers.slice(1)
                # Empty lines are not records: skipped and counted. (A line of spaces is a record, and is
                # rejected as such if it does not parse.)
                keep = pc.greater(pc.binary_length(lines), 0)
                kept = lines.filter(keep)
                source.blank_lines += len(lines) - len(kept)
                pending.append(
                    pa.table(
                        {
                            "file_id": pa.array(np.full(len(kept), file_id, dtype=np.int32)),
                            "line_no": numbers.filter(keep),
                            "line": kept,
                        }
                    )
                )
                pending_rows += len(kept)
                total_lines += len(kept)
                if pending_rows >= FLUSH_LINES:
                    flush()
            if not got_any:
                source.empty_files.append(name)
        progress(f"  read {index}/{len(files)} files, {total_lines:,} lines ({name})", force=index == len(files))
        file_id += 1
    flush()
    return file_id


def _read_parquet_rows(con: duckdb.DuckDBPyConnection, source: _Source, file_id: int, name: str, path: Path) -> int:
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # noqa: BLE001 - any read failure is bad input
        raise InputError(f"{path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    source.headers[file_id] = list(schema.names)
    if not schema.names:
        source.empty_files.append(name)
        return 0
    struct = ", ".join(f"{_sql_str(c)}: {_ident(c)}" for c in schema.names)
    before = con.execute("select count(*) from __lines").fetchone()[0]
    con.execute(
        f"insert into __lines select {file_id}, file_row_number + 1, to_json({{{struct}}})::varchar"
        f" from read_parquet({_sql_str(str(path))}, file_row_number = true)"
    )
    rows = con.execute("select count(*) from __lines").fetchone()[0] - before
    if rows == 0:
        source.empty_files.append(name)
    return rows


# --------------------------------------------------------------------------------------------------------------
# Parsing SQL
# --------------------------------------------------------------------------------------------------------------


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _Accessor:
    """SQL for 'the text of column X' in one kind of record, for one group of files.

    Delimited text uses the list of fields ``f`` that :func:`_split_sql` builds once per line; JSON lines (and
    Parquet rows, read as JSON) use ``json_extract_string``.
    """

    def __init__(self, inp: dict[str, Any], columns: list[str] | None, where: str) -> None:
        self.inp = inp
        self.columns = columns
        self.where = where

    def __call__(self, column: str) -> str:
        if self.inp["format"] in ("ndjson", "parquet"):
            return f"json_extract_string(line, {_sql_str(_json_path(column))})"
        assert self.columns is not None
        if column not in self.columns:
            raise InputError(f"column {column!r} is not in {self.where} ({', '.join(self.columns)})")
        return f"f[{self.columns.index(column) + 1}]"


def _json_path(column: str) -> str:
    return column if column.startswith("$") else "$." + '"' + column.replace('"', '\\"') + '"'


def _split_sql(inp: dict[str, Any]) -> tuple[str, str, str]:
    """(fields list or null, field count, malformed quoting) SQL expressions for one line of delimited text."""
    d, q = inp["delimiter"], inp["quote"]
    if not q:
        return f"string_split(line, {_sql_str(d)})", "len(f)", "false"
    dr, qr = re.escape(d), re.escape(q)
    pattern = f"(?:^|{dr})({qr}(?:[^{qr}]|{qr}{qr})*{qr}|[^{dr}]*)"
    raw = f"regexp_extract_all(line, {_sql_str(pattern)}, 1)"
    unquote = (
        f"list_transform({raw}, lambda x: case when length(x) >= 2 and starts_with(x, {_sql_str(q)})"
        f" and ends_with(x, {_sql_str(q)}) then replace(x[2:-2], {_sql_str(q + q)}, {_sql_str(q)}) else x end)"
    )
    malformed = f"(list_sum(list_transform({raw}, lambda x: length(x))) + len({raw}) - 1 <> length(line))"
    return unquote, "len(f)", malformed


def _value_sql(spec: dict[str, Any], access: _Accessor) -> str:
    """Text of a mapped field, trimmed; empty means missing (null)."""
    if spec["value"] is not None:
        return _sql_str(spec["value"])
    parts = [access(c) for c in spec["columns"]]
    joined = parts[0] if len(parts) == 1 else f"concat_ws({_sql_str(spec['separator'])}, {', '.join(parts)})"
    # Fields of space-separated text cannot hold spaces: no trim needed (it is a measurable cost on big inputs).
    if access.inp["delimiter"] == " " and not access.inp["quote"]:
        return f"nullif({joined}, '')"
    return f"nullif(trim({joined}), '')"


def _timestamp_sql(spec: dict[str, Any], value: str) -> str:
    formats: list[str] = spec["format"]
    tz = spec["time_zone"]
    has_offset = False
    if formats == ["auto"]:
        offset_re = r"[T ]\d{1,2}:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
        naive = f"try_cast({value} as timestamp)"
        aware = f"timezone('UTC', try_cast({value} as timestamptz))"
        parsed = f"case when regexp_matches({value}, {_sql_str(offset_re)}) then {aware} else {naive} end"
        if tz != "UTC":
            local = f"timezone('UTC', timezone({_sql_str(tz)}, {naive}))"
            parsed = f"case when regexp_matches({value}, {_sql_str(offset_re)}) then {aware} else {local} end"
        return parsed
    if formats == ["epoch_s"] or formats == ["epoch_ms"]:
        scale = 1_000_000 if formats == ["epoch_s"] else 1_000
        number = f"try_cast({value} as double)"
        micros = f"cast(round({number} * {scale}) as bigint)"
        return f"case when abs({number}) * {scale} < 9e18 then make_timestamp({micros}) end"
    has_offset = any(re.search(r"%[zZ]", f) for f in formats)
    fmt_sql = _sql_str(formats[0]) if len(formats) == 1 else "[" + ", ".join(_sql_str(f) for f in formats) + "]"
    parsed = f"try_strptime({value}, {fmt_sql})"
    if has_offset:
        return f"timezone('UTC', {parsed})"
    if spec["date_only_seconds"]:
        parsed = f"({parsed} + to_seconds({spec['date_only_seconds']}))"
    if tz != "UTC":
        parsed = f"timezone('UTC', timezone({_sql_str(tz)}, {parsed}))"
    return parsed


def _describe_format(spec: dict[str, Any]) -> str:
    formats = spec["format"]
    text = " or ".join(formats)
    return text if formats != ["auto"] else "ISO 8601"


def _properties_sql(spec: dict[str, list[str]] | None, access: _Accessor) -> str:
    if not spec:
        return "'{}'::json"
    pairs = ", ".join(
        f"{_sql_str(k)}, {_value_sql({'value': None, 'columns': cols, 'separator': ' '}, access)}"
        for k, cols in spec.items()
    )
    return f"json_object({pairs})"


def _describe_columns(spec: dict[str, Any]) -> str:
    if spec["value"] is not None:
        return f"value {spec['value']!r}"
    return "column " + " + ".join(spec["columns"])


def _kind_select(kind: dict[str, Any], users: dict[str, Any], access: _Accessor, role: str) -> str:
    """SELECT over ``kinded`` rows of this kind giving every parsed column and the reject reason."""
    ev = kind["events"] if role == "events" else None
    user_fields: dict[str, Any] = {}
    user_role = "null"
    if role == "users" or (users["mode"] == "kind" and users["from_kind"] == kind["name"]):
        user_fields, user_role = users["fields"], "'row'"
    elif users["mode"] == "derive" and role == "events":
        user_fields, user_role = users["fields"], "'attrs'"
    cols: dict[str, str] = {c: "null" for c in PARSED_VALUE_COLUMNS}
    checks: list[tuple[str, str]] = []
    if ev is not None:
        for name in ("event_id", "user_id", "session_id", "event_name", "device", "amount"):
            if name in ev:
                cols[f"v_{name}"] = _value_sql(ev[name], access)
        ts = ev["occurred_at"]
        cols["v_occurred_at"] = _value_sql(ts, access)
        cols["occurred_at"] = _timestamp_sql(ts, "v_occurred_at")
        cols["amount"] = "try_cast(v_amount as decimal(18, 2))"
        cols["properties"] = _properties_sql(ev.get("properties"), access)
        checks += [
            ("v_user_id is null", _sql_str(f"missing user id ({_describe_columns(ev['user_id'])})")),
            ("v_event_name is null", _sql_str(f"missing event name ({_describe_columns(ev['event_name'])})")),
            ("v_occurred_at is null", _sql_str(f"missing timestamp ({_describe_columns(ts)})")),
            (
                "occurred_at is null",
                f"'unparseable timestamp ''' || v_occurred_at || ''' (expected {_describe_format(ts)})'",
            ),
        ]
        if "amount" in ev:
            checks += [
                ("v_amount is not null and amount is null", "'unparseable amount ''' || v_amount || ''''"),
                ("amount < 0", "'negative amount ' || v_amount || ' (amounts are never negative)'"),
            ]
    for name in USER_ATTRIBUTES:
        if name == "properties":
            cols["u_properties"] = _properties_sql(user_fields.get("properties"), access)
        else:
            cols[f"u_{name}"] = _value_sql(user_fields[name], access) if name in user_fields else "null"
    if user_role == "'row'":
        cols["u_user_id"] = _value_sql(user_fields["user_id"], access)
        cols["v_u_created_at"] = _value_sql(user_fields["created_at"], access)
        cols["u_created_at"] = _timestamp_sql(user_fields["created_at"], "v_u_created_at")
        created = user_fields["created_at"]
        checks += [
            ("u_user_id is null", _sql_str(f"missing user id ({_describe_columns(user_fields['user_id'])})")),
            ("v_u_created_at is null", _sql_str(f"missing sign-up time ({_describe_columns(created)})")),
            (
                "u_created_at is null",
                f"'unparseable sign-up time ''' || v_u_created_at || ''' (expected {_describe_format(created)})'",
            ),
        ]
    # Three steps, each computed once per row: text values, then typed values, then the reason (an expression
    # naming a lateral alias would be re-evaluated wherever it is named).
    typed = ("occurred_at", "amount", "u_created_at")
    text = ",\n            ".join(f"{cols[c]} as {c}" for c in PARSED_VALUE_COLUMNS if c not in typed)
    converted = ",\n            ".join(f"{cols[c]} as {c}" for c in typed)
    reason = "case " + " ".join(f"when {cond} then {text}" for cond, text in checks) + " end" if checks else "null"
    return f"""
    select
        file_id, line_no, {_sql_str(kind["name"])} as kind,
        {"true" if ev is not None else "false"} as has_event,
        {user_role} as user_role,
        {", ".join(PARSED_COLUMNS)},
        reason
    from (
        select *, {reason} as reason
        from (
            select *,
            {converted}
            from (
                select file_id, line_no,
                {text}
                from kinded
                where kind = {_sql_str(kind["name"])}
            )
        )
    )"""


def _match_sql(kind: dict[str, Any], access: _Accessor) -> str:
    match = kind["match"]
    parts = []
    if access.columns is not None and access.inp["format"] in ("csv", "delimited"):
        parts.append(f"nf = {len(access.columns)}")  # every kind of delimited record has all its columns
    if match["field_count"] and match["field_count"] != (len(access.columns) if access.columns else None):
        parts.append(f"nf = {match['field_count']}")
    if match["column"]:
        values = ", ".join(_sql_str(v) for v in match["equals"])
        parts.append(f"trim({access(match['column'])}) in ({values})")
    return " and ".join(parts)


def _describe_kinds(kinds: list[dict[str, Any]]) -> str:
    parts = []
    for k in kinds:
        m = k["match"]
        bits = []
        if m["field_count"]:
            bits.append(f"{m['field_count']} fields")
        if m["column"]:
            bits.append(f"{m['column']} in ({', '.join(m['equals'])})")
        parts.append(f"{k['name']}: {' and '.join(bits)}")
    return "; ".join(parts)


def _group_sql(source: _Source, file_ids: list[int], columns: list[str] | None, users: dict[str, Any]) -> str:
    """SQL parsing the lines of ``file_ids`` (which share ``columns``) into rows of ``__parsed``."""
    inp = source.inp
    fmt = inp["format"]
    ids = ", ".join(str(i) for i in file_ids)
    text = fmt in ("csv", "delimited")
    fields, count, malformed = _split_sql(inp) if text else ("null::varchar[]", "null::bigint", "false")
    accessors = {}
    for kind in source.kinds:
        kind_columns = columns if columns is not None else kind["columns"]
        where = "the header" if inp["header"] else f"the columns of kind {kind['name']}"
        accessors[kind["name"]] = _Accessor(inp, kind_columns, where)

    if len(source.kinds) == 1 and source.kinds[0]["match"] is None:
        kind = source.kinds[0]
        if text:
            expected = len(columns if columns is not None else kind["columns"])
            kind_case = f"case when nf = {expected} then {_sql_str(kind['name'])} end"
            no_kind = f"'expected {expected} fields, found ' || nf"
        else:
            kind_case, no_kind = _sql_str(kind["name"]), "null"
    else:
        whens = " ".join(f"when {_match_sql(k, accessors[k['name']])} then {_sql_str(k['name'])}" for k in source.kinds)
        kind_case = f"case {whens} end"
        found = "' || nf || ' fields'" if text else "'"
        no_kind = f"'matches no record kind ({_describe_kinds(source.kinds)}); found {found}"
    if text:
        bad = "case when malformed then 'malformed quoting' end"
        valid = "not malformed"
    else:
        bad = (
            "case when not json_valid(line) then 'invalid JSON'"
            " when json_type(line) <> 'OBJECT' then 'not a JSON object' end"
        )
        valid = "json_valid(line) and json_type(line) = 'OBJECT'"
    kind_case = f"case when {valid} then {kind_case} end"
    no_kind = f"coalesce({bad}, {no_kind})"

    selects = [_kind_select(k, users, accessors[k["name"]], source.role) for k in source.kinds]
    nulls = ", ".join(f"null as {c}" for c in PARSED_COLUMNS)
    unmatched = f"""
    select file_id, line_no, null as kind, false as has_event, null as user_role, {nulls},
        {no_kind} as reason
    from kinded
    where kind is null"""
    # Each line is split once (the CTE is materialised), not once per kind or per field. Delimited text does not
    # carry the line itself further (a rejected line's text is looked up again at the end).
    line = "" if text else "line, "
    return f"""
with
lines as (
    select file_id, line_no, {line}{fields} as f, {malformed} as malformed
    from __lines
    where file_id in ({ids})
),
kinded as materialized (
    select file_id, line_no, {line}f, malformed, {count} as nf, {kind_case} as kind
    from lines
)
{" union all by name ".join(selects + [unmatched])}
"""


# --------------------------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import read, loaded and rejected, and what it wrote."""

    import_id: str
    target: str
    mode: str
    files: int
    read: int
    loaded: int
    rejected: int
    blank_lines: int
    written: dict[str, int]
    users_derived: int
    duplicate_registrations: int
    warnings: list[str]
    seconds: float

    def lines(self) -> list[str]:
        out = [
            f"import {self.import_id}: {self.files:,} files, read {self.read:,} = loaded {self.loaded:,}"
            f" + rejected {self.rejected:,}"
            + (f" ({self.blank_lines:,} blank lines skipped)" if self.blank_lines else ""),
            "written ({}): {}".format(self.mode, ", ".join(f"raw.{t} {n:,}" for t, n in self.written.items()))
            + f" in {self.seconds:.1f} s",
        ]
        if self.users_derived:
            out.append(f"note: {self.users_derived:,} users derived from their first event (no user record)")
        if self.duplicate_registrations:
            out.append(
                f"note: {self.duplicate_registrations:,} repeated user records: the earliest is the user,"
                " each stays an event"
            )
        out += [f"warning: {w}" for w in self.warnings]
        return out

    def __str__(self) -> str:
        return (
            f"read {self.read:,} = loaded {self.loaded:,} + rejected {self.rejected:,};"
            f" users {self.written.get('users', 0):,}, events {self.written.get('events', 0):,}"
        )


def _prepare_staging() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    # Row order inside the staging tables does not matter (ids come from file and line): let DuckDB parallelise.
    con.execute("set preserve_insertion_order = false")
    con.execute("create table __lines (file_id integer, line_no bigint, line varchar)")
    con.execute("create table __files (file_id integer, role varchar, file_name varchar)")
    return con


def _check_mapped_columns(
    con: duckdb.DuckDBPyConnection, source: _Source, users: dict[str, Any], mapping: Path
) -> None:
    """Every mapped column must exist: in each file's header, or (JSON) in at least one record."""
    mapped: list[tuple[str, str]] = []
    for kind in source.kinds:
        if source.role == "events" and kind["events"]:
            mapped += [(f"events.{n}", c) for n, c in _spec_columns(kind["events"])]
        if source.role == "users" or users["mode"] == "derive" or users["from_kind"] == kind["name"]:
            mapped += [(f"users.{n}", c) for n, c in _spec_columns(users["fields"])]
        if kind["match"] and kind["match"]["column"]:
            mapped.append((f"record_kinds.{kind['name']}.match.column", kind["match"]["column"]))
    fmt = source.inp["format"]
    if fmt == "csv" or (fmt == "delimited" and source.inp["header"]) or fmt == "parquet":
        for file_id, _name, path in source.files:
            header = source.headers.get(file_id)
            if header is None:
                continue  # empty file
            for key, col in mapped:
                if not (fmt == "parquet" and col.startswith("$")) and col not in header:
                    raise InputError(
                        f"{path}: column {col!r} (mapped as {key} in {mapping.name}) is not in the"
                        f" file; it has: {', '.join(header)}"
                    )
    elif fmt == "ndjson":
        for key, col in mapped:
            ids = ", ".join(str(f[0]) for f in source.files)
            found = con.execute(
                f"select count(*) from __lines where file_id in ({ids}) and json_valid(line)"
                f" and json_exists(line, {_sql_str(_json_path(col))})"
            ).fetchone()[0]
            if not found:
                raise InputError(
                    f"{source.inp['path']}: column {col!r} (mapped as {key} in {mapping.name}) is in"
                    " no record of the input"
                )


def _parse_source(con: duckdb.DuckDBPyConnection, source: _Source, users: dict[str, Any]) -> None:
    fmt = source.inp["format"]
    groups: dict[tuple[str, ...] | None, list[int]] = {}
    for file_id, _, _ in source.files:
        if fmt in ("csv", "delimited") and source.inp["header"]:
            header = source.headers.get(file_id)
            if header is None:
                continue
            groups.setdefault(tuple(header), []).append(file_id)
        else:
            groups.setdefault(None, []).append(file_id)
    for header, ids in groups.items():
        sql = _group_sql(source, ids, list(header) if header is not None else None, users)
        con.execute(f"insert into __parsed by name {sql}")


PARSED_VALUE_COLUMNS = (
    "v_event_id",
    "v_user_id",
    "v_session_id",
    "v_event_name",
    "v_device",
    "v_amount",
    "v_occurred_at",
    "occurred_at",
    "amount",
    "properties",
    "u_email",
    "u_acquisition_channel",
    "u_device",
    "u_country",
    "u_segment",
    "u_properties",
    "u_user_id",
    "v_u_created_at",
    "u_created_at",
)

# What __parsed keeps: the raw texts of timestamps and amounts are only needed to word a reason.
PARSED_COLUMNS = tuple(c for c in PARSED_VALUE_COLUMNS if c not in ("v_amount", "v_occurred_at", "v_u_created_at"))

PARSED_DDL = """
create table __parsed (
    file_id integer, line_no bigint, kind varchar, has_event boolean, user_role varchar,
    v_event_id varchar, v_user_id varchar, v_session_id varchar, v_event_name varchar, v_device varchar,
    occurred_at timestamp, amount decimal(18, 2), properties json,
    u_email varchar, u_acquisition_channel varchar, u_device varchar, u_country varchar, u_segment varchar,
    u_properties json, u_user_id varchar, u_created_at timestamp, reason varchar
)
"""


def import_events(
    config: str | os.PathLike[str],
    target: str = "duckdb",
    duckdb_path: str | os.PathLike[str] | None = None,
    pg_database: str | None = None,
    *,
    append: bool = False,
    recreate: bool = False,
    quiet: bool = False,
) -> ImportSummary:
    """Import the export described by the mapping ``config`` into schema ``raw`` of ``target``.

    Replaces the raw layer (``append=False``: users and events become this import, other tables empty) or adds to
    it (``append=True``: only rows whose event id / user id / rejected line is new). One transaction either way.
    """
    started = time.perf_counter()
    if target not in TARGETS:
        raise InputError(f"unknown target {target!r}: expected duckdb or postgres")
    mapping = read_mapping(config)
    progress = _Progress(quiet)
    loaded_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    import_id = f"{mapping['name']}-{loaded_at:%Y%m%dT%H%M%SZ}"
    users = mapping["users"]

    sources = [_Source("events", mapping["input"], mapping["record_kinds"])]
    if users["mode"] == "input":
        sources.append(
            _Source(
                "users",
                users["input"],
                [{"name": "users", "match": None, "columns": users["input"]["columns"], "events": None}],
            )
        )
    con = _prepare_staging()
    try:
        next_id = 1
        for source in sources:
            progress(f"reading {source.role} from {source.inp['path']}", force=True)
            next_id = _read_source(con, source, next_id, progress)
            for file_id, name, _ in source.files:
                con.execute("insert into __files values (?, ?, ?)", [file_id, source.role, name])
            _check_mapped_columns(con, source, users, mapping["mapping_path"])
        read = con.execute("select count(*) from __lines").fetchone()[0]
        if read == 0:
            raise InputError(f"{mapping['input']['path']}: no records to import (the input is empty)")

        progress(f"parsing {read:,} lines", force=True)
        con.execute(PARSED_DDL)
        for source in sources:
            _parse_source(con, source, users)
        duplicates = _resolve_users(con, users)
        parsed, loaded, rejected, event_lines, user_lines = con.execute("""
            select
                count(*),
                count(*) filter (where reason is null),
                count(*) filter (where reason is not null),
                count(*) filter (where reason is null and has_event),
                count(*) filter (where reason is null and not has_event and user_role = 'row')
            from __parsed
        """).fetchone()
        users_derived = _build_outputs(con, mapping["name"], import_id, loaded_at, users)
        events_out, rejects_out = (
            con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("__out_events", "__out_rejects")
        )
        # Nothing lost, nothing invented: every line read is exactly one loaded or one rejected line, and every
        # loaded line is an event or a user record.
        if not (
            parsed == read == loaded + rejected
            and loaded == event_lines + user_lines
            and events_out == event_lines
            and rejects_out == rejected
        ):
            raise WarehouseError(
                f"internal error, nothing was written: read {read:,} lines, parsed {parsed:,}, loaded {loaded:,}"
                f" ({event_lines:,} events + {user_lines:,} user records, {events_out:,} events out) + rejected"
                f" {rejected:,} ({rejects_out:,} out)"
            )

        progress(f"writing to {target}", force=True)
        write_sources = {
            "users": "select * from __out_users",
            "events": "select * from __out_events",
            "import_rejects": "select * from __out_rejects",
        }
        written = write_raw(
            con,
            write_sources,
            target=target,
            duckdb_file=duckdb_path,
            pg_database=pg_database,
            mode="append" if append else "replace",
            recreate=recreate,
            progress=lambda m: progress(m, force=True),
        )
        warnings = [f"empty file skipped: {name}" for s in sources for name in s.empty_files]
        warnings += _check_dbt_vars(con, mapping["dbt_vars"])
        return ImportSummary(
            import_id=import_id,
            target=target,
            mode="append" if append else "replace",
            files=sum(len(s.files) for s in sources),
            read=read,
            loaded=loaded,
            rejected=rejected,
            blank_lines=sum(s.blank_lines for s in sources),
            written=written,
            users_derived=users_derived if users["mode"] != "derive" else 0,
            duplicate_registrations=duplicates,
            warnings=warnings,
            seconds=time.perf_counter() - started,
        )
    except database_errors() as exc:
        raise WarehouseError(f"import failed, nothing changed: {str(exc).strip().splitlines()[0]}") from None
    finally:
        con.close()


def _resolve_users(con: duckdb.DuckDBPyConnection, users: dict[str, Any]) -> int:
    """Keep one user record per user id (the earliest sign-up). A repeated record from the users' own file is
    rejected; a repeated record that is also an event (a second registration line) stays an event.
    Returns how many repeated records were folded into events."""
    if users["mode"] == "derive":
        return 0
    con.execute("""
        create table __user_rank as
        select file_id, line_no, row_number() over (
            partition by u_user_id order by u_created_at, file_id, line_no
        ) as user_rank,
        first_value(file_id) over w as first_file_id,
        first_value(line_no) over w as first_line_no
        from __parsed
        where reason is null and user_role = 'row'
        window w as (partition by u_user_id order by u_created_at, file_id, line_no)
    """)
    con.execute("""
        update __parsed p
        set reason = 'duplicate user id ''' || p.u_user_id || ''' (first record: '
                || f.file_name || ' line ' || r.first_line_no || ')'
        from __user_rank r, __files f
        where p.file_id = r.file_id and p.line_no = r.line_no and r.user_rank > 1 and not p.has_event
            and f.file_id = r.first_file_id
    """)
    folded = con.execute("""
        select count(*) from __user_rank r join __parsed p using (file_id, line_no)
        where r.user_rank > 1 and p.has_event
    """).fetchone()[0]
    con.execute("""
        update __parsed p set user_role = 'dup'
        from __user_rank r
        where p.file_id = r.file_id and p.line_no = r.line_no and r.user_rank > 1
    """)
    return folded


def _build_outputs(
    con: duckdb.DuckDBPyConnection, name: str, import_id: str, loaded_at: datetime, users: dict[str, Any]
) -> int:
    """Create ``__out_users``, ``__out_events`` and ``__out_rejects`` in contract column order; return how many
    users had to be derived from their first event because no user record named them."""
    ts = _sql_str(loaded_at.isoformat(sep=" "))
    # Derived event ids: <dataset>:<file without .gz>:<line>, the prefix computed once per file.
    con.execute(f"""
        create table __id_prefix as
        select file_id, {_sql_str(name + ":")} || regexp_replace(file_name, '\\.gz$', '') || ':' as id_prefix
        from __files
    """)
    con.execute(f"""
        create view __out_events as
        select
            coalesce(p.v_event_id, f.id_prefix || p.line_no) as event_id,
            p.v_user_id as user_id,
            p.v_session_id as session_id,
            p.v_event_name as event_name,
            p.occurred_at,
            p.v_device as device,
            p.amount,
            p.properties,
            timestamp {ts} as loaded_at
        from __parsed p
        join __id_prefix f using (file_id)
        where p.reason is null and p.has_event
    """)
    con.execute(f"""
        create table __out_user_rows as
        select
            u_user_id as user_id,
            u_created_at as created_at,
            u_email as email,
            u_acquisition_channel as acquisition_channel,
            u_device as device,
            u_country as country,
            u_segment as segment,
            u_properties as properties,
            timestamp {ts} as loaded_at
        from __parsed
        where reason is null and user_role = 'row'
    """)
    key = "(p.occurred_at, p.file_id, p.line_no)"
    con.execute(f"""
        create table __out_users as
        select * from __out_user_rows
        union all
        select
            p.v_user_id as user_id,
            min(p.occurred_at) as created_at,
            arg_min(p.u_email, {key}) filter (where p.u_email is not null) as email,
            arg_min(p.u_acquisition_channel, {key}) filter (where p.u_acquisition_channel is not null)
                as acquisition_channel,
            arg_min(p.u_device, {key}) filter (where p.u_device is not null) as device,
            arg_min(p.u_country, {key}) filter (where p.u_country is not null) as country,
            arg_min(p.u_segment, {key}) filter (where p.u_segment is not null) as segment,
            coalesce(arg_min(p.u_properties, {key}) filter (where p.u_role_attrs), '{{}}'::json) as properties,
            timestamp {ts} as loaded_at
        from (select *, user_role = 'attrs' as u_role_attrs from __parsed) p
        where p.reason is null and p.has_event
            and not exists (select 1 from __out_user_rows r where r.user_id = p.v_user_id)
        group by p.v_user_id
    """)
    con.execute(f"""
        create table __out_rejects as
        select
            {_sql_str(import_id)} as import_id,
            f.file_name,
            p.line_no as line_number,
            p.kind as record_kind,
            p.reason,
            l.line as raw_line,
            timestamp {ts} as loaded_at
        from __parsed p
        join __files f using (file_id)
        join __lines l using (file_id, line_no)
        where p.reason is not null
        order by p.file_id, p.line_no
    """)
    return (
        con.execute("select count(*) from __out_users").fetchone()[0]
        - con.execute("select count(*) from __out_user_rows").fetchone()[0]
    )


def _check_dbt_vars(con: duckdb.DuckDBPyConnection, dbt_vars: dict[str, Any]) -> list[str]:
    """Warn about dbt vars naming events that the import did not load."""
    names = {
        row[0]
        for row in con.execute(
            "select distinct v_event_name from __parsed where reason is null and has_event"
        ).fetchall()
    }
    warnings = []
    for var in ("funnel_steps", "activity_events", "revenue_events"):
        for event in dbt_vars.get(var) or []:
            if event not in names:
                warnings.append(f"dbt_vars.{var} names {event!r}, which is not an event name in this import")
    event = dbt_vars.get("feature_event")
    if event and event not in names:
        warnings.append(f"dbt_vars.feature_event {event!r} is not an event name in this import")
    return warnings


__all__ = [
    "ImportSummary",
    "MappingError",
    "import_events",
    "iter_line_chunks",
    "list_files",
    "read_mapping",
]
