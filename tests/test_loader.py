"""The loader: a folder of <table>.parquet -> schema raw, on DuckDB and PostgreSQL.

Small contract-shaped datasets are built by hand here (values chosen so every column type is exercised); a
generated dataset (the shared ``small_dataset`` fixture) is loaded too.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import pg_test_database, require_postgres
from warehouse.__main__ import main as cli
from warehouse.connections import drop_pg_database, ensure_pg_database, pg_settings
from warehouse.contract import BOOKKEEPING_TABLES, IMPORT_TABLES, TABLES, render_ddl
from warehouse.errors import InputError, WarehouseError
from warehouse.load import load

T0 = datetime(2025, 3, 1, 9, 30, 15, 123456)


def _rows(variant: str) -> dict[str, list[dict[str, Any]]]:
    """Rows per table. Variant 'b' differs from 'a' in counts and values so that a replace is visible."""
    n_users = 3 if variant == "a" else 2
    users = [
        {
            "user_id": f"{variant}_u{i}",
            "created_at": T0.replace(day=i + 1),
            "email": f"u{i}@example.com" if i else None,
            "acquisition_channel": ["organic", "paid_search", "referral"][i],
            "device": "web",
            "country": "DE",
            "segment": "smb",
            "properties": json.dumps({"plan_intent": "pro", "n": i}),
            "loaded_at": T0,
        }
        for i in range(n_users)
    ]
    events = [
        {
            "event_id": f"{variant}_e{i}",
            "user_id": users[i % n_users]["user_id"],
            "session_id": None if i == 0 else f"{variant}_s{i % 2}",
            "event_name": ["sign_up", "feature_used", "purchase"][i % 3],
            "occurred_at": T0.replace(hour=10 + i),
            "device": "ios",
            "amount": Decimal("19.99") if i % 3 == 2 else None,
            "properties": json.dumps({"feature": "export"} if i % 3 == 1 else {}),
            "loaded_at": T0.replace(hour=10 + i, minute=31),
        }
        for i in range(5 if variant == "a" else 4)
    ]
    events.append(dict(events[1], loaded_at=T0.replace(hour=23)))  # a tracker re-delivery: same event_id
    return {
        "users": users,
        "sessions": [
            {
                "session_id": f"{variant}_s0",
                "user_id": users[0]["user_id"],
                "started_at": T0,
                "ended_at": None,
                "device": "web",
                "channel": "organic",
                "country": "DE",
                "loaded_at": T0,
            },
        ],
        "events": events,
        "plans": [
            {
                "plan_id": "basic",
                "plan_name": "Basic",
                "billing_period": "month",
                "price": Decimal("9.00"),
                "currency": "EUR",
                "tier": 1,
                "loaded_at": T0,
            },
            {
                "plan_id": "pro",
                "plan_name": "Pro",
                "billing_period": "year",
                "price": Decimal("290.00"),
                "currency": "EUR",
                "tier": 2,
                "loaded_at": T0,
            },
        ],
        "subscriptions": [
            {
                "subscription_id": "sub1",
                "version": 1,
                "user_id": users[0]["user_id"],
                "plan_id": "basic",
                "status": "trialing",
                "change_type": "trial_start",
                "valid_from": T0,
                "valid_to": T0.replace(day=15),
                "cancelled_at": None,
                "loaded_at": T0,
            },
            {
                "subscription_id": "sub1",
                "version": 2,
                "user_id": users[0]["user_id"],
                "plan_id": "basic",
                "status": "active",
                "change_type": "paid_start",
                "valid_from": T0.replace(day=15),
                "valid_to": None,
                "cancelled_at": None,
                "loaded_at": T0,
            },
        ],
        "payments": [
            {
                "payment_id": "p1",
                "subscription_id": "sub1",
                "user_id": users[0]["user_id"],
                "plan_id": "basic",
                "payment_type": "charge",
                "status": "failed",
                "amount": Decimal("9.00"),
                "currency": "EUR",
                "attempt_number": 1,
                "retry_of_payment_id": None,
                "refunded_payment_id": None,
                "failure_reason": "card_declined",
                "created_at": T0.replace(day=15),
                "loaded_at": T0,
            },
            {
                "payment_id": "p2",
                "subscription_id": "sub1",
                "user_id": users[0]["user_id"],
                "plan_id": "basic",
                "payment_type": "charge",
                "status": "succeeded",
                "amount": Decimal("9.00"),
                "currency": "EUR",
                "attempt_number": 2,
                "retry_of_payment_id": "p1",
                "refunded_payment_id": None,
                "failure_reason": None,
                "created_at": T0.replace(day=16),
                "loaded_at": T0,
            },
        ],
        "marketing_spend": [
            {
                "spend_date": date(2025, 3, 1),
                "channel": "paid_search",
                "spend": Decimal("120.50"),
                "currency": "EUR",
                "impressions": 10_000_000_000,
                "clicks": 300,
                "loaded_at": T0,
            },
        ],
        "experiments": [
            {
                "experiment_id": "x1",
                "variant": v,
                "is_control": v == "control",
                "planned_share": 0.5,
                "goal_event": "purchase",
                "conversion_window_days": 14,
                "started_at": T0,
                "ended_at": None,
                "description": "Shorter onboarding",
                "loaded_at": T0,
            }
            for v in ("control", "treatment")
        ],
        "experiment_assignments": [
            {
                "experiment_id": "x1",
                "user_id": u["user_id"],
                "variant": "control" if i % 2 else "treatment",
                "assigned_at": T0,
                "loaded_at": T0,
            }
            for i, u in enumerate(users)
        ],
    }


def write_dataset(folder: Path, variant: str = "a", **overrides: pa.Table) -> dict[str, int]:
    """Write one <table>.parquet per contract table; ``overrides`` replace whole tables. Returns row counts."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = _rows(variant)
    counts = {}
    for name, table in TABLES.items():
        data = overrides.get(name)
        if data is None:
            data = pa.Table.from_pylist(rows[name], schema=table.arrow_schema())
        pq.write_table(data, folder / f"{name}.parquet")
        counts[name] = data.num_rows
    return counts


