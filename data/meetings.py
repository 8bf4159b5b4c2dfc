"""Meeting mode's write paths: freeze a snapshot; record decisions and action items and move their
status; write, change and delete annotations.

Each write takes the signed-in principal, checks its permission first (data.access.authorize), then
validates every field (a refused write raises MeetingError naming the field and the value), then writes
in one transaction together with its audit_log row, so nothing is ever half-written. A snapshot is
written once and never updated: its frames are the numbers the meeting saw (data/snapshots.py).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

import duckdb
import pandas as pd

from data import audit
from data.access import Principal, authorize
from data.snapshots import encode
from metrics.filters import Filters
from metrics.meeting import ITEM_KINDS, ITEM_STATUSES, OPEN_STATUSES, board_requests
from metrics.registry import OWNERS, REGISTRY

TITLE_LIMIT = 120
TEXT_LIMIT = 500
DETAIL_LIMIT = 1000
WRITTEN_KINDS = ("definition", "note")  # annotation kinds a person writes; launches and decisions are read
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_T = TypeVar("_T")


class MeetingError(ValueError):
    """A write was refused; the message names the field, the value and what is wrong. Nothing was written."""


@dataclass(frozen=True)
class ItemInput:
    """A decision or action item as a person enters it. A decision may have no due date."""

    snapshot_id: int
    kind: str
    text: str
    owner_team: str
    owner_rep_id: str
    due_date: date | None = None
    metric_name: str | None = None
    campaign_id: str | None = None
    status: str = "open"


@dataclass(frozen=True)
class AnnotationInput:
    """A metric-definition change (metric required) or a note on a day; owner_team empty: the metric's
    owner, else shared."""

    kind: str
    annotated_on: date
    label: str
    detail: str | None = None
    metric_name: str | None = None
    owner_team: str = ""


# --- validation of plain values -----------------------------------------------------------------

def _text(value, field: str, limit: int, required: bool = True, shortest: int = 3) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise MeetingError(f"{field} is required; got {value!r}.")
        return None
    if not isinstance(value, str):
        raise MeetingError(f"{field} must be text; got {value!r}.")
    cleaned = value.strip()
    if len(cleaned) < shortest:
        raise MeetingError(f"{field} {cleaned!r} is too short: write at least {shortest} characters.")
    if len(cleaned) > limit:
        raise MeetingError(f"{field} is {len(cleaned):,} characters long; the limit is {limit:,}.")
    bad = _CONTROL.search(cleaned)
    if bad:
        raise MeetingError(f"{field} holds a control character (code {ord(bad.group())}) at position "
                           f"{bad.start() + 1}; remove it.")
    return cleaned


def _choice(value, field: str, choices) -> str:
    if value not in choices:
        raise MeetingError(f"{field} {value!r} is not one of {', '.join(choices)}.")
    return value


def _day(value, field: str, required: bool) -> date | None:
    if value is None:
        if required:
            raise MeetingError(f"{field} is required: a date.")
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise MeetingError(f"{field} must be a date (YYYY-MM-DD); got {value!r}.")
    return value


def _metric_name(value, field: str = "metric") -> str | None:
    if value is None or value == "":
        return None
    if value not in REGISTRY:
        raise MeetingError(f"{field} {value!r} is not a registered metric (see the Definitions page).")
    return value


def _now(at: datetime | None) -> datetime:
    return (at or datetime.now()).replace(microsecond=0)


# --- the transaction ----------------------------------------------------------------------------

def _in_transaction(cur, work: Callable[[], _T]) -> _T:
    """Run work() between begin and commit; anything raised rolls the whole write back."""
    cur.execute("begin transaction")
    try:
        result = work()
        cur.execute("commit")
        return result
    except duckdb.TransactionException as exc:
        _rollback(cur)
        raise MeetingError(f"Another write changed the same record at the same moment; nothing was written "
                           f"({exc}). Submit again.") from exc
    except BaseException:
        _rollback(cur)
        raise


def _rollback(cur) -> None:
    with contextlib.suppress(duckdb.TransactionException):  # a failed commit already ended it
        cur.execute("rollback")


def _row(cur, sql: str, params: list) -> dict | None:
    result = cur.execute(sql, params)
    row = result.fetchone()
    return None if row is None else dict(zip([column[0] for column in result.description], row))


# --- snapshots ----------------------------------------------------------------------------------

def freeze(cur, principal: Principal, title: str, f: Filters, frames: Mapping[str, pd.DataFrame],
           at: datetime | None = None) -> int:
    """Store the board's frames (metrics.meeting.board_requests(f), as shown) as a new snapshot; its id."""
    authorize(principal, "meeting.snapshot")
    title = _text(title, "title", TITLE_LIMIT)
    requests = board_requests(f)
    missing = [r.key for r in requests if not isinstance(frames.get(r.key), pd.DataFrame)]
    if missing:
        raise MeetingError(f"frames: no DataFrame for {', '.join(missing)}; a snapshot holds the whole board.")
    before = f.previous()
    filters_json = json.dumps({"segments": f.segments, "regions": f.regions, "channels": f.channels,
                               "teams": f.teams, "scope_regions": f.scope_regions,
                               "scope_segments": f.scope_segments})
    encoded = []
    for r in requests:
        try:
            encoded.append((r, encode(frames[r.key])))
        except (TypeError, ValueError) as exc:  # pyarrow's errors derive from these
            raise MeetingError(f"frames, {r.key}: cannot be stored ({exc}).") from exc
    taken_at = _now(at)

    def work() -> int:
        snapshot_id = cur.execute(
            "insert into meeting_snapshots (title, taken_at, taken_by, period_start, period_end, previous_start, "
            "previous_end, as_of, filters_json) values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning snapshot_id",
            [title, taken_at, principal.actor, f.start, f.end, before.start, before.end, f.as_of_date,
             filters_json]).fetchone()[0]
        for request, content in encoded:
            cur.execute("insert into meeting_snapshot_frames values (?, ?, ?, ?, ?, ?, ?)",
                        [snapshot_id, request.key, request.metric, request.window,
                         json.dumps(request.params, sort_keys=True), len(frames[request.key]), content])
        audit.record(cur, principal, "meeting.snapshot", "meeting_snapshots", str(snapshot_id), None,
                     {"title": title, "period_start": f.start, "period_end": f.end, "as_of": f.as_of_date,
                      "filters": filters_json, "frames": [r.key for r in requests]})
        return int(snapshot_id)

    return _in_transaction(cur, work)


