"""A/B experiments: users signing up while an experiment runs are assigned a variant at sign-up.

An experiment whose goal is a funnel step has no effect (its conversion is whatever the funnel gives). An experiment
whose goal is an event of its own converts each assigned user with the variant's probability within the window;
users outside the experiment do that event at the control rate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from data_generation import columns as col
from data_generation.population import KIND_SESSION, MIN_STEP_DELAY, WINDOW_MARGIN, World, event_payload
from data_generation.timeutil import DAY, HOUR, truncated_exponential
from warehouse.contract import TABLES


def experiment_dates(world: World) -> list[tuple[int, int, bool]]:
    """(started_at, ended_at, window_complete) per experiment, inside the data and leaving room for the window."""
    cfg = world.cfg
    out = []
    for exp in world.sc.experiments:
        start_day = min(int(exp.start_day_fraction * cfg.days), cfg.days - 1)
        started = cfg.start_us + start_day * DAY
        ended = started + exp.duration_days * DAY
        latest = cfg.end_us - exp.window_days * DAY
        complete = latest > started
        ended = min(ended, latest) if complete else min(ended, cfg.end_us)
        out.append((started, ended, complete))
    return out


def run_experiments(world: World, rng: np.random.Generator, user_ids: pa.Array) -> tuple[dict[str, pa.Table], dict]:
    sc, cfg = world.sc, world.cfg
    dates = experiment_dates(world)
    exp_rows: dict[str, list[Any]] = {k: [] for k in TABLES["experiments"].column_names}
    a_exp, a_user, a_variant, a_at = [], [], [], []
    realized: dict[str, dict[str, int]] = {}
    for exp, (started, ended, _complete) in zip(sc.experiments, dates, strict=True):
        variants = list(exp.variants)
        for v in variants:
            exp_rows["experiment_id"].append(exp.experiment_id)
            exp_rows["variant"].append(v)
            exp_rows["is_control"].append(v == exp.control_variant)
            exp_rows["planned_share"].append(exp.variants[v])
            exp_rows["goal_event"].append(exp.goal_event)
            exp_rows["conversion_window_days"].append(exp.window_days)
            exp_rows["started_at"].append(started)
            exp_rows["ended_at"].append(ended)
            exp_rows["description"].append(exp.description)
            exp_rows["loaded_at"].append(started)
        lo, hi = np.searchsorted(world.created, [started, ended], side="left")
        users = np.arange(lo, hi, dtype=np.int64)
        share = np.asarray([exp.variants[v] for v in variants])
        variant = rng.choice(len(variants), len(users), p=share).astype(np.int8)
        realized[exp.experiment_id] = {v: int((variant == i).sum()) for i, v in enumerate(variants)}
        a_exp.append(np.full(len(users), len(a_exp), dtype=np.int16))
        a_user.append(users)
        a_variant.append(variant)
        a_at.append(world.created[users])
        if exp.conversion_rate is not None:
            # goal event of its own: every user does it at the control rate, except assigned users (their variant's)
            rate = np.full(world.n, exp.conversion_rate[exp.control_variant])
            rate[users] = np.asarray([exp.conversion_rate[v] for v in variants])[variant]
            converts = np.flatnonzero(rng.random(world.n) < rate)
            room = (exp.window_days * DAY - WINDOW_MARGIN - MIN_STEP_DELAY) * np.ones(len(converts))
            when = world.created[converts] + MIN_STEP_DELAY
            when = when + truncated_exponential(rng, exp.goal_mean_hours * HOUR, room).astype(np.int64)
            inside = when < cfg.end_us
            converts, when = converts[inside], when[inside]
            props, amount = event_payload(world, rng, exp.goal_event, len(converts))
            world.singles.add(converts, when, world.names.code(exp.goal_event), KIND_SESSION, amount, props)

    schema = TABLES["experiments"].arrow_schema()
    experiments = pa.Table.from_pydict(
        {
            **{k: exp_rows[k] for k in ("experiment_id", "variant", "is_control", "planned_share", "goal_event")},
            "conversion_window_days": exp_rows["conversion_window_days"],
            "started_at": col.timestamps(np.asarray(exp_rows["started_at"], dtype=np.int64)),
            "ended_at": col.timestamps(np.asarray(exp_rows["ended_at"], dtype=np.int64)),
            "description": exp_rows["description"],
            "loaded_at": col.timestamps(np.asarray(exp_rows["loaded_at"], dtype=np.int64)),
        },
        schema=schema,
    )
    exp_ids = [e.experiment_id for e in sc.experiments]
    if a_user:
        e_idx, users = np.concatenate(a_exp), np.concatenate(a_user)
        variants = np.concatenate(a_variant)
        at = np.concatenate(a_at)
    else:
        e_idx = users = variants = at = np.zeros(0, dtype=np.int64)
    variant_names = [list(e.variants) for e in sc.experiments]
    flat = [v for names in variant_names for v in names]
    offsets = np.cumsum([0] + [len(v) for v in variant_names])[:-1]
    assignments = col.table(
        {
            "experiment_id": col.from_codes(exp_ids, e_idx),
            "user_id": col.take_strings(user_ids, users),
            "variant": col.from_codes(flat, offsets[e_idx] + variants if len(e_idx) else e_idx),
            "assigned_at": col.timestamps(at),
            "loaded_at": col.timestamps(at + (rng.lognormal(np.log(5.0), 0.8, len(at)) * 1e6).astype(np.int64)),
        },
        TABLES["experiment_assignments"].arrow_schema(),
    )
    return {"experiments": experiments, "experiment_assignments": assignments}, realized
