"""The KPI layer (analytics/kpis.py) on hand-made marts with known answers, and the direction of imports between the
pipeline, the marts reader and its consumers."""

from __future__ import annotations

import ast
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from analytics import kpis
from analytics.kpis import Kpi, fmt_change, fmt_value
from analytics.marts import Settings, Warehouse
from settings.paths import REPO_ROOT

D = date(2025, 3, 3)  # a Monday


@pytest.fixture(scope="module")
def reader(tmp_path_factory) -> Warehouse:
    """Four complete weeks and a partial fifth; funnel entrants on 21 days, windows closed up to D + 16."""
    path = tmp_path_factory.mktemp("kpis") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.dim_periods (period_grain varchar, period_start date, period_end_date date,"
            " is_complete_period boolean)"
        )
        for week in range(5):
            start = D + timedelta(days=7 * week)
            con.execute(
                "insert into marts.dim_periods values ('week', ?, ?, ?)", [start, start + timedelta(days=6), week < 4]
            )
        con.execute(
            "create table marts.funnel_conversion (entry_date date, acquisition_channel varchar, step_number integer,"
            " entered_users bigint, step_users bigint, is_window_closed boolean)"
        )
        # Per day and channel: 10 entrants (organic) / 20 (paid); 3 / 2 reach step 3; windows close after day 16.
        for day in range(21):
            entry = D + timedelta(days=day)
            for channel, entered, converted in (("organic", 10, 3), ("paid", 20, 2)):
                for step, reached in ((1, entered), (2, entered // 2), (3, converted)):
                    con.execute(
                        "insert into marts.funnel_conversion values (?, ?, ?, ?, ?, ?)",
                        [entry, channel, step, entered, reached, day <= 16],
                    )
    return Warehouse(Settings(backend="duckdb", duckdb_path=path))


def test_formats_one_per_kind():
    assert fmt_value(12345.678, "money") == "12,345.68"
    assert fmt_value(5.5, "money") == "5.50"
    assert fmt_value(1234.4) == "1,234"
    assert fmt_value(0.1234, "pct") == "12.3%"
    assert fmt_value(1.234, "ratio") == "1.23"
    assert fmt_value(None) == fmt_value(float("nan"), "money") == "n/a"
    assert fmt_change(0.25, 0.2, "pct") == "+5.0 pp"
    assert fmt_change(1.5, 2.0, "ratio") == "-0.50"
    assert fmt_change(110, 100) == fmt_change(110.0, 100.0, "money") == "+10.0%"
    assert fmt_change(5, 0) is None and fmt_change(None, 3) is None
    kpi = Kpi("Revenue", 90.0, 100.0, "money")
    assert (kpi.value_text, kpi.previous_text, kpi.change_text, kpi.direction) == ("90.00", "100.00", "-10.0%", "down")
    assert Kpi("x", 1.0, None).change_text == "n/a" and Kpi("x", 1.0, None).direction == "flat"


def test_complete_periods_come_from_dim_periods(reader):
    assert kpis.complete_periods(reader, "week", count=1) == [(D + timedelta(days=21), D + timedelta(days=27))]
    period = kpis.last_complete_period(reader, "week")
    assert (period.start, period.previous_start) == (D + timedelta(days=21), D + timedelta(days=14))
    period = kpis.last_complete_period(reader, "week", end=D + timedelta(days=20))  # the week ending D+20 counts
    assert (period.start, period.end) == (D + timedelta(days=14), D + timedelta(days=20))
    assert kpis.last_complete_period(reader, "week", end=D + timedelta(days=10)) is None  # one complete week only
    assert kpis.last_complete_period(reader, "month") is None


def test_conversion_cohort_is_the_last_complete_period_with_every_window_closed(reader):
    assert kpis.last_closed_entry_date(reader) == D + timedelta(days=16)
    cohort = kpis.conversion_cohort(reader, "week")
    assert (cohort.start, cohort.end, cohort.previous_start) == (D + timedelta(days=7), D + timedelta(days=13), D)
    assert kpis.conversion_cohort(reader, "week", end=D + timedelta(days=12)) is None


def test_conversion_reads_the_last_step_over_entrants_with_filters_and_by_channel(reader):
    week = (D, D + timedelta(days=6))
    assert kpis.conversion_rate(reader, *week) == pytest.approx((7 * 5) / (7 * 30))
    assert kpis.conversion_rate(reader, *week, {"acquisition_channel": ["paid"]}) == pytest.approx(0.1)
    by = kpis.conversion(reader, *week, by="acquisition_channel").set_index("acquisition_channel")
    assert by.loc["organic", "entered"] == 70 and by.loc["organic", "converted"] == 21
    assert by.loc["paid", "conversion"] == pytest.approx(0.1)
    assert kpis.conversion_rate(reader, D - timedelta(days=30), D - timedelta(days=1)) is None  # nobody entered


def _imports(folder: str) -> set[str]:
    names: set[str] = set()
    for path in (REPO_ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(Path(path).read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
    return names


def test_data_flows_one_way_between_pipeline_reader_and_consumers():
    assert not {"report", "dashboard", "analytics"} & _imports("pipeline")
    assert not {"report", "dashboard", "pipeline"} & _imports("analytics")
    assert not {"dashboard", "pipeline"} & _imports("report")
    assert not {"report", "pipeline"} & _imports("dashboard")
    assert "analytics" in _imports("report") and "analytics" in _imports("dashboard")