def _insert_audited(cur, principal: Principal, action: str, table: str, key: str, columns: tuple[str, ...],
                    fields: dict, now: datetime) -> int:
    """Insert one row of `fields` stamped as created and updated by the principal now, with its audit row;
    its new id. `table`, `key` and `columns` are fixed names from this module, never user text."""
    new_id = cur.execute(
        f"insert into {table} ({', '.join(columns)}, created_at, created_by, updated_at, updated_by) "
        f"values ({', '.join('?' * len(columns))}, ?, ?, ?, ?) returning {key}",
        [fields[c] for c in columns] + [now, principal.actor, now, principal.actor]).fetchall()[0][0]
    audit.record(cur, principal, action, table, str(new_id), None, fields)
    return int(new_id)


# --- decisions and action items -----------------------------------------------------------------

_ITEM_FIELDS = ("snapshot_id", "kind", "item_text", "metric_name", "campaign_id", "owner_team", "owner_rep_id",
                "due_date", "status", "closed_at")


def _check_item(item: ItemInput) -> dict:
    """Every field of an item that can be checked without the store."""
    kind = _choice(item.kind, "kind", ITEM_KINDS)
    fields = {
        "snapshot_id": item.snapshot_id, "kind": kind,
        "item_text": _text(item.text, f"{kind} text", TEXT_LIMIT),
        "metric_name": _metric_name(item.metric_name),
        "campaign_id": (item.campaign_id or "").strip() or None,
        "owner_team": _choice(item.owner_team, "owner team", OWNERS),
        "owner_rep_id": _text(item.owner_rep_id, "owner", 80, shortest=1),
        "due_date": _day(item.due_date, "due date", required=kind == "action"),
        "status": _choice(item.status, "status", ITEM_STATUSES),
    }
    if fields["metric_name"] is None and fields["campaign_id"] is None:
        raise MeetingError(f"A {kind} is tied to a metric or a campaign: pick one (both are empty).")
    return fields


def _check_item_refs(cur, fields: dict, today: date) -> None:
    """What the item refers to exists, and its owner is on the owner team's side."""
    snapshot = _row(cur, "select snapshot_id from meeting_snapshots where snapshot_id = ?", [fields["snapshot_id"]])
    if snapshot is None:
        raise MeetingError(f"snapshot {fields['snapshot_id']!r}: no such meeting snapshot; freeze one first.")
    if fields["campaign_id"] and _row(cur, "select 1 as found from campaigns where campaign_id = ?",
                                      [fields["campaign_id"]]) is None:
        raise MeetingError(f"campaign {fields['campaign_id']!r}: no such campaign in the store.")
    owner = _row(cur, "select r.rep_name, t.team_function from reps as r join teams as t using (team_id) "
                      "where r.rep_id = ?", [fields["owner_rep_id"]])
    if owner is None:
        raise MeetingError(f"owner {fields['owner_rep_id']!r}: no person with that rep id in the store.")
    side = "marketing" if owner["team_function"] == "marketing" else "sales"
    if fields["owner_team"] != "shared" and side != fields["owner_team"]:
        raise MeetingError(f"owner {owner['rep_name']} ({fields['owner_rep_id']}) is on the {side} side, not "
                           f"{fields['owner_team']}: pick someone from {fields['owner_team']} or make it shared.")
    if fields["due_date"] is not None and fields["due_date"] < today:
        raise MeetingError(f"due date {fields['due_date']:%Y-%m-%d} is before the day it is raised "
                           f"({today:%Y-%m-%d}); pick a later day.")


