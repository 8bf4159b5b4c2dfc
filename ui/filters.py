"""The shared sidebar filters, kept in the URL so a view can be shared as a link, under the signed-in
user's row scope (a scoped user is only offered, and only ever reads, their own regions and segments)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from data.access import Principal
from metrics.filters import Filters, default_window

# Filters field -> (widget key, URL parameter, sidebar label)
_DIMENSIONS = {
    "segments": ("f_segment", "segment", "Segment"),
    "regions": ("f_region", "region", "Region"),
    "channels": ("f_channel", "channel", "Channel"),
    "teams": ("f_team", "team", "Team"),
}
_DATES_KEY = "f_dates"
_BOUNDS_KEY = "f_bounds"  # the data's first and last day when the date range was last set


def sidebar(options: dict[str, dict[str, str]], bounds: tuple[date, date], principal: Principal) -> Filters:
    """Draw the filters; return them as a Filters value. The URL is read once, then kept in step."""
    options = scoped_options(options, principal)
    first, last = bounds
    if _DATES_KEY not in st.session_state:
        _seed_from_url(options, first, last)
    elif st.session_state.get(_BOUNDS_KEY) != (first, last):
        # A load moved the data's first or last day: open on the new data, not on the range picked before it.
        st.session_state[_DATES_KEY] = default_window(first, last)
    st.session_state[_BOUNDS_KEY] = (first, last)
    _drop_unoffered(options)
    with st.sidebar:
        st.subheader("Filters")
        picked = st.date_input("Date range", key=_DATES_KEY,
                               help="Inclusive. Period views count what entered a stage in the range; cohort "
                                    "views follow the leads created in it.")
        st.button(f"All the data: {first:%d %b %Y} – {last:%d %b %Y}", key="f_all_dates", type="tertiary",
                  on_click=_pick_whole_range, args=(first, last), icon=":material/date_range:",
                  help="Set the date range to every day the data covers.")
        for field, (key, _param, label) in _DIMENSIONS.items():
            labels = options.get(field, {})
            st.multiselect(label, options=list(labels), key=key, placeholder="All",
                           format_func=lambda value, labels=labels: labels.get(value, value))
        if principal.is_scoped:
            st.caption("You see " + " · ".join(principal.scope_regions + principal.scope_segments) + " only.")
    start, end = (picked[0], picked[-1]) if picked else (first, last)
    chosen = {field: tuple(st.session_state[key]) for field, (key, _p, _l) in _DIMENSIONS.items()}
    _write_url(start, end, chosen)
    return Filters(start=start, end=end, scope_regions=principal.scope_regions,
                   scope_segments=principal.scope_segments, **chosen)


def scoped_options(options: dict[str, dict[str, str]], principal: Principal) -> dict[str, dict[str, str]]:
    """The filter options a user may pick from: a scoped user's regions and segments only."""
    limits = {"regions": principal.scope_regions, "segments": principal.scope_segments}
    return {field: {value: label for value, label in labels.items()
                    if not limits.get(field) or value in limits[field]}
            for field, labels in options.items()}


def _drop_unoffered(options: dict[str, dict[str, str]]) -> None:
    """Forget picks the options no longer hold (another user signed in on this session, with a scope)."""
    for field, (key, _param, _label) in _DIMENSIONS.items():
        if key in st.session_state:
            st.session_state[key] = [v for v in st.session_state[key] if v in options.get(field, {})]


def current() -> Filters:
    """The filters app.py drew for this run."""
    return st.session_state["filters"]


def _seed_from_url(options: dict[str, dict[str, str]], first: date, last: date) -> None:
    params = st.query_params
    end = _parse_date(params.get("end")) or last
    start = _parse_date(params.get("start")) or default_window(first, end)[0]
    if start > end:
        start, end = end, start
    st.session_state[_DATES_KEY] = (start, end)
    for field, (key, param, _label) in _DIMENSIONS.items():
        wanted = [v for v in params.get(param, "").split(",") if v]
        st.session_state[key] = [v for v in wanted if v in options.get(field, {})]


def _pick_whole_range(first: date, last: date) -> None:
    st.session_state[_DATES_KEY] = (first, last)


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _write_url(start: date, end: date, chosen: dict[str, tuple[str, ...]]) -> None:
    wanted = {"start": start.isoformat(), "end": end.isoformat()}
    for field, (_key, param, _label) in _DIMENSIONS.items():
        if chosen[field]:
            wanted[param] = ",".join(chosen[field])
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
