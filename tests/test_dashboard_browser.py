"""The dashboard in a real browser: headless Debian Chromium driven by Playwright, on the small DuckDB warehouse.

Starts `streamlit run dashboard/app.py` on a free localhost port against a copy of the test warehouse, visits every
page through the sidebar navigation, and fails on a Streamlit exception or a browser console error. Screenshots go
to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from dashboard.views import PAGES
from pipeline.dbt import REPO_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
# Plotly charts each page draws on the small saas dataset (at least).
MIN_CHARTS = {
    "overview": 2,
    "growth": 2,
    "retention": 4,
    "funnel": 4,
    "engagement": 8,
    "revenue": 7,
    "acquisition": 5,
    "experiments": 2,
    "churn": 3,
}


# -- browser -----------------------------------------------------------------------------------------------------
def ensure_chromium() -> str:
    """Debian's chromium, installed by scripts/install_chromium.sh when missing."""
    if not Path(CHROMIUM).exists():
        proc = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "install_chromium.sh")], capture_output=True, text=True
        )
        if proc.returncode != 0 or not Path(CHROMIUM).exists():
            message = f"chromium unavailable: {(proc.stderr or proc.stdout).strip()[-300:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return CHROMIUM


class PageWatch:
    """A browser page that records console errors and uncaught page errors."""

    def __init__(self, browser, height: int = 2400) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": height}, accept_downloads=True)
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def close(self) -> None:
        self.page.close()