def record_item(cur, principal: Principal, item: ItemInput, at: datetime | None = None) -> int:
    """Add a decision or an action item to a meeting; its id."""
    authorize(principal, "meeting.decide")
    fields = _check_item(item)
    now = _now(at)
    fields["closed_at"] = None if fields["status"] in OPEN_STATUSES else now

    def work() -> int:
        _check_item_refs(cur, fields, now.date())
        return _insert_audited(cur, principal, "meeting.decide", "meeting_items", "item_id", _ITEM_FIELDS, fields, now)

    return _in_transaction(cur, work)


def set_item_status(cur, principal: Principal, item_id: int, status: str, at: datetime | None = None) -> bool:
    """Move an item to `status`; closing it (done, dropped) records when, reopening clears that. Returns
    False when it already had that status (nothing written)."""
    authorize(principal, "meeting.decide")
    _choice(status, "status", ITEM_STATUSES)
    now = _now(at)

    def work() -> bool:
        before = _row(cur, f"select {', '.join(_ITEM_FIELDS)} from meeting_items where item_id = ?", [int(item_id)])
        if before is None:
            raise MeetingError(f"item {item_id!r}: no such decision or action item.")
        if before["status"] == status:
            return False
        closed_at = None if status in OPEN_STATUSES else now
        cur.execute("update meeting_items set status = ?, closed_at = ?, updated_at = ?, updated_by = ? "
                    "where item_id = ?", [status, closed_at, now, principal.actor, int(item_id)])
        audit.record(cur, principal, "meeting.decide", "meeting_items", str(item_id), before,
                     {**before, "status": status, "closed_at": closed_at})
        return True

    return _in_transaction(cur, work)


# --- annotations --------------------------------------------------------------------------------

_ANNOTATION_FIELDS = ("kind", "annotated_on", "label", "detail", "metric_name", "owner_team")


def _check_annotation(note: AnnotationInput) -> dict:
    kind = _choice(note.kind, "kind", WRITTEN_KINDS)
    metric_name = _metric_name(note.metric_name)
    if kind == "definition" and metric_name is None:
        raise MeetingError("A definition change names the metric whose definition changed; metric is empty.")
    owner = note.owner_team or (REGISTRY[metric_name].owner if metric_name else "shared")
    return {"kind": kind, "annotated_on": _day(note.annotated_on, "day", required=True),
            "label": _text(note.label, "label", TITLE_LIMIT), "detail": _text(note.detail, "detail", DETAIL_LIMIT,
                                                                              required=False, shortest=1),
            "metric_name": metric_name, "owner_team": _choice(owner, "owner team", OWNERS)}


def add_annotation(cur, principal: Principal, note: AnnotationInput, at: datetime | None = None) -> int:
    """Write a definition change or a note; its id."""
    authorize(principal, "annotations.edit")
    fields = _check_annotation(note)
    now = _now(at)

    def work() -> int:
        return _insert_audited(cur, principal, "annotations.edit", "annotations", "annotation_id",
                               _ANNOTATION_FIELDS, fields, now)

    return _in_transaction(cur, work)


def _annotation(cur, annotation_id: int) -> dict:
    before = _row(cur, f"select {', '.join(_ANNOTATION_FIELDS)} from annotations where annotation_id = ?",
                  [int(annotation_id)])
    if before is None:
        raise MeetingError(f"annotation {annotation_id!r}: no such annotation (launches and decisions are "
                           "changed where they live: the campaign, the meeting's decisions).")
    return before


def update_annotation(cur, principal: Principal, annotation_id: int, note: AnnotationInput,
                      at: datetime | None = None) -> bool:
    """Replace an annotation's fields; False when nothing changed (nothing written)."""
    authorize(principal, "annotations.edit")
    fields = _check_annotation(note)
    now = _now(at)

    def work() -> bool:
        before = _annotation(cur, annotation_id)
        if before == fields:
            return False
        assignments = ", ".join(f"{c} = ?" for c in _ANNOTATION_FIELDS)
        cur.execute(f"update annotations set {assignments}, updated_at = ?, updated_by = ? where annotation_id = ?",
                    [fields[c] for c in _ANNOTATION_FIELDS] + [now, principal.actor, int(annotation_id)])
        audit.record(cur, principal, "annotations.edit", "annotations", str(annotation_id), before, fields)
        return True

    return _in_transaction(cur, work)


def delete_annotation(cur, principal: Principal, annotation_id: int) -> None:
    authorize(principal, "annotations.edit")

    def work() -> None:
        before = _annotation(cur, annotation_id)
        cur.execute("delete from annotations where annotation_id = ?", [int(annotation_id)])
        audit.record(cur, principal, "annotations.edit", "annotations", str(annotation_id), before, None)

    _in_transaction(cur, work)

