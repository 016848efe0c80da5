"""The importer's golden record: what each fixture import wrote, normalised so that runs, warehouses and
importer versions can be compared row by row.

The golden files in ``tests/golden/importer/`` were recorded with the importer as it was before it was rebuilt
as a streaming package (``python -m tests.import_golden --record``); ``tests/test_import_golden.py`` imports the
same inputs with today's importer on DuckDB and PostgreSQL and compares. For the two shared datasets (too big to
commit) the test keeps digests of the same normalised rows.

A snapshot holds, per import: the summary counts, and every row of ``raw.users``, ``raw.events`` and
``raw.import_rejects`` with timestamps as ISO text, amounts as text with two decimals and properties as JSON with
sorted keys; ``loaded_at`` and ``import_id`` (which name the time of the run) are checked for shape and left out.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import SHARED_DATASETS
from tests.test_importer import EXAMPLES, SIMPLE_CSV, SIMPLE_MAPPING, example, simple, write_mapping

GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "importer"
HEYMAX_CSV = SHARED_DATASETS / "heymax" / "event_stream.csv"
SEND_A_TREE = SHARED_DATASETS / "send_a_tree" / "data-completed"

SUMMARY_KEYS = (
    "files",
    "read",
    "loaded",
    "rejected",
    "blank_lines",
    "written",
    "users_derived",
    "duplicate_registrations",
    "warnings",
)

EVENTS_SQL = (
    "select event_id, user_id, session_id, event_name, occurred_at, device, amount, cast(properties as text)"
    " from raw.events"
)
USERS_SQL = (
    "select user_id, created_at, email, acquisition_channel, device, country, segment, cast(properties as text)"
    " from raw.users"
)
REJECTS_SQL = "select import_id, file_name, line_number, record_kind, reason, raw_line from raw.import_rejects"


@dataclass
class Step:
    """One import of a case: the mapping and the import's keyword arguments (append=...)."""

    mapping: Path
    kwargs: dict[str, Any] = field(default_factory=dict)
    before: Callable[[], None] | None = None  # e.g. a new file arriving before an --append


# --------------------------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------------------------


def _value(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    return v


def _json(text: str | None) -> str | None:
    return None if text is None else json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False)


def _rows(rows: list[tuple], json_columns: tuple[int, ...]) -> list[list[Any]]:
    out = []
    for row in rows:
        values = [_value(v) for v in row]
        for i in json_columns:
            values[i] = _json(values[i])
        out.append(values)
    return sorted(out, key=lambda r: json.dumps(r, default=str))


def table_rows(query: Callable[[str], list[tuple]]) -> dict[str, list[list[Any]]]:
    """Every row of the three import tables, normalised and sorted."""
    rejects = query(REJECTS_SQL)
    return {
        "users": _rows(query(USERS_SQL), (7,)),
        "events": _rows(query(EVENTS_SQL), (7,)),
        # import_id names the run: only its dataset prefix is compared.
        "import_rejects": _rows([(r[0].rsplit("-", 1)[0], *r[1:]) for r in rejects], ()),
    }


def summary_counts(summary: Any) -> dict[str, Any]:
    return {k: getattr(summary, k) for k in SUMMARY_KEYS}


def digest(rows: dict[str, list[list[Any]]]) -> dict[str, Any]:
    """Row counts and a SHA-256 of the normalised rows of each table (for data too big to commit)."""
    out: dict[str, Any] = {}
    for table, values in rows.items():
        text = "\n".join(json.dumps(r, default=str, ensure_ascii=False) for r in values)
        out[table] = {"rows": len(values), "sha256": hashlib.sha256(text.encode()).hexdigest()}
    return out


# --------------------------------------------------------------------------------------------------------------
# The cases: the inputs of tests/test_importer.py, and the shared datasets
# --------------------------------------------------------------------------------------------------------------

