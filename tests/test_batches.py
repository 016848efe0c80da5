"""New data in batches: ``python -m data_generation --continue`` and ``python -m warehouse load --append``.

One small continuable dataset (a 52-day horizon, 40 days in the base) and three batches of four days each,
the last one reaching the horizon; beside it the same business generated over the whole horizon at once.
Proved here: continuing is deterministic, the batches follow the base day after day, base + batches after
deduplication are exactly the one generation over the whole horizon, and the loader appends batches in order,
once each, to the dataset they belong to, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_generation import GenerationError, continue_dataset, generate
from data_generation.__main__ import main as generator_cli
from tests.conftest import fresh_warehouse
from warehouse.__main__ import main as warehouse_cli
from warehouse.contract import TABLES
from warehouse.manifest import MANIFEST_FILE, read_manifest

BASE = {"scenario": "saas", "seed": 11, "users": 600, "start_date": date(2025, 1, 6)}
DAYS, HORIZON, STEP, BATCHES = 40, 52, 4, 3
RESTATED = {"subscriptions": ["subscription_id", "version"], "sessions": ["session_id"]}


def _read(folders: list[Path], name: str) -> pd.DataFrame:
    return pa.concat_tables([pq.read_table(f / f"{name}.parquet") for f in folders]).to_pandas()


def _same_rows(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    cols = list(right.columns)
    a = left[cols].astype(str).sort_values(cols).reset_index(drop=True)
    b = right[cols].astype(str).sort_values(cols).reset_index(drop=True)
    return a.equals(b)


@pytest.fixture(scope="module")
def continued(tmp_path_factory) -> tuple[Path, list[Path]]:
    base = generate(output=tmp_path_factory.mktemp("batches") / "saas", days=DAYS, horizon=HORIZON, **BASE)
    batches = [continue_dataset(base, STEP) for _ in range(BATCHES)]
    return base, batches


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> Path:
    return generate(output=tmp_path_factory.mktemp("whole") / "saas", days=HORIZON, horizon=HORIZON, **BASE)


# ---------------------------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------------------------


def test_continuing_is_deterministic(continued, tmp_path):
    base, batches = continued
    copy = tmp_path / "copy"
    shutil.copytree(base, copy, ignore=shutil.ignore_patterns("batches"))
    again = continue_dataset(copy, STEP)
    assert again.name == batches[0].name
    files = sorted(p.name for p in batches[0].iterdir())
    assert files == sorted(p.name for p in again.iterdir()) and MANIFEST_FILE in files
    for name in files:
        assert (again / name).read_bytes() == (batches[0] / name).read_bytes(), name


def test_batches_follow_the_base_without_gap_or_overlap(continued):
    base, batches = continued
    manifests = [read_manifest(f) for f in [base, *batches]]
    assert [m.sequence for m in manifests] == list(range(BATCHES + 1))
    assert len({m.dataset for m in manifests}) == 1
    assert manifests[0].first_day == BASE["start_date"]
    assert manifests[0].last_day == BASE["start_date"] + timedelta(days=DAYS - 1)
    for before, after in zip(manifests, manifests[1:], strict=False):
        assert after.first_day == before.last_day + timedelta(days=1)
        assert (after.last_day - after.first_day).days == STEP - 1
    assert manifests[-1].last_day == BASE["start_date"] + timedelta(days=HORIZON - 1)
    # every row arrived inside its delivery's days; only the batch reaching the horizon is open-ended
    for folder, m in zip([base, *batches], manifests, strict=True):
        lo = datetime.combine(m.first_day, datetime.min.time())
        hi = datetime.combine(m.last_day + timedelta(days=1), datetime.min.time())
        open_ended = m.delivery["open_ended"]
        assert open_ended == (m.sequence == BATCHES)
        for name in TABLES:
            loaded = _read([folder], name)["loaded_at"]
            assert len(loaded) == m.counts[name]
            if name != "plans":  # the price list is known from day 1
                assert (loaded >= lo).all(), (folder.name, name)
            if not open_ended:
                assert (loaded < hi).all(), (folder.name, name)


def test_base_and_batches_are_one_generation_over_the_whole_horizon(continued, whole):
    base, batches = continued
    for name in TABLES:
        parts, full = _read([base, *batches], name), _read([whole], name)
        if name in RESTATED:
            # restated state: the latest delivery of each row is the row as the whole horizon knows it
            assert len(parts) > len(full)
            parts = parts.sort_values("loaded_at", kind="stable").drop_duplicates(RESTATED[name], keep="last")
        assert len(parts) == len(full), name
        assert _same_rows(parts, full), name


def test_batches_carry_late_and_redelivered_events_as_their_manifest_counts(continued):
    base, batches = continued
    seen = set(_read([base], "events")["event_id"])
    total_late_5 = 0
    for folder in batches:
        m = read_manifest(folder)
        events = _read([folder], "events").sort_values("loaded_at", kind="stable")
        lo = pd.Timestamp(m.first_day)
        repeat = events["event_id"].isin(seen) | events["event_id"].duplicated()
        assert m.delivery["redelivered_events"] == int(repeat.sum()) > 0
        first = events[~repeat]
        late = first[first["occurred_at"] < lo]
        assert m.delivery["late_events"] == len(late) > 0
        late_5 = int((late["loaded_at"] - late["occurred_at"] >= pd.Timedelta(days=5)).sum())
        assert m.delivery["late_5_days_or_more"] == late_5
        total_late_5 += late_5
        seen |= set(events["event_id"])
    assert total_late_5 > 0


def test_restatements_only_fill_in_what_became_known(continued, whole):
    base, batches = continued
    for name, key in RESTATED.items():
        full = _read([whole], name).set_index(key)
        growing = {"subscriptions": ("valid_to", "cancelled_at"), "sessions": ("ended_at",)}[name]
        for folder in [base, *batches]:
            rows = _read([folder], name).set_index(key)
            final = full.loc[rows.index]
            for col in growing:
                known = rows[col].notna()
                assert (rows.loc[known, col] == final.loc[known, col]).all()
            same = [c for c in full.columns if c not in (*growing, "loaded_at")]
            assert (rows[same].astype(str) == final[same].astype(str)).all().all(), (name, folder.name)
            assert (rows["loaded_at"] <= final["loaded_at"]).all()


def test_every_delivered_event_finds_its_session(continued):
    """After each delivery no event waits for its session: a session is reported when its first event arrives."""
    base, batches = continued
    folders: list[Path] = []
    for folder in [base, *batches]:
        folders.append(folder)
        events = _read(folders, "events")
        sessions = set(_read(folders, "sessions")["session_id"])
        assert events["session_id"].dropna().isin(sessions).all(), folder.name


def test_continue_refuses_what_it_cannot_do(continued, tmp_path, capsys):
    base, _ = continued
    # the horizon is used up
    assert generator_cli(["--continue", str(base), "--days", "1"]) == 2
    assert "every day of its 52-day horizon" in capsys.readouterr().err
    # a dataset without a horizon has nothing after its last day
    plain = generate(output=tmp_path / "plain", days=10, users=50, seed=3)
    with pytest.raises(GenerationError, match="without --horizon"):
        continue_dataset(plain, 1)
    # settings come from the dataset
    with pytest.raises(SystemExit) as exited:
        generator_cli(["--continue", str(base), "--days", "1", "--seed", "5"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "drop --seed" in err and len(err.strip().splitlines()) == 1


def test_continue_refuses_more_days_than_the_horizon_has_left(tmp_path, capsys):
    base = generate(output=tmp_path / "short", days=5, horizon=8, users=60, seed=2)
    assert generator_cli(["--continue", str(base), "--days", "4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: only 3 days are left") and "\n" not in err
    assert not (base / "batches").exists() or not any((base / "batches").iterdir())


# ---------------------------------------------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------------------------------------------


def _args(target: str, duckdb_path: Path | None, pg_database: str | None) -> list[str]:
    if target == "duckdb":
        return ["--target", "duckdb", "--duckdb-path", str(duckdb_path), "--quiet"]
    return ["--target", "postgres", "--pg-database", str(pg_database), "--quiet"]


def _query(target: str, duckdb_path: Path | None, pg_database: str | None, sql: str) -> list[tuple]:
    if target == "duckdb":
        import duckdb

        con = duckdb.connect(str(duckdb_path), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    from warehouse.connections import connect_postgres

    with connect_postgres(pg_database, create=False) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("target", ["duckdb", "postgres"])
def test_append_loads_batches_in_order_once_each(target, continued, tmp_path, capsys):
    base, batches = continued
    duckdb_path, pg_database = fresh_warehouse(target, tmp_path, "_batches")
    args = _args(target, duckdb_path, pg_database)

    def raw_counts() -> dict[str, int]:
        sql = " union all ".join(f"select '{n}', count(*) from raw.{n}" for n in TABLES)
        return dict(_query(target, duckdb_path, pg_database, sql))

    # nothing to append to yet
    assert warehouse_cli(["load", "--append", str(batches[0]), *args]) == 2
    assert "load its base first" in capsys.readouterr().err

    assert warehouse_cli(["load", "--input", str(base), *args]) == 0
    expected = dict(read_manifest(base).counts)
    assert raw_counts() == expected

    # out of order: batch 2 before batch 1
    assert warehouse_cli(["load", "--append", str(batches[1]), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert "batches load in order" in err and "\n" not in err
    assert raw_counts() == expected

    # a batch of another dataset
    stranger = tmp_path / "stranger"
    shutil.copytree(batches[0], stranger)
    manifest = json.loads((stranger / MANIFEST_FILE).read_text())
    manifest["dataset"] = manifest["dataset"].replace("seed11", "seed12")
    (stranger / MANIFEST_FILE).write_text(json.dumps(manifest))
    assert warehouse_cli(["load", "--append", str(stranger), *args]) == 2
    assert "belongs to dataset" in capsys.readouterr().err
    assert raw_counts() == expected

    for folder in batches:
        assert warehouse_cli(["load", "--append", str(folder), *args]) == 0
        capsys.readouterr()
        for name, rows in read_manifest(folder).counts.items():
            expected[name] += rows
        assert raw_counts() == expected
        # the same batch again adds nothing, and says so
        assert warehouse_cli(["load", "--append", str(folder), *args]) == 0
        assert "already loaded" in capsys.readouterr().out
        assert raw_counts() == expected

    # every row carries the batch that delivered it; the bookkeeping lists each batch once, in order
    per_batch = dict(_query(target, duckdb_path, pg_database, "select batch_id, count(*) from raw.events group by 1"))
    manifests = [read_manifest(f) for f in [base, *batches]]
    assert per_batch == {m.batch_id: m.counts["events"] for m in manifests}
    booked = _query(
        target, duckdb_path, pg_database, "select batch_id, sequence, row_count from raw.load_batches order by sequence"
    )
    assert booked == [(m.batch_id, m.sequence, m.rows) for m in manifests]

    # a full load starts over: raw holds the base again and the bookkeeping only its batch 0
    assert warehouse_cli(["load", "--input", str(base), *args]) == 0
    assert raw_counts() == dict(read_manifest(base).counts)
    assert _query(target, duckdb_path, pg_database, "select count(*) from raw.load_batches") == [(1,)]
