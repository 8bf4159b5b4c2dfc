"""The Feedback page through AppTest, on the hand-made feedback fixture (feedback_fixture.py): giving feedback,
the inbox and answers, the analytics, the reason list. Who acts is set before the first run, as the sidebar's
'acting as' picker would; AppTest reruns only the page script after that."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import db
from feedback_fixture import HTML_NOTE, build_feedback_fixture

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("feedback_app") / "template.duckdb"
    build_feedback_fixture(path)
    return path


@pytest.fixture
def app_db(template, tmp_path) -> Path:
    # Each test writes into a file of its own (and DuckDB will not open one file twice in a process with
    # different settings).
    path = tmp_path / "feedback_app.duckdb"
    shutil.copy(template, path)
    return path


def start(monkeypatch, db_path, rep_id: str, query=MARCH) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.session_state["acting_as"] = rep_id
    at.run()
    at.switch_page("views/feedback.py").run()
    assert not at.exception
    return at


def rows(db_path, sql: str, params=()) -> list[tuple]:
    """Read the store the app writes to (same settings as the app's connection, so DuckDB shares it)."""
    con = db.connect(db_path)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def submit(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    return at


def test_sales_sees_the_forms_and_marketing_the_inbox(monkeypatch, app_db):
    sales = start(monkeypatch, app_db, "sdr2")
    assert sales.segmented_control(key="feedback_view").value == "Give feedback"
    # Sue's own MQL awaiting a verdict is offered first: M5 (M6 is Sam's).
    assert sales.selectbox(key="feedback_lead_0").options[0].startswith("M5 · Webinar")
    marketing = start(monkeypatch, app_db, "mkt1")
    assert marketing.segmented_control(key="feedback_view").value == "Inbox"
    marketing.segmented_control(key="feedback_view").set_value("Give feedback").run()
    assert any("Sales gives feedback" in i.value for i in marketing.info)


def test_a_rejection_without_a_reason_is_refused(monkeypatch, app_db):
    before = rows(app_db, "select count(*) from sales_feedback")
    at = start(monkeypatch, app_db, "sdr2")
    at.selectbox(key="feedback_lead_0").set_value("M5")
    at.radio(key="feedback_verdict_0").set_value("reject")
    submit(at, "Submit verdict")
    assert not at.exception
    assert [e.value for e in at.error] == ["A rejection needs a reason from the list; none was given."]
    assert rows(app_db, "select count(*) from sales_feedback") == before


def test_with_every_reason_retired_sales_is_told_why_it_cannot_reject(monkeypatch, app_db):
    con = db.connect(app_db)
    con.execute("update feedback_reasons set is_active = false")
    con.close()
    at = start(monkeypatch, app_db, "sdr2")
    assert at.selectbox(key="feedback_reason_0").options == []
    assert [w.value for w in at.warning] == [
        "The rejection reason list has no active reason, so no lead can be rejected yet (a rejection needs one). "
        "Ask an admin to add or reinstate one under *Reasons*. Accepting and recycling work without one."]

def test_a_rejection_lands_everywhere_and_its_note_stays_text(monkeypatch, app_db):
    at = start(monkeypatch, app_db, "sdr2")
    at.selectbox(key="feedback_lead_0").set_value("M5")
    at.radio(key="feedback_verdict_0").set_value("reject")
    at.selectbox(key="feedback_reason_0").set_value("no_budget")
    at.segmented_control(key="feedback_rating_0").set_value(2)
    at.text_area(key="feedback_note_0").input(HTML_NOTE)
    submit(at, "Submit verdict")
    assert not at.exception and not at.error
    assert "Reject: lead M5 recorded as Sue Sdr" in at.success[0].value
    assert at.selectbox(key="feedback_lead_1").value is None  # the form starts afresh
    assert rows(app_db, "select verdict, reason_code, rating, note, author_rep_id from sales_feedback "
                        "where lead_id = 'M5'") == [("reject", "no_budget", 2, HTML_NOTE, "sdr2")]
    assert rows(app_db, "select current_stage from mart_lead_funnel where lead_id = 'M5'") == [("rejected",)]
    # "Your feedback" shows it at once; the note is a table cell, never markdown or HTML.
    recent = at.dataframe[0].value
    assert recent["Note"].iloc[0] == HTML_NOTE
    assert all("<script>" not in m.value for m in at.markdown)
    # Marketing's inbox has it too (open, newest first).
    inbox = start(monkeypatch, app_db, "mkt1")
    inbox.segmented_control(key="feedback_since").set_value("All").run()
    table = inbox.dataframe[0].value
    assert table["Note"].iloc[0] == HTML_NOTE and table["Status"].iloc[0] == "Open"


def test_campaign_rating_needs_a_rating(monkeypatch, app_db):
    at = start(monkeypatch, app_db, "mgr1")
    at.selectbox(key="feedback_campaign_0").set_value("c1")
    submit(at, "Rate campaign")
    assert at.error[0].value == "rating is required: a whole number from 1 to 5."
    at.segmented_control(key="feedback_campaign_rating_0").set_value(4)
    submit(at, "Rate campaign")
    assert "Rating 4/5 for Webinar recorded as Max Manager" in at.success[0].value


def test_inbox_filters_and_an_answer(monkeypatch, app_db):
    at = start(monkeypatch, app_db, "mkt1")
    at.segmented_control(key="feedback_since").set_value("All").run()
    at.selectbox(key="feedback_inbox_reason").set_value("student_or_job_seeker").run()
    table = at.dataframe[0].value
    assert table["Reason"].tolist() == ["Student or job seeker"]  # fb3 only
    at.radio(key="feedback_respond_status_0").set_value("action_planned")
    at.text_area(key="feedback_respond_note_0").input("Excluding student domains from the giveaway.")
    submit(at, "Send answer")
    assert not at.error and "Answered as Mia Marketer: Action planned." in at.success[0].value
    assert rows(app_db, "select status, response_note from sales_feedback where feedback_id = 'fb3'") == [
        ("action_planned", "Excluding student domains from the giveaway.")]
    # Sales cannot answer: the form is not offered.
    sales = start(monkeypatch, app_db, "sdr1")
    sales.segmented_control(key="feedback_view").set_value("Inbox").run()
    assert not any(b.label == "Send answer" for b in sales.button)


def test_analytics_show_the_fixture_numbers(monkeypatch, app_db):
    # March read today: worked M1 M2 M3 M4 M7 = 5, rejected M2 M3 M7 = 3, recycled M4.
    at = start(monkeypatch, app_db, "mkt1")
    at.segmented_control(key="feedback_view").set_value("Analytics").run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["MQLs worked"] == "5" and tiles["Rejection rate"] == "60.0%" and tiles["Recycled"] == "1"
    for dimension in ("score_band", "rep", "team"):
        at.selectbox(key="feedback_dimension").set_value(dimension).run()
        assert not at.exception
    ratings = at.dataframe[0].value
    assert ratings["Campaign"].tolist() == ["Giveaway", "Webinar"]


def test_reason_list_is_kept_by_admins(monkeypatch, app_db):
    at = start(monkeypatch, app_db, "sdr1")
    at.segmented_control(key="feedback_view").set_value("Reasons").run()
    assert any("Admins maintain the list" in c.value for c in at.caption)
    manager = start(monkeypatch, app_db, "mgr1")
    manager.segmented_control(key="feedback_view").set_value("Reasons").run()
    manager.selectbox(key="feedback_change_code").set_value("wrong_persona")
    manager.radio(key="feedback_change_action").set_value("Delete (only if never used)")
    submit(manager, "Apply")
    assert "so it cannot be deleted; retire it instead" in manager.error[0].value
    manager.radio(key="feedback_change_action").set_value("Retire")
    submit(manager, "Apply")
    assert not manager.error
    table = manager.dataframe[0].value.set_index("Code")
    assert table.loc["wrong_persona", ["Status", "Retired by"]].tolist() == ["Retired", "Max Manager"]