BROKEN = SIMPLE_CSV + (
    "2025-01-04 10:00:00,u3,sign_up,,free,EXTRA\n"
    "2025-01-04 11:00:00,,sign_up,,free\n"
    "04/01/2025 12:00,u3,sign_up,,free\n"
    "2025-01-04 13:00:00,u3,purchase,abc,pro\n"
    "2025-01-04 14:00:00,u3,purchase,-3,pro\n"
    "\n"
    "2025-01-05 10:00:00,u3,sign_up,,free\n"
)


def case_simple(tmp: Path) -> list[Step]:
    return [Step(simple(tmp))]


def case_broken(tmp: Path) -> list[Step]:
    return [Step(simple(tmp, BROKEN))]


def case_formats_and_time_zone(tmp: Path) -> list[Step]:
    text = SIMPLE_CSV + "04/01/2025 12:00,u3,sign_up,,free\n2025-07-01 12:00:00,u4,visit,,x\n"
    occurred = {"column": "ts", "format": ["%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"], "time_zone": "Europe/Berlin"}
    return [Step(simple(tmp, text, **{"events.occurred_at": occurred}))]


def case_quoted_crlf_bom(tmp: Path) -> list[Step]:
    text = (
        "\ufeffts,uid,event,amount,plan\r\n"
        '2025-01-01 10:00:00,"u,1",sign_up,,"the ""pro"" plan"\r\n'
        '2025-01-01 11:00:00,u2,"sign_up",,free\r\n'
        '2025-01-01 12:00:00,u3,"sign"up,,free\r\n'
        '  2025-01-01 13:00:00 , u4 ,purchase, 7.5 ,"  spaced  "\r\n'
    )
    return [Step(simple(tmp, text))]


def case_ndjson(tmp: Path) -> list[Step]:
    lines = [
        {"id": "e1", "user": {"id": "a"}, "type": "open", "ts": 1735725600000, "ctx": {"os": "ios"}},
        {"id": "e1", "user": {"id": "a"}, "type": "open", "ts": 1735725600000, "ctx": {"os": "ios"}},
        {"user": {"id": "b"}, "type": "open", "ts": 1735729200500, "ctx": {"os": "android"}, "page": "home"},
        "not json at all",
        [1, 2],
        {"id": "e4", "user": {"id": "b"}, "type": "buy", "ts": "soon"},
        {"user": {"id": "c"}, "type": "open", "ts": "1735729200", "page": "ünïcode ✓"},
    ]
    text = "\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n"
    (tmp / "in").mkdir(parents=True)
    with gzip.open(tmp / "in" / "events.ndjson.gz", "wt") as f:
        f.write(text)
    doc = {
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
    }
    return [Step(write_mapping(tmp / "in", doc))]


def case_parquet(tmp: Path) -> list[Step]:
    (tmp / "in").mkdir(parents=True)
    table = pa.table(
        {
            "user": ["a", "b", None],
            "what": ["open", "buy", "open"],
            "at": pa.array(
                [datetime(2025, 5, 1, 8), datetime(2025, 5, 2, 9, 30), datetime(2025, 5, 3)], pa.timestamp("ms")
            ),
            "price": pa.array([None, 12.5, None]),
        }
    )
    pq.write_table(table, tmp / "in" / "part-1.parquet")
    doc = {
        "name": "pq",
        "input": {"path": ".", "pattern": "*.parquet"},
        "events": {"user_id": "user", "event_name": "what", "occurred_at": "at", "amount": "price"},
    }
    return [Step(write_mapping(tmp / "in", doc))]


