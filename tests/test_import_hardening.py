"""Hostile input files, each answered cleanly (issue 13 items 2, 3, 8 and 11), on both warehouses where it applies:

- a record holding a NUL character (raw, or ``\\u0000`` in JSON) is rejected with its reason, the rest loads;
- RFC 4180 quoting: a quoted value may hold line breaks (the record keeps the number of the line it starts on);
  a quote still open at the end of the file is one rejected record, never a half-value;
- any encoding Python knows works, UTF-16 with its BOM included;
- ``input.pattern`` stays inside ``input.path``: ``..``, absolute patterns and symlinks leading out are refused with
  one line and exit code 2.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.test_importer import SIMPLE_CSV, SIMPLE_MAPPING, ImportWarehouse, simple, write_mapping
from tests.test_importer import duck as duck_fixture
from tests.test_importer import wh as wh_fixture
from warehouse.__main__ import main as cli
from warehouse.errors import InputError
from warehouse.importer import MappingError, import_events

wh = wh_fixture  # the importer's two-warehouse fixture
duck = duck_fixture


def test_a_nul_character_rejects_its_record_on_both_warehouses(wh: ImportWarehouse, tmp_path):
    text = SIMPLE_CSV + "2025-01-04 10:00:00,u\x003,sign_up,,free\n2025-01-05 10:00:00,u4,sign_up,,fr\x00ee\n"
    summary = wh.run(simple(tmp_path, text))
    assert (summary.read, summary.loaded, summary.rejected) == (6, 4, 2)
    rejects = wh.rejects()
    assert [(r[1], r[3]) for r in rejects] == [
        (6, "NUL character in the record (text columns cannot hold it)"),
        (7, "NUL character in the record (text columns cannot hold it)"),
    ]
    assert rejects[0][4] == "2025-01-04 10:00:00,u\\03,sign_up,,free"  # shown as \0: text cannot hold it
    assert wh.count("events") == 4


def test_an_escaped_nul_in_json_rejects_its_record_on_both_warehouses(wh: ImportWarehouse, tmp_path):
    records = [
        '{"user": "a", "type": "open", "ts": "2025-01-01T10:00:00Z"}',
        '{"user": "b\\u0000", "type": "open", "ts": "2025-01-01T10:00:00Z"}',
        '{"user": "c", "type": "open", "ts": "2025-01-01T10:00:00Z", "page": "x\\u0000y"}',
        '{"user": "d", "type": "open", "ts": "2025-01-01T10:00:00Z", "page": "a\\\\u0000 is text"}',
    ]
    (tmp_path / "events.ndjson").write_text("\n".join(records) + "\n")
    doc = {
        "name": "j",
        "input": {"path": "events.ndjson"},
        "events": {"user_id": "user", "event_name": "type", "occurred_at": "ts", "properties": ["page"]},
    }
    summary = wh.run(write_mapping(tmp_path, doc))
    assert (summary.read, summary.loaded, summary.rejected) == (4, 2, 2)
    assert [r[1] for r in wh.rejects()] == [2, 3]
    assert [r[0] for r in wh.query("select user_id from raw.events order by 1")] == ["a", "d"]
    (props,) = wh.query("select cast(properties as text) from raw.events where user_id = 'd'")[0]
    assert json.loads(props) == {"page": "a\\u0000 is text"}  # an escaped backslash: six characters of text


def test_a_quoted_value_may_span_lines_and_keeps_its_first_line_number(wh: ImportWarehouse, tmp_path):
    text = (
        "ts,uid,event,amount,plan\n"
        '2025-01-01 10:00:00,u1,sign_up,,"two\nlines"\n'  # lines 2-3: one record
        '2025-01-01 11:00:00,u2,sign_up,,"three\n\nlines, with ""quotes"""\n'  # lines 4-6, a blank line inside
        "2025-01-01 12:00:00,u3,sign_up,,free\n"  # line 7
    )
    summary = wh.run(simple(tmp_path, text))
    assert (summary.read, summary.loaded, summary.rejected, summary.blank_lines) == (3, 3, 0, 0)
    rows = wh.query("select event_id, cast(properties as text) from raw.events order by event_id")
    assert [r[0] for r in rows] == ["shop:events.csv:2", "shop:events.csv:4", "shop:events.csv:7"]
    assert [json.loads(r[1])["plan"] for r in rows] == ["two\nlines", 'three\n\nlines, with "quotes"', "free"]


