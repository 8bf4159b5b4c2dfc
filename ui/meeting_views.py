"""The Meeting page's reads and writes.

Reads go through ui.store's cached metric calls; a snapshot's frames never change once written, so they
are cached on (store, snapshot) alone. Every write goes through data.meetings (permission checked,
validated, one transaction, audited) under `auth.current()`, and clears the caches the moment it
lands so every page shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from data import meetings
from data.access import PermissionDenied
from data.snapshots import read_frames, snapshot_row
from metrics.filters import Filters
from metrics.meeting import board_requests
from ui import auth, store
from ui import format as fmt


def live_board(f: Filters) -> dict[str, pd.DataFrame]:
    """Every frame of the review of `f` against its previous period, through the metric cache."""
    return {r.key: store.metric(r.metric, r.filters, **r.params) for r in board_requests(f)}


def snapshot_board(snapshot_id: int) -> dict[str, pd.DataFrame]:
    return _snapshot_frames(str(store.db_path()), int(snapshot_id))


def snapshot_filters(snapshot_id: int) -> tuple[dict, Filters]:
    """The snapshot's row, and the Filters its numbers were read under (as-of date left to today, so open
    actions show as overdue by today's date)."""
    row = _snapshot_row(str(store.db_path()), int(snapshot_id))
    dims = json.loads(row["filters_json"])
    return row, Filters(row["period_start"], row["period_end"], **{k: tuple(v) for k, v in dims.items()})


@st.cache_data(max_entries=16, show_spinner=False)
def _snapshot_frames(path: str, snapshot_id: int) -> dict[str, pd.DataFrame]:
    cur = store.connection(path).cursor()
    try:
        return read_frames(cur, snapshot_id)
    finally:
        cur.close()


@st.cache_data(max_entries=64, show_spinner=False)
def _snapshot_row(path: str, snapshot_id: int) -> dict:
    cur = store.connection(path).cursor()
    try:
        return snapshot_row(cur, snapshot_id)
    finally:
        cur.close()


def chart_annotations(f: Filters, metrics: str = "") -> pd.DataFrame:
    """The events to mark on a time-series chart of `metrics` (comma-separated names) over f's dates."""
    return store.metric("chart_annotations", f, metrics=metrics)


def write(action: Callable[..., Any], *args, **kwargs) -> tuple[Any, str | None]:
    """Run one data.meetings write as the current principal: (its result, None), or (None, why it was refused)."""
    cur = store.connection(str(store.db_path())).cursor()
    try:
        result = action(cur, auth.current(), *args, **kwargs)
    except (meetings.MeetingError, PermissionDenied) as exc:
        return None, str(exc)
    finally:
        cur.close()
    store.clear_caches()
    return result, None


def freeze(title: str, f: Filters, board: dict[str, pd.DataFrame]) -> tuple[int | None, str | None]:
    return write(meetings.freeze, title, f, board)


def default_title(f: Filters, today: date | None = None) -> str:
    """'Joint review 27 Nov 2026 (1 Oct 2016 – 31 Oct 2018)': the day it is taken, then the period it reads."""
    return f"Joint review {fmt.day(today or date.today())} ({fmt.date_range(f.start, f.end)})"
