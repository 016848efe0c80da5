"""Subscription revenue (scenarios with a ``revenue`` section): trials, paid subscriptions as SCD versions, billing.

Rules (all vectorised over subscriptions, one loop step per billing period):

* ``start_trial`` opens a subscription (version 1, trialing). A ``subscribe`` inside the trial adds version 2
  (paid_start) to the same subscription; a ``subscribe`` after the trial expired opens a new subscription.
* A trial that expires ends its subscription at trial end (``cancelled_at`` stays null).
* Billing periods are calendar months or years from the paid start. At every renewal the plan may change one tier
  up or down (a new version, upgrade / downgrade, effective at the renewal and billed at the new price).
* Each period is charged once. A failed charge is retried after ``retry_days``; if every retry fails the
  subscription ends at the last failed attempt (involuntary churn: ``valid_to`` = ``cancelled_at`` = that time).
* A customer who stops being active asks to cancel (``cancelled_at``); the subscription ends at the end of the paid
  period in which the request falls. Some churned customers come back later and subscribe again (a new
  subscription, version 1 = paid_start).
* A share of succeeded charges is refunded in full some days later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from data_generation import columns as col
from data_generation.columns import json_object
from data_generation.population import KIND_SERVER, KIND_SESSION, World
from data_generation.scenario import Revenue
from data_generation.timeutil import DAY, MINUTE, NEVER, add_months
from warehouse.contract import TABLES

Arr = np.ndarray
ArrLike = int | np.ndarray
STATUS = ["trialing", "active"]
CHANGE = ["trial_start", "paid_start", "upgrade", "downgrade"]
PAYMENT_TYPE = ["charge", "refund"]
PAYMENT_STATUS = ["succeeded", "failed"]


@dataclass
class _Versions:
    sub: list[np.ndarray] = field(default_factory=list)
    version: list[np.ndarray] = field(default_factory=list)
    user: list[np.ndarray] = field(default_factory=list)
    plan: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)
    change: list[np.ndarray] = field(default_factory=list)
    valid_from: list[np.ndarray] = field(default_factory=list)

    def add(
        self, sub: Arr, version: ArrLike, user: Arr, plan: Arr, status: int, change: ArrLike, valid_from: Arr
    ) -> None:
        n = len(sub)
        self.sub.append(np.asarray(sub, dtype=np.int64))
        self.version.append(np.asarray(version, dtype=np.int32))
        self.user.append(np.asarray(user, dtype=np.int64))
        self.plan.append(np.asarray(plan, dtype=np.int32))
        self.status.append(np.full(n, status, dtype=np.int8))
        self.change.append(np.broadcast_to(np.asarray(change, dtype=np.int8), (n,)).copy())
        self.valid_from.append(np.asarray(valid_from, dtype=np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(getattr(self, k)) for k in self.__dataclass_fields__}


@dataclass
class _Payments:
    count: int = 0
    parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(
        self,
        sub: Arr,
        user: Arr,
        plan: Arr,
        ptype: int,
        failed: ArrLike,
        cents: Arr,
        attempt: int,
        retry_of: ArrLike,
        refunded: ArrLike,
        reason: ArrLike,
        created: Arr,
    ) -> np.ndarray:
        n = len(sub)
        ids = np.arange(self.count, self.count + n, dtype=np.int64)
        self.count += n

        def full(v: ArrLike, dtype: type) -> np.ndarray:
            return np.broadcast_to(np.asarray(v, dtype=dtype), (n,)).copy()

        self.parts.append(
            {
                "sub": np.asarray(sub, dtype=np.int64),
                "user": np.asarray(user, dtype=np.int64),
                "plan": np.asarray(plan, dtype=np.int32),
                "type": full(ptype, np.int8),
                "status": full(failed, np.int8),
                "cents": np.asarray(cents, dtype=np.int64),
                "attempt": full(attempt, np.int32),
                "retry_of": full(retry_of, np.int64),
                "refunded": full(refunded, np.int64),
                "reason": full(reason, np.int32),
                "created": np.asarray(created, dtype=np.int64),
            }
        )
        return ids

    def arrays(self) -> dict[str, np.ndarray]:
        keys = (
            "sub",
            "user",
            "plan",
            "type",
            "status",
            "cents",
            "attempt",
            "retry_of",
            "refunded",
            "reason",
            "created",
        )
        if not self.parts:
            return {k: np.zeros(0, dtype=np.int64) for k in keys}
        return {k: np.concatenate([p[k] for p in self.parts]) for k in keys}


class RevenueEngine:
    def __init__(self, world: World, rng: np.random.Generator) -> None:
        self.world = world
        self.rng = rng
        self.rev: Revenue = world.sc.revenue  # type: ignore[assignment]
        rev = self.rev
        self.end_us = world.cfg.end_us
        self.tiers = sorted({p.tier for p in rev.plans})
        self.plan_index = np.zeros((len(self.tiers), 2), dtype=np.int32)  # [tier rank, 0 month / 1 year]
        for i, p in enumerate(rev.plans):
            self.plan_index[self.tiers.index(p.tier), 0 if p.billing_period == "month" else 1] = i
        self.price_cents = np.asarray([round(p.price * 100) for p in rev.plans], dtype=np.int64)
        self.versions = _Versions()
        self.payments = _Payments()
        self.n_subs = 0
        self.sub_end: list[np.ndarray] = []  # filled per subscription number (grown as subscriptions open)
        self.sub_cancel: list[np.ndarray] = []
        self.first_attempts = 0
        self.first_failures = 0
        self.exhausted = 0
        self.reactivations = 0
        self.recovered = 0
        self.succeeded_charges = 0
        self.refunds = 0
        names = world.names
        self.ev_trial = names.code("start_trial")
        self.ev_subscribe = names.code("subscribe")
        self.ev_upgrade = names.code("upgrade_plan")
        self.ev_downgrade = names.code("downgrade_plan")
        self.ev_cancel = names.code("cancel_subscription")
        w = np.asarray([rev.tier_weights.get(t, 0.0) for t in self.tiers], dtype=float)
        self.tier_p = w / w.sum()
        fr = np.asarray(list(rev.failure_reasons.values()), dtype=float)
        self.reason_p = fr / fr.sum()

    # ---------------------------------------------------------------------------------------------------------------

    def _open(self, count: int) -> np.ndarray:
        subs = np.arange(self.n_subs, self.n_subs + count, dtype=np.int64)
        self.n_subs += count
        self.sub_end.append(np.full(count, NEVER, dtype=np.int64))
        self.sub_cancel.append(np.full(count, NEVER, dtype=np.int64))
        return subs

    def _set_end(self, subs: np.ndarray, end: np.ndarray, cancel: np.ndarray | None = None) -> None:
        ends = np.concatenate(self.sub_end)
        cancels = np.concatenate(self.sub_cancel)
        ends[subs] = end
        if cancel is not None:
            cancels[subs] = cancel
        self.sub_end, self.sub_cancel = [ends], [cancels]

    def _choose_plan(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        tier = self.rng.choice(len(self.tiers), n, p=self.tier_p)
        yearly = (self.rng.random(n) < self.rev.annual_share).astype(np.int64)
        return tier.astype(np.int64), yearly

    def _plan_props(self, plans: np.ndarray) -> np.ndarray:
        codes = np.asarray(
            [self.world.props.code(json_object({"plan_id": p.plan_id})) for p in self.rev.plans], dtype=np.int32
        )
        return codes[plans]

    def _cancel_intent(self, users: np.ndarray, activity_end: np.ndarray) -> np.ndarray:
        delay = (self.rng.random(len(users)) * self.rev.cancel_delay_days * DAY).astype(np.int64)
        intent = np.minimum(activity_end, self.end_us) + delay
        return np.where((activity_end < self.end_us) & (intent < self.end_us), intent, NEVER)

    # ---------------------------------------------------------------------------------------------------------------

    def run(self) -> np.ndarray:
        """Trials and first paid subscriptions. Returns, per user, when their paid subscription ended (NEVER while
        it runs, 0 for users who never paid): returning users come back only after it."""
        world, rev = self.world, self.rev
        k_trial = len(world.sc.funnel.steps) - 2
        trial_time = world.step_time[k_trial]
        pay_time = world.step_time[k_trial + 1]
        users = np.flatnonzero(trial_time != NEVER)
        t3, t4 = trial_time[users], pay_time[users]
        tier, yearly = self._choose_plan(len(users))
        plan = self.plan_index[tier, yearly]
        subs = self._open(len(users))
        self.versions.add(subs, np.ones(len(users)), users, plan, 0, 0, t3)
        world.singles.add(users, t3, self.ev_trial, KIND_SESSION, None, self._plan_props(plan))
        trial_end = t3 + rev.trial_days * DAY
        converts = t4 != NEVER
        in_trial = converts & (t4 <= trial_end)
        expired = ~in_trial
        self._set_end(subs[expired], np.where(trial_end[expired] < self.end_us, trial_end[expired], NEVER))
        # paid subscriptions: in-trial conversions continue the trial subscription, late ones open a new one
        late = converts & ~in_trial
        late_subs = self._open(int(late.sum()))
        paid_sub = np.concatenate([subs[in_trial], late_subs])
        paid_user = np.concatenate([users[in_trial], users[late]])
        paid_start = np.concatenate([t4[in_trial], t4[late]])
        first_version = np.concatenate([np.full(in_trial.sum(), 2), np.ones(late.sum())]).astype(np.int32)
        paid_tier = np.concatenate([tier[in_trial], tier[late]])
        paid_yearly = np.concatenate([yearly[in_trial], yearly[late]])
        intent = self._cancel_intent(paid_user, world.span_end[paid_user])
        self._paid(paid_sub, paid_user, paid_start, first_version, paid_tier, paid_yearly, intent)

        ends = np.concatenate(self.sub_end)
        paid_end = np.zeros(world.n, dtype=np.int64)
        paid_end[paid_user] = ends[paid_sub]
        self.paid_end_primary = paid_end
        return paid_end

    def reactivate(self, returns: dict[str, np.ndarray]) -> None:
        """Returning former subscribers (their last subscription over before they came back) may subscribe again."""
        r_users, r_start, r_end = returns["user"], returns["start"], returns["end"]
        was_paying = self.paid_end_primary[r_users] > 0
        over = was_paying & (self.paid_end_primary[r_users] < r_start)
        again = over & (self.rng.random(len(r_users)) < self.rev.resubscribe_share)
        users = r_users[again]
        start = r_start[again] + (self.rng.random(len(users)) * 30 * MINUTE).astype(np.int64) + MINUTE
        keep = start < self.end_us
        users, start, end = users[keep], start[keep], r_end[again][keep]
        tier, yearly = self._choose_plan(len(users))
        subs = self._open(len(users))
        intent = self._cancel_intent(users, end)
        self._paid(subs, users, start, np.ones(len(users), dtype=np.int32), tier, yearly, intent)
        self.reactivations = len(users)

    def _paid(self, subs: Arr, users: Arr, start: Arr, first_version: Arr, tier: Arr, yearly: Arr, intent: Arr) -> None:
        """Paid life of subscriptions from their paid start: renewals, plan changes, charges, retries, cancels."""
        rng, rev, world = self.rng, self.rev, self.world
        m = len(subs)
        plan = self.plan_index[tier, yearly]
        self.versions.add(subs, first_version, users, plan, 1, 1, start)
        world.singles.add(users, start, self.ev_subscribe, KIND_SESSION, self.price_cents[plan], self._plan_props(plan))
        months = np.where(yearly == 1, 12, 1).astype(np.int64)
        version = first_version.astype(np.int32).copy()
        tier = tier.copy()
        alive = np.ones(m, dtype=bool)
        end = np.full(m, NEVER, dtype=np.int64)
        cancelled = np.full(m, NEVER, dtype=np.int64)
        top = len(self.tiers) - 1
        period = 0
        while alive.any():
            idx = np.flatnonzero(alive)
            boundary = add_months(start[idx], period * months[idx])
            if period > 0:
                cancel_now = intent[idx] < boundary
                gone = idx[cancel_now]
                end[gone], cancelled[gone], alive[gone] = boundary[cancel_now], intent[gone], False
                ongoing = ~cancel_now & (boundary >= self.end_us)
                alive[idx[ongoing]] = False
                keep = ~cancel_now & ~ongoing
                idx, boundary = idx[keep], boundary[keep]
                # plan change at renewal
                p_change = 1.0 - (1.0 - rev.plan_change_rate_per_month) ** months[idx]
                change = (rng.random(len(idx)) < p_change) & (top > 0)
                wants_up = rng.random(len(idx)) < rev.upgrade_share
                up = change & ((wants_up & (tier[idx] < top)) | (tier[idx] == 0))
                down = change & ~up
                for mask, delta, change_code, event in ((up, 1, 2, self.ev_upgrade), (down, -1, 3, self.ev_downgrade)):
                    ch = idx[mask]
                    old_plan = self.plan_index[tier[ch], yearly[ch]]
                    tier[ch] += delta
                    version[ch] += 1
                    new_plan = self.plan_index[tier[ch], yearly[ch]]
                    self.versions.add(subs[ch], version[ch], users[ch], new_plan, 1, change_code, boundary[mask])
                    world.singles.add(
                        users[ch],
                        boundary[mask],
                        event,
                        KIND_SERVER,
                        None,
                        self._change_props(old_plan, new_plan),
                        -1,
                        -1,
                    )
            if len(idx) == 0:
                period += 1
                continue
            plan_now = self.plan_index[tier[idx], yearly[idx]]
            self._charge(subs[idx], users[idx], plan_now, boundary, idx, alive, end, cancelled)
            period += 1
        # cancellations requested: event at the request
        asked = cancelled != NEVER
        voluntary = asked & (end != cancelled)
        c_users = users[voluntary]
        world.singles.add(
            c_users,
            cancelled[voluntary],
            self.ev_cancel,
            KIND_SESSION,
            None,
            self._plan_props(self.plan_index[tier[voluntary], yearly[voluntary]]),
        )
        self._set_end(subs, end, cancelled)

    def _change_props(self, old_plan: np.ndarray, new_plan: np.ndarray) -> np.ndarray:
        ids = [p.plan_id for p in self.rev.plans]
        book = self.world.props
        table = np.asarray(
            [[book.code(json_object({"from_plan_id": a, "to_plan_id": b})) for b in ids] for a in ids], dtype=np.int32
        )
        return table[old_plan, new_plan] if len(old_plan) else np.zeros(0, dtype=np.int32)

    def _charge(
        self, subs: Arr, users: Arr, plan: Arr, at: Arr, idx: Arr, alive: Arr, end: Arr, cancelled: Arr
    ) -> None:
        """One charge per subscription in ``idx`` at ``at``, with retries; exhausted ones end (``alive``, ``end``)."""
        rng, rev = self.rng, self.rev
        n = len(subs)
        cents = self.price_cents[plan]
        failed = rng.random(n) < rev.payment_failure_rate
        reasons = rng.choice(len(self.reason_p), n, p=self.reason_p).astype(np.int32)
        ids = self.payments.add(subs, users, plan, 0, failed, cents, 1, -1, -1, np.where(failed, reasons, -1), at)
        self.first_attempts += n
        self.first_failures += int(failed.sum())
        self.succeeded_charges += int((~failed).sum())
        self._refunds(ids[~failed], subs[~failed], users[~failed], plan[~failed], cents[~failed], at[~failed])
        # dunning
        f = np.flatnonzero(failed)
        prev_ids, first_at = ids[f], at[f]
        for attempt, days in enumerate(rev.retry_days, start=2):
            when = first_at + days * DAY
            known = when < self.end_us  # retries after the end of the data have not happened yet
            f, prev_ids, first_at, when = f[known], prev_ids[known], first_at[known], when[known]
            if len(f) == 0:
                break
            ok = rng.random(len(f)) < rev.retry_success_rate
            reasons = rng.choice(len(self.reason_p), len(f), p=self.reason_p).astype(np.int32)
            r_ids = self.payments.add(
                subs[f], users[f], plan[f], 0, ~ok, cents[f], attempt, prev_ids, -1, np.where(ok, -1, reasons), when
            )
            self.succeeded_charges += int(ok.sum())
            self.recovered += int(ok.sum())
            self._refunds(r_ids[ok], subs[f][ok], users[f][ok], plan[f][ok], cents[f][ok], when[ok])
            f, prev_ids, first_at, last_at = f[~ok], r_ids[~ok], first_at[~ok], when[~ok]
            if attempt == len(rev.retry_days) + 1 and len(f):
                # every retry failed: the subscription ends at the last failed attempt
                gone = idx[f]
                end[gone], cancelled[gone], alive[gone] = last_at, last_at, False
                self.exhausted += len(f)

    def _refunds(self, charge_ids: Arr, subs: Arr, users: Arr, plan: Arr, cents: Arr, at: Arr) -> None:
        rng, rev = self.rng, self.rev
        refund = rng.random(len(charge_ids)) < rev.refund_rate
        lo, hi = rev.refund_delay_days
        when = at[refund] + ((lo + rng.random(int(refund.sum())) * (hi - lo)) * DAY).astype(np.int64) + MINUTE
        ok = when < self.end_us
        sel = np.flatnonzero(refund)[ok]
        self.refunds += len(sel)
        self.payments.add(subs[sel], users[sel], plan[sel], 1, False, cents[sel], 1, -1, charge_ids[sel], -1, when[ok])

    # ---------------------------------------------------------------------------------------------------------------

    def tables(self, user_ids: pa.Array, rng: np.random.Generator) -> tuple[dict[str, pa.Table], dict[str, float]]:
        world, rev = self.world, self.rev
        currency = world.sc.currency
        plan_ids = [p.plan_id for p in rev.plans]
        start_us = world.cfg.start_us

        # plans
        plans = col.table(
            {
                "plan_id": pa.array(plan_ids, pa.string()),
                "plan_name": pa.array([p.plan_name for p in rev.plans], pa.string()),
                "billing_period": pa.array([p.billing_period for p in rev.plans], pa.string()),
                "price": col.money(self.price_cents),
                "currency": col.constant_strings(currency, len(plan_ids)),
                "tier": pa.array([p.tier for p in rev.plans], pa.int32()),
                "loaded_at": col.timestamps(np.full(len(plan_ids), start_us, dtype=np.int64)),
            },
            TABLES["plans"].arrow_schema(),
        )

        # subscriptions: number subscriptions by their first version's start, then lay out versions
        v = self.versions.arrays()
        ends = np.concatenate(self.sub_end)
        cancels = np.concatenate(self.sub_cancel)
        first_from = np.full(self.n_subs, NEVER, dtype=np.int64)
        np.minimum.at(first_from, v["sub"], v["valid_from"])
        sub_rank = np.empty(self.n_subs, dtype=np.int64)
        sub_rank[np.lexsort((np.arange(self.n_subs), first_from))] = np.arange(self.n_subs)
        order = np.lexsort((v["version"], sub_rank[v["sub"]]))
        v = {k: a[order] for k, a in v.items()}
        n_v = len(v["sub"])
        last = np.ones(n_v, dtype=bool)
        last[:-1] = v["sub"][1:] != v["sub"][:-1]
        valid_to = np.empty(n_v, dtype=np.int64)
        valid_to[:-1] = v["valid_from"][1:]
        valid_to[last] = ends[v["sub"][last]]
        cancelled_at = np.where(last, cancels[v["sub"]], NEVER)
        sub_width = col.id_width(self.n_subs)
        sub_ids = col.fixed_ids("sub_", np.arange(self.n_subs), sub_width)  # by rank
        stamp = np.maximum(v["valid_from"], np.where(cancelled_at != NEVER, cancelled_at, 0))
        stamp = np.maximum(stamp, np.where(valid_to < world.cfg.end_us, valid_to, 0))
        subscriptions = col.table(
            {
                "subscription_id": col.take_strings(sub_ids, sub_rank[v["sub"]]),
                "version": pa.array(v["version"], pa.int32()),
                "user_id": col.take_strings(user_ids, v["user"]),
                "plan_id": col.from_codes(plan_ids, v["plan"]),
                "status": col.from_codes(STATUS, v["status"]),
                "change_type": col.from_codes(CHANGE, v["change"]),
                "valid_from": col.timestamps(v["valid_from"]),
                "valid_to": col.timestamps(valid_to),
                "cancelled_at": col.timestamps(cancelled_at),
                "loaded_at": col.timestamps(stamp + _load_delay(rng, n_v)),
            },
            TABLES["subscriptions"].arrow_schema(),
        )

        # payments, numbered in time order
        p = self.payments.arrays()
        n_p = len(p["sub"])
        p_order = np.lexsort((np.arange(n_p), p["created"]))
        p_rank = np.empty(n_p, dtype=np.int64)
        p_rank[p_order] = np.arange(n_p)
        p = {k: a[p_order] for k, a in p.items()}
        pay_ids = col.fixed_ids("pay_", np.arange(n_p), col.id_width(n_p))
        retry_of = np.where(p["retry_of"] >= 0, p_rank[np.maximum(p["retry_of"], 0)], -1)
        refunded = np.where(p["refunded"] >= 0, p_rank[np.maximum(p["refunded"], 0)], -1)
        payments = col.table(
            {
                "payment_id": pay_ids,
                "subscription_id": col.take_strings(sub_ids, sub_rank[p["sub"]]),
                "user_id": col.take_strings(user_ids, p["user"]),
                "plan_id": col.from_codes(plan_ids, p["plan"]),
                "payment_type": col.from_codes(PAYMENT_TYPE, p["type"]),
                "status": col.from_codes(PAYMENT_STATUS, p["status"]),
                "amount": col.money(p["cents"]),
                "currency": col.constant_strings(currency, n_p),
                "attempt_number": pa.array(p["attempt"], pa.int32()),
                "retry_of_payment_id": col.take_strings(pay_ids, retry_of),
                "refunded_payment_id": col.take_strings(pay_ids, refunded),
                "failure_reason": col.from_codes(list(rev.failure_reasons), p["reason"]),
                "created_at": col.timestamps(p["created"]),
                "loaded_at": col.timestamps(p["created"] + _load_delay(rng, n_p)),
            },
            TABLES["payments"].arrow_schema(),
        )
        realized = {
            "subscriptions": int(self.n_subs),
            "first_attempt_charges": int(self.first_attempts),
            "first_attempt_failure_share": _share(self.first_failures, self.first_attempts),
            # of all failed first attempts: recovered by a retry (the rest ended the subscription or are still being
            # retried when the data ends)
            "failed_charges_recovered_share": _share(self.recovered, self.first_failures),
            "failed_charges_unrecovered": int(self.exhausted),
            "failed_charges_pending_at_end": int(self.first_failures - self.recovered - self.exhausted),
            "refund_share_of_succeeded_charges": _share(self.refunds, self.succeeded_charges),
            "reactivated_subscriptions": int(self.reactivations),
        }
        return {"plans": plans, "subscriptions": subscriptions, "payments": payments}, realized


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


def _load_delay(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds to minutes between a change and its arrival in the warehouse."""
    return (rng.lognormal(np.log(90.0), 1.0, n).clip(1.0, 3600.0) * 1_000_000).astype(np.int64)
