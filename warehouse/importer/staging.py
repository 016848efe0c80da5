"""The import's working database: an in-memory DuckDB (spilling to a temporary folder past its memory limit) where
each chunk of records is parsed, and where what needs the whole input is kept until the end.

Per chunk (:meth:`Staging.parse`): the records are parsed into ``__parsed``; its events and rejects are handed to
the warehouse as Arrow batches and forgotten. What outlives a chunk: the user records (``__user_rows``: a user
repeated across chunks keeps the earliest record) and, per user, the first event and the earliest value of each
attribute (``__user_agg``, merged chunk by chunk): the users derived from their events. Both grow with the number
of users, not of events.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse.contract import IMPORT_TABLES, TABLES, Table
from warehouse.importer.mapping import UsersSpec
from warehouse.importer.readers import InputFile
from warehouse.load import select_list
from warehouse.sql import sql_ident, sql_string

BATCH_ROWS = 131_072
ATTRIBUTES = ("email", "acquisition_channel", "device", "country", "segment")

PARSED_DDL = """
create or replace table __parsed (
    file_id integer, line_no bigint, kind varchar, has_event boolean, user_role varchar,
    v_event_id varchar, v_user_id varchar, v_session_id varchar, v_event_name varchar, v_device varchar,
    occurred_at timestamp, amount decimal(18, 2), properties json,
    u_email varchar, u_acquisition_channel varchar, u_device varchar, u_country varchar, u_segment varchar,
    u_properties json, u_user_id varchar, u_created_at timestamp, reason varchar
)
"""


def _derived_attributes(users: UsersSpec) -> dict[str, str]:
    """Attribute -> parsed column, for the attributes a derived user takes from their events: the mapped ones when
    users are derived (with record kinds or a users file, a user without a record has no attributes)."""
    if users.mode != "derive":
        return {}
    out = {a: f"u_{a}" for a in ATTRIBUTES if a in users.fields.fields}
    if users.fields.properties:
        out["properties"] = "case when user_role = 'attrs' then u_properties end"
    return out


class Staging:
    """The working database of one import."""

    def __init__(
        self,
        dataset: str,
        import_id: str,
        loaded_at: datetime,
        users: UsersSpec,
        memory_limit: str,
        temp_dir: Path,
    ) -> None:
        self.dataset = dataset
        self.attributes = _derived_attributes(users)
        self.import_id = import_id
        self.loaded_ts = sql_string(loaded_at.isoformat(sep=" "))
        self.con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(temp_dir)})
        self.con.execute("set TimeZone = 'UTC'")
        # Row order inside the staging tables does not matter (ids come from file and line): let DuckDB parallelise.
        self.con.execute("set preserve_insertion_order = false")
        self.con.execute("create table __files (file_id integer, role varchar, file_name varchar, id_prefix varchar)")
        self.con.execute(
            "create table __user_agg (user_id varchar, created_at timestamp"
            + "".join(f", {a} {'json' if a == 'properties' else 'varchar'}, k_{a} hugeint" for a in self.attributes)
            + ")"
        )
        self.con.execute(
            "create table __user_rows (file_id integer, line_no bigint, kind varchar, has_event boolean,"
            " user_id varchar, created_at timestamp, email varchar, acquisition_channel varchar, device varchar,"
            " country varchar, segment varchar, properties json, raw_line varchar)"
        )

    def close(self) -> None:
        self.con.close()

    def add_files(self, files: list[InputFile]) -> None:
        # Derived event ids: <dataset>:<file without .gz>:<line>, the prefix computed once per file.
        rows = [(f.file_id, f.role, f.name, f"{self.dataset}:{f.name.removesuffix('.gz')}:") for f in files]
        if rows:
            self.con.executemany("insert into __files values (?, ?, ?, ?)", rows)

    # ----------------------------------------------------------------------------------------------------------
    # Per chunk
    # ----------------------------------------------------------------------------------------------------------

    def parse(self, lines: pa.Table, group_sqls: list[str]) -> tuple[int, int, int, int, int]:
        """Parse one chunk; return (parsed, loaded, rejected, event rows, user-only rows)."""
        self.con.register("__lines", lines)
        self.con.execute(PARSED_DDL)
        for sql in group_sqls:
            self.con.execute(f"insert into __parsed by name {sql}")
        return self.con.execute("""
            select
                count(*),
                count(*) filter (where reason is null),
                count(*) filter (where reason is not null),
                count(*) filter (where reason is null and has_event),
                count(*) filter (where reason is null and not has_event and user_role = 'row')
            from __parsed
        """).fetchall()[0]

    def done_with_chunk(self) -> None:
        self.con.execute("drop table if exists __parsed")
        self.con.unregister("__lines")

    def events(self, dialect: str) -> pa.RecordBatchReader:
        return self._reader(
            f"""
            select
                coalesce(p.v_event_id, f.id_prefix || p.line_no) as event_id,
                p.v_user_id as user_id,
                p.v_session_id as session_id,
                p.v_event_name as event_name,
                p.occurred_at,
                p.v_device as device,
                p.amount,
                p.properties,
                timestamp {self.loaded_ts} as loaded_at
            from __parsed p
            join __files f using (file_id)
            where p.reason is null and p.has_event""",
            TABLES["events"],
            dialect,
        )

    def rejects(self, dialect: str) -> pa.RecordBatchReader:
        # A NUL cannot be stored in text: it is shown as \0 in raw_line.
        return self._reader(
            f"""
            select
                {sql_string(self.import_id)} as import_id,
                f.file_name,
                p.line_no as line_number,
                p.kind as record_kind,
                p.reason,
                replace(l.line, chr(0), '\\0') as raw_line,
                timestamp {self.loaded_ts} as loaded_at
            from __parsed p
            join __files f using (file_id)
            join __lines l using (file_id, line_no)
            where p.reason is not null""",
            IMPORT_TABLES["import_rejects"],
            dialect,
            chunk_local=True,
        )

    def event_names(self) -> set[str]:
        rows = self.con.execute("select distinct v_event_name from __parsed where reason is null and has_event")
        return {r[0] for r in rows.fetchall()}

    def json_found(self, paths: list[str]) -> list[bool]:
        """Whether each JSON path exists in at least one valid record of this chunk."""
        if not paths:
            return []
        counts = ", ".join(f"count(*) filter (where json_exists(line, {sql_string(p)}))" for p in paths)
        return [bool(n) for n in self.con.execute(f"select {counts} from __lines where json_valid(line)").fetchall()[0]]

    def keep_users(self) -> None:
        """Fold this chunk's user records and per-user first events into the running tables."""
        # The record's text is kept only for user records that are not events (a repeat becomes a reject).
        columns = (
            "p.file_id, p.line_no, p.kind, p.has_event, p.u_user_id, p.u_created_at, p.u_email,"
            " p.u_acquisition_channel, p.u_device, p.u_country, p.u_segment, p.u_properties"
        )
        self.con.execute(f"""
            insert into __user_rows
            select {columns}, null from __parsed p
            where p.reason is null and p.user_role = 'row' and p.has_event
        """)
        self.con.execute(f"""
            insert into __user_rows
            select {columns}, l.line from __parsed p join __lines l using (file_id, line_no)
            where p.reason is null and p.user_role = 'row' and not p.has_event
        """)
        # The first event of each user, and of each attribute the earliest value (by time, file, line): the
        # order key packed into one hugeint (time in microseconds, then file id, then line) compares fast.
        key = "epoch_us(occurred_at)::hugeint * 18446744073709551616 + file_id::hugeint * 1099511627776 + line_no"
        values = "".join(f"{v} as {a}, " for a, v in self.attributes.items())
        firsts = "".join(
            f", arg_min({a}, k) filter (where {a} is not null) as {a}, min(k) filter (where {a} is not null) as k_{a}"
            for a in self.attributes
        )
        chunk = f"""
            select v_user_id as user_id, min(occurred_at) as created_at{firsts}
            from (select v_user_id, occurred_at, {values}{key} as k from __parsed where reason is null and has_event)
            group by v_user_id"""
        merged = "".join(
            f", arg_min({a}, k_{a}) filter (where k_{a} is not null) as {a}, min(k_{a}) as k_{a}"
            for a in self.attributes
        )
        self.con.execute(f"""
            create or replace table __user_agg as
            select user_id, min(created_at) as created_at{merged}
            from (select * from __user_agg union all by name {chunk})
            group by user_id
        """)

    # ----------------------------------------------------------------------------------------------------------
    # At the end
    # ----------------------------------------------------------------------------------------------------------

    def resolve_users(self) -> tuple[int, int]:
        """Rank user records per user id (earliest sign-up first). Returns (repeated records that are not events,
        which become rejects; repeated records that are also events, which stay events)."""
        self.con.execute("""
            create or replace table __user_rank as
            select *, row_number() over w as user_rank,
                first_value(file_id) over w as first_file_id,
                first_value(line_no) over w as first_line_no
            from __user_rows
            window w as (partition by user_id order by created_at, file_id, line_no)
        """)
        return self.con.execute("""
            select count(*) filter (where user_rank > 1 and not has_event),
                count(*) filter (where user_rank > 1 and has_event)
            from __user_rank
        """).fetchall()[0]

    def duplicate_rejects(self, dialect: str) -> pa.RecordBatchReader:
        return self._reader(
            f"""
            select
                {sql_string(self.import_id)} as import_id,
                f.file_name,
                r.line_no as line_number,
                r.kind as record_kind,
                'duplicate user id ''' || r.user_id || ''' (first record: ' || ff.file_name || ' line '
                    || r.first_line_no || ')' as reason,
                replace(r.raw_line, chr(0), '\\0') as raw_line,
                timestamp {self.loaded_ts} as loaded_at
            from __user_rank r
            join __files f on f.file_id = r.file_id
            join __files ff on ff.file_id = r.first_file_id
            where r.user_rank > 1 and not r.has_event""",
            IMPORT_TABLES["import_rejects"],
            dialect,
        )

    def users(self, dialect: str) -> pa.RecordBatchReader:
        attrs = ", ".join(ATTRIBUTES)
        derived = ", ".join(a if a in self.attributes else f"null as {a}" for a in ATTRIBUTES)
        properties = "properties" if "properties" in self.attributes else "null"
        return self._reader(
            f"""
            select user_id, created_at, {attrs}, properties, timestamp {self.loaded_ts} as loaded_at
            from __user_rank
            where user_rank = 1
            union all
            select user_id, created_at, {derived}, coalesce({properties}, '{{}}'::json),
                timestamp {self.loaded_ts} as loaded_at
            from __user_agg a
            where not exists (select 1 from __user_rank r where r.user_id = a.user_id)""",
            TABLES["users"],
            dialect,
        )

    def user_counts(self) -> tuple[int, int]:
        """(user records kept, users derived from their events)."""
        kept = self.con.execute("select count(*) from __user_rank where user_rank = 1").fetchall()[0][0]
        derived = self.con.execute(
            "select count(*) from __user_agg a"
            " where not exists (select 1 from __user_rank r where r.user_id = a.user_id)"
        ).fetchall()[0][0]
        return kept, derived

    def parquet_tables(self, f: InputFile, batch_rows: int) -> Iterator[pa.Table]:
        """A Parquet file's rows as JSON text records (``file_id, line_no, line``), read in batches."""
        import pyarrow.parquet as pq

        from warehouse.errors import InputError

        try:
            schema = pq.read_schema(f.path)
        except Exception as exc:  # noqa: BLE001 - any read failure is bad input
            raise InputError(f"{f.path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
        f.header = list(schema.names)
        if not schema.names:
            return
        struct = ", ".join(f"{sql_string(c)}: {sql_ident(c)}" for c in schema.names)
        cursor = self.con.cursor()
        try:
            reader = cursor.sql(
                f"select {f.file_id}::integer as file_id, file_row_number + 1 as line_no,"
                f" to_json({{{struct}}})::varchar as line, false as unclosed"
                f" from read_parquet({sql_string(str(f.path))}, file_row_number = true)"
            ).to_arrow_reader(batch_rows)
            for batch in reader:
                f.records += batch.num_rows
                f.empty = f.empty and not batch.num_rows
                yield pa.Table.from_batches([batch])
        finally:
            cursor.close()

    def _reader(self, sql: str, table: Table, dialect: str, chunk_local: bool = False) -> pa.RecordBatchReader:
        """The rows of ``sql`` in ``table``'s contract types, as batches. A query of the chunk's records (registered
        on this connection only) is run here and its result (at most a chunk) handed over; others stream from a
        cursor of their own, consumed by the warehouse while this connection goes on."""
        query = f"select {select_list(table, dialect, self.import_id)} from ({sql})"
        if chunk_local:
            return self.con.sql(query).to_arrow_table().to_reader(BATCH_ROWS)
        return self.con.cursor().sql(query).to_arrow_reader(BATCH_ROWS)
