"""Meeting mode's write paths on the hand-made fixture: snapshots that later loads cannot move, comparing two
snapshots, action carry-over and overdue flags, validation, permissions, audit, all-or-nothing writes,
annotations."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest

from data import db, marts, meetings, schema
from data.access import PermissionDenied
from data.meetings import AnnotationInput, ItemInput, MeetingError
from data.snapshots import SnapshotError, read_frames, snapshot_row
from meeting_fixture import FEB, MAYA, SAM, VIEWER, at, build_meeting_fixture
from metrics import get
from metrics.filters import Filters
from metrics.meeting import BOARD_KEYS, board

MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 4, 1))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("meeting_template") / "template.duckdb"
    build_meeting_fixture(path)
    return path


@pytest.fixture
def con(template, tmp_path):
    """A fresh copy of the fixture per test: these tests write."""
    path = tmp_path / "meeting.duckdb"
    shutil.copy(template, path)
    connection = db.open_store(path)
    yield connection
    connection.close()


def count(con, table: str) -> int:
    return con.execute(f"select count(*) from {table}").fetchone()[0]


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values only: Parquet stores an object column of flags as bool and an object column's NaN as None."""
    values = frame.astype(object)
    return values.where(frame.notna(), None)


def add_lead(con, lead_id: str, day: date, campaign: str = "c2") -> None:
    """A load after the snapshot: a lead created and qualified on `day`, then the marts rebuilt."""
    con.execute("insert into leads (lead_id, created_at, source_channel, campaign_id, segment, region, owner_rep_id) "
                "values (?, ?, 'Paid Search', ?, 'SMB', 'EMEA', 'sdr2')", [lead_id, day, campaign])
    con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, 'lead', ?), (?, 'mql', ?)",
                [lead_id, day, lead_id, day])
    marts.refresh(con)


def test_a_snapshot_is_immune_to_later_loads(con):
    cur = con.cursor()
    shown = board(cur, FEB)
    snapshot_id = meetings.freeze(cur, MAYA, "February review", FEB, shown, at=at(2))
    frozen = read_frames(cur, snapshot_id)
    assert tuple(frozen) == tuple(sorted(BOARD_KEYS))
    for key in BOARD_KEYS:  # what was shown, value for value
        pd.testing.assert_frame_equal(plain(frozen[key]), plain(shown[key]), check_dtype=False)
    # New leads in February, marts rebuilt: the live numbers move (2 leads -> 4) ...
    add_lead(con, "L9", date(2026, 2, 10))
    add_lead(con, "L10", date(2026, 2, 11))
    live = get("meeting_kpi_deltas")(cur, FEB).set_index("kpi")
    assert live.loc["leads", "value"] == 4
    # ... the snapshot does not, frame for frame, dtype for dtype.
    reopened = read_frames(cur, snapshot_id)
    for key in BOARD_KEYS:
        pd.testing.assert_frame_equal(reopened[key], frozen[key])
    assert get("meeting_kpi_deltas")(cur, FEB, snapshot_id=snapshot_id).set_index("kpi").loc["leads", "value"] == 2
    row = snapshot_row(cur, snapshot_id)
    assert (row["title"], row["taken_by"], row["taken_at"]) == ("February review", "mk1", at(2))
    assert (row["period_start"], row["period_end"], row["previous_start"], row["previous_end"]) == (
        date(2026, 2, 1), date(2026, 2, 28), date(2026, 1, 4), date(2026, 1, 31))
    assert json.loads(row["filters_json"]) == {"segments": [], "regions": [], "channels": [], "teams": [],
                                               "scope_regions": [], "scope_segments": []}


def test_a_scoped_reader_sees_only_snapshots_read_within_their_scope(con):
    cur = con.cursor()
    emea, americas = replace(FEB, regions=("EMEA",)), replace(FEB, regions=("Americas",))
    everything = meetings.freeze(cur, MAYA, "Whole company", FEB, board(cur, FEB), at=at(2))
    picked = meetings.freeze(cur, MAYA, "EMEA picked", emea, board(cur, emea), at=at(2, hour=10))
    scoped = replace(FEB, scope_regions=("EMEA",))  # frozen by a user limited to EMEA, no region picked
    by_scoped = meetings.freeze(cur, MAYA, "EMEA user", scoped, board(cur, scoped), at=at(2, hour=11))
    meetings.freeze(cur, MAYA, "Americas", americas, board(cur, americas), at=at(2, hour=12))
    listed = get("meeting_snapshots")(cur, replace(FEB, scope_regions=("EMEA",)))
    assert sorted(listed["snapshot_id"]) == sorted([picked, by_scoped])
    assert len(get("meeting_snapshots")(cur, FEB)) == 4 and everything in set(get("meeting_snapshots")(cur, FEB)[
        "snapshot_id"])
    # The EMEA user's snapshot holds EMEA numbers only: the same as the one with EMEA picked.
    pd.testing.assert_frame_equal(read_frames(cur, by_scoped)["kpi_deltas"], read_frames(cur, picked)["kpi_deltas"])


