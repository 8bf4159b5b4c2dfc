"""Sign-in, roles and the audit log, without Streamlit."""

from __future__ import annotations

import base64
import json

import pytest

from data import audit, db
from data.access import PermissionDenied, Principal, authorize
from data.auth import (
    FailureLimiter,
    SignInError,
    UserEntry,
    UserError,
    authenticate,
    hash_password,
    issue_token,
    load_users,
    remove_user,
    save_user,
    save_users,
    verify_token,
)

SECRET = b"test-secret"


@pytest.fixture(scope="module")
def users(tmp_path_factory):
    path = tmp_path_factory.mktemp("users") / "users.toml"
    save_users(path, {
        "ada": UserEntry("ada", "Ada Admin", "admin", hash_password("correct horse")),
        "sam": UserEntry("sam", "Sam Sales", "sales", hash_password("sales pass 1"), rep_id="rep-011",
                         regions=("EMEA",)),
    })
    return load_users(path)


def test_right_password_signs_in_with_the_files_role_and_scope(users):
    principal = authenticate(users, "Sam", "sales pass 1", FailureLimiter())
    assert (principal.role, principal.rep_id, principal.scope_regions) == ("sales", "rep-011", ("EMEA",))


@pytest.mark.parametrize("username, password", [("ada", "wrong horse"), ("nobody", "correct horse"), ("ada", "")])
def test_wrong_password_and_unknown_user_get_the_same_refusal(users, username, password):
    with pytest.raises(SignInError, match="^Wrong user name or password.$"):
        authenticate(users, username, password, FailureLimiter())


def test_failed_sign_ins_are_rate_limited_then_released(users):
    limiter = FailureLimiter(max_failures=5, window=900)
    for second in range(5):
        with pytest.raises(SignInError, match="Wrong"):
            authenticate(users, "ada", "guess", limiter, now=1000 + second)
    # The sixth try is refused before the password is even checked, the right one included.
    with pytest.raises(SignInError, match="Too many failed sign-ins"):
        authenticate(users, "ada", "correct horse", limiter, now=1010)
    # 900 s after the first failure one slot frees up.
    assert authenticate(users, "ada", "correct horse", limiter, now=1900).role == "admin"