def case_users_file(tmp: Path) -> list[Step]:
    folder = tmp / "in"
    folder.mkdir(parents=True)
    (folder / "events.csv").write_text(SIMPLE_CSV + "2025-01-05 10:00:00,u9,sign_up,,free\n")
    (folder / "users.csv").write_text(
        "id;signed_up;mail;src\n"
        "u1;2024-12-31T23:00:00+01:00;a@x.org;ads\n"
        "u2;2025-01-02T09:00:00Z;;organic\n"
        "u1;2025-01-01T00:00:00Z;dup@x.org;ads\n"
        "u3;yesterday;c@x.org;ads\n"
    )
    users = {
        "input": {"path": "users.csv", "delimiter": ";"},
        "user_id": "id",
        "created_at": "signed_up",
        "email": "mail",
        "acquisition_channel": "src",
    }
    return [Step(write_mapping(folder, {**SIMPLE_MAPPING, "users": users}))]


def case_record_kinds(tmp: Path) -> list[Step]:
    text = (
        "kind|who|when|what|extra\n"
        "reg|u1|2025-03-01 18:00|signup|ios\n"
        "act|u1|2025-03-01||\n"
        "act|u1|2025-03-01||\n"
        "zzz|u1|2025-03-02||\n"
        "reg|u1|2025-02-27 08:00|signup|android\n"
        "reg|u2|2025-03-03 08:00|signup|web\n"
    )
    (tmp / "in").mkdir(parents=True)
    (tmp / "in" / "log.txt").write_text(text)
    reg_events = {
        "user_id": "who",
        "event_name": "what",
        "occurred_at": {"column": "when", "format": "%Y-%m-%d %H:%M"},
        "device": "extra",
    }
    act_events = {
        "user_id": "who",
        "event_name": {"value": "acted"},
        "occurred_at": {"column": "when", "format": "%Y-%m-%d", "date_only_time": "23:59:59"},
    }
    doc = {
        "name": "k",
        "input": {"path": "log.txt", "format": "delimited", "delimiter": "|", "header": True},
        "record_kinds": [
            {"name": "reg", "match": {"column": "kind", "equals": "reg"}, "events": reg_events},
            {"name": "act", "match": {"column": "kind", "equals": ["act"]}, "events": act_events},
        ],
        "users": {"from_kind": "reg", "device": "extra"},
    }
    return [Step(write_mapping(tmp / "in", doc))]


def case_empty_among_others(tmp: Path) -> list[Step]:
    folder = tmp / "many" / "data"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(SIMPLE_CSV)
    (folder / "b.csv").write_text("")
    (folder / "c.csv").write_text("ts,uid,event,amount,plan\n")
    (folder / "d.csv").write_text("ts,uid,event,plan,amount\n2025-01-09 10:00:00,u7,visit,x,1\n")  # other order
    return [Step(write_mapping(tmp / "many", {**SIMPLE_MAPPING, "input": {"path": "data", "pattern": "*.csv"}}))]


def case_append(tmp: Path) -> list[Step]:
    folder = tmp / "in" / "data"
    folder.mkdir(parents=True)
    (folder / "day_2.csv").write_text(
        "ts,uid,event,amount,plan\n2025-01-02 10:00:00,u1,visit,,x\n2025-01-02 11:00:00,u2,visit,,x\nbad\n"
    )
    mapping = write_mapping(tmp / "in", {**SIMPLE_MAPPING, "input": {"path": "data", "pattern": "*.csv"}})

    def day_1() -> None:
        (folder / "day_1.csv").write_text("ts,uid,event,amount,plan\n2025-01-01 09:00:00,u1,sign_up,,x\n")

    return [Step(mapping), Step(mapping, {"append": True}), Step(mapping, {"append": True}, before=day_1)]


def case_send_a_tree_broken(tmp: Path) -> list[Step]:
    folder = tmp / "days"
    folder.mkdir(parents=True)
    with gzip.open(SEND_A_TREE / "day_1.gz", "rt") as f:
        good = f.read().splitlines()[:50]
    broken = [
        "day_9 2019-01-26 1000100",
        "day_9 2019-01-26 23:13:51 1000102 registration 1993 android",
        "day_9 2019-02-30 1000100 sent_a_free_tree",
        "day_9 2019-01-26 xx:13:51 1000555 registration 1993 ios brazil google",
        good[-1],  # a repeated registration: stays an event, the earliest record is the user
    ]
    with gzip.open(folder / "day_9.gz", "wt") as f:
        f.write("\n".join(good + broken) + "\n")
    return [Step(write_mapping(tmp, example("send_a_tree", folder)))]


