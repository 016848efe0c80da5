"""The mapping YAML (see ``docs/importing.md``), read and validated in one place into typed, frozen values.

:func:`read_mapping` returns a :class:`Mapping`; everything after it (reading, parsing, writing) trusts its shape.
A mistake raises :class:`MappingError` (exit code 2) naming the mapping file and the key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from settings.dbt_vars import DbtVarsError, check_dbt_vars
from warehouse.importer.fields import (
    FieldMap,
    InputSpec,
    MappingError,
    _Keyed,
    check_keys,
    field_map,
    input_spec,
    string_list,
)

EVENT_FIELDS = ("user_id", "event_name", "occurred_at", "event_id", "session_id", "device", "amount", "properties")
REQUIRED_EVENT_FIELDS = ("user_id", "event_name", "occurred_at")
USER_FIELDS = ("user_id", "created_at", "email", "acquisition_channel", "device", "country", "segment", "properties")
USER_ATTRIBUTES = ("email", "acquisition_channel", "device", "country", "segment", "properties")
TOP_KEYS = ("version", "name", "description", "input", "events", "record_kinds", "users", "dbt_vars")
KIND_KEYS = ("name", "match", "columns", "events")
MATCH_KEYS = ("field_count", "column", "equals")
USERS_KEYS = ("input", "from_kind", *USER_FIELDS)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Match(_Keyed):
    """Which lines are a record kind: a field count and/or a column whose value is one of ``equals``."""

    field_count: int | None = None
    column: str | None = None
    equals: tuple[str, ...] | None = None

    def describe(self) -> str:
        bits = [f"{self.field_count} fields"] if self.field_count else []
        if self.column:
            bits.append(f"{self.column} in ({', '.join(self.equals or ())})")
        return " and ".join(bits)


@dataclass(frozen=True)
class RecordKind(_Keyed):
    """One kind of record: ``match`` is None for the only kind of a mapping with ``events:``."""

    name: str
    match: Match | None
    columns: tuple[str, ...] | None
    events: FieldMap | None


@dataclass(frozen=True)
class UsersSpec(_Keyed):
    """Where users come from: ``derive`` (first event), ``kind`` (records of ``from_kind``) or ``input``."""

    mode: str
    from_kind: str | None
    input: InputSpec | None
    fields: FieldMap


@dataclass(frozen=True)
class Mapping(_Keyed):
    """A validated mapping: paths absolute, defaults filled."""

    name: str
    description: str | None
    mapping_path: Path
    input: InputSpec
    record_kinds: tuple[RecordKind, ...]
    users: UsersSpec
    dbt_vars: dict[str, Any]
    version: int = 1


def read_mapping(path: str | os.PathLike[str]) -> Mapping:
    """Read and validate a mapping YAML. Raises :class:`MappingError` naming the key at the first problem."""
    mapping_path = Path(path).resolve()
    try:
        raw = yaml.safe_load(mapping_path.read_text())
    except OSError as exc:
        raise MappingError(f"{mapping_path}: cannot read the mapping ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise MappingError(f"{mapping_path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    doc = check_keys(raw, TOP_KEYS, mapping_path, "")
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
    inp = input_spec(doc["input"], base, mapping_path, "input")
    if ("events" in doc) == ("record_kinds" in doc):
        raise MappingError(f"{mapping_path}: give either events (one kind of record) or record_kinds (several)")
    if "events" in doc:
        events = field_map(doc["events"], EVENT_FIELDS, mapping_path, "events")
        kinds: tuple[RecordKind, ...] = (RecordKind("events", None, inp.columns, events),)
    else:
        kinds = _record_kinds(doc["record_kinds"], inp, mapping_path)
    users = _users_spec(doc.get("users"), kinds, base, mapping_path)
    _check_kinds(kinds, users, inp, mapping_path)
    return Mapping(
        name=name,
        description=doc.get("description"),
        mapping_path=mapping_path,
        input=inp,
        record_kinds=kinds,
        users=users,
        dbt_vars=_dbt_vars(doc.get("dbt_vars"), mapping_path),
    )


def _record_kinds(value: Any, inp: InputSpec, path: Path) -> tuple[RecordKind, ...]:
    if not isinstance(value, list) or not value:
        raise MappingError(f"{path}: record_kinds must be a non-empty list of kinds")
    kinds = [_record_kind(item, i, inp, path) for i, item in enumerate(value)]
    names = [k.name for k in kinds]
    if len(set(names)) != len(names):
        raise MappingError(f"{path}: record_kinds names must be unique")
    return tuple(kinds)


def _record_kind(item: Any, index: int, inp: InputSpec, path: Path) -> RecordKind:
    kind = check_keys(item, KIND_KEYS, path, f"record_kinds[{index}]")
    kname = kind.get("name")
    if not isinstance(kname, str) or not NAME_RE.match(kname):
        raise MappingError(f"{path}: record_kinds[{index}].name is required (letters, digits, _ . -)")
    key = f"record_kinds.{kname}"
    if "match" not in kind:
        raise MappingError(f"{path}: {key}.match is required (field_count and/or column + equals)")
    match = check_keys(kind["match"], MATCH_KEYS, path, key + ".match")
    if not match or ("column" in match) != ("equals" in match):
        raise MappingError(f"{path}: {key}.match needs field_count, or column with equals")
    field_count = match.get("field_count")
    if field_count is not None and (not isinstance(field_count, int) or field_count < 1):
        raise MappingError(f"{path}: {key}.match.field_count must be a positive whole number")
    if field_count is not None and not inp.is_text:
        raise MappingError(f"{path}: {key}.match.field_count applies to csv and delimited formats")
    equals = match.get("equals")
    if equals is not None:
        equals = tuple(str(e) for e in (equals if isinstance(equals, list) else [equals]))
    columns = kind.get("columns", inp.columns)
    if columns is not None:
        columns = string_list(columns, path, key + ".columns")
        if field_count is not None and len(columns) != field_count:
            raise MappingError(
                f"{path}: {key}.columns lists {len(columns)} names but match.field_count is {field_count}"
            )
    events = field_map(kind["events"], EVENT_FIELDS, path, key + ".events") if "events" in kind else None
    return RecordKind(kname, Match(field_count, match.get("column"), equals), columns, events)


def _check_kinds(kinds: tuple[RecordKind, ...], users: UsersSpec, inp: InputSpec, path: Path) -> None:
    for kind in kinds:
        key = "events" if kind.match is None else f"record_kinds.{kind.name}.events"
        if kind.events is not None:
            missing = [f for f in REQUIRED_EVENT_FIELDS if f not in kind.events.fields]
            if missing:
                raise MappingError(f"{path}: {key}.{missing[0]} is required")
        elif not (users.mode == "kind" and users.from_kind == kind.name):
            raise MappingError(f"{path}: record_kinds.{kind.name} has no events and is not users.from_kind")
    if inp.is_text and not inp.header:
        for kind in kinds:
            _check_known_columns(kind, users, path)


def _users_spec(value: Any, kinds: tuple[RecordKind, ...], base: Path, path: Path) -> UsersSpec:
    if value is None:
        return UsersSpec("derive", None, None, FieldMap({}, {}))
    spec = check_keys(value, USERS_KEYS, path, "users")
    if "input" in spec and "from_kind" in spec:
        raise MappingError(f"{path}: users takes input (their own file) or from_kind, not both")
    fields = field_map(spec, USERS_KEYS, path, "users", extra=("input", "from_kind"))
    if "input" in spec:
        missing = [f for f in ("user_id", "created_at") if f not in fields.fields]
        if missing:
            raise MappingError(f"{path}: users.{missing[0]} is required when users have their own input")
        return UsersSpec("input", None, input_spec(spec["input"], base, path, "users.input"), fields)
    if "from_kind" in spec:
        kind = next((k for k in kinds if k.name == spec["from_kind"]), None)
        if kind is None:
            raise MappingError(f"{path}: users.from_kind {spec['from_kind']!r} is not one of the record_kinds")
        filled = dict(fields.fields)
        for f, ev in (("user_id", "user_id"), ("created_at", "occurred_at")):
            if f not in filled:
                if not kind.events or ev not in kind.events.fields:
                    raise MappingError(f"{path}: users.{f} is required (kind {kind.name} has no events.{ev})")
                filled[f] = kind.events.fields[ev]
        return UsersSpec("kind", kind.name, None, FieldMap(filled, fields.properties))
    derived = [f for f in ("user_id", "created_at") if f in fields.fields]
    if derived:
        raise MappingError(
            f"{path}: users.{derived[0]} comes from the events when users are derived"
            " (give users.input or users.from_kind to read it)"
        )
    if fields and len(kinds) > 1:
        raise MappingError(
            f"{path}: with record_kinds, user attributes need users.from_kind (the kind that holds them)"
        )
    return UsersSpec("derive", None, None, fields)


def mapped_columns(kind: RecordKind, users: UsersSpec, role: str = "events") -> list[tuple[str, str]]:
    """``(mapping key, input column)`` of every column that records of ``kind`` must have."""
    mapped: list[tuple[str, str]] = []
    if role == "events" and kind.events:
        mapped += [(f"events.{n}", c) for n, c in kind.events.columns()]
    if role == "users" or users.mode == "derive" or users.from_kind == kind.name:
        mapped += [(f"users.{n}", c) for n, c in users.fields.columns()]
    if kind.match and kind.match.column:
        mapped.append((f"record_kinds.{kind.name}.match.column", kind.match.column))
    return mapped


def _check_known_columns(kind: RecordKind, users: UsersSpec, path: Path) -> None:
    place = "input" if kind.match is None else f"record_kinds.{kind.name}"
    if kind.columns is None:
        raise MappingError(f"{path}: {place}.columns is required: the files have no header to name the fields")
    for key, col in mapped_columns(kind, users):
        if key.startswith("record_kinds."):
            key = "match.column"
        if col not in kind.columns:
            raise MappingError(
                f"{path}: {key} names column {col!r}, which is not in {place}.columns ({', '.join(kind.columns)})"
            )


def _dbt_vars(value: Any, path: Path) -> dict[str, Any]:
    """The dataset's dbt vars, checked by the one reader of dbt vars (against dbt_project.yml)."""
    try:
        return check_dbt_vars(value, str(path))
    except DbtVarsError as exc:
        raise MappingError(str(exc)) from None