# -- the dashboard server ------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dashboard:
    def __init__(self, duckdb_path: Path, log: Path) -> None:
        self.duckdb_path = duckdb_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            {
                "DUCKDB_PATH": str(duckdb_path),
                "DBT_TARGET": "duckdb",
                "DASHBOARD_CACHE_TTL": "0",  # read the warehouse on every rerun: the lock test needs it
                "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
            }
        )
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "streamlit"),
                "run",
                "dashboard/app.py",
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(self.port),
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("streamlit did not answer within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def dashboard(churn_trained_duckdb, tmp_path_factory) -> Iterator[Dashboard]:
    built_duckdb, _ = churn_trained_duckdb  # the small dataset with the churn model trained (the Churn risk page)
    tmp = tmp_path_factory.mktemp("dashboard")
    copy = tmp / "warehouse.duckdb"  # a copy: the tests lock and alter it
    shutil.copyfile(built_duckdb.duckdb_path, copy)
    server = Dashboard(copy, tmp / "streamlit.log")
    yield server
    server.stop()


SNAPSHOT_JS = """() => [
    !!document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]'),
    document.querySelectorAll('[data-testid="stPlotlyChart"]').length,
    document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length,
    document.querySelectorAll('[data-testid="stElementContainer"]').length,
    document.querySelectorAll('[data-testid="stSkeleton"]').length,
]"""


def wait_idle(page, timeout_s: float = 120) -> None:
    """Until the script run has finished, every Plotly chart has drawn and the page stopped changing for ~1.5 s."""
    page.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    last, stable = None, 0
    while time.monotonic() < deadline:
        running, charts, drawn, elements, skeletons = page.evaluate(SNAPSHOT_JS)
        snapshot = (charts, drawn, elements)
        idle = not running and not skeletons and drawn >= charts and elements > 0
        stable = stable + 1 if idle and snapshot == last else 0
        if stable >= 5:
            return
        last = snapshot
        page.wait_for_timeout(300)
    raise AssertionError(f"the page did not settle within {timeout_s:.0f} s")


def exceptions(page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()


def open_page(watch: PageWatch, dashboard: Dashboard, url_path: str) -> None:
    """Navigate as a person does: load the app once, then click the page in the sidebar."""
    page = watch.page
    if not page.url.startswith(dashboard.url):
        page.goto(dashboard.url)
        wait_idle(page)
    href = "/" if url_path == "overview" else f"/{url_path}"
    page.locator(f'[data-testid="stSidebarNavLink"][href="{dashboard.url}{href}"]').click()
    page.wait_for_url(f"{dashboard.url}{href}")
    wait_idle(page)


def metric_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


@pytest.fixture(scope="module")
def watch(browser) -> Iterator[PageWatch]:
    w = PageWatch(browser)
    yield w
    w.close()


# -- tests ---------------------------------------------------------------------------------------------------------
CHART_PAGES = [p for p in PAGES if p.URL != "ask"]  # the Ask page draws on a question: test_ask_browser.py


@pytest.mark.parametrize("page_module", CHART_PAGES, ids=[p.URL for p in CHART_PAGES])
def test_every_page_draws_its_charts_without_errors(watch, dashboard, page_module):
    watch.errors.clear()
    open_page(watch, dashboard, page_module.URL)
    page = watch.page
    assert page.locator("h1").first.inner_text().startswith(page_module.TITLE.split()[0])
    assert exceptions(page) == []
    charts = page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count()
    assert charts >= MIN_CHARTS[page_module.URL], f"{page_module.URL}: {charts} charts"
    assert page.locator('[data-testid="stAlert"]').filter(has_text="Nothing to show").count() == 0
    assert page.get_by_role("button", name=re.compile(r"^Download .* \(CSV\)$")).count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{page_module.URL}.png"), full_page=True)
    assert watch.errors == []


def test_channel_filter_changes_the_active_users_kpi(watch, dashboard, built_duckdb):
    open_page(watch, dashboard, "overview")
    page = watch.page
    before = metric_value(page, "Active users")
    period = page.locator("text=/Last complete week:/").inner_text()
    start, end = re.findall(r"\d{4}-\d{2}-\d{2}", period)[:2]
    channel = "organic"
    expected = built_duckdb.query(
        "select count(distinct user_id) as n from marts.fct_user_activity_daily"
        " where acquisition_channel = ? and activity_date between ? and ?",
        [channel, start, end],
    )["n"].iloc[0]

    box = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Channel")
    box.click()
    page.get_by_role("option", name=channel, exact=True).click()
    page.keyboard.press("Escape")
    page.wait_for_function(
        "([label, before]) => { const m = [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".find(e => e.innerText.includes(label)); return m && !m.innerText.includes(before); }",
        arg=["Active users", before],
        timeout=60_000,
    )
    wait_idle(page)
    after = metric_value(page, "Active users")
    assert after != before
    assert after == f"{int(expected):,}"
    page.screenshot(path=str(SCREENSHOTS / "overview_filtered.png"), full_page=True)
    # clear the filter for the tests after this one
    box.locator('[aria-label="Clear all"], [title="Clear all"]').first.click()
    wait_idle(page)
    assert metric_value(page, "Active users") == before
    assert exceptions(page) == [] and watch.errors == []


def test_csv_download_holds_the_table(watch, dashboard, built_duckdb, tmp_path):
    open_page(watch, dashboard, "overview")
    page = watch.page
    with page.expect_download() as info:
        page.get_by_role("button", name="Download daily metrics (CSV)").click()
    target = tmp_path / "daily.csv"
    info.value.save_as(target)
    got = pd.read_csv(target)
    expected = built_duckdb.query("select * from marts.fct_daily_metrics order by date_day")
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    assert got["signups"].sum() == expected["signups"].sum()
    assert got["date_day"].iloc[0] == str(pd.Timestamp(expected["date_day"].iloc[0]).date())


def test_locked_warehouse_shows_the_last_good_data(watch, dashboard):
    """While a writer (dbt build) holds DuckDB's lock, pages keep their last good data and say so."""
    import duckdb

    open_page(watch, dashboard, "overview")
    page = watch.page
    charts = page.locator('[data-testid="stPlotlyChart"]').count()
    active = metric_value(page, "Active users")
    writer = duckdb.connect(str(dashboard.duckdb_path))  # read-write: takes the file lock like dbt does
    try:
        page.goto(dashboard.url)  # a new session, as when someone opens the dashboard during a build
        wait_idle(page)
        page.get_by_text("The warehouse is busy").wait_for(timeout=60_000)
        assert exceptions(page) == []
        assert page.locator('[data-testid="stPlotlyChart"]').count() == charts
        assert metric_value(page, "Active users") == active
        page.screenshot(path=str(SCREENSHOTS / "overview_while_locked.png"), full_page=True)
    finally:
        writer.close()
    page.goto(dashboard.url)
    wait_idle(page)
    assert page.get_by_text("The warehouse is busy").count() == 0
    assert exceptions(page) == [] and watch.errors == []


def test_empty_or_missing_marts_are_reported_not_raised(watch, dashboard):
    import duckdb

    watch.errors.clear()
    con = duckdb.connect(str(dashboard.duckdb_path))
    try:
        con.execute("delete from marts.experiment_results")
        con.execute("drop table marts.attribution_by_channel")
    finally:
        con.close()
    for title, notice in (("Experiments", "is empty for this dataset"), ("Acquisition", "is not built")):
        open_page(watch, dashboard, title.lower())
        page = watch.page
        assert exceptions(page) == []
        assert page.locator('[data-testid="stAlert"]').filter(has_text=notice).count() >= 1, title
        page.screenshot(path=str(SCREENSHOTS / f"{title.lower()}_empty.png"), full_page=True)
    assert watch.errors == []
