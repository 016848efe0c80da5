"""One run at a time per warehouse (warehouse.lock; issue 13 item 1), on DuckDB and PostgreSQL:

- while a run holds the warehouse, a second one exits 2 naming the holder (pid, start time) and changes nothing;
- with WAREHOUSE_LOCK_WAIT it waits for the holder to finish, then runs;
- a lock whose process was killed (kill -9) is taken over by the next run;
- the lock module's own edge: a released lock file is removed, so a waiting opener never locks a stale file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO_ROOT, fresh_warehouse
from warehouse.__main__ import main as warehouse_cli
from warehouse.connections import connect_postgres
from warehouse.lock import PG_LOCK_KEY, LockHeld, lock_file_for, warehouse_lock

TARGETS = ["duckdb", "postgres"]


def _where(target: str, tmp_path: Path) -> tuple[Path | None, str | None]:
    return fresh_warehouse(target, tmp_path, pg_suffix="_lock")


def _load_argv(target: str, data: Path, duckdb_path: Path | None, pg_database: str | None) -> list[str]:
    argv = ["load", "--input", str(data), "--target", target, "--quiet"]
    if target == "duckdb":
        return [*argv, "--duckdb-path", str(duckdb_path)]
    return [*argv, "--pg-database", str(pg_database)]


def _users(target: str, duckdb_path: Path | None, pg_database: str | None) -> int | None:
    """Rows in raw.users, None when the table does not exist."""
    if target == "duckdb":
        if not duckdb_path.exists():
            return None
        with duckdb.connect(str(duckdb_path), read_only=True) as con:
            found = con.execute("select count(*) from information_schema.tables where table_name = 'users'")
            return con.execute("select count(*) from raw.users").fetchone()[0] if found.fetchone()[0] else None
    with connect_postgres(pg_database, create=False) as conn:
        if conn.execute("select to_regclass('raw.users')").fetchone()[0] is None:
            return None
        return conn.execute("select count(*) from raw.users").fetchone()[0]


@pytest.mark.parametrize("target", TARGETS)
def test_a_second_run_exits_2_naming_the_holder_and_changes_nothing(target, small_dataset, tmp_path, capsys):
    duckdb_path, pg_database = _where(target, tmp_path)
    with warehouse_lock(target, duckdb_path, pg_database, command="pipeline run"):
        code = warehouse_cli(_load_argv(target, small_dataset, duckdb_path, pg_database))
        assert _users(target, duckdb_path, pg_database) is None  # nothing was loaded
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert "is in use by another run: pid " + str(os.getpid()) + ", started 20" in err[0]
    assert "UTC (pipeline run); wait for it to finish, or set WAREHOUSE_LOCK_WAIT" in err[0]
    # released: the same command now runs
    assert warehouse_cli(_load_argv(target, small_dataset, duckdb_path, pg_database)) == 0
    assert _users(target, duckdb_path, pg_database) == 1500
    if target == "duckdb":
        assert not lock_file_for(duckdb_path).exists()  # a finished run leaves no lock file


@pytest.mark.parametrize("target", TARGETS)
def test_a_run_told_to_wait_runs_once_the_holder_is_done(target, small_dataset, tmp_path, capsys, monkeypatch):
    duckdb_path, pg_database = _where(target, tmp_path)
    monkeypatch.setenv("WAREHOUSE_LOCK_WAIT", "60")
    held = warehouse_lock(target, duckdb_path, pg_database, command="pipeline run")
    held.__enter__()
    released = threading.Timer(1.0, held.__exit__, (None, None, None))
    released.start()
    try:
        assert warehouse_cli(_load_argv(target, small_dataset, duckdb_path, pg_database)) == 0
    finally:
        released.join()
    err = capsys.readouterr().err
    assert "waiting up to 60 s for" in err and f"in use by pid {os.getpid()}" in err
    assert _users(target, duckdb_path, pg_database) == 1500


HOLDER = """
import sys, time
from warehouse.lock import warehouse_lock
target, path, database = sys.argv[1], sys.argv[2] or None, sys.argv[3] or None
with warehouse_lock(target, path, database, command="pipeline run"):
    print("locked", flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("target", TARGETS)
def test_the_lock_of_a_killed_run_is_taken_over(target, small_dataset, tmp_path, capsys):
    duckdb_path, pg_database = _where(target, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, target, str(duckdb_path or ""), pg_database or ""],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockHeld, match=f"pid {holder.pid}, started"):
            with warehouse_lock(target, duckdb_path, pg_database, command="test"):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    if target == "postgres":
        # The server ends the killed client's session when it notices the closed socket; give it a moment.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with connect_postgres(pg_database, create=False) as conn:
                held = conn.execute(
                    "select count(*) from pg_locks where locktype = 'advisory' and classid = %s and objid = %s"
                    " and database = (select oid from pg_database where datname = current_database())",
                    PG_LOCK_KEY,
                )
                if not held.fetchone()[0]:
                    break
            time.sleep(0.2)
    else:
        assert lock_file_for(duckdb_path).exists()  # kill -9 left the file; its process is gone
    assert warehouse_cli(_load_argv(target, small_dataset, duckdb_path, pg_database)) == 0
    assert _users(target, duckdb_path, pg_database) == 1500
    if target == "duckdb":
        err = capsys.readouterr().err
        assert (
            f"taking over the lock of DuckDB warehouse {duckdb_path} left by a run that is gone: pid {holder.pid}"
            in (err)
        )


def test_an_unusable_wait_setting_is_one_line(small_dataset, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WAREHOUSE_LOCK_WAIT", "soon")
    assert warehouse_cli(_load_argv("duckdb", small_dataset, tmp_path / "w.duckdb", None)) == 2
    assert capsys.readouterr().err.strip() == "error: WAREHOUSE_LOCK_WAIT='soon': expected a number of seconds >= 0"
