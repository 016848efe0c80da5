"""The SQL that turns a chunk of records (table ``__lines``: file_id, line_no, line) into parsed, typed rows with
a reject reason, run by DuckDB.

Delimited text is split once per record: records without a quote character by ``string_split`` (the common case,
as fast as DuckDB's own CSV reader), quoted ones by a regular expression that also tells malformed quoting. JSON
lines (and Parquet rows, read as JSON) use ``json_extract_string``. Timestamps use ``try_strptime`` (or casts for
ISO 8601 and epochs), amounts ``try_cast``; properties are built with ``json_object``. A record with a NUL
character (raw, or ``\\u0000`` in JSON) is rejected: PostgreSQL's text cannot hold it, and the warehouses must agree.
"""

from __future__ import annotations

import re

from warehouse.errors import InputError
from warehouse.importer.fields import FieldMap, FieldSpec, InputSpec, TimestampSpec
from warehouse.importer.mapping import USER_ATTRIBUTES, RecordKind, UsersSpec
from warehouse.sql import sql_string

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
# What a parsed row keeps: the raw texts of timestamps and amounts are only needed to word a reason.
PARSED_COLUMNS = tuple(c for c in PARSED_VALUE_COLUMNS if c not in ("v_amount", "v_occurred_at", "v_u_created_at"))
TYPED_COLUMNS = ("occurred_at", "amount", "u_created_at")
JSON_NUL = r"(^|[^\\])(\\\\)*\\u0000"
UNCLOSED = "quote left open: the quoted value that starts in this record is never closed"


def json_path(column: str) -> str:
    return column if column.startswith("$") else "$." + '"' + column.replace('"', '\\"') + '"'


class Accessor:
    """SQL for "the text of column X" in one kind of record, for one group of files sharing their columns."""

    def __init__(self, inp: InputSpec, columns: tuple[str, ...] | None, where: str) -> None:
        self.inp = inp
        self.columns = columns
        self.where = where

    def __call__(self, column: str) -> str:
        if not self.inp.is_text:
            return f"json_extract_string(line, {sql_string(json_path(column))})"
        assert self.columns is not None
        if column not in self.columns:
            raise InputError(f"column {column!r} is not in {self.where} ({', '.join(self.columns)})")
        return f"f[{self.columns.index(column) + 1}]"


def split_sql(inp: InputSpec) -> tuple[str, str]:
    """(fields list, malformed quoting) SQL over ``line`` and (for quoted lines) ``q`` = the raw quoted fields."""
    d, q = inp.delimiter or ",", inp.quote
    plain = f"string_split(line, {sql_string(d)})"
    if not q:
        return plain, "false"
    unquote = (
        f"list_transform(q, lambda x: case when length(x) >= 2 and starts_with(x, {sql_string(q)})"
        f" and ends_with(x, {sql_string(q)}) then replace(x[2:-2], {sql_string(q + q)}, {sql_string(q)}) else x end)"
    )
    fields = f"case when q is null then {plain} else {unquote} end"
    malformed = "coalesce(list_sum(list_transform(q, lambda x: length(x))) + len(q) - 1 <> length(line), false)"
    # A record the reader closed with a quote still open (at the end of the file) is neither: null.
    malformed = f"case when unclosed then null when q is null then false else {malformed} end"
    return fields, malformed


def quoted_fields_sql(inp: InputSpec) -> str:
    """The raw fields of a line that holds the quote character (null for the others): computed once per line."""
    if not inp.quote:
        return "null::varchar[]"
    dr, qr = re.escape(inp.delimiter or ","), re.escape(inp.quote)
    pattern = f"(?:^|{dr})({qr}(?:[^{qr}]|{qr}{qr})*{qr}|[^{dr}]*)"
    return (
        f"case when contains(line, {sql_string(inp.quote)}) then regexp_extract_all(line, {sql_string(pattern)}, 1) end"
    )


def value_sql(spec: FieldSpec, access: Accessor) -> str:
    """Text of a mapped field, trimmed; empty means missing (null)."""
    if spec.value is not None:
        return sql_string(spec.value)
    parts = [access(c) for c in spec.columns or ()]
    joined = parts[0] if len(parts) == 1 else f"concat_ws({sql_string(spec.separator)}, {', '.join(parts)})"
    # Fields of space-separated text cannot hold spaces: no trim needed (it is a measurable cost on big inputs).
    if access.inp.delimiter == " " and not access.inp.quote:
        return f"nullif({joined}, '')"
    return f"nullif(trim({joined}), '')"


