"""The raw-schema contract: every table that lands in schema ``raw``, column by column.

This module is the single source of truth for the raw layer. The simulator builds its Arrow
tables from it, the loader creates tables from the DDL rendered here (``warehouse/ddl/*.sql``
are generated from it and tested to match), the importer maps a team's own files onto it, and
the dbt sources YAML is rendered from it too (warehouse/dbt_sources.py).

Conventions
-----------
* All timestamps are naive and in UTC (``*_at``); dates are calendar dates (``*_date``).
* Money is in currency units with two decimals (``decimal(18, 2)``), never negative; the
  direction of a money movement is carried by a type column (a refund is a positive amount
  with ``payment_type = 'refund'``).
* ``properties`` columns hold a JSON object (DuckDB ``json``, PostgreSQL ``jsonb``).
* ``loaded_at`` is when the row reached the warehouse's landing zone (for events, tracker
  delivery time: late-arriving events have ``loaded_at`` days after ``occurred_at``).
* ``batch_id`` names the load that delivered the row (``raw.load_batches``). It is *stamped*: the loader
  writes it, input files do not carry it (``Table.file_columns`` are the columns a file holds).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

# Logical type -> (DuckDB type, PostgreSQL type, Arrow type)
LOGICAL_TYPES: dict[str, tuple[str, str, pa.DataType]] = {
    "string": ("varchar", "text", pa.string()),
    "integer": ("integer", "integer", pa.int32()),
    "bigint": ("bigint", "bigint", pa.int64()),
    "double": ("double", "double precision", pa.float64()),
    "money": ("decimal(18, 2)", "numeric(18, 2)", pa.decimal128(18, 2)),
    "boolean": ("boolean", "boolean", pa.bool_()),
    "date": ("date", "date", pa.date32()),
    "timestamp": ("timestamp", "timestamp", pa.timestamp("us")),
    "json": ("json", "jsonb", pa.string()),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    description: str = ""
    stamped: bool = False  # written by the loader, not read from the input files


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def file_columns(self) -> tuple[Column, ...]:
        """The columns an input file holds: all but the ones the loader stamps (``batch_id``)."""
        return tuple(c for c in self.columns if not c.stamped)

    def arrow_schema(self, stamped: bool = False) -> pa.Schema:
        """Arrow schema of the file columns (the simulator's tables); ``stamped=True`` adds the loader's columns."""
        cols = self.columns if stamped else self.file_columns
        return pa.schema([pa.field(c.name, LOGICAL_TYPES[c.type][2], nullable=c.nullable) for c in cols])

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"raw.{self.name} has no column {name!r}")


def _c(name: str, type_: str, description: str, nullable: bool = True) -> Column:
    return Column(name, type_, nullable, description)


LOADED_AT = _c("loaded_at", "timestamp", "When the row landed in the warehouse (UTC).", False)
BATCH_ID = Column(
    "batch_id",
    "string",
    False,
    "The load that delivered the row (raw.load_batches.batch_id; an import's import_id). Stamped by the loader.",
    stamped=True,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "users",
            "One row per user (account), as created at sign-up.",
            (
                _c("user_id", "string", "Stable user identifier.", False),
                _c("created_at", "timestamp", "Sign-up time (UTC).", False),
                _c("email", "string", "Contact e-mail (synthetic in simulated data)."),
                _c("acquisition_channel", "string", "Channel that acquired the user (organic, paid_search, ...)."),
                _c("device", "string", "Device or platform used at sign-up (web, ios, android, ...)."),
                _c("country", "string", "ISO 3166-1 alpha-2 country code where known, else the source's own label."),
                _c("segment", "string", "Business segment of the user (plan intent, risk group, ...)."),
                _c("properties", "json", "Further attributes of the user as a JSON object."),
                LOADED_AT,
                BATCH_ID,
            ),
            ("user_id",),
        ),
        Table(
            "sessions",
            "One row per session delivery as reported by the tracker. A session may be reported while open and again"
            " once ended (the later delivery wins in staging). May be empty: dbt then derives sessions from events.",
            (
                _c("session_id", "string", "Stable session identifier.", False),
                _c("user_id", "string", "User of the session.", False),
                _c("started_at", "timestamp", "First activity of the session (UTC).", False),
                _c(
                    "ended_at",
                    "timestamp",
                    "Last activity of the session (UTC); null while the session is open (reported again once ended).",
                ),
                _c("device", "string", "Device or platform of the session."),
                _c("channel", "string", "Traffic source that started the session (the marketing touch point)."),
                _c("country", "string", "Country of the session."),
                LOADED_AT,
                BATCH_ID,
            ),
            (),  # session_id is not unique in raw: a restated session is delivered again; staging keeps the latest
        ),
        Table(
            "events",
            "One row per tracked event delivery. The same event_id may arrive more than once (tracker resends).",
            (
                _c("event_id", "string", "Event identifier; duplicates are re-deliveries of one event.", False),
                _c("user_id", "string", "User who did the event.", False),
                _c("session_id", "string", "Session of the event, when the tracker knows it."),
                _c("event_name", "string", "What happened (sign_up, activate, feature_used, purchase, ...).", False),
                _c("occurred_at", "timestamp", "When the event happened on the device (UTC).", False),
                _c("device", "string", "Device or platform of the event."),
                _c("amount", "money", "Money attached to the event (order value), if any."),
                _c("properties", "json", "Further attributes of the event as a JSON object (feature, page, ...)."),
                LOADED_AT,
                BATCH_ID,
            ),
            (),  # event_id is not unique in raw: deduplicated in staging
        ),
        Table(
            "plans",
            "One row per price plan.",
            (
                _c("plan_id", "string", "Stable plan identifier.", False),
                _c("plan_name", "string", "Display name of the plan.", False),
                _c("billing_period", "string", "'month' or 'year'.", False),
                _c("price", "money", "Price per billing period in currency units.", False),
                _c("currency", "string", "ISO 4217 currency code.", False),
                _c("tier", "integer", "Rank of the plan (higher = more expensive) for upgrade/downgrade.", False),
                LOADED_AT,
                BATCH_ID,
            ),
            ("plan_id",),
        ),
        Table(
            "subscriptions",
            "One row per version of a subscription: a new version starts at trial start, paid start and every plan"
            " change. valid_to is null for the current version; a cancelled subscription's last version ends when its"
            " paid period ends (cancelled_at holds when the customer asked to cancel).",
            (
                _c("subscription_id", "string", "Stable subscription identifier.", False),
                _c("version", "integer", "1, 2, ... in time order within the subscription.", False),
                _c("user_id", "string", "Customer (user) of the subscription.", False),
                _c("plan_id", "string", "Plan in force during this version.", False),
                _c("status", "string", "'trialing' or 'active' during this version.", False),
                _c(
                    "change_type",
                    "string",
                    "What started this version: trial_start, paid_start, upgrade, downgrade.",
                    False,
                ),
                _c("valid_from", "timestamp", "Start of this version (UTC).", False),
                _c("valid_to", "timestamp", "End of this version (UTC); null while current."),
                _c("cancelled_at", "timestamp", "When cancellation was requested (set on the last version only)."),
                LOADED_AT,
                BATCH_ID,
            ),
            ("subscription_id", "version"),
        ),
        Table(
            "payments",
            "One row per payment attempt or refund. Failed charges are retried (retry_of_payment_id links the retry to"
            " the attempt before it); refunds reference the refunded charge.",
            (
                _c("payment_id", "string", "Stable payment identifier.", False),
                _c("subscription_id", "string", "Subscription billed.", False),
                _c("user_id", "string", "Customer (user) billed.", False),
                _c("plan_id", "string", "Plan billed.", False),
                _c("payment_type", "string", "'charge' or 'refund'.", False),
                _c("status", "string", "'succeeded' or 'failed'.", False),
                _c("amount", "money", "Amount in currency units, never negative.", False),
                _c("currency", "string", "ISO 4217 currency code.", False),
                _c("attempt_number", "integer", "1 for the first attempt at a charge, 2, 3, ... for retries.", False),
                _c("retry_of_payment_id", "string", "The failed attempt this one retries."),
                _c("refunded_payment_id", "string", "For refunds: the charge refunded."),
                _c("failure_reason", "string", "Why a failed attempt failed."),
                _c("created_at", "timestamp", "When the attempt or refund happened (UTC).", False),
                LOADED_AT,
                BATCH_ID,
            ),
            ("payment_id",),
        ),
        Table(
            "marketing_spend",
            "One row per channel per day of paid marketing.",
            (
                _c("spend_date", "date", "Day of the spend.", False),
                _c("channel", "string", "Acquisition channel.", False),
                _c("spend", "money", "Spend in currency units.", False),
                _c("currency", "string", "ISO 4217 currency code.", False),
                _c("impressions", "bigint", "Ad impressions."),
                _c("clicks", "bigint", "Ad clicks."),
                LOADED_AT,
                BATCH_ID,
            ),
            ("spend_date", "channel"),
        ),
        Table(
            "experiments",
            "One row per experiment variant: the experiment's design (goal, window, planned split).",
            (
                _c("experiment_id", "string", "Stable experiment identifier.", False),
                _c("variant", "string", "Variant name.", False),
                _c("is_control", "boolean", "True for the control variant.", False),
                _c("planned_share", "double", "Share of assignments planned for this variant (sums to 1).", False),
                _c("goal_event", "string", "Event name that counts as a conversion.", False),
                _c("conversion_window_days", "integer", "Days after assignment a conversion counts.", False),
                _c("started_at", "timestamp", "Start of the experiment (UTC).", False),
                _c("ended_at", "timestamp", "End of the experiment (UTC)."),
                _c("description", "string", "Hypothesis in words."),
                LOADED_AT,
                BATCH_ID,
            ),
            ("experiment_id", "variant"),
        ),
        Table(
            "experiment_assignments",
            "One row per user per experiment: the variant the user was assigned.",
            (
                _c("experiment_id", "string", "Experiment.", False),
                _c("user_id", "string", "Assigned user.", False),
                _c("variant", "string", "Assigned variant.", False),
                _c("assigned_at", "timestamp", "When the user was assigned (UTC).", False),
                LOADED_AT,
                BATCH_ID,
            ),
            ("experiment_id", "user_id"),
        ),
    )
}


# Tables the importer writes besides the contract tables above. They are not part of a simulated dataset
# (the generator writes no file for them), but they live in schema ``raw`` and are rendered into the DDL.
IMPORT_TABLES: dict[str, Table] = {
    "import_rejects": Table(
        "import_rejects",
        "One row per input line (or Parquet row) that `python -m warehouse import` could not load, with why.",
        (
            _c("import_id", "string", "The import run that read the line (dataset name and start time).", False),
            _c("file_name", "string", "Input file, relative to the mapping's input path.", False),
            _c("line_number", "bigint", "1-based physical line in the file (row for Parquet).", False),
            _c("record_kind", "string", "Record kind the line matched, when one did."),
            _c("reason", "string", "Why the line was rejected.", False),
            _c("raw_line", "string", "The line as read."),
            LOADED_AT,
        ),
        ("file_name", "line_number"),
    ),
    "import_files": Table(
        "import_files",
        "One row per input file an import read: what identifies that version of the file, and its records."
        " `--append` skips a file whose dataset, source, name, size and modification time are already here.",
        (
            _c("import_id", "string", "The import run that read the file (dataset name and start time).", False),
            _c("dataset", "string", "The mapping's dataset name.", False),
            _c("source", "string", "Which input of the mapping: events, or users (their own file).", False),
            _c("file_name", "string", "Input file, relative to the mapping's input path.", False),
            _c("size_bytes", "bigint", "File size in bytes when it was read.", False),
            _c("modified_at", "timestamp", "File modification time when it was read (UTC).", False),
            _c("records", "bigint", "Records read from the file (loaded + rejected).", False),
            LOADED_AT,
        ),
        ("import_id", "source", "file_name"),
    ),
}


# Bookkeeping of appended batches (`python -m warehouse load --append`, warehouse/batches.py).
BOOKKEEPING_TABLES: dict[str, Table] = {
    "load_batches": Table(
        "load_batches",
        "One row per batch loaded into raw: a full load (sequence 0) replaces them all, each `load --append`"
        " adds the next. A batch already here is not loaded again.",
        (
            _c("batch_id", "string", "The batch (stamped on every raw row it delivered).", False),
            _c("dataset", "string", "The dataset the batch belongs to (scenario, seed, size, start, horizon).", False),
            _c("sequence", "integer", "0 for the full load, then 1, 2, ... in load order.", False),
            _c("first_day", "date", "First day of arrivals the batch covers (by loaded_at)."),
            _c("last_day", "date", "Last day of arrivals the batch covers (by loaded_at)."),
            _c("source", "string", "Folder the batch was loaded from.", False),
            _c("row_count", "bigint", "Rows the batch added to raw, over all tables.", False),
            LOADED_AT,
        ),
        ("batch_id",),
    ),
}


def raw_tables() -> tuple[Table, ...]:
    """Every table of schema ``raw``: the contract tables (``TABLES``), the importer's own (``IMPORT_TABLES``),
    then the batch bookkeeping (``BOOKKEEPING_TABLES``).

    The DDL and the dbt sources (warehouse/dbt_sources.py) are both rendered from this list.
    """
    return (*TABLES.values(), *IMPORT_TABLES.values(), *BOOKKEEPING_TABLES.values())


DDL_DIALECTS = ("duckdb", "postgres")  # the SQL dialects LOGICAL_TYPES names a type in, in its order


def render_ddl(dialect: str, schema: str = "raw") -> str:
    """CREATE TABLE statements for every raw table (``raw_tables()``) in ``dialect`` (one of ``DDL_DIALECTS``)."""
    if dialect not in DDL_DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}: expected one of {', '.join(DDL_DIALECTS)}")
    index = DDL_DIALECTS.index(dialect)
    out = [
        "-- Generated from warehouse/contract.py by `python -m warehouse ddl`; do not edit by hand.",
        f"create schema if not exists {schema};",
        "",
    ]
    for table in raw_tables():
        out.append(f"-- {table.description}")
        out.append(f"create table if not exists {schema}.{table.name} (")
        lines = []
        for col in table.columns:
            null = " not null" if not col.nullable else ""
            lines.append(f"    {col.name} {LOGICAL_TYPES[col.type][index]}{null}")
        out.append(",\n".join(lines))
        out.append(");")
        out.append("")
    return "\n".join(out)
