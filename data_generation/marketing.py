"""Paid marketing: one row per paid channel and day, spend roughly proportional to that channel's sign-ups."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data_generation import columns as col
from data_generation.population import World
from data_generation.timeutil import DAY, HOUR
from warehouse.contract import TABLES

SPEND_NOISE_SIGMA = 0.15


def marketing_spend(world: World, rng: np.random.Generator) -> tuple[pa.Table, dict[str, dict[str, float]]]:
    """Spend = cost_per_signup x (half the day's actual + half its expected sign-ups) x log-normal noise (mean 1).

    Mixing in the expected count keeps spend positive on days without a paid sign-up, as budgets are. Impressions
    follow from the channel's CPM, clicks from its CTR.
    """
    sc, cfg = world.sc, world.cfg
    day = (world.created - cfg.start_us) // DAY
    weights = world.signup_day_weights / world.signup_day_weights.sum()
    total_share = sum(ch.share for ch in sc.channels.values())
    dates, channels, cents, impressions, clicks = [], [], [], [], []
    realized: dict[str, dict[str, float]] = {}
    for ci, ch in enumerate(sc.channels.values()):
        if not ch.is_paid:
            continue
        actual = np.bincount(day[world.channel == ci], minlength=cfg.days).astype(float)
        expected = cfg.users * ch.share / total_share * weights
        noise = rng.lognormal(-0.5 * SPEND_NOISE_SIGMA**2, SPEND_NOISE_SIGMA, cfg.days)
        spend_cents = np.round(ch.cost_per_signup * (0.5 * actual + 0.5 * expected) * noise * 100).astype(np.int64)
        imps = rng.poisson(spend_cents / 100 / ch.cpm * 1000)
        clk = rng.binomial(imps, ch.ctr)
        dates.append(np.arange(cfg.days))
        channels.append(np.full(cfg.days, ci))
        cents.append(spend_cents)
        impressions.append(imps)
        clicks.append(clk)
        realized[ch.name] = {"spend": round(spend_cents.sum() / 100, 2), "signups": int(actual.sum())}
    if dates:
        d, c = np.concatenate(dates), np.concatenate(channels)
        order = np.lexsort((c, d))
        d, c = d[order], c[order]
        spend = np.concatenate(cents)[order]
        imps, clk = np.concatenate(impressions)[order], np.concatenate(clicks)[order]
    else:
        d = c = spend = imps = clk = np.zeros(0, dtype=np.int64)
    day_us = cfg.start_us + d * DAY
    loaded = day_us + DAY + 6 * HOUR + (rng.random(len(d)) * 2 * HOUR).astype(np.int64)
    table = col.table(
        {
            "spend_date": pa.array((day_us // DAY).astype(np.int32), pa.int32()).cast(pa.date32()),
            "channel": col.from_codes(list(sc.channels), c),
            "spend": col.money(spend),
            "currency": col.constant_strings(sc.currency, len(d)),
            "impressions": pa.array(imps, pa.int64()),
            "clicks": pa.array(clk, pa.int64()),
            "loaded_at": col.timestamps(loaded),
        },
        TABLES["marketing_spend"].arrow_schema(),
    )
    return table, realized