def test_a_quote_left_open_is_one_rejected_record_never_a_half_value(wh: ImportWarehouse, tmp_path):
    text = SIMPLE_CSV + '2025-01-04 10:00:00,u3,sign_up,,"never closed\n2025-01-05 10:00:00,u4,sign_up,,free\n'
    summary = wh.run(simple(tmp_path, text))
    assert (summary.read, summary.loaded, summary.rejected) == (5, 4, 1)
    ((file_name, line, _, reason, raw_line),) = wh.rejects()
    assert (file_name, line) == ("events.csv", 6)
    assert reason == "quote left open: the quoted value that starts in this record is never closed"
    assert raw_line.endswith('"never closed\n2025-01-05 10:00:00,u4,sign_up,,free')
    assert wh.query("select count(*) from raw.events where user_id in ('u3', 'u4')") == [(0,)]


def test_a_quote_inside_an_unquoted_value_is_text_and_opens_nothing(wh: ImportWarehouse, tmp_path):
    """Only a quote at the start of a field opens a quoted value: a stray one (odd count) does not swallow the
    lines after it, and is kept as text (as before)."""
    text = SIMPLE_CSV + '2025-01-04 10:00:00,u3,sign_up,,5" screen\n2025-01-05 10:00:00,u4,sign_up,,free\n'
    summary = wh.run(simple(tmp_path, text))
    assert (summary.read, summary.loaded, summary.rejected) == (6, 6, 0)
    (props,) = wh.query("select cast(properties as text) from raw.events where user_id = 'u3'")[0]
    assert json.loads(props) == {"plan": '5" screen'}
    assert wh.query("select event_id from raw.events where user_id = 'u4'") == [("shop:events.csv:7",)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig", "latin-1", "cp1252", "shift_jis"])
def test_any_python_encoding_reads(duck: ImportWarehouse, tmp_path, encoding):
    plan = {"utf-16": "früh ✓", "utf-16-le": "🌳 tree", "shift_jis": "日本"}.get(encoding, "café")
    text = "ts,uid,event,amount,plan\n2025-01-01 10:00:00,u1,sign_up,,{}\n2025-01-02 10:00:00,u2,visit,,x\n"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "events.csv").write_bytes(text.format(plan).encode(encoding))
    doc = {**SIMPLE_MAPPING, "input": {"path": "events.csv", "encoding": encoding}}
    summary = duck.run(write_mapping(tmp_path / "in", doc))
    assert (summary.read, summary.loaded, summary.rejected) == (2, 2, 0)
    (props,) = duck.query("select cast(properties as text) from raw.events where user_id = 'u1'")[0]
    assert json.loads(props) == {"plan": plan}
    assert duck.query("select event_id from raw.events order by 1") == [("shop:events.csv:2",), ("shop:events.csv:3",)]


def test_utf16_with_bom_on_postgres_too(wh: ImportWarehouse, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "events.csv").write_bytes(SIMPLE_CSV.replace("\n", "\r\n").encode("utf-16"))
    doc = {**SIMPLE_MAPPING, "input": {"path": "events.csv", "encoding": "utf-16"}}
    summary = wh.run(write_mapping(tmp_path / "in", doc))
    assert (summary.read, summary.loaded, summary.rejected) == (4, 4, 0)
    assert wh.query("select sum(amount) from raw.events")[0][0] == Decimal("24.99")


