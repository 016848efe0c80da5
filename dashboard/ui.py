"""Streamlit building blocks shared by the pages: the warehouse handle, filters, notices, tables with CSV download."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from analytics.kpis import fmt_change, fmt_value
from analytics.marts import (
    SCHEMA,
    Result,
    Settings,
    Warehouse,
    WarehouseUnavailable,
    freshness_text,
    ident,
    where_clause,
)

# Which column of a mart carries each filter, in order of preference.
FILTER_COLUMNS: dict[str, tuple[str, ...]] = {
    "channel": ("acquisition_channel", "channel"),
    "device": ("device", "entry_device"),
    "country": ("country",),
}
# Marts every page reads through the sidebar (filter options and the date range).
SIDEBAR_MARTS = ("dim_users", "dim_date")
_RUN = threading.local()  # per script run (Streamlit runs each session's script in its own thread)


class MartUnavailable(Exception):
    """A page section cannot be drawn: its mart is missing, empty, or lacks a column. Shown as a notice."""


@st.cache_resource(show_spinner=False)
def get_warehouse() -> Warehouse:
    return Warehouse(Settings.from_env())


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    channels: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    # True when the date range is narrower than the data (the default range is everything)
    dates_narrowed: bool = False

    @property
    def by_user(self) -> bool:
        """A channel, device or country filter is set."""
        return bool(self.channels or self.devices or self.countries)

    def values(self) -> dict[str, tuple[str, ...]]:
        return {"channel": self.channels, "device": self.devices, "country": self.countries}


@dataclass
class Applied:
    """The bound filters for one mart and what could not be applied to it."""

    where: dict[str, Any] = field(default_factory=dict)
    date_range: tuple[date | None, date | None] | None = None
    ignored: list[str] = field(default_factory=list)


# -- per-run bookkeeping of stale (cached) results ---------------------------------------------------------------
def start_run() -> None:
    _RUN.stale = []


def note_result(result: Result) -> None:
    if result.stale:
        getattr(_RUN, "stale", []).append(result)


def stale_results() -> list[Result]:
    return list(getattr(_RUN, "stale", []))


# -- data access for pages -----------------------------------------------------------------------------------------
def wh() -> Warehouse:
    return get_warehouse()


def run_query(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    result = wh().query(sql, params)
    note_result(result)
    return result.df


def mart_columns(mart: str) -> list[str]:
    """The mart's columns in order, from the reader's catalogue; empty when the mart is not built."""
    return wh().columns(mart)


class PageReader:
    """The warehouse as the KPI layer (analytics.kpis) reads it on a page: queries note stale results."""

    def df(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        return run_query(sql, params)

    def has(self, mart: str, *columns: str) -> bool:
        return wh().has(mart, *columns)


def reader() -> PageReader:
    return PageReader()


def bound_filters(mart: str, filters: Filters) -> dict[str, Any]:
    """The channel/device/country filters ``mart`` has columns for (column -> values); the others are noted as
    not applicable to it, as ``load`` and ``aggregate`` do."""
    applied = filter_for(mart, filters)
    if applied.ignored:
        _note_ignored(mart, applied.ignored)
    return applied.where


def require(mart: str, *columns: str) -> list[str]:
    """The mart's columns; raises MartUnavailable (shown as a notice) when it is missing or lacks ``columns``."""
    cols = mart_columns(mart)
    if not cols:
        raise MartUnavailable(f"`marts.{mart}` is not built in this warehouse.")
    missing = [c for c in columns if c not in cols]
    if missing:
        raise MartUnavailable(f"`marts.{mart}` has no column {', '.join(missing)}.")
    return cols


def filter_for(mart: str, filters: Filters, date_column: str | None = None) -> Applied:
    """Bind the sidebar filters that ``mart`` has a column for; the rest are reported as not applicable."""
    cols = require(mart)
    applied = Applied()
    for name, chosen in filters.values().items():
        if not chosen:
            continue
        column = next((c for c in FILTER_COLUMNS[name] if c in cols), None)
        if column is None:
            applied.ignored.append(name)
        else:
            applied.where[column] = list(chosen)
    if date_column and (filters.start or filters.end):
        if date_column in cols:
            applied.date_range = (filters.start, filters.end)
        else:
            applied.ignored.append("date range")
    return applied


