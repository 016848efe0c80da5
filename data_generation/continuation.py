"""Cutting one simulated horizon into deliveries: the base dataset and the batches that continue it.

A continuable dataset is simulated over a horizon of H days (``--horizon``) from its seed; what the warehouse
receives is cut from that one simulation by arrival time (``loaded_at``), so every batch continues exactly the
business that would have happened:

* the base holds the rows that arrived on days 1..D; batch k the rows that arrived on its days (the last batch
  also everything that arrives after the horizon's last day, so base + all batches hold every row of the horizon);
* events arrive as the tracker delivered them: a batch carries late events of earlier days (some 5 to 15 days
  late, ``RunConfig.late_tail``) and re-deliveries of events delivered before (the same row, a later loaded_at);
* subscriptions are restated state: a version row is delivered when it starts and again whenever it changes
  (cancellation requested, version ended), each delivery the state as known then; the latest delivery of a
  (subscription_id, version) is the row of the whole horizon, loaded_at included;
* sessions too: the tracker reports a session when its first event arrives (ended_at still null) and again once
  it has ended, so every delivered event finds its session in the same or an earlier delivery.

Pure functions on Arrow tables: no I/O (writer.py writes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_generation.timeutil import DAY
from warehouse.manifest import BatchManifest

FAR_FUTURE = np.iinfo(np.int64).max


def _us(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """int64 microseconds of a timestamp column; nulls as FAR_FUTURE (never)."""
    as_int = pc.cast(array, pa.int64())
    return pc.fill_null(as_int, FAR_FUTURE).to_numpy(zero_copy_only=False).astype(np.int64)


def dataset_id(scenario: str, seed: int, users: int, start: date, horizon: int) -> str:
    """Names the business a delivery belongs to: batches only load onto the dataset they were cut from."""
    return f"{scenario}-seed{seed}-users{users}-from{start.isoformat()}-horizon{horizon}"


@dataclass
class Cut:
    """The rows of one delivery: arrivals in ``[lo_us, hi_us)`` (None: unbounded on that side)."""

    dataset: str
    sequence: int
    start: date  # day 1 of the data
    first_day: int  # 1-based day numbers of the window
    last_day: int
    lo_us: int | None
    hi_us: int | None
    horizon_end_us: int
    stats: dict[str, int] = field(
        default_factory=lambda: {"late_events": 0, "late_5_days_or_more": 0, "redelivered_events": 0}
    )

    @property
    def batch_id(self) -> str:
        return f"batch-{self.sequence:04d}-days-{self.first_day:04d}-{self.last_day:04d}"

    def _window(self, loaded: np.ndarray) -> np.ndarray:
        keep = np.ones(len(loaded), dtype=bool)
        if self.lo_us is not None:
            keep &= loaded >= self.lo_us
        if self.hi_us is not None:
            keep &= loaded < self.hi_us
        return keep

    @property
    def everything(self) -> bool:
        return self.lo_us is None and self.hi_us is None

    def table(self, name: str, table: pa.Table) -> pa.Table:
        """The rows of ``table`` (all of the horizon) this delivery carries."""
        if self.everything:
            return table
        if name == "subscriptions":
            return restate_subscriptions(table, self.lo_us, self.hi_us, self.horizon_end_us)
        if name in ("events", "sessions"):
            raise ValueError("events and sessions are cut block by block, together: use Cut.block")
        return table.filter(pa.array(self._window(_us(table.column("loaded_at")))))

    def block(self, events: pa.Table, sessions: pa.Table) -> tuple[pa.Table, pa.Table]:
        """A block's events and sessions in this delivery (the generator yields the sessions of a block of users
        with their events, so each session's events are at hand)."""
        if self.everything:
            return events, sessions
        return self.events(events), restate_sessions(sessions, events, self.lo_us, self.hi_us)

    def events(self, block: pa.Table) -> pa.Table:
        """A block's deliveries in the window, counting late and re-delivered events. A re-delivery is a row whose
        event_id has an earlier delivery (the generator writes both copies into the same block)."""
        if self.everything:
            return block
        loaded = _us(block.column("loaded_at"))
        keep = self._window(loaded)
        if not keep.any():
            return block.slice(0, 0)
        occurred = _us(block.column("occurred_at"))
        ids = block.column("event_id").to_numpy(zero_copy_only=False)
        order = np.lexsort((loaded, ids))
        repeat = np.zeros(len(ids), dtype=bool)
        repeat[order[1:]] = ids[order[1:]] == ids[order[:-1]]
        first = keep & ~repeat
        if self.lo_us is not None:
            late = first & (occurred < self.lo_us)
            self.stats["late_events"] += int(late.sum())
            self.stats["late_5_days_or_more"] += int((late & (loaded - occurred >= 5 * DAY)).sum())
        self.stats["redelivered_events"] += int((keep & repeat).sum())
        return block.filter(pa.array(keep))

    def manifest(self, counts: dict[str, int]) -> BatchManifest:
        delivery: dict[str, Any] = dict(self.stats)
        delivery["open_ended"] = self.hi_us is None
        delivery["day_numbers"] = [self.first_day, self.last_day]
        return BatchManifest(
            dataset=self.dataset,
            batch_id=self.batch_id if self.sequence else "base",
            sequence=self.sequence,
            first_day=self.start + timedelta(days=self.first_day - 1),
            last_day=self.start + timedelta(days=self.last_day - 1),
            counts=dict(counts),
            delivery=delivery,
        )


