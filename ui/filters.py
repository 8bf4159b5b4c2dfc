"""The shared sidebar filters, kept in the URL so a view can be shared as a link."""

from __future__ import annotations

from datetime import date

import streamlit as st

from metrics.filters import Filters, default_window

# Filters field -> (widget key, URL parameter, sidebar label)
_DIMENSIONS = {
    "segments": ("f_segment", "segment", "Segment"),
    "regions": ("f_region", "region", "Region"),
    "channels": ("f_channel", "channel", "Channel"),
    "teams": ("f_team", "team", "Team"),
}
_DATES_KEY = "f_dates"


def sidebar(options: dict[str, dict[str, str]], bounds: tuple[date, date]) -> Filters:
    """Draw the filters; return them as a Filters value. The URL is read once, then kept in step."""
    first, last = bounds
    if _DATES_KEY not in st.session_state:
        _seed_from_url(options, first, last)
    with st.sidebar:
        st.subheader("Filters")
        picked = st.date_input("Date range", key=_DATES_KEY,
                               help="Inclusive. Period views count what entered a stage in the range; cohort "
                                    "views follow the leads created in it.")
        for field, (key, _param, label) in _DIMENSIONS.items():
            labels = options.get(field, {})
            st.multiselect(label, options=list(labels), key=key, placeholder="All",
                           format_func=lambda value, labels=labels: labels.get(value, value))
    start, end = (picked[0], picked[-1]) if picked else (first, last)
    chosen = {field: tuple(st.session_state[key]) for field, (key, _p, _l) in _DIMENSIONS.items()}
    _write_url(start, end, chosen)
    return Filters(start=start, end=end, **chosen)


def current() -> Filters:
    """The filters app.py drew for this run."""
    if "filters" not in st.session_state:
        # On a fresh server a deep link can run a page without the router (Streamlit falls back to
        # its pages/ folder); send the visitor through the router, which draws the filters.
        st.switch_page("app.py")
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