def load(
    mart: str,
    filters: Filters | None = None,
    *,
    date_column: str | None = None,
    columns: Sequence[str] | None = None,
    where: dict[str, Any] | None = None,
    order_by: Sequence[str] | None = None,
    allow_empty: bool = False,
) -> pd.DataFrame:
    """Rows of ``marts.<mart>`` under the filters the mart supports; MartUnavailable when missing or empty."""
    require(mart, *(columns or []), *(order_by or []), *([date_column] if date_column else []))
    applied = filter_for(mart, filters, date_column) if filters else Applied()
    if applied.ignored:
        _note_ignored(mart, applied.ignored)
    result = wh().select(
        mart,
        columns,
        where={**applied.where, **(where or {})},
        date_column=date_column,
        date_range=applied.date_range,
        order_by=order_by,
    )
    note_result(result)
    if result.df.empty and not allow_empty:
        if applied.where or applied.date_range or where:
            raise MartUnavailable(f"`marts.{mart}` has no rows for the chosen filters.")
        raise MartUnavailable(f"`marts.{mart}` is empty for this dataset.")
    return result.df


def aggregate(
    mart: str,
    template: str,
    filters: Filters | None = None,
    *,
    date_column: str | None = None,
    where: dict[str, Any] | None = None,
    required: Sequence[str] = (),
    params: Sequence[Any] = (),
) -> pd.DataFrame:
    """Run ``template`` on ``marts.<mart>`` with the applicable filters bound.

    ``{t}`` in the template is replaced by the quoted relation, ``{where}`` by `` where ...`` (or nothing) and
    ``{and_where}`` by `` and ...`` (or nothing). ``params`` are bound before the filter parameters, so they may
    only appear before the ``{where}`` placeholder.
    """
    require(mart, *required, *([date_column] if date_column else []), *(where or {}))
    applied = filter_for(mart, filters, date_column) if filters else Applied()
    if applied.ignored:
        _note_ignored(mart, applied.ignored)
    merged = {**applied.where, **(where or {})}
    clause, filter_params = where_clause(merged, date_column, applied.date_range)
    and_clause, _ = where_clause(merged, date_column, applied.date_range, prefix=" and ")
    sql = template.format(t=f"{ident(SCHEMA)}.{ident(mart)}", where=clause, and_where=and_clause)
    return run_query(sql, [*params, *filter_params])


def _note_ignored(mart: str, ignored: list[str]) -> None:
    notes = getattr(_RUN, "ignored", None)
    if notes is None:
        notes = _RUN.ignored = {}
    notes[mart] = ignored


# -- layout helpers ------------------------------------------------------------------------------------------------
def section(title: str, render, *args: Any, **kwargs: Any) -> None:  # a callable drawing the section
    """Draw a titled section; a missing or empty mart becomes a notice instead of an error."""
    st.subheader(title)
    _RUN.ignored = {}
    try:
        render(*args, **kwargs)
    except MartUnavailable as exc:
        st.info(f"Nothing to show: {exc}")
    except WarehouseUnavailable as exc:
        st.warning(f"The warehouse cannot be read right now and nothing is cached yet: {exc}")
    ignored = getattr(_RUN, "ignored", {})
    if ignored:
        text = "; ".join(f"{', '.join(v)} for `{k}`" for k, v in ignored.items())
        st.caption(f"Filters not applicable here (the mart has no such column): {text}.")


def table(df: pd.DataFrame, name: str, *, height: int | None = None) -> None:
    """An interactive table with a CSV download of exactly what is shown."""
    df = display_dates(df)
    st.dataframe(df, width="stretch", hide_index=True, height=height or "auto")
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    st.download_button(
        f"Download {name} (CSV)",
        df.to_csv(index=False).encode("utf-8"),
        file_name=f"{slug}.csv",
        mime="text/csv",
        key=f"download_{slug}",
    )


