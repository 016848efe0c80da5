"""The KPI layer shared by the dashboard's Overview page and the weekly report, so that they cannot disagree.

It holds what a KPI is (a value for a period and for the period before, of a kind), how values and changes are
written (one format per kind: money always with cents), and the period rules both consumers apply:

* the last complete periods of a grain come from ``dim_periods`` (``is_complete_period``);
* funnel conversion is read for a cohort of entrants whose conversion windows have all closed
  (``funnel_conversion.is_window_closed``): entrants of the last days may still convert, so their rate would read
  low. The cohort is the last complete period ending on or before the last closed entry date.

Functions take a ``reader``: anything with ``df(sql, params)`` and ``has(mart, *columns)``, such as
``analytics.marts.Warehouse`` (the report) or the dashboard's page reader (which also notes stale results).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import pandas as pd

from analytics.marts import ident, where_clause

KINDS = ("int", "money", "pct", "ratio")  # counts, amounts in the currency, shares of 1, plain ratios


class Reader(Protocol):
    def df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame: ...

    def has(self, mart: str, *columns: str) -> bool: ...


def fmt_value(value: float | None, kind: str = "int") -> str:
    """A KPI value as people read it: ``12,345`` / ``12,345.67`` (money) / ``12.3%`` / ``1.25``; ``n/a`` if none."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return "n/a"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "ratio":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def change(current: float | None, previous: float | None, kind: str = "int") -> float | None:
    """The change against the period before: relative for counts and money, a difference for rates and ratios."""
    if current is None or previous is None or pd.isna(current) or pd.isna(previous):
        return None
    if kind in ("pct", "ratio"):
        return current - previous
    if previous == 0:
        return None
    return (current - previous) / abs(previous)


def fmt_change(current: float | None, previous: float | None, kind: str = "int") -> str | None:
    """The change as text (``+1.2 pp`` for rates, ``+0.10`` for ratios, ``+3.4%`` otherwise); None when unknown."""
    value = change(current, previous, kind)
    if value is None:
        return None
    if kind == "pct":
        return f"{value * 100:+.1f} pp"
    if kind == "ratio":
        return f"{value:+.2f}"
    return f"{value:+.1%}"


@dataclass
class Kpi:
    """One number for a period, with the same number for the period before."""

    name: str
    current: float | None
    previous: float | None
    kind: str = "int"  # one of KINDS
    help: str = ""  # what the number is (the dashboard's tooltip)
    note: str = ""  # what is special about this reading (e.g. which cohort a conversion is for)

    @property
    def change(self) -> float | None:
        return change(self.current, self.previous, self.kind)

    @property
    def value_text(self) -> str:
        return fmt_value(self.current, self.kind)

    @property
    def previous_text(self) -> str:
        return fmt_value(self.previous, self.kind)

    @property
    def change_text(self) -> str:
        return fmt_change(self.current, self.previous, self.kind) or "n/a"

    @property
    def direction(self) -> str:
        value = self.change
        if value is None or value == 0:
            return "flat"
        return "up" if value > 0 else "down"


@dataclass(frozen=True)
class Period:
    """A complete period and the complete period before it (same grain)."""

    start: date
    end: date
    previous_start: date
    previous_end: date


def _day(value: Any) -> date:
    return pd.Timestamp(value).date()


def complete_periods(reader: Reader, grain: str, end: date | None = None, count: int = 2) -> list[tuple[date, date]]:
    """The last ``count`` complete ``grain`` periods (week, month) ending on or before ``end``, newest first, as
    (first day, last day). The mart ``dim_periods`` must exist (the caller checks ``has`` or lets its reader raise)."""
    params: list[Any] = [grain]
    end_clause = ""
    if end is not None:
        end_clause = " and period_end_date <= ?"
        params.append(end)
    df = reader.df(
        "select period_start, period_end_date from marts.dim_periods where period_grain = ? and is_complete_period"
        + end_clause
        + f" order by period_start desc limit {int(count)}",
        params,
    )
    return [(_day(s), _day(e)) for s, e in zip(df["period_start"], df["period_end_date"], strict=True)]


def last_complete_period(reader: Reader, grain: str, end: date | None = None) -> Period | None:
    """The last complete ``grain`` ending on or before ``end``, and the one before; None if fewer than two."""
    periods = complete_periods(reader, grain, end, 2)
    if len(periods) < 2:
        return None
    (start, last), (previous_start, previous_end) = periods
    return Period(start, last, previous_start, previous_end)


def last_closed_entry_date(reader: Reader) -> date | None:
    """The last entry date up to which every funnel entrant has had the full conversion window; None if none has."""
    if not reader.has("funnel_conversion", "entry_date", "is_window_closed"):
        return None
    df = reader.df(
        "select max(entry_date) as v from marts.funnel_conversion where is_window_closed"
        " and entry_date not in (select entry_date from marts.funnel_conversion where not is_window_closed)"
    )
    if df.empty or pd.isna(df["v"].iloc[0]):
        return None
    return _day(df["v"].iloc[0])


def conversion_cohort(reader: Reader, grain: str, end: date | None = None) -> Period | None:
    """The cohort a conversion KPI reads: the last complete ``grain`` ending on or before both ``end`` and the last
    closed entry date (and the period before it); None when no such pair of periods exists."""
    last_closed = last_closed_entry_date(reader)
    if last_closed is None:
        return None
    return last_complete_period(reader, grain, min(end, last_closed) if end is not None else last_closed)


def conversion(
    reader: Reader, start: date, end: date, where: Mapping[str, Any] | None = None, *, by: str | None = None
) -> pd.DataFrame:
    """Funnel conversion of the entrants of [start, end]: ``converted`` (reached the last step), ``entered`` and
    ``conversion`` (None where nobody entered), one row, or one per value of column ``by``.

    ``where`` binds filters on checked columns of ``funnel_conversion`` (column -> value or list of values)."""
    clause, params = where_clause(where, "entry_date", (start, end), prefix=" where ")
    group = f"{ident(by)} as {ident(by)}, " if by else ""
    sql = (
        f"select {group}sum(case when step_number = (select max(step_number) from marts.funnel_conversion)"
        " then step_users else 0 end) as converted,"
        " sum(case when step_number = 1 then entered_users else 0 end) as entered"
        f" from marts.funnel_conversion{clause}" + (f" group by {ident(by)}" if by else "")
    )
    df = reader.df(sql, params)
    df["converted"] = pd.to_numeric(df["converted"]).fillna(0.0).astype(float)
    df["entered"] = pd.to_numeric(df["entered"]).fillna(0.0).astype(float)
    df["conversion"] = df["converted"] / df["entered"].where(df["entered"] > 0)
    return df


def conversion_rate(reader: Reader, start: date, end: date, where: Mapping[str, Any] | None = None) -> float | None:
    """The share of the entrants of [start, end] who reached the last funnel step; None when nobody entered."""
    value = conversion(reader, start, end, where)["conversion"].iloc[0]
    return None if pd.isna(value) else float(value)
