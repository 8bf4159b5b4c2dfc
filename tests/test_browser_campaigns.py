"""The Campaign ROI page in a real browser: Streamlit serving tests/attribution_fixture.py, Debian's Chromium
driven by Playwright (see browser_support.py). Screenshots land in tests/artifacts/ for a person to see."""

from __future__ import annotations

import pytest

from attribution_fixture import build_attribution_fixture
from browser_support import ARTIFACTS, BROWSER, serve, tile_value, wait_for_tile

Q1 = "start=2026-01-01&end=2026-03-31"

pytestmark = BROWSER


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser_campaigns") / "campaigns.duckdb"
    build_attribution_fixture(db_path)
    with serve(db_path) as url:
        yield url


def open_campaigns(page, server: str, query: str = Q1) -> None:
    page.goto(f"{server}/campaigns?{query}")
    page.get_by_role("heading", name="Campaign ROI").wait_for()
    page.locator(".js-plotly-plot >> visible=true").first.wait_for()


def test_model_choice_changes_roi_and_filters_change_customers(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_campaigns(page, server)
    # Spend 1,550, attributed revenue 16,500 -> ROI 9.6x; six new customers (see attribution_fixture.py).
    wait_for_tile(page, "ROI", "9.6×")
    assert tile_value(page, "New customers") == "6"
    # W-shaped: Search ads earns 7,300 on 1,000 -> ROI 6.3x, ROAS 7.3x, printed beside its bar.
    page.get_by_text("6.3× · ROAS 7.3×").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "campaigns_w_shaped.png"))

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Attribution model").click()
    page.get_by_role("option", name="First touch").click()
    # First touch: Search ads earns 16,000 -> ROI 15.0x, ROAS 16.0x.
    page.get_by_text("15.0× · ROAS 16.0×").first.wait_for()

    segment = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Segment")
    segment.locator("input").click()
    page.get_by_role("option", name="Enterprise").click()
    page.keyboard.press("Escape")
    # Enterprise holds one deal, D3: one new customer, and spend stays whole (the page warns).
    wait_for_tile(page, "New customers", "1")
    page.get_by_text("Spend and costs cannot be split by segment").wait_for()
    assert "segment=Enterprise" in page.url


def test_model_comparison_flags_disagreement(server, page):
    open_campaigns(page, server)
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Model comparison").first.click()
    page.get_by_text("stands furthest from the others").wait_for()
    page.locator(".js-plotly-plot >> visible=true").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "campaigns_comparison.png"))
