"""Who is using the app. Until sign-in lands (the roles issue), the user picks a person in the
sidebar; every write path takes the returned rep id, never a form field."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ui import store

_KEY = "acting_as"


@dataclass(frozen=True)
class User:
    rep_id: str
    name: str
    team_id: str
    team_name: str
    team_function: str  # marketing, sdr or ae
    rep_role: str  # marketing, sdr, ae or manager

    @property
    def side(self) -> str:
        """The side of the house the user is on: marketing or sales."""
        return "marketing" if self.team_function == "marketing" else "sales"


def sidebar_picker() -> User | None:
    """A select box of people in the store; None when the store has none."""
    people = store.people()
    if not people:
        return None
    by_id = {person.rep_id: person for person in people}
    with st.sidebar:
        chosen = st.selectbox("Acting as", list(by_id), key=_KEY,
                              format_func=lambda rep_id: f"{by_id[rep_id].name} · {by_id[rep_id].team_name}",
                              help="Until sign-in is configured, pick who you are; feedback and edits are "
                                   "recorded under this name.")
    return by_id[chosen]


def current() -> User | None:
    """The user app.py resolved for this run."""
    return st.session_state.get("user")
