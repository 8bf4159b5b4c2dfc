"""Sign-in screens. Which one depends on configuration, checked in this order:

1. An identity provider in `.streamlit/secrets.toml` (`[auth]`): Streamlit's OIDC sign-in (st.login);
   the users file maps the signed-in e-mail to a role and scope. Unknown e-mails are refused.
2. A users file (`$TANDEM_USERS`, `users_file` in secrets, or data/users.toml): a name and password form.
3. Open demo mode: anyone picks who they are in the sidebar. Only when explicitly enabled
   (`TANDEM_OPEN_DEMO=1`), or by default when no users file exists and the store holds only the demo;
   `TANDEM_OPEN_DEMO=0` turns it off even then.
Otherwise the app refuses to show data and says how to set sign-in up.

The signed-in principal lives in the session as a signed token that expires; every run re-checks it
against the users file, so a removed user or a changed role takes effect at once.
"""

from __future__ import annotations

import os
import secrets as random_secrets
import time

import streamlit as st

from data import auth
from data.access import Principal
from ui import store

OPEN_DEMO_ENV = "TANDEM_OPEN_DEMO"
SECRET_ENV = "TANDEM_SECRET"
_TOKEN_KEY = "auth_token"
_DEMO_KEY = "acting_as"


def _secret(name: str):
    try:
        return st.secrets.get(name)
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return None


@st.cache_resource(show_spinner=False)
def _session_secret() -> bytes:
    """Signs session tokens: $TANDEM_SECRET or `session_secret` in secrets, else random per process
    (sessions then end when the server restarts)."""
    configured = os.environ.get(SECRET_ENV) or _secret("session_secret")
    return configured.encode() if configured else random_secrets.token_bytes(32)


@st.cache_resource(show_spinner=False)
def _limiter() -> auth.FailureLimiter:
    """One limiter per server process, shared by every browser session."""
    return auth.FailureLimiter()


def users_path():
    """The users file: $TANDEM_USERS, else `users_file` in secrets, else data/users.toml."""
    return auth.resolve_users_path(_secret("users_file"))


def _users() -> dict[str, auth.UserEntry] | None:
    path = users_path()
    return auth.load_users(path) if path.exists() else None


def _oidc_configured() -> bool:
    return bool(_secret("auth"))


def _open_demo(users) -> bool:
    flag = os.environ.get(OPEN_DEMO_ENV)
    if flag is not None:
        return flag == "1"
    return users is None and store.is_demo_store()


def current() -> Principal | None:
    """The principal app.py signed in for this run; every write path takes it, never a form field."""
    return st.session_state.get("principal")


def sign_in() -> Principal:
    """The signed-in principal for this run; draws the sign-in screen and stops the run otherwise."""
    users = _users()
    if _oidc_configured():
        return _oidc(users or {})
    if users is not None:
        return _password(users)
    if _open_demo(users):
        return _demo_picker()
    st.error(f"Sign-in is not set up for the store at {store.db_path()}, which holds more than the demo. Create a "
             "users file with `python -m data users add NAME --role admin` (or configure an identity provider "
             f"under [auth] in .streamlit/secrets.toml), or set {OPEN_DEMO_ENV}=1 to open the app to everyone.")
    st.stop()


def _oidc(users: dict[str, auth.UserEntry]) -> Principal:
    if not st.user.is_logged_in:
        st.title("Tandem")
        st.button("Sign in", on_click=st.login, type="primary", key="auth_oidc_login")
        st.stop()
    email = (st.user.get("email") or "").lower()
    entry = next((u for u in users.values() if (u.email or "").lower() == email), None)
    if entry is None:
        st.error(f"{email or 'This account'} is not a Tandem user. Ask an admin to add you to the users file.")
        st.button("Sign out", on_click=st.logout, key="auth_oidc_logout")
        st.stop()
    _sidebar_account(entry.principal(), on_sign_out=st.logout)
    return entry.principal()


def _password(users: dict[str, auth.UserEntry]) -> Principal:
    principal = _from_token(users)
    if principal is None:
        _password_form(users)
        st.stop()
    _sidebar_account(principal, on_sign_out=sign_out)
    return principal


def _from_token(users: dict[str, auth.UserEntry]) -> Principal | None:
    token = st.session_state.get(_TOKEN_KEY)
    if not token:
        return None
    try:
        payload = auth.verify_token(token, _session_secret())
    except auth.SignInError as exc:
        st.session_state.pop(_TOKEN_KEY, None)
        st.warning(str(exc))
        return None
    entry = users.get(payload["u"].lower())
    principal = entry.principal() if entry else None
    if not auth.still_holds(payload, principal):
        st.session_state.pop(_TOKEN_KEY, None)  # removed, or role or scope changed since sign-in
        return None
    return principal


def _password_form(users: dict[str, auth.UserEntry]) -> None:
    _, middle, _ = st.columns([1, 1.2, 1])  # a form the width of a form, not of the wide layout
    with middle:
        st.title("Tandem")
        st.caption("Shared goals, one funnel and sales' feedback, for sales and marketing. Sign in to continue.")
        with st.form("auth_form", clear_on_submit=True):  # a refused password is not left in the field
            username = st.text_input("User name", key="auth_username")
            password = st.text_input("Password", type="password", key="auth_password")
            submitted = st.form_submit_button("Sign in", type="primary", key="auth_submit")
    if submitted:
        try:
            principal = auth.authenticate(users, username, password, _limiter())
        except auth.SignInError as exc:
            middle.error(str(exc))
            return
        st.session_state[_TOKEN_KEY] = auth.issue_token(principal, _session_secret(), now=time.time())
        st.rerun()


def sign_out() -> None:
    st.session_state.pop(_TOKEN_KEY, None)


def _sidebar_account(principal: Principal, on_sign_out) -> None:
    with st.sidebar:
        scope = ", ".join(principal.scope_regions + principal.scope_segments)
        st.caption(f"Signed in as **{principal.display_name}** ({principal.role})"
                   + (f", limited to {scope}" if scope else ""))
        st.button("Sign out", on_click=on_sign_out, key="auth_sign_out")


def _demo_picker() -> Principal:
    cast = store.demo_principals()
    with st.sidebar:
        chosen = st.selectbox("Acting as", list(cast), key=_DEMO_KEY, format_func=lambda name: cast[name][1],
                              help="Open demo mode: anyone can act as anyone, to try each role. Configure sign-in "
                                   "before putting real data in (see the README).")
        st.caption("Open demo mode: no sign-in.")
    return cast[chosen][0]
