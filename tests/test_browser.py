"""The whole app in a real browser: Streamlit serving the hand-made fixture, Debian's Chromium driven by
Playwright (see browser_support.py). Screenshots land in tests/artifacts/ (git-ignored) for a person to look at."""

from __future__ import annotations

import pytest

from browser_support import ARTIFACTS, BROWSER, new_page, serve, tile_value, wait_for_tile
from conftest import build_funnel_fixture

pytestmark = BROWSER


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    build_funnel_fixture(db_path)
    with serve(db_path) as url:
        yield url


@pytest.fixture
def page(browser):
    with new_page(browser, height=2000) as tab:
        yield tab


def test_changing_a_filter_changes_the_funnel(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{server}/?start=2026-01-01&end=2026-03-31")
    page.wait_for_selector('[data-testid="stApp"]')
    page.get_by_role("heading", name="Funnel").wait_for()
    wait_for_tile(page, "Lead", "7")
    page.locator(".js-plotly-plot").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "funnel_all.png"))

    segment = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Segment")
    segment.locator('input').click()
    page.get_by_role("option", name="Enterprise").click()
    page.keyboard.press("Escape")

    # Enterprise in Q1 is L3 and L4: 2 leads, 1 SQL (see conftest).
    wait_for_tile(page, "Lead", "2")
    assert tile_value(page, "SQL") == "1"
    assert "segment=Enterprise" in page.url
    page.screenshot(path=str(ARTIFACTS / "funnel_enterprise.png"))

    # The Explore views open on request: the trend is a second chart, with its title.
    assert page.locator(".js-plotly-plot").count() == 1
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Trend").first.click()
    page.get_by_text("Conversion by month").wait_for()
    assert page.locator(".js-plotly-plot").count() == 2
    page.screenshot(path=str(ARTIFACTS / "funnel_trend.png"), full_page=True)


def test_definitions_page_opens(server, page):
    page.goto(f"{server}/definitions")
    page.get_by_role("heading", name="Definitions").wait_for()
    page.get_by_text("The stage model").wait_for()
    page.screenshot(path=str(ARTIFACTS / "definitions.png"))
