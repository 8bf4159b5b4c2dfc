"""The whole app in a real browser: Streamlit serving the hand-made fixture, Debian's Chromium driven by
Playwright. Screenshots land in tests/artifacts/ (git-ignored) for a person to look at."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import build_funnel_fixture

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
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
    db_path = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    build_funnel_fixture(db_path)
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
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    tab = context.new_page()
    yield tab
    context.close()


def tile_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def wait_for_tile(page, label: str, value: str, timeout_ms: int = 60000) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if tile_value(page, label) == value:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"tile {label} shows {tile_value(page, label)!r}, expected {value!r}")


def test_changing_a_filter_changes_the_funnel(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{server}/?start=2026-01-01&end=2026-03-31")
    page.wait_for_selector('[data-testid="stApp"]')
    page.get_by_role("heading", name="Funnel").wait_for(timeout=90000)
    wait_for_tile(page, "Lead", "7")
    page.locator(".js-plotly-plot").first.wait_for(timeout=90000)
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


def test_definitions_page_opens(server, page):
    page.goto(f"{server}/definitions")
    page.get_by_role("heading", name="Definitions").wait_for(timeout=90000)
    page.get_by_text("The stage model").wait_for()
    page.screenshot(path=str(ARTIFACTS / "definitions.png"))
