"""Sign-in in a real browser: Streamlit serving the hand-made fixture (see conftest.py) with a users file and open
demo mode off, Debian's Chromium driven by Playwright (see browser_support.py). Each role signs in through the
form in a browser context of its own and finds what it may do. Screenshots land in tests/artifacts/ (git-ignored)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from browser_support import (
    ARTIFACTS,
    BROWSER,
    open_view,
    serve,
    wait_for_tile,
    wait_until_idle,
)
from conftest import build_funnel_fixture
from data import auth
from data.auth import UserEntry

Q1 = "start=2026-01-01&end=2026-03-31"
PASSWORD = "correct horse battery"
TILE = '[data-testid="stMetric"]'
VIEWER = UserEntry("vic", "Vic Viewer", "viewer")
SALES = UserEntry("sam", "Sam Seller", "sales", rep_id="sdr1")
MARKETING = UserEntry("mia", "Mia Marketer", "marketing")
ADMIN = UserEntry("ada", "Ada Admin", "admin")
EMEA_VIEWER = UserEntry("eve", "Eve Emea", "viewer", regions=("EMEA",))

pytestmark = BROWSER


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_sign_in")
    build_funnel_fixture(folder / "sign_in.duckdb")
    hashed = auth.hash_password(PASSWORD)
    users = {u.username: replace(u, password_hash=hashed) for u in (VIEWER, SALES, MARKETING, ADMIN, EMEA_VIEWER)}
    auth.save_users(folder / "users.toml", users)
    # Open demo mode off, so the users file's form is the only way in.
    with serve(folder / "sign_in.duckdb", env={"TANDEM_USERS": str(folder / "users.toml"),
                                               "TANDEM_OPEN_DEMO": None}) as url:
        yield url


def open_sign_in_form(page, server: str) -> None:
    page.goto(f"{server}/?{Q1}")
    page.get_by_label("Password", exact=True).wait_for()
    wait_until_idle(page)
    assert page.locator(TILE).count() == 0, "a number is shown before sign-in"


def submit(page, username: str, password: str) -> None:
    page.get_by_label("User name", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page, server: str, user: UserEntry) -> None:
    """Sign in through the form; wait for the Funnel and the sidebar naming who is signed in (name in bold)."""
    open_sign_in_form(page, server)
    submit(page, user.username, PASSWORD)
    page.get_by_role("heading", name="Funnel").wait_for()
    account = page.get_by_test_id("stSidebar").get_by_test_id("stCaptionContainer").filter(
        has_text=f"Signed in as {user.display_name} ({user.role})")
    account.locator("strong", has_text=user.display_name).wait_for()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"sign_in_{name}.png"))


def test_a_wrong_password_is_refused_and_shows_no_number(server, page):
    open_sign_in_form(page, server)
    screenshot(page, "form")
    submit(page, VIEWER.username, "not the password")
    page.get_by_text("Wrong user name or password.").wait_for()
    wait_until_idle(page)
    assert page.locator(TILE).count() == 0
    screenshot(page, "wrong_password")


def test_a_viewer_reads_feedback_but_gives_none(server, page):
    sign_in(page, server, VIEWER)
    open_view(page, "Feedback")
    page.get_by_role("radio", name="Give feedback", exact=True).click()
    page.get_by_text("Sales gives feedback on leads and campaigns").wait_for()
    wait_until_idle(page)
    assert page.get_by_role("button", name="Submit verdict").count() == 0
    screenshot(page, "viewer")


def test_sales_gives_feedback(server, page):
    sign_in(page, server, SALES)
    open_view(page, "Feedback")
    page.get_by_role("button", name="Submit verdict").wait_for()
    screenshot(page, "sales")


def test_marketing_sees_the_data_page_but_imports_nothing(server, page):
    sign_in(page, server, MARKETING)
    open_view(page, "Data")
    page.get_by_text("Admins import data").wait_for()
    wait_until_idle(page)
    assert page.get_by_test_id("stFileUploader").count() == 0
    screenshot(page, "marketing")


def test_an_admin_imports_and_reads_the_audit_log(server, page):
    sign_in(page, server, ADMIN)
    open_view(page, "Data")
    page.get_by_role("heading", name="Audit log").wait_for()
    page.get_by_test_id("stFileUploader").filter(has_text="Export files").wait_for()
    screenshot(page, "admin")


def test_a_viewer_limited_to_emea_counts_and_filters_emea_only(server, page):
    sign_in(page, server, EMEA_VIEWER)
    # EMEA's Q1 leads are L3, L4, L5 and L8 (see conftest).
    wait_for_tile(page, "Lead", "4")
    page.locator('[data-testid="stMultiSelect"]').filter(has_text="Region").locator("input").click()
    page.get_by_role("option").first.wait_for()
    assert page.get_by_role("option").all_inner_texts() == ["EMEA"]
    screenshot(page, "emea_viewer")
