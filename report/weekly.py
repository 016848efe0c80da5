"""The weekly growth report: numbers for the last complete week, computed from the marts, rendered to one HTML file.

Everything the report says is computed here from ``marts`` (the same reader as the dashboard, so on PostgreSQL it
reads as the reporting role); the template only lays it out. Sentences are built from the numbers: no fixed text
that could go stale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import kpis
from analytics.kpis import Kpi, fmt_value
from analytics.marts import Warehouse, WarehouseUnavailable, freshness_text
from report import svg

# The marts the report reads (declared as the report's exposure in dbt_project/models/exposures.yml).
MARTS = (
    "dim_periods",
    "growth_accounting",
    "growth_accounting_by_channel",
    "fct_daily_metrics",
    "funnel_conversion",
    "mrr_movements",
    "metric_anomalies",
    "experiment_results",
    "churn_risk",
)
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
# Channels with fewer funnel entrants than this in the comparison window are left out of "best channel" claims.
MIN_CHANNEL_ENTRANTS = 30
CONVERSION_WEEKS = 4


class ReportError(RuntimeError):
    """The report cannot be written (no complete week, warehouse missing): the data or settings the user pointed
    it at, exit code 2."""

    exit_code = 2


@dataclass
class ReportData:
    week_start: date
    week_end: date
    generated_at: datetime
    source: str
    built_at: datetime | None
    freshness: str = ""  # "data through <date>, refreshed <time>" (analytics.marts.freshness_text)
    kpis: list[Kpi] = field(default_factory=list)
    insights: list[str] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    movement_sentences: list[str] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)
    experiments: list[dict[str, Any]] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


fmt = fmt_value  # the KPI layer's one format per kind (the template's ``fmt``)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _day(value: Any) -> date:
    return pd.Timestamp(value).date()


class WeeklyReport:
    """Computes the report's content from the marts for one week."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.wh = warehouse

    def has(self, mart: str, *columns: str) -> bool:
        return self.wh.has(mart, *columns)

    def df(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> pd.DataFrame:
        return self.wh.df(sql, params)

    # -- the week --------------------------------------------------------------------------------------------
    def last_complete_week(self) -> tuple[date, date]:
        if not self.has("dim_periods", "period_grain", "period_start", "period_end_date", "is_complete_period"):
            raise ReportError("marts.dim_periods is missing: build the warehouse first (make run)")
        weeks = kpis.complete_periods(self.wh, "week", count=1)
        if not weeks:
            raise ReportError("the data holds no complete week yet: nothing to report")
        return weeks[0]

    # -- KPIs ------------------------------------------------------------------------------------------------
    def growth_week(self, week: date) -> pd.Series | None:
        if not self.has("growth_accounting", "period_grain", "period_start", "active_users", "quick_ratio"):
            return None
        df = self.df("select * from marts.growth_accounting where period_grain = 'week' and period_start = ?", [week])
        return None if df.empty else df.iloc[0]

    def daily_sum(self, column: str, start: date, end: date) -> float | None:
        if not self.has("fct_daily_metrics", "date_day", column):
            return None
        df = self.df(
            f'select sum("{column}") as v from marts.fct_daily_metrics where date_day between ? and ?', [start, end]
        )
        return _num(df["v"].iloc[0])

    def conversion_cohort(self, week_end: date) -> tuple[date, date] | None:
        """Latest complete week, ending on or before ``week_end``, whose funnel entrants all had their full window
        (the KPI layer's rule, as on the dashboard's Overview)."""
        cohort = kpis.conversion_cohort(self.wh, "week", week_end)
        return None if cohort is None else (cohort.start, cohort.end)

    def conversion(self, start: date, end: date) -> float | None:
        """Overall funnel conversion of the entrants of [start, end]."""
        return kpis.conversion_rate(self.wh, start, end)

    def kpis(self, week: date, week_end: date) -> list[Kpi]:
        prev, prev_end = week - timedelta(days=7), week_end - timedelta(days=7)
        out: list[Kpi] = []
        cur_g, prev_g = self.growth_week(week), self.growth_week(prev)
        if cur_g is not None:
            for col, name, kind in (
                ("active_users", "Active users", "int"),
                ("new_users", "New users", "int"),
                ("quick_ratio", "Quick ratio", "ratio"),
            ):
                out.append(Kpi(name, _num(cur_g[col]), _num(prev_g[col]) if prev_g is not None else None, kind))
        out.append(
            Kpi("Sign-ups", self.daily_sum("signups", week, week_end), self.daily_sum("signups", prev, prev_end))
        )
        out.append(
            Kpi(
                "Revenue",
                self.daily_sum("revenue", week, week_end),
                self.daily_sum("revenue", prev, prev_end),
                "money",
                note="net revenue booked in the week",
            )
        )
        cohort = self.conversion_cohort(week_end)
        if cohort is not None:
            c_start, c_end = cohort
            cur = self.conversion(c_start, c_end)
            before = self.conversion(c_start - timedelta(days=7), c_end - timedelta(days=7))
            note = (
                "" if c_start == week else f"entrants of the week of {c_start:%Y-%m-%d}, the latest with closed windows"
            )
            out.append(Kpi("Funnel conversion", cur, before, "pct", note=note))
        return out

    # -- channels --------------------------------------------------------------------------------------------
    def channel_movements(self, week: date) -> list[dict[str, Any]]:
        """Per channel: active and new users this week and last, sorted by the size of the change in active users."""
        if not self.has("growth_accounting_by_channel", "acquisition_channel", "active_users", "new_users"):
            return []
        df = self.df(
            "select acquisition_channel as channel, period_start, active_users, new_users"
            " from marts.growth_accounting_by_channel where period_grain = 'week' and period_start in (?, ?)",
            [week, week - timedelta(days=7)],
        )
        if df.empty:
            return []
        df["is_current"] = [_day(v) == week for v in df["period_start"]]
        cur = df[df["is_current"]].set_index("channel")
        prev = df[~df["is_current"]].set_index("channel")
        rows = []
        for channel in sorted(set(cur.index) | set(prev.index)):
            a_now = float(cur["active_users"].get(channel, 0) or 0)
            a_before = float(prev["active_users"].get(channel, 0) or 0)
            n_now = float(cur["new_users"].get(channel, 0) or 0)
            n_before = float(prev["new_users"].get(channel, 0) or 0)
            rows.append(
                {
                    "channel": channel,
                    "active_users": a_now,
                    "active_users_before": a_before,
                    "active_change": a_now - a_before,
                    "active_change_pct": (a_now - a_before) / a_before if a_before else None,
                    "new_users": n_now,
                    "new_users_before": n_before,
                    "new_change": n_now - n_before,
                }
            )
        rows.sort(key=lambda r: (-abs(r["active_change"]), r["channel"]))
        return rows

    def channel_conversion(self, end: date) -> pd.DataFrame:
        """Funnel conversion by channel over the CONVERSION_WEEKS weeks of entrants ending at ``end``."""
        start = end - timedelta(days=7 * CONVERSION_WEEKS - 1)
        df = kpis.conversion(self.wh, start, end, by="acquisition_channel")
        df = df.rename(columns={"acquisition_channel": "channel"})
        return df.sort_values(["conversion", "channel"], ascending=[False, True]).reset_index(drop=True)

    # -- anomalies and experiments ---------------------------------------------------------------------------
    def anomalies(self, week: date, week_end: date) -> list[str]:
        if not self.has("metric_anomalies", "metric_date", "metric_name", "is_anomaly", "z_score"):
            return []
        df = self.df(
            "select * from marts.metric_anomalies where is_anomaly and metric_date between ? and ?"
            " order by metric_date, metric_name",
            [week, week_end],
        )
        out = []
        for _, row in df.iterrows():
            name = str(row["metric_name"])
            is_rate = name.startswith("conversion_to_")
            kind = "pct" if is_rate else ("money" if name == "revenue" else "int")
            label = f"conversion to {row['step_name']}" if is_rate and pd.notna(row.get("step_name")) else name
            direction = "above" if float(row["z_score"]) > 0 else "below"
            out.append(
                f"{_day(row['metric_date']):%a %Y-%m-%d}: {label} was {fmt(_num(row['metric_value']), kind)},"
                f" {abs(float(row['z_score'])):.1f} standard deviations {direction} its trailing mean of"
                f" {fmt(_num(row['trailing_mean']), kind)}."
            )
        return out

    def experiments(self) -> list[dict[str, Any]]:
        if not self.has("experiment_results", "experiment_id", "variant", "is_control", "p_value"):
            return []
        df = self.df("select * from marts.experiment_results order by experiment_id, variant")
        out = []
        for experiment_id, exp in df.groupby("experiment_id", sort=True):
            lines = []
            for _, row in exp[~exp["is_control"].astype(bool)].iterrows():
                rate, control = _num(row["conversion_rate"]), _num(row["control_conversion_rate"])
                lift, lo, hi, p = (
                    _num(row["absolute_lift"]),
                    _num(row["lift_ci_lower"]),
                    _num(row["lift_ci_upper"]),
                    _num(row["p_value"]),
                )
                if rate is None or control is None or lift is None:
                    lines.append(f"{row['variant']}: not enough data for a read-out.")
                    continue
                verdict = (
                    ("a significant " + ("improvement" if lift > 0 else "drop"))
                    if bool(row["is_significant"])
                    else "not significant"
                )
                ci = f"95 % CI {lo * 100:+.1f} to {hi * 100:+.1f} pp" if lo is not None and hi is not None else "no CI"
                p_text = f"p = {p:.3g}" if p is not None else "no test"
                lines.append(
                    f"{row['variant']} converts {rate:.1%} vs {control:.1%} for {row['control_variant']}"
                    f" ({lift * 100:+.1f} pp, {ci}, {p_text}): {verdict}."
                )
            head = exp.iloc[0]
            srm = None
            if bool(head.get("has_sample_ratio_mismatch", False)):
                srm = (
                    f"Sample-ratio mismatch (p = {float(head['srm_p_value']):.2g}): the observed split differs from"
                    " the plan, so the result above is not trustworthy."
                )
            out.append(
                {
                    "id": experiment_id,
                    "goal": head.get("goal_event"),
                    "assigned": int(exp["assigned_users"].sum()),
                    "lines": lines,
                    "srm": srm,
                }
            )
        return out

    # -- assembly --------------------------------------------------------------------------------------------
    def build(self, week: date | None = None) -> ReportData:
        if week is None:
            week, week_end = self.last_complete_week()
        else:
            week_end = week + timedelta(days=6)
        data = ReportData(
            week_start=week,
            week_end=week_end,
            generated_at=datetime.now().replace(microsecond=0),
            source=self.wh.settings.describe(),
            built_at=self.wh.built_at(),
            freshness=freshness_text(self.wh.data_freshness()),
        )
        data.kpis = self.kpis(week, week_end)
        data.movements = self.channel_movements(week)
        data.movement_sentences = movement_sentences(data.movements)
        data.anomalies = self.anomalies(week, week_end)
        data.experiments = self.experiments()
        data.insights = self.insights(data, week_end)
        data.charts = self.charts(week, week_end)
        return data

    def insights(self, data: ReportData, week_end: date) -> list[str]:
        out: list[str] = []
        by_name = {k.name: k for k in data.kpis}
        active = by_name.get("Active users")
        if active and active.change is not None:
            verb = "grew" if active.change > 0 else ("fell" if active.change < 0 else "held")
            out.append(
                f"Active users {verb} {abs(active.change):.1%} week over week, to {active.value_text}"
                f" (from {fmt(active.previous)})."
            )
        qr = by_name.get("Quick ratio")
        if qr and qr.current is not None:
            state = "growing" if qr.current > 1 else ("shrinking" if qr.current < 1 else "flat")
            out.append(
                f"Quick ratio {qr.current:.2f}: {qr.current:.2f} users gained per user lost, so the active base is"
                f" {state}."
            )
        cohort = self.conversion_cohort(week_end)
        if cohort is not None:
            table = self.channel_conversion(cohort[1])
            table = table[table["entered"] >= MIN_CHANNEL_ENTRANTS].dropna(subset=["conversion"])
            if len(table) >= 2:
                best, worst = table.iloc[0], table.iloc[-1]
                total = self.conversion(cohort[1] - timedelta(days=7 * CONVERSION_WEEKS - 1), cohort[1])
                gap = (best["conversion"] - worst["conversion"]) * 100
                times = f" ({best['conversion'] / worst['conversion']:.1f}× as high)" if worst["conversion"] else ""
                avg = f"; all channels together: {total:.1%}" if total is not None else ""
                out.append(
                    f"{best['channel']} converts best: {best['conversion']:.1%} of its {best['entered']:,.0f} funnel"
                    f" entrants in the {CONVERSION_WEEKS} weeks to {cohort[1]:%Y-%m-%d} reached the last step,"
                    f" {gap:.1f} pp more than {worst['channel']}, the lowest at {worst['conversion']:.1%}{times}{avg}."
                )
        revenue = by_name.get("Revenue")
        if revenue and revenue.change is not None:
            verb = "up" if revenue.change > 0 else "down"
            out.append(
                f"Revenue was {revenue.value_text}, {verb} {abs(revenue.change):.1%} on the week before"
                f" ({fmt(revenue.previous, 'money')})."
            )
        significant = [e for e in data.experiments if any("a significant" in line for line in e["lines"])]
        if significant:
            out.append(f"{len(significant)} of {len(data.experiments)} experiments show a significant effect.")
        churn = self.churn_risk_line()
        if churn:
            out.append(churn)
        return out

    def churn_risk_line(self) -> str | None:
        """ "N active users at high churn risk, M more than last week" from churn_risk's latest two as-of dates."""
        if not self.has("churn_risk", "as_of_date", "risk_band"):
            return None
        counts = self.df(
            "select as_of_date, sum(case when risk_band = 'high' then 1 else 0 end) as high_risk"
            " from marts.churn_risk group by as_of_date order by as_of_date desc limit 2"
        )
        if counts.empty:
            return None
        now = int(counts["high_risk"].iloc[0])
        line = f"{now:,} active users at high churn risk (scored {_day(counts['as_of_date'].iloc[0]):%Y-%m-%d})"
        if len(counts) == 2:
            diff = now - int(counts["high_risk"].iloc[1])
            line += f", {abs(diff):,} {'more' if diff >= 0 else 'fewer'} than last week"
        return line + "."

    def charts(self, week: date, week_end: date) -> list[str]:
        out: list[str] = []
        if self.has("growth_accounting", "period_grain", "period_start"):
            df = self.df(
                "select * from marts.growth_accounting where period_grain = 'week' and period_start <= ?"
                " order by period_start desc limit 12",
                [week],
            ).sort_values("period_start")
            if not df.empty:
                labels = [f"{_day(v):%m-%d}" for v in df["period_start"]]
                out.append(
                    svg.stacked_bars(
                        labels,
                        {
                            "retained": [float(v) for v in df["retained_users"]],
                            "new": [float(v) for v in df["new_users"]],
                            "resurrected": [float(v) for v in df["resurrected_users"]],
                            "churned": [float(v) for v in df["churned_users"]],
                        },
                        "Weekly growth accounting (users), last 12 weeks",
                        negative=("churned",),
                    )
                )
        if self.has("fct_daily_metrics", "date_day", "dau"):
            start = week_end - timedelta(days=7 * 8 - 1)
            df = self.df(
                "select date_day, dau, signups from marts.fct_daily_metrics where date_day between ? and ?"
                " order by date_day",
                [start, week_end],
            )
            if not df.empty:
                flagged: list[int] = []
                if self.has("metric_anomalies", "metric_date", "metric_name", "is_anomaly"):
                    bad = self.df(
                        "select metric_date from marts.metric_anomalies where is_anomaly and metric_name = 'dau'"
                        " and metric_date between ? and ?",
                        [start, week_end],
                    )
                    days = {_day(v) for v in bad["metric_date"]}
                    flagged = [i for i, v in enumerate(df["date_day"]) if _day(v) in days]
                out.append(
                    svg.line_chart(
                        [f"{_day(v):%m-%d}" for v in df["date_day"]],
                        {"DAU": [_num(v) for v in df["dau"]], "sign-ups": [_num(v) for v in df["signups"]]},
                        "Daily active users and sign-ups, last 8 weeks (circles: DAU anomalies)",
                        highlight=flagged,
                    )
                )
        cohort = self.conversion_cohort(week_end)
        if cohort is not None:
            table = self.channel_conversion(cohort[1]).dropna(subset=["conversion"])
            if not table.empty:
                out.append(
                    svg.bar_chart(
                        list(table["channel"]),
                        [float(v) for v in table["conversion"]],
                        f"Funnel conversion by channel, entrants of the {CONVERSION_WEEKS} weeks"
                        f" to {cohort[1]:%Y-%m-%d}",
                        fmt=lambda v: f"{v:.1%}",
                        highlight=0,
                    )
                )
        return out


def movement_sentences(movements: list[dict[str, Any]], top: int = 3) -> list[str]:
    out = []
    for row in movements[:top]:
        if row["active_change"] == 0:
            continue
        verb = "rose" if row["active_change"] > 0 else "fell"
        pct = f" ({row['active_change_pct']:+.0%})" if row["active_change_pct"] is not None else ""
        out.append(
            f"{row['channel']}: active users {verb} by {abs(row['active_change']):,.0f}{pct} to"
            f" {row['active_users']:,.0f}; new users {row['new_users']:,.0f}"
            f" (week before {row['new_users_before']:,.0f})."
        )
    return out


def render_html(data: ReportData) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("weekly.html.j2")
    return template.render(data=data, fmt=fmt, markup=jinja2.utils.markupsafe.Markup)


def write_report(output: Path | str, warehouse: Warehouse | None = None, week: date | None = None) -> Path:
    """Compute and write the report; the file appears whole or not at all."""
    output = Path(output)
    warehouse = warehouse or Warehouse()
    try:
        data = WeeklyReport(warehouse).build(week)
    except WarehouseUnavailable as exc:
        error = ReportError(str(exc))
        if not isinstance(exc.__cause__, FileNotFoundError):
            error.exit_code = 1  # the warehouse is there but cannot be read (server down, locked): the system's
        raise error from exc
    html = render_html(data)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    partial.write_text(html, encoding="utf-8")
    partial.replace(output)
    return output
