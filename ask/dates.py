"""Time ranges in words ("last 90 days", "since March", "in Q2 2025", "yesterday") to (start, end) dates.

Everything is relative to a given ``today``; each recogniser returns the span of text it used, so the parser can
tell which words were understood.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
NUMBERS.update({"twelve": 12, "thirty": 30, "ninety": 90})
MONTH = r"(?P<{}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b"
YEAR = r"(?P<{}>(?:19|20)\d\d)\b"
ISO = r"(?P<{}>\d{{4}}-\d{{2}}-\d{{2}})"
NUM = r"(?P<n>\d+|" + "|".join(NUMBERS) + r")"
UNIT = r"(?P<unit>days?|weeks?|months?|quarters?|years?)"
PERIOD = r"(?P<period>day|week|month|quarter|year)"


@dataclass(frozen=True)
class TimeRange:
    start: dt.date | None
    end: dt.date | None
    words: str  # the text as the user wrote it
    span: tuple[int, int]


def _m(name: str, pattern: str) -> str:
    return pattern.format(name)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def period_start(day: dt.date, period: str) -> dt.date:
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return dt.date(day.year, 1, 1)


def period_end(start: dt.date, period: str) -> dt.date:
    if period == "day":
        return start
    if period == "week":
        return start + dt.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    return add_months(start, months) - dt.timedelta(days=1)


def _number(text: str) -> int:
    return int(text) if text.isdigit() else NUMBERS[text]


def _latest_month(month: int, today: dt.date) -> dt.date:
    """The first day of the most recent ``month`` that has begun by ``today``."""
    year = today.year if month <= today.month else today.year - 1
    return dt.date(year, month, 1)


def _month_range(month: str, year: str | None, today: dt.date) -> tuple[dt.date, dt.date]:
    start = dt.date(int(year), MONTHS[month], 1) if year else _latest_month(MONTHS[month], today)
    return start, month_end(start.year, start.month)


def _iso(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _recognisers(today: dt.date):
    def quarter(q: str, year: str | None) -> tuple[dt.date, dt.date]:
        q_start_month = 3 * (int(q) - 1) + 1
        if year:
            start = dt.date(int(year), q_start_month, 1)
        else:
            start = dt.date(today.year, q_start_month, 1)
            if start > today:
                start = start.replace(year=today.year - 1)
        return start, period_end(start, "quarter")

    def last_n(n: str, unit: str) -> tuple[dt.date, dt.date]:
        count, unit = _number(n), unit.rstrip("s")
        if unit == "day":
            return today - dt.timedelta(days=count - 1), today
        if unit == "week":
            return today - dt.timedelta(days=7 * count - 1), today
        months = {"month": 1, "quarter": 3, "year": 12}[unit] * count
        return add_months(today, -months) + dt.timedelta(days=1), today

    def previous(period: str) -> tuple[dt.date, dt.date]:
        this_start = period_start(today, period)
        start = period_start(this_start - dt.timedelta(days=1), period)
        return start, period_end(start, period)

    between = r"(?:from|between)\s+"
    to = r"\s*(?:to|until|till|through|and|-)\s*"
    return [
        (between + _m("a", ISO) + to + _m("b", ISO), lambda m: (_iso(m["a"]), _iso(m["b"]))),
        (
            between
            + _m("ma", MONTH)
            + r"(?:\s+"
            + _m("ya", YEAR)
            + r")?"
            + to
            + _m("mb", MONTH)
            + r"\s+"
            + _m("yb", YEAR),
            lambda m: (
                dt.date(int(m["ya"] or m["yb"]), MONTHS[m["ma"]], 1),
                month_end(int(m["yb"]), MONTHS[m["mb"]]),
            ),
        ),
        (
            between + _m("ma", MONTH) + to + _m("mb", MONTH),
            lambda m: (_latest_month(MONTHS[m["ma"]], today), month_end(*_span_end(m["ma"], m["mb"], today))),
        ),
        (r"(?:since|after|from)\s+" + _m("a", ISO), lambda m: (_iso(m["a"]), None)),
        (r"(?:until|before|up to|through)\s+" + _m("a", ISO), lambda m: (None, _iso(m["a"]))),
        (r"on\s+" + _m("a", ISO), lambda m: (_iso(m["a"]), _iso(m["a"]))),
        (
            r"(?:since|from)\s+" + _m("m", MONTH) + r"(?:\s+" + _m("y", YEAR) + r")?",
            lambda m: (_month_range(m["m"], m["y"], today)[0], None),
        ),
        (
            r"(?:in\s+|during\s+)?q(?P<q>[1-4])(?:\s+" + _m("y", YEAR) + r")?",
            lambda m: quarter(m["q"], m["y"]),
        ),
        (
            r"(?:in\s+|during\s+)?" + _m("m", MONTH) + r"(?:\s+" + _m("y", YEAR) + r")?",
            lambda m: _month_range(m["m"], m["y"], today),
        ),
        (r"(?:in\s+|during\s+)" + _m("y", YEAR), lambda m: (dt.date(int(m["y"]), 1, 1), dt.date(int(m["y"]), 12, 31))),
        (
            r"(?:in\s+|over\s+|for\s+|during\s+)?(?:the\s+)?(?:last|past|previous)\s+" + NUM + r"\s+" + UNIT,
            lambda m: last_n(m["n"], m["unit"]),
        ),
        (
            r"(?:in\s+|over\s+|for\s+|during\s+)?(?:the\s+)?(?:last|previous|past)\s+" + PERIOD,
            lambda m: previous(m["period"]),
        ),
        (
            r"(?:in\s+|for\s+|during\s+)?(?:the\s+)?(?:this|current)\s+" + PERIOD + r"(?:\s+so\s+far)?",
            lambda m: (period_start(today, m["period"]), today),
        ),
        (
            r"(?:the\s+)?" + r"(?P<period>year|month|quarter|week)\s+to\s+date",
            lambda m: (period_start(today, m["period"]), today),
        ),
        (r"ytd", lambda m: (period_start(today, "year"), today)),
        (r"mtd", lambda m: (period_start(today, "month"), today)),
        (r"yesterday", lambda m: (today - dt.timedelta(days=1), today - dt.timedelta(days=1))),
        (r"today", lambda m: (today, today)),
    ]


def _span_end(first: str, last: str, today: dt.date) -> tuple[int, int]:
    start = _latest_month(MONTHS[first], today)
    year = start.year if MONTHS[last] >= MONTHS[first] else start.year + 1
    return year, MONTHS[last]


def find_time_ranges(text: str, today: dt.date) -> list[TimeRange]:
    """Every time range in ``text`` (lower case), left to right, spans not overlapping."""
    found: list[TimeRange] = []
    taken: list[tuple[int, int]] = []
    for pattern, build in _recognisers(today):
        for match in re.finditer(r"(?<![\w-])" + pattern + r"(?![\w-])", text):
            span = match.span()
            if any(span[0] < b and a < span[1] for a, b in taken):
                continue
            try:
                start, end = build(match)
            except ValueError:  # e.g. 2025-02-30
                continue
            taken.append(span)
            found.append(TimeRange(start, end, match.group(0).strip(), span))
    return sorted(found, key=lambda r: r.span)
