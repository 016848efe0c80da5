"""The importer ("bring your own events"): mapping validation, parsing, accounting, stable ids, both warehouses.

Small hand-written inputs pin every rule; slices of the two real datasets in ../shared/datasets (read in place,
never copied into the repository) show it on data nobody here wrote.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shutil
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from settings.paths import REPO_ROOT
from tests.conftest import SHARED_DATASETS, pg_test_database, require_postgres
from tests.test_loader import Warehouse
from warehouse.__main__ import main as cli
from warehouse.connections import ensure_pg_database
from warehouse.errors import InputError, WarehouseError
from warehouse.importer import MappingError, import_events, read_mapping

HEYMAX_CSV = SHARED_DATASETS / "heymax" / "event_stream.csv"
SEND_A_TREE = SHARED_DATASETS / "send_a_tree" / "data-completed"
EXAMPLES = REPO_ROOT / "examples"


def need_shared(path: Path) -> None:
    if path.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the shared datasets must be there: {path} is missing")
    pytest.skip(f"shared dataset not found: {path}")


class ImportWarehouse(Warehouse):
    def run(self, mapping: Path, **kwargs: Any):
        return import_events(
            mapping,
            target=self.target,
            duckdb_path=self.duckdb_path,
            pg_database=self.pg_database,
            quiet=True,
            **kwargs,
        )

    def rejects(self) -> list[tuple]:
        return self.query(
            "select file_name, line_number, record_kind, reason, raw_line from raw.import_rejects"
            " order by file_name, line_number"
        )


@pytest.fixture(params=["duckdb", "postgres"])
def wh(request, tmp_path) -> ImportWarehouse:
    if request.param == "postgres":
        require_postgres()
        ensure_pg_database(f"{pg_test_database()}_imp", recreate=True)
    w = ImportWarehouse(request.param, tmp_path)
    if request.param == "postgres":
        w.pg_database = f"{pg_test_database()}_imp"
    return w


@pytest.fixture
def duck(tmp_path) -> ImportWarehouse:
    return ImportWarehouse("duckdb", tmp_path)


def write_mapping(folder: Path, doc: dict[str, Any] | str, name: str = "mapping.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, sort_keys=False))
    return path


def example(name: str, input_path: Path) -> dict[str, Any]:
    """An example mapping with its input pointed elsewhere (a slice in tmp)."""
    doc = yaml.safe_load((EXAMPLES / name / "mapping.yml").read_text())
    doc["input"]["path"] = str(input_path)
    return doc


SIMPLE_CSV = """\
ts,uid,event,amount,plan
2025-01-01 10:00:00,u1,sign_up,,free
2025-01-01 11:00:00,u1,purchase,19.99,pro
2025-01-02 09:00:00,u2,sign_up,,free
2025-01-03 08:30:00,u2,purchase,5,basic
"""

SIMPLE_MAPPING = {
    "name": "shop",
    "input": {"path": "events.csv"},
    "events": {
        "user_id": "uid",
        "event_name": "event",
        "occurred_at": {"column": "ts", "format": "%Y-%m-%d %H:%M:%S"},
        "amount": "amount",
        "properties": ["plan"],
    },
}


def simple(tmp_path: Path, text: str = SIMPLE_CSV, **changes: Any) -> Path:
    (tmp_path / "in").mkdir(parents=True, exist_ok=True)
    (tmp_path / "in" / "events.csv").write_text(text)
    doc = json.loads(json.dumps(SIMPLE_MAPPING))
    for key, value in changes.items():
        target = doc
        *parents, last = key.split(".")
        for p in parents:
            target = target[p]
        target[last] = value
    return write_mapping(tmp_path / "in", doc)


# ---------------------------------------------------------------------------------------------------------------
# Hand-made inputs: every rule on a few lines
# ---------------------------------------------------------------------------------------------------------------


def test_simple_csv_lands_as_users_and_events(wh, tmp_path):
    summary = wh.run(simple(tmp_path))
    assert (summary.read, summary.loaded, summary.rejected) == (4, 4, 0)
    assert summary.written == {"users": 2, "events": 4, "import_rejects": 0, "import_files": 1}
    events = wh.query(
        "select event_id, user_id, event_name, occurred_at, amount, cast(properties as text)"
        " from raw.events order by event_id"
    )
    assert [e[0] for e in events] == [
        "shop:events.csv:2",
        "shop:events.csv:3",
        "shop:events.csv:4",
        "shop:events.csv:5",
    ]
    assert events[1][1:5] == ("u1", "purchase", datetime(2025, 1, 1, 11), Decimal("19.99"))
    assert events[3][4] == Decimal("5.00") and events[0][4] is None
    assert json.loads(events[1][5]) == {"plan": "pro"}
    # Users derived from events: first seen = sign-up.
    assert wh.query("select user_id, created_at from raw.users order by user_id") == [
        ("u1", datetime(2025, 1, 1, 10)),
        ("u2", datetime(2025, 1, 2, 9)),
    ]
    # Every other contract table is there and empty.
    for table in (
        "sessions",
        "plans",
        "subscriptions",
        "payments",
        "marketing_spend",
        "experiments",
        "experiment_assignments",
    ):
        assert wh.count(table) == 0


def test_broken_lines_are_rejected_with_file_line_and_reason(wh, tmp_path):
    text = SIMPLE_CSV + (
        "2025-01-04 10:00:00,u3,sign_up,,free,EXTRA\n"  # line 6: wrong field count
        "2025-01-04 11:00:00,,sign_up,,free\n"  # line 7: no user id
        "04/01/2025 12:00,u3,sign_up,,free\n"  # line 8: timestamp in another format
        "2025-01-04 13:00:00,u3,purchase,abc,pro\n"  # line 9: amount is not a number
        "2025-01-04 14:00:00,u3,purchase,-3,pro\n"  # line 10: negative amount
        "\n"  # line 11: empty, not a record
        "2025-01-05 10:00:00,u3,sign_up,,free\n"  # line 12: fine
    )
    summary = wh.run(simple(tmp_path, text))
    assert (summary.read, summary.loaded, summary.rejected, summary.blank_lines) == (10, 5, 5, 1)
    assert summary.read == summary.loaded + summary.rejected
    rejects = wh.rejects()
    assert [(r[0], r[1]) for r in rejects] == [("events.csv", n) for n in (6, 7, 8, 9, 10)]
    reasons = [r[3] for r in rejects]
    assert reasons[0] == "expected 5 fields, found 6"
    assert reasons[1] == "missing user id (column uid)"
    assert reasons[2] == "unparseable timestamp '04/01/2025 12:00' (expected %Y-%m-%d %H:%M:%S)"
    assert reasons[3] == "unparseable amount 'abc'"
    assert reasons[4].startswith("negative amount -3")
    assert rejects[2][4] == "04/01/2025 12:00,u3,sign_up,,free"
    assert wh.query("select event_id from raw.events where user_id = 'u3'") == [("shop:events.csv:12",)]


def test_timestamp_in_another_format_parses_when_the_mapping_names_it(duck, tmp_path):
    text = SIMPLE_CSV + "04/01/2025 12:00,u3,sign_up,,free\n"
    mapping = simple(
        tmp_path, text, **{"events.occurred_at": {"column": "ts", "format": ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"]}}
    )
    summary = duck.run(mapping)
    assert summary.rejected == 0
    assert duck.query("select occurred_at from raw.events where user_id = 'u3'") == [(datetime(2025, 1, 4, 12),)]


def test_time_zone_is_converted_to_utc(duck, tmp_path):
    text = "ts,uid,event,amount,plan\n2025-07-01 12:00:00,u1,sign_up,,x\n2025-01-15 12:00:00,u1,visit,,x\n"
    mapping = simple(
        tmp_path,
        text,
        **{"events.occurred_at": {"column": "ts", "format": "%Y-%m-%d %H:%M:%S", "time_zone": "Europe/Berlin"}},
    )
    duck.run(mapping)
    assert duck.query("select event_name, occurred_at from raw.events order by 1") == [
        ("sign_up", datetime(2025, 7, 1, 10)),  # CEST, UTC+2
        ("visit", datetime(2025, 1, 15, 11)),  # CET, UTC+1
    ]


def test_quoted_csv_fields_and_crlf_and_bom(duck, tmp_path):
    text = (
        "\ufeffts,uid,event,amount,plan\r\n"
        '2025-01-01 10:00:00,"u,1",sign_up,,"the ""pro"" plan"\r\n'
        '2025-01-01 11:00:00,u2,"sign_up",,free\r\n'
        '2025-01-01 12:00:00,u3,"sign"up,,free\r\n'
    )
    summary = duck.run(simple(tmp_path, text))
    assert (summary.loaded, summary.rejected) == (2, 1)
    assert duck.query("select user_id, event_name, cast(properties as text) from raw.events order by 1") == [
        ("u,1", "sign_up", '{"plan":"the \\"pro\\" plan"}'),
        ("u2", "sign_up", '{"plan":"free"}'),
    ]
    assert duck.rejects() == [("events.csv", 4, None, "malformed quoting", '2025-01-01 12:00:00,u3,"sign"up,,free')]


def test_missing_mapped_column_names_the_column_and_the_file(duck, tmp_path, capsys):
    mapping = simple(tmp_path, **{"events.session_id": "session"})
    with pytest.raises(InputError, match=r"events\.csv: column 'session' \(mapped as events\.session_id"):
        duck.run(mapping)
    assert cli(["import", "--config", str(mapping), "--duckdb-path", str(duck.duckdb_path), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'session'" in err[0] and "events.csv" in err[0]
    assert not duck.exists(), "nothing written"


@pytest.mark.parametrize(
    ("where", "doc_change", "message"),
    [
        ("top", {"evnts": {}}, "unknown key 'evnts' at the top level"),
        ("events", {"events": {**SIMPLE_MAPPING["events"], "evnt_name": "event"}}, "unknown key 'evnt_name' in events"),
        ("input", {"input": {"path": "events.csv", "delimeter": ";"}}, "unknown key 'delimeter' in input"),
        (
            "field",
            {"events": {**SIMPLE_MAPPING["events"], "occurred_at": {"column": "ts", "fromat": "%Y"}}},
            "unknown key 'fromat' in events.occurred_at",
        ),
        ("dbt_vars", {"dbt_vars": {"funnel_step": ["a"]}}, "unknown key 'funnel_step' in dbt_vars"),
        ("required", {"events": {"user_id": "uid", "event_name": "event"}}, "events.occurred_at is required"),
        (
            "tz",
            {"events": {**SIMPLE_MAPPING["events"], "occurred_at": {"column": "ts", "time_zone": "Mars/Base"}}},
            "unknown time zone 'Mars/Base'",
        ),
        (
            "format",
            {"events": {**SIMPLE_MAPPING["events"], "occurred_at": {"column": "ts", "format": "%Q"}}},
            "'%Q' is not a valid strptime format",
        ),
    ],
)
def test_mapping_mistakes_are_named(duck, tmp_path, capsys, where, doc_change, message):
    (tmp_path / "events.csv").write_text(SIMPLE_CSV)
    mapping = write_mapping(tmp_path, {**SIMPLE_MAPPING, **doc_change})
    with pytest.raises(MappingError, match=message.replace("(", r"\(")):
        read_mapping(mapping)
    assert cli(["import", "--config", str(mapping), "--duckdb-path", str(duck.duckdb_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_empty_input_is_an_error_and_an_empty_file_among_others_is_a_warning(duck, tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "events.csv").write_text("")
    mapping = write_mapping(tmp_path / "one", SIMPLE_MAPPING)
    with pytest.raises(InputError, match="no records to import"):
        duck.run(mapping)
    assert not duck.exists()

    folder = tmp_path / "many" / "data"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(SIMPLE_CSV)
    (folder / "b.csv").write_text("")
    (folder / "c.csv").write_text("ts,uid,event,amount,plan\n")  # a header and nothing else
    mapping = write_mapping(tmp_path / "many", {**SIMPLE_MAPPING, "input": {"path": "data", "pattern": "*.csv"}})
    summary = duck.run(mapping)
    assert (summary.files, summary.read, summary.loaded) == (3, 4, 4)
    assert summary.warnings == ["empty file skipped: b.csv"]


def test_failed_import_leaves_the_warehouse_as_it_was(wh, tmp_path, monkeypatch):
    wh.run(simple(tmp_path / "first"))
    before = {
        t: wh.query(
            f"select count(*), min(event_id) from raw.{t}" if t == "events" else f"select count(*) from raw.{t}"
        )
        for t in ("users", "events", "import_rejects")
    }
    from warehouse.importer.staging import Staging

    def failing_users(self, dialect):
        # Users are written last, after the events went in: a failure there must roll all of it back.
        return self.con.cursor().sql("select error('simulated failure while writing') as user_id").to_arrow_reader()

    monkeypatch.setattr(Staging, "users", failing_users)
    other = "ts,uid,event,amount,plan\n2025-02-01 10:00:00,zz,sign_up,,free\n"
    with pytest.raises(WarehouseError, match="nothing changed: .*simulated failure"):
        wh.run(simple(tmp_path / "second", other))
    after = {
        t: wh.query(
            f"select count(*), min(event_id) from raw.{t}" if t == "events" else f"select count(*) from raw.{t}"
        )
        for t in ("users", "events", "import_rejects")
    }
    assert after == before
    assert wh.query("select count(*) from raw.users where user_id = 'zz'") == [(0,)]


def test_ndjson_with_nested_keys_epoch_times_and_event_ids(wh, tmp_path):
    lines = [
        {"id": "e1", "user": {"id": "a"}, "type": "open", "ts": 1735725600000, "ctx": {"os": "ios"}},
        {"id": "e1", "user": {"id": "a"}, "type": "open", "ts": 1735725600000, "ctx": {"os": "ios"}},  # resend
        {"user": {"id": "b"}, "type": "open", "ts": 1735729200500, "ctx": {"os": "android"}, "page": "home"},
        "not json at all",
        [1, 2],
        {"id": "e4", "user": {"id": "b"}, "type": "buy", "ts": "soon"},
    ]
    text = "\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n"
    (tmp_path / "in").mkdir()
    with gzip.open(tmp_path / "in" / "events.ndjson.gz", "wt") as f:
        f.write(text)
    mapping = write_mapping(
        tmp_path / "in",
        {
            "name": "app",
            "input": {"path": "events.ndjson.gz"},
            "events": {
                "event_id": "id",
                "user_id": "$.user.id",
                "event_name": "type",
                "occurred_at": {"column": "ts", "format": "epoch_ms"},
                "device": "$.ctx.os",
                "properties": {"page": "page"},
            },
        },
    )
    summary = wh.run(mapping)
    assert (summary.read, summary.loaded, summary.rejected) == (6, 3, 3)
    rows = wh.query("select event_id, user_id, occurred_at, device from raw.events order by occurred_at, event_id")
    assert rows == [
        ("e1", "a", datetime(2025, 1, 1, 10), "ios"),
        ("e1", "a", datetime(2025, 1, 1, 10), "ios"),
        ("app:events.ndjson:3", "b", datetime(2025, 1, 1, 11, 0, 0, 500000), "android"),
    ]
    assert [r[3] for r in wh.rejects()] == [
        "invalid JSON",
        "not a JSON object",
        "unparseable timestamp 'soon' (expected epoch_ms)",
    ]


def test_parquet_input_with_typed_columns(duck, tmp_path):
    (tmp_path / "in").mkdir()
    pq.write_table(
        pa.table(
            {
                "user": ["a", "b", None],
                "what": ["open", "buy", "open"],
                "at": pa.array(
                    [datetime(2025, 5, 1, 8), datetime(2025, 5, 2, 9, 30), datetime(2025, 5, 3)], pa.timestamp("ms")
                ),
                "price": pa.array([None, 12.5, None]),
            }
        ),
        tmp_path / "in" / "part-1.parquet",
    )
    mapping = write_mapping(
        tmp_path / "in",
        {
            "name": "pq",
            "input": {"path": ".", "pattern": "*.parquet"},
            "events": {"user_id": "user", "event_name": "what", "occurred_at": "at", "amount": "price"},
        },
    )
    summary = duck.run(mapping)
    assert (summary.read, summary.loaded, summary.rejected) == (3, 2, 1)
    assert duck.query("select event_id, occurred_at, amount from raw.events order by 1") == [
        ("pq:part-1.parquet:1", datetime(2025, 5, 1, 8), None),
        ("pq:part-1.parquet:2", datetime(2025, 5, 2, 9, 30), Decimal("12.50")),
    ]
    assert duck.rejects()[0][1:4] == (3, "events", "missing user id (column user)")


def test_users_from_their_own_file(wh, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "events.csv").write_text(SIMPLE_CSV + "2025-01-05 10:00:00,u9,sign_up,,free\n")
    (folder / "users.csv").write_text(
        "id;signed_up;mail;src\n"
        "u1;2024-12-31T23:00:00+01:00;a@x.org;ads\n"
        "u2;2025-01-02T09:00:00Z;;organic\n"
        "u1;2025-01-01T00:00:00Z;dup@x.org;ads\n"  # the same user again: rejected, the first one is kept
        "u3;yesterday;c@x.org;ads\n"  # bad time: rejected
    )
    mapping = write_mapping(
        folder,
        {
            **SIMPLE_MAPPING,
            "users": {
                "input": {"path": "users.csv", "delimiter": ";"},
                "user_id": "id",
                "created_at": "signed_up",
                "email": "mail",
                "acquisition_channel": "src",
            },
        },
    )
    summary = wh.run(mapping)
    assert (summary.read, summary.loaded, summary.rejected) == (9, 7, 2)
    assert summary.users_derived == 1  # u9 has events but no user record
    assert wh.query("select user_id, created_at, email, acquisition_channel from raw.users order by 1") == [
        ("u1", datetime(2024, 12, 31, 22), "a@x.org", "ads"),
        ("u2", datetime(2025, 1, 2, 9), None, "organic"),
        ("u9", datetime(2025, 1, 5, 10), None, None),
    ]
    rejects = wh.rejects()
    assert [(r[0], r[1]) for r in rejects] == [("users.csv", 4), ("users.csv", 5)]
    assert rejects[0][3] == "duplicate user id 'u1' (first record: users.csv line 2)"
    assert rejects[1][3].startswith("unparseable sign-up time 'yesterday'")


def test_record_kinds_by_column_value_with_date_only_times(duck, tmp_path):
    text = (
        "kind|who|when|what|extra\n"
        "reg|u1|2025-03-01 18:00|signup|ios\n"
        "act|u1|2025-03-01||\n"
        "act|u1|2025-03-01||\n"
        "zzz|u1|2025-03-02||\n"
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "log.txt").write_text(text)
    mapping = write_mapping(
        tmp_path / "in",
        {
            "name": "k",
            "input": {"path": "log.txt", "format": "delimited", "delimiter": "|", "header": True},
            "record_kinds": [
                {
                    "name": "reg",
                    "match": {"column": "kind", "equals": "reg"},
                    "events": {
                        "user_id": "who",
                        "event_name": "what",
                        "occurred_at": {"column": "when", "format": "%Y-%m-%d %H:%M"},
                        "device": "extra",
                    },
                },
                {
                    "name": "act",
                    "match": {"column": "kind", "equals": ["act"]},
                    "events": {
                        "user_id": "who",
                        "event_name": {"value": "acted"},
                        "occurred_at": {"column": "when", "format": "%Y-%m-%d", "date_only_time": "23:59:59"},
                    },
                },
            ],
            "users": {"from_kind": "reg", "device": "extra"},
        },
    )
    summary = duck.run(mapping)
    assert (summary.read, summary.loaded, summary.rejected) == (4, 3, 1)
    assert duck.query("select event_id, event_name, occurred_at from raw.events order by 1") == [
        ("k:log.txt:2", "signup", datetime(2025, 3, 1, 18)),
        ("k:log.txt:3", "acted", datetime(2025, 3, 1, 23, 59, 59)),
        ("k:log.txt:4", "acted", datetime(2025, 3, 1, 23, 59, 59)),
    ]
    assert duck.query("select user_id, created_at, device from raw.users") == [("u1", datetime(2025, 3, 1, 18), "ios")]
    assert duck.rejects()[0][1:4] == (
        5,
        None,
        "matches no record kind (reg: kind in (reg); act: kind in (act)); found 5 fields",
    )


def test_append_adds_only_new_lines_and_keeps_the_earliest_sign_up(wh, tmp_path):
    folder = tmp_path / "in" / "data"
    folder.mkdir(parents=True)
    (folder / "day_2.csv").write_text(
        "ts,uid,event,amount,plan\n2025-01-02 10:00:00,u1,visit,,x\n2025-01-02 11:00:00,u2,visit,,x\n"
    )
    mapping = write_mapping(tmp_path / "in", {**SIMPLE_MAPPING, "input": {"path": "data", "pattern": "*.csv"}})
    assert wh.run(mapping).written == {"users": 2, "events": 2, "import_rejects": 0, "import_files": 1}
    again = wh.run(mapping, append=True)
    assert again.written == {"users": 0, "events": 0, "import_rejects": 0, "import_files": 0}
    assert (again.read, again.files, again.files_skipped) == (0, 0, 1)  # the file was imported: not read again
    (folder / "day_1.csv").write_text("ts,uid,event,amount,plan\n2025-01-01 09:00:00,u1,sign_up,,x\n")
    later = wh.run(mapping, append=True)
    assert later.written["events"] == 1
    assert (later.files, later.read, later.files_skipped) == (1, 1, 1)
    assert wh.query("select user_id, created_at from raw.users order by 1") == [
        ("u1", datetime(2025, 1, 1, 9)),
        ("u2", datetime(2025, 1, 2, 11)),
    ]
    assert wh.count("events") == 3
    # every row is stamped with the import that delivered it: batch_id = its import_id, loaded_at = its time
    for table in ("users", "events"):
        assert wh.query(
            f"select count(*) from raw.{table} r where not exists (select 1 from raw.import_files f"
            " where f.import_id = r.batch_id and f.loaded_at = r.loaded_at)"
        ) == [(0,)]
    # the ledger has the imports that read files (not the one that skipped everything), in order; two imports
    # started in the same second share an import id, and so one ledger row
    ledger = wh.query("select batch_id, sequence, row_count from raw.load_batches order by sequence")
    imports = wh.query(
        "select import_id, cast(sum(records) as bigint) from raw.import_files group by import_id"
        " order by min(loaded_at), import_id"
    )
    assert [(b, n) for b, _, n in ledger] == imports
    assert [s for _, s, _ in ledger] == list(range(len(ledger))) and len(ledger) in (1, 2)


def test_progress_goes_to_stderr_and_quiet_silences_it(duck, tmp_path, capsys):
    mapping = simple(tmp_path)
    assert cli(["import", "--config", str(mapping), "--duckdb-path", str(duck.duckdb_path)]) == 0
    captured = capsys.readouterr()
    assert "reading events from" in captured.err and "read 4 records" in captured.err
    assert "read 4 = loaded 4 + rejected 0" in captured.out
    assert cli(["import", "--config", str(mapping), "--duckdb-path", str(duck.duckdb_path), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------------------------------
# The shipped example mappings
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["heymax", "send_a_tree"])
def test_example_mappings_validate_and_carry_dbt_vars(name):
    need_shared(SHARED_DATASETS)
    mapping = read_mapping(EXAMPLES / name / "mapping.yml")
    assert mapping["name"] == name
    assert mapping["input"]["path"].resolve().is_relative_to(SHARED_DATASETS.resolve())
    assert mapping["dbt_vars"]["funnel_steps"]
    assert (EXAMPLES / name / "README.md").is_file()


def _heymax_rows(limit: int | None = None) -> list[dict[str, str]]:
    with HEYMAX_CSV.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return rows[:limit] if limit else rows


def test_heymax_slice_on_both_warehouses(wh, tmp_path):
    need_shared(HEYMAX_CSV)
    (tmp_path / "slice").mkdir()
    with HEYMAX_CSV.open() as f:
        head = [next(f) for _ in range(2000)]
    (tmp_path / "slice" / "events.csv").write_text("".join(head))
    mapping = write_mapping(tmp_path, example("heymax", tmp_path / "slice" / "events.csv"))
    summary = wh.run(mapping)
    rows = _heymax_rows(1999)
    assert (summary.read, summary.loaded, summary.rejected) == (1999, 1999, 0)
    assert wh.count("events") == 1999

    first: dict[str, dict[str, str]] = {}
    for r in rows:
        if r["user_id"] not in first or r["event_time"] < first[r["user_id"]]["event_time"]:
            first[r["user_id"]] = r
    users = wh.query("select user_id, created_at, acquisition_channel, country, device from raw.users")
    assert len(users) == len(first)
    for user_id, created_at, channel, country, device in users:
        r = first[user_id]
        assert created_at == datetime.fromisoformat(r["event_time"])
        assert (channel, country, device) == (r["utm_source"], r["country"], r["platform"])
    expected_miles = sum(Decimal(r["miles_amount"]) for r in rows if r["miles_amount"])
    assert wh.query("select sum(amount) from raw.events")[0][0] == expected_miles
    ids = {r[0] for r in wh.query("select event_id from raw.events")}
    assert ids == {f"heymax:events.csv:{n}" for n in range(2, 2001)}

    # Stable ids: a second import gives the same ids; appending the same file adds nothing.
    wh.run(mapping)
    assert {r[0] for r in wh.query("select event_id from raw.events")} == ids
    assert wh.run(mapping, append=True).written == {"users": 0, "events": 0, "import_rejects": 0, "import_files": 0}
    assert wh.count("events") == 1999


def test_full_heymax_matches_the_dataset_description(duck, tmp_path):
    need_shared(HEYMAX_CSV)
    summary = duck.run(EXAMPLES / "heymax" / "mapping.yml")
    assert (summary.read, summary.loaded, summary.rejected) == (10_000, 10_000, 0)
    assert dict(duck.query("select event_name, count(*) from raw.events group by 1")) == {
        "miles_earned": 5613,
        "reward_search": 1533,
        "miles_redeemed": 1362,
        "share": 979,
        "like": 513,
    }
    assert duck.query(
        "select count(*), min(created_at) >= '2025-03-07', max(created_at) < '2025-03-14' from raw.users"
    ) == [(100, True, True)]
    assert dict(duck.query("select acquisition_channel, count(*) from raw.users group by 1")) == dict(
        Counter(r["utm_source"] for r in {r["user_id"]: r for r in _heymax_rows()}.values())
    )
    assert duck.query("select min(occurred_at), max(occurred_at) from raw.events") == [
        (datetime(2025, 3, 7, 20, 45, 15, 694746), datetime(2025, 6, 5, 20, 28, 41, 274487))
    ]
    assert summary.warnings == []


def _send_a_tree_lines(day: int) -> list[str]:
    with gzip.open(SEND_A_TREE / f"day_{day}.gz", "rt") as f:
        return f.read().splitlines()


def test_send_a_tree_slice_on_both_warehouses(wh, tmp_path):
    need_shared(SEND_A_TREE)
    folder = tmp_path / "days"
    folder.mkdir()
    for day in (1, 2, 3):
        shutil.copy(SEND_A_TREE / f"day_{day}.gz", folder / f"day_{day}.gz")
    mapping = write_mapping(tmp_path, example("send_a_tree", folder))
    summary = wh.run(mapping)

    lines = {day: _send_a_tree_lines(day) for day in (1, 2, 3)}
    all_lines = [line for day in (1, 2, 3) for line in lines[day]]
    registrations = [line.split(" ") for line in all_lines if len(line.split(" ")) == 9]
    assert (summary.read, summary.loaded, summary.rejected) == (len(all_lines), len(all_lines), 0)
    assert wh.count("events") == len(all_lines) == 437 + 538 + 612
    assert wh.count("users") == len(registrations) == 104 + 86 + 82

    # Users: the registration is the user; sign-up time = date + time of the registration line.
    sample = registrations[0]
    created_at, device, country, channel, props = wh.query(
        "select created_at, device, country, acquisition_channel, cast(properties as text)"
        f" from raw.users where user_id = '{sample[3]}'"
    )[0]
    assert created_at == datetime.fromisoformat(f"{sample[1]} {sample[2]}")
    assert (device, country, channel) == (sample[6], sample[7], sample[8])
    assert json.loads(props) == {"birth_year": sample[5]}

    # Identical lines stay separate events: each repeat is one more send.
    repeats = Counter(line for line in lines[1] if len(line.split(" ")) == 4)
    line, times = repeats.most_common(1)[0]
    assert times > 1
    _, day, user_id, event = line.split(" ")
    assert (
        wh.query(
            f"select count(*) from raw.events where user_id = '{user_id}' and event_name = '{event}'"
            f" and cast(occurred_at as date) = '{day}'"
        )[0][0]
        == times
    )

    # Tree sends carry a date only: they are placed at the end of their day (mapping's date_only_time).
    assert wh.query(
        "select count(*) from raw.events where event_name <> 'registration' and cast(occurred_at as time) <> '23:59:59'"
    ) == [(0,)]
    by_name = dict(wh.query("select event_name, count(*) from raw.events group by 1"))
    assert by_name == dict(
        Counter((parts[4] if len(parts) == 9 else parts[3]) for parts in (x.split(" ") for x in all_lines))
    )

    # Re-importing adds nothing; a new day adds exactly its lines and users.
    assert wh.run(mapping, append=True).written == {"users": 0, "events": 0, "import_rejects": 0, "import_files": 0}
    shutil.copy(SEND_A_TREE / "day_4.gz", folder / "day_4.gz")
    day4 = _send_a_tree_lines(4)
    added = wh.run(mapping, append=True)
    assert added.written == {
        "users": sum(len(x.split(" ")) == 9 for x in day4),
        "events": len(day4),
        "import_rejects": 0,
        "import_files": 1,
    }
    assert wh.query("select count(*) from raw.events where event_id like 'send_a_tree:day_4:%'") == [(len(day4),)]


def test_send_a_tree_broken_lines_in_a_gzipped_file(duck, tmp_path):
    need_shared(SEND_A_TREE)
    folder = tmp_path / "days"
    folder.mkdir()
    good = _send_a_tree_lines(1)[:50]
    broken = [
        "day_9 2019-01-26 1000100",  # 3 fields: no kind has 3
        "day_9 2019-01-26 23:13:51 1000102 registration 1993 android",  # 7 fields
        "day_9 2019-02-30 1000100 sent_a_free_tree",  # no such date
        "day_9 2019-01-26 xx:13:51 1000555 registration 1993 ios brazil google",  # bad time
    ]
    with gzip.open(folder / "day_9.gz", "wt") as f:
        f.write("\n".join(good + broken) + "\n")
    mapping = write_mapping(tmp_path, example("send_a_tree", folder))
    summary = duck.run(mapping)
    assert (summary.read, summary.loaded, summary.rejected) == (54, 50, 4)
    rejects = duck.rejects()
    assert [r[1] for r in rejects] == [51, 52, 53, 54]
    assert rejects[0][3] == ("matches no record kind (registration: 9 fields; tree_send: 4 fields); found 3 fields")
    assert rejects[1][3].endswith("found 7 fields")
    assert rejects[2][2:4] == ("tree_send", "unparseable timestamp '2019-02-30' (expected %Y-%m-%d)")
    assert rejects[3][2:4] == (
        "registration",
        "unparseable timestamp '2019-01-26 xx:13:51' (expected %Y-%m-%d %H:%M:%S)",
    )
    assert rejects[3][4] == broken[3] and rejects[0][0] == "day_9.gz"


def test_summary_line_reads_read_equals_loaded_plus_rejected(duck, tmp_path):
    summary = duck.run(simple(tmp_path, SIMPLE_CSV + "bad line\n"))
    first = summary.lines()[0]
    assert "read 5 = loaded 4 + rejected 1" in first
    buf = io.StringIO()
    print(summary, file=buf)
    assert "read 5 = loaded 4 + rejected 1" in buf.getvalue()


def test_input_paths_expand_environment_variables_with_defaults(tmp_path, monkeypatch):
    """The example mappings find the shared datasets through ${SHARED_DATASETS:-<default>}."""
    from warehouse.importer import expand_env

    monkeypatch.delenv("GA_TEST_ROOT", raising=False)
    assert expand_env("${GA_TEST_ROOT:-../data}/a.csv") == "../data/a.csv"
    assert expand_env("$GA_TEST_ROOT/a.csv") == "$GA_TEST_ROOT/a.csv"  # unset, no default: left as written
    monkeypatch.setenv("GA_TEST_ROOT", str(tmp_path))
    assert expand_env("${GA_TEST_ROOT:-../data}/a.csv") == f"{tmp_path}/a.csv"
    assert expand_env("$GA_TEST_ROOT/a.csv") == f"{tmp_path}/a.csv"

    # The example mappings resolve to the variable's folder when it is set, and beside the clone when not.
    monkeypatch.setenv("SHARED_DATASETS", str(tmp_path / "elsewhere"))
    assert read_mapping(EXAMPLES / "heymax" / "mapping.yml")["input"]["path"] == (
        tmp_path / "elsewhere" / "heymax" / "event_stream.csv"
    )
    monkeypatch.delenv("SHARED_DATASETS")
    assert read_mapping(EXAMPLES / "send_a_tree" / "mapping.yml")["input"]["path"] == (
        REPO_ROOT.parent / "shared" / "datasets" / "send_a_tree" / "data-completed"
    )


def test_progress_rewrites_one_line_on_a_terminal_and_writes_few_lines_to_a_log(monkeypatch):
    from warehouse.importer import progress

    clock = [0.0]
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock[0])

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    log, terminal = io.StringIO(), Terminal()
    for stream in (log, terminal):
        clock[0] = 0.0
        status = progress.Progress(quiet=False, stream=stream)
        status.reading(files=1, total_bytes=1_000_000)
        for second in range(1, 101):  # 100 s of a big file, asked for a status every 0.1 s
            for tenth in range(10):
                clock[0] = second - 1 + (tenth + 1) / 10
                status.status(records=second * 1000, rejected=second // 10, done_bytes=second * 5000)
        status.note("writing users")
    lines = log.getvalue().splitlines()
    assert len(lines) == 100 // progress.LOG_INTERVAL + 1  # one status line per 15 s, then the note
    assert lines[0] == "  read 15,000 records (1,000/s), 1 rejected, 8% of 1 MB, about 0:03:05 left"  # 15 s for 7.5 %
    shown = terminal.getvalue()
    assert shown.count("\r") == 100 / progress.TTY_INTERVAL and shown.count("\n") == 2  # status ended, then note
    assert progress.Progress(quiet=True, stream=log).status(1, 0, 1, force=True) is None
