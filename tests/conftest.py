"""Shared fixtures: a hand-made funnel small enough to count on paper.

The story (all times midnight; window 2026-01-01..2026-03-31):
  L1 Jan 5 lead, Jan 6 MQL, Jan 7 SAL, Jan 10 SQL, Jan 20 opp O1 10,000, Mar 1 won (Webinars, SMB, Americas, sdr1)
  L2 Jan 10 lead, Jan 12 MQL, Jan 13 SAL, Jan 20 SQL, Feb 1 opp O2 5,000, Mar 10 lost (Webinars, SMB, Americas, sdr1)
  L3 Feb 1 lead, Feb 2 MQL, Feb 3 rejected                                     (Paid Search, Enterprise, EMEA, sdr2)
  L4 Feb 5 lead, Feb 6 MQL, Feb 8 SQL (no SAL event: skipped), still open      (Paid Search, Enterprise, EMEA, sdr2)
  L5 Mar 1 lead, nothing since                                                 (Paid Search, SMB, EMEA, sdr2)
  L6 Mar 20 lead, Mar 21 MQL, still open                                       (Webinars, SMB, Americas, sdr1)
  L7 Dec 15 2025 lead, Jan 3 MQL, Jan 4 SAL, still open (lead before the window) (Webinars, SMB, Americas, sdr1)
  L8 Jan 15 lead, Jan 16 MQL, Jan 30 recycled                                  (Paid Search, SMB, EMEA, sdr2)
"""

from __future__ import annotations

import shutil
from datetime import date, datetime

import pytest

from browser_support import launch_browser, new_page
from data import db, marts
from feedback_fixture import build_feedback_fixture

LEADS = [
    # lead_id, created, campaign, segment, region, owner
    ("L1", date(2026, 1, 5), "c1", "SMB", "Americas", "sdr1"),
    ("L2", date(2026, 1, 10), "c1", "SMB", "Americas", "sdr1"),
    ("L3", date(2026, 2, 1), "c2", "Enterprise", "EMEA", "sdr2"),
    ("L4", date(2026, 2, 5), "c2", "Enterprise", "EMEA", "sdr2"),
    ("L5", date(2026, 3, 1), "c2", "SMB", "EMEA", "sdr2"),
    ("L6", date(2026, 3, 20), "c1", "SMB", "Americas", "sdr1"),
    ("L7", date(2025, 12, 15), "c1", "SMB", "Americas", "sdr1"),
    ("L8", date(2026, 1, 15), "c2", "SMB", "EMEA", "sdr2"),
]
EVENTS = [
    ("L1", "mql", date(2026, 1, 6)), ("L1", "sal", date(2026, 1, 7)), ("L1", "sql", date(2026, 1, 10)),
    ("L1", "opportunity", date(2026, 1, 20)), ("L1", "won", date(2026, 3, 1)),
    ("L2", "mql", date(2026, 1, 12)), ("L2", "sal", date(2026, 1, 13)), ("L2", "sql", date(2026, 1, 20)),
    ("L2", "opportunity", date(2026, 2, 1)), ("L2", "lost", date(2026, 3, 10)),
    ("L3", "mql", date(2026, 2, 2)), ("L3", "rejected", date(2026, 2, 3)),
    ("L4", "mql", date(2026, 2, 6)), ("L4", "sql", date(2026, 2, 8)),
    ("L6", "mql", date(2026, 3, 21)),
    ("L7", "mql", date(2026, 1, 3)), ("L7", "sal", date(2026, 1, 4)),
    ("L8", "mql", date(2026, 1, 16)), ("L8", "recycled", date(2026, 1, 30)),
]
CHANNELS = {"c1": "Webinars", "c2": "Paid Search"}


@pytest.fixture(autouse=True)
def _open_demo_sign_in(monkeypatch, tmp_path_factory):
    """App tests run in open demo mode ('Acting as' picks the principal) and never read a developer's
    users file; the sign-in tests set these themselves."""
    monkeypatch.setenv("TANDEM_OPEN_DEMO", "1")
    monkeypatch.setenv("TANDEM_USERS", str(tmp_path_factory.mktemp("no_users") / "users.toml"))


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per browser test module (see browser_support.py)."""
    with launch_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    """A fresh tab in a context of its own; a module overrides it for another height or downloads."""
    with new_page(browser) as tab:
        yield tab


def _ts(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def build_funnel_fixture(path) -> None:
    con = db.open_store(path)
    con.execute("insert into teams values ('SDR-A', 'SDR A', 'sdr', 'Americas', null), "
                "('SDR-B', 'SDR B', 'sdr', 'EMEA', null), ('AE-A', 'AE A', 'ae', 'Americas', null)")
    con.execute("insert into reps (rep_id, rep_name, team_id, rep_role, region) values "
                "('sdr1', 'Sam Sdr', 'SDR-A', 'sdr', 'Americas'), ('sdr2', 'Sue Sdr', 'SDR-B', 'sdr', 'EMEA'), "
                "('ae1', 'Alex Ae', 'AE-A', 'ae', 'Americas')")
    con.execute("insert into campaigns (campaign_id, campaign_name, channel) values "
                "('c1', 'Spring webinar', 'Webinars'), ('c2', 'Brand search', 'Paid Search')")
    for lead_id, created, campaign, segment, region, owner in LEADS:
        con.execute("insert into leads (lead_id, created_at, source_channel, campaign_id, segment, region, "
                    "owner_rep_id, score) values (?, ?, ?, ?, ?, ?, ?, 50)",
                    [lead_id, _ts(created), CHANNELS[campaign], campaign, segment, region, owner])
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, 'lead', ?)",
                    [lead_id, _ts(created)])
    for lead_id, stage, day in EVENTS:
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)",
                    [lead_id, stage, _ts(day)])
    con.execute("insert into opportunities (opportunity_id, lead_id, amount, created_at, closed_at, is_closed, "
                "is_won, lost_reason, owner_rep_id) values "
                "('O1', 'L1', 10000, '2026-01-20', '2026-03-01', true, true, null, 'ae1'), "
                "('O2', 'L2', 5000, '2026-02-01', '2026-03-10', true, false, 'Price', 'ae1')")
    marts.refresh(con)
    con.close()


@pytest.fixture(scope="session")
def funnel_db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("funnel") / "funnel.duckdb"
    build_funnel_fixture(path)
    return path


@pytest.fixture(scope="session")
def funnel_con(funnel_db_path):
    con = db.connect(funnel_db_path, read_only=True)
    yield con
    con.close()


@pytest.fixture
def cur(funnel_con):
    cursor = funnel_con.cursor()
    yield cursor
    cursor.close()


@pytest.fixture(scope="session")
def feedback_template(tmp_path_factory):
    """The feedback fixture (feedback_fixture.py), built once; tests that write take a copy (feedback_store)."""
    path = tmp_path_factory.mktemp("feedback") / "template.duckdb"
    build_feedback_fixture(path)
    return path


@pytest.fixture
def feedback_store(feedback_template, tmp_path):
    """An open copy of the feedback fixture of the test's own, so no write reaches another test."""
    path = tmp_path / "store.duckdb"
    shutil.copy(feedback_template, path)
    connection = db.open_store(path)
    yield connection
    connection.close()