# ---------------------------------------------------------------------------------------------------------------
# Warehouse access for the tests
# ---------------------------------------------------------------------------------------------------------------


class Warehouse:
    """A throw-away warehouse of one kind, with the same few queries on both."""

    def __init__(self, target: str, tmp: Path) -> None:
        self.target = target
        self.duckdb_path = tmp / "warehouse.duckdb" if target == "duckdb" else None
        self.pg_database = f"{pg_test_database()}_wh" if target == "postgres" else None

    def load(self, folder: Path, **kwargs: Any) -> dict[str, int]:
        return load(folder, target=self.target, duckdb_path=self.duckdb_path, pg_database=self.pg_database, **kwargs)

    def cli_args(self) -> list[str]:
        if self.target == "duckdb":
            return ["--target", "duckdb", "--duckdb-path", str(self.duckdb_path)]
        return ["--target", "postgres", "--pg-database", str(self.pg_database)]

    def query(self, sql: str) -> list[tuple]:
        if self.target == "duckdb":
            con = duckdb.connect(str(self.duckdb_path), read_only=True)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        import psycopg

        with psycopg.connect(**pg_settings(self.pg_database)) as conn:
            return conn.execute(sql).fetchall()

    def execute(self, sql: str) -> None:
        if self.target == "duckdb":
            con = duckdb.connect(str(self.duckdb_path))
            try:
                con.execute(sql)
            finally:
                con.close()
            return
        import psycopg

        with psycopg.connect(**pg_settings(self.pg_database)) as conn:
            conn.execute(sql)

    def count(self, table: str) -> int:
        return self.query(f"select count(*) from raw.{table}")[0][0]

    def counts(self) -> dict[str, int]:
        return {name: self.count(name) for name in TABLES}

    def columns(self, schema: str) -> list[tuple]:
        catalog = " and table_catalog = current_database()" if self.target == "duckdb" else ""
        return self.query(
            "select table_name, column_name, data_type, numeric_precision, numeric_scale, is_nullable"
            f" from information_schema.columns where table_schema = '{schema}'{catalog}"
            " order by table_name, ordinal_position"
        )

    def exists(self) -> bool:
        if self.target == "duckdb":
            return self.duckdb_path.exists()
        import psycopg

        with psycopg.connect(**pg_settings("postgres")) as conn:
            return bool(conn.execute("select 1 from pg_database where datname = %s", (self.pg_database,)).fetchone())


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, tmp_path) -> Warehouse:
    """An empty warehouse: a new DuckDB file, or a freshly recreated PostgreSQL test database."""
    if request.param == "postgres":
        require_postgres()
        ensure_pg_database(f"{pg_test_database()}_wh", recreate=True)
    return Warehouse(request.param, tmp_path)


