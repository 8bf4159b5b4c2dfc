"""Every write path checks the role itself, on the server: called by a role that may not, it raises
PermissionDenied and the store is byte-for-byte what it was (every table's rows hashed before and after).
Called by a role that may, it gets past the check."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from data import audit, feedback, meetings
from data import goals as goal_store
from data.access import PERMISSIONS, ROLES, PermissionDenied, Principal
from data.goals import Change, GoalInput
from data.importers import load, prepare
from data.meetings import AnnotationInput, ItemInput
from import_fixture import SPEC, files
from metrics.filters import Filters

AT = datetime(2026, 3, 12, 10, 0)
MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31))


def goal(owner: str) -> list[Change]:
    return [Change("create", GoalInput("leads", "month", "2026-05", owner_team=owner, target=10), "the form")]


# (name, action checked, the write as a function of (connection, principal)). Arguments are valid where a
# permitted role would get past the check to validation, so a refusal can only come from the role.
WRITES = [
    ("record_verdict", "feedback.give", lambda con, p: feedback.record_verdict(con.cursor(), p, "M5", "accept", at=AT)),
    ("rate_campaign", "feedback.give", lambda con, p: feedback.rate_campaign(con.cursor(), p, "c1", 3, at=AT)),
    ("respond", "feedback.respond", lambda con, p: feedback.respond(con.cursor(), p, "fb3", "acknowledged", at=AT)),
    ("add_reason", "reasons.edit", lambda con, p: feedback.add_reason(con.cursor(), p, "too_small", "Too small")),
    ("retire_reason", "reasons.edit", lambda con, p: feedback.retire_reason(con.cursor(), p, "wrong_persona")),
    ("reinstate_reason", "reasons.edit", lambda con, p: feedback.reinstate_reason(con.cursor(), p, "bad_timing")),
    ("delete_reason", "reasons.edit", lambda con, p: feedback.delete_reason(con.cursor(), p, "typo_reason")),
    ("update_sla_policy", "sla.edit",
     lambda con, p: feedback.update_sla_policy(con.cursor(), p, "sla-first-touch", {"threshold": 30})),
    ("marketing goal", "goals.edit:marketing", lambda con, p: goal_store.save(con, goal("marketing"), p)),
    ("sales goal", "goals.edit:sales", lambda con, p: goal_store.save(con, goal("sales"), p)),
    ("shared goal", "goals.edit:shared", lambda con, p: goal_store.save(con, goal("shared"), p)),
    ("goals CSV import", "goals.edit:shared",
     lambda con, p: goal_store.import_csv(con, "metric_name,period_type,period,owner_team,target\n"
                                               "leads,month,2026-05,shared,10\n", "goals.csv", p)),
    ("data import", "data.import", lambda con, p: load(con, prepare(con.cursor(), SPEC, files()), "strict", p)),
    ("freeze", "meeting.snapshot", lambda con, p: meetings.freeze(con.cursor(), p, "Review", MARCH, {})),
    ("record_item", "meeting.decide", lambda con, p: meetings.record_item(
        con.cursor(), p, ItemInput(1, "decision", "Keep the webinar", "shared", "sdr1", None))),
    ("set_item_status", "meeting.decide", lambda con, p: meetings.set_item_status(con.cursor(), p, 1, "done")),
    ("add_annotation", "annotations.edit", lambda con, p: meetings.add_annotation(
        con.cursor(), p, AnnotationInput("note", date(2026, 3, 3), "Price change"))),
    ("update_annotation", "annotations.edit", lambda con, p: meetings.update_annotation(
        con.cursor(), p, 1, AnnotationInput("note", date(2026, 3, 3), "Price change"))),
    ("delete_annotation", "annotations.edit", lambda con, p: meetings.delete_annotation(con.cursor(), p, 1)),
    ("read the audit log", "audit.view", lambda con, p: audit.read(con.cursor(), p)),
]


def allowed(action: str, role: str) -> bool:
    name, _, owner = action.partition(":")
    return Principal("someone", "Someone", role).can(name, owner or None)


@pytest.fixture
def con(feedback_store):
    return feedback_store


def fingerprint(con) -> dict[str, tuple]:
    """Every table's row count and a hash of all its rows."""
    tables = [row[0] for row in con.execute("select table_name from duckdb_tables() where schema_name = 'main' "
                                            "order by 1").fetchall()]
    return {t: con.execute(f'select count(*), bit_xor(hash(x)) from "{t}" as x').fetchall()[0] for t in tables}


REFUSED = [(name, action, role) for name, action, _ in WRITES for role in ROLES if not allowed(action, role)]
PERMITTED = [(name, action, role) for name, action, _ in WRITES for role in ROLES if allowed(action, role)]


def test_every_action_is_covered():
    """A new permission without a write in this table fails here, so no write path goes untested."""
    assert {action.partition(":")[0] for _, action, _ in WRITES} == set(PERMISSIONS) - {"users.admin"}
    assert len(REFUSED) >= 30


@pytest.mark.parametrize("name, action, role", REFUSED, ids=[f"{n}-{r}" for n, _, r in REFUSED])
def test_a_write_under_the_wrong_role_is_refused_and_changes_nothing(con, name, action, role):
    write = {n: w for n, _, w in WRITES}[name]
    before = fingerprint(con)
    with pytest.raises(PermissionDenied, match=f"Pat \\({role}\\) may not"):
        write(con, Principal("pat", "Pat", role))
    assert fingerprint(con) == before


@pytest.mark.parametrize("name, action, role", PERMITTED, ids=[f"{n}-{r}" for n, _, r in PERMITTED])
def test_a_permitted_role_gets_past_the_check(con, name, action, role):
    write = {n: w for n, _, w in WRITES}[name]
    try:
        write(con, Principal("pat", "Pat", role))
    except PermissionDenied as exc:
        pytest.fail(f"{role} was refused {name}: {exc}")
    except (feedback.FeedbackError, goal_store.GoalError, meetings.MeetingError):
        pass  # a validation refusal (no meeting 1, say) comes after the role check: the role passed


def test_nobody_signed_in_writes_nothing(con):
    before = fingerprint(con)
    for _name, _action, write in WRITES:
        with pytest.raises(PermissionDenied, match="Sign in to"):
            write(con, None)
    assert fingerprint(con) == before
