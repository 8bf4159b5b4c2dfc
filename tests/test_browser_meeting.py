"""The Meeting page in a real browser: Streamlit serving the meeting fixture (one snapshot frozen, one action
overdue), Debian's Chromium driven by Playwright. The brief is downloaded from the page, opened as a reader
would, and printed: it must fit one A4 page. Screenshots land in tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from data import db, meetings
from data.meetings import ItemInput
from meeting_fixture import FEB, MAYA, at, build_meeting_fixture
from metrics.meeting import board

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FEBRUARY = "start=2026-02-01&end=2026-02-28"

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


def _meeting_store(path: Path) -> None:
    """The fixture with February frozen on 2 Mar and an action that was due on 6 Mar, still open."""
    build_meeting_fixture(path)
    con = db.open_store(path)
    cur = con.cursor()
    snapshot_id = meetings.freeze(cur, MAYA, "February review", FEB, board(cur, FEB), at=at(2))
    meetings.record_item(cur, MAYA, ItemInput(snapshot_id, "action", "Require a work e-mail on the form", "marketing",
                                              "mk1", date(2026, 3, 6), campaign_id="c2"), at=at(2, hour=10))
    con.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser_meeting") / "meeting.duckdb"
    _meeting_store(db_path)
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
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()


def tile_value(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def wait_until_idle(page, timeout_ms: int = 60000) -> None:
    """Until Streamlit's running indicator is gone."""
    deadline = time.monotonic() + timeout_ms / 1000
    page.wait_for_timeout(300)
    while time.monotonic() < deadline and page.locator('[data-testid="stStatusWidget"]').count():
        page.wait_for_timeout(200)


def open_meeting(page, server: str) -> None:
    # The app's front door first, then the Meeting page from the navigation, as a person would.
    page.goto(f"{server}/?{FEBRUARY}")
    page.get_by_role("heading", name="Funnel").wait_for(timeout=60000)
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="Meeting").click()
    page.get_by_role("heading", name="Meeting", exact=True).wait_for(timeout=60000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60000)
    wait_until_idle(page)


def test_the_meeting_page_live_and_frozen(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_meeting(page, server)
    # February against Jan 4-31: 2 leads against 3 (tests/meeting_fixture.py).
    assert tile_value(page, "Leads") == "2"
    assert "segment" not in page.url and "start=2026-02-01" in page.url
    page.screenshot(path=str(ARTIFACTS / "meeting_live.png"))

    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Snapshot").first.click()
    page.get_by_text("They will not change, whatever is loaded later").wait_for(timeout=30000)
    wait_until_idle(page)
    page.get_by_text("1 open item(s) past their due date.").wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "meeting_snapshot.png"))


def test_the_brief_downloads_and_prints_on_one_page(server, page, browser):
    open_meeting(page, server)
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Snapshot").first.click()
    page.get_by_text("They will not change, whatever is loaded later").wait_for(timeout=30000)
    wait_until_idle(page)
    with page.expect_download(timeout=180000) as download:
        page.get_by_role("button", name="Download the one-page brief (HTML)").click()
    saved = ARTIFACTS / "meeting_brief_download.html"
    download.value.save_as(saved)
    text = saved.read_text()
    assert "February review" in text and "data:image/png;base64," in text

    reader = browser.new_page(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    reader.goto(saved.as_uri())
    reader.get_by_role("heading", name="Decisions and actions").wait_for()
    assert reader.locator("img").count() == 2
    assert reader.locator("tr.late").filter(has_text="Require a work e-mail").count() == 1
    reader.screenshot(path=str(ARTIFACTS / "meeting_brief.png"), full_page=True)
    pdf = reader.pdf(format="A4", print_background=True)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1, "the brief spills onto a second page"
    reader.close()
