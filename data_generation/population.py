"""Who the users are and what they do at the level of one row per user.

Sign-up times (trend x weekday x season), attributes (channel, device, country, segment), latent engagement,
the funnel (which step each user reaches and when), activity lifetimes and "single" events: events that are not
part of ordinary activity sessions (funnel steps, experiment goals, subscription changes, invitations).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from data_generation.columns import Codebook, json_object
from data_generation.scenario import AmountSpec, Scenario
from data_generation.timeutil import (
    DAY,
    HOUR,
    MINUTE,
    NEVER,
    date_to_us,
    sample_time_of_day,
    signup_day_weights,
    truncated_exponential,
)

# How a single event is delivered
KIND_SERVER = 0  # server-side: no session, no device
KIND_SESSION = 1  # its own short session, channel and device drawn from the user's touch mix
KIND_SIGNUP = 2  # the sign-up session: acquisition channel and sign-up device
MIX = -2  # "draw the channel / device for this session"

MIN_STEP_DELAY = 2 * MINUTE  # between consecutive funnel steps
WINDOW_MARGIN = 10 * MINUTE  # in-window steps end at least this long before the window closes
LATE_MARGIN = 30 * MINUTE  # late steps start at least this long after the window closed
MAX_LIFETIME_DAYS = 36_500.0  # lifetimes are capped at 100 years (keeps int64 microseconds far from overflow)


@dataclass(frozen=True)
class RunConfig:
    scenario: Scenario
    seed: int
    users: int
    days: int
    start_date: date
    # a dataset meant to be continued in batches: a fifth of late events arrive 5 to 15 days late, not 1 to 5
    late_tail: bool = False

    @property
    def start_us(self) -> int:
        return date_to_us(self.start_date)

    @property
    def end_us(self) -> int:
        """Exclusive end of the data: midnight after the last day."""
        return self.start_us + self.days * DAY


class EventBuffer:
    """Single events collected from several modules, sorted by user at the end."""

    def __init__(self) -> None:
        self._parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        user: np.ndarray,
        time: np.ndarray,
        name: int | np.ndarray,
        kind: int,
        amount_cents: np.ndarray | None = None,
        props: int | np.ndarray = 0,
        channel: int | np.ndarray = MIX,
        device: int | np.ndarray = MIX,
    ) -> None:
        n = len(user)
        if n == 0:
            return

        def full(value: int | np.ndarray, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        self._parts.append(
            {
                "user": np.asarray(user, dtype=np.int64),
                "time": np.asarray(time, dtype=np.int64),
                "name": full(name, np.int32),
                "kind": full(kind, np.int8),
                "amount": full(-1 if amount_cents is None else amount_cents, np.int64),
                "props": full(props, np.int32),
                "channel": full(channel, np.int32),
                "device": full(device, np.int32),
            }
        )

    def finish(self) -> dict[str, np.ndarray]:
        keys = ("user", "time", "name", "kind", "amount", "props", "channel", "device")
        if not self._parts:
            return {k: np.zeros(0, dtype=np.int64) for k in keys}
        merged = {k: np.concatenate([p[k] for p in self._parts]) for k in keys}
        order = np.lexsort((merged["time"], merged["user"]))
        return {k: v[order] for k, v in merged.items()}


@dataclass
class World:
    """Per-user state shared by the simulation modules (arrays indexed by user number, in sign-up order)."""

    cfg: RunConfig
    names: Codebook = field(default_factory=Codebook)
    props: Codebook = field(default_factory=lambda: Codebook(["{}"]))
    singles: EventBuffer = field(default_factory=EventBuffer)
    created: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    channel: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    device: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    country: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    segment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int16))
    theta: np.ndarray = field(default_factory=lambda: np.zeros(0))
    step_time: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))
    depth: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    span_end: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # primary activity span end
    returns: dict[str, np.ndarray] = field(default_factory=dict)  # resurrected spans: user, start, end
    signup_day_weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    incident_days: list[int] = field(default_factory=list)

    @property
    def sc(self) -> Scenario:
        return self.cfg.scenario

    @property
    def n(self) -> int:
        return len(self.created)

    @property
    def channel_names(self) -> list[str]:
        return self.sc.touch_channel_names

    @property
    def device_names(self) -> list[str]:
        return list(self.sc.devices)


def _shares(values: dict) -> np.ndarray:
    p = np.asarray(list(values), dtype=float)
    return p / p.sum()


def build_users(world: World, rng: np.random.Generator) -> None:
    cfg, sc = world.cfg, world.sc
    weights = signup_day_weights(cfg.start_us, cfg.days, sc.calendar, rng)
    world.signup_day_weights = weights
    counts = rng.multinomial(cfg.users, weights / weights.sum())
    day = np.repeat(np.arange(cfg.days, dtype=np.int64), counts)
    created = cfg.start_us + day * DAY + sample_time_of_day(rng, cfg.users, sc.calendar.hour_weights)
    world.created = np.sort(created)
    n = cfg.users
    world.channel = rng.choice(len(sc.channels), n, p=_shares({c: ch.share for c, ch in sc.channels.items()}.values()))
    world.channel = world.channel.astype(np.int16)
    world.device = rng.choice(len(sc.devices), n, p=_shares({d: v.share for d, v in sc.devices.items()}.values()))
    world.device = world.device.astype(np.int16)
    world.country = rng.choice(len(sc.countries), n, p=_shares(sc.countries.values())).astype(np.int16)
    world.segment = rng.choice(len(sc.segments), n, p=_shares({s: v.share for s, v in sc.segments.items()}.values()))
    world.segment = world.segment.astype(np.int16)
    shape = sc.engagement.gamma_shape
    world.theta = rng.gamma(shape, 1.0 / shape, n)


def step_probabilities(sc: Scenario) -> np.ndarray:
    """p[channel, device, step] of reaching step k (k >= 1) eventually, given step k-1 was reached (no incident)."""
    steps = sc.funnel.steps
    p = np.ones((len(sc.channels), len(sc.devices), len(steps)))
    for ci, ch in enumerate(sc.channels):
        for di, dev in enumerate(sc.devices.values()):
            for k, step in enumerate(steps[1:], start=1):
                p[ci, di, k] = sc.funnel.step_conversion[ch][step] * dev.step_multiplier[step]
    return p


def run_funnel(world: World, rng: np.random.Generator) -> None:
    """Which funnel steps each user reaches and when.

    A user who reached step k-1 reaches step k with probability p[channel, device, k]. Of those, a share
    ``beyond_window_share`` arrive after the conversion window (measured from the first step); the rest arrive
    inside it, after a truncated-exponential delay. Once a step is late every later step is late too.
    """
    cfg, sc = world.cfg, world.sc
    steps = sc.funnel.steps
    n, k_steps = world.n, len(steps)
    probs = step_probabilities(sc)[world.channel, world.device]  # (n, K)
    created = world.created
    window_end = created + sc.funnel.window_days * DAY
    day_index = (created - cfg.start_us) // DAY
    world.incident_days = []
    for inc in sc.incidents:
        inc_day = min(int(inc.day_fraction * cfg.days), cfg.days - 1)
        world.incident_days.append(inc_day)
        probs[day_index == inc_day, steps.index(inc.step)] *= inc.conversion_multiplier

    true_time = np.full((k_steps, n), NEVER, dtype=np.int64)
    true_time[0] = created
    reached = np.ones(n, dtype=bool)
    in_window = np.ones(n, dtype=bool)
    for k in range(1, k_steps):
        delay = sc.funnel.delays[steps[k]]
        mean_us = delay.mean_hours * HOUR
        reach = reached & (rng.random(n) < probs[:, k])
        beyond = rng.random(n) < delay.beyond_window_share
        now_in = in_window & reach & ~beyond
        late = reach & ~now_in
        prev = true_time[k - 1]
        t = np.full(n, NEVER, dtype=np.int64)
        # inside the window, leaving room for the remaining steps' minimum delays
        room = window_end[now_in] - WINDOW_MARGIN - (k_steps - 1 - k) * MIN_STEP_DELAY - MIN_STEP_DELAY - prev[now_in]
        t[now_in] = (
            prev[now_in] + MIN_STEP_DELAY + truncated_exponential(rng, mean_us, room.astype(float)).astype(np.int64)
        )
        # after the window: either the first late step (previous one in the window) or following a late step
        first_late = late & in_window
        t[first_late] = (
            window_end[first_late] + LATE_MARGIN + (rng.exponential(delay.late_mean_days * DAY, first_late.sum()))
        ).astype(np.int64)
        follow = late & ~in_window
        t[follow] = prev[follow] + MIN_STEP_DELAY + rng.exponential(mean_us, follow.sum()).astype(np.int64)
        true_time[k] = t
        reached, in_window = reach, now_in
    world.step_time = np.where(true_time < cfg.end_us, true_time, NEVER)
    world.depth = ((world.step_time != NEVER).sum(axis=0) - 1).astype(np.int8)

    # the funnel events themselves
    for k, step in enumerate(steps):
        code = world.names.code(step)
        if sc.revenue is not None and step in ("start_trial", "subscribe"):
            continue  # emitted by the revenue module, with the plan chosen
        users = np.flatnonzero(world.step_time[k] != NEVER)
        props, amount = event_payload(world, rng, step, len(users))
        if k == 0:
            channel, device = world.channel[users], world.device[users]
            world.singles.add(users, created[users], code, KIND_SIGNUP, amount, props, channel, device)
        else:
            world.singles.add(users, world.step_time[k, users], code, KIND_SESSION, amount, props)


def event_payload(
    world: World, rng: np.random.Generator, event: str, n: int
) -> tuple[np.ndarray | int, np.ndarray | None]:
    """Property-object codes and amounts (cents, or None) for ``n`` events named ``event``, per the catalogue."""
    spec = world.sc.events.get(event)
    if spec is None:
        return 0, None
    props: np.ndarray | int = 0
    if spec.properties:
        combos, weights = property_combinations(spec.properties)
        codes = np.asarray([world.props.code(json_object(c)) for c in combos], dtype=np.int32)
        props = codes[rng.choice(len(combos), n, p=weights)] if n else np.zeros(0, dtype=np.int32)
    amount = None
    if spec.amount is not None:
        amount = draw_amount_cents(rng, spec.amount, n)
    return props, amount


def property_combinations(properties: dict) -> tuple[list[dict], np.ndarray]:
    """Every combination of the property values, with the product of their (normalised) weights."""
    combos: list[dict] = [{}]
    weights = np.ones(1)
    for key, values in properties.items():
        w = np.asarray(list(values.values()), dtype=float)
        w = w / w.sum()
        combos = [{**c, str(key): v} for c in combos for v in values]
        weights = np.outer(weights, w).ravel()
    return combos, weights / weights.sum()


def draw_amount_cents(rng: np.random.Generator, spec: AmountSpec, n: int) -> np.ndarray:
    if spec.choices is not None:
        prices = np.asarray(list(spec.choices), dtype=float)
        w = np.asarray(list(spec.choices.values()), dtype=float)
        idx = rng.choice(len(prices), n, p=w / w.sum())
        return np.round(prices[idx] * 100).astype(np.int64)
    values = rng.lognormal(np.log(spec.median), spec.sigma, n)
    return np.round(np.maximum(values, spec.minimum) * 100).astype(np.int64)


def lifetime_scale_days(world: World) -> np.ndarray:
    """Weibull scale per user: segment x channel x device x funnel depth x engagement ** exponent."""
    sc = world.sc
    seg_scale = np.asarray([s.weibull_scale_days for s in sc.segments.values()])
    ch_mult = np.asarray([c.retention_multiplier for c in sc.channels.values()])
    dev_mult = np.asarray([d.retention_multiplier for d in sc.devices.values()])
    depth_mult = np.asarray(sc.engagement.depth_lifetime_multiplier)
    return (
        seg_scale[world.segment]
        * ch_mult[world.channel]
        * dev_mult[world.device]
        * depth_mult[world.depth]
        * world.theta**sc.engagement.lifetime_exponent
    )


def run_lifetimes(world: World, rng: np.random.Generator) -> None:
    """Primary activity span: Weibull lifetime (shape < 1: steep early churn, flat tail), at least past the funnel."""
    cfg, sc = world.cfg, world.sc
    shape = np.asarray([s.weibull_shape for s in sc.segments.values()])[world.segment]
    days = np.minimum(lifetime_scale_days(world) * rng.weibull(shape), MAX_LIFETIME_DAYS)
    end = world.created + (days * DAY).astype(np.int64)
    last_step = world.step_time[world.depth.astype(np.int64), np.arange(world.n)]
    end = np.maximum(end, last_step + HOUR)
    program = sc.engagement.program
    if program is not None:
        k = sc.funnel.steps.index(program.step)
        enrolled = world.step_time[k] != NEVER
        cap = np.where(enrolled, world.step_time[k] + program.days * DAY, NEVER)
        completes = enrolled & (end >= cap) & (cap < cfg.end_us)
        end = np.minimum(end, cap)
        if program.completion_event is not None:
            users = np.flatnonzero(completes)
            props, amount = event_payload(world, rng, program.completion_event, len(users))
            code = world.names.code(program.completion_event)
            world.singles.add(users, cap[users], code, KIND_SERVER, amount, props, -1, -1)
    world.span_end = end  # may lie after the end of the data: the user is still active then


def run_resurrection(world: World, rng: np.random.Generator, not_before: np.ndarray) -> None:
    """Some churned users come back once, after a gap, for a second (shorter) activity span."""
    cfg, sc = world.cfg, world.sc
    res = sc.engagement.resurrection
    empty = np.zeros(0, dtype=np.int64)
    world.returns = {"user": empty, "start": empty, "end": empty}
    if res is None:
        return
    churned = world.span_end < cfg.end_us
    back = churned & (rng.random(world.n) < res.probability)
    users = np.flatnonzero(back)
    gap = (res.min_gap_days * DAY + rng.exponential(res.gap_mean_days * DAY, len(users))).astype(np.int64)
    start = np.maximum(world.span_end[users], np.minimum(not_before[users], cfg.end_us)) + gap
    shape = np.asarray([s.weibull_shape for s in sc.segments.values()])[world.segment[users]]
    length_days = res.lifetime_scale_days * world.theta[users] ** sc.engagement.lifetime_exponent * rng.weibull(shape)
    length_days = np.minimum(length_days, MAX_LIFETIME_DAYS)
    end = start + np.maximum(length_days * DAY, HOUR).astype(np.int64)
    keep = start < cfg.end_us
    world.returns = {"user": users[keep], "start": start[keep], "end": end[keep]}