def case_heymax_full(tmp: Path) -> list[Step]:
    return [Step(EXAMPLES / "heymax" / "mapping.yml")]


SEND_A_TREE_SLICE_DAYS = (1, 2, 3, 10, 11, 12, 100, 200, 273)


def case_send_a_tree_slice(tmp: Path) -> list[Step]:
    folder = tmp / "days"
    folder.mkdir(parents=True)
    for day in SEND_A_TREE_SLICE_DAYS:
        shutil.copy(SEND_A_TREE / f"day_{day}.gz", folder / f"day_{day}.gz")
    return [Step(write_mapping(tmp, example("send_a_tree", folder)))]


# name -> (builder, needs the shared datasets, golden kind: "rows" (a committed file) or "digest" (in the test))
CASES: dict[str, tuple[Callable[[Path], list[Step]], bool, str]] = {
    "simple": (case_simple, False, "rows"),
    "broken": (case_broken, False, "rows"),
    "formats_and_time_zone": (case_formats_and_time_zone, False, "rows"),
    "quoted_crlf_bom": (case_quoted_crlf_bom, False, "rows"),
    "ndjson": (case_ndjson, False, "rows"),
    "parquet": (case_parquet, False, "rows"),
    "users_file": (case_users_file, False, "rows"),
    "record_kinds": (case_record_kinds, False, "rows"),
    "empty_among_others": (case_empty_among_others, False, "rows"),
    "append": (case_append, False, "rows"),
    "send_a_tree_broken": (case_send_a_tree_broken, True, "rows"),
    "heymax_full": (case_heymax_full, True, "digest"),
    "send_a_tree_slice": (case_send_a_tree_slice, True, "digest"),
}


def run_case(name: str, tmp: Path, run: Callable[..., Any], query: Callable[[str], list[tuple]]) -> dict[str, Any]:
    """Import every step of a case with ``run(mapping, **kwargs)``; the summaries and the final table rows."""
    builder, _, _ = CASES[name]
    summaries = []
    for step in builder(tmp):
        if step.before:
            step.before()
        summaries.append(summary_counts(run(step.mapping, **step.kwargs)))
    return {"summaries": summaries, "tables": table_rows(query)}


def golden_path(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def _record(names: list[str], out: Path) -> int:
    import tempfile

    import duckdb

    from warehouse.importer import import_events

    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "golden.duckdb"

            def run(mapping: Path, **kwargs: Any) -> Any:
                return import_events(mapping, duckdb_path=db, quiet=True, **kwargs)  # noqa: B023

            def query(sql: str) -> list[tuple]:
                with duckdb.connect(str(db), read_only=True) as con:  # noqa: B023
                    return con.execute(sql).fetchall()

            result = run_case(name, Path(tmp) / "case", run, query)
        if CASES[name][2] == "rows":
            golden_path(name).write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n")
            print(f"wrote {golden_path(name)}")
        else:
            digests[name] = {"summaries": result["summaries"], "tables": digest(result["tables"])}
    if digests:
        out.write_text(json.dumps(digests, indent=2) + "\n")
        print(f"wrote {out} (paste into tests/test_import_golden.py)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="record the importer's golden files (DuckDB)")
    parser.add_argument("--record", action="store_true", required=True)
    parser.add_argument("--case", action="append", help="only these cases (default: all)")
    parser.add_argument("--digests-out", type=Path, default=Path("data/import_golden_digests.json"))
    args = parser.parse_args()
    return _record(args.case or list(CASES), args.digests_out)


if __name__ == "__main__":
    sys.exit(main())
