"""The weekly growth report: a self-contained HTML file whose numbers and sentences come from the data.

Expected values are recomputed here from the user-level marts (fct_user_activity_daily, dim_users,
funnel_conversion_users) rather than from the aggregate marts the report reads, so the test checks the report's
arithmetic and the marts together.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta
from html import unescape
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from analytics.marts import Settings, Warehouse
from pipeline.dbt import REPO_ROOT
from report import svg
from report.weekly import CONVERSION_WEEKS, MIN_CHANNEL_ENTRANTS, ReportError, WeeklyReport, write_report


@pytest.fixture(scope="module")
def reader(built_duckdb) -> Warehouse:
    return Warehouse(Settings(backend="duckdb", duckdb_path=Path(built_duckdb.duckdb_path)))


@pytest.fixture(scope="module")
def report(built_duckdb, reader, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("report") / "weekly.html"
    write_report(out, reader)
    html = out.read_text(encoding="utf-8")
    return {"path": out, "html": html, "data": WeeklyReport(reader).build()}


def kpi_block(html: str, name: str) -> str:
    match = re.search(rf'<div class="kpi" data-kpi="{re.escape(name)}">(.*?)</div>\s*</div>', html, re.S)
    assert match, f"KPI {name} missing"
    return unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def text_of(html: str) -> str:
    html = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def week_of(built) -> tuple[pd.Timestamp, pd.Timestamp]:
    df = built.query("select max(week_start_date) as w from marts.dim_date where is_complete_week")
    week = pd.Timestamp(df["w"].iloc[0])
    return week, week + timedelta(days=6)


def test_report_is_self_contained(report):
    html = report["html"]
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), "the report must not load anything from elsewhere"
    assert "<script" not in html.lower()
    assert html.count("<svg") >= 3, "charts are inline SVG"
    assert "{{" not in html and "{%" not in html


def test_report_says_how_far_the_data_reaches_and_when_it_arrived(report, built_duckdb):
    latest = built_duckdb.query("select max(event_date) as day, max(loaded_at) as arrived from marts.fct_events")
    day, arrived = pd.Timestamp(latest["day"].iloc[0]), pd.Timestamp(latest["arrived"].iloc[0])
    line = f"data through {day:%Y-%m-%d}, refreshed {arrived:%Y-%m-%d %H:%M} UTC"
    assert line in text_of(report["html"])


def test_report_covers_the_last_complete_week(report, built_duckdb):
    week, end = week_of(built_duckdb)
    assert report["data"].week_start == week.date()
    assert f"{week:%Y-%m-%d}" in report["html"] and f"{end:%Y-%m-%d}" in report["html"]


def test_active_and_new_users_and_quick_ratio_from_user_activity(report, built_duckdb):
    """Growth accounting recomputed from user-days: new = first active week, resurrected = back after a gap."""
    week, end = week_of(built_duckdb)
    prev = week - timedelta(days=7)
    activity = built_duckdb.query("select user_id, activity_date from marts.fct_user_activity_daily")
    activity["activity_date"] = pd.to_datetime(activity["activity_date"])
    this = set(activity.loc[activity["activity_date"].between(week, end), "user_id"])
    last = set(activity.loc[activity["activity_date"].between(prev, week - timedelta(days=1)), "user_id"])
    before = set(activity.loc[activity["activity_date"] < week, "user_id"])
    earlier = set(activity.loc[activity["activity_date"] < prev, "user_id"])
    new = this - before
    resurrected = (this & before) - last
    churned = last - this
    new_before = last - earlier

    assert kpi_block(report["html"], "Active users").split()[2] == f"{len(this):,}"
    active_text = kpi_block(report["html"], "Active users")
    assert f"{(len(this) - len(last)) / len(last):+.1%}" in active_text
    assert f"vs {len(last):,}" in active_text
    new_text = kpi_block(report["html"], "New users")
    assert new_text.split()[2] == f"{len(new):,}" and f"vs {len(new_before):,}" in new_text
    assert churned, "the small dataset churns users every week"
    quick = (len(new) + len(resurrected)) / len(churned)
    assert kpi_block(report["html"], "Quick ratio").split()[2] == f"{quick:.2f}"


def test_sign_ups_and_revenue(report, built_duckdb):
    week, end = week_of(built_duckdb)
    prev = week - timedelta(days=7)
    users = built_duckdb.query("select signup_date from marts.dim_users")
    days = pd.to_datetime(users["signup_date"])
    now, then = int(days.between(week, end).sum()), int(days.between(prev, week - timedelta(days=1)).sum())
    text = kpi_block(report["html"], "Sign-ups")
    assert text.split()[1] == f"{now:,}" and f"vs {then:,}" in text
    assert f"{(now - then) / then:+.1%}" in text

    revenue = built_duckdb.query("select date_day, revenue from marts.fct_daily_metrics")
    revenue["date_day"] = pd.to_datetime(revenue["date_day"])
    r_now = float(revenue.loc[revenue["date_day"].between(week, end), "revenue"].sum())
    assert kpi_block(report["html"], "Revenue").split()[1] == f"{r_now:,.2f}"


def test_best_channel_sentence_matches_user_level_funnel(report, built_duckdb):
    data = report["data"]
    sentence = next((s for s in data.insights if "converts best" in s), None)
    assert sentence is not None, data.insights
    cohort_end = pd.Timestamp(re.search(r"weeks to (\d{4}-\d{2}-\d{2})", sentence).group(1))
    start = cohort_end - timedelta(days=7 * CONVERSION_WEEKS - 1)
    users = built_duckdb.query(
        "select user_id, acquisition_channel, entry_date, step_number, is_reached,"
        " max(step_number) over () as last_step from marts.funnel_conversion_users"
    )
    users["entry_date"] = pd.to_datetime(users["entry_date"])
    users = users[users["entry_date"].between(start, cohort_end)]
    entered = users[users["step_number"] == 1].groupby("acquisition_channel")["user_id"].nunique()
    converted = (
        users[(users["step_number"] == users["last_step"]) & users["is_reached"].astype(bool)]
        .groupby("acquisition_channel")["user_id"]
        .nunique()
    )
    rates = (converted.reindex(entered.index, fill_value=0) / entered)[entered >= MIN_CHANNEL_ENTRANTS]
    best, worst = rates.idxmax(), rates.idxmin()
    assert sentence.startswith(f"{best} converts best: {rates[best]:.1%} of its {entered[best]:,}")
    assert f"{(rates[best] - rates[worst]) * 100:.1f} pp more than {worst}" in sentence
    assert sentence in text_of(report["html"])


def test_anomalies_and_experiments_are_read_out(report, built_duckdb):
    week, end = week_of(built_duckdb)
    flagged = built_duckdb.query(
        "select metric_date, metric_name from marts.metric_anomalies where is_anomaly and metric_date between ? and ?",
        [week.date(), end.date()],
    )
    assert len(report["data"].anomalies) == len(flagged)
    text = text_of(report["html"])
    for day in pd.to_datetime(flagged["metric_date"]):
        assert f"{day:%Y-%m-%d}" in text
    if flagged.empty:
        assert "No metric left its trailing range this week." in text

    results = built_duckdb.query("select * from marts.experiment_results where not is_control")
    assert len(results) >= 1
    for _, row in results.iterrows():
        assert row["experiment_id"] in text
        line = next(s for e in report["data"].experiments for s in e["lines"] if s.startswith(f"{row['variant']} "))
        assert f"{row['conversion_rate']:.1%} vs {row['control_conversion_rate']:.1%}" in line
        assert ("a significant" in line) == bool(row["p_value"] < 0.05)


def test_largest_channel_movements_are_sorted_and_add_up(report, built_duckdb):
    movements = report["data"].movements
    assert movements
    changes = [abs(m["active_change"]) for m in movements]
    assert changes == sorted(changes, reverse=True)
    week, _ = week_of(built_duckdb)
    totals = built_duckdb.query(
        "select sum(active_users) as a from marts.growth_accounting_by_channel where period_grain = 'week'"
        " and period_start = ?",
        [week.date()],
    )
    assert sum(m["active_users"] for m in movements) == float(totals["a"].iloc[0])


def test_cli_writes_the_file_and_fails_cleanly(built_duckdb, tmp_path):
    env_ok = {"DUCKDB_PATH": str(built_duckdb.duckdb_path), "PATH": "/usr/bin:/bin"}
    out = tmp_path / "r.html"
    ok = subprocess.run(
        [sys.executable, "-m", "report", "--output", str(out)],
        cwd=REPO_ROOT,
        env=env_ok,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert out.exists() and "Weekly growth report" in out.read_text()

    missing = tmp_path / "nowhere.duckdb"
    bad = subprocess.run(
        [sys.executable, "-m", "report", "--output", str(tmp_path / "x.html")],
        cwd=REPO_ROOT,
        env={"DUCKDB_PATH": str(missing), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2  # no warehouse at DUCKDB_PATH: the user's setting (settings.exit_codes)
    assert bad.stderr.strip().count("\n") == 0 and str(missing) in bad.stderr
    assert not (tmp_path / "x.html").exists() and not (tmp_path / "x.html.partial").exists()


def test_no_complete_week_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_periods (period_grain varchar, period_start date, period_end_date date,"
        " is_complete_period boolean)"
    )
    con.close()
    with pytest.raises(ReportError, match="no complete week"):
        write_report(tmp_path / "r.html", Warehouse(Settings(backend="duckdb", duckdb_path=path)))
    assert not (tmp_path / "r.html").exists()


def test_svg_bars_are_proportional_and_escaped():
    chart = svg.bar_chart(["a<b", "c"], [2.0, 1.0], "t & t")
    widths = [float(w) for w in re.findall(r"<rect x='[\d.]+' y='[\d.]+' width='([\d.]+)' height='16.0'", chart)]
    assert len(widths) == 2 and widths[0] == pytest.approx(2 * widths[1])
    assert "a&lt;b" in chart and "t &amp; t" in chart
    assert svg._nice_ticks(0, 95)[-1] >= 95 and svg._nice_ticks(-40, 95)[0] <= -40
