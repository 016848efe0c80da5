"""The users table: identifiers, human-looking e-mails and properties drawn from small seeded Faker pools."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data_generation import columns as col
from data_generation.population import KIND_SESSION, World, event_payload, property_combinations
from data_generation.timeutil import HOUR, MINUTE, SECOND
from warehouse.contract import TABLES

POOL_SIZE = 400


def user_ids(n: int) -> pa.Array:
    return col.fixed_ids("u_", np.arange(1, n + 1), col.id_width(n))


def run_referrals(world: World, rng: np.random.Generator) -> np.ndarray:
    """Users acquired by invitation: each gets an earlier (mostly recent) user as referrer, who sends an invite event
    shortly before the sign-up. Returns the referrer per user (-1 for none)."""
    referrer = np.full(world.n, -1, dtype=np.int64)
    ref = world.sc.referral
    if ref is None:
        return referrer
    ci = list(world.sc.channels).index(ref.channel)
    invited = np.flatnonzero(world.channel == ci)
    earlier = np.searchsorted(world.created, world.created[invited], side="left")  # users strictly before
    has = earlier > 0
    invited, earlier = invited[has], earlier[has]
    # recent users invite more: position drawn towards the newest earlier user
    pick = np.minimum((earlier * rng.random(len(invited)) ** 0.35).astype(np.int64), earlier - 1)
    referrer[invited] = pick
    lead = rng.exponential(ref.lead_time_mean_hours * HOUR, len(invited)).astype(np.int64) + MINUTE
    sent = np.maximum(world.created[invited] - lead, world.created[pick] + SECOND)
    sent = np.minimum(sent, world.created[invited] - SECOND)
    ok = sent > world.created[pick]
    props, amount = event_payload(world, rng, ref.invite_event, int(ok.sum()))
    world.singles.add(pick[ok], sent[ok], world.names.code(ref.invite_event), KIND_SESSION, amount, props)
    return referrer


_FAKER_MODULES = {
    "first_name": "person",
    "last_name": "person",
    "company": "company",
    "catch_phrase": "company",
    "city": "address",
    "street_name": "address",
    "job": "job",
}


def _faker_pools(seed: int, providers: dict[str, str]) -> tuple[list[str], list[str], list[str], dict[str, list[str]]]:
    """Small pools of names, e-mail domains and other human-looking values from a seeded Faker generator that has
    only the providers needed (loading every provider costs seconds)."""
    import importlib

    from faker import Generator

    fake = Generator()
    for module in sorted({"person", "internet", *(_FAKER_MODULES[p] for p in providers.values())}):
        fake.add_provider(importlib.import_module(f"faker.providers.{module}.en_US").Provider)
    fake.seed_instance(seed)

    def ascii_word(text: str) -> str:
        return re.sub(r"[^a-z]", "", text.lower())

    first = sorted({w for w in (ascii_word(fake.first_name()) for _ in range(POOL_SIZE)) if w})
    last = sorted({w for w in (ascii_word(fake.last_name()) for _ in range(POOL_SIZE)) if w})
    domains = sorted({fake.free_email_domain() for _ in range(60)})
    extra = {
        key: sorted({str(getattr(fake, provider)()) for _ in range(POOL_SIZE)}) for key, provider in providers.items()
    }
    return first, last, domains, extra


def users_table(world: World, rng: np.random.Generator, ids: pa.Array, referrer: np.ndarray) -> pa.Table:
    sc, n = world.sc, world.n
    first, last, domains, extra = _faker_pools(int(rng.integers(2**31)), dict(sc.user_faker_properties))

    def pick(pool: list[str]) -> pa.Array:
        return col.take_strings(pa.array(pool, pa.string()), rng.integers(0, len(pool), n))

    numbers = pa.array([""] + [str(i) for i in range(1, 100)], pa.string())
    number = np.where(rng.random(n) < 0.6, rng.integers(1, 100, n), 0)
    email = pc.binary_join_element_wise(
        pick(first), ".", pick(last), col.take_strings(numbers, number), "@", pick(domains), ""
    )

    # properties: {categorical..., faker pools..., referred_by?}
    parts: list[pa.Array] = []
    if sc.user_properties:
        combos, weights = property_combinations(sc.user_properties)
        texts = [col.json_object(c)[1:-1] for c in combos]
        parts.append(col.take_strings(pa.array(texts, pa.string()), rng.choice(len(combos), n, p=weights)))
    for key, pool in extra.items():
        texts = [col.json_object({key: v})[1:-1] for v in pool]
        parts.append(col.take_strings(pa.array(texts, pa.string()), rng.integers(0, len(pool), n)))
    has_ref = referrer >= 0
    if has_ref.any():
        ref_text = pc.binary_join_element_wise(
            '"referred_by":"', col.take_strings(ids, np.maximum(referrer, 0)), '"', ""
        )
        parts.append(pc.if_else(pa.array(has_ref), ref_text, pa.scalar(None, pa.string())))
    if parts:
        body = pc.binary_join_element_wise(*parts, ",", null_handling="skip")
        properties = pc.binary_join_element_wise("{", body, "}", "")
    else:
        properties = col.constant_strings("{}", n)
    loaded = world.created + (rng.lognormal(np.log(3.0), 0.7, n).clip(0.1, 600.0) * SECOND).astype(np.int64)
    return col.table(
        {
            "user_id": ids,
            "created_at": col.timestamps(world.created),
            "email": email,
            "acquisition_channel": col.from_codes(list(sc.channels), world.channel),
            "device": col.from_codes(list(sc.devices), world.device),
            "country": col.from_codes(list(sc.countries), world.country),
            "segment": col.from_codes(list(sc.segments), world.segment),
            "properties": properties,
            "loaded_at": col.timestamps(loaded),
        },
        TABLES["users"].arrow_schema(),
    )
