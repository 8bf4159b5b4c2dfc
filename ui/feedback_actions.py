"""The Feedback and SLA pages' writes and form lists: a fresh cursor per call on the process's one connection.

Every write takes the signed-in principal (ui.auth.current(), never a form field), which data.feedback checks
against its role; it clears the caches the moment it lands so every page shows it, and turns a refusal (a bad
value, or a role that may not) into a message for the page to show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from data.access import PermissionDenied, Principal
from data.feedback import FeedbackError
from ui import store

_T = TypeVar("_T")


def _cursor():
    return store.connection(str(store.db_path())).cursor()


def write(action: Callable[..., Any], principal: Principal, *args, **kwargs) -> tuple[Any, str | None]:
    """Run one data.feedback write as `principal`; return (its result, None) or (None, the refusal's message)."""
    cur = _cursor()
    try:
        result = action(cur, principal, *args, **kwargs)
    except (FeedbackError, PermissionDenied) as exc:
        return None, str(exc)
    finally:
        cur.close()
    store.clear_caches()
    return result, None


def read(listing: Callable[..., _T], *args, **kwargs) -> _T:
    """One of data.feedback's small reads for the forms (reasons, queue, campaigns, policies): read fresh, never
    cached, so a form always offers what the last write left."""
    cur = _cursor()
    try:
        return listing(cur, *args, **kwargs)
    finally:
        cur.close()
