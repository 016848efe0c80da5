"""Parsing a scenario's behaviour: engagement, activity, experiments, revenue, referral and the dbt vars."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from data_generation.errors import ScenarioError
from data_generation.scenario.checks import Checker, kind_of
from data_generation.scenario.model import (
    ActivityEvent,
    Channel,
    Engagement,
    EventSpec,
    Experiment,
    Funnel,
    Plan,
    ProgramCap,
    Referral,
    Resurrection,
    Revenue,
)
from settings.dbt_vars import DbtVarsError, check_dbt_vars


def parse_engagement(
    c: Checker, raw: Any, funnel: Funnel, channels: Mapping[str, Channel], events: Mapping[str, EventSpec]
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


def parse_activity(c: Checker, raw: Any, funnel: Funnel, events: Mapping[str, EventSpec]) -> tuple[ActivityEvent, ...]:
    if not isinstance(raw, list) or not raw:
        raise c.fail("activity", f"expected a non-empty list of events, got {kind_of(raw)}")
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


def parse_experiment(
    c: Checker,
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


def parse_revenue(c: Checker, raw: Any, funnel: Funnel) -> Revenue:
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
        raise c.fail(f"{p}.plans", f"expected a non-empty list of plans, got {kind_of(m['plans'])}")
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


def parse_referral(c: Checker, raw: Any, channels: Mapping[str, Channel], events: Mapping[str, EventSpec]) -> Referral:
    keys = {"channel", "invite_event", "lead_time_mean_hours"}
    m = c.mapping(raw, "referral", keys, keys)
    channel = c.name(m["channel"], "referral.channel")
    if channel not in channels:
        raise c.fail("referral.channel", f"{channel!r} is not one of the channels")
    invite = c.name(m["invite_event"], "referral.invite_event")
    if invite not in events:
        raise c.fail("referral.invite_event", f"event {invite!r} is not in events")
    return Referral(channel, invite, c.positive(m["lead_time_mean_hours"], "referral.lead_time_mean_hours"))


def parse_dbt_vars(
    c: Checker, raw: Any, funnel: Funnel, events: Mapping[str, EventSpec], revenue: Revenue | None
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
