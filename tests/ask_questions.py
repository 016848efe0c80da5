"""The question set of `python -m ask` (issue 16): questions with the interpretation they must get.

``TODAY`` is the day after the small test dataset ends (it covers 2025-01-06 .. 2025-06-04). An expected value is
either the interpretation's JSON (``E(...)``), ``Refuse(words)`` (refused, the message naming ``words``) or
``Ask(labels)`` (asked back with these choices).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

TODAY = dt.date(2025, 6, 5)


def E(metrics: str | list[str], **kw: Any) -> dict[str, Any]:
    out = {
        "metrics": [metrics] if isinstance(metrics, str) else metrics,
        "group_by": [],
        "grain": None,
        "start": None,
        "end": None,
        "where": [],
        "order": [],
        "limit": None,
        "compare": False,
    }
    for key, value in kw.items():
        assert key in out, key
        out[key] = value
    return out


def W(dimension: str, *values: str) -> dict[str, Any]:
    return {"dimension": dimension, "values": list(values)}


@dataclass(frozen=True)
class Refuse:
    words: tuple[str, ...]

    def __init__(self, *words: str) -> None:
        object.__setattr__(self, "words", words)


@dataclass(frozen=True)
class Ask:
    labels: tuple[str, ...]

    def __init__(self, *labels: str) -> None:
        object.__setattr__(self, "labels", labels)


CH, DEV, CTRY, SEG = "user__channel", "user__device", "user__country", "user__segment"
FCH, FDEV = "funnel_cell__channel", "funnel_cell__device"
TODAY_S = TODAY.isoformat()

QUESTIONS: list[tuple[str, dict[str, Any] | Refuse | Ask]] = [
    # paraphrases of the example
    ("weekly active users by channel since March", E("active_users", group_by=[CH], grain="week", start="2025-03-01")),
    (
        "Weekly active users per channel since March?",
        E("active_users", group_by=[CH], grain="week", start="2025-03-01"),
    ),
    ("WAU by channel since march", E("active_users", group_by=[CH], grain="week", start="2025-03-01")),
    (
        "active users per week by channel since March",
        E("active_users", group_by=[CH], grain="week", start="2025-03-01"),
    ),
    (
        "Show me active users each week, split by acquisition channel, from March 2025",
        E("active_users", group_by=[CH], grain="week", start="2025-03-01"),
    ),
    # relative and absolute dates
    ("How many sign-ups did we get last month?", E("sign_ups", start="2025-05-01", end="2025-05-31")),
    ("signups last month", E("sign_ups", start="2025-05-01", end="2025-05-31")),
    ("registrations in May 2025", E("sign_ups", start="2025-05-01", end="2025-05-31")),
    ("new users in the last 90 days", E("new_users", start="2025-03-08", end=TODAY_S)),
    (
        "active users from paid search yesterday",
        E("active_users", start="2025-06-04", end="2025-06-04", where=[W(CH, "paid_search")]),
    ),
    (
        "daily active users on android in May",
        E("active_users", grain="day", start="2025-05-01", end="2025-05-31", where=[W(DEV, "android")]),
    ),
    ("DAU in the last 7 days", E("active_users", grain="day", start="2025-05-30", end=TODAY_S)),
    ("conversion rate by channel in Q2 2025", E("conversion_rate", group_by=[FCH], start="2025-04-01", end=TODAY_S)),
    (
        "conversions from paid social in Q1 2025",
        E("conversions", start="2025-01-01", end="2025-03-31", where=[W(FCH, "paid_social")]),
    ),
    ("activations per month since February", E("activations", grain="month", start="2025-02-01")),
    (
        "active users in the US last week",
        E("active_users", start="2025-05-26", end="2025-06-01", where=[W(CTRY, "US")]),
    ),
    (
        "revenue by country from 2025-02-01 to 2025-04-30",
        E("revenue", group_by=[CTRY], start="2025-02-01", end="2025-04-30"),
    ),
    ("sign-ups between March and May", E("sign_ups", start="2025-03-01", end="2025-05-31")),
    (
        "sign ups per day on web last 30 days",
        E("sign_ups", grain="day", start="2025-05-07", end=TODAY_S, where=[W(DEV, "web")]),
    ),
    ("monthly revenue in 2025", E("revenue", grain="month", start="2025-01-01", end=TODAY_S)),
    ("mrr by tier this quarter", E("mrr", group_by=["plan__tier"], start="2025-04-01", end=TODAY_S)),
    ("how many people signed up in Q1", E("sign_ups", start="2025-01-01", end="2025-03-31")),
    ("sign ups ytd", E("sign_ups", start="2025-01-01", end=TODAY_S)),
    (
        "weekly sign ups from referral this month",
        E("sign_ups", grain="week", start="2025-06-01", end=TODAY_S, where=[W(CH, "referral")]),
    ),
    (
        "monthly active users by segment in Q2 2025",
        E("active_users", group_by=[SEG], grain="month", start="2025-04-01", end=TODAY_S),
    ),
    (
        "new users per week on web since 2025-04-01",
        E("new_users", grain="week", start="2025-04-01", where=[W(DEV, "web")]),
    ),
    ("net revenue by segment last quarter", E("revenue", group_by=[SEG], start="2025-01-01", end="2025-03-31")),
    ("sales by country in 2025", E("revenue", group_by=[CTRY], start="2025-01-01", end=TODAY_S)),
    ("entrants by channel in the last 60 days", E("funnel_entrants", group_by=[FCH], start="2025-04-07", end=TODAY_S)),
    ("sign ups today", E("sign_ups", start=TODAY_S, end=TODAY_S)),
    ("revenue this year so far", E("revenue", start="2025-01-01", end=TODAY_S)),
    # grains, group-bys, filters
    ("revenue by channel", E("revenue", group_by=[CH])),
    ("MRR by plan", E("mrr", group_by=["plan__plan_name"])),
    ("monthly recurring revenue per month", E("mrr", grain="month")),
    ("sign ups on ios", E("sign_ups", where=[W(DEV, "ios")])),
    ("funnel entrants per week", E("funnel_entrants", grain="week")),
    ("funnel entrants and conversions by device", E(["funnel_entrants", "conversions"], group_by=[FDEV])),
    ("sign ups and activations by segment", E(["sign_ups", "activations"], group_by=[SEG])),
    ("new users by channel and device", E("new_users", group_by=[CH, DEV])),
    ("active users by segment per month", E("active_users", group_by=[SEG], grain="month")),
    ("quarterly revenue", E("revenue", grain="quarter")),
    ("mrr by status", E("mrr", group_by=["subscription_month__subscription_status"])),
    ("revenue per month on ios since January", E("revenue", grain="month", start="2025-01-01", where=[W(DEV, "ios")])),
    ("active users on ios or android", E("active_users", where=[W(DEV, "android", "ios")])),
    ("conversion rate per month", E("conversion_rate", grain="month")),
    ("number of activated users by channel", E("activations", group_by=[CH])),
    ("revenue from enterprise customers", E("revenue", where=[W(SEG, "enterprise")])),
    ("sign ups from mid market", E("sign_ups", where=[W(SEG, "mid_market")])),
    ("mrr on the pro annual plan", E("mrr", where=[W("plan__plan_name", "Pro (annual)")])),
    ("revenue in the paid search channel", E("revenue", where=[W(CH, "paid_search")])),
    ("how much revenue did we make last month", E("revenue", start="2025-05-01", end="2025-05-31")),
    ("revenue where device is ios", E("revenue", where=[W(DEV, "ios")])),
    (
        "sign ups with channel = referral in May",
        E("sign_ups", start="2025-05-01", end="2025-05-31", where=[W(CH, "referral")]),
    ),
    ("revenue excluding ios", Refuse("excluding")),
    ("average revenue per user", Refuse("average", "user")),
    # ordering and top-N
    ("top 5 channels by revenue", E("revenue", group_by=[CH], order=["-revenue"], limit=5)),
    (
        "top 3 countries by sign ups this year",
        E("sign_ups", group_by=[CTRY], start="2025-01-01", end=TODAY_S, order=["-sign_ups"], limit=3),
    ),
    ("bottom 2 devices by conversion rate", E("conversion_rate", group_by=[FDEV], order=["conversion_rate"], limit=2)),
    ("which channel has the most sign-ups", E("sign_ups", group_by=[CH], order=["-sign_ups"], limit=1)),
    (
        "which country had the fewest sign ups last month",
        E("sign_ups", group_by=[CTRY], start="2025-05-01", end="2025-05-31", order=["sign_ups"], limit=1),
    ),
    ("top five channels by new users", E("new_users", group_by=[CH], order=["-new_users"], limit=5)),
    ("sign ups by country sorted descending", E("sign_ups", group_by=[CTRY], order=["-sign_ups"])),
    (
        "sign ups and revenue by channel sorted by revenue descending",
        E(["sign_ups", "revenue"], group_by=[CH], order=["-revenue"]),
    ),
    ("top 3 channels by revenue and sign ups", E(["revenue", "sign_ups"], group_by=[CH], order=["-revenue"], limit=3)),
    ("sign ups and revenue top 3 channels", Refuse("Order by which metric")),
    # comparisons with the previous period
    (
        "revenue last month compared to the previous period",
        E("revenue", start="2025-05-01", end="2025-05-31", compare=True),
    ),
    ("sign ups this month vs previous period", E("sign_ups", start="2025-06-01", end=TODAY_S, compare=True)),
    (
        "active users by channel last week vs the week before",
        E("active_users", group_by=[CH], start="2025-05-26", end="2025-06-01", compare=True),
    ),
    # refused, with the reason or the closest words
    ("revnue by chanel", Refuse("revnue", "chanel", "revenue", "channel")),
    ("what is the weather in paris", Refuse("weather", "paris")),
    ("churn rate by channel", Refuse("churn")),
    ("revenue by plan", Refuse("cannot be split by plan name")),
    ("conversion rate by country", Refuse("cannot be split by country", "channel, device")),
    ("daily revenue", Refuse("per month")),
    ("sign ups last month and last year", Refuse("Two time ranges")),
    ("top 5 revenue", Refuse("Top 5 of what")),
    ("drop table users", Refuse("drop")),
    ("revenue; delete from marts.revenue_metrics", Refuse("delete", "marts")),
    ("sign ups compared with the previous period", Refuse("Compared with which period")),
    ("", Refuse("Ask a question")),
    # ambiguous: asked back
    ("users by device", Ask("Active users", "New users", "Sign-ups")),
    ("conversion by channel", Ask("Conversion rate", "Conversions")),
]
