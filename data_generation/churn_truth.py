"""The planted churn: each user's activity-lifetime parameters, and the churn propensity they imply.

The simulator keeps a user active from sign-up until a Weibull lifetime ends (shape k of the user's segment, scale
``lifetime_scale_days``), cut at the end of a fixed-length programme where the scenario has one, and while active
starts sessions at ``sessions_per_day`` (latent engagement x the scenario's rate). ``truth_churn.parquet`` holds
those parameters per user; ``planted_propensity`` turns them into the probability that a user last seen active
``d`` days before an as-of date shows no activity in the ``window`` days from it. That is the churn probability a
model would give if it knew the simulator's truth about the user and what the marts show about their recency: the
ceiling the churn model is measured against (``churn_model_evaluation.ceiling_roc_auc``).

Left out (small effects): the first-week session boost, weekday and season factors (mean 1), and comebacks of
churned users (``resurrection``), which turn a few planted churners into returning users.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data_generation.population import World, lifetime_scale_days
from data_generation.timeutil import DAY, NEVER

CHURN_TRUTH_FILE = "truth_churn.parquet"
GRID_STEPS_PER_DAY = 2  # numerical integration over remaining lifetime, in half days

SCHEMA = pa.schema(
    [
        ("user_id", pa.string()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("weibull_shape", pa.float64()),
        ("lifetime_scale_days", pa.float64()),
        ("sessions_per_day", pa.float64()),
        ("lifetime_cap_at", pa.timestamp("us", tz="UTC")),
    ]
)


def churn_truth_table(world: World, ids: pa.Array) -> pa.Table:
    """One row per user: the parameters of their planted activity lifetime (see the module docstring)."""
    sc = world.sc
    shape = np.asarray([s.weibull_shape for s in sc.segments.values()], dtype=float)[world.segment]
    cap = np.full(world.n, NEVER, dtype=np.int64)
    program = sc.engagement.program
    if program is not None:
        k = sc.funnel.steps.index(program.step)
        enrolled = world.step_time[k] != NEVER
        cap = np.where(enrolled, world.step_time[k] + program.days * DAY, NEVER)
    cap_array = pa.array(cap, pa.int64(), mask=cap == NEVER).cast(pa.timestamp("us", tz="UTC"))
    return pa.Table.from_arrays(
        [
            ids,
            pa.array(world.created, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            pa.array(shape),
            pa.array(lifetime_scale_days(world).astype(float)),
            pa.array(sc.engagement.sessions_per_day * world.theta.astype(float)),
            cap_array,
        ],
        schema=SCHEMA,
    )


def planted_propensity(
    age_days: np.ndarray,
    days_since_last_active: np.ndarray,
    weibull_shape: np.ndarray,
    lifetime_scale_days: np.ndarray,
    sessions_per_day: np.ndarray,
    days_to_cap: np.ndarray,
    window_days: int,
) -> np.ndarray:
    """P(no activity in [t, t + window)) per row, for a user of age ``age_days`` at the as-of date t, last active
    ``days_since_last_active`` days before t (so alive then, and silent since), with the given lifetime parameters;
    ``days_to_cap`` is the time from t to the programme's end (inf without one).

    With remaining life R counted from the last active day (Weibull conditional on surviving to that age, capped),
    silent for d days, and session rate r:
    P(silent d) = E[exp(-r min(R, d))], P(silent d and active in the window) = E[1{R > d} exp(-r d)
    (1 - exp(-r min(R - d, window)))]; the propensity is 1 - the second / the first.
    """
    age = np.asarray(age_days, dtype=float)
    d = np.asarray(days_since_last_active, dtype=float) - 0.5  # last seen in the middle of that day
    k = np.asarray(weibull_shape, dtype=float)
    lam = np.maximum(np.asarray(lifetime_scale_days, dtype=float), 1e-9)
    r = np.asarray(sessions_per_day, dtype=float)
    cap = np.asarray(days_to_cap, dtype=float) + d  # from the last active moment
    u = np.maximum(age - d, 0.0)
    horizon = float(np.max(d, initial=0.0)) + window_days
    s = np.arange(0.0, horizon + 1.0 / GRID_STEPS_PER_DAY, 1.0 / GRID_STEPS_PER_DAY)[None, :]  # remaining life grid
    cum_hazard_u = (u / lam) ** k
    survive = np.exp(cum_hazard_u[:, None] - ((u[:, None] + s) / lam[:, None]) ** k[:, None])  # P(R > s)
    survive = np.where(s >= cap[:, None], 0.0, survive)  # the programme ends the span
    mass = survive[:, :-1] - survive[:, 1:]  # P(R in [s_i, s_i+1))
    mid = (s[:, :-1] + s[:, 1:]) / 2.0
    tail = survive[:, -1]  # P(R > horizon): alive through the whole window
    rr, dd = r[:, None], d[:, None]
    silent = (mass * np.exp(-rr * np.minimum(mid, dd))).sum(axis=1) + tail * np.exp(-r * d)
    seen_in_window = 1.0 - np.exp(-rr * np.minimum(mid - dd, window_days))
    active_after = mass * np.where(mid > dd, np.exp(-rr * dd) * seen_in_window, 0.0)
    returns = active_after.sum(axis=1) + tail * np.exp(-r * d) * (1.0 - np.exp(-r * window_days))
    return np.clip(1.0 - returns / np.maximum(silent, 1e-300), 0.0, 1.0)
