"""One run at a time per warehouse: the lock every writing command holds for its whole span.

``pipeline run`` (generate or import, load, dbt build, docs), ``pipeline docs``, ``python -m warehouse load`` and
``import`` (and the daily refresh) take the lock of their warehouse before they change anything and keep it until
they end. A second command on the same warehouse does not start: it exits with code 2 naming the run that holds
the lock (its pid and start time), or, with ``WAREHOUSE_LOCK_WAIT=<seconds>``, waits that long for it first.

- DuckDB: ``<file>.lock`` beside the database file, locked with ``flock``; it holds the holder's pid, host, start
  time and command. The kernel releases the lock when its process ends, however it ends, so a lock left by a
  killed run (its process gone) is simply taken over by the next run, which says so.
- PostgreSQL: a session advisory lock in the warehouse database, held by a connection of its own; the
  connection's ``application_name`` carries the holder's command, pid and start time. The server releases the
  lock when that connection ends, so here too a killed run leaves nothing to clean up.

:func:`folder_lock` guards a folder that runs share in the same way (the generated data of a scenario).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from settings.errors import SettingsError
from settings.targets import TARGET_NAMES, get_target
from warehouse.connections import check_duckdb_file, connect_postgres, describe_pg
from warehouse.errors import InputError, WarehouseError

LOCK_WAIT_ENV = "WAREHOUSE_LOCK_WAIT"
# pg_try_advisory_lock(int, int): the project's lock class and the "a run writes this database" lock.
PG_LOCK_KEY = (0x67A7, 1)
APPLICATION_PREFIX = "growth-analytics"
POLL_SECONDS = 0.5

Notice = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class LockHeld(InputError):
    """Another run holds the warehouse (exit code 2: the user started a second run)."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as its holder wrote it down."""

    pid: int | None
    started_at: str
    command: str
    host: str = ""

    def describe(self) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "a process"
        if self.host and self.host != socket.gethostname():
            who += f" on {self.host}"
        started = f", started {self.started_at}" if self.started_at else ""
        command = f" ({self.command})" if self.command else ""
        return f"{who}{started}{command}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def wait_setting(value: float | None = None) -> float:
    """Seconds a command waits for a held lock: ``value``, else ``$WAREHOUSE_LOCK_WAIT``, else 0 (do not wait)."""
    if value is not None:
        return max(value, 0.0)
    text = os.environ.get(LOCK_WAIT_ENV, "").strip()
    if not text:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise SettingsError(f"{LOCK_WAIT_ENV}={text!r}: expected a number of seconds >= 0")
    return seconds


class _FileLock:
    """An flock on ``path``, which holds the holder's description as JSON."""

    def __init__(self, path: Path, command: str) -> None:
        self.path = path
        self.command = command
        self.fd: int | None = None
        self.previous: Holder | None = None  # a holder that died without removing the file

    def try_acquire(self) -> Holder | None:
        """None when the lock is now ours; else who holds it."""
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise InputError(f"cannot create the lock file {self.path}: {exc.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                return holder or Holder(None, "", "")
            # The file may have been removed by the holder that released it while we waited for it: a lock on a
            # file no longer at the path guards nothing, so start again on the file that is there now.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            self.previous = _read_holder(fd)
            me = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": _now(), "command": self.command}
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
            self.fd = fd
            return None

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still holding it: nobody takes a lock on a removed file
        finally:
            os.close(self.fd)
            self.fd = None


def _read_holder(fd: int) -> Holder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "null")
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid = data.get("pid")
    return Holder(
        pid if isinstance(pid, int) else None,
        str(data.get("started_at", "")),
        str(data.get("command", "")),
        str(data.get("host", "")),
    )


