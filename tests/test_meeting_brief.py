"""The meeting's export: the one-page HTML brief (charts as PNG through kaleido and Chromium) has every section and
the fixture's numbers, and every table comes out as a formula-safe CSV. The browser test renders the brief and
checks it prints on one page (tests/test_browser_meeting.py)."""

from __future__ import annotations

import base64
import csv
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from data import db, meetings
from data.meetings import ItemInput
from meeting_fixture import FEB, MAYA, at, build_meeting_fixture
from metrics import get
from metrics.filters import Filters
from metrics.meeting import board
from ui import brief

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SECTIONS = ("What changed", "Who moved it", "Goals", "Funnel", "SLA ledger", "Top feedback themes", "Campaign ROI",
            "Annotations", "Decisions and actions")
ON_9_MARCH = Filters(FEB.start, FEB.end, as_of=date(2026, 3, 9))


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    """The February board frozen on 2 Mar, with an action due 6 Mar (3 days late on 9 Mar) whose text looks like a
    formula and like markup, and a decision."""
    path = tmp_path_factory.mktemp("meeting_brief") / "brief.duckdb"
    build_meeting_fixture(path)
    con = db.open_store(path)
    cur = con.cursor()
    snapshot_id = meetings.freeze(cur, MAYA, "February review", FEB, board(cur, FEB), at=at(2))
    meetings.record_item(cur, MAYA, ItemInput(snapshot_id, "action", "=HYPERLINK(\"x\") <b>fix</b> the form",
                                              "marketing", "mk1", date(2026, 3, 6), campaign_id="c2"),
                         at=at(2, hour=10))
    meetings.record_item(cur, MAYA, ItemInput(snapshot_id, "decision", "Stop the giveaway", "shared", "mk1",
                                              metric_name="mqls"), at=at(2, hour=11))
    frames = board(cur, FEB)
    actions = get("meeting_actions")(cur, ON_9_MARCH, snapshot_id=snapshot_id)
    notes = get("chart_annotations")(cur, FEB)
    yield frames, actions, notes
    cur.close()
    con.close()


INFO = brief.BriefInfo("February review", "01 Feb 2026 – 28 Feb 2026 against 04 Jan 2026 – 31 Jan 2026",
                       "Snapshot #1, frozen 02 Mar 2026 09:00 by Maya Marketing", "All records")


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="kaleido draws the charts with Chromium")
def test_the_brief_has_every_section_and_the_charts_as_images(meeting):
    frames, actions, notes = meeting
    page = brief.brief_html(INFO, frames, actions, notes)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "meeting_brief.html").write_text(page)
    headings = re.findall(r"<h2>(.*?)</h2>", page)
    assert set(SECTIONS) <= set(headings), headings
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    # Two charts: SALs by campaign (3 -> 1, -67%: the largest relative move of an additive KPI) and the themes.
    assert len(images) == 2
    assert 'alt="SALs: change by campaign"' in page
    for data in images:
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    # Numbers a reader checks: leads 3 -> 2 (worse, in red), pipeline $10.0k -> $5.0k.
    assert re.search(r'<tr class="late"><td>Leads</td>.*?<td class="num">2</td><td class="num">3</td>'
                     r'<td class="num">−1</td>', page)
    assert "$5.0k" in page and "$10.0k" in page
    # The overdue action (due 6 Mar, read on 9 Mar) is flagged, and its text is shown as text, never as markup.
    assert re.search(r'<tr class="late"><td class="num">1</td><td>Action</td>', page)
    assert "3 days" in page
    assert "&lt;b&gt;fix&lt;/b&gt;" in page and "<b>fix</b>" not in page
    assert "Launch" in page and "Brand search" in page  # c2's launch on 1 Feb is the period's annotation


def test_the_brief_splits_the_biggest_mover(meeting):
    frames, _actions, _notes = meeting
    # February: SALs -67% beats SQLs and pipeline (-50%) and leads and MQLs (-33%); won revenue did not move.
    assert brief.biggest_mover(frames["kpi_deltas"]) == "sals"
    still = frames["kpi_deltas"].assign(change=0.0)
    assert brief.biggest_mover(still) == "won_revenue"


def section(page: str, title: str) -> str:
    return re.search(rf"<section><h2>{title}</h2>(.*?)</section>", page, re.S).group(1)


@pytest.fixture
def drawn(monkeypatch):
    """Charts stand in as a few bytes: these tests read what the brief says around them."""
    monkeypatch.setattr(brief, "figure_png", lambda fig, width=1000: b"png")


