"""The Data page in a real browser: Streamlit serving an empty store, Debian's Chromium driven by
Playwright uploads the mini CRM export (tests/import_fixture.py) with its mapping, previews it, loads
it, and the Funnel then shows the data with its trust badge. Screenshots land in tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import ARTIFACTS, BROWSER, serve, tile_value
from data import db
from import_fixture import MAPPING, files

pytestmark = BROWSER


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("upload")
    for source in files():
        (folder / source.name).write_bytes(source.data)
    (folder / "mini.toml").write_text(MAPPING)
    return folder


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser_data") / "empty.duckdb"
    db.open_store(db_path).close()  # an empty store: the Data page is how data gets in
    with serve(db_path) as url:  # open demo mode acts as its first principal, an admin: imports allowed
        yield url


def uploader(page, label: str):
    return page.locator('[data-testid="stFileUploader"]').filter(has_text=label).locator('input[type="file"]')


def test_upload_preview_load_and_see_it_on_the_funnel(server, page, export):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server)  # an empty store opens on the Data page
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    page.get_by_text("No leads yet, so there is nothing to check").wait_for()

    page.get_by_text("Mapping file", exact=True).click()
    uploader(page, "Mapping file (TOML)").set_input_files(str(export / "mini.toml"))
    page.get_by_text("mini.toml").wait_for()
    page.wait_for_timeout(1000)  # let the rerun the upload started finish before the next upload
    uploader(page, "Export files").set_input_files([str(export / n) for n in ("campaigns.csv", "leads.csv",
                                                                             "deals.csv")])
    page.get_by_text("No problems found.").wait_for()
    page.get_by_text("What loading would do").wait_for()
    page.screenshot(path=str(ARTIFACTS / "data_preview.png"), full_page=True)

    page.get_by_role("button", name="Load into the store").click()
    page.get_by_text("Loaded as load 1").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    # Whole store: 2 of 5 leads have neither source nor campaign (see test_import_trust.py).
    assert tile_value(page, "Leads without source or campaign") == "40.0%"
    page.screenshot(path=str(ARTIFACTS / "data_loaded.png"), full_page=True)

    page.goto(f"{server}/?start=2026-01-01&end=2026-02-28")  # a new session on a store with leads: the Funnel
    page.get_by_role("heading", name="Funnel").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    assert tile_value(page, "Lead") == "5"
    page.get_by_text("Data trust, for the leads behind these numbers").wait_for()
    page.screenshot(path=str(ARTIFACTS / "funnel_trust_badge.png"))
