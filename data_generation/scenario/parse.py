"""Parsing a scenario: the top level and the market (calendar, channels, segments, funnel, devices, events).

Behaviour (engagement, activity, experiments, revenue, referral, dbt vars) is parsed in ``parse_behaviour``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from data_generation.errors import ScenarioError
from data_generation.scenario.checks import Checker, kind_of
from data_generation.scenario.model import (
    AmountSpec,
    Calendar,
    Channel,
    Device,
    EventSpec,
    Funnel,
    Incident,
    Scenario,
    Segment,
    StepDelay,
)
from data_generation.scenario.parse_behaviour import (
    parse_activity,
    parse_dbt_vars,
    parse_engagement,
    parse_experiment,
    parse_referral,
    parse_revenue,
)

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
    c = Checker(source)
    top = c.mapping(data, "", _TOP_KEYS, _REQUIRED_TOP) if isinstance(data, dict) else None
    if top is None:
        raise ScenarioError(
            f"invalid scenario file {source}: expected a mapping of keys at the top, got {kind_of(data)}"
        )

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
    engagement = parse_engagement(c, top["engagement"], funnel, channels, events)
    activity = parse_activity(c, top["activity"], funnel, events)
    experiments = tuple(
        parse_experiment(c, v, f"experiments[{i}]", funnel, events, activity, engagement)
        for i, v in enumerate(_list(c, top, "experiments"))
    )
    ids = [e.experiment_id for e in experiments]
    if len(set(ids)) != len(ids):
        raise c.fail("experiments", "experiment ids must be unique")
    goals = [e.goal_event for e in experiments if e.conversion_rate is not None]
    if len(set(goals)) != len(goals):
        raise c.fail("experiments", "two experiments with their own conversion_rate share a goal event")
    revenue = parse_revenue(c, top["revenue"], funnel) if top.get("revenue") is not None else None
    referral = parse_referral(c, top["referral"], channels, events) if top.get("referral") is not None else None
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
    dbt_vars = parse_dbt_vars(c, top["dbt_vars"], funnel, events, revenue)
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


def _list(c: Checker, top: dict, key: str) -> list:
    value = top.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise c.fail(key, f"expected a list, got {kind_of(value)}")
    return value


def _parse_calendar(c: Checker, raw: Any) -> Calendar:
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


def _parse_channels(c: Checker, raw: Any) -> dict[str, Channel]:
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


def _parse_segments(c: Checker, raw: Any) -> dict[str, Segment]:
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


def _parse_funnel(c: Checker, raw: Any, channels: Mapping[str, Channel]) -> Funnel:
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


def _parse_devices(c: Checker, m: dict, steps: tuple[str, ...]) -> dict[str, Device]:
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


def _check_probability_products(c: Checker, funnel: Funnel, devices: Mapping[str, Device]) -> None:
    for ch, per_step in funnel.step_conversion.items():
        for dev in devices.values():
            for step, p in per_step.items():
                if p * dev.step_multiplier[step] > 1.0:
                    raise c.fail(
                        f"devices.{dev.name}.step_multiplier.{step}",
                        f"times funnel.step_conversion.{ch}.{step} gives a probability above 1",
                    )


def _parse_incident(c: Checker, raw: Any, path: str, funnel: Funnel) -> Incident:
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


def _parse_events(c: Checker, raw: Any) -> dict[str, EventSpec]:
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


def _parse_amount(c: Checker, raw: Any, path: str) -> AmountSpec:
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
