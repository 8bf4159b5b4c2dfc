"""The Meeting page through AppTest, on the meeting fixture (tests/meeting_fixture.py has the hand-worked story):
the live review of February, freezing it, recording decisions and actions in the snapshot, comparing two
snapshots, writing an annotation that then shows on the Funnel's trend chart.

After the first run AppTest reruns only the page script, so each test starts the app with the URL's date range
and the 'acting as' person, then switches to the Meeting page and works its own widgets."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import db, marts, meetings
from meeting_fixture import FEB, MAYA, at, build_meeting_fixture
from metrics.filters import Filters
from metrics.meeting import BOARD_KEYS, board
from ui import meeting_views

APP = str(Path(__file__).resolve().parent.parent / "app.py")
FEBRUARY = {"start": "2026-02-01", "end": "2026-02-28"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("meeting_app") / "template.duckdb"
    build_meeting_fixture(path)
    return path


@pytest.fixture
def app_db(template, tmp_path) -> Path:
    # Each test writes into a file of its own (DuckDB will not open one file twice in a process with
    # different settings).
    path = tmp_path / "meeting_app.duckdb"
    shutil.copy(template, path)
    return path


def start(monkeypatch, db_path, rep_id: str = "mk1", query=FEBRUARY) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(db_path))
    app = AppTest.from_file(APP, default_timeout=120)
    app.query_params.update(query)
    app.session_state["acting_as"] = rep_id
    app.run()
    app.switch_page("views/meeting.py").run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def rows(db_path, sql: str, params=()) -> list[tuple]:
    """Read the store the app writes to (same settings as the app's connection, so DuckDB shares it)."""
    con = db.connect(db_path)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def tiles(app: AppTest) -> dict[str, tuple[str, str]]:
    return {m.label: (m.value, m.delta) for m in app.metric}


def actions_table(app: AppTest):
    """The decisions and actions table (AppTest addresses dataframes by position, not key)."""
    return next(d.value for d in app.dataframe if "Tied to" in d.value.columns)


def freeze_two(db_path) -> tuple[int, int]:
    """February frozen on 2 Mar, then March frozen on 1 Apr (numbers in test_meeting_writes.py)."""
    march = Filters(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 4, 1))
    con = db.connect(db_path)
    try:
        cur = con.cursor()
        first = meetings.freeze(cur, MAYA, "February review", FEB, board(cur, FEB), at=at(2))
        second = meetings.freeze(cur, MAYA, "March review", march, board(cur, march), at=at(1, month=4))
    finally:
        con.close()
    return first, second


def test_the_live_review_of_february(monkeypatch, app_db):
    app = start(monkeypatch, app_db)
    assert app.title[0].value == "Meeting"
    shown = tiles(app)
    # Feb against Jan 4-31 (meeting_fixture.py): leads 2 vs 3, SALs 1 vs 3, spend $1,500 vs $1,000.
    assert shown["Leads"] == ("2", "-1 (-33%)")
    assert shown["SALs"] == ("1", "-2 (-67%)")
    assert shown["Campaign spend"] == ("$1.5k", "+$500 (+50%)")
    assert shown["MQL acceptance rate"] == ("50.0%", "-25.0 pts (-33%)")
    assert any("01 Feb 2026 – 28 Feb 2026 against 04 Jan 2026 – 31 Jan 2026" in c.value for c in app.caption)
    # Every tile carries its metric's definition on hover.
    leads = next(m for m in app.metric if m.label == "Leads")
    assert "Leads (inquiries) created in the date range." in leads.help
    # A calendar period instead of the sidebar's range: the data's last complete month. The fixture's records
    # end on 21 Mar 2026, months before today, so that is February (not last month, which holds nothing).
    app.selectbox(key="meeting_period").set_value("month").run()
    assert not app.exception
    assert any(c.value.startswith("Live: 01 Feb 2026 – 28 Feb 2026 against 04 Jan 2026 – 31 Jan 2026")
               for c in app.caption)


def test_the_default_title_names_both_years_of_the_range(monkeypatch, app_db):
    # The sidebar's range runs from December 2025 into 2026: the title keeps the start's year.
    app = start(monkeypatch, app_db, query={"start": "2025-12-01", "end": "2026-02-28"})
    today = date.today()
    assert app.text_input(key="meeting_title").value == \
        f"Joint review {today.day} {today:%b %Y} (1 Dec 2025 – 28 Feb 2026)"


def test_default_title_reads_the_day_taken_then_the_period():
    taken = date(2026, 11, 27)
    assert meeting_views.default_title(Filters(date(2016, 10, 1), date(2018, 10, 31)), taken) == \
        "Joint review 27 Nov 2026 (1 Oct 2016 – 31 Oct 2018)"
    # Within one year the start's year goes without saying.
    assert meeting_views.default_title(FEB, taken) == "Joint review 27 Nov 2026 (1 Feb – 28 Feb 2026)"


