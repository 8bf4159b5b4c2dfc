"""The feedback loop's write paths: sales' verdicts and ratings, marketing's answers, the reason list
and the SLA policies.

Every write is validated first (types, ranges, lengths), then done in one transaction that checks
what it refers to (the person, the lead, the reason), writes and commits; a refused entry raises
FeedbackError naming the field and the value, and nothing is written. A verdict also writes the
matching stage event (sal, rejected, recycled) and rebuilds that lead's mart rows, so the funnel
shows it at once. Every write takes the signed-in principal (never a form field), checks its role first
(data.access.authorize: sales give feedback, marketing answers it, admins keep the reason list and the
SLA policies) and records an audit_log row in the same transaction.

Two writers on the same lead at once make DuckDB refuse one transaction (a conflict on the lead's
mart row); that write is retried from the start, so concurrent entries all land.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import TypeVar

import duckdb
import pandas as pd

from data import audit, marts
from data.access import PermissionDenied, Principal, authorize

NOTE_LIMIT = 2000  # characters, for notes and answers
LABEL_LIMIT = 80
DESCRIPTION_LIMIT = 500
VERDICTS: tuple[str, ...] = ("accept", "reject", "recycle")
VERDICT_STAGE = {"accept": "sal", "reject": "rejected", "recycle": "recycled"}
VERDICT_LABELS = {"accept": "Accept", "reject": "Reject", "recycle": "Recycle to nurture", "rating": "Campaign rating"}
RESPONSE_STATUSES: tuple[str, ...] = ("acknowledged", "action_planned", "resolved")
STATUS_LABELS = {"open": "Open", "acknowledged": "Acknowledged", "action_planned": "Action planned",
                 "resolved": "Resolved"}
RATINGS = (1, 2, 3, 4, 5)
STANDARD_REASONS_BY = "tandem"  # who migration 010 records as adding the standard reason list
MAX_ATTEMPTS = 10
_ALLOWED_CONTROL = {"\n", "\r", "\t"}
_T = TypeVar("_T")


class FeedbackError(ValueError):
    """An entry was refused; the message says which field, which value and why. Nothing was written."""


# --- validation of plain values (before any transaction) ----------------------------------------

def _check_note(value: str | None, field: str = "note") -> str | None:
    """Stored exactly as given (HTML and script text stay text); blank means no note."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise FeedbackError(f"{field} must be text; got {value!r}.")
    if not value.strip():
        return None
    if len(value) > NOTE_LIMIT:
        raise FeedbackError(f"{field} is {len(value):,} characters long; the limit is {NOTE_LIMIT:,}. "
                            "Shorten it and submit again.")
    for position, char in enumerate(value, start=1):
        if ord(char) < 32 and char not in _ALLOWED_CONTROL:
            raise FeedbackError(f"{field} holds a control character (code {ord(char)}) at position {position}; "
                                "remove it and submit again.")
    return value


