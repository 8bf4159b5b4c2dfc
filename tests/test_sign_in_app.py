"""Sign-in through the app (ui/auth.py, in app.py before any page): a users file's form, refusals for a
wrong password, an unknown user and a tampered session, open demo mode only where it is allowed, and what
each role and scope then sees. On the hand-made fixture (see conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from conftest import build_funnel_fixture
from data import auth
from data.auth import UserEntry

APP = str(Path(__file__).resolve().parent.parent / "app.py")
Q1 = {"start": "2026-01-01", "end": "2026-03-31"}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def app_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sign_in") / "app.duckdb"
    build_funnel_fixture(path)
    return path


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.toml"
    hashed = auth.hash_password(PASSWORD)
    auth.save_users(path, {
        "ada": UserEntry("ada", "Ada Admin", "admin", hashed),
        "vic": UserEntry("vic", "Vic Viewer", "viewer", hashed),
        "mia": UserEntry("mia", "Mia Marketer", "marketing", hashed),
        "sam": UserEntry("sam", "Sam Seller", "sales", hashed, rep_id="sdr1"),
        "eve": UserEntry("eve", "Eve Emea", "viewer", hashed, regions=("EMEA",)),
        "tom": UserEntry("tom", "Tom Tries", "viewer", hashed),
    })
    return path


def app(monkeypatch, db_path, users: Path | None, open_demo: str | None = None) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(db_path))
    if users is not None:
        monkeypatch.setenv("TANDEM_USERS", str(users))
    if open_demo is None:
        monkeypatch.delenv("TANDEM_OPEN_DEMO", raising=False)
    else:
        monkeypatch.setenv("TANDEM_OPEN_DEMO", open_demo)
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(Q1)
    return at.run()


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    return at.button(key="auth_submit").click().run()


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_no_data_before_sign_in_and_the_right_password_opens_the_app(monkeypatch, app_db, users_file):
    at = app(monkeypatch, app_db, users_file)
    assert not at.exception and not at.metric  # the form only: no number is drawn before sign-in
    assert at.text_input(key="auth_password") is not None
    at = sign_in(at, "ADA")  # user names are not case-sensitive
    assert not at.exception
    assert at.title[0].value == "Funnel" and tiles(at)["Lead"] == "7"
    assert any("Signed in as **Ada Admin** (admin)" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("username, password", [("vic", "wrong password"), ("nobody", PASSWORD)])
def test_a_wrong_password_and_an_unknown_user_get_the_same_refusal(monkeypatch, app_db, users_file,
                                                                  username, password):
    at = sign_in(app(monkeypatch, app_db, users_file), username, password)
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert not at.metric and "auth_token" not in at.session_state


def test_repeated_failures_lock_the_name_out(monkeypatch, app_db, users_file):
    at = app(monkeypatch, app_db, users_file)
    for _ in range(auth.MAX_FAILURES):
        at = sign_in(at, "tom", "guess again")
    at = sign_in(at, "tom")  # even the right password, until the window passes
    assert "Too many failed sign-ins" in at.error[0].value and not at.metric


def test_a_tampered_session_is_refused(monkeypatch, app_db, users_file):
    at = sign_in(app(monkeypatch, app_db, users_file), "vic")
    body, _, signature = at.session_state["auth_token"].partition(".")
    forged = auth.issue_token(auth.load_users(users_file)["ada"].principal(), b"guessed secret").partition(".")[0]
    at.session_state["auth_token"] = f"{forged}.{signature}"  # ada's claims under vic's signature
    at = AppTest.run(at)
    assert "Your session is not valid" in at.warning[0].value
    assert not at.metric and "auth_token" not in at.session_state


def test_a_viewer_gets_no_write_forms(monkeypatch, app_db, users_file):
    at = sign_in(app(monkeypatch, app_db, users_file), "vic")
    at.switch_page("views/feedback.py").run()
    at.segmented_control(key="feedback_view").set_value("Give feedback").run()
    assert any("you are signed in as Vic Viewer (viewer)" in i.value for i in at.info)
    assert not [f for f in at.get("form")]
    at.switch_page("views/data.py").run()
    assert any("Admins import data" in c.value for c in at.caption)
    assert any("admins read the log here" in c.value for c in at.caption)


def test_a_scoped_user_is_offered_and_shown_only_their_region(monkeypatch, app_db, users_file):
    at = sign_in(app(monkeypatch, app_db, users_file), "eve")
    assert at.multiselect(key="f_region").options == ["EMEA"]
    # EMEA leads in Q1 (period): L3 L4 L5 L8 = 4; MQLs L3 L4 L8 = 3; no won deal.
    assert tiles(at)["Lead"] == "4" and tiles(at)["MQL"] == "3" and tiles(at)["Won"] == "0"
    assert any("You see EMEA only." in c.value for c in at.sidebar.caption)


def test_open_demo_mode_only_where_allowed(monkeypatch, app_db, tmp_path):
    no_users = tmp_path / "absent.toml"
    # The fixture holds no demo load: without a users file and without the flag, the app refuses.
    at = app(monkeypatch, app_db, no_users)
    assert "Sign-in is not set up" in at.error[0].value and not at.metric
    # Explicitly enabled, anyone picks who they are.
    at = app(monkeypatch, app_db, no_users, open_demo="1")
    assert at.selectbox(key="acting_as").value == "demo-admin" and tiles(at)["Lead"] == "7"
    # A store holding only the demo opens without the flag, unless the flag turns it off.
    demo_store = tmp_path / "demo_only.duckdb"
    shutil.copy(app_db, demo_store)
    with duckdb.connect(str(demo_store)) as con:
        con.execute("insert into data_loads (loaded_by, source_system, description, row_count) "
                    "values ('demo', 'demo', 'demo', 8)")
    at = app(monkeypatch, demo_store, no_users)
    assert at.selectbox(key="acting_as").value == "demo-admin"
    at = app(monkeypatch, demo_store, no_users, open_demo="0")
    assert "Sign-in is not set up" in at.error[0].value


def test_the_first_admin_added_in_open_demo_mode_turns_sign_in_on(monkeypatch, app_db, tmp_path):
    users = tmp_path / "new_users.toml"
    at = app(monkeypatch, app_db, users, open_demo="1")  # open demo mode, as its first principal: the demo admin
    at.switch_page("views/data.py").run()
    at.text_input(key="data_user_name").input("ada")
    at.text_input(key="data_user_display").input("Ada Admin")
    at.selectbox(key="data_user_role").set_value("admin")
    at.text_input(key="data_user_password").input(PASSWORD)
    at.button[[b.label for b in at.button].index("Save user")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert auth.load_users(users)["ada"].role == "admin"
    # With a users file and the flag gone, a new session must sign in; ada's password works.
    at = app(monkeypatch, app_db, users)
    assert not at.metric and at.text_input(key="auth_password") is not None
    assert tiles(sign_in(at, "ada"))["Lead"] == "7"


# Identity provider (OIDC): AppTest plays the provider's part through `AppTest.user`, as st.user.
OIDC_SECRETS = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test cookie secret",
                "client_id": "tandem", "client_secret": "shh",
                "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}


@pytest.fixture(scope="module")
def oidc_users(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("oidc") / "users.toml"
    auth.save_users(path, {
        "ada": UserEntry("ada", "Ada Admin", "admin", email="Ada@Example.com"),
        "eve": UserEntry("eve", "Eve Emea", "viewer", email="eve@example.com", regions=("EMEA",)),
    })
    return path


def oidc_app(monkeypatch, db_path, users: Path, user: dict) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(db_path))
    monkeypatch.setenv("TANDEM_USERS", str(users))
    monkeypatch.delenv("TANDEM_OPEN_DEMO", raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = OIDC_SECRETS
    at.user = user
    at.query_params.update(Q1)
    return at.run()


def test_oidc_signed_out_sees_a_sign_in_button_and_no_number(monkeypatch, app_db, oidc_users):
    at = oidc_app(monkeypatch, app_db, oidc_users, {"is_logged_in": False})
    assert not at.exception and not at.metric
    assert at.button(key="auth_oidc_login").label == "Sign in"


def test_oidc_e_mail_maps_to_the_users_file_role_and_scope(monkeypatch, app_db, oidc_users):
    # The provider's e-mail is matched case-insensitively to the users file.
    at = oidc_app(monkeypatch, app_db, oidc_users, {"is_logged_in": True, "email": "ada@example.COM"})
    assert not at.exception
    assert any("Signed in as **Ada Admin** (admin)" in c.value for c in at.sidebar.caption)
    assert tiles(at)["Lead"] == "7"
    scoped = oidc_app(monkeypatch, app_db, oidc_users, {"is_logged_in": True, "email": "eve@example.com"})
    assert any("You see EMEA only." in c.value for c in scoped.sidebar.caption)


def test_oidc_unknown_e_mail_is_refused(monkeypatch, app_db, oidc_users):
    at = oidc_app(monkeypatch, app_db, oidc_users, {"is_logged_in": True, "email": "mallory@example.com"})
    assert not at.metric
    assert "mallory@example.com is not a Tandem user" in at.error[0].value
    assert at.button(key="auth_oidc_logout").label == "Sign out"
