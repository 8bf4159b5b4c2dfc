"""The feedback loop in a real browser: Streamlit serving the hand-made feedback fixture, Debian's Chromium
driven by Playwright. A sales rep submits a rejection; after a reload, marketing finds it in its inbox, its
note shown as text. Screenshots land in tests/artifacts/ (git-ignored) for a person to look at."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from feedback_fixture import build_feedback_fixture

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
NOTE = "Browser check: <b>not bold</b> & <script>alert(1)</script>"

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
    db_path = tmp_path_factory.mktemp("browser_feedback") / "browser_feedback.duckdb"
    build_feedback_fixture(db_path)
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


def pick(page, label: str, option: str) -> None:
    """Choose `option` in the select box labelled `label`."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    page.get_by_role("option", name=option).first.click()


def open_feedback(page, server: str, acting_as: str) -> None:
    # The first request of a fresh server must be the router: until app.py has run st.navigation once,
    # Streamlit treats a deep link as an old-style pages/ app.
    page.goto(f"{server}/?start=2026-03-01&end=2026-03-31")
    page.get_by_role("heading", name="Funnel").wait_for(timeout=30000)
    page.goto(f"{server}/feedback?start=2026-03-01&end=2026-03-31")
    page.get_by_role("heading", name="Feedback").wait_for(timeout=30000)
    pick(page, "Acting as", acting_as)
    page.wait_for_timeout(1500)


def test_a_rejection_reaches_marketings_inbox(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_feedback(page, server, "Sue Sdr · SDR Beta")
    page.get_by_role("radio", name="Give feedback", exact=True).click()
    pick(page, "Lead", "M5 · Webinar")
    page.get_by_test_id("stRadioGroup").get_by_text("Reject", exact=True).click()
    pick(page, "Reason (required to reject", "No budget")
    page.locator("textarea[aria-label=\"Note\"]").first.fill(NOTE)
    page.get_by_role("button", name="Submit verdict").click()
    page.get_by_text("Reject: lead M5 recorded as Sue Sdr").wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "feedback_given.png"))

    page.reload()
    page.get_by_role("heading", name="Feedback").wait_for(timeout=30000)
    pick(page, "Acting as", "Mia Marketer · Demand Gen")
    page.get_by_role("radio", name="Inbox", exact=True).click()
    # The note is a table cell: its markup arrives as the literal text sales typed.
    page.get_by_text(NOTE, exact=True).first.wait_for(state="attached", timeout=30000)
    assert page.locator('[data-testid="stMarkdownContainer"] b', has_text="not bold").count() == 0
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "feedback_inbox.png"))


def test_sla_page_shows_both_sides(server, page):
    page.goto(f"{server}/?start=2026-03-01&end=2026-03-31")
    page.get_by_role("heading", name="Funnel").wait_for(timeout=30000)
    page.goto(f"{server}/sla?start=2026-03-01&end=2026-03-31")
    page.get_by_role("heading", name="SLA ledger").wait_for(timeout=30000)
    page.get_by_text("Sales owes marketing").wait_for()
    page.get_by_text("Marketing owes sales").wait_for()
    page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
    page.screenshot(path=str(ARTIFACTS / "sla.png"))
