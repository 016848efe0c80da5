"""The planted truth: what the simulation put into the data, for tests and for checking the marts.

Funnel probabilities are exact expectations of an ordered funnel with the conversion window measured from the
first step: a user reaches step k inside the window with probability prod_j<=k p_j x (1 - beyond_window_share_j).
By-channel figures mix over the device distribution (and by-device over channels): a step's conversion is
P(reach k) / P(reach k-1) within that group. Users entering on an incident day are not part of these figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from data_generation.experiments import experiment_dates
from data_generation.population import World, step_probabilities
from data_generation.timeutil import DAY, us_to_date


def _r(x: float) -> float:
    return round(float(x), 6)


def _iso(us: int) -> str:
    return np.datetime64(int(us), "us").astype("datetime64[s]").item().isoformat()


def reach_probabilities(world: World) -> np.ndarray:
    """P[channel, device, k]: probability of reaching step k inside the window (no incident)."""
    sc = world.sc
    p = step_probabilities(sc)
    keep = np.ones(len(sc.funnel.steps))
    for k, step in enumerate(sc.funnel.steps[1:], start=1):
        keep[k] = 1.0 - sc.funnel.delays[step].beyond_window_share
    return np.cumprod(p * keep, axis=2)


def _shares(values: list[float]) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return a / a.sum()


def funnel_truth(world: World) -> dict[str, Any]:
    sc = world.sc
    steps = sc.funnel.steps
    reach = reach_probabilities(world)
    ch_share = _shares([c.share for c in sc.channels.values()])
    dev_share = _shares([d.share for d in sc.devices.values()])
    by_channel = np.einsum("cdk,d->ck", reach, dev_share)
    by_device = np.einsum("cdk,c->dk", reach, ch_share)
    overall = np.einsum("cdk,c,d->k", reach, ch_share, dev_share)

    def steps_of(row: np.ndarray) -> dict[str, float]:
        out = {steps[0]: 1.0}
        for k in range(1, len(steps)):
            out[steps[k]] = _r(row[k] / row[k - 1]) if row[k - 1] > 0 else 0.0
        return out

    return {
        "steps": list(steps),
        "conversion_window_days": sc.funnel.window_days,
        "window_anchor": "first_step",
        "step_conversion_by_channel": {c: steps_of(by_channel[i]) for i, c in enumerate(sc.channels)},
        "overall_conversion_by_channel": {c: _r(by_channel[i, -1]) for i, c in enumerate(sc.channels)},
        "step_conversion_by_device": {d: steps_of(by_device[i]) for i, d in enumerate(sc.devices)},
        "overall_conversion_by_device": {d: _r(by_device[i, -1]) for i, d in enumerate(sc.devices)},
        "step_conversion": steps_of(overall),
        "overall_conversion": _r(overall[-1]),
        "reach_probability": {s: _r(overall[k]) for k, s in enumerate(steps)},
        "beyond_window_share": {s: d.beyond_window_share for s, d in sc.funnel.delays.items()},
        "mean_delay_hours": {s: d.mean_hours for s, d in sc.funnel.delays.items()},
        "note": (
            "probabilities of reaching each step within conversion_window_days of the first step, ordered; users "
            "whose first step falls on an incident date are excluded (see incidents); the device is the sign-up "
            "device (users.device)"
        ),
    }


def experiments_truth(world: World, realized: dict[str, dict[str, int]]) -> dict[str, Any]:
    sc, cfg = world.sc, world.cfg
    reach = reach_probabilities(world)
    ch_share = _shares([c.share for c in sc.channels.values()])
    dev_share = _shares([d.share for d in sc.devices.values()])
    overall = np.einsum("cdk,c,d->k", reach, ch_share, dev_share)
    out: dict[str, Any] = {}
    for exp, (started, ended, complete) in zip(sc.experiments, experiment_dates(world), strict=True):
        start_day, end_day = (started - cfg.start_us) // DAY, (ended - cfg.start_us) // DAY
        if exp.conversion_rate is None:
            goal = sc.funnel.steps.index(exp.goal_event)
            base = float(overall[goal])
            # users entering on an incident day convert less when the broken step comes at or before the goal: the
            # expected rate mixes them in with their expected share of the experiment's sign-ups (day weights)
            weights = world.signup_day_weights[start_day:end_day]
            rate = base
            for inc, day in zip(sc.incidents, world.incident_days, strict=True):
                if start_day <= day < end_day and sc.funnel.steps.index(inc.step) <= goal and weights.sum() > 0:
                    share = world.signup_day_weights[day] / weights.sum()
                    rate -= share * base * (1.0 - inc.conversion_multiplier)
            rates = {v: _r(rate) for v in exp.variants}
        else:
            rates = {v: _r(r) for v, r in exp.conversion_rate.items()}
        treatment = next(v for v in exp.variants if v != exp.control_variant)
        control_rate = rates[exp.control_variant]
        lift = rates[treatment] - control_rate
        out[exp.experiment_id] = {
            "goal_event": exp.goal_event,
            "window_days": exp.window_days,
            "planned_split": {v: _r(s) for v, s in exp.variants.items()},
            "control_variant": exp.control_variant,
            "treatment_variant": treatment,
            "conversion_rate": rates,
            "true_absolute_lift": _r(lift),
            "true_relative_lift": _r(lift / control_rate) if control_rate > 0 else None,
            "has_effect": abs(lift) > 0,
            "started_at": _iso(started),
            "ended_at": _iso(ended),
            "assigned_users": realized.get(exp.experiment_id, {}),
            "window_complete": complete,
            # an incident during the experiment lowers both variants' rates alike (included in conversion_rate)
            "incident_overlap": any(start_day <= d < end_day for d in world.incident_days),
            "description": exp.description,
        }
    return out


def incidents_truth(world: World) -> list[dict[str, Any]]:
    cfg = world.cfg
    out = []
    for inc, day in zip(world.sc.incidents, world.incident_days, strict=True):
        lo, hi = np.searchsorted(world.created, [cfg.start_us + day * DAY, cfg.start_us + (day + 1) * DAY])
        out.append(
            {
                "date": us_to_date(cfg.start_us + day * DAY).isoformat(),
                "step": inc.step,
                "conversion_multiplier": inc.conversion_multiplier,
                "description": inc.description,
                "users_entering": int(hi - lo),
            }
        )
    return out


def population_truth(world: World, spend: dict[str, dict[str, float]]) -> dict[str, Any]:
    sc = world.sc
    ch_share = _shares([c.share for c in sc.channels.values()])
    channels = {}
    for i, (name, ch) in enumerate(sc.channels.items()):
        entry: dict[str, Any] = {
            "signup_share": _r(ch_share[i]),
            "paid": ch.is_paid,
            "retention_multiplier": ch.retention_multiplier,
            "realized_signups": int((world.channel == i).sum()),
        }
        if ch.is_paid:
            entry["cost_per_signup"] = ch.cost_per_signup
            entry["realized_spend"] = spend[name]["spend"]
        channels[name] = entry
    seg_share = _shares([s.share for s in sc.segments.values()])
    segments = {
        name: {
            "share": _r(seg_share[i]),
            "weibull_shape": s.weibull_shape,
            "weibull_scale_days": s.weibull_scale_days,
            "median_lifetime_days_at_mean_engagement": _r(
                s.weibull_scale_days * np.log(2.0) ** (1.0 / s.weibull_shape)
            ),
            "realized_users": int((world.segment == i).sum()),
        }
        for i, (name, s) in enumerate(sc.segments.items())
    }
    dev_share = _shares([d.share for d in sc.devices.values()])
    devices = {
        name: {
            "share": _r(dev_share[i]),
            "retention_multiplier": d.retention_multiplier,
            "step_multiplier": dict(d.step_multiplier),
        }
        for i, (name, d) in enumerate(sc.devices.items())
    }
    eng = sc.engagement
    engagement = {
        "latent_engagement": f"Gamma(shape={eng.gamma_shape}, scale=1/{eng.gamma_shape}), mean 1, one draw per user",
        "gamma_shape": eng.gamma_shape,
        "lifetime_exponent": eng.lifetime_exponent,
        "sessions_per_day_at_mean_engagement": eng.sessions_per_day,
        "first_week_boost": eng.first_week_boost,
        "events_per_session": eng.events_per_session,
        "depth_lifetime_multiplier": dict(zip(sc.funnel.steps, eng.depth_lifetime_multiplier, strict=True)),
        "lifetime_model": (
            "active days ~ Weibull(segment shape) x segment scale x channel and device retention_multiplier x "
            "depth_lifetime_multiplier[deepest funnel step] x engagement ** lifetime_exponent; session rate "
            "~ sessions_per_day x engagement, so more first-week activity predicts longer retention"
        ),
        "resurrection_probability": eng.resurrection.probability if eng.resurrection else 0.0,
        "realized_returning_users": int(len(world.returns.get("user", []))),
    }
    if eng.program is not None:
        engagement["program"] = {"after_step": eng.program.step, "days": eng.program.days}
    cal = sc.calendar
    calendar = {
        "growth_per_year": cal.growth_per_year,
        "weekday_weights": dict(
            zip(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], cal.weekday_weights, strict=True)
        ),
        "seasonality_amplitude": cal.seasonality_amplitude,
        "seasonality_peak_day_of_year": cal.seasonality_peak_day,
        "daily_noise_sigma": cal.daily_noise,
        "model": (
            "expected sign-ups on day d ~ (1 + growth_per_year) ** (d / 365) x weekday weight x "
            "(1 + amplitude x cos(2 pi (day_of_year - peak) / 365.2425)) x log-normal noise"
        ),
    }
    return {
        "channels": channels,
        "segments": segments,
        "devices": devices,
        "engagement": engagement,
        "calendar": calendar,
    }


def revenue_truth(world: World, realized: dict[str, Any]) -> dict[str, Any]:
    rev = world.sc.revenue
    assert rev is not None
    s = rev.retry_success_rate
    return {
        "currency": world.sc.currency,
        "plans": {
            p.plan_id: {"price": p.price, "billing_period": p.billing_period, "tier": p.tier, "plan_name": p.plan_name}
            for p in rev.plans
        },
        "trial_days": rev.trial_days,
        "annual_share": rev.annual_share,
        "tier_weights": {str(k): v for k, v in rev.tier_weights.items()},
        "plan_change_rate_per_month": rev.plan_change_rate_per_month,
        "upgrade_share": rev.upgrade_share,
        "payment_failure_rate": rev.payment_failure_rate,
        "retry_days": list(rev.retry_days),
        "retry_success_rate": s,
        "retry_recovery_rate": _r(1.0 - (1.0 - s) ** len(rev.retry_days)),
        "refund_rate": rev.refund_rate,
        "resubscribe_share": rev.resubscribe_share,
        "realized": realized,
    }