def timestamp_sql(spec: TimestampSpec, value: str) -> str:
    formats, tz = spec.format, spec.time_zone
    if formats == ("auto",):
        offset_re = r"[T ]\d{1,2}:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$"
        naive = f"try_cast({value} as timestamp)"
        aware = f"timezone('UTC', try_cast({value} as timestamptz))"
        local = naive if tz == "UTC" else f"timezone('UTC', timezone({sql_string(tz)}, {naive}))"
        return f"case when regexp_matches({value}, {sql_string(offset_re)}) then {aware} else {local} end"
    if formats in (("epoch_s",), ("epoch_ms",)):
        scale = 1_000_000 if formats == ("epoch_s",) else 1_000
        number = f"try_cast({value} as double)"
        micros = f"cast(round({number} * {scale}) as bigint)"
        return f"case when abs({number}) * {scale} < 9e18 then make_timestamp({micros}) end"
    fmt_sql = sql_string(formats[0]) if len(formats) == 1 else "[" + ", ".join(sql_string(f) for f in formats) + "]"
    parsed = f"try_strptime({value}, {fmt_sql})"
    if any(re.search(r"%[zZ]", f) for f in formats):
        return f"timezone('UTC', {parsed})"
    if spec.date_only_seconds:
        parsed = f"({parsed} + to_seconds({spec.date_only_seconds}))"
    if tz != "UTC":
        parsed = f"timezone('UTC', timezone({sql_string(tz)}, {parsed}))"
    return parsed


def properties_sql(fields: FieldMap | None, access: Accessor) -> str:
    if not fields or not fields.properties:
        return "'{}'::json"
    pairs = ", ".join(
        f"{sql_string(k)}, {value_sql(FieldSpec(columns=(col,)), access)}" for k, col in fields.properties.items()
    )
    return f"json_object({pairs})"


def _event_columns(ev: FieldMap, access: Accessor, cols: dict[str, str]) -> list[tuple[str, str]]:
    """Fill the event columns of ``cols``; return the (condition, reason) checks of an event."""
    for name in ("event_id", "user_id", "session_id", "event_name", "device", "amount"):
        if name in ev.fields:
            cols[f"v_{name}"] = value_sql(ev.fields[name], access)
    ts = ev.fields["occurred_at"]
    assert ts.timestamp is not None
    cols["v_occurred_at"] = value_sql(ts, access)
    cols["occurred_at"] = timestamp_sql(ts.timestamp, "v_occurred_at")
    cols["amount"] = "try_cast(v_amount as decimal(18, 2))"
    cols["properties"] = properties_sql(ev, access)
    checks = [
        ("v_user_id is null", sql_string(f"missing user id ({ev.fields['user_id'].describe()})")),
        ("v_event_name is null", sql_string(f"missing event name ({ev.fields['event_name'].describe()})")),
        ("v_occurred_at is null", sql_string(f"missing timestamp ({ts.describe()})")),
        (
            "occurred_at is null",
            f"'unparseable timestamp ''' || v_occurred_at || ''' (expected {ts.timestamp.describe()})'",
        ),
    ]
    if "amount" in ev.fields:
        checks += [
            ("v_amount is not null and amount is null", "'unparseable amount ''' || v_amount || ''''"),
            ("amount < 0", "'negative amount ' || v_amount || ' (amounts are never negative)'"),
        ]
    return checks


def _user_columns(fields: FieldMap, access: Accessor, cols: dict[str, str]) -> list[tuple[str, str]]:
    """Fill the columns of a user record; return its checks."""
    cols["u_user_id"] = value_sql(fields.fields["user_id"], access)
    created = fields.fields["created_at"]
    assert created.timestamp is not None
    cols["v_u_created_at"] = value_sql(created, access)
    cols["u_created_at"] = timestamp_sql(created.timestamp, "v_u_created_at")
    return [
        ("u_user_id is null", sql_string(f"missing user id ({fields.fields['user_id'].describe()})")),
        ("v_u_created_at is null", sql_string(f"missing sign-up time ({created.describe()})")),
        (
            "u_created_at is null",
            f"'unparseable sign-up time ''' || v_u_created_at || ''' (expected {created.timestamp.describe()})'",
        ),
    ]


def kind_select(kind: RecordKind, users: UsersSpec, access: Accessor, role: str) -> str:
    """SELECT over ``kinded`` rows of this kind giving every parsed column and the reject reason."""
    ev = kind.events if role == "events" else None
    user_fields, user_role = FieldMap({}, {}), "null"
    if role == "users" or (users.mode == "kind" and users.from_kind == kind.name):
        user_fields, user_role = users.fields, "'row'"
    elif users.mode == "derive" and role == "events":
        user_fields, user_role = users.fields, "'attrs'"
    cols: dict[str, str] = {c: "null" for c in PARSED_VALUE_COLUMNS}
    checks = _event_columns(ev, access, cols) if ev is not None else []
    for name in USER_ATTRIBUTES:
        if name == "properties":
            cols["u_properties"] = properties_sql(user_fields, access)
        elif name in user_fields.fields:
            cols[f"u_{name}"] = value_sql(user_fields.fields[name], access)
    if user_role == "'row'":
        checks += _user_columns(user_fields, access, cols)
    # Three steps, each computed once per row: text values, then typed values, then the reason (an expression
    # naming a lateral alias would be re-evaluated wherever it is named).
    text = ",\n            ".join(f"{cols[c]} as {c}" for c in PARSED_VALUE_COLUMNS if c not in TYPED_COLUMNS)
    converted = ",\n            ".join(f"{cols[c]} as {c}" for c in TYPED_COLUMNS)
    reason = "case " + " ".join(f"when {c} then {r}" for c, r in checks) + " end" if checks else "null"
    return f"""
    select
        file_id, line_no, {sql_string(kind.name)} as kind,
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
                where kind = {sql_string(kind.name)}
            )
        )
    )"""


