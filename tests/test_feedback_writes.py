"""The feedback loop's write paths (data/feedback.py): what they refuse, what they write, and that they write
all of it or nothing, also under concurrency. Each test writes into its own copy of the fixture."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest

from data import feedback, marts
from data.access import PermissionDenied, Principal
from data.feedback import FeedbackError
from feedback_fixture import HTML_NOTE, as_rep
from metrics import get
from metrics.filters import Filters

AT = datetime(2026, 3, 12, 10, 0)
MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))


@pytest.fixture
def con(feedback_store):
    return feedback_store


@pytest.fixture
def cur(con):
    cursor = con.cursor()
    yield cursor
    cursor.close()


def counts(cur) -> tuple[int, int, int]:
    """(feedback entries, stage events, answers): what a refused write must leave unchanged."""
    return cur.execute("select (select count(*) from sales_feedback), (select count(*) from stage_events), "
                       "(select count(*) from feedback_responses)").fetchone()


# --- refused input, nothing written -------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"verdict": "reject"}, "A rejection needs a reason"),
    ({"verdict": "reject", "reason_code": ""}, "A rejection needs a reason"),
    ({"verdict": "reject", "reason_code": "no_such_reason"}, "'no_such_reason' is not on the reason list"),
    ({"verdict": "reject", "reason_code": "bad_timing"}, "'bad_timing' has been retired"),
    ({"verdict": "accept", "reason_code": "no_budget"}, "An accepted lead takes no rejection reason"),
    ({"verdict": "approve"}, "verdict must be one of accept, reject, recycle; got 'approve'"),
    ({"verdict": "accept", "rating": 0}, "rating must be a whole number from 1 to 5; got 0"),
    ({"verdict": "accept", "rating": 6}, "rating must be a whole number from 1 to 5; got 6"),
    ({"verdict": "accept", "rating": "5"}, "rating must be a whole number from 1 to 5; got '5'"),
    ({"verdict": "accept", "rating": 4.5}, "got 4.5"),
    ({"verdict": "accept", "rating": True}, "got True"),
    ({"verdict": "accept", "note": "x" * 2001}, "note is 2,001 characters long; the limit is 2,000"),
    ({"verdict": "accept", "note": "bell\x07"}, "control character (code 7) at position 5"),
    ({"verdict": "accept", "lead_id": "NOPE"}, "no lead with id 'NOPE'"),
    ({"verdict": "accept", "lead_id": "L8"}, "lead L8 has not become an MQL"),
    ({"verdict": "accept", "at": datetime(2026, 3, 10, 9, 0)}, "before lead M5 became an MQL"),
])
def test_verdicts_are_refused_with_a_clear_message_and_nothing_written(cur, kwargs, message):
    before = counts(cur)
    arguments = {"principal": as_rep("sdr2"), "lead_id": "M5", "at": AT, **kwargs}
    with pytest.raises(FeedbackError, match=message.replace("(", r"\(").replace(")", r"\)")):
        feedback.record_verdict(cur, **arguments)
    assert counts(cur) == before


def test_a_failure_mid_write_leaves_nothing_behind(cur, monkeypatch):
    before = counts(cur)

    def broken(cur, lead_ids):
        raise RuntimeError("disk full")

    monkeypatch.setattr(marts, "refresh_leads", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        feedback.record_verdict(cur, as_rep("sdr2"), "M5", "reject", reason_code="no_budget", at=AT)
    assert counts(cur) == before  # the feedback row and the stage event were rolled back together


# --- verdicts reach the funnel at once ----------------------------------------------------------

def test_a_rejection_writes_feedback_a_stage_event_and_the_marts(cur):
    feedback_id = feedback.record_verdict(cur, as_rep("sdr2"), "M5", "reject", reason_code="no_budget", rating=2,
                                          note=HTML_NOTE, at=AT)
    row = cur.execute("select author_rep_id, lead_id, verdict, reason_code, rating, note, status from sales_feedback "
                      "where feedback_id = ?", [feedback_id]).fetchone()
    assert row == ("sdr2", "M5", "reject", "no_budget", 2, HTML_NOTE, "open")  # the note exactly as given
    assert cur.execute("select stage, entered_at, moved_by_rep_id from stage_events where lead_id = 'M5' "
                       "order by entered_at desc limit 1").fetchone() == ("rejected", AT, "sdr2")
    # The lead-local marts show it without a full refresh.
    assert cur.execute("select rejected_at, current_stage from mart_lead_funnel where lead_id = 'M5'").fetchone() == (
        AT, "rejected")
    assert cur.execute("select verdict, verdict_at, reason_code from mart_mql_followup where lead_id = 'M5'"
                       ).fetchone() == ("reject", AT, "no_budget")
    assert cur.execute("select verdict, reason_code, rating from mart_lead_sales_feedback where feedback_id = ?",
                       [feedback_id]).fetchall() == [("reject", "no_budget", 2)]
    # And so do the metrics: March's worked MQLs go from 5 to 6, rejections from 3 to 4.
    row = get("mql_acceptance")(cur, MARCH).iloc[0]
    assert (row["worked"], row["rejected"]) == (6, 4)
    assert get("funnel_records")(cur, MARCH, stage="rejected")["lead_id"].tolist() == ["M5", "M3", "M7", "M2"]


def test_per_lead_refresh_matches_a_full_refresh(cur, con):
    feedback.record_verdict(cur, as_rep("sdr2"), "M5", "accept", rating=5, at=AT)
    feedback.record_verdict(cur, as_rep("sdr1"), "M6", "recycle", reason_code="no_project", at=datetime(2026, 4, 2, 9))
    # Marts a verdict does not rebuild (mart_lead_funnel_campaigns: its campaigns' first leads) must not need it.
    targeted = {table: cur.execute(f"select * from {table} order by all").fetchall()
                for table in marts.LEAD_LOCAL_MARTS + ("mart_lead_funnel_campaigns",)}
    marts.refresh(con)
    for table, rows in targeted.items():
        assert cur.execute(f"select * from {table} order by all").fetchall() == rows, table


def test_accept_and_recycle_write_their_stages(cur):
    feedback.record_verdict(cur, as_rep("sdr2"), "M5", "accept", rating=5, note="Great", at=AT)
    assert cur.execute("select sal_at from mart_lead_funnel where lead_id = 'M5'").fetchone() == (AT,)
    feedback.record_verdict(cur, as_rep("sdr1"), "M6", "recycle", reason_code="no_project", at=datetime(2026, 4, 2, 9))
    assert cur.execute("select recycled_at from mart_lead_funnel where lead_id = 'M6'").fetchone() == (
        datetime(2026, 4, 2, 9),)


def test_campaign_rating(cur):
    before = counts(cur)
    with pytest.raises(FeedbackError, match="rating is required"):
        feedback.rate_campaign(cur, as_rep("mgr1"), "c1", None)
    with pytest.raises(FeedbackError, match="no campaign with id 'c9'"):
        feedback.rate_campaign(cur, as_rep("mgr1"), "c9", 3)
    with pytest.raises(PermissionDenied, match=r"Mia Marketer \(marketing\) may not give feedback"):
        feedback.rate_campaign(cur, as_rep("mkt1"), "c1", 3)
    assert counts(cur) == before
    feedback_id = feedback.rate_campaign(cur, as_rep("mgr1"), "c1", 3, note="Fine.", at=AT)
    assert cur.execute("select verdict, campaign_id, lead_id, rating from sales_feedback where feedback_id = ?",
                       [feedback_id]).fetchone() == ("rating", "c1", None, 3)
    assert counts(cur)[1] == before[1]  # a campaign rating moves no lead


# --- marketing answers --------------------------------------------------------------------------

def test_answers_keep_their_history_and_the_first_one_times_the_response(cur):
    before = counts(cur)
    with pytest.raises(PermissionDenied, match=r"Sue Sdr \(sales\) may not answer sales feedback"):
        feedback.respond(cur, as_rep("sdr2"), "fb3", "acknowledged", at=AT)
    with pytest.raises(FeedbackError, match="status must be one of acknowledged, action_planned, resolved"):
        feedback.respond(cur, as_rep("mkt1"), "fb3", "done", at=AT)
    with pytest.raises(FeedbackError, match="no feedback with id 'fb99'"):
        feedback.respond(cur, as_rep("mkt1"), "fb99", "resolved", at=AT)
    with pytest.raises(FeedbackError, match="before the feedback was given"):
        feedback.respond(cur, as_rep("mkt1"), "fb3", "resolved", at=datetime(2026, 3, 1))
    assert counts(cur) == before
    # fb3 was given Mar 10 10:00: acknowledged 6 hours later, resolved the next day.
    feedback.respond(cur, as_rep("mkt1"), "fb3", "acknowledged", note="On it.", at=datetime(2026, 3, 10, 16))
    feedback.respond(cur, as_rep("mktmgr"), "fb3", "resolved", note="Routing fixed.", at=datetime(2026, 3, 11, 16))
    assert cur.execute("select status, response_note, responded_by_rep_id from sales_feedback "
                       "where feedback_id = 'fb3'").fetchone() == ("resolved", "Routing fixed.", "mktmgr")
    assert cur.execute("select count(*) from feedback_responses where feedback_id = 'fb3'").fetchone() == (2,)
    inbox = get("feedback_inbox")(cur, MARCH).set_index("feedback_id")
    assert inbox.loc["fb3", "hours_to_response"] == pytest.approx(6)


# --- the reason list ----------------------------------------------------------------------------

def test_reason_list_admin(cur):
    with pytest.raises(PermissionDenied, match=r"Sam Sdr \(sales\) may not edit the rejection reason list"):
        feedback.add_reason(cur, as_rep("sdr1"), "too_small", "Too small")
    with pytest.raises(FeedbackError, match="lowercase letters, digits and underscores; got 'Too Small'"):
        feedback.add_reason(cur, as_rep("mgr1"), "Too Small", "Too small")
    with pytest.raises(FeedbackError, match="'no_budget' is already on the list"):
        feedback.add_reason(cur, as_rep("mgr1"), "no_budget", "No budget")
    feedback.add_reason(cur, as_rep("mgr1"), "too_small", "Too small", at=AT)
    # A reason in use cannot be deleted, only retired; retired, new feedback cannot use it, old keeps it.
    with pytest.raises(FeedbackError, match="used by 1 feedback entries, so it cannot be deleted; retire it"):
        feedback.delete_reason(cur, as_rep("mgr1"), "wrong_persona")
    feedback.retire_reason(cur, as_rep("mgr1"), "wrong_persona", at=AT)
    with pytest.raises(FeedbackError, match="already retired"):
        feedback.retire_reason(cur, as_rep("mgr1"), "wrong_persona")
    with pytest.raises(FeedbackError, match="'wrong_persona' has been retired"):
        feedback.record_verdict(cur, as_rep("sdr2"), "M5", "reject", reason_code="wrong_persona", at=AT)
    listing = feedback.reason_list(cur).set_index("reason_code")
    assert listing.loc["wrong_persona", ["is_active", "used_count", "retired_by"]].tolist() == [False, 1, "Max Manager"]
    assert listing.loc["too_small", ["is_active", "added_by"]].tolist() == [True, "Max Manager"]
    # Reinstated, it can be used again; an unused reason can be deleted.
    feedback.reinstate_reason(cur, as_rep("mgr1"), "wrong_persona")
    feedback.record_verdict(cur, as_rep("sdr2"), "M5", "reject", reason_code="wrong_persona", at=AT)
    feedback.delete_reason(cur, as_rep("mgr1"), "typo_reason")
    assert "typo_reason" not in set(feedback.reason_list(cur)["reason_code"])


# --- SLA policies -------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"business_hours_start": 17, "business_hours_end": 9}, "business hours must start before they end; got 17 to 9"),
    ({"business_hours_end": 25}, "business_hours_end must be a whole hour from 0 to 24; got 25"),
    ({"business_days": "0,8"}, "business_days must name at least one weekday"),
    ({"business_days": "mon"}, "business_days must be ISO weekday numbers"),
    ({"threshold": -5}, r"threshold \(minutes\) must be a number from 1 to 10,080; got -5"),
    ({"compliance_target": 1.5}, "compliance_target must be a share above 0 and at most 1"),
    ({"description": " "}, "description is required"),
    ({"colour": "red"}, "Unknown policy field 'colour'"),
])
def test_policy_edits_are_validated(cur, changes, message):
    with pytest.raises(FeedbackError, match=message):
        feedback.update_sla_policy(cur, as_rep("mgr1"), "sla-first-touch", changes)
    assert cur.execute("select count(*) from sla_policy_changes").fetchone() == (0,)


def test_policy_edits_are_permitted_to_managers_audited_and_change_the_numbers(cur):
    with pytest.raises(PermissionDenied, match=r"Sam Sdr \(sales\) may not edit the SLA policy"):
        feedback.update_sla_policy(cur, as_rep("sdr1"), "sla-first-touch", {"threshold": 30})
    # Saturdays count, and 20 minutes are allowed.
    changed = feedback.update_sla_policy(cur, as_rep("mktmgr"), "sla-first-touch",
                                         {"business_days": "1,2,3,4,5,6", "threshold": 20.0}, at=AT)
    assert changed == 2
    audit = feedback.policy_changes(cur)
    assert sorted(zip(audit["field"], audit["old_value"], audit["new_value"])) == [
        ("business_days", "1,2,3,4,5", "1,2,3,4,5,6"), ("threshold", "15.0", "20.0")]
    assert set(audit["changed_by"]) == {"Mo Marketing-Lead"}
    # Within 20 minutes: M1 4, M2 8, M7 10. Late: M3 (Friday 16:55 -> Monday 09:12 is now 5 + 480 Saturday
    # + 12 = 497 minutes) and M4 (Saturday noon -> Monday 09:05: 300 + 5 = 305). Never touched: M5.
    row = get("sla_first_touch")(cur, MARCH).iloc[0]
    assert (row["due_count"], row["within_count"], row["late_count"], row["threshold_minutes"]) == (6, 3, 2, 20.0)
    assert row["p50_minutes"] == pytest.approx(10)  # 4, 8, 10, 305, 497
    assert feedback.update_sla_policy(cur, as_rep("mktmgr"), "sla-first-touch", {"threshold": 20}) == 0  # nothing new


def test_a_promise_is_added_once_per_kind_validated_and_audited(cur):
    acceptance = {"threshold": 0.6, "description": "Sales accepts at least 60% of the MQLs it works."}
    with pytest.raises(PermissionDenied, match=r"Sam Sdr \(sales\) may not edit the SLA policy"):
        feedback.add_sla_policy(cur, as_rep("sdr1"), "marketing", "ratio", "MQL acceptance rate", acceptance)
    with pytest.raises(FeedbackError, match=r"already holds this promise \(MQL acceptance rate\); edit it instead"):
        feedback.add_sla_policy(cur, as_rep("mgr1"), "marketing", "ratio", "Acceptance", acceptance)
    cur.execute("delete from sla_policy where policy_id = 'sla-acceptance'")
    for side, unit, name, values, message in [
        ("sales", "count", "Calls", acceptance, "A promise is one of sales/minutes, marketing/count, marketing/ratio"),
        ("marketing", "ratio", " ", acceptance, "name is required"),
        ("marketing", "ratio", "Acceptance", {"threshold": 0.6}, "description is required; got None"),
        ("marketing", "ratio", "Acceptance", {**acceptance, "threshold": 1.5},
         r"threshold \(ratio\) must be a number from 0.01 to 1; got 1.5"),
        ("marketing", "ratio", "Acceptance", {**acceptance, "colour": "red"}, "Unknown policy field 'colour'"),
    ]:
        with pytest.raises(FeedbackError, match=message):
            feedback.add_sla_policy(cur, as_rep("mgr1"), side, unit, name, values)
    assert cur.execute("select count(*) from sla_policy_changes").fetchone() == (0,)

    assert feedback.add_sla_policy(cur, as_rep("mgr1"), "marketing", "ratio", "MQL acceptance rate", acceptance,
                                   at=AT) == "sla-acceptance"
    # Business hours and the compliance target take the columns' defaults; the promise starts on AT's day.
    assert cur.execute("select side, name, unit, threshold, compliance_target, business_hours_start, "
                       "business_hours_end, business_days, description, effective_from from sla_policy "
                       "where policy_id = 'sla-acceptance'").fetchone() == (
        "marketing", "MQL acceptance rate", "ratio", 0.6, 0.9, 9, 17, "1,2,3,4,5", acceptance["description"],
        date(2026, 3, 12))
    changes = feedback.policy_changes(cur)
    assert dict(zip(changes["field"], changes["new_value"])) == {
        "side": "marketing", "name": "MQL acceptance rate", "unit": "ratio", "threshold": "0.6",
        "compliance_target": "0.9", "business_hours_start": "9", "business_hours_end": "17",
        "business_days": "1,2,3,4,5", "description": acceptance["description"]}
    assert changes["old_value"].isna().all() and set(changes["changed_by"]) == {"Max Manager"}
    assert set(changes["changed_at"]) == {AT}
    assert cur.execute("select actor, actor_role, action, entity, entity_id, before_json, "
                       "after_json::json->>'threshold', after_json::json->>'effective_from' from audit_log "
                       "where action = 'sla.add'").fetchall() == [
        ("mgr1", "admin", "sla.add", "sla_policy", "sla-acceptance", None, "0.6", "2026-03-12")]
    # March: 1 of the 5 MQLs worked was accepted (see test_sla_metrics.py); 60% of 5 = 3 needed, 2 short.
    row = get("sla_ledger")(cur, MARCH).set_index("policy_id").loc["sla-acceptance"]
    assert (row["target"], row["actual"], row["is_met"], row["shortfall"]) == (0.6, 0.2, False, 2)


# --- concurrency --------------------------------------------------------------------------------

THREADS, ENTRIES = 8, 50


def add_mqls(con, n: int) -> list[str]:
    """n extra MQLs (owned by sdr1) and one SDR per thread to write about them."""
    ids = [f"Q{i:03d}" for i in range(n)]
    con.executemany("insert into leads (lead_id, created_at, owner_rep_id, campaign_id) values (?, ?, 'sdr1', 'c1')",
                    [(i, datetime(2026, 4, 1)) for i in ids])
    con.executemany("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)",
                    [(i, stage, datetime(2026, 4, 1, hour)) for i in ids for stage, hour in (("lead", 8), ("mql", 9))])
    con.executemany("insert into reps (rep_id, rep_name, team_id, rep_role) values (?, ?, 'SDR-A', 'sdr')",
                    [(f"writer{t}", f"Writer {t}") for t in range(THREADS)])
    marts.refresh(con)
    return ids


def test_eight_threads_writing_fifty_entries_each(con):
    leads = add_mqls(con, 40)
    errors: list[BaseException] = []
    inconsistent: list[tuple] = []
    reads: list[int] = []
    done = threading.Event()

    def write(thread: int) -> None:
        cur = con.cursor()  # each thread its own cursor from the one connection, as the app does
        try:
            for j in range(ENTRIES):
                lead = leads[(thread * 7 + j) % len(leads)]  # threads share leads, so writes collide
                verdict = ("accept", "reject", "recycle")[j % 3]
                feedback.record_verdict(cur, as_rep(f"writer{thread}"), lead, verdict,
                                        reason_code="no_budget" if verdict == "reject" else None, rating=1 + j % 5,
                                        note=f"thread {thread} entry {j}",
                                        at=datetime(2026, 5, 1) + timedelta(seconds=thread * 1000 + j))
        except BaseException as exc:
            errors.append(exc)
        finally:
            cur.close()

    def read() -> None:
        # One statement reads one snapshot: every entry's feedback row, stage event and mart row, or none of them.
        cur = con.cursor()
        sql = ("select (select count(*) from sales_feedback where author_rep_id like 'writer%'), "
               "(select count(*) from stage_events where moved_by_rep_id like 'writer%'), "
               "(select count(*) from mart_lead_funnel as f join (select lead_id, arg_max(stage, entered_at) as stage "
               "from stage_events group by 1) as e using (lead_id) where f.current_stage <> e.stage)")
        try:
            while not done.wait(0.005):  # read again and again while the writers run
                written, events, stale = cur.execute(sql).fetchone()
                reads.append(written)
                if written != events or stale:
                    inconsistent.append((written, events, stale))
        finally:
            cur.close()

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()

    assert errors == []
    assert inconsistent == []
    assert len(set(reads)) > 2  # the reader saw the table grow, not just before and after
    cur = con.cursor()
    assert cur.execute("select count(*) from sales_feedback where author_rep_id like 'writer%'").fetchone() == (400,)
    assert cur.execute("select count(*) from stage_events where moved_by_rep_id like 'writer%'").fetchone() == (400,)
    assert cur.execute("select count(distinct note) from sales_feedback where author_rep_id like 'writer%'"
                       ).fetchone() == (400,)


def test_a_scoped_seller_queues_and_judges_only_leads_in_scope(cur):
    # Every fixture lead is EMEA; M5 (sdr2's) and M6 (sdr1's) await a verdict; M5 is SMB.
    emea = Principal("sue", "Sue Sdr", "sales", "sdr2", scope_regions=("EMEA",))
    americas = Principal("ann", "Ann Americas", "sales", scope_regions=("Americas",))
    enterprise = Principal("eli", "Eli Enterprise", "sales", scope_segments=("Enterprise",))
    assert feedback.verdict_queue(cur, emea)["lead_id"].tolist() == ["M5"]  # her own first
    assert sorted(feedback.verdict_queue(cur, as_rep("mgr1"))["lead_id"]) == ["M5", "M6"]
    assert feedback.verdict_queue(cur, americas).empty and feedback.verdict_queue(cur, enterprise).empty
    before = counts(cur)
    for outsider in (americas, enterprise):
        with pytest.raises(PermissionDenied, match="may give feedback only on leads in .*; lead M5 is EMEA SMB"):
            feedback.record_verdict(cur, outsider, "M5", "accept", at=AT)
    assert counts(cur) == before
    feedback.record_verdict(cur, emea, "M5", "accept", at=AT)
    assert counts(cur)[0] == before[0] + 1