def display_dates(df: pd.DataFrame) -> pd.DataFrame:
    """Timestamp columns that hold whole days only are shown (and downloaded) as dates."""
    out = df.copy()
    for col in out.columns:
        series = out[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = series.dropna()
            if len(values) and (values == values.dt.normalize()).all():
                out[col] = series.dt.date
    return out


def freshness(placeholder: Any) -> None:
    """Where the data comes from and how fresh it is; a warning when cached data had to be served."""
    warehouse = wh()
    built = warehouse.built_at()
    built_text = f", built {built:%Y-%m-%d %H:%M}" if built else ""
    try:
        fresh = freshness_text(warehouse.data_freshness())
    except Exception:  # noqa: BLE001 - the line is a courtesy: a busy or older warehouse simply goes without it
        fresh = ""
    built_text = f", {fresh}{built_text}" if fresh else built_text
    stale = stale_results()
    if stale:
        oldest = min(r.fetched_at for r in stale)
        placeholder.warning(
            f"The warehouse is busy (probably being rebuilt by `dbt build`): showing the last good data, read"
            f" {oldest:%Y-%m-%d %H:%M:%S}{built_text}. It refreshes by itself once the build is done."
        )
    else:
        placeholder.caption(f"Source: {warehouse.settings.describe()} (schema marts){built_text}.")


# -- sidebar filters -----------------------------------------------------------------------------------------------
def _options(column: str) -> list[str]:
    try:
        cols = mart_columns("dim_users")
        if column not in cols:
            return []
        df = run_query(f'select distinct "{column}" as v from marts.dim_users where "{column}" is not null order by 1')
        return [str(v) for v in df["v"]]
    except WarehouseUnavailable:
        return []


def _date_bounds() -> tuple[date, date] | None:
    try:
        if "date_day" not in mart_columns("dim_date"):
            return None
        df = run_query("select min(date_day) as lo, max(date_day) as hi from marts.dim_date")
    except WarehouseUnavailable:
        return None
    lo, hi = df["lo"].iloc[0], df["hi"].iloc[0]
    if pd.isna(lo) or pd.isna(hi):
        return None
    return pd.Timestamp(lo).date(), pd.Timestamp(hi).date()


def sidebar_filters() -> Filters:
    """Date range, channel, device and country pickers; their values live in session state for every page."""
    st.sidebar.header("Filters")
    bounds = _date_bounds()
    start = end = None
    if bounds:
        lo, hi = bounds
        chosen = st.sidebar.date_input(
            "Date range", value=(lo, hi), min_value=lo, max_value=hi, key="f_dates", format="YYYY-MM-DD"
        )
        if isinstance(chosen, tuple | list):
            start = chosen[0] if len(chosen) > 0 else None
            end = chosen[1] if len(chosen) > 1 else None
        else:
            start = chosen
    else:
        st.sidebar.caption("No calendar (marts.dim_date) yet: date filter off.")
    channels = st.sidebar.multiselect("Channel", _options("acquisition_channel"), key="f_channel")
    devices = st.sidebar.multiselect("Device (at sign-up)", _options("device"), key="f_device")
    countries = st.sidebar.multiselect("Country", _options("country"), key="f_country")
    st.sidebar.caption(
        "Filters apply to every mart that has the column; a page says when one does not apply. "
        "Channel, device and country are the user's at sign-up."
    )
    narrowed = bool(bounds) and ((start is not None and start > bounds[0]) or (end is not None and end < bounds[1]))
    return Filters(start, end, tuple(channels), tuple(devices), tuple(countries), narrowed)


def current_filters() -> Filters:
    return st.session_state.get("_filters", Filters())


# -- formatting ----------------------------------------------------------------------------------------------------
def fmt_number(value: float | None, kind: str = "int") -> str:
    """A value in the KPI layer's one format per kind (analytics.kpis.fmt_value)."""
    return fmt_value(value, kind)


def fmt_delta(current: float | None, previous: float | None, kind: str = "int") -> str | None:
    """Change vs the period before, as Streamlit's metric delta (analytics.kpis.fmt_change; None when unknown)."""
    return fmt_change(current, previous, kind)
