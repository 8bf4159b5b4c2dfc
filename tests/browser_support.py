"""What the real-browser tests share: Streamlit serving a store headless on a free port, Debian's Chromium driven
by Playwright, and helpers that read a Streamlit page. Screenshots land in ARTIFACTS (git-ignored) for a person
to look at."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Generous: the test machine is small and shared, and a cold Streamlit run imports Plotly and DuckDB.
STARTUP_SECONDS = 180
WAIT_MS = 90_000

# Each browser test module sets `pytestmark = BROWSER`.
BROWSER = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is missing: apt-get install -y chromium"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = STARTUP_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer at {url} within {seconds} s:\n{log.read_text()}")


def server_env(db_path: Path, missing_users: Path, env: dict[str, str | None] | None) -> dict[str, str]:
    """The test process's environment with the store set, in open demo mode with no users file unless `env`
    says otherwise; a None value in `env` removes that variable."""
    merged = {**os.environ, "TANDEM_DB": str(db_path), "TANDEM_OPEN_DEMO": "1", "TANDEM_USERS": str(missing_users),
              **(env or {})}
    return {name: value for name, value in merged.items() if value is not None}


@contextmanager
def serve(db_path: Path, env: dict[str, str | None] | None = None) -> Iterator[str]:
    """`streamlit run app.py` headless on a free port over the store at `db_path`; yields its URL, stops it after.
    Its output goes to a log file, not a pipe nobody drains, and is shown if it fails to start."""
    with tempfile.TemporaryDirectory(prefix="tandem_serve_") as folder:
        log = Path(folder) / "streamlit.log"
        port = free_port()
        with open(log, "w") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
                 "--server.headless", "true", "--server.address", "127.0.0.1"],
                cwd=ROOT, env=server_env(db_path, Path(folder) / "no_users.toml", env),
                stdout=output, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, process, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


@contextmanager
def launch_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def new_page(browser, height: int = 2400, **context_options):
    """A tab in a context of its own (no cookies or session shared with other tests). Tall: Streamlit scrolls an
    inner container, so a screenshot shows only what the viewport holds."""
    context = browser.new_context(viewport={"width": 1400, "height": height}, **context_options)
    context.set_default_timeout(WAIT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def tile_value(page, label: str) -> str | None:
    """What the KPI tile labelled `label` shows; None while there is no such tile."""
    metric = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text() if metric.count() else None


def wait_for_tile(page, label: str, value: str, timeout_ms: int = WAIT_MS) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if tile_value(page, label) == value:
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"tile {label} shows {tile_value(page, label)!r}, expected {value!r}")


def wait_until_idle(page, timeout_ms: int = WAIT_MS) -> None:
    """Until Streamlit's running indicator is gone."""
    deadline = time.monotonic() + timeout_ms / 1000
    page.wait_for_timeout(300)
    while time.monotonic() < deadline and page.locator('[data-testid="stStatusWidget"]').count():
        page.wait_for_timeout(200)


def pick(page, label: str, option: str, exact: bool = False) -> None:
    """Choose `option` in the select box labelled `label`."""
    page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first.locator("input").click()
    page.get_by_role("option", name=option, exact=exact).first.click()


def open_view(page, title: str) -> None:
    """Follow the sidebar link to the view called `title`, as a person would: a new page load would start a
    new Streamlit session (signed out, and open demo mode's 'Acting as' back at its first choice)."""
    # The link's accessible name starts with its icon's ligature ("databaseData"): match the title at its end.
    link_name = re.compile(rf"{re.escape(title)}$")
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link_name).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()
