"""The process's one DuckDB connection and the cached metric calls every page goes through."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import metrics
from data import db
from metrics.filters import Filters, data_bounds, filter_options

DEMO_LEADS = 50_000
DEMO_SEED = 7


def db_path() -> Path:
    """$TANDEM_DB, else `db_path` in Streamlit secrets, else data/tandem.duckdb."""
    try:
        configured = st.secrets.get("db_path")
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        configured = None
    return db.resolve_db_path(configured)


@st.cache_resource(show_spinner=False)
def connection(path: str):
    """Open (and on first start, build) the store. One connection per process; queries use cursors."""
    if not Path(path).exists():
        from data import demo  # only needed on first start

        with st.spinner(f"First start: building the demo company ({DEMO_LEADS:,} leads) in {path}…"):
            demo.build_demo_file(path, n_leads=DEMO_LEADS, seed=DEMO_SEED)
    return db.open_store(path, memory_limit=db.SERVER_MEMORY_LIMIT)


def metric(name: str, filters: Filters, **params) -> pd.DataFrame:
    """A registered metric's DataFrame, cached on plain arguments (the store's path among them)."""
    return _metric(str(db_path()), name, filters, tuple(sorted(params.items())))


def options() -> dict[str, dict[str, str]]:
    """Values each sidebar filter offers, from the data."""
    return _options(str(db_path()))


def bounds():
    """First and last day with funnel activity, or None for an empty store."""
    return _bounds(str(db_path()))


@st.cache_data(ttl=600, max_entries=512, show_spinner=False)
def _metric(path: str, name: str, filters: Filters, params: tuple) -> pd.DataFrame:
    cur = connection(path).cursor()
    try:
        return metrics.get(name)(cur, filters, **dict(params))
    finally:
        cur.close()


@st.cache_data(ttl=600, show_spinner=False)
def _options(path: str) -> dict[str, dict[str, str]]:
    cur = connection(path).cursor()
    try:
        return filter_options(cur)
    finally:
        cur.close()


@st.cache_data(ttl=600, show_spinner=False)
def _bounds(path: str):
    cur = connection(path).cursor()
    try:
        return data_bounds(cur)
    finally:
        cur.close()


def people() -> list:
    """Everyone in the reps table, for the 'acting as' picker."""
    return _people(str(db_path()))


@st.cache_data(ttl=600, show_spinner=False)
def _people(path: str) -> list:
    from ui.identity import User

    cur = connection(path).cursor()
    try:
        rows = cur.execute(
            "select r.rep_id, r.rep_name, r.team_id, t.team_name, t.team_function, r.rep_role "
            "from reps as r join teams as t using (team_id) order by t.team_function, t.team_name, r.rep_name"
        ).fetchall()
    finally:
        cur.close()
    return [User(*row) for row in rows]


def clear_caches() -> None:
    """Call the moment data changes (an import, a feedback entry, a goal edit)."""
    _metric.clear()
    _options.clear()
    _bounds.clear()
    _people.clear()
