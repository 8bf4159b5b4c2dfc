"""The process's one DuckDB connection and the cached metric calls every page goes through."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import metrics
from data import db
from data.access import Principal
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


def reps() -> dict[str, str]:
    """Everyone in the reps table (rep id -> "name · team"), e.g. to own an action item."""
    return _reps(str(db_path()))


@st.cache_data(ttl=600, show_spinner=False)
def _reps(path: str) -> dict[str, str]:
    return {rep_id: f"{name} · {team}" for rep_id, name, team, _function, _role in _rep_rows(path)}


def _rep_rows(path: str) -> list[tuple]:
    cur = connection(path).cursor()
    try:
        return cur.execute(
            "select r.rep_id, r.rep_name, t.team_name, t.team_function, r.rep_role "
            "from reps as r join teams as t using (team_id) order by t.team_function, t.team_name, r.rep_name"
        ).fetchall()
    finally:
        cur.close()


def is_demo_store() -> bool:
    """True when everything in the store came from the demo generator (open demo mode's default)."""
    return _is_demo_store(str(db_path()))


@st.cache_data(ttl=600, show_spinner=False)
def _is_demo_store(path: str) -> bool:
    cur = connection(path).cursor()
    try:
        sources = {row[0] for row in cur.execute("select distinct source_system from data_loads").fetchall()}
    finally:
        cur.close()
    return sources == {"demo"}


def demo_principals() -> dict[str, tuple[Principal, str]]:
    """Open demo mode's cast by user name, each with its label: an admin, a leadership viewer, a viewer
    limited to one region, then every rep (managers as admins, marketing as marketing, SDRs and AEs as sales)."""
    return _demo_principals(str(db_path()))


@st.cache_data(ttl=600, show_spinner=False)
def _demo_principals(path: str) -> dict[str, tuple[Principal, str]]:
    cur = connection(path).cursor()
    try:
        regions = [row[0] for row in cur.execute("select distinct region from leads where region is not null "
                                                 "order by 1 limit 1").fetchall()]
    finally:
        cur.close()
    cast = [Principal("demo-admin", "Demo admin", "admin"), Principal("demo-leadership", "Leadership", "viewer")]
    cast += [Principal("demo-regional", f"Regional lead {region}", "viewer", scope_regions=(region,))
             for region in regions]
    labels = {p.username: f"{p.display_name} · {p.role}" for p in cast}
    for rep_id, name, team, function, role in _rep_rows(path):
        side = "admin" if role == "manager" else "marketing" if function == "marketing" else "sales"
        cast.append(Principal(rep_id, name, side, rep_id))
        labels[rep_id] = f"{name} · {team} · {side}"
    return {p.username: (p, labels[p.username]) for p in cast}


def clear_caches() -> None:
    """Call the moment data changes (an import, a feedback entry, a goal edit)."""
    _metric.clear()
    _options.clear()
    _bounds.clear()
    _is_demo_store.clear()
    _demo_principals.clear()
    _reps.clear()