def test_session_token_round_trip_expiry_and_tampering():
    principal = Principal("sam", "Sam Sales", "sales", "rep-011", ("EMEA",))
    token = issue_token(principal, SECRET, now=10_000)
    assert verify_token(token, SECRET, max_age=3600, now=12_000)["r"] == "sales"
    with pytest.raises(SignInError, match="expired"):
        verify_token(token, SECRET, max_age=3600, now=10_000 + 3601)
    body, signature = token.split(".")
    # Promote oneself to admin: the body changes, the signature no longer matches.
    payload = json.loads(base64.urlsafe_b64decode(body))
    payload["r"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode()
    with pytest.raises(SignInError, match="not valid"):
        verify_token(f"{forged}.{signature}", SECRET, now=10_001)
    with pytest.raises(SignInError, match="not valid"):
        verify_token(token, b"another server's secret", now=10_001)


def test_short_passwords_and_unknown_roles_are_refused(tmp_path):
    with pytest.raises(ValueError, match="8 characters"):
        hash_password("short")
    bad = tmp_path / "users.toml"
    bad.write_text('[users.eve]\nrole = "superuser"\n')
    with pytest.raises(ValueError, match="eve"):
        load_users(bad)


@pytest.mark.parametrize("role, action, owner, allowed", [
    ("viewer", "feedback.give", None, False),
    ("sales", "feedback.give", None, True),
    ("marketing", "feedback.give", None, False),
    ("marketing", "feedback.respond", None, True),
    ("sales", "feedback.respond", None, False),
    ("marketing", "goals.edit", "marketing", True),
    ("marketing", "goals.edit", "sales", False),
    ("sales", "goals.edit", "sales", True),
    ("sales", "goals.edit", "shared", False),
    ("admin", "goals.edit", "shared", True),
    ("marketing", "sla.edit", None, False),
    ("admin", "sla.edit", None, True),
    ("sales", "data.import", None, False),
    ("viewer", "audit.view", None, False),
])
def test_role_matrix(role, action, owner, allowed):
    principal = Principal("x", "X", role)
    assert principal.can(action, owner) is allowed
    if allowed:
        assert authorize(principal, action, owner) is principal
    else:
        with pytest.raises(PermissionDenied):
            authorize(principal, action, owner)


def test_nobody_signed_in_may_write_nothing():
    with pytest.raises(PermissionDenied, match="Sign in"):
        authorize(None, "feedback.give")


def test_audit_rows_are_written_and_only_admins_read_them(tmp_path):
    con = db.open_store(tmp_path / "audit.duckdb")
    admin = Principal("ada", "Ada Admin", "admin")
    cur = con.cursor()
    audit.record(cur, admin, "sla.edit", "sla_policy", "sla-first-touch", {"threshold": 15}, {"threshold": 20})
    rows = audit.read(cur, admin)
    assert rows[["actor", "action", "entity_id"]].values.tolist() == [["ada", "sla.edit", "sla-first-touch"]]
    assert json.loads(rows.loc[0, "after_json"]) == {"threshold": 20}
    with pytest.raises(PermissionDenied):
        audit.read(cur, Principal("vic", "Vic Viewer", "viewer"))
    con.close()


# --- users managed in the app -------------------------------------------------------------------

ADA = Principal("ada", "Ada Admin", "admin")


@pytest.fixture
def store_and_users(tmp_path):
    con = db.open_store(tmp_path / "users.duckdb")
    path = tmp_path / "users.toml"
    save_users(path, {"ada": UserEntry("ada", "Ada Admin", "admin", hash_password("correct horse"))})
    yield con.cursor(), path
    con.close()


def test_an_admin_adds_changes_and_removes_a_user_audited(store_and_users):
    cur, path = store_and_users
    save_user(cur, ADA, path, UserEntry("Eve", "Eve Emea", "viewer", regions=("EMEA",)), "eve's password")
    eve = load_users(path)["eve"]
    assert (eve.role, eve.regions) == ("viewer", ("EMEA",)) and eve.password_hash.startswith("$argon2id$")
    assert "eve's password" not in path.read_text()
    assert authenticate(load_users(path), "eve", "eve's password", FailureLimiter()).scope_regions == ("EMEA",)
    # Changed without a password: the old hash stays.
    save_user(cur, ADA, path, UserEntry("eve", "Eve Emea", "marketing"), "")
    assert load_users(path)["eve"].password_hash == eve.password_hash and load_users(path)["eve"].role == "marketing"
    remove_user(cur, ADA, path, "eve")
    assert "eve" not in load_users(path)
    rows = cur.execute("select actor, action, entity_id, before_json, after_json from audit_log "
                       "order by audit_id").fetchall()
    assert [r[:3] for r in rows] == [("ada", "users.save", "eve"), ("ada", "users.save", "eve"),
                                     ("ada", "users.remove", "eve")]
    assert json.loads(rows[1][3])["role"] == "viewer" and json.loads(rows[1][4])["role"] == "marketing"
    assert rows[2][4] is None and "hash" not in rows[0][4].replace("has_password", "")


@pytest.mark.parametrize("who, change, message", [
    (Principal("mia", "Mia", "marketing"), lambda cur, p, path: save_user(
        cur, p, path, UserEntry("mia", "Mia", "admin"), "promote me please"),
     r"Mia \(marketing\) may not manage users"),
    (ADA, lambda cur, p, path: save_user(cur, p, path, UserEntry("x", "X", "viewer"), "long enough"), "user name must"),
    (ADA, lambda cur, p, path: save_user(cur, p, path, UserEntry("bob", "Bob", "viewer"), "short"), "at least 8"),
    (ADA, lambda cur, p, path: save_user(cur, p, path, UserEntry("bob", "Bob", "viewer"), ""), "needs a password"),
    (ADA, lambda cur, p, path: save_user(cur, p, path, UserEntry("ada", "Ada", "viewer"), ""), "the only admin"),
    (ADA, lambda cur, p, path: remove_user(cur, p, path, "ada"), "cannot remove yourself"),
    (ADA, lambda cur, p, path: remove_user(cur, p, path, "nobody"), "no user 'nobody'"),
])
def test_a_refused_user_change_leaves_the_file_and_the_log_alone(store_and_users, who, change, message):
    cur, path = store_and_users
    before = path.read_bytes()
    with pytest.raises((UserError, PermissionDenied), match=message):
        change(cur, who, path)
    assert path.read_bytes() == before
    assert cur.execute("select count(*) from audit_log").fetchall() == [(0,)]
