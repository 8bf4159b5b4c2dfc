"""The feedback loop in a real browser: Streamlit serving the hand-made feedback fixture, Debian's Chromium
driven by Playwright (see browser_support.py). A sales rep submits a rejection; after a reload, marketing finds
it in its inbox, its note shown as text. Screenshots land in tests/artifacts/ (git-ignored) for a person to look at."""

from __future__ import annotations

import pytest

from browser_support import ARTIFACTS, BROWSER, pick, serve
from feedback_fixture import build_feedback_fixture

MARCH = "start=2026-03-01&end=2026-03-31"
NOTE = "Browser check: <b>not bold</b> & <script>alert(1)</script>"

pytestmark = BROWSER


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser_feedback") / "browser_feedback.duckdb"
    build_feedback_fixture(db_path)
    with serve(db_path) as url:
        yield url


def act_as(page, principal: str) -> None:
    """Open demo mode: pick who to act as in the sidebar, then let the page redraw as them."""
    pick(page, "Acting as", principal)
    page.wait_for_timeout(1500)


def open_feedback(page, server: str, acting_as: str) -> None:
    page.goto(f"{server}/feedback?{MARCH}")
    page.get_by_role("heading", name="Feedback").wait_for()
    act_as(page, acting_as)


def test_a_rejection_reaches_marketings_inbox(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_feedback(page, server, "Sue Sdr · SDR Beta · sales")
    page.get_by_role("radio", name="Give feedback", exact=True).click()
    pick(page, "Lead", "M5 · Webinar")
    page.get_by_test_id("stRadioGroup").get_by_text("Reject", exact=True).click()
    pick(page, "Reason (required to reject", "No budget")
    page.locator("textarea[aria-label=\"Note\"]").first.fill(NOTE)
    page.get_by_role("button", name="Submit verdict").click()
    page.get_by_text("Reject: lead M5 recorded as Sue Sdr").wait_for()
    page.screenshot(path=str(ARTIFACTS / "feedback_given.png"))

    page.reload()
    page.get_by_role("heading", name="Feedback").wait_for()
    act_as(page, "Mia Marketer · Demand Gen · marketing")
    page.get_by_role("radio", name="Inbox", exact=True).click()
    # The note is a table cell: its markup arrives as the literal text sales typed.
    page.get_by_text(NOTE, exact=True).first.wait_for(state="attached")
    assert page.locator('[data-testid="stMarkdownContainer"] b', has_text="not bold").count() == 0
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "feedback_inbox.png"))


def test_sla_page_shows_both_sides(server, page):
    page.goto(f"{server}/sla?{MARCH}")
    page.get_by_role("heading", name="SLA ledger").wait_for()
    page.get_by_text("Sales owes marketing").wait_for()
    page.get_by_text("Marketing owes sales").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "sla.png"))
