"""The Campaign ROI page in a real browser: Streamlit serving tests/attribution_fixture.py, Debian's Chromium
driven by Playwright (helpers as in test_browser.py). Screenshots land in tests/artifacts/ for a person to see."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from attribution_fixture import build_attribution_fixture

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
Q1 = "start=2026-01-01&end=2026-03-31"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer at {url} within {seconds} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser_campaigns") / "campaigns.duckdb"
    build_attribution_fixture(db_path)
    port = _free_port()
    env = {**os.environ, "TANDEM_DB": str(db_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2400})
    tab = context.new_page()
    yield tab
    context.close()


def tile_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def wait_for_tile(page, label: str, value: str, timeout_ms: int = 20000) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if tile_value(page, label) == value:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"tile {label} shows {tile_value(page, label)!r}, expected {value!r}")


def open_campaigns(page, server: str, query: str = Q1) -> None:
    # The app's entry first: a fresh server runs a deep link as a bare page until the router has run once.
    page.goto(f"{server}/?{query}")
    page.get_by_role("heading", name="Funnel").wait_for(timeout=30000)
    page.get_by_role("link", name="Campaign ROI").click()
    page.get_by_role("heading", name="Campaign ROI").wait_for(timeout=30000)
    # The Funnel's charts may linger hidden while this page draws: wait for a visible one.
    page.locator(".js-plotly-plot >> visible=true").first.wait_for(timeout=60000)


def test_model_choice_changes_roi_and_filters_change_customers(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_campaigns(page, server)
    # Spend 1,550, attributed revenue 16,500 -> ROI 9.6x; six new customers (see attribution_fixture.py).
    wait_for_tile(page, "ROI", "9.6×")
    assert tile_value(page, "New customers") == "6"
    # W-shaped: Search ads earns 7,300 on 1,000 -> ROI 6.3x, ROAS 7.3x, printed beside its bar.
    page.get_by_text("6.3× · ROAS 7.3×").first.wait_for(timeout=20000)
    page.screenshot(path=str(ARTIFACTS / "campaigns_w_shaped.png"))

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Attribution model").click()
    page.get_by_role("option", name="First touch").click()
    # First touch: Search ads earns 16,000 -> ROI 15.0x, ROAS 16.0x.
    page.get_by_text("15.0× · ROAS 16.0×").first.wait_for(timeout=20000)

    segment = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Segment")
    segment.locator("input").click()
    page.get_by_role("option", name="Enterprise").click()
    page.keyboard.press("Escape")
    # Enterprise holds one deal, D3: one new customer, and spend stays whole (the page warns).
    wait_for_tile(page, "New customers", "1")
    page.get_by_text("Spend and costs cannot be split by segment").wait_for(timeout=20000)
    assert "segment=Enterprise" in page.url


def test_model_comparison_flags_disagreement(server, page):
    open_campaigns(page, server)
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Model comparison").first.click()
    page.get_by_text("stands furthest from the others").wait_for(timeout=60000)
    page.locator(".js-plotly-plot >> visible=true").first.wait_for(timeout=60000)
    page.screenshot(path=str(ARTIFACTS / "campaigns_comparison.png"))