def test_freeze_then_record_and_carry(monkeypatch, app_db):
    app = start(monkeypatch, app_db)
    app.text_input(key="meeting_title").input("February review")
    app.button(key="meeting_freeze").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert any("Snapshot #1 frozen" in s.value for s in app.success)
    assert app.segmented_control(key="meeting_mode").value == "Snapshot"
    assert any("February review" in i.value and "They will not change" in i.value for i in app.info)
    assert rows(app_db, "select title, taken_by from meeting_snapshots") == [("February review", "mk1")]
    assert rows(app_db, "select count(*) from meeting_snapshot_frames")[0][0] == len(BOARD_KEYS)

    # An action in the meeting, tied to the Brand search campaign, owned by Sue (sales).
    app.radio(key="meeting_item_kind").set_value("action")
    app.text_area(key="meeting_item_text").input("Call every Brand search MQL within the hour")
    app.selectbox(key="meeting_item_campaign").set_value("c2")
    app.selectbox(key="meeting_item_team").set_value("sales")
    app.selectbox(key="meeting_item_owner").set_value("sdr2")
    app.date_input(key="meeting_item_due").set_value(date.today())
    app.button(key="meeting_item_save").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert any("Recorded the action." in s.value for s in app.success)
    table = actions_table(app)
    assert table["What"].tolist() == ["Call every Brand search MQL within the hour"]
    assert table["Tied to"].tolist() == ["Brand search"] and table["Owner"].tolist() == ["Sue Sdr"]

    # A mistake is refused with what and where, and nothing is written.
    app.text_area(key="meeting_item_text").input("Nothing tied")
    app.button(key="meeting_item_save").click().run()
    assert any("tied to a metric or a campaign" in e.value for e in app.error)
    assert rows(app_db, "select count(*) from meeting_items")[0][0] == 1

    # Done: the status form closes it.
    app.selectbox(key="meeting_status_value").set_value("done")
    app.button(key="meeting_status_save").click().run()
    assert rows(app_db, "select status from meeting_items") == [("done",)]
    audit = rows(app_db, "select action, actor from audit_log order by audit_id")
    assert audit == [("meeting.snapshot", "mk1"), ("meeting.decide", "mk1"), ("meeting.decide", "mk1")]


def test_a_snapshot_holds_after_a_load(monkeypatch, app_db):
    first, _second = freeze_two(app_db)
    con = db.connect(app_db)
    try:  # a lead loaded into February after the meeting
        con.execute("insert into leads (lead_id, created_at, campaign_id, segment, region, owner_rep_id) values "
                    "('L9', '2026-02-10', 'c2', 'SMB', 'EMEA', 'sdr2')")
        con.execute("insert into stage_events (lead_id, stage, entered_at) values ('L9', 'lead', '2026-02-10')")
        marts.refresh(con)
    finally:
        con.close()
    app = start(monkeypatch, app_db)
    assert tiles(app)["Leads"][0] == "3"  # live: the new lead counts
    app.segmented_control(key="meeting_mode").set_value("Snapshot").run()
    app.selectbox(key="meeting_snapshot").set_value(first).run()
    assert not app.exception
    assert tiles(app)["Leads"] == ("2", "-1 (-33%)")  # frozen: as the meeting saw it


def test_compare_two_snapshots(monkeypatch, app_db):
    first, second = freeze_two(app_db)
    app = start(monkeypatch, app_db)
    app.segmented_control(key="meeting_mode").set_value("Compare").run()
    app.selectbox(key="meeting_compare_later").set_value(second).run()
    app.selectbox(key="meeting_compare_earlier").set_value(first).run()
    assert not app.exception, [e.value for e in app.exception]
    shown = tiles(app)
    # March against February: MQLs 1 vs 2, won revenue $10.0k vs 0, spend 0 vs $1,500.
    assert shown["MQLs"] == ("1", "-1 (-50%)")
    assert shown["Won revenue"][0] == "$10.0k" and shown["Won revenue"][1].startswith("+$10.0k")
    assert shown["Campaign spend"] == ("$0", "-$1.5k (-100%)")
    assert app.get("download_button")


def test_a_viewer_cannot_freeze(monkeypatch, app_db):
    # The server refuses a viewer's freeze (tests/test_access_writes.py); the page does not offer one.
    app = start(monkeypatch, app_db, "demo-leadership")  # open demo mode's leadership viewer
    assert "meeting_freeze" not in [b.key for b in app.button]
    assert any("you are signed in as Leadership (viewer)" in c.value for c in app.caption)
    assert rows(app_db, "select count(*) from meeting_snapshots")[0][0] == 0


def test_an_annotation_reaches_the_funnel_trend(monkeypatch, app_db):
    app = start(monkeypatch, app_db)
    app.radio(key="meeting_note_kind_new").set_value("note")
    app.text_input(key="meeting_note_label_new").input("Lead form shortened")
    app.date_input(key="meeting_note_day_new").set_value(date(2026, 2, 15))
    app.button(key="meeting_note_save_new").click().run()
    assert not app.error, [e.value for e in app.error]
    assert rows(app_db, "select kind, label, annotated_on, created_by from annotations") == [
        ("note", "Lead form shortened", date(2026, 2, 15), "mk1")]
    # The Funnel page's trend chart (Explore: Trend) draws it, with the launch of Brand search on 1 Feb.
    app.switch_page("views/funnel.py").run()
    app.segmented_control(key="funnel_view").set_value("Trend").run()
    figure = json.loads(app.get("plotly_chart")[-1].proto.spec)
    texts = [a.get("text", "") for a in figure["layout"]["annotations"]]
    key = next(t for t in texts if "Note: Lead form shortened" in t)
    assert "01 Feb · Launch: Brand search" in key and "15 Feb · Note: Lead form shortened" in key
