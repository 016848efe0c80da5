"""Runs that fail or are stopped half-way leave the previous data whole and say what happened in one line
(issue 13 items 1, 5, 6 and 7), on DuckDB:

- two `pipeline run`s at once on one warehouse: the second exits 2 naming the first, which builds its own data;
  the run takes a custom scenario file (its data goes to data/generated/<file name>);
- Ctrl-C (a real SIGINT) in the middle of a load's transaction: "interrupted", exit 130, previous data whole, for
  `python -m warehouse load` and for `pipeline run`;
- a full disk: the error the user sees is the original "No space left on device", exit 1, previous data whole.
  Once simulated (the commit fails the way DuckDB's does: the transaction is gone, so the rollback after it fails
  too; that second error used to hide the first), and once for real on a 16 MB tmpfs (needs root to mount; skipped
  otherwise).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from data_generation import generate
from tests.conftest import REPO_ROOT
from warehouse.__main__ import main as warehouse_cli
from warehouse.load import load

SAAS = REPO_ROOT / "data_generation" / "scenarios" / "saas.yaml"


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    """200 users: the "previous data" each test starts from (the other dataset, small_dataset, has 1500)."""
    return generate(output=tmp_path_factory.mktemp("tiny") / "saas", users=200, days=30, seed=3, quiet=True)


def _count(path: Path, table: str = "raw.users") -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


# A real SIGINT, sent by the process to itself once the load's transaction has written its first table.
INTERRUPT_MID_LOAD = """
    import os, signal, sys
    import warehouse.load as wl

    real_write_raw = wl.write_raw

    def write_raw(*args, **kwargs):
        kwargs["progress"] = lambda message: os.kill(os.getpid(), signal.SIGINT)
        return real_write_raw(*args, **kwargs)

    wl.write_raw = write_raw
    if sys.argv[1] == "warehouse":
        from warehouse.__main__ import main
    else:
        from pipeline.__main__ import main
    sys.exit(main(sys.argv[2:]))
"""


def test_ctrl_c_during_a_load_is_interrupted_exit_130_data_whole(tiny_dataset, small_dataset, tmp_path):
    path = tmp_path / "w.duckdb"
    load(tiny_dataset, duckdb_path=path)
    result = _run(INTERRUPT_MID_LOAD, "warehouse", "load", "--input", str(small_dataset), "--duckdb-path", str(path))
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip() == "error: interrupted, nothing changed"
    assert _count(path) == 200 and _count(path, "raw.events") == _count_parquet(tiny_dataset / "events.parquet")


def _count_parquet(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


@pytest.fixture
def custom_scenario(tmp_path):
    """A copy of saas under a name of its own: `pipeline run --scenario <file>` writes data/generated/<name>."""
    name = f"harden_test_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.yaml"
    path.write_text(SAAS.read_text().replace("name: saas", f"name: {name}", 1))
    yield path
    shutil.rmtree(REPO_ROOT / "data" / "generated" / name, ignore_errors=True)


def test_ctrl_c_during_the_pipelines_load(tiny_dataset, custom_scenario, tmp_path):
    path = tmp_path / "w.duckdb"
    load(tiny_dataset, duckdb_path=path)
    argv = ["run", "--scenario", str(custom_scenario), "--users", "300", "--days", "30", "--skip-docs", "--quiet"]
    result = _run(INTERRUPT_MID_LOAD, "pipeline", *argv, env={"DUCKDB_PATH": str(path)})
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: interrupted; the warehouse keeps what it held before the step that was stopped"
    ]
    assert _count(path) == 200
    assert (REPO_ROOT / "data" / "generated" / custom_scenario.stem / "users.parquet").is_file()


def test_two_runs_at_once_the_second_exits_2_and_the_first_builds_its_own_data(custom_scenario, tmp_path):
    path = tmp_path / "w.duckdb"
    env = {**os.environ, "DUCKDB_PATH": str(path)}
    argv = [sys.executable, "-m", "pipeline", "run", "--scenario", str(custom_scenario), "--days", "60"]
    first = subprocess.Popen(
        [*argv, "--users", "400", "--seed", "1", "--skip-docs"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    try:
        for line in first.stdout:  # the first run holds the lock from its first line on
            lines.append(line)
            if line.startswith("==> Generating"):
                break
        second = subprocess.run(
            [*argv, "--users", "300", "--seed", "2", "--skip-docs"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        lines += first.stdout.readlines()
    finally:
        first.wait(timeout=900)
    assert second.returncode == 2, second.stderr
    err = second.stderr.strip().splitlines()
    assert len(err) == 1 and f"DuckDB warehouse {path} is in use by another run: pid {first.pid}, started" in err[0]
    assert first.returncode == 0, "".join(lines)[-3000:]
    assert any(line.startswith("Ready:") for line in lines)
    assert _count(path) == 400 and _count(path, "marts.dim_users") == 400  # the first run's data, raw and marts
    folder = REPO_ROOT / "data" / "generated" / custom_scenario.stem
    assert _count_parquet(folder / "users.parquet") == 400
    assert not any(p.name.startswith(".") and "tmp" in p.name for p in folder.parent.iterdir())


class _FullDiskAtCommit:
    """A DuckDB connection whose commit fails as on a full disk: DuckDB has ended the transaction, then raises."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def execute(self, sql: str, *args):  # what duckdb returns
        if sql.strip().lower() == "commit":
            self._con.execute("rollback")
            raise duckdb.IOException('Could not write file "w.duckdb.wal": No space left on device')
        return self._con.execute(sql, *args)

    def __getattr__(self, name: str):  # everything else as the real connection
        return getattr(self._con, name)


