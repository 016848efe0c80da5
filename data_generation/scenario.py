"""Scenario files: the business being simulated, as data (YAML), parsed into typed, validated objects.

A scenario names its channels, devices, countries, segments, funnel, event vocabulary, experiments, plans and every
probability that drives behaviour. ``load_scenario`` checks the file against a small schema and raises
``ScenarioError`` naming the offending key (``funnel.step_conversion.organic.activate: ...``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from data_generation.errors import GenerationError, ScenarioError
from settings.dbt_vars import DbtVarsError, check_dbt_vars

SCENARIO_DIR = Path(__file__).parent / "scenarios"

JsonScalar = str | int | float | bool


# --------------------------------------------------------------------------------------------------------------------
# Typed scenario


@dataclass(frozen=True)
class Calendar:
    growth_per_year: float  # sign-ups per day grow by this fraction over 365 days (exponential trend)
    weekday_weights: tuple[float, ...]  # Monday .. Sunday, relative
    seasonality_amplitude: float  # yearly cosine around 1
    seasonality_peak_day: int  # day of year (0 = 1 January) where demand peaks
    daily_noise: float  # log-normal sigma of day-to-day sign-up noise
    hour_weights: tuple[float, ...]  # 24 relative weights (UTC hour of day)


@dataclass(frozen=True)
class Channel:
    name: str
    share: float
    retention_multiplier: float
    cost_per_signup: float | None  # set for paid channels only
    cpm: float | None
    ctr: float | None

    @property
    def is_paid(self) -> bool:
        return self.cost_per_signup is not None


@dataclass(frozen=True)
class Device:
    name: str
    share: float
    retention_multiplier: float
    step_multiplier: Mapping[str, float]


@dataclass(frozen=True)
class Segment:
    name: str
    share: float
    weibull_shape: float
    weibull_scale_days: float


@dataclass(frozen=True)
class StepDelay:
    mean_hours: float  # mean delay after the previous step for in-window converters (truncated exponential)
    beyond_window_share: float  # share of converters whose step lands after the conversion window
    late_mean_days: float  # mean of the extra delay after the window for those late converters


@dataclass(frozen=True)
class Funnel:
    steps: tuple[str, ...]
    window_days: int
    step_conversion: Mapping[str, Mapping[str, float]]  # channel -> step (2..K) -> probability of ever reaching
    delays: Mapping[str, StepDelay]  # step (2..K) -> delay model


@dataclass(frozen=True)
class Incident:
    day_fraction: float
    step: str
    conversion_multiplier: float
    description: str


@dataclass(frozen=True)
class ProgramCap:
    step: str  # activity ends at most ``days`` after this step (a fixed-length programme)
    days: int
    completion_event: str | None  # emitted at the end for users still active then


@dataclass(frozen=True)
class Resurrection:
    probability: float
    min_gap_days: float
    gap_mean_days: float
    lifetime_scale_days: float


@dataclass(frozen=True)
class Engagement:
    gamma_shape: float  # latent engagement ~ Gamma(shape, 1/shape): mean 1
    lifetime_exponent: float  # lifetime scale ~ engagement ** exponent
    sessions_per_day: float  # while active, at engagement 1
    events_per_session: float
    mean_gap_seconds: float
    first_week_boost: float
    depth_lifetime_multiplier: tuple[float, ...]  # by deepest funnel step reached (1..K)
    same_channel_share: float
    touch_channels: Mapping[str, float]
    same_device_share: float
    session_start_event: str
    fallback_event: str
    filler_events_mean: float
    resurrection: Resurrection | None
    program: ProgramCap | None


@dataclass(frozen=True)
class AmountSpec:
    median: float | None
    sigma: float | None
    minimum: float
    choices: Mapping[float, float] | None


@dataclass(frozen=True)
class EventSpec:
    name: str
    properties: Mapping[str, Mapping[JsonScalar, float]]
    amount: AmountSpec | None


@dataclass(frozen=True)
class ActivityEvent:
    event: str
    weight: float
    after_step: str | None


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    description: str
    goal_event: str
    window_days: int
    start_day_fraction: float
    duration_days: int
    variants: Mapping[str, float]
    control_variant: str
    conversion_rate: Mapping[str, float] | None  # for goal events outside the funnel; None = the funnel decides
    goal_mean_hours: float


@dataclass(frozen=True)
class Plan:
    plan_id: str
    plan_name: str
    billing_period: str
    price: float
    tier: int


@dataclass(frozen=True)
class Revenue:
    plans: tuple[Plan, ...]
    trial_days: int
    annual_share: float
    tier_weights: Mapping[int, float]
    plan_change_rate_per_month: float
    upgrade_share: float
    payment_failure_rate: float
    retry_days: tuple[int, ...]
    retry_success_rate: float
    refund_rate: float
    refund_delay_days: tuple[float, float]
    cancel_delay_days: float
    resubscribe_share: float
    failure_reasons: Mapping[str, float]


@dataclass(frozen=True)
class Referral:
    channel: str
    invite_event: str
    lead_time_mean_hours: float


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    source: str
    currency: str
    calendar: Calendar
    channels: Mapping[str, Channel]
    devices: Mapping[str, Device]
    countries: Mapping[str, float]
    segments: Mapping[str, Segment]
    user_properties: Mapping[str, Mapping[JsonScalar, float]]
    user_faker_properties: Mapping[str, str]
    funnel: Funnel
    incidents: tuple[Incident, ...]
    engagement: Engagement
    events: Mapping[str, EventSpec]
    activity: tuple[ActivityEvent, ...]
    experiments: tuple[Experiment, ...]
    revenue: Revenue | None
    referral: Referral | None
    dbt_vars: Mapping[str, Any]

    @property
    def touch_channel_names(self) -> list[str]:
        """Acquisition channels first, then channels that only appear as session touch points."""
        extra = [c for c in self.engagement.touch_channels if c not in self.channels]
        return [*self.channels, *extra]


# --------------------------------------------------------------------------------------------------------------------
# Locating and loading


def available_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def resolve_scenario_path(scenario: str | Path) -> Path:
    """A shipped scenario name (``saas``) or a path to a scenario YAML file."""
    text = str(scenario)
    if text in available_scenarios():
        return SCENARIO_DIR / f"{text}.yaml"
    path = Path(text)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise GenerationError(f"scenario file {text} does not exist")
        return path
    raise GenerationError(
        f"unknown scenario {text!r}: expected one of {', '.join(available_scenarios())} or a .yaml file"
    )


def load_scenario(scenario: str | Path) -> Scenario:
    path = resolve_scenario_path(scenario)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"invalid scenario file {path}: not valid YAML{where}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise GenerationError(f"cannot read scenario file {path}: {exc}") from exc
    return parse_scenario(data, source=str(path))


# --------------------------------------------------------------------------------------------------------------------
# Schema check helpers: each takes the value and its dotted path and raises with both


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> ScenarioError:
        return ScenarioError(f"invalid scenario file {self.source}: {path}: {problem}")

    def mapping(self, value: Any, path: str, allowed: set[str] | None = None, required: set[str] | None = None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {_kind(value)}")
        if required:
            missing = sorted(required - value.keys())
            if missing:
                raise self.fail(f"{path}.{missing[0]}" if path else missing[0], "required key is missing")
        if allowed is not None:
            unknown = sorted(str(k) for k in value if k not in allowed)
            if unknown:
                raise self.fail(f"{path}.{unknown[0]}" if path else unknown[0], "unknown key")
        return value

    def number(
        self, value: Any, path: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(path, f"expected a number, got {_kind(value)}")
        if lo is not None and (value < lo or (lo_open and value == lo)):
            raise self.fail(path, f"must be {'>' if lo_open else '>='} {lo:g}, got {value:g}")
        if hi is not None and value > hi:
            raise self.fail(path, f"must be <= {hi:g}, got {value:g}")
        return float(value)

    def probability(self, value: Any, path: str) -> float:
        return self.number(value, path, 0.0, 1.0)

    def positive(self, value: Any, path: str) -> float:
        return self.number(value, path, 0.0, lo_open=True)

    def integer(self, value: Any, path: str, lo: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(path, f"expected an integer, got {_kind(value)}")
        if lo is not None and value < lo:
            raise self.fail(path, f"must be >= {lo}, got {value}")
        return int(value)

    def string(self, value: Any, path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, f"expected a non-empty string, got {_kind(value)}")
        return value

    def name(self, value: Any, path: str) -> str:
        text = self.string(value, path)
        if not all(ch.isalnum() or ch in "_-" for ch in text):
            raise self.fail(path, f"names may hold letters, digits, '_' and '-' only, got {text!r}")
        return text

    def string_list(self, value: Any, path: str, min_len: int = 1) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) < min_len:
            raise self.fail(path, f"expected a list of at least {min_len} names, got {_kind(value)}")
        items = tuple(self.name(v, f"{path}[{i}]") for i, v in enumerate(value))
        if len(set(items)) != len(items):
            raise self.fail(path, "names must be unique")
        return items

    def number_list(self, value: Any, path: str, length: int | None = None, lo: float = 0.0) -> tuple[float, ...]:
        if not isinstance(value, list) or not value or (length is not None and len(value) != length):
            want = f"a list of {length} numbers" if length else "a non-empty list of numbers"
            raise self.fail(path, f"expected {want}, got {_kind(value)}")
        return tuple(self.number(v, f"{path}[{i}]", lo) for i, v in enumerate(value))

    def weights(self, value: Any, path: str, key_kind: str = "name") -> dict:
        """A mapping of name -> non-negative weight with a positive total."""
        self.mapping(value, path)
        if not value:
            raise self.fail(path, "expected at least one entry")
        out: dict = {}
        for key, weight in value.items():
            if key_kind == "name":
                self.name(key, f"{path}.{key}")
            elif key_kind == "scalar" and not isinstance(key, (str, int, float, bool)):
                raise self.fail(f"{path}.{key}", "keys must be strings, numbers or booleans")
            out[key] = self.number(weight, f"{path}.{key}", 0.0)
        if sum(out.values()) <= 0:
            raise self.fail(path, "weights must not all be zero")
        return out


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"boolean {value}"
    if isinstance(value, (int, float)):
        return f"number {value}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


# --------------------------------------------------------------------------------------------------------------------
# Parsing

_TOP_KEYS = {
    "name",
    "description",
    "currency",
    "calendar",
    "channels",
    "devices",
    "countries",
    "segments",
    "user_properties",
    "user_faker_properties",
    "funnel",
    "incidents",
    "engagement",
    "events",
    "activity",
    "experiments",
    "revenue",
    "referral",
    "dbt_vars",
}
_REQUIRED_TOP = _TOP_KEYS - {
    "user_properties",
    "user_faker_properties",
    "incidents",
    "experiments",
    "revenue",
    "referral",
}
_FAKER_PROVIDERS = {"company", "city", "job", "first_name", "last_name", "catch_phrase", "street_name"}  # users.py


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    c = _Checker(source)
    top = c.mapping(data, "", _TOP_KEYS, _REQUIRED_TOP) if isinstance(data, dict) else None
    if top is None:
        raise ScenarioError(f"invalid scenario file {source}: expected a mapping of keys at the top, got {_kind(data)}")

    name = c.name(top["name"], "name")
    calendar = _parse_calendar(c, top["calendar"])
    channels = _parse_channels(c, top["channels"])
    devices_raw = c.mapping(top["devices"], "devices")
    countries = c.weights(top["countries"], "countries")
    segments = _parse_segments(c, top["segments"])
    funnel = _parse_funnel(c, top["funnel"], channels)
    devices = _parse_devices(c, devices_raw, funnel.steps)
    _check_probability_products(c, funnel, devices)
    incidents = tuple(
        _parse_incident(c, v, f"incidents[{i}]", funnel) for i, v in enumerate(_list(c, top, "incidents"))
    )
    events = _parse_events(c, top["events"])
    engagement = _parse_engagement(c, top["engagement"], funnel, channels, events)
    activity = _parse_activity(c, top["activity"], funnel, events)
    experiments = tuple(
        _parse_experiment(c, v, f"experiments[{i}]", funnel, events, activity, engagement)
        for i, v in enumerate(_list(c, top, "experiments"))
    )
    ids = [e.experiment_id for e in experiments]
    if len(set(ids)) != len(ids):
        raise c.fail("experiments", "experiment ids must be unique")
    goals = [e.goal_event for e in experiments if e.conversion_rate is not None]
    if len(set(goals)) != len(goals):
        raise c.fail("experiments", "two experiments with their own conversion_rate share a goal event")
    revenue = _parse_revenue(c, top["revenue"], funnel) if top.get("revenue") is not None else None
    referral = _parse_referral(c, top["referral"], channels, events) if top.get("referral") is not None else None
    user_properties = {
        key: c.weights(v, f"user_properties.{key}", key_kind="scalar")
        for key, v in c.mapping(top.get("user_properties") or {}, "user_properties").items()
    }
    faker_props = {}
    for key, provider in c.mapping(top.get("user_faker_properties") or {}, "user_faker_properties").items():
        c.name(key, f"user_faker_properties.{key}")
        if provider not in _FAKER_PROVIDERS:
            raise c.fail(f"user_faker_properties.{key}", f"expected one of {', '.join(sorted(_FAKER_PROVIDERS))}")
        faker_props[key] = provider
    dbt_vars = _parse_dbt_vars(c, top["dbt_vars"], funnel, events, revenue)
    currency = c.string(top["currency"], "currency")
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise c.fail("currency", f"expected an ISO 4217 code such as USD, got {currency!r}")
    return Scenario(
        name=name,
        description=c.string(top["description"], "description").strip(),
        source=source,
        currency=currency,
        calendar=calendar,
        channels=channels,
        devices=devices,
        countries=countries,
        segments=segments,
        user_properties=user_properties,
        user_faker_properties=faker_props,
        funnel=funnel,
        incidents=incidents,
        engagement=engagement,
        events=events,
        activity=activity,
        experiments=experiments,
        revenue=revenue,
        referral=referral,
        dbt_vars=dbt_vars,
    )


def _list(c: _Checker, top: dict, key: str) -> list:
    value = top.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise c.fail(key, f"expected a list, got {_kind(value)}")
    return value


def _parse_calendar(c: _Checker, raw: Any) -> Calendar:
    keys = {
        "growth_per_year",
        "weekday_weights",
        "seasonality_amplitude",
        "seasonality_peak_day",
        "daily_noise",
        "hour_weights",
    }
    m = c.mapping(raw, "calendar", keys, keys)
    weekday = c.number_list(m["weekday_weights"], "calendar.weekday_weights", 7)
    hours = c.number_list(m["hour_weights"], "calendar.hour_weights", 24)
    for path, values in (("calendar.weekday_weights", weekday), ("calendar.hour_weights", hours)):
        if sum(values) <= 0:
            raise c.fail(path, "weights must not all be zero")
    return Calendar(
        growth_per_year=c.number(m["growth_per_year"], "calendar.growth_per_year", -0.9, 10.0),
        weekday_weights=weekday,
        seasonality_amplitude=c.number(m["seasonality_amplitude"], "calendar.seasonality_amplitude", 0.0, 0.9),
        seasonality_peak_day=c.integer(m["seasonality_peak_day"], "calendar.seasonality_peak_day", 0),
        daily_noise=c.number(m["daily_noise"], "calendar.daily_noise", 0.0, 2.0),
        hour_weights=hours,
    )


def _parse_channels(c: _Checker, raw: Any) -> dict[str, Channel]:
    m = c.mapping(raw, "channels")
    if not m:
        raise c.fail("channels", "expected at least one channel")
    out = {}
    keys = {"share", "retention_multiplier", "cost_per_signup", "cpm", "ctr"}
    for name, spec in m.items():
        path = f"channels.{name}"
        c.name(name, path)
        s = c.mapping(spec, path, keys, {"share", "retention_multiplier"})
        paid = s.get("cost_per_signup") is not None
        if paid and (s.get("cpm") is None or s.get("ctr") is None):
            raise c.fail(
                f"{path}.{'cpm' if s.get('cpm') is None else 'ctr'}",
                "required for a paid channel (one with cost_per_signup)",
            )
        out[name] = Channel(
            name=name,
            share=c.number(s["share"], f"{path}.share", 0.0),
            retention_multiplier=c.positive(s["retention_multiplier"], f"{path}.retention_multiplier"),
            cost_per_signup=c.positive(s["cost_per_signup"], f"{path}.cost_per_signup") if paid else None,
            cpm=c.positive(s["cpm"], f"{path}.cpm") if paid else None,
            ctr=c.number(s["ctr"], f"{path}.ctr", 0.0, 1.0, lo_open=True) if paid else None,
        )
    if sum(ch.share for ch in out.values()) <= 0:
        raise c.fail("channels", "shares must not all be zero")
    return out


def _parse_segments(c: _Checker, raw: Any) -> dict[str, Segment]:
    m = c.mapping(raw, "segments")
    if not m:
        raise c.fail("segments", "expected at least one segment")
    keys = {"share", "weibull_shape", "weibull_scale_days"}
    out = {}
    for name, spec in m.items():
        path = f"segments.{name}"
        c.name(name, path)
        s = c.mapping(spec, path, keys, keys)
        out[name] = Segment(
            name=name,
            share=c.number(s["share"], f"{path}.share", 0.0),
            weibull_shape=c.number(s["weibull_shape"], f"{path}.weibull_shape", 0.1, 5.0),
            weibull_scale_days=c.positive(s["weibull_scale_days"], f"{path}.weibull_scale_days"),
        )
    if sum(s.share for s in out.values()) <= 0:
        raise c.fail("segments", "shares must not all be zero")
    return out


def _parse_funnel(c: _Checker, raw: Any, channels: Mapping[str, Channel]) -> Funnel:
    keys = {"steps", "conversion_window_days", "step_conversion", "delays"}
    m = c.mapping(raw, "funnel", keys, keys)
    steps = c.string_list(m["steps"], "funnel.steps", 2)
    window = c.integer(m["conversion_window_days"], "funnel.conversion_window_days", 1)
    conv_raw = c.mapping(m["step_conversion"], "funnel.step_conversion", set(channels), set(channels))
    conv: dict[str, dict[str, float]] = {}
    for ch, per_step in conv_raw.items():
        path = f"funnel.step_conversion.{ch}"
        s = c.mapping(per_step, path, set(steps[1:]), set(steps[1:]))
        conv[ch] = {step: c.probability(s[step], f"{path}.{step}") for step in steps[1:]}
    delays_raw = c.mapping(m["delays"], "funnel.delays", set(steps[1:]), set(steps[1:]))
    delays = {}
    dkeys = {"mean_hours", "beyond_window_share", "late_mean_days"}
    for step in steps[1:]:
        path = f"funnel.delays.{step}"
        d = c.mapping(delays_raw[step], path, dkeys, dkeys)
        delays[step] = StepDelay(
            mean_hours=c.positive(d["mean_hours"], f"{path}.mean_hours"),
            beyond_window_share=c.number(d["beyond_window_share"], f"{path}.beyond_window_share", 0.0, 0.9),
            late_mean_days=c.positive(d["late_mean_days"], f"{path}.late_mean_days"),
        )
    return Funnel(steps=steps, window_days=window, step_conversion=conv, delays=delays)


def _parse_devices(c: _Checker, m: dict, steps: tuple[str, ...]) -> dict[str, Device]:
    if not m:
        raise c.fail("devices", "expected at least one device")
    keys = {"share", "retention_multiplier", "step_multiplier"}
    out = {}
    for name, spec in m.items():
        path = f"devices.{name}"
        c.name(name, path)
        s = c.mapping(spec, path, keys, {"share", "retention_multiplier"})
        mult_raw = c.mapping(s.get("step_multiplier") or {}, f"{path}.step_multiplier", set(steps[1:]))
        mult = {step: c.number(mult_raw.get(step, 1.0), f"{path}.step_multiplier.{step}", 0.0) for step in steps[1:]}
        out[name] = Device(
            name=name,
            share=c.number(s["share"], f"{path}.share", 0.0),
            retention_multiplier=c.positive(s["retention_multiplier"], f"{path}.retention_multiplier"),
            step_multiplier=mult,
        )
    if sum(d.share for d in out.values()) <= 0:
        raise c.fail("devices", "shares must not all be zero")
    return out


def _check_probability_products(c: _Checker, funnel: Funnel, devices: Mapping[str, Device]) -> None:
    for ch, per_step in funnel.step_conversion.items():
        for dev in devices.values():
            for step, p in per_step.items():
                if p * dev.step_multiplier[step] > 1.0:
                    raise c.fail(
                        f"devices.{dev.name}.step_multiplier.{step}",
                        f"times funnel.step_conversion.{ch}.{step} gives a probability above 1",
                    )


def _parse_incident(c: _Checker, raw: Any, path: str, funnel: Funnel) -> Incident:
    keys = {"day_fraction", "step", "conversion_multiplier", "description"}
    m = c.mapping(raw, path, keys, keys)
    step = c.name(m["step"], f"{path}.step")
    if step not in funnel.steps[1:]:
        raise c.fail(f"{path}.step", f"must be a funnel step after the first, got {step!r}")
    return Incident(
        day_fraction=c.number(m["day_fraction"], f"{path}.day_fraction", 0.0, 1.0),
        step=step,
        conversion_multiplier=c.number(m["conversion_multiplier"], f"{path}.conversion_multiplier", 0.0, 1.0),
        description=c.string(m["description"], f"{path}.description").strip(),
    )


def _parse_events(c: _Checker, raw: Any) -> dict[str, EventSpec]:
    m = c.mapping(raw, "events")
    out = {}
    for name, spec in m.items():
        path = f"events.{name}"
        c.name(name, path)
        s = c.mapping(spec if spec is not None else {}, path, {"properties", "amount"})
        props = {
            key: c.weights(values, f"{path}.properties.{key}", key_kind="scalar")
            for key, values in c.mapping(s.get("properties") or {}, f"{path}.properties").items()
        }
        amount = _parse_amount(c, s["amount"], f"{path}.amount") if s.get("amount") is not None else None
        out[name] = EventSpec(name=name, properties=props, amount=amount)
    return out


def _parse_amount(c: _Checker, raw: Any, path: str) -> AmountSpec:
    m = c.mapping(raw, path, {"median", "sigma", "min", "choices"})
    if "choices" in m:
        if "median" in m or "sigma" in m:
            raise c.fail(path, "give either choices or median and sigma, not both")
        choices = c.weights(m["choices"], f"{path}.choices", key_kind="scalar")
        for price in choices:
            c.positive(price, f"{path}.choices.{price}")
        return AmountSpec(None, None, 0.0, {float(k): v for k, v in choices.items()})
    for key in ("median", "sigma"):
        if key not in m:
            raise c.fail(f"{path}.{key}", "required key is missing (or give choices)")
    return AmountSpec(
        median=c.positive(m["median"], f"{path}.median"),
        sigma=c.number(m["sigma"], f"{path}.sigma", 0.0, 3.0),
        minimum=c.number(m.get("min", 0.5), f"{path}.min", 0.01),
        choices=None,
    )


def _parse_engagement(
    c: _Checker, raw: Any, funnel: Funnel, channels: Mapping[str, Channel], events: Mapping[str, EventSpec]
) -> Engagement:
    keys = {
        "gamma_shape",
        "lifetime_exponent",
        "sessions_per_day",
        "events_per_session",
        "mean_gap_seconds",
        "first_week_boost",
        "depth_lifetime_multiplier",
        "same_channel_share",
        "touch_channels",
        "same_device_share",
        "session_start_event",
        "fallback_event",
        "filler_events_mean",
        "resurrection",
        "program",
    }
    m = c.mapping(raw, "engagement", keys, keys - {"resurrection", "program"})
    p = "engagement"
    depth = c.number_list(m["depth_lifetime_multiplier"], f"{p}.depth_lifetime_multiplier", len(funnel.steps))
    if min(depth) <= 0:
        raise c.fail(f"{p}.depth_lifetime_multiplier", "multipliers must be > 0")
    touch = c.weights(m["touch_channels"], f"{p}.touch_channels")
    for ev_key in ("session_start_event", "fallback_event"):
        ev = c.name(m[ev_key], f"{p}.{ev_key}")
        if ev in funnel.steps:
            raise c.fail(f"{p}.{ev_key}", f"must not be a funnel step ({ev!r})")
        if ev not in events:
            raise c.fail(f"{p}.{ev_key}", f"event {ev!r} is not in events")
    resurrection = None
    if m.get("resurrection") is not None:
        rk = {"probability", "min_gap_days", "gap_mean_days", "lifetime_scale_days"}
        r = c.mapping(m["resurrection"], f"{p}.resurrection", rk, rk)
        resurrection = Resurrection(
            probability=c.probability(r["probability"], f"{p}.resurrection.probability"),
            min_gap_days=c.number(r["min_gap_days"], f"{p}.resurrection.min_gap_days", 1.0),
            gap_mean_days=c.positive(r["gap_mean_days"], f"{p}.resurrection.gap_mean_days"),
            lifetime_scale_days=c.positive(r["lifetime_scale_days"], f"{p}.resurrection.lifetime_scale_days"),
        )
    program = None
    if m.get("program") is not None:
        pk = {"step", "days", "completion_event"}
        r = c.mapping(m["program"], f"{p}.program", pk, {"step", "days"})
        step = c.name(r["step"], f"{p}.program.step")
        if step not in funnel.steps:
            raise c.fail(f"{p}.program.step", f"must be a funnel step, got {step!r}")
        completion = (
            c.name(r["completion_event"], f"{p}.program.completion_event") if r.get("completion_event") else None
        )
        if completion is not None and completion not in events:
            raise c.fail(f"{p}.program.completion_event", f"event {completion!r} is not in events")
        program = ProgramCap(step=step, days=c.integer(r["days"], f"{p}.program.days", 1), completion_event=completion)
    return Engagement(
        gamma_shape=c.number(m["gamma_shape"], f"{p}.gamma_shape", 0.2, 100.0),
        lifetime_exponent=c.number(m["lifetime_exponent"], f"{p}.lifetime_exponent", 0.0, 5.0),
        sessions_per_day=c.positive(m["sessions_per_day"], f"{p}.sessions_per_day"),
        events_per_session=c.number(m["events_per_session"], f"{p}.events_per_session", 1.0, 100.0),
        mean_gap_seconds=c.positive(m["mean_gap_seconds"], f"{p}.mean_gap_seconds"),
        first_week_boost=c.number(m["first_week_boost"], f"{p}.first_week_boost", 1.0, 10.0),
        depth_lifetime_multiplier=depth,
        same_channel_share=c.probability(m["same_channel_share"], f"{p}.same_channel_share"),
        touch_channels=touch,
        same_device_share=c.probability(m["same_device_share"], f"{p}.same_device_share"),
        session_start_event=m["session_start_event"],
        fallback_event=m["fallback_event"],
        filler_events_mean=c.number(m["filler_events_mean"], f"{p}.filler_events_mean", 0.0, 20.0),
        resurrection=resurrection,
        program=program,
    )


def _parse_activity(
    c: _Checker, raw: Any, funnel: Funnel, events: Mapping[str, EventSpec]
) -> tuple[ActivityEvent, ...]:
    if not isinstance(raw, list) or not raw:
        raise c.fail("activity", f"expected a non-empty list of events, got {_kind(raw)}")
    out = []
    for i, item in enumerate(raw):
        path = f"activity[{i}]"
        m = c.mapping(item, path, {"event", "weight", "after_step"}, {"event", "weight"})
        ev = c.name(m["event"], f"{path}.event")
        if ev not in events:
            raise c.fail(f"{path}.event", f"event {ev!r} is not in events")
        after = m.get("after_step")
        if after is not None and after not in funnel.steps:
            raise c.fail(f"{path}.after_step", f"must be a funnel step, got {after!r}")
        out.append(ActivityEvent(event=ev, weight=c.number(m["weight"], f"{path}.weight", 0.0), after_step=after))
    if sum(a.weight for a in out) <= 0:
        raise c.fail("activity", "weights must not all be zero")
    return tuple(out)


def _parse_experiment(
    c: _Checker,
    raw: Any,
    path: str,
    funnel: Funnel,
    events: Mapping[str, EventSpec],
    activity: tuple[ActivityEvent, ...],
    engagement: Engagement,
) -> Experiment:
    keys = {
        "id",
        "description",
        "goal_event",
        "window_days",
        "start_day_fraction",
        "duration_days",
        "variants",
        "control_variant",
        "conversion_rate",
        "goal_mean_hours",
    }
    m = c.mapping(raw, path, keys, keys - {"conversion_rate", "goal_mean_hours"})
    variants = c.weights(m["variants"], f"{path}.variants")
    if len(variants) != 2:
        raise c.fail(f"{path}.variants", f"expected exactly two variants, got {len(variants)}")
    total = sum(variants.values())
    variants = {k: v / total for k, v in variants.items()}
    control = c.name(m["control_variant"], f"{path}.control_variant")
    if control not in variants:
        raise c.fail(f"{path}.control_variant", f"{control!r} is not one of the variants")
    goal = c.name(m["goal_event"], f"{path}.goal_event")
    window = c.integer(m["window_days"], f"{path}.window_days", 1)
    rates = None
    if goal in funnel.steps[1:]:
        if m.get("conversion_rate") is not None:
            raise c.fail(
                f"{path}.conversion_rate",
                "a funnel-step goal converts as the funnel says: leave conversion_rate out (no effect)",
            )
        if window != funnel.window_days:
            raise c.fail(f"{path}.window_days", f"a funnel-step goal needs the funnel window ({funnel.window_days})")
    elif goal in funnel.steps:
        raise c.fail(f"{path}.goal_event", "the first funnel step happens at assignment; pick a later step")
    else:
        if goal not in events:
            raise c.fail(f"{path}.goal_event", f"event {goal!r} is not in events")
        if goal in {a.event for a in activity} or goal in (engagement.session_start_event, engagement.fallback_event):
            raise c.fail(f"{path}.goal_event", f"{goal!r} is also an activity event: use an event of its own")
        if m.get("conversion_rate") is None:
            raise c.fail(f"{path}.conversion_rate", "required for a goal event outside the funnel")
        rate_raw = c.mapping(m["conversion_rate"], f"{path}.conversion_rate", set(variants), set(variants))
        rates = {v: c.probability(rate_raw[v], f"{path}.conversion_rate.{v}") for v in variants}
    return Experiment(
        experiment_id=c.name(m["id"], f"{path}.id"),
        description=c.string(m["description"], f"{path}.description").strip(),
        goal_event=goal,
        window_days=window,
        start_day_fraction=c.number(m["start_day_fraction"], f"{path}.start_day_fraction", 0.0, 1.0),
        duration_days=c.integer(m["duration_days"], f"{path}.duration_days", 1),
        variants=variants,
        control_variant=control,
        conversion_rate=rates,
        goal_mean_hours=c.positive(m.get("goal_mean_hours", 48.0), f"{path}.goal_mean_hours"),
    )


def _parse_revenue(c: _Checker, raw: Any, funnel: Funnel) -> Revenue:
    keys = {
        "plans",
        "trial_days",
        "annual_share",
        "tier_weights",
        "plan_change_rate_per_month",
        "upgrade_share",
        "payment_failure_rate",
        "retry_days",
        "retry_success_rate",
        "refund_rate",
        "refund_delay_days",
        "cancel_delay_days",
        "resubscribe_share",
        "failure_reasons",
    }
    p = "revenue"
    m = c.mapping(raw, p, keys, keys)
    if tuple(funnel.steps[-2:]) != ("start_trial", "subscribe"):
        raise c.fail(p, "subscription revenue needs a funnel ending in start_trial, subscribe")
    if not isinstance(m["plans"], list) or not m["plans"]:
        raise c.fail(f"{p}.plans", f"expected a non-empty list of plans, got {_kind(m['plans'])}")
    plans = []
    pk = {"plan_id", "plan_name", "billing_period", "price", "tier"}
    for i, item in enumerate(m["plans"]):
        path = f"{p}.plans[{i}]"
        s = c.mapping(item, path, pk, pk)
        period = s["billing_period"]
        if period not in ("month", "year"):
            raise c.fail(f"{path}.billing_period", f"expected 'month' or 'year', got {period!r}")
        plans.append(
            Plan(
                plan_id=c.name(s["plan_id"], f"{path}.plan_id"),
                plan_name=c.string(s["plan_name"], f"{path}.plan_name"),
                billing_period=period,
                price=c.positive(s["price"], f"{path}.price"),
                tier=c.integer(s["tier"], f"{path}.tier", 1),
            )
        )
    ids = [pl.plan_id for pl in plans]
    if len(set(ids)) != len(ids):
        raise c.fail(f"{p}.plans", "plan ids must be unique")
    tiers = sorted({pl.tier for pl in plans})
    for tier in tiers:
        for period in ("month", "year"):
            if sum(1 for pl in plans if pl.tier == tier and pl.billing_period == period) != 1:
                raise c.fail(f"{p}.plans", f"tier {tier} needs exactly one 'month' and one 'year' plan")
    tw_raw = c.mapping(m["tier_weights"], f"{p}.tier_weights")
    tier_weights = {}
    for key, value in tw_raw.items():
        if isinstance(key, bool) or not isinstance(key, int) or key not in tiers:
            raise c.fail(f"{p}.tier_weights.{key}", f"expected one of the plan tiers {tiers}")
        tier_weights[key] = c.number(value, f"{p}.tier_weights.{key}", 0.0)
    if sum(tier_weights.values()) <= 0:
        raise c.fail(f"{p}.tier_weights", "weights must not all be zero")
    retry_days = c.number_list(m["retry_days"], f"{p}.retry_days", lo=1)
    if list(retry_days) != sorted(set(retry_days)) or any(d != int(d) for d in retry_days):
        raise c.fail(f"{p}.retry_days", "expected increasing whole numbers of days after the failed charge")
    refund_delay = c.number_list(m["refund_delay_days"], f"{p}.refund_delay_days", 2, lo=0)
    if refund_delay[0] > refund_delay[1]:
        raise c.fail(f"{p}.refund_delay_days", "expected [min, max]")
    return Revenue(
        plans=tuple(plans),
        trial_days=c.integer(m["trial_days"], f"{p}.trial_days", 1),
        annual_share=c.probability(m["annual_share"], f"{p}.annual_share"),
        tier_weights=tier_weights,
        plan_change_rate_per_month=c.probability(m["plan_change_rate_per_month"], f"{p}.plan_change_rate_per_month"),
        upgrade_share=c.probability(m["upgrade_share"], f"{p}.upgrade_share"),
        payment_failure_rate=c.probability(m["payment_failure_rate"], f"{p}.payment_failure_rate"),
        retry_days=tuple(int(d) for d in retry_days),
        retry_success_rate=c.probability(m["retry_success_rate"], f"{p}.retry_success_rate"),
        refund_rate=c.probability(m["refund_rate"], f"{p}.refund_rate"),
        refund_delay_days=(refund_delay[0], refund_delay[1]),
        cancel_delay_days=c.number(m["cancel_delay_days"], f"{p}.cancel_delay_days", 0.0),
        resubscribe_share=c.probability(m["resubscribe_share"], f"{p}.resubscribe_share"),
        failure_reasons=c.weights(m["failure_reasons"], f"{p}.failure_reasons"),
    )


def _parse_referral(
    c: _Checker, raw: Any, channels: Mapping[str, Channel], events: Mapping[str, EventSpec]
) -> Referral:
    keys = {"channel", "invite_event", "lead_time_mean_hours"}
    m = c.mapping(raw, "referral", keys, keys)
    channel = c.name(m["channel"], "referral.channel")
    if channel not in channels:
        raise c.fail("referral.channel", f"{channel!r} is not one of the channels")
    invite = c.name(m["invite_event"], "referral.invite_event")
    if invite not in events:
        raise c.fail("referral.invite_event", f"event {invite!r} is not in events")
    return Referral(channel, invite, c.positive(m["lead_time_mean_hours"], "referral.lead_time_mean_hours"))


def _parse_dbt_vars(
    c: _Checker, raw: Any, funnel: Funnel, events: Mapping[str, EventSpec], revenue: Revenue | None
) -> dict[str, Any]:
    """Any var dbt_project.yml declares (checked by settings.dbt_vars), then what must agree with the scenario."""
    m = c.mapping(raw, "dbt_vars", None, {"funnel_steps", "activity_events", "revenue_source"})
    try:
        check_dbt_vars(m, f"invalid scenario file {c.source}")
    except DbtVarsError as exc:
        raise ScenarioError(str(exc)) from None
    steps = c.string_list(m["funnel_steps"], "dbt_vars.funnel_steps", 2)
    if steps != funnel.steps:
        raise c.fail("dbt_vars.funnel_steps", f"must equal funnel.steps {list(funnel.steps)}")
    window = m.get("funnel_conversion_window_days", funnel.window_days)
    if window != funnel.window_days:
        raise c.fail("dbt_vars.funnel_conversion_window_days", "must equal funnel.conversion_window_days")
    c.string_list(m["activity_events"], "dbt_vars.activity_events", 0)
    source = m["revenue_source"]
    if source not in ("payments", "events", "none"):
        raise c.fail("dbt_vars.revenue_source", f"expected 'payments', 'events' or 'none', got {source!r}")
    if source == "payments" and revenue is None:
        raise c.fail("dbt_vars.revenue_source", "'payments' needs a revenue section")
    if "feature_event" in m:
        feature = c.name(m["feature_event"], "dbt_vars.feature_event")
        prop = c.name(m.get("feature_property"), "dbt_vars.feature_property")
        if feature not in events or prop not in events[feature].properties:
            raise c.fail("dbt_vars.feature_property", f"event {feature!r} has no property {prop!r} in events")
    if "revenue_events" in m:
        c.string_list(m["revenue_events"], "dbt_vars.revenue_events", 0)
    if m.get("activation_event") is not None:
        activation = c.name(m["activation_event"], "dbt_vars.activation_event")
        if activation not in funnel.steps and activation not in events:
            raise c.fail("dbt_vars.activation_event", f"{activation!r} is neither a funnel step nor in events")
    out = dict(m)
    out["funnel_steps"] = list(steps)
    out["funnel_conversion_window_days"] = funnel.window_days
    return out
