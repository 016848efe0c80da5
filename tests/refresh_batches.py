"""Replay a loaded dataset as a base load plus daily-style batches, for the incremental-refresh proof.

The rows of raw.events and raw.sessions are moved aside (schema ``pending``) and released batch by batch: batch 0
(the base) holds the days before the first cut, batch k the days from cut k to the next cut. Every released row gets
the batch's arrival time as ``loaded_at``, as a loader stamps it. Three kinds of awkward arrival are planted, chosen
by a hash of the event id so that DuckDB and PostgreSQL pick the same rows:

* late events (hash starts with ``0``, about 1 in 16): delivered two batches after their day, i.e. days late, far
  beyond the lookback window, so only an arrival watermark can find them;
* re-deliveries (hash starts with ``f``): every batch after the base sends these already-delivered events again;
* clock skew (hash starts with ``e``): rows of a batch stamped an hour before the previous batch's arrival time, so
  only the lookback (var ``incremental_lookback_hours``, 3 hours by default) finds them.

Plain SQL that runs unchanged on DuckDB and PostgreSQL; ``execute`` runs one statement.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

Execute = Callable[[str], None]

BASE_ARRIVAL = datetime(2031, 1, 1, 6, 0, 0)
EVENT_COLUMNS = "event_id, user_id, session_id, event_name, occurred_at, device, amount, properties"
SESSION_COLUMNS = "session_id, user_id, started_at, ended_at, device, channel, country"


def arrival(batch: int) -> datetime:
    """When batch ``batch`` lands: one day apart, starting at BASE_ARRIVAL."""
    return BASE_ARRIVAL + timedelta(days=batch)


def _ts(value: datetime) -> str:
    return f"cast('{value:%Y-%m-%d %H:%M:%S}' as timestamp)"


def _day(value: date) -> str:
    return f"cast('{value.isoformat()}' as timestamp)"


def set_aside(execute: Execute) -> None:
    """Move every event and session row to schema pending; raw keeps its tables, empty."""
    execute("create schema if not exists pending")
    for table, columns in (("events", EVENT_COLUMNS), ("sessions", SESSION_COLUMNS)):
        execute(f"create table pending.{table} as select {columns} from raw.{table}")
        execute(f"delete from raw.{table}")


def _window(cuts: list[date], batch: int, column: str) -> str:
    """The rows whose ``column`` falls in batch ``batch``'s days."""
    parts = []
    if batch > 0:
        parts.append(f"{column} >= {_day(cuts[batch - 1])}")
    if batch < len(cuts):
        parts.append(f"{column} < {_day(cuts[batch])}")
    return " and ".join(parts) or "1 = 1"


def release(execute: Execute, cuts: list[date], batch: int) -> None:
    """Append batch ``batch`` (0 = the base) to raw.events and raw.sessions, with its late, re-delivered and
    clock-skewed rows. The last batch (``len(cuts)``) also delivers every late event still pending."""
    last = batch == len(cuts)
    stamp = _ts(arrival(batch))
    skewed = _ts(arrival(batch - 1) - timedelta(hours=1)) if batch > 0 else stamp
    hashed = "substr(md5(event_id), 1, 1)"
    on_time = f"({_window(cuts, batch, 'occurred_at')}) and {hashed} <> '0'"
    late_from = batch - 2
    late = f"({_window(cuts, late_from, 'occurred_at')}) and {hashed} = '0'" if late_from >= 0 else "1 = 0"
    if last:
        late = f"{hashed} = '0' and event_id not in (select event_id from raw.events)"
    arrived_at = f"case when {hashed} = 'e' then {skewed} else {stamp} end"
    batch_id = f"'replay-{batch}'"  # raw.*.batch_id is not null: a loader stamps every row with its batch
    execute(
        f"insert into raw.events ({EVENT_COLUMNS}, loaded_at, batch_id) "
        f"select {EVENT_COLUMNS}, {arrived_at}, {batch_id} from pending.events where ({on_time}) or ({late})"
    )
    if batch > 0:
        execute(
            f"insert into raw.events ({EVENT_COLUMNS}, loaded_at, batch_id) "
            f"select {EVENT_COLUMNS}, {stamp}, {batch_id} from pending.events "
            f"where {hashed} = 'f' and event_id in (select event_id from raw.events where loaded_at < {skewed})"
        )
    execute(
        f"insert into raw.sessions ({SESSION_COLUMNS}, loaded_at, batch_id) "
        f"select {SESSION_COLUMNS}, {stamp}, {batch_id} from pending.sessions"
        f" where {_window(cuts, batch, 'started_at')}"
    )