def test_disk_full_at_commit_simulated_shows_the_original_error(tiny_dataset, small_dataset, tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    load(tiny_dataset, duckdb_path=path)
    real_connect = duckdb.connect
    monkeypatch.setattr("warehouse.load.duckdb.connect", lambda *a, **k: _FullDiskAtCommit(real_connect(*a, **k)))
    with pytest.raises(Exception) as raised:
        load(small_dataset, duckdb_path=path)
    monkeypatch.undo()
    assert "No space left on device" in str(raised.value)
    assert "no transaction is active" not in str(raised.value)
    assert _count(path) == 200


TMPFS_MB = 16


@pytest.fixture
def full_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MB}m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root): {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_disk_full_for_real_shows_the_original_error_exit_1(tiny_dataset, full_disk, capsys):
    path = full_disk / "w.duckdb"
    load(tiny_dataset, duckdb_path=path)
    before = _count(path, "raw.events")
    # Fill the disk but for 256 KB: the next load's writes cannot fit.
    filler = full_disk / "filler"
    free = shutil.disk_usage(full_disk).free
    with filler.open("wb") as f:
        f.write(b"\0" * max(free - 256 * 1024, 0))
    bigger = generate(output=full_disk.parent / "bigger", users=3000, days=120, seed=5, quiet=True)
    code = warehouse_cli(["load", "--input", str(bigger), "--duckdb-path", str(path), "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1, err
    assert len(err) == 1 and "No space left on device" in err[0], err
    filler.unlink()
    assert _count(path) == 200 and _count(path, "raw.events") == before


def test_a_killed_run_leaves_no_child_behind(tmp_path):
    """dbt runs as a child of the run; `kill -9` of the run ends it too (Linux), so nothing writes after the lock
    is gone. Shown with a long `sleep` child started the way run_dbt starts dbt."""
    if not sys.platform.startswith("linux"):
        pytest.skip("parent-death signal is Linux only")
    runner = """
        import subprocess, sys, time
        from pipeline.dbt import die_with_parent
        child = subprocess.Popen(["sleep", "300"], preexec_fn=die_with_parent)
        print(child.pid, flush=True)
        time.sleep(300)
    """
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(runner)], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
    )
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and _state(child) != "Z" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or _state(child) == "Z"  # gone (or a zombie awaiting reaping)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_generation_on_a_full_disk_exits_1_and_leaves_nothing(full_disk, capsys):
    from data_generation.__main__ import main as generate_cli

    filler = full_disk / "filler"
    with filler.open("wb") as f:
        f.write(b"\0" * max(shutil.disk_usage(full_disk).free - 64 * 1024, 0))
    out = full_disk / "out"
    assert generate_cli(["--users", "3000", "--days", "120", "--output", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot write output folder {out}: "), err
    assert err[0].endswith("No space left on device")  # Arrow's words, then the system's
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]  # no output, no temporary folder


def test_disk_full_at_commit_on_postgres_shows_the_original_error(tiny_dataset, small_dataset, tmp_path, capsys):
    """PostgreSQL refuses the commit itself: a deferred constraint trigger raises SQLSTATE 53100 (disk_full) when the
    load's transaction commits, as the server does when it cannot write. What is simulated is only the cause."""
    from tests.conftest import fresh_warehouse
    from warehouse.connections import connect_postgres

    _, database = fresh_warehouse("postgres", tmp_path, pg_suffix="_diskfull")
    load(tiny_dataset, target="postgres", pg_database=database)
    with connect_postgres(database, create=False, autocommit=True) as conn:
        conn.execute(
            "create function raw.disk_full() returns trigger language plpgsql as $$ begin"
            " raise exception using errcode = 'disk_full',"
            " message = 'could not extend file \"base/1/2\": No space left on device'; end $$"
        )
        conn.execute(
            "create constraint trigger disk_full after insert on raw.users deferrable initially deferred"
            " for each row execute function raw.disk_full()"
        )
    argv = ["load", "--input", str(small_dataset), "--target", "postgres", "--pg-database", database, "--quiet"]
    assert warehouse_cli(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].endswith('could not extend file "base/1/2": No space left on device'), err
    with connect_postgres(database, create=False) as conn:
        assert conn.execute("select count(*) from raw.users").fetchone()[0] == 200
