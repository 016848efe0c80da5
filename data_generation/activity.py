"""Sessions and events, generated in blocks of users so that memory stays flat and writing can overlap.

Each user is active from sign-up until their (Weibull) lifetime ends, and again during a comeback span if they
return. While active, sessions arrive as a Poisson process with rate ``sessions_per_day`` x latent engagement x
weekday x season x (1 + (first_week_boost - 1) x exp(-days since span start / 7)). It is sampled as two
superposed processes (the base rate, and the decaying boost), each thinned by the day's weekday x season factor.
A session holds ``1 + Poisson(events_per_session - 1)`` events: the session-start event, then events drawn from the
activity vocabulary. An event that needs a funnel step the user has not reached (``after_step``), or that repeats a
funnel step where it could change the user's funnel inside the window, becomes the fallback event instead.

Single events (funnel steps, experiment goals, subscription changes, ...) open a session of their own followed by
``Poisson(filler_events_mean)`` fallback events, except server-side ones, which have neither session nor device.

Deliveries: ~``late_share`` of events arrive 1-5 days after they happened, the rest seconds to minutes after;
~``duplicate_share`` are delivered twice (same event_id and content, later loaded_at).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from data_generation import columns as col
from data_generation.population import KIND_SERVER, KIND_SIGNUP, MIX, World, draw_amount_cents, property_combinations
from data_generation.scenario import AmountSpec
from data_generation.timeutil import DAY, HOUR, SECOND, seasonal_factor

BOOST_DAYS = 7.0  # e-folding time of the first-week boost
LATE_DAYS = (1.0, 5.0)
LATE_TAIL_FROM = 0.8  # with RunConfig.late_tail: the share of late events that stay within LATE_DAYS
LATE_TAIL_MAX_DAYS = 15.0
TOD_BITS = 16  # time of day: hour from a 2**16-entry table, position inside the hour from the other 16 bits


@dataclass
class DeliveryCounts:
    sessions: int = 0
    event_rows: int = 0
    distinct_events: int = 0
    duplicate_rows: int = 0
    late_events: int = 0


def _bernoulli_positions(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Sorted positions in [0, n) each selected with probability p (geometric skips: O(n p) work)."""
    if n == 0 or p <= 0:
        return np.zeros(0, dtype=np.int64)
    out = []
    start = -1
    while True:
        gaps = rng.geometric(p, int(n * p * 1.1) + 16)
        pos = start + np.cumsum(gaps)
        out.append(pos[pos < n])
        if pos[-1] >= n:
            break
        start = int(pos[-1])
    return np.concatenate(out)