def snapshot(wh: Warehouse) -> dict[str, list[tuple]]:
    """Every row of every raw table, sorted (to compare a warehouse before and after)."""
    out = {}
    for name, table in TABLES.items():
        cols = ", ".join(f"cast({c} as text)" if c == "properties" else c for c in table.column_names)
        out[name] = sorted(wh.query(f"select {cols} from raw.{name}"), key=repr)
    return out


# ---------------------------------------------------------------------------------------------------------------
# DDL
# ---------------------------------------------------------------------------------------------------------------


def test_ddl_files_are_rendered_from_the_contract():
    ddl_dir = Path(__file__).resolve().parent.parent / "warehouse" / "ddl"
    for dialect in ("duckdb", "postgres"):
        assert (ddl_dir / f"raw_{dialect}.sql").read_text() == render_ddl(dialect), (
            f"warehouse/ddl/raw_{dialect}.sql is stale: run `python -m warehouse ddl`"
        )
    assert cli(["ddl", "--check"]) == 0


def test_ddl_holds_every_raw_table_and_the_rejects_table():
    text = render_ddl("postgres")
    for name in [*TABLES, *IMPORT_TABLES]:
        assert f"create table if not exists raw.{name} (" in text
    assert "properties jsonb" in text and "amount numeric(18, 2)" in text
    assert "properties json," in render_ddl("duckdb")


# ---------------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------------


def test_load_counts_types_and_values(warehouse, tmp_path):
    expected = write_dataset(tmp_path / "a", "a")
    loaded = warehouse.load(tmp_path / "a")
    assert loaded == expected
    assert warehouse.counts() == expected
    assert expected["events"] == 6 and expected["users"] == 3

    # Column types are exactly what the DDL declares: compare with tables created from the DDL itself.
    warehouse.execute(render_ddl(warehouse.target, schema="ddl_expected"))
    raw = [row for row in warehouse.columns("raw")]
    declared = warehouse.columns("ddl_expected")
    assert raw == declared
    assert {r[0] for r in raw} == {*TABLES, *IMPORT_TABLES, *BOOKKEEPING_TABLES}

    # Values survive the trip: money, JSON, timestamps with microseconds, nulls, big integers, booleans.
    amount, properties, occurred_at = warehouse.query(
        "select amount, properties, occurred_at from raw.events where event_id = 'a_e2' order by loaded_at limit 1"
    )[0]
    assert amount == Decimal("19.99")
    assert (json.loads(properties) if isinstance(properties, str) else properties) == {}
    assert occurred_at == T0.replace(hour=12)
    assert warehouse.query("select created_at from raw.users where user_id = 'a_u0'")[0][0] == T0
    assert warehouse.query("select email from raw.users where user_id = 'a_u0'")[0][0] is None
    assert warehouse.query("select impressions from raw.marketing_spend")[0][0] == 10_000_000_000
    assert sorted(warehouse.query("select variant, is_control from raw.experiments")) == [
        ("control", True),
        ("treatment", False),
    ]
    props = warehouse.query("select properties from raw.users where user_id = 'a_u2'")[0][0]
    assert (json.loads(props) if isinstance(props, str) else props) == {"plan_intent": "pro", "n": 2}
    # The re-delivered event is kept in raw (deduplicated later, in staging).
    assert warehouse.query("select count(*) from raw.events where event_id = 'a_e1'")[0][0] == 2


