"""The Ask page in a real browser (headless Debian Chromium, as tests/test_dashboard_browser.py runs it): type a
question, see the interpretation, the chart and the rows; a refused question; an ambiguous one answered by a button.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pandas as pd
import pytest

from tests.ask_questions import TODAY
from tests.test_dashboard_browser import SCREENSHOTS, Dashboard, PageWatch, exceptions, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def ask_dashboard(built_duckdb, ask_manifest, tmp_path_factory) -> Iterator[Dashboard]:
    tmp = tmp_path_factory.mktemp("ask_dashboard")
    copy = tmp / "warehouse.duckdb"
    shutil.copyfile(built_duckdb.duckdb_path, copy)
    saved = {k: os.environ.get(k) for k in ("ASK_MANIFEST", "ASK_TODAY", "ASK_LLM_URL")}
    os.environ.update({"ASK_MANIFEST": str(ask_manifest), "ASK_TODAY": TODAY.isoformat()})
    os.environ.pop("ASK_LLM_URL", None)
    try:
        server = Dashboard(copy, tmp / "streamlit.log")  # the server copies the environment when it starts
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    yield server
    server.stop()


def ask(page, question: str) -> None:
    box = page.get_by_label("Question")
    box.fill(question)
    page.get_by_role("button", name="Ask", exact=True).click()


def test_ask_page_answers_refuses_and_offers_choices(browser, ask_dashboard, built_duckdb, tmp_path):
    watch = PageWatch(browser)
    page = watch.page
    try:
        page.goto(f"{ask_dashboard.url}/ask")  # straight to the page: the overview's charts would only slow it
        wait_idle(page)
        assert page.locator("h1").first.inner_text().startswith("Ask")

        # 1. an answer: interpretation in words, the mf query, a chart and the rows
        ask(page, "top 3 channels by sign ups last month")
        page.get_by_text("Understood: Sign-ups, by channel, from 2025-05-01 to 2025-05-31").wait_for(timeout=300_000)
        wait_idle(page)
        assert "mf query --metrics sign_ups --group-by user__channel" in page.locator("code").first.inner_text()
        assert page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count() == 1
        counts = built_duckdb.query(
            "select acquisition_channel, count(*) as n from marts.dim_users"
            " where signup_date between '2025-05-01' and '2025-05-31' group by 1"
        )
        expected = dict(zip(counts["acquisition_channel"], counts["n"].astype(int), strict=True))
        assert page.locator('[data-testid="stDataFrame"]').first.is_visible()
        with page.expect_download() as info:
            page.get_by_role("button", name="Download answer (CSV)").click()
        target = tmp_path / "answer.csv"
        info.value.save_as(target)
        got = pd.read_csv(target)
        # ties may come in any order: the three counts are the three largest, each the channel's own count
        assert list(got["sign_ups"].astype(int)) == sorted(expected.values(), reverse=True)[:3]
        assert all(expected[c] == n for c, n in zip(got["user__channel"], got["sign_ups"].astype(int), strict=True))
        page.screenshot(path=str(_shot("ask_answer")), full_page=True)

        # 2. a second question over time, drawn as lines
        ask(page, "weekly active users by channel since March")
        page.get_by_text("Understood: Active users per week, by channel, from 2025-03-01 on.").wait_for(timeout=120_000)
        wait_idle(page)
        assert page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count() == 1
        assert exceptions(page) == []

        # 3. refused: the unknown words are named, with the closest known ones
        ask(page, "revnue by chanel")
        alert = page.locator('[data-testid="stAlert"]').filter(has_text="did not understand")
        alert.wait_for(timeout=120_000)
        wait_idle(page)  # the previous answer's chart leaves when the run ends
        assert "revnue" in alert.inner_text() and "revenue" in alert.inner_text()
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
        page.screenshot(path=str(_shot("ask_refused")), full_page=True)

        # 4. ambiguous: the meanings as buttons; a click answers the chosen one
        ask(page, "users by device")
        page.get_by_text("could mean").wait_for(timeout=120_000)
        wait_idle(page)
        for label in ("Active users", "New users", "Sign-ups"):
            assert page.get_by_role("button", name=label, exact=True).count() == 1
        page.screenshot(path=str(_shot("ask_ambiguous")), full_page=True)
        page.get_by_role("button", name="Active users", exact=True).click()
        page.get_by_text("Understood: Active users, by device, over all time.").wait_for(timeout=120_000)
        wait_idle(page)
        assert page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot').count() == 1
        assert exceptions(page) == []
        # A deep URL makes Streamlit probe <page>/_stcore/health, which logs 404s that are not the app's (decisions.md)
        assert [e for e in watch.errors if "status of 404" not in e] == []
    finally:
        watch.close()


def _shot(name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
