"""Runs a scenario: one seeded ``numpy.random.Generator`` threaded through every module, no I/O.

``simulate`` builds everything that is one row per user or smaller (users, subscriptions, payments, spend,
experiments) and returns a ``Simulation`` whose ``batches()`` yields sessions and events in blocks of users. The
writer consumes those; after the last block, ``truth()`` can report row counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from data_generation.activity import ActivityGenerator
from data_generation.experiments import run_experiments
from data_generation.marketing import marketing_spend
from data_generation.population import RunConfig, World, build_users, run_funnel, run_lifetimes, run_resurrection
from data_generation.revenue import RevenueEngine
from data_generation.truth import (
    experiments_truth,
    funnel_truth,
    incidents_truth,
    population_truth,
    revenue_truth,
)
from data_generation.users import run_referrals, user_ids, users_table
from warehouse.contract import TABLES

DUPLICATE_EVENT_SHARE = 0.01
LATE_EVENT_SHARE = 0.02
LATE_DELAY_DAYS = (1, 5)
CHUNK_USERS = 20_000

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass
class Simulation:
    cfg: RunConfig
    world: World
    rng: np.random.Generator
    tables: dict[str, pa.Table]
    activity: ActivityGenerator
    realized: dict[str, Any] = field(default_factory=dict)

    def batches(self, progress: Progress = _quiet) -> Iterator[tuple[pa.Table, pa.Table]]:
        """(events, sessions) per block of users, in order."""
        n_blocks = max(1, -(-self.world.n // CHUNK_USERS))
        for i, batch in enumerate(self.activity.chunks(self.rng, CHUNK_USERS), start=1):
            yield batch
            c = self.activity.counts
            progress(f"events: block {i}/{n_blocks}, {c.event_rows:,} events, {c.sessions:,} sessions")

    def dbt_vars(self) -> dict[str, Any]:
        return dict(self.world.sc.dbt_vars)

    def truth(self, counts: dict[str, int]) -> dict[str, Any]:
        world, cfg, sc = self.world, self.cfg, self.world.sc
        c = self.activity.counts
        truth: dict[str, Any] = {
            "scenario": sc.name,
            "description": sc.description,
            "seed": cfg.seed,
            "users": cfg.users,
            "days": cfg.days,
            "start_date": cfg.start_date.isoformat(),
            "end_date": (cfg.start_date.fromordinal(cfg.start_date.toordinal() + cfg.days - 1)).isoformat(),
            "funnel": funnel_truth(world),
            "incidents": incidents_truth(world),
            "experiments": experiments_truth(world, self.realized["experiments"]),
            "duplicate_event_share": DUPLICATE_EVENT_SHARE,
            "late_event_share": LATE_EVENT_SHARE,
            "delivery": {
                "late_delay_days": list(LATE_DELAY_DAYS),
                "duplicate_rows": c.duplicate_rows,
                "late_events": c.late_events,
                "note": "a duplicate is a second delivery of an event (same event_id and content, later loaded_at)",
            },
            "counts": {**counts, "distinct_events": c.distinct_events},
            **population_truth(world, self.realized["spend"]),
        }
        if sc.revenue is not None:
            truth["revenue"] = revenue_truth(world, self.realized["revenue"])
        return truth


def simulate(cfg: RunConfig, progress: Progress = _quiet) -> Simulation:
    rng = np.random.default_rng(cfg.seed)
    world = World(cfg)
    sc = cfg.scenario
    build_users(world, rng)
    run_funnel(world, rng)
    run_lifetimes(world, rng)
    progress(f"users: {world.n:,} sign-ups over {cfg.days} days, funnel and lifetimes drawn")
    engine = RevenueEngine(world, rng) if sc.revenue is not None else None
    paid_end = engine.run() if engine is not None else np.zeros(world.n, dtype=np.int64)
    run_resurrection(world, rng, paid_end)
    if engine is not None:
        engine.reactivate(world.returns)
    referrer = run_referrals(world, rng)
    ids = user_ids(world.n)
    tables: dict[str, pa.Table] = {"users": users_table(world, rng, ids, referrer)}
    experiment_tables, assigned = run_experiments(world, rng, ids)
    tables.update(experiment_tables)
    tables["marketing_spend"], spend = marketing_spend(world, rng)
    realized: dict[str, Any] = {"experiments": assigned, "spend": spend}
    if engine is not None:
        revenue_tables, realized["revenue"] = engine.tables(ids, rng)
        tables.update(revenue_tables)
    else:
        for name in ("plans", "subscriptions", "payments"):
            tables[name] = TABLES[name].arrow_schema().empty_table()
    progress("users, subscriptions, payments, spend and experiments built")
    activity = ActivityGenerator(world, world.singles.finish(), ids, DUPLICATE_EVENT_SHARE, LATE_EVENT_SHARE)
    return Simulation(cfg=cfg, world=world, rng=rng, tables=tables, activity=activity, realized=realized)