def test_reload_replaces_and_never_duplicates(warehouse, tmp_path):
    a = write_dataset(tmp_path / "a", "a")
    b = write_dataset(tmp_path / "b", "b")
    warehouse.load(tmp_path / "a")
    first = snapshot(warehouse)
    warehouse.load(tmp_path / "a")
    assert snapshot(warehouse) == first
    assert warehouse.counts() == a

    warehouse.load(tmp_path / "b")
    assert warehouse.counts() == b
    assert warehouse.query("select count(*) from raw.users where user_id like 'a_%'")[0][0] == 0


def _corrupt(path: Path) -> None:
    """Scramble a Parquet file's data pages, keeping its footer: the schema reads, the data does not."""
    data = bytearray(path.read_bytes())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    for i in range(4, len(data) - footer):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("failure", ["corrupt_pages", "null_in_not_null_column"])
def test_failed_load_leaves_previous_data_whole(warehouse, tmp_path, failure):
    write_dataset(tmp_path / "a", "a")
    warehouse.load(tmp_path / "a")
    before = snapshot(warehouse)

    last = list(TABLES)[-1]
    if failure == "corrupt_pages":
        write_dataset(tmp_path / "b", "b")
        _corrupt(tmp_path / "b" / f"{last}.parquet")
    else:
        # A null the validation cannot see (no statistics in the file): only the database refuses it.
        bad = pa.Table.from_pylist(
            [{"experiment_id": "x1", "user_id": None, "variant": "control", "assigned_at": T0, "loaded_at": T0}],
            schema=TABLES[last].arrow_schema().set(1, pa.field("user_id", pa.string(), nullable=True)),
        )
        write_dataset(tmp_path / "b", "b")
        pq.write_table(bad, tmp_path / "b" / f"{last}.parquet", write_statistics=False)

    with pytest.raises(WarehouseError, match="nothing changed"):
        warehouse.load(tmp_path / "b")
    assert snapshot(warehouse) == before


def test_load_of_a_generated_dataset(warehouse, small_dataset):
    expected = {name: pq.ParquetFile(small_dataset / f"{name}.parquet").metadata.num_rows for name in TABLES}
    assert warehouse.load(small_dataset) == expected
    assert warehouse.counts() == expected
    assert expected["events"] > 0 and expected["users"] > 0
    # Spot-check that values landed, not just rows: distinct users in events match the file.
    users_in_file = len(
        set(pq.read_table(small_dataset / "events.parquet", columns=["user_id"])["user_id"].to_pylist())
    )
    assert warehouse.query("select count(distinct user_id) from raw.events")[0][0] == users_in_file


def test_cli_load_prints_rows_per_table(warehouse, tmp_path, capsys):
    expected = write_dataset(tmp_path / "a", "a")
    assert cli(["load", "--input", str(tmp_path / "a"), "--quiet", *warehouse.cli_args()]) == 0
    out = capsys.readouterr().out
    for name, rows in expected.items():
        assert re.search(rf"^raw\.{name}\s+{rows:,}$", out, re.MULTILINE), (name, out)
    assert f"loaded {sum(expected.values()):,} rows" in out


# ---------------------------------------------------------------------------------------------------------------
# Bad input: one line, exit code 2, nothing loaded
# ---------------------------------------------------------------------------------------------------------------


def _events_with(column: str, array: pa.Array) -> pa.Table:
    base = pa.Table.from_pylist(_rows("a")["events"], schema=TABLES["events"].arrow_schema())
    index = base.schema.get_field_index(column)
    return base.set_column(index, pa.field(column, array.type), array)