def test_who_moved_it_shows_one_kpi_in_its_chart_and_table(meeting, drawn):
    frames, actions, notes = meeting
    # SALs moved most (-67%). By campaign, February against Jan 4-31: Spring webinar 0 against 3 (L1, L2, L7),
    # Brand search 1 (L4) against 0.
    table = brief.brief_tables(frames, actions, notes)["who_moved_it"]
    assert table[["KPI", "Campaign", "Now", "Before", "Change"]].values.tolist() == [
        ["SALs", "Spring webinar", "0", "3", "−3"], ["SALs", "Brand search", "1", "0", "+1"]]
    who = section(brief.brief_html(INFO, frames, actions, notes), "Who moved it")
    assert 'alt="SALs: change by campaign"' in who
    assert re.findall(r"<tr><td>(\w+)</td>", who) == ["SALs", "SALs"]


def test_without_feedback_the_themes_are_a_sentence(meeting, drawn):
    frames, actions, notes = meeting
    quiet = {**frames, "themes": frames["themes"].iloc[:0], "themes_previous": frames["themes_previous"].iloc[:0]}
    themes = section(brief.brief_html(INFO, quiet, actions, notes), "Top feedback themes")
    assert themes == '<p class="note">Sales rejected no MQLs in this period.</p>'


def test_without_a_browser_the_brief_still_has_its_tables(meeting, monkeypatch):
    frames, actions, notes = meeting

    def no_browser(fig, width=1000):
        raise brief.BriefError("kaleido needs Chrome or Chromium")

    monkeypatch.setattr(brief, "figure_png", no_browser)
    page = brief.brief_html(INFO, frames, actions, notes)
    assert "not drawn: kaleido needs Chrome or Chromium" in page
    assert set(SECTIONS) <= set(re.findall(r"<h2>(.*?)</h2>", page))


def test_every_table_as_a_formula_safe_csv(meeting):
    frames, actions, notes = meeting
    archive = zipfile.ZipFile(io.BytesIO(brief.tables_zip(brief.csv_tables(frames, actions, notes))))
    assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in (
        "kpi_changes", "contributors_by_campaign", "contributors_by_rep", "contributors_by_segment", "goals", "funnel",
        "funnel_previous", "sla_ledger", "sla_ledger_previous", "feedback_themes", "feedback_themes_previous",
        "acquisition_cost", "campaigns", "decisions_and_actions", "annotations"))

    def rows(name: str) -> list[dict]:
        return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8"))))

    # The numbers themselves, unformatted, with the definition each KPI is read by.
    kpis = {row["kpi"]: row for row in rows("kpi_changes")}
    assert (kpis["leads"]["value"], kpis["leads"]["previous_value"], kpis["leads"]["change"]) == ("2.0", "3.0", "-1.0")
    assert float(kpis["campaign_spend"]["change_pct"]) == 0.5 and kpis["leads"]["is_better"] == "False"
    assert kpis["leads"]["definition"] == get("leads").definition
    movers = [r for r in rows("contributors_by_campaign") if r["kpi"] == "leads"]
    assert [(r["dimension_value"], r["change"]) for r in movers] == [("Spring webinar", "-2.0"),
                                                                      ("Brand search", "1.0")]
    action = next(r for r in rows("decisions_and_actions") if r["kind"] == "action")
    assert action["item_text"].startswith("'=HYPERLINK")  # a spreadsheet shows it as text, never runs it
    assert (action["due_date"], action["is_overdue"], action["days_overdue"]) == ("2026-03-06", "True", "3")
    assert [r["stage"] for r in rows("funnel")] == ["lead", "mql", "sal", "sql", "opportunity", "won"]


def test_the_brief_tables_read_as_shown(meeting):
    frames, actions, notes = meeting
    tables = brief.brief_tables(frames, actions, notes)
    kpis = tables["kpi_changes"].set_index("KPI")
    assert kpis.loc["Leads", ["Now", "Before", "Change", "Better?"]].tolist() == ["2", "3", "−1", "worse"]
    assert kpis.loc["Campaign spend", ["Change", "Relative", "Better?"]].tolist() == ["+$500", "+50.0%", "–"]
    action = tables["decisions_and_actions"].iloc[0]
    assert (action["Due"], action["Overdue"], action["Tied to"]) == ("2026-03-06", "3 days", "Brand search")