def _match_sql(kind: RecordKind, access: Accessor) -> str:
    assert kind.match is not None
    parts = []
    if access.columns is not None and access.inp.is_text:
        parts.append(f"nf = {len(access.columns)}")  # every kind of delimited record has all its columns
    if kind.match.field_count and kind.match.field_count != (len(access.columns) if access.columns else None):
        parts.append(f"nf = {kind.match.field_count}")
    if kind.match.column:
        values = ", ".join(sql_string(v) for v in kind.match.equals or ())
        parts.append(f"trim({access(kind.match.column)}) in ({values})")
    return " and ".join(parts)


def _kind_case(inp: InputSpec, kinds: tuple[RecordKind, ...], accessors: dict[str, Accessor], expected: int | None):
    """(SQL naming the kind of a valid record, SQL of the reason when it has none)."""
    text = inp.is_text
    if len(kinds) == 1 and kinds[0].match is None:
        if text:
            return (
                f"case when nf = {expected} then {sql_string(kinds[0].name)} end",
                f"'expected {expected} fields, found ' || nf",
            )
        return sql_string(kinds[0].name), "null"
    whens = " ".join(f"when {_match_sql(k, accessors[k.name])} then {sql_string(k.name)}" for k in kinds)
    found = "' || nf || ' fields'" if text else "'"
    described = "; ".join(f"{k.name}: {k.match.describe()}" for k in kinds if k.match)
    return f"case {whens} end", f"'matches no record kind ({described}); found {found}"


def _record_checks(inp: InputSpec) -> tuple[str, str, str, str, str, str]:
    """SQL for one record: (has a NUL, fields, malformed, raw quoted fields, why it is unreadable, readable)."""
    if inp.is_text:
        fields, malformed = split_sql(inp)
        bad = f"case when malformed is null then {sql_string(UNCLOSED)} when malformed then 'malformed quoting' end"
        return (
            "contains(line, chr(0))",
            fields,
            malformed,
            quoted_fields_sql(inp),
            bad,
            "coalesce(not malformed, false)",
        )
    nul = f"(contains(line, chr(0)) or regexp_matches(line, {sql_string(JSON_NUL)}))"
    bad = (
        "case when not json_valid(line) then 'invalid JSON'"
        " when json_type(line) <> 'OBJECT' then 'not a JSON object' end"
    )
    valid = "json_valid(line) and json_type(line) = 'OBJECT'"
    return nul, "null::varchar[]", "false", "null::varchar[]", bad, valid


def group_sql(
    role: str,
    inp: InputSpec,
    kinds: tuple[RecordKind, ...],
    users: UsersSpec,
    file_ids: list[int],
    columns: tuple[str, ...] | None,
) -> str:
    """SQL parsing the records of ``file_ids`` in ``__lines`` (files that share ``columns``) into parsed rows."""
    text = inp.is_text
    accessors = {
        k.name: Accessor(
            inp,
            columns if columns is not None else k.columns,
            "the header" if inp.header else f"the columns of kind {k.name}",
        )
        for k in kinds
    }
    expected = len(columns if columns is not None else kinds[0].columns or ()) if text else None
    kind_case, no_kind = _kind_case(inp, kinds, accessors, expected)
    nul, fields, malformed, quoted, bad, valid = _record_checks(inp)
    nul_reason = "case when has_nul then 'NUL character in the record (text columns cannot hold it)' end"
    kind_case = f"case when not has_nul and {valid} then {kind_case} end"
    no_kind = f"coalesce({nul_reason}, {bad}, {no_kind})"
    selects = [kind_select(k, users, accessors[k.name], role) for k in kinds]
    nulls = ", ".join(f"null as {c}" for c in PARSED_COLUMNS)
    unmatched = f"""
    select file_id, line_no, null as kind, false as has_event, null as user_role, {nulls}, {no_kind} as reason
    from kinded
    where kind is null"""
    # Each record is split once (the CTE is materialised), not once per kind or per field. Delimited text does not
    # carry the record itself further (a rejected record's text is looked up again when rejects are written).
    line = "" if text else "line, "
    return f"""
with
quoted as (
    select file_id, line_no, line, unclosed, {quoted} as q, {nul} as has_nul
    from __lines
    where file_id in ({", ".join(str(i) for i in file_ids)})
),
lines as (
    select file_id, line_no, line, unclosed, has_nul, {fields} as f, {malformed} as malformed
    from quoted
),
kinded as materialized (
    select file_id, line_no, {line}has_nul, f, malformed, len(f) as nf, {kind_case} as kind
    from lines
)
{" union all by name ".join(selects + [unmatched])}
"""