BAD_INPUTS = {
    "missing_file": (lambda d: (d / "payments.parquet").unlink(), "payments.parquet: missing"),
    "not_parquet": (lambda d: (d / "plans.parquet").write_text("plan_id,price\n"), "plans.parquet: not a readable"),
    "wrong_type": (
        lambda d: pq.write_table(_events_with("amount", pa.array([1.5] * 6, pa.float64())), d / "events.parquet"),
        "table events column 'amount' is double",
    ),
    "missing_column": (
        lambda d: pq.write_table(
            pa.Table.from_pylist(_rows("a")["users"], schema=TABLES["users"].arrow_schema()).drop_columns(["segment"]),
            d / "users.parquet",
        ),
        "table users has no column 'segment'",
    ),
    "extra_column": (
        lambda d: pq.write_table(
            pa.Table.from_pylist(_rows("a")["plans"], schema=TABLES["plans"].arrow_schema()).append_column(
                "colour", pa.array(["red", "blue"])
            ),
            d / "plans.parquet",
        ),
        "table plans has columns the contract does not know: colour",
    ),
    "timezone_aware": (
        lambda d: pq.write_table(
            _events_with("occurred_at", pa.array([T0] * 6, pa.timestamp("us", tz="Europe/Berlin"))),
            d / "events.parquet",
        ),
        "table events column 'occurred_at' is timestamp[us, tz=Europe/Berlin]",
    ),
    "null_in_not_null": (
        lambda d: pq.write_table(
            _events_with("user_id", pa.array([None, "u", "u", "u", "u", "u"], pa.string())), d / "events.parquet"
        ),
        "table events column 'user_id' has nulls",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_line_and_loads_nothing(warehouse, tmp_path, capsys, case):
    damage, message = BAD_INPUTS[case]
    write_dataset(tmp_path / "bad", "a")
    damage(tmp_path / "bad")
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        warehouse.load(tmp_path / "bad")
    assert cli(["load", "--input", str(tmp_path / "bad"), *warehouse.cli_args()]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message.split(":")[0] in err[0]
    if warehouse.target == "duckdb":
        assert not warehouse.exists(), "nothing is created for bad input"
    else:
        assert warehouse.query("select count(*) from information_schema.tables where table_schema = 'raw'") == [(0,)]


def test_missing_folder_is_bad_input(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load(tmp_path / "nope", duckdb_path=tmp_path / "w.duckdb")


# ---------------------------------------------------------------------------------------------------------------
# Raw tables that dbt depends on
# ---------------------------------------------------------------------------------------------------------------


def test_raw_tables_are_not_dropped_so_dependent_views_survive(warehouse, tmp_path):
    write_dataset(tmp_path / "a", "a")
    write_dataset(tmp_path / "b", "b")
    warehouse.load(tmp_path / "a")
    warehouse.execute("create schema if not exists staging")
    warehouse.execute("create view staging.stg_events as select event_id, user_id from raw.events")
    warehouse.load(tmp_path / "b")
    assert warehouse.query("select count(*) from staging.stg_events")[0][0] == warehouse.count("events") == 5


def test_table_that_differs_from_the_contract_needs_recreate(warehouse, tmp_path):
    write_dataset(tmp_path / "a", "a")
    warehouse.load(tmp_path / "a")
    warehouse.execute("alter table raw.users drop column segment")
    with pytest.raises(InputError, match=r"raw\.users .* does not match the contract .*segment.*--recreate"):
        warehouse.load(tmp_path / "a")
    assert warehouse.count("users") == 3, "the failed load changed nothing"
    if warehouse.target == "postgres":
        warehouse.execute("create schema if not exists staging")
        warehouse.execute("create view staging.stg_users as select user_id from raw.users")
    assert warehouse.load(tmp_path / "a", recreate=True)["users"] == 3
    assert [c[1] for c in warehouse.columns("raw") if c[0] == "users"] == TABLES["users"].column_names


def test_postgres_database_is_created_when_missing(tmp_path):
    require_postgres()
    import psycopg

    name = f"{pg_test_database()}_wh_new"
    drop_pg_database(name)
    write_dataset(tmp_path / "a", "a")
    assert load(tmp_path / "a", target="postgres", pg_database=name)["users"] == 3
    with psycopg.connect(**pg_settings(name)) as conn:
        assert conn.execute("select count(*) from raw.users").fetchone()[0] == 3
    drop_pg_database(name)


def test_duckdb_path_comes_from_the_environment(tmp_path, monkeypatch):
    write_dataset(tmp_path / "a", "a")
    target = tmp_path / "from_env.duckdb"
    monkeypatch.setenv("DUCKDB_PATH", str(target))
    load(tmp_path / "a")
    assert target.exists()
    assert duckdb.connect(str(target), read_only=True).execute("select count(*) from raw.users").fetchone()[0] == 3


# ---------------------------------------------------------------------------------------------------------------
# Binary COPY encoding (PostgreSQL)
# ---------------------------------------------------------------------------------------------------------------

EDGE_VALUES = pa.table(
    {
        "s": pa.array(["a", "", None, "ünïcödé ✓", "x" * 300]),
        "i": pa.array([1, -2, None, 2**31 - 1, -(2**31)], pa.int32()),
        "b": pa.array([10_000_000_000, None, -1, 0, 2**62], pa.int64()),
        "d": pa.array([1.5, None, -0.25, 1e300, 3.141592653589793]),
        "m": pa.array(
            [Decimal("19.99"), Decimal("0.00"), None, Decimal("9999999999999999.99"), Decimal("-1234.05")],
            pa.decimal128(18, 2),
        ),
        "bo": pa.array([True, False, None, True, False]),
        "dt": pa.array([date(2025, 1, 1), date(1999, 12, 31), None, date(1970, 1, 1), date(2100, 2, 28)]),
        "ts": pa.array(
            [T0, datetime(1999, 12, 31, 23, 59, 59, 999999), None, datetime(1970, 1, 1), datetime(2000, 1, 1)],
            pa.timestamp("us"),
        ),
        "j": pa.array(['{"a": 1}', "{}", None, '{"k": "ü"}', '{"n": [1, 2]}']),
    }
)
EDGE_TYPES = ["string", "integer", "bigint", "double", "money", "boolean", "date", "timestamp", "json"]


def test_binary_copy_encoding_of_known_values():
    from warehouse.pgcopy import encode_batch

    one = pa.table(
        {
            "m": pa.array([Decimal("19.99")], pa.decimal128(18, 2)),
            "ts": pa.array([datetime(2000, 1, 1, 0, 0, 1)], pa.timestamp("us")),
            "s": pa.array([None], pa.string()),
            "j": pa.array(["{}"]),
        }
    ).to_batches()[0]
    payload = encode_batch(one, ["money", "timestamp", "string", "json"]).to_pybytes()
    expected = (
        (4).to_bytes(2, "big")  # four fields
        + (18).to_bytes(4, "big")  # numeric: 4 header words + 5 digits, 2 bytes each
        + b"".join(v.to_bytes(2, "big") for v in (5, 3, 0, 2, 0, 0, 0, 19, 9900))  # 0000 0000 0000 0019 . 9900
        + (8).to_bytes(4, "big")
        + (1_000_000).to_bytes(8, "big")  # microseconds since 2000-01-01
        + b"\xff\xff\xff\xff"  # null
        + (3).to_bytes(4, "big")
        + b"\x01{}"  # jsonb version 1 + text
    )
    assert payload == expected


def test_binary_copy_round_trips_every_type():
    require_postgres()
    import psycopg

    from warehouse.pgcopy import HEADER, TRAILER, encode_batch

    ensure_pg_database(f"{pg_test_database()}_wh")
    with psycopg.connect(**pg_settings(f"{pg_test_database()}_wh")) as conn:
        conn.execute(
            "create temp table edge (s text, i integer, b bigint, d double precision, m numeric(18, 2),"
            " bo boolean, dt date, ts timestamp, j jsonb)"
        )
        with conn.cursor().copy("copy edge from stdin (format binary)") as copy:
            copy.write(HEADER)
            copy.write(encode_batch(EDGE_VALUES.slice(0, 2).to_batches()[0], EDGE_TYPES))  # a slice: offsets
            copy.write(encode_batch(EDGE_VALUES.slice(2).to_batches()[0], EDGE_TYPES))
            copy.write(TRAILER)
        got = conn.execute("select * from edge").fetchall()
    expected = [tuple(r.values()) for r in EDGE_VALUES.to_pylist()]
    expected = [(*r[:8], json.loads(r[8]) if r[8] is not None else None) for r in expected]
    assert got == expected