class _PgLock:
    """A session advisory lock in the warehouse database, on a connection kept open for the run."""

    def __init__(self, database: str | None, command: str) -> None:
        self.database = database
        self.command = command
        self.conn: Any = None
        self.previous: Holder | None = None

    def try_acquire(self) -> Holder | None:
        started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        if self.conn is None:
            where = describe_pg(self.database)
            try:
                self.conn = connect_postgres(self.database, autocommit=True)
            except SettingsError:
                raise
            except Exception as exc:  # noqa: BLE001 - connection problems are one line for the user
                text = str(exc).strip()
                raise WarehouseError(f"cannot connect to {where}: {text.splitlines()[0] if text else exc}") from None
        # application_name keeps 63 characters: the command has its spaces as "/", the time is compact.
        command = self.command.replace(" ", "/")
        name = f"{APPLICATION_PREFIX} {command} pid={os.getpid()} {started}"[:63]
        self.conn.execute("select set_config('application_name', %s, false)", (name,))
        if self.conn.execute("select pg_try_advisory_lock(%s, %s)", PG_LOCK_KEY).fetchone()[0]:
            return None
        row = self.conn.execute(
            "select a.application_name, a.backend_start from pg_catalog.pg_locks as l"
            " inner join pg_catalog.pg_stat_activity as a on a.pid = l.pid"
            " where l.locktype = 'advisory' and l.granted and l.classid = %s and l.objid = %s and l.objsubid = 2"
            " and l.database = (select oid from pg_catalog.pg_database where datname = current_database())",
            PG_LOCK_KEY,
        ).fetchone()
        return _pg_holder(row)

    def release(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()  # ends the session: the server drops its advisory lock
            finally:
                self.conn = None


def _pg_holder(row: tuple | None) -> Holder:
    if row is None:  # released between the two statements
        return Holder(None, "", "")
    name, backend_start = row
    parts = str(name or "").split()
    if len(parts) == 4 and parts[0] == APPLICATION_PREFIX and parts[2].startswith("pid="):
        pid = int(parts[2][4:]) if parts[2][4:].isdigit() else None
        try:
            started = datetime.strptime(parts[3], "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M:%S UTC")
        except ValueError:
            started = parts[3]
        return Holder(pid, started, parts[1].replace("/", " "))
    started = backend_start.strftime("%Y-%m-%d %H:%M:%S UTC") if backend_start else ""
    return Holder(None, started, str(name or "another session"))


def lock_file_for(database_file: Path) -> Path:
    """The lock file of a DuckDB warehouse: ``<file>.lock`` beside it."""
    return database_file.with_name(database_file.name + ".lock")


@contextmanager
def _held(lock: _FileLock | _PgLock, what: str, wait: float | None, notice: Notice) -> Iterator[None]:
    seconds = wait_setting(wait)
    deadline = time.monotonic() + seconds
    told = False
    try:
        while True:
            holder = lock.try_acquire()
            if holder is None:
                break
            if time.monotonic() >= deadline:
                hint = "" if seconds else f", or set {LOCK_WAIT_ENV}=<seconds> to wait for it"
                raise LockHeld(f"{what} is in use by another run: {holder.describe()}; wait for it to finish{hint}")
            if not told:
                notice(f"waiting up to {seconds:g} s for {what}, in use by {holder.describe()}")
                told = True
            time.sleep(POLL_SECONDS)
        if lock.previous is not None:
            notice(f"taking over the lock of {what} left by a run that is gone: {lock.previous.describe()}")
        yield
    finally:
        lock.release()


@contextmanager
def warehouse_lock(
    target: str,
    duckdb_path: str | os.PathLike[str] | None = None,
    pg_database: str | None = None,
    *,
    command: str,
    wait: float | None = None,
    notice: Notice = _stderr,
) -> Iterator[None]:
    """Hold the warehouse's run lock for the ``with`` block (see the module's description).

    Raises :class:`LockHeld` (exit code 2) naming the holder when another run has it after ``wait`` seconds
    (default ``$WAREHOUSE_LOCK_WAIT`` or 0).
    """
    if target not in TARGET_NAMES:
        raise InputError(f"unknown target {target!r}: expected one of {', '.join(TARGET_NAMES)}")
    adapter = get_target(target).adapter
    if adapter == "duckdb":
        path = check_duckdb_file(duckdb_path)
        lock: _FileLock | _PgLock = _FileLock(lock_file_for(path), command)
        what = f"DuckDB warehouse {path}"
    elif adapter == "postgres":
        lock = _PgLock(pg_database, command)
        what = f"PostgreSQL warehouse {describe_pg(pg_database)}"
    elif adapter == "spark":
        from warehouse.spark.session import spark_settings

        folder = spark_settings().warehouse_dir
        folder.parent.mkdir(parents=True, exist_ok=True)
        lock = _FileLock(folder.with_name(f".{folder.name}.lock"), command)
        what = f"Spark warehouse {folder}"
    else:
        raise InputError(f"target {target!r}: no run lock for {adapter} yet")
    with _held(lock, what, wait, notice):
        yield


@contextmanager
def folder_lock(folder: Path, *, command: str, wait: float | None = None, notice: Notice = _stderr) -> Iterator[None]:
    """Hold ``.<folder name>.lock`` beside ``folder`` for the ``with`` block: one writer of a shared folder."""
    folder = Path(folder).absolute()
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the folder {folder.parent}: {exc.strerror}") from None
    lock = _FileLock(folder.with_name(f".{folder.name}.lock"), command)
    with _held(lock, f"folder {folder}", wait, notice):
        yield