def test_two_snapshots_compare(con):
    # March (Mar 1-31): leads L5 L6 = 2, MQLs L6 = 1, won L1 on Mar 1 = 10,000, no spend.
    # February: leads 2, MQLs 2, won 0, spend 1,500. March against February:
    cur = con.cursor()
    february = meetings.freeze(cur, MAYA, "February review", FEB, board(cur, FEB), at=at(2))
    march = meetings.freeze(cur, SAM, "March review", MARCH, board(cur, MARCH), at=at(1, month=4))
    d = get("meeting_kpi_deltas")(cur, MARCH, snapshot_id=march, compare_to=february).set_index("kpi")
    assert d.loc["leads", ["value", "previous_value", "change"]].tolist() == [2, 2, 0]
    assert d.loc["mqls", ["value", "previous_value", "change"]].tolist() == [1, 2, -1]
    assert d.loc["won_revenue", ["value", "previous_value", "change"]].tolist() == [10000, 0, 10000]
    assert d.loc["campaign_spend", ["value", "previous_value", "change"]].tolist() == [0, 1500, -1500]
    # Who moved won revenue: all of it Spring webinar's (L1).
    c = get("meeting_kpi_contributors")(cur, MARCH, kpi="won_revenue", snapshot_id=march, compare_to=february)
    assert c[["dimension_value", "change", "share_of_change"]].values.tolist() == [["Spring webinar", 10000, 1.0]]
    # Live March against the February snapshot reads the same, until data changes.
    live = get("meeting_kpi_deltas")(cur, MARCH, compare_to=february).set_index("kpi")
    assert live.loc["mqls", "change"] == -1
    with pytest.raises(SnapshotError, match="No snapshot 99"):
        get("meeting_kpi_deltas")(cur, MARCH, snapshot_id=99, compare_to=february)


def test_open_actions_carry_into_the_next_meeting(con):
    cur = con.cursor()
    first = meetings.freeze(cur, MAYA, "Review 2 Mar", FEB, board(cur, FEB), at=at(2))
    late = meetings.record_item(cur, MAYA, ItemInput(first, "action", "Require a work e-mail on the form", "marketing",
                                                     "mk1", date(2026, 3, 6), campaign_id="c2"), at=at(2, hour=10))
    done = meetings.record_item(cur, SAM, ItemInput(first, "action", "Second SDR shift", "sales", "sdr1",
                                                    date(2026, 3, 20), metric_name="sla_first_touch"),
                                at=at(2, hour=10))
    decision = meetings.record_item(cur, MAYA, ItemInput(first, "decision", "MQL score threshold 50 -> 60", "shared",
                                                         "mk1", metric_name="mqls"), at=at(2, hour=10))
    closed_later = meetings.record_item(cur, SAM, ItemInput(first, "action", "Clean bad contact data", "sales",
                                                            "sdr2", date(2026, 3, 30), metric_name="mqls"),
                                        at=at(2, hour=10))
    assert meetings.set_item_status(cur, SAM, done, "done", at=at(5))
    second = meetings.freeze(cur, MAYA, "Review 9 Mar", FEB, board(cur, FEB), at=at(9))
    new = meetings.record_item(cur, SAM, ItemInput(second, "action", "Route EMEA MQLs after 17:00", "sales", "sdr2",
                                                   date(2026, 3, 16), metric_name="sla_first_touch"), at=at(9, hour=10))
    assert meetings.set_item_status(cur, SAM, closed_later, "done", at=at(12))
    on_9_march = Filters(FEB.start, FEB.end, as_of=date(2026, 3, 9))

    # The second meeting: its own item, and what was still open when it was taken (9 Mar 09:00): the late
    # action (due 6 Mar: 3 days overdue), the decision, and the action closed only on 12 Mar. Not the one
    # done on 5 Mar.
    second_list = get("meeting_actions")(cur, on_9_march, snapshot_id=second).set_index("item_id")
    assert list(second_list.index) == [late, new, closed_later, decision]  # overdue first, then by due date
    assert second_list["is_carried_over"].to_dict() == {late: True, new: False, closed_later: True, decision: True}
    assert second_list.loc[late, ["is_overdue", "days_overdue"]].tolist() == [True, 3]
    assert not second_list.loc[closed_later, "is_open"] and not second_list.loc[closed_later, "is_overdue"]
    assert second_list.loc[late, "campaign_name"] == "Brand search"
    assert second_list.loc[new, "metric_label"] == get("sla_first_touch").label
    assert second_list.loc[decision, "due_date"] is None
    # The first meeting lists what was raised in it, none carried.
    first_list = get("meeting_actions")(cur, on_9_march, snapshot_id=first)
    assert set(first_list["item_id"]) == {late, done, decision, closed_later}
    assert not first_list["is_carried_over"].any()
    # Live, on 13 Mar: every item still open carries into the next meeting; the new one (due 16 Mar) is not late.
    live = get("meeting_actions")(cur, Filters(FEB.start, FEB.end, as_of=date(2026, 3, 13))).set_index("item_id")
    assert set(live.index) == {late, decision, new} and live["is_carried_over"].all()
    assert live.loc[late, "days_overdue"] == 7 and not live.loc[new, "is_overdue"]
    # Reopening clears the close: the item carries again.
    assert meetings.set_item_status(cur, SAM, done, "in_progress", at=at(13))
    assert con.execute("select closed_at from meeting_items where item_id = ?", [done]).fetchone()[0] is None
    assert not meetings.set_item_status(cur, SAM, done, "in_progress", at=at(13))  # unchanged: nothing written