@pytest.mark.parametrize("pattern", ["../../etc/host*", "../*.csv", "/etc/host*", "data/../../x*", "~/x*"])
def test_a_pattern_reaching_outside_the_input_folder_is_refused(duck: ImportWarehouse, tmp_path, capsys, pattern):
    (tmp_path / "in" / "data").mkdir(parents=True)
    (tmp_path / "in" / "data" / "a.csv").write_text(SIMPLE_CSV)
    (tmp_path / "secret.csv").write_text(SIMPLE_CSV)
    mapping = write_mapping(tmp_path / "in", {**SIMPLE_MAPPING, "input": {"path": "data", "pattern": pattern}})
    with pytest.raises(MappingError, match="reaches outside input.path"):
        import_events(mapping, duckdb_path=duck.duckdb_path, quiet=True)
    assert cli(["import", "--config", str(mapping), "--duckdb-path", str(duck.duckdb_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "reaches outside input.path" in err[0]
    assert not duck.exists()


def test_a_symlink_leading_out_of_the_input_folder_is_refused(duck: ImportWarehouse, tmp_path, capsys):
    (tmp_path / "in" / "data").mkdir(parents=True)
    (tmp_path / "in" / "data" / "a.csv").write_text(SIMPLE_CSV)
    (tmp_path / "outside.csv").write_text(SIMPLE_CSV)
    (tmp_path / "in" / "data" / "b.csv").symlink_to(tmp_path / "outside.csv")
    mapping = write_mapping(tmp_path / "in", {**SIMPLE_MAPPING, "input": {"path": "data", "pattern": "*.csv"}})
    with pytest.raises(InputError, match="b.csv leads outside the input folder"):
        import_events(mapping, duckdb_path=duck.duckdb_path, quiet=True)
    assert cli(["import", "--config", str(mapping), "--duckdb-path", str(duck.duckdb_path)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not duck.exists()
    # A symlink that stays inside is fine.
    (tmp_path / "in" / "data" / "b.csv").unlink()
    (tmp_path / "in" / "data" / "sub").mkdir()
    (tmp_path / "in" / "data" / "sub" / "c.csv").symlink_to(tmp_path / "in" / "data" / "a.csv")
    summary = import_events(mapping, duckdb_path=duck.duckdb_path, quiet=True)
    assert (summary.files, summary.read) == (2, 8)


def test_block_borders_fall_anywhere(duck: ImportWarehouse, tmp_path, monkeypatch):
    """Blocks of 5 bytes: a UTF-16 code unit, a line and a quoted value spanning lines are all cut by a block
    border somewhere; the rows are the same as with whole-file blocks."""
    import warehouse.importer.readers as readers

    text = (
        "ts,uid,event,amount,plan\r\n"
        '2025-01-01 10:00:00,u1,sign_up,,"two\r\nlines"\r\n'
        "2025-01-02 10:00:00,ü2,visit,,🌳\r\n"
        "\r\n"
        '2025-01-03 10:00:00,u3,visit,,"x"\r\n'
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "events.csv").write_bytes(text.encode("utf-16"))
    mapping = write_mapping(tmp_path / "in", {**SIMPLE_MAPPING, "input": {"path": "events.csv", "encoding": "utf-16"}})
    query = "select event_id, user_id, cast(properties as text) from raw.events order by 1"
    whole = duck.run(mapping)
    rows = duck.query(query)
    monkeypatch.setattr(readers, "READ_BLOCK_BYTES", 5)
    cut = duck.run(mapping, chunk_lines=1)
    assert (cut.read, cut.loaded, cut.blank_lines) == (whole.read, whole.loaded, whole.blank_lines) == (3, 3, 1)
    assert duck.query(query) == rows
    assert [r[0] for r in rows] == ["shop:events.csv:2", "shop:events.csv:4", "shop:events.csv:6"]
    assert json.loads(rows[0][2]) == {"plan": "two\nlines"}  # a line break in a value is kept as \\n