def _check_rating(value, required: bool) -> int | None:
    if value is None:
        if required:
            raise FeedbackError("rating is required: a whole number from 1 to 5.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in RATINGS:
        raise FeedbackError(f"rating must be a whole number from 1 to 5; got {value!r}.")
    return value


def _check_text(value, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FeedbackError(f"{field} is required; got {value!r}.")
    if len(value) > limit:
        raise FeedbackError(f"{field} is {len(value)} characters long; the limit is {limit}.")
    return value.strip()


def _check_id(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FeedbackError(f"{field} is required; got {value!r}.")
    return value.strip()


def _now(at: datetime | None) -> datetime:
    return (at or datetime.now()).replace(microsecond=0)


# --- the transaction ----------------------------------------------------------------------------

def _rollback(cur) -> None:
    with contextlib.suppress(duckdb.TransactionException):  # a failed commit already ended it
        cur.execute("rollback")


def _in_transaction(cur, work: Callable[[], _T]) -> _T:
    """Run work() between begin and commit; retry it when another writer conflicted with it."""
    for attempt in range(MAX_ATTEMPTS):
        cur.execute("begin transaction")
        try:
            result = work()
            cur.execute("commit")
            return result
        except duckdb.TransactionException:
            _rollback(cur)
            time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
        except BaseException:
            _rollback(cur)
            raise
    raise FeedbackError(f"The store stayed busy with other writes through {MAX_ATTEMPTS} attempts; nothing was "
                        "written. Submit again.")


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


# --- sales' feedback ----------------------------------------------------------------------------

def record_verdict(cur, principal: Principal, lead_id: str, verdict: str, reason_code: str | None = None,
                   rating: int | None = None, note: str | None = None, at: datetime | None = None) -> str:
    """Accept, reject (a reason from the active list is required) or recycle an MQL; return the feedback id.

    Writes one sales_feedback row and the matching stage event (sal, rejected, recycled) dated `at`
    (default now), then rebuilds the lead's mart rows, all in one transaction.
    """
    authorize(principal, "feedback.give")
    lead_id = _check_id(lead_id, "lead")
    if verdict not in VERDICTS:
        raise FeedbackError(f"verdict must be one of {', '.join(VERDICTS)}; got {verdict!r}.")
    reason_code = reason_code or None
    if verdict == "reject" and reason_code is None:
        raise FeedbackError("A rejection needs a reason from the list; none was given.")
    if verdict == "accept" and reason_code is not None:
        raise FeedbackError(f"An accepted lead takes no rejection reason; got reason {reason_code!r}.")
    rating, note, at = _check_rating(rating, required=False), _check_note(note), _now(at)

    def work() -> str:
        _check_lead(cur, principal, lead_id, at)
        if reason_code is not None:
            _check_reason_active(cur, reason_code)
        feedback_id = _new_id("fb")
        entry = {"lead_id": lead_id, "verdict": verdict, "reason_code": reason_code, "rating": rating, "note": note,
                 "created_at": at}
        cur.execute("insert into sales_feedback (feedback_id, created_at, author_rep_id, lead_id, verdict, "
                    "reason_code, rating, note) values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [feedback_id, at, principal.actor, lead_id, verdict, reason_code, rating, note])
        cur.execute("insert into stage_events (lead_id, stage, entered_at, moved_by_rep_id) values (?, ?, ?, ?)",
                    [lead_id, VERDICT_STAGE[verdict], at, principal.actor])
        marts.refresh_leads(cur, [lead_id])
        audit.record(cur, principal, "feedback.give", "sales_feedback", feedback_id, None, entry)
        return feedback_id

    return _in_transaction(cur, work)


def _check_lead(cur, principal: Principal, lead_id: str, at: datetime) -> None:
    row = cur.execute("select mql_at, current_stage, region, segment from mart_lead_funnel where lead_id = ?",
                      [lead_id]).fetchone()
    if row is None:
        raise FeedbackError(f"lead: no lead with id {lead_id!r} in the store.")
    mql_at, stage, region, segment = row
    if (principal.scope_regions and region not in principal.scope_regions) or (
            principal.scope_segments and segment not in principal.scope_segments):
        raise PermissionDenied(f"{principal.display_name} may give feedback only on leads in "
                               f"{', '.join(principal.scope_regions + principal.scope_segments)}; lead {lead_id} "
                               f"is {region} {segment}.")
    if mql_at is None:
        raise FeedbackError(f"lead {lead_id} has not become an MQL (its stage is {stage}); sales gives verdicts "
                            "on MQLs.")
    if at < mql_at:
        raise FeedbackError(f"The verdict's time {at:%Y-%m-%d %H:%M} is before lead {lead_id} became an MQL "
                            f"({mql_at:%Y-%m-%d %H:%M}).")


def _check_reason_active(cur, reason_code: str) -> None:
    row = cur.execute("select is_active from feedback_reasons where reason_code = ?", [reason_code]).fetchone()
    if row is None:
        raise FeedbackError(f"reason: {reason_code!r} is not on the reason list.")
    if not row[0]:
        raise FeedbackError(f"reason: {reason_code!r} has been retired; pick one of the active reasons.")


def rate_campaign(cur, principal: Principal, campaign_id: str, rating: int, note: str | None = None,
                  at: datetime | None = None) -> str:
    """Sales' rating (1-5, required) of a campaign as a whole, with an optional note; return the feedback id."""
    authorize(principal, "feedback.give")
    campaign_id = _check_id(campaign_id, "campaign")
    rating, note, at = _check_rating(rating, required=True), _check_note(note), _now(at)

    def work() -> str:
        if cur.execute("select 1 from campaigns where campaign_id = ?", [campaign_id]).fetchone() is None:
            raise FeedbackError(f"campaign: no campaign with id {campaign_id!r} in the store.")
        feedback_id = _new_id("fb")
        cur.execute("insert into sales_feedback (feedback_id, created_at, author_rep_id, campaign_id, verdict, "
                    "rating, note) values (?, ?, ?, ?, 'rating', ?, ?)",
                    [feedback_id, at, principal.actor, campaign_id, rating, note])
        audit.record(cur, principal, "feedback.give", "sales_feedback", feedback_id, None,
                     {"campaign_id": campaign_id, "verdict": "rating", "rating": rating, "note": note,
                      "created_at": at})
        return feedback_id

    return _in_transaction(cur, work)


# --- marketing's answers ------------------------------------------------------------------------

def respond(cur, principal: Principal, feedback_id: str, status: str, note: str | None = None,
            at: datetime | None = None) -> str:
    """Marketing answers a piece of feedback: acknowledged, action planned or resolved, with a note.

    Adds to the answer history (feedback_responses) and sets the feedback's current status and latest
    answer; return the response id.
    """
    authorize(principal, "feedback.respond")
    feedback_id = _check_id(feedback_id, "feedback")
    if status not in RESPONSE_STATUSES:
        raise FeedbackError(f"status must be one of {', '.join(RESPONSE_STATUSES)}; got {status!r}.")
    note, at = _check_note(note), _now(at)

    def work() -> str:
        row = cur.execute("select created_at, status, response_note from sales_feedback where feedback_id = ?",
                          [feedback_id]).fetchone()
        if row is None:
            raise FeedbackError(f"feedback: no feedback with id {feedback_id!r}.")
        if at < row[0]:
            raise FeedbackError(f"The answer's time {at:%Y-%m-%d %H:%M} is before the feedback was given "
                                f"({row[0]:%Y-%m-%d %H:%M}).")
        response_id = _new_id("resp")
        cur.execute("insert into feedback_responses values (?, ?, ?, ?, ?, ?)",
                    [response_id, feedback_id, at, principal.actor, status, note])
        cur.execute("update sales_feedback set status = ?, response_note = ?, responded_by_rep_id = ?, "
                    "responded_at = ? where feedback_id = ?", [status, note, principal.actor, at, feedback_id])
        audit.record(cur, principal, "feedback.respond", "sales_feedback", feedback_id,
                     {"status": row[1], "response_note": row[2]}, {"status": status, "response_note": note})
        return response_id

    return _in_transaction(cur, work)


# --- the reason list ----------------------------------------------------------------------------

def add_reason(cur, principal: Principal, reason_code: str, label: str, at: datetime | None = None) -> None:
    """A new active reason; its code is lowercase letters, digits and underscores."""
    authorize(principal, "reasons.edit")
    code, label, at = _check_id(reason_code, "reason code"), _check_text(label, "label", LABEL_LIMIT), _now(at)
    if not code.replace("_", "").isalnum() or not code.isascii() or code != code.lower() or len(code) > 40:
        raise FeedbackError(f"reason code must be up to 40 lowercase letters, digits and underscores; got {code!r}.")

    def work() -> None:
        if cur.execute("select 1 from feedback_reasons where reason_code = ?", [code]).fetchone():
            raise FeedbackError(f"reason code {code!r} is already on the list.")
        cur.execute("insert into feedback_reasons (reason_code, label, is_active, added_at, added_by_rep_id) "
                    "values (?, ?, true, ?, ?)", [code, label, at, principal.actor])
        audit.record(cur, principal, "reasons.add", "feedback_reasons", code, None, {"label": label, "is_active": True})

    _in_transaction(cur, work)


def retire_reason(cur, principal: Principal, reason_code: str, at: datetime | None = None) -> None:
    """Take a reason off the list for new feedback; feedback that used it keeps it."""
    authorize(principal, "reasons.edit")
    code, at = _check_id(reason_code, "reason code"), _now(at)

    def work() -> None:
        if not _reason_state(cur, code):
            raise FeedbackError(f"reason {code!r} is already retired.")
        cur.execute("update feedback_reasons set is_active = false, retired_at = ?, retired_by_rep_id = ? "
                    "where reason_code = ?", [at, principal.actor, code])
        audit.record(cur, principal, "reasons.retire", "feedback_reasons", code, {"is_active": True},
                     {"is_active": False})

    _in_transaction(cur, work)


def reinstate_reason(cur, principal: Principal, reason_code: str) -> None:
    """Put a retired reason back on the list."""
    authorize(principal, "reasons.edit")
    code = _check_id(reason_code, "reason code")

    def work() -> None:
        if _reason_state(cur, code):
            raise FeedbackError(f"reason {code!r} is active; there is nothing to reinstate.")
        cur.execute("update feedback_reasons set is_active = true, retired_at = null, retired_by_rep_id = null "
                    "where reason_code = ?", [code])
        audit.record(cur, principal, "reasons.reinstate", "feedback_reasons", code, {"is_active": False},
                     {"is_active": True})

    _in_transaction(cur, work)


def delete_reason(cur, principal: Principal, reason_code: str) -> None:
    """Delete a reason no feedback has used (a typo); a reason in use can only be retired."""
    authorize(principal, "reasons.edit")
    code = _check_id(reason_code, "reason code")

    def work() -> None:
        active = _reason_state(cur, code)
        used = cur.execute("select count(*) from sales_feedback where reason_code = ?", [code]).fetchone()[0]
        if used:
            raise FeedbackError(f"reason {code!r} is used by {used:,} feedback entries, so it cannot be deleted; "
                                "retire it instead.")
        label = cur.execute("select label from feedback_reasons where reason_code = ?", [code]).fetchone()[0]
        cur.execute("delete from feedback_reasons where reason_code = ?", [code])
        audit.record(cur, principal, "reasons.delete", "feedback_reasons", code,
                     {"label": label, "is_active": active}, None)

    _in_transaction(cur, work)


def _reason_state(cur, code: str) -> bool:
    row = cur.execute("select is_active from feedback_reasons where reason_code = ?", [code]).fetchone()
    if row is None:
        raise FeedbackError(f"reason: {code!r} is not on the reason list.")
    return bool(row[0])


# --- SLA policies -------------------------------------------------------------------------------

POLICY_FIELDS = ("threshold", "compliance_target", "business_hours_start", "business_hours_end", "business_days",
                 "description")
_THRESHOLD_RANGE = {"minutes": (1, 7 * 24 * 60), "count": (0, 10_000_000), "ratio": (0.01, 1)}
# The promises the ledger measures, one policy each (the ledger reads one per side and unit): the id a new one gets.
PROMISE_IDS = {("sales", "minutes"): "sla-first-touch", ("marketing", "count"): "sla-mql-volume",
               ("marketing", "ratio"): "sla-acceptance"}
# What a new promise takes when not given: the columns' defaults (migrations 002 and 006).
POLICY_DEFAULTS = {"compliance_target": 0.9, "business_hours_start": 9, "business_hours_end": 17,
                   "business_days": "1,2,3,4,5"}


def parse_business_days(text: str) -> tuple[int, ...]:
    """'1,2,3,4,5' -> (1, 2, 3, 4, 5); ISO weekdays, Monday = 1."""
    try:
        days = tuple(sorted({int(part) for part in str(text).split(",") if part.strip()}))
    except ValueError:
        raise FeedbackError(f"business_days must be ISO weekday numbers separated by commas (Monday = 1), "
                            f"e.g. 1,2,3,4,5; got {text!r}.") from None
    if not days or not set(days) <= set(range(1, 8)):
        raise FeedbackError(f"business_days must name at least one weekday from 1 (Monday) to 7 (Sunday); "
                            f"got {text!r}.")
    return days


def update_sla_policy(cur, principal: Principal, policy_id: str, changes: dict, at: datetime | None = None) -> int:
    """Change a policy's fields (see POLICY_FIELDS); every changed field is audited. Return how many changed."""
    authorize(principal, "sla.edit")
    policy_id, at = _check_id(policy_id, "policy"), _now(at)
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise FeedbackError(f"Unknown policy field {sorted(unknown)[0]!r}; editable: {', '.join(POLICY_FIELDS)}.")

    def work() -> int:
        current = cur.execute(f"select unit, {', '.join(POLICY_FIELDS)} from sla_policy where policy_id = ?",
                              [policy_id]).fetchone()
        if current is None:
            raise FeedbackError(f"policy: no SLA policy with id {policy_id!r}.")
        unit, old = current[0], dict(zip(POLICY_FIELDS, current[1:]))
        new = _valid_policy(unit, {**old, **changes})
        changed = [name for name in POLICY_FIELDS if new[name] != old[name]]
        for name in changed:
            cur.execute(f"update sla_policy set {name} = ? where policy_id = ?", [new[name], policy_id])
            _log_policy_change(cur, principal, policy_id, at, name, old[name], new[name])
        if changed:
            audit.record(cur, principal, "sla.edit", "sla_policy", policy_id, {n: old[n] for n in changed},
                         {n: new[n] for n in changed})
        return len(changed)

    return _in_transaction(cur, work)


def add_sla_policy(cur, principal: Principal, side: str, unit: str, name: str, values: dict,
                   at: datetime | None = None) -> str:
    """Add a promise of a kind the policy does not hold yet (see PROMISE_IDS), effective from `at`'s day.

    `values` holds POLICY_FIELDS (threshold and description required, the rest default to POLICY_DEFAULTS). Every
    field is listed in sla_policy_changes with no old value, and the row is audited; return the policy id.
    """
    authorize(principal, "sla.edit")
    if (side, unit) not in PROMISE_IDS:
        kinds = ", ".join(f"{s}/{u}" for s, u in PROMISE_IDS)
        raise FeedbackError(f"A promise is one of {kinds} (side/unit); got {side!r}/{unit!r}.")
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise FeedbackError(f"Unknown policy field {sorted(unknown)[0]!r}; a promise takes {', '.join(POLICY_FIELDS)}.")
    policy_id, at = PROMISE_IDS[side, unit], _now(at)
    row = {"side": side, "name": _check_text(name, "name", LABEL_LIMIT), "unit": unit,
           **_valid_policy(unit, {"threshold": None, "description": None, **POLICY_DEFAULTS, **values})}

    def work() -> str:
        held = cur.execute("select name from sla_policy where (side = ? and unit = ?) or policy_id = ?",
                           [side, unit, policy_id]).fetchone()
        if held is not None:
            raise FeedbackError(f"The SLA policy already holds this promise ({held[0]}); edit it instead.")
        cur.execute(f"insert into sla_policy (policy_id, effective_from, {', '.join(row)}) "
                    f"values (?, ?{', ?' * len(row)})", [policy_id, at.date(), *row.values()])
        for field, value in row.items():
            _log_policy_change(cur, principal, policy_id, at, field, None, value)
        audit.record(cur, principal, "sla.add", "sla_policy", policy_id, None, {**row, "effective_from": at.date()})
        return policy_id

    return _in_transaction(cur, work)


def _log_policy_change(cur, principal: Principal, policy_id: str, at: datetime, field: str, old, new) -> None:
    """One field's change in sla_policy_changes (old None: the promise was added)."""
    cur.execute("insert into sla_policy_changes values (?, ?, ?, ?, ?, ?, ?)",
                [_new_id("chg"), policy_id, at, principal.actor, field, _text(old), _text(new)])


def _valid_policy(unit: str, values: dict) -> dict:
    low, high = _THRESHOLD_RANGE[unit]
    threshold = values["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not low <= threshold <= high:
        raise FeedbackError(f"threshold ({unit}) must be a number from {low:g} to {high:,g}; got {threshold!r}.")
    if unit == "count" and threshold != int(threshold):
        raise FeedbackError(f"threshold (count) must be a whole number; got {threshold!r}.")
    target = values["compliance_target"]
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1:
        raise FeedbackError(f"compliance_target must be a share above 0 and at most 1 (0.9 = 90%); got {target!r}.")
    start, end = values["business_hours_start"], values["business_hours_end"]
    for name, hour in (("business_hours_start", start), ("business_hours_end", end)):
        if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 24:
            raise FeedbackError(f"{name} must be a whole hour from 0 to 24; got {hour!r}.")
    if start >= end:
        raise FeedbackError(f"business hours must start before they end; got {start} to {end}.")
    days = ",".join(map(str, parse_business_days(values["business_days"])))
    description = _check_text(values["description"], "description", DESCRIPTION_LIMIT)
    return {"threshold": float(threshold), "compliance_target": float(target), "business_hours_start": start,
            "business_hours_end": end, "business_days": days, "description": description}


def _text(value) -> str | None:
    return None if value is None else str(value)


# --- what the forms offer -----------------------------------------------------------------------

def reason_list(cur) -> pd.DataFrame:
    """One row per reason: code, label, active, times used, when added and retired, and by whom."""
    return cur.execute(
        "select r.reason_code, r.label, r.is_active, count(s.feedback_id) as used_count, r.added_at, "
        "coalesce(a.rep_name, r.added_by_rep_id) as added_by, r.retired_at, "
        "coalesce(t.rep_name, r.retired_by_rep_id) as retired_by "
        "from feedback_reasons as r left join sales_feedback as s using (reason_code) "
        "left join reps as a on a.rep_id = r.added_by_rep_id left join reps as t on t.rep_id = r.retired_by_rep_id "
        "group by all order by r.is_active desc, used_count desc, r.reason_code").df()


def verdict_queue(cur, principal: Principal, limit: int = 200) -> pd.DataFrame:
    """MQLs awaiting sales' verdict (newest first) within the principal's row scope: their own if they own any,
    else everyone's."""
    sql = ("select lead_id, mql_at, campaign_name, channel, segment, score, sdr_rep_name from mart_mql_followup "
           "where verdict is null and next_mql_at is null "
           "and (len($regions::varchar[]) = 0 or region = any($regions)) "
           "and (len($segments::varchar[]) = 0 or segment = any($segments)) "
           "and ($owner::varchar is null or sdr_rep_id = $owner) order by mql_at desc, lead_id limit $limit")
    params = {"regions": list(principal.scope_regions), "segments": list(principal.scope_segments),
              "limit": int(limit)}
    own = cur.execute(sql, {**params, "owner": principal.rep_id}).df() if principal.rep_id else None
    if own is not None and len(own):
        return own
    return cur.execute(sql, {**params, "owner": None}).df()


def first_feedback_day(cur) -> date | None:
    """The day the oldest feedback entry was given, or None when there is none."""
    return cur.execute("select min(created_at)::date from sales_feedback").fetchone()[0]


def campaign_list(cur) -> pd.DataFrame:
    """Campaigns to rate, running ones first."""
    return cur.execute("select campaign_id, campaign_name, channel, end_date from campaigns "
                       "order by (end_date is null or end_date >= current_date) desc, campaign_name").df()


def policy_list(cur) -> pd.DataFrame:
    """Every SLA policy with its business hours."""
    return cur.execute(f"select policy_id, side, name, unit, effective_from, {', '.join(POLICY_FIELDS)} "
                       "from sla_policy order by side desc, policy_id").df()


def policy_changes(cur, limit: int = 200) -> pd.DataFrame:
    """The policy audit, newest first, with the editor's name."""
    return cur.execute("select c.changed_at, p.name as policy, c.field, c.old_value, c.new_value, "
                       "coalesce(r.rep_name, c.changed_by_rep_id) as changed_by from sla_policy_changes as c "
                       "left join sla_policy as p using (policy_id) "
                       "left join reps as r on r.rep_id = c.changed_by_rep_id "
                       "order by c.changed_at desc, c.policy_id, c.field limit ?", [int(limit)]).df()