@pytest.fixture
def meeting(con):
    return meetings.freeze(con.cursor(), MAYA, "Review", FEB, board(con.cursor(), FEB), at=at(2))


GOOD = dict(kind="action", text="Fix the form", owner_team="marketing", owner_rep_id="mk1", due_date=date(2026, 3, 9),
            campaign_id="c2")


@pytest.mark.parametrize("change, message", [
    ({"text": "  "}, "action text is required"),
    ({"text": "ok"}, "action text 'ok' is too short"),
    ({"text": "Fix\x07 it"}, "control character (code 7) at position 4"),
    ({"kind": "wish"}, "kind 'wish' is not one of decision, action"),
    ({"campaign_id": None}, "tied to a metric or a campaign"),
    ({"metric_name": "nope"}, "metric 'nope' is not a registered metric"),
    ({"campaign_id": "c9"}, "campaign 'c9': no such campaign"),
    ({"owner_rep_id": "zz"}, "owner 'zz': no person with that rep id"),
    ({"owner_rep_id": "sdr1"}, "Sam Sdr (sdr1) is on the sales side, not marketing"),
    ({"owner_team": "finance"}, "owner team 'finance' is not one of marketing, sales, shared"),
    ({"due_date": None}, "due date is required"),
    ({"due_date": "2026-03-09"}, "due date must be a date"),
    ({"due_date": date(2026, 3, 1)}, "due date 2026-03-01 is before the day it is raised (2026-03-02)"),
    ({"status": "later"}, "status 'later' is not one of open, in_progress, done, dropped"),
])
def test_a_bad_item_is_refused_and_nothing_written(con, meeting, change, message):
    before = count(con, "meeting_items"), count(con, "audit_log")
    with pytest.raises(MeetingError) as refused:
        meetings.record_item(con.cursor(), MAYA, ItemInput(meeting, **{**GOOD, **change}), at=at(2, hour=10))
    assert message in str(refused.value)
    assert (count(con, "meeting_items"), count(con, "audit_log")) == before


def test_an_item_needs_a_meeting(con):
    with pytest.raises(MeetingError, match="snapshot 99: no such meeting snapshot"):
        meetings.record_item(con.cursor(), MAYA, ItemInput(99, **GOOD), at=at(2))


def test_a_decision_needs_no_due_date_and_shared_takes_anyone(con, meeting):
    item = meetings.record_item(con.cursor(), SAM, ItemInput(meeting, "decision", "Stop the giveaway", "shared", "sdr1",
                                                             campaign_id="c2"), at=at(2, hour=10))
    assert con.execute("select due_date, status, created_by from meeting_items where item_id = ?",
                       [item]).fetchone() == (None, "open", "sdr1")


def test_permissions_are_checked_first(con, meeting):
    cur = con.cursor()
    with pytest.raises(PermissionDenied, match=r"Vic Viewer \(viewer\) may not record or update meeting decisions"):
        meetings.record_item(cur, VIEWER, ItemInput(meeting, **GOOD), at=at(2))
    with pytest.raises(PermissionDenied, match="may not freeze a meeting snapshot"):
        meetings.freeze(cur, VIEWER, "Review", FEB, {})  # refused before the empty board is even looked at
    with pytest.raises(PermissionDenied, match="Sign in to write chart annotations"):
        meetings.add_annotation(cur, None, AnnotationInput("note", date(2026, 2, 3), "Price change"))
    assert count(con, "meeting_items") == 0