class ActivityGenerator:
    def __init__(
        self,
        world: World,
        singles: dict[str, np.ndarray],
        user_ids: pa.Array,
        duplicate_share: float,
        late_share: float,
    ) -> None:
        self.world = world
        self.singles = singles
        self.user_ids = user_ids
        self.duplicate_share = duplicate_share
        self.late_share = late_share
        self.counts = DeliveryCounts()
        sc = world.sc
        eng = sc.engagement
        self.eng = eng
        steps = sc.funnel.steps
        names = world.names
        self.start_code = names.code(eng.session_start_event)
        self.fallback_code = names.code(eng.fallback_event)
        self.vocab_codes = np.asarray([names.code(a.event) for a in sc.activity], dtype=np.int32)
        self.vocab = col.Categorical([a.weight for a in sc.activity])
        self.vocab_after = np.asarray([steps.index(a.after_step) if a.after_step else -1 for a in sc.activity])
        self.vocab_funnel = np.asarray([steps.index(a.event) if a.event in steps else -1 for a in sc.activity])
        # earliest time each constrained vocabulary entry may happen, per user: after its after_step, and (for a
        # repeated funnel step) only once it can no longer change the user's funnel inside the window
        window_end = world.created + sc.funnel.window_days * DAY
        self.allowed_from: dict[int, np.ndarray] = {}
        for entry, (after, step) in enumerate(zip(self.vocab_after, self.vocab_funnel, strict=True)):
            if after < 0 and step < 0:
                continue
            bound = np.full(world.n, np.iinfo(np.int64).min, dtype=np.int64)
            if after >= 0:
                bound = np.maximum(bound, world.step_time[after])
            if step >= 0:
                bound = np.maximum(bound, np.minimum(world.step_time[step], window_end))
            self.allowed_from[entry] = bound
        # payload samplers per event name code (properties and amounts from the catalogue)
        self.payload: list[tuple[int, col.Categorical | None, AmountSpec | None]] = []
        for name in sorted({eng.session_start_event, eng.fallback_event, *(a.event for a in sc.activity)}):
            spec = sc.events[name]
            props = None
            if spec.properties:
                combos, weights = property_combinations(spec.properties)
                codes = np.asarray([world.props.code(col.json_object(c)) for c in combos], dtype=np.int32)
                props = col.Categorical(weights, codes)
            if props is not None or spec.amount is not None:
                self.payload.append((names.code(name), props, spec.amount))
        # session touch points
        touch_codes = np.asarray([world.channel_names.index(c) for c in eng.touch_channels], dtype=np.int32)
        self.touch = col.Categorical(list(eng.touch_channels.values()), touch_codes)
        self.device_mix = col.Categorical([d.share for d in sc.devices.values()])
        # per-day session intensity factor (weekday x season) over the data range, and its maximum
        cfg = world.cfg
        self.first_day = cfg.start_us // DAY
        day_numbers = self.first_day + np.arange(cfg.days + 1)
        weekday = np.asarray(sc.calendar.weekday_weights, dtype=float)
        weekday = weekday / weekday.mean()
        self.day_factor = weekday[(day_numbers + 3) % 7] * seasonal_factor(day_numbers, sc.calendar)
        self.day_factor_max = float(self.day_factor.max())
        hw = np.asarray(sc.calendar.hour_weights, dtype=float)
        edges = np.round(np.cumsum(hw / hw.sum()) * 2**TOD_BITS).astype(np.int64)
        edges[-1] = 2**TOD_BITS
        self.hour_table = np.repeat(np.arange(24, dtype=np.int64), np.diff(np.concatenate([[0], edges])))
        self.names_array = names.array()
        self.props_array = world.props.array()
        self.channels_array = pa.array(world.channel_names, pa.string())
        self.devices_array = pa.array(world.device_names, pa.string())
        self.countries_array = pa.array(list(sc.countries), pa.string())
        self.single_user = singles["user"]
        self.events_schema = col.storage_schema("events")

        # sampling tables (2**16 quantiles, microseconds): gaps between events of a session, and delivery delays
        def exponential(q: np.ndarray) -> np.ndarray:
            return -np.log1p(-q)

        self.gap_us = col.quantile_table(lambda q: (exponential(q) * eng.mean_gap_seconds + 1.0) * SECOND).astype(
            np.int64
        )
        self.event_delay_us = col.quantile_table(
            lambda q: np.minimum(0.2 + 12.0 * exponential(q) ** 2, 1800.0) * SECOND
        ).astype(np.int64)
        self.session_delay_us = col.quantile_table(lambda q: (5.0 + 240.0 * exponential(q)) * SECOND).astype(np.int64)
        self.sessions_schema = col.storage_schema("sessions")

    # ---------------------------------------------------------------------------------------------------------------

    def chunks(self, rng: np.random.Generator, chunk_users: int) -> Iterator[tuple[pa.Table, pa.Table]]:
        for u0 in range(0, self.world.n, chunk_users):
            yield self._chunk(rng, u0, min(self.world.n, u0 + chunk_users))

    def _spans(self, u0: int, u1: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        world = self.world
        last = world.cfg.end_us - 1
        users = np.arange(u0, u1, dtype=np.int64)
        a = world.created[u0:u1]
        b = np.minimum(world.span_end[u0:u1], last)
        r = world.returns
        lo, hi = np.searchsorted(r["user"], [u0, u1])
        users = np.concatenate([users, r["user"][lo:hi]])
        a = np.concatenate([a, r["start"][lo:hi]])
        b = np.concatenate([b, np.minimum(r["end"][lo:hi], last)])
        ok = b > a
        return users[ok], a[ok], b[ok]

    def _time_of_day(self, rng: np.random.Generator, n: int) -> np.ndarray:
        bits = rng.integers(0, 2**32, n, dtype=np.uint32)
        hour = self.hour_table[bits >> TOD_BITS]
        inside = (bits & (2**TOD_BITS - 1)).astype(np.int64) * (HOUR >> TOD_BITS)
        return hour * HOUR + inside

    def _activity_sessions(self, rng: np.random.Generator, u0: int, u1: int) -> tuple[np.ndarray, np.ndarray]:
        """(user, start) of activity sessions: base and boost processes, each thinned by the day factor."""
        eng = self.eng
        users, a, b = self._spans(u0, u1)
        rate = eng.sessions_per_day * self.world.theta[users] * self.day_factor_max
        span_days = (b - a) / DAY
        # base process: uniform over the span
        n_base = rng.poisson(rate * span_days)
        base_span = np.repeat(np.arange(len(users)), n_base)
        t_base = a[base_span] + (rng.random(len(base_span)) * (b - a)[base_span]).astype(np.int64)
        # boost process: density ~ exp(-(t - a) / tau) over the span
        tau = BOOST_DAYS
        mass = -np.expm1(-span_days / tau)
        n_boost = rng.poisson(rate * (eng.first_week_boost - 1.0) * tau * mass)
        boost_span = np.repeat(np.arange(len(users)), n_boost)
        u = rng.random(len(boost_span))
        t_boost = a[boost_span] - (tau * DAY * np.log1p(-u * mass[boost_span])).astype(np.int64)
        span = np.concatenate([base_span, boost_span])
        t = np.concatenate([t_base, t_boost])
        day = t // DAY
        t = day * DAY + self._time_of_day(rng, len(t))
        keep = (t >= a[span]) & (t <= b[span])
        keep &= rng.random(len(t)) * self.day_factor_max < self.day_factor[day - self.first_day]
        return users[span[keep]], t[keep]

    def _fill_payload(self, rng: np.random.Generator, names: np.ndarray, props: np.ndarray, cents: np.ndarray) -> None:
        for code, sampler, amount in self.payload:
            where = np.flatnonzero(names == code)
            if len(where) == 0:
                continue
            if sampler is not None:
                props[where] = sampler.sample(rng, len(where))
            if amount is not None:
                cents[where] = draw_amount_cents(rng, amount, len(where))

    def _chunk(self, rng: np.random.Generator, u0: int, u1: int) -> tuple[pa.Table, pa.Table]:
        world, eng = self.world, self.eng
        end_us = world.cfg.end_us
        s = self.singles

        # --- sessions: activity sessions and single-event sessions, ordered by user then start
        a_user, a_start = self._activity_sessions(rng, u0, u1)
        lo, hi = np.searchsorted(self.single_user, [u0, u1])
        kind = s["kind"][lo:hi]
        own = np.flatnonzero(kind != KIND_SERVER) + lo
        server = np.flatnonzero(kind == KIND_SERVER) + lo
        sess_user = np.concatenate([a_user, s["user"][own]])
        sess_start = np.concatenate([a_start, s["time"][own]])
        sess_single = np.concatenate([np.full(len(a_user), -1, dtype=np.int64), own])
        order = _order_by_user_then_time(sess_user - u0, sess_start)
        sess_user, sess_start, sess_single = sess_user[order], sess_start[order], sess_single[order]
        n_sess = len(sess_user)
        single = sess_single >= 0
        single_idx = sess_single[single]

        # channel and device: sign-up sessions keep the acquisition channel and sign-up device, others mix
        channel = np.full(n_sess, MIX, dtype=np.int32)
        device = np.full(n_sess, MIX, dtype=np.int32)
        channel[single] = s["channel"][single_idx]
        device[single] = s["device"][single_idx]
        signup = np.zeros(n_sess, dtype=bool)
        signup[single] = s["kind"][single_idx] == KIND_SIGNUP
        channel[signup] = world.channel[sess_user[signup]]
        device[signup] = world.device[sess_user[signup]]
        m = np.flatnonzero(channel == MIX)
        own_channel = rng.random(len(m)) < eng.same_channel_share
        channel[m] = np.where(own_channel, world.channel[sess_user[m]], self.touch.sample(rng, len(m)))
        m = np.flatnonzero(device == MIX)
        own_device = rng.random(len(m)) < eng.same_device_share
        device[m] = np.where(own_device, world.device[sess_user[m]], self.device_mix.sample(rng, len(m)))

        # --- events, generated directly in final order (session by session)
        n_events = np.empty(n_sess, dtype=np.int64)
        n_events[single] = 1 + rng.poisson(eng.filler_events_mean, int(single.sum()))
        n_events[~single] = 1 + rng.poisson(eng.events_per_session - 1.0, n_sess - int(single.sum()))
        total = int(n_events.sum())
        first_pos = np.cumsum(n_events) - n_events
        ev_sess = np.repeat(np.arange(n_sess, dtype=np.int32), n_events)
        gaps = col.sample_table(rng, self.gap_us, total)
        gaps[first_pos] = 0
        cum = np.cumsum(gaps)
        ev_time = np.repeat(sess_start - cum[first_pos], n_events) + cum
        ev_user = np.repeat(sess_user.astype(np.int32), n_events)
        # names: vocabulary draws, checked against the user's funnel; fallback in single-event sessions
        vocab = self.vocab.sample(rng, total)
        in_single = np.repeat(single, n_events)
        ev_name = np.where(in_single, self.fallback_code, self.vocab_codes[vocab])
        for entry, allowed_from in self.allowed_from.items():
            m = np.flatnonzero(vocab == entry)
            refused = m[ev_time[m] < allowed_from[ev_user[m]]]
            ev_name[refused] = self.fallback_code
        ev_name[first_pos[~single]] = self.start_code
        ev_props = np.zeros(total, dtype=np.int32)
        ev_cents = np.full(total, -1, dtype=np.int32)
        self._fill_payload(rng, ev_name, ev_props, ev_cents)
        single_first = first_pos[single]
        ev_name[single_first] = s["name"][single_idx]
        ev_props[single_first] = s["props"][single_idx]
        ev_cents[single_first] = s["amount"][single_idx]

        # events after the end of the data have not happened yet (a session's first event always has)
        late_cut = ev_time >= end_us
        if late_cut.any():
            kept = ~late_cut
            ev_time, ev_user, ev_name = ev_time[kept], ev_user[kept], ev_name[kept]
            ev_props, ev_cents, ev_sess = ev_props[kept], ev_cents[kept], ev_sess[kept]
            n_events = np.bincount(ev_sess, minlength=n_sess)
        sess_end = ev_time[np.cumsum(n_events) - 1]
        ev_device = device[ev_sess]
        session_rows = col.id_rows("ses_", self.counts.sessions, n_sess)
        ev_session_rows = np.take(session_rows, ev_sess, axis=0)  # row gather: ~3x faster than fancy indexing
        has_session = np.ones(len(ev_sess), dtype=bool)

        # server-side events: no session, no device
        n_server = len(server)
        if n_server:
            ev_time = np.concatenate([ev_time, s["time"][server]])
            ev_user = np.concatenate([ev_user, s["user"][server].astype(np.int32)])
            ev_name = np.concatenate([ev_name, s["name"][server]])
            ev_props = np.concatenate([ev_props, s["props"][server]])
            ev_cents = np.concatenate([ev_cents, s["amount"][server]])
            ev_session_rows = np.concatenate([ev_session_rows, np.zeros((n_server, 4), dtype="<u4")])
            has_session = np.concatenate([has_session, np.zeros(n_server, dtype=bool)])
            ev_device = np.concatenate([ev_device, np.full(n_server, -1, dtype=np.int32)])

        sessions = self._sessions_table(rng, session_rows, sess_user, sess_start, sess_end, channel, device)
        session_ids = col.rows_to_strings(ev_session_rows, has_session)
        events = self._events_table(rng, session_ids, ev_user, ev_time, ev_name, ev_props, ev_cents, ev_device)
        return events, sessions

    def _user_dictionary(self, users: np.ndarray) -> pa.DictionaryArray:
        """user_id as dictionary codes into the slice of user ids this block uses."""
        if len(users) == 0:
            return col.dictionary(self.user_ids.slice(0, 0), users)
        lo, hi = int(users.min()), int(users.max()) + 1
        return col.dictionary(self.user_ids.slice(lo, hi - lo), users - lo)

    def _sessions_table(
        self,
        rng: np.random.Generator,
        rows: np.ndarray,
        users: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        channel: np.ndarray,
        device: np.ndarray,
    ) -> pa.Table:
        n = len(users)
        self.counts.sessions += n
        delay = col.sample_table(rng, self.session_delay_us, n)
        return col.table(
            {
                "session_id": col.rows_to_strings(rows),
                "user_id": self._user_dictionary(users),
                "started_at": col.timestamps(start, may_be_never=False),
                "ended_at": col.timestamps(end, may_be_never=False),
                "device": col.dictionary(self.devices_array, device),
                "channel": col.dictionary(self.channels_array, channel),
                "country": col.dictionary(self.countries_array, self.world.country[users]),
                "loaded_at": col.timestamps(end + delay, may_be_never=False),
            },
            self.sessions_schema,
        )

    def _events_table(
        self,
        rng: np.random.Generator,
        session_ids: pa.Array,
        users: np.ndarray,
        times: np.ndarray,
        names: np.ndarray,
        props: np.ndarray,
        cents: np.ndarray,
        device: np.ndarray,
    ) -> pa.Table:
        n = len(users)
        first = self.counts.distinct_events
        self.counts.distinct_events += n
        # delivery: seconds to minutes after the event, days for a late share; a few delivered twice
        delay = col.sample_table(rng, self.event_delay_us, n)
        late = _bernoulli_positions(rng, n, self.late_share)
        lo, hi = LATE_DAYS
        u = rng.random(len(late))
        days = late_tail_days(u) if self.world.cfg.late_tail else lo + (hi - lo) * u
        delay[late] = (days * DAY).astype(np.int64)
        loaded = times + delay
        dup = _bernoulli_positions(rng, n, self.duplicate_share)
        self.counts.late_events += len(late)
        self.counts.duplicate_rows += len(dup)
        self.counts.event_rows += n + len(dup)
        main = col.table(
            {
                "event_id": col.rows_to_strings(col.id_rows("evt_", first, n)),
                "user_id": self._user_dictionary(users),
                "session_id": session_ids,
                "event_name": col.dictionary(self.names_array, names),
                "occurred_at": col.timestamps(times, may_be_never=False),
                "device": col.dictionary(self.devices_array, device, device >= 0),
                "amount": col.money(cents),
                "properties": col.dictionary(self.props_array, props),
                "loaded_at": col.timestamps(loaded, may_be_never=False),
            },
            self.events_schema,
        )
        redelivered = loaded[dup] + ((60.0 + rng.random(len(dup)) * 2 * 86_400.0) * SECOND).astype(np.int64)
        again = main.take(pa.array(dup)).set_column(
            main.schema.get_field_index("loaded_at"), self.events_schema.field("loaded_at"), col.timestamps(redelivered)
        )
        return pa.concat_tables([main, again])


def late_tail_days(u: np.ndarray) -> np.ndarray:
    """Days late for uniform ``u``: 80 % of late events 1 to 5 days (as without the tail), 20 % 5 to 15 days, later
    than a typical incremental lookback. The same draws as without the tail, so only the delays differ."""
    lo, hi = LATE_DAYS
    head = u < LATE_TAIL_FROM
    return np.where(
        head,
        lo + (hi - lo) * u / LATE_TAIL_FROM,
        hi + (LATE_TAIL_MAX_DAYS - hi) * (u - LATE_TAIL_FROM) / (1.0 - LATE_TAIL_FROM),
    )


def _order_by_user_then_time(user: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Stable order by (user, time) for non-negative chunk-local user numbers: one argsort of a packed int64 key
    when it fits (ten times faster than lexsort), else lexsort."""
    if len(user) == 0:
        return np.zeros(0, dtype=np.int64)
    t0 = int(time.min())
    time_bits = max(1, int(time.max() - t0).bit_length())
    user_bits = max(1, int(user.max()).bit_length())
    if time_bits + user_bits > 62:
        return np.lexsort((time, user))
    key = (user.astype(np.int64) << time_bits) | (time - t0)
    return np.argsort(key, kind="stable")