def _state(
    c: int | None,
    valid_from: np.ndarray,
    valid_to: np.ndarray,
    cancelled: np.ndarray,
    loaded: np.ndarray,
    d: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What the warehouse knows of each version at time ``c`` (None: after everything):
    (exists, cancelled_at shown, valid_to shown, complete, delivered at)."""
    n = len(loaded)
    if c is None:
        yes = np.ones(n, dtype=bool)
        return yes, yes, yes, yes, loaded
    complete = loaded < c
    safe = np.iinfo(np.int64).max // 2
    born = np.minimum(valid_from, safe) + d
    cancel_time = np.minimum(cancelled, safe) + d
    end_time = np.minimum(valid_to, safe) + d
    exists = complete | (born < c)
    show_cancel = complete | ((cancelled != FAR_FUTURE) & (cancel_time < c))
    # a cancellation request announces when the paid period (and so the version) ends
    ended = (valid_to != FAR_FUTURE) & (end_time < c)
    show_end = complete | ((valid_to != FAR_FUTURE) & (ended | (show_cancel & (cancelled != FAR_FUTURE))))
    delivered = born.copy()
    delivered = np.where(show_cancel & (cancelled != FAR_FUTURE), np.maximum(delivered, cancel_time), delivered)
    delivered = np.where(ended, np.maximum(delivered, end_time), delivered)
    delivered = np.where(complete, loaded, delivered)
    return exists, show_cancel, show_end, complete, delivered


def restate_subscriptions(table: pa.Table, lo: int | None, hi: int | None, horizon_end_us: int) -> pa.Table:
    """Subscription version rows delivered in ``[lo, hi)``: each version whose known state changed in the window,
    as known at ``hi`` (valid_to / cancelled_at null until they are known), loaded_at = when that state arrived."""
    valid_from = _us(table.column("valid_from"))
    valid_to = _us(table.column("valid_to"))
    cancelled = _us(table.column("cancelled_at"))
    loaded = _us(table.column("loaded_at"))
    # the generator delivers each version once, a delay after its last change (an end after the horizon is not a
    # change yet); every earlier state arrives the same delay after its own change
    stamp = np.maximum(valid_from, np.where(cancelled != FAR_FUTURE, cancelled, 0))
    stamp = np.maximum(stamp, np.where(valid_to < horizon_end_us, valid_to, 0))
    d = loaded - stamp
    ex_hi, cancel_hi, end_hi, full_hi, when_hi = _state(hi, valid_from, valid_to, cancelled, loaded, d)
    if lo is None:
        changed = ex_hi
    else:
        ex_lo, cancel_lo, end_lo, full_lo, _ = _state(lo, valid_from, valid_to, cancelled, loaded, d)
        changed = ex_hi & (~ex_lo | (cancel_hi != cancel_lo) | (end_hi != end_lo) | (full_hi != full_lo))
    rows = np.flatnonzero(changed)
    out = table.take(pa.array(rows))

    def masked(name: str, shown: np.ndarray) -> pa.Array:
        column = out.column(name).combine_chunks()
        return pc.if_else(pa.array(shown[rows]), column, pa.scalar(None, column.type))

    for name, shown in (("valid_to", end_hi), ("cancelled_at", cancel_hi)):
        out = out.set_column(out.schema.get_field_index(name), out.schema.field(name), masked(name, shown))
    at = pa.array(when_hi[rows], pa.int64()).cast(pa.timestamp("us"))
    return out.set_column(out.schema.get_field_index("loaded_at"), out.schema.field("loaded_at"), at)


def restate_sessions(sessions: pa.Table, events: pa.Table, lo: int | None, hi: int | None) -> pa.Table:
    """Session rows delivered in ``[lo, hi)``: a session opens (ended_at null) when its first event arrives and is
    complete when its own row arrives (its loaded_at); each change of state is one delivery."""
    loaded = _us(sessions.column("loaded_at"))
    with_session = events.filter(pc.is_valid(events.column("session_id")))
    first = with_session.group_by("session_id").aggregate([("loaded_at", "min")])
    ids = sessions.column("session_id").combine_chunks()
    position = pc.index_in(ids, value_set=first.column("session_id").combine_chunks())
    arrivals = _us(first.column("loaded_at_min"))
    pos = pc.fill_null(position, -1).to_numpy(zero_copy_only=False)
    opened = np.where(pos >= 0, arrivals[np.maximum(pos, 0)] if len(arrivals) else FAR_FUTURE, FAR_FUTURE)

    def state(c: int | None) -> tuple[np.ndarray, np.ndarray]:
        if c is None:
            return np.ones(len(loaded), dtype=bool), np.ones(len(loaded), dtype=bool)
        complete = loaded < c
        return complete | (opened < c), complete

    exists_hi, complete_hi = state(hi)
    if lo is None:
        changed = exists_hi
    else:
        exists_lo, complete_lo = state(lo)
        changed = exists_hi & (~exists_lo | (complete_hi != complete_lo))
    rows = np.flatnonzero(changed)
    out = sessions.take(pa.array(rows))
    complete = complete_hi[rows]
    ended = out.column("ended_at").combine_chunks()
    ended = pc.if_else(pa.array(complete), ended, pa.scalar(None, ended.type))
    out = out.set_column(out.schema.get_field_index("ended_at"), out.schema.field("ended_at"), ended)
    when = np.where(complete, loaded[rows], opened[rows])
    at = pa.array(when, pa.int64()).cast(pa.timestamp("us"))
    return out.set_column(out.schema.get_field_index("loaded_at"), out.schema.field("loaded_at"), at)
