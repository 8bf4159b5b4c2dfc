"""The audit log: every write records who, when, what, before and after, inside its own transaction
(so an audited change and its audit row commit or roll back together)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pandas as pd

from data.access import Principal, authorize


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def _json(record: dict | None) -> str | None:
    return None if record is None else json.dumps(record, default=_plain, sort_keys=True)


def record(cur, principal: Principal, action: str, entity: str, entity_id: str | None,
           before: dict | None, after: dict | None) -> None:
    """Add one audit row; call inside the write's transaction, after `authorize` passed."""
    cur.execute(
        "insert into audit_log (actor, actor_role, action, entity, entity_id, before_json, after_json) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [principal.actor, principal.role, action, entity, entity_id, _json(before), _json(after)],
    )


def read(cur, principal: Principal, limit: int = 1000, action: str | None = None) -> pd.DataFrame:
    """The newest audit rows (admins only)."""
    authorize(principal, "audit.view")
    where, params = ("where action = ?", [action]) if action else ("", [])
    return cur.execute(
        f"select audit_id, changed_at, actor, actor_role, action, entity, entity_id, before_json, after_json "
        f"from audit_log {where} order by audit_id desc limit ?", params + [int(limit)]
    ).df()


def actions(cur, principal: Principal) -> list[str]:
    """The actions the log holds, for a filter (admins only)."""
    authorize(principal, "audit.view")
    return [row[0] for row in cur.execute("select distinct action from audit_log order by 1").fetchall()]
