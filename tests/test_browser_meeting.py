"""The Meeting page in a real browser: Streamlit serving the meeting fixture (one snapshot frozen, one action
overdue), Debian's Chromium driven by Playwright (see browser_support.py). The brief is downloaded from the page,
opened as a reader would, and printed: it must fit one A4 page. Screenshots land in tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, BROWSER, new_page, open_view, serve, tile_value, wait_until_idle
from data import db, meetings
from data.meetings import ItemInput
from meeting_fixture import FEB, MAYA, at, build_meeting_fixture
from metrics.meeting import board

FEBRUARY = "start=2026-02-01&end=2026-02-28"

pytestmark = BROWSER


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
    with serve(db_path) as url:
        yield url


@pytest.fixture
def page(browser):
    with new_page(browser, accept_downloads=True) as tab:
        yield tab


def open_meeting(page, server: str) -> None:
    # The app's front door first, then the Meeting page from the navigation, as a person would.
    page.goto(f"{server}/?{FEBRUARY}")
    page.get_by_role("heading", name="Funnel").wait_for()
    open_view(page, "Meeting")
    page.locator(".js-plotly-plot").first.wait_for()
    wait_until_idle(page)


def test_the_meeting_page_live_and_frozen(server, page):
    ARTIFACTS.mkdir(exist_ok=True)
    open_meeting(page, server)
    # February against Jan 4-31: 2 leads against 3 (tests/meeting_fixture.py).
    assert tile_value(page, "Leads") == "2"
    assert "segment" not in page.url and "start=2026-02-01" in page.url
    page.screenshot(path=str(ARTIFACTS / "meeting_live.png"))

    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Snapshot").first.click()
    page.get_by_text("They will not change, whatever is loaded later").wait_for()
    wait_until_idle(page)
    page.get_by_text("1 open item(s) past their due date.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "meeting_snapshot.png"))


def test_the_brief_downloads_and_prints_on_one_page(server, page, browser):
    open_meeting(page, server)
    page.locator('[data-testid="stButtonGroup"] button').filter(has_text="Snapshot").first.click()
    page.get_by_text("They will not change, whatever is loaded later").wait_for()
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