def test_every_write_is_audited(con, meeting):
    cur = con.cursor()
    item = meetings.record_item(cur, MAYA, ItemInput(meeting, **GOOD), at=at(2, hour=10))
    meetings.set_item_status(cur, SAM, item, "done", at=at(4))
    rows = con.execute("select actor, actor_role, action, entity, entity_id, before_json, after_json from audit_log "
                       "order by audit_id").fetchall()
    assert [r[:5] for r in rows] == [("mk1", "marketing", "meeting.snapshot", "meeting_snapshots", str(meeting)),
                                     ("mk1", "marketing", "meeting.decide", "meeting_items", str(item)),
                                     ("sdr1", "sales", "meeting.decide", "meeting_items", str(item))]
    before, after = json.loads(rows[2][5]), json.loads(rows[2][6])
    assert (before["status"], after["status"]) == ("open", "done")
    assert after["closed_at"] == "2026-03-04T09:00:00"


def test_a_failed_freeze_leaves_nothing(con, monkeypatch):
    cur = con.cursor()
    frames = board(cur, FEB)

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    # The audit row is written last, after the snapshot and every frame: failing there must undo them all.
    monkeypatch.setattr(meetings.audit, "record", broken)
    with pytest.raises(RuntimeError, match="audit store unavailable"):
        meetings.freeze(cur, MAYA, "Review", FEB, frames, at=at(2))
    assert (count(con, "meeting_snapshots"), count(con, "meeting_snapshot_frames")) == (0, 0)
    with pytest.raises(MeetingError, match="frames: no DataFrame for goals"):
        meetings.freeze(cur, MAYA, "Review", FEB, {k: v for k, v in frames.items() if k != "goals"})
    with pytest.raises(MeetingError, match="title is required"):
        meetings.freeze(cur, MAYA, " ", FEB, frames)


def test_annotations_written_changed_and_deleted(con, meeting):
    cur = con.cursor()
    note = AnnotationInput("definition", date(2026, 2, 10), "MQL: score threshold 50 -> 60", "Agreed in the review",
                           "mqls")
    annotation = meetings.add_annotation(cur, MAYA, note, at=at(2))
    rows = get("chart_annotations")(cur, FEB)
    assert rows[["on_date", "kind", "label", "owner_team"]].values.tolist() == [
        [pd.Timestamp("2026-02-01"), "launch", "Brand search", "marketing"],
        [pd.Timestamp("2026-02-10"), "definition", "MQL: score threshold 50 -> 60", "marketing"]]
    assert rows["metric_name"].isna().tolist() == [True, False] and rows["metric_name"].iloc[1] == "mqls"
    # A definition change about MQLs shows on MQL charts and on charts that list every annotation, not elsewhere.
    assert "definition" in set(get("chart_annotations")(cur, FEB, metrics="mqls,leads")["kind"])
    assert "definition" not in set(get("chart_annotations")(cur, FEB, metrics="win_rate")["kind"])
    changed = AnnotationInput("definition", date(2026, 2, 12), "MQL: score threshold 50 -> 65", None, "mqls")
    assert meetings.update_annotation(cur, SAM, annotation, changed, at=at(3))
    assert not meetings.update_annotation(cur, SAM, annotation, changed, at=at(3))
    assert get("chart_annotations")(cur, FEB)["label"].tolist()[-1] == "MQL: score threshold 50 -> 65"
    meetings.delete_annotation(cur, MAYA, annotation)
    assert count(con, "annotations") == 0
    actions = [r[0] for r in con.execute("select action from audit_log where entity = 'annotations'").fetchall()]
    assert actions == ["annotations.edit"] * 3
    with pytest.raises(MeetingError, match="names the metric whose definition changed"):
        meetings.add_annotation(cur, MAYA, AnnotationInput("definition", date(2026, 2, 3), "Changed"))
    with pytest.raises(MeetingError, match="annotation 42: no such annotation"):
        meetings.delete_annotation(cur, MAYA, 42)


def test_decisions_are_annotations_on_the_day_they_were_taken(con, meeting):
    cur = con.cursor()
    meetings.record_item(cur, MAYA, ItemInput(meeting, "decision", "Stop the giveaway campaign", "marketing", "mk1",
                                              campaign_id="c2"), at=datetime(2026, 2, 20, 15))
    rows = get("chart_annotations")(cur, FEB).set_index("kind")
    assert rows.loc["decision", ["on_date", "label", "detail"]].tolist() == [
        pd.Timestamp("2026-02-20"), "Stop the giveaway campaign", "Decided in Review"]


def test_an_older_store_gains_the_meeting_tables(tmp_path):
    con = db.connect(tmp_path / "old.duckdb")
    schema.migrate(con, up_to=7)
    assert "meeting_snapshots" not in {r[0] for r in con.execute("show tables").fetchall()}
    assert schema.migrate(con, up_to=8) == [8]
    assert {"meeting_snapshots", "meeting_snapshot_frames", "meeting_items", "annotations"} <= {
        r[0] for r in con.execute("show tables").fetchall()}
    con.close()
