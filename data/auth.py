"""Sign-in without Streamlit: the local users file, password hashes, the failed-sign-in limiter and
signed session tokens, and the audited user changes admins make in the app. ui/auth.py draws the sign-in
screens; this module decides.

The users file (TOML) holds one table per user; passwords only as argon2id hashes (salted by argon2):

    [users.alice]
    display_name = "Alice Admin"
    role = "admin"                  # viewer, sales, marketing or admin
    password_hash = "$argon2id$..."
    email = "alice@example.com"     # optional: matches an OIDC sign-in to this entry
    rep_id = "rep-001"              # optional: links the user to the reps table
    regions = ["EMEA"]              # optional row scope; empty = everything
    segments = []
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import tomllib
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data import audit
from data.access import ROLES, Principal, authorize

USERS_ENV = "TANDEM_USERS"
DEFAULT_USERS_PATH = Path(__file__).resolve().parent / "users.toml"
MAX_FAILURES = 5
FAILURE_WINDOW_SECONDS = 15 * 60
SESSION_HOURS = 8

_HASHER = PasswordHasher()
# Verified against when the user name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class SignInError(Exception):
    """Sign-in refused. The message never says whether the name or the password was wrong."""


@dataclass(frozen=True)
class UserEntry:
    username: str
    display_name: str
    role: str
    password_hash: str | None = None
    email: str | None = None
    rep_id: str | None = None
    regions: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()

    def principal(self) -> Principal:
        return Principal(self.username, self.display_name, self.role, self.rep_id, self.regions, self.segments)


def resolve_users_path(configured: str | os.PathLike | None = None) -> Path:
    """$TANDEM_USERS, else the configured value (Streamlit secrets), else data/users.toml."""
    return Path(os.environ.get(USERS_ENV) or configured or DEFAULT_USERS_PATH).expanduser().resolve()


def load_users(path: Path) -> dict[str, UserEntry]:
    """Every user in the file, by lower-cased user name; a bad entry is an error naming it."""
    with open(path, "rb") as handle:
        document = tomllib.load(handle)
    users = {}
    for name, entry in document.get("users", {}).items():
        role = entry.get("role")
        if role not in ROLES:
            raise ValueError(f"{path}: user {name!r} has role {role!r}; roles are {', '.join(ROLES)}.")
        users[name.lower()] = UserEntry(
            username=name, display_name=entry.get("display_name", name), role=role,
            password_hash=entry.get("password_hash"), email=entry.get("email"), rep_id=entry.get("rep_id"),
            regions=tuple(entry.get("regions", ())), segments=tuple(entry.get("segments", ())))
    return users


def save_users(path: Path, users: dict[str, UserEntry]) -> None:
    """Write the file atomically (a temp file renamed over it), readable by its owner only."""
    lines = ["# Tandem users. Edit with `python -m data users`; passwords are argon2id hashes.", ""]
    for entry in sorted(users.values(), key=lambda e: e.username.lower()):
        lines.append(f"[users.{json.dumps(entry.username)}]")
        for key in ("display_name", "role", "password_hash", "email", "rep_id"):
            value = getattr(entry, key)
            if value is not None:
                lines.append(f"{key} = {json.dumps(value)}")
        lines.append(f"regions = {json.dumps(list(entry.regions))}")
        lines.append(f"segments = {json.dumps(list(entry.segments))}")
        lines.append("")
    temp = path.with_suffix(".tmp")
    temp.write_text("\n".join(lines))
    temp.chmod(0o600)
    temp.replace(path)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("A password needs at least 8 characters.")
    return _HASHER.hash(password)


class FailureLimiter:
    """At most MAX_FAILURES failed sign-ins per user name in FAILURE_WINDOW_SECONDS; thread-safe."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = FAILURE_WINDOW_SECONDS):
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def wait_seconds(self, username: str, now: float | None = None) -> float:
        """0 when the user may try; else how long until the oldest counted failure expires."""
        now = time.time() if now is None else now
        with self._lock:
            times = self._recent(username.lower(), now)
            return 0.0 if len(times) < self.max_failures else self.window - (now - times[0])

    def failed(self, username: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self._lock:
            self._recent(username.lower(), now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username.lower(), None)


def authenticate(users: dict[str, UserEntry], username: str, password: str, limiter: FailureLimiter,
                 now: float | None = None) -> Principal:
    """The user's Principal, or SignInError (wrong name or password, or too many failures)."""
    wait = limiter.wait_seconds(username, now)
    if wait > 0:
        raise SignInError(f"Too many failed sign-ins for this user. Try again in {int(wait // 60) + 1} minutes.")
    entry = users.get(username.strip().lower())
    try:
        _HASHER.verify(entry.password_hash if entry and entry.password_hash else _DUMMY_HASH, password)
        if entry is None or entry.password_hash is None:
            raise VerificationError
    except (VerificationError, InvalidHashError):
        limiter.failed(username, now)
        raise SignInError("Wrong user name or password.") from None
    limiter.succeeded(username)
    return entry.principal()


def issue_token(principal: Principal, secret: bytes, now: float | None = None) -> str:
    """A signed token binding the principal's name, role and scope to the moment of sign-in."""
    payload = {**_claims(principal), "t": int(time.time() if now is None else now)}
    body = base64.urlsafe_b64encode(json.dumps(payload, sort_keys=True).encode()).decode()
    return f"{body}.{_sign(body, secret)}"


def _claims(principal: Principal) -> dict:
    return {"u": principal.username, "r": principal.role, "g": list(principal.scope_regions),
            "s": list(principal.scope_segments)}


def still_holds(payload: dict, principal: Principal | None) -> bool:
    """Does a verified token's payload still describe this user (same name, role and scope)?"""
    return principal is not None and all(payload.get(k) == v for k, v in _claims(principal).items())


def verify_token(token: str, secret: bytes, max_age: float = SESSION_HOURS * 3600,
                 now: float | None = None) -> dict:
    """The token's payload if its signature holds and it has not expired; SignInError otherwise."""
    body, _, signature = token.partition(".")
    if not hmac.compare_digest(signature, _sign(body, secret)):
        raise SignInError("Your session is not valid. Sign in again.")
    payload = json.loads(base64.urlsafe_b64decode(body))
    age = (time.time() if now is None else now) - payload["t"]
    if age > max_age or age < -60:
        raise SignInError("Your session has expired. Sign in again.")
    return payload


def _sign(body: str, secret: bytes) -> str:
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


# --- managing users from the app (admins only, audited) ------------------------------------------

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@-]{1,63}")


class UserError(ValueError):
    """A user change was refused; the users file is as it was."""


def _entry_audit(entry: UserEntry | None) -> dict | None:
    if entry is None:
        return None
    return {"display_name": entry.display_name, "role": entry.role, "email": entry.email, "rep_id": entry.rep_id,
            "regions": list(entry.regions), "segments": list(entry.segments),
            "has_password": entry.password_hash is not None}


def save_user(cur, principal: Principal, path: Path, entry: UserEntry, password: str | None) -> None:
    """Add a user or replace one (a blank password keeps the old hash). Checked first, then the audit row and
    the file written together: the file is renamed into place only while the audit transaction is open."""
    authorize(principal, "users.admin")
    username = entry.username.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise UserError(f"user name must be 2-64 lowercase letters, digits and . _ @ -; got {entry.username!r}.")
    users = load_users(path) if path.exists() else {}
    old = users.get(username)
    try:
        password_hash = hash_password(password) if password else old.password_hash if old else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if password_hash is None and not entry.email:
        raise UserError(f"{username} needs a password, or an e-mail address to sign in with the identity provider.")
    new = UserEntry(username, entry.display_name.strip() or username, entry.role, password_hash,
                    entry.email or None, entry.rep_id or None, tuple(entry.regions), tuple(entry.segments))
    new.principal()  # refuses an unknown role
    _refuse_losing_the_last_admin(users, username, new)
    _write_audited(cur, principal, path, {**users, username: new}, "users.save", username, old, new)


def remove_user(cur, principal: Principal, path: Path, username: str) -> None:
    """Remove a user; never yourself and never the last admin, so nobody locks the store out."""
    authorize(principal, "users.admin")
    users = load_users(path) if path.exists() else {}
    old = users.get(username.lower())
    if old is None:
        raise UserError(f"no user {username!r} in {path}.")
    if old.username.lower() == principal.username.lower():
        raise UserError("You cannot remove yourself; ask another admin.")
    _refuse_losing_the_last_admin(users, old.username.lower(), None)
    rest = {name: entry for name, entry in users.items() if name != old.username.lower()}
    _write_audited(cur, principal, path, rest, "users.remove", old.username, old, None)


def _refuse_losing_the_last_admin(users: dict[str, UserEntry], username: str, new: UserEntry | None) -> None:
    admins = {name for name, entry in users.items() if entry.role == "admin"}
    if admins == {username} and (new is None or new.role != "admin"):
        raise UserError(f"{username} is the only admin; make someone else admin first.")


def _write_audited(cur, principal: Principal, path: Path, users: dict[str, UserEntry], action: str,
                   username: str, old: UserEntry | None, new: UserEntry | None) -> None:
    cur.execute("begin transaction")
    try:
        audit.record(cur, principal, action, "users", username, _entry_audit(old), _entry_audit(new))
        save_users(path, users)
        cur.execute("commit")
    except BaseException:
        cur.execute("rollback")
        raise


def add_commands(commands) -> None:
    """`python -m data users add|list|remove`."""
    users = commands.add_parser("users", help="manage the local users file (sign-in without an identity provider)")
    users.add_argument("--file", help=f"users file (default: ${USERS_ENV} or data/users.toml)")
    actions = users.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="add or replace a user; the password is read from standard input")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name")
    add.add_argument("--email")
    add.add_argument("--rep-id")
    add.add_argument("--region", action="append", default=[], help="limit the user to this region (repeatable)")
    add.add_argument("--segment", action="append", default=[], help="limit the user to this segment (repeatable)")
    add.set_defaults(run=_add_command)
    listing = actions.add_parser("list", help="list users (never their hashes)")
    listing.set_defaults(run=_list_command)
    remove = actions.add_parser("remove", help="remove a user")
    remove.add_argument("username")
    remove.set_defaults(run=_remove_command)


def _read_password() -> str:
    if sys.stdin.isatty():
        first, second = getpass.getpass("Password: "), getpass.getpass("Again: ")
        if first != second:
            raise ValueError("The two passwords differ.")
        return first
    return sys.stdin.readline().rstrip("\n")


def _add_command(args: argparse.Namespace) -> int:
    path = resolve_users_path(args.file)
    try:
        users = load_users(path) if path.exists() else {}
        entry = UserEntry(args.username, args.display_name or args.username, args.role,
                          hash_password(_read_password()), args.email, args.rep_id,
                          tuple(args.region), tuple(args.segment))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    users[args.username.lower()] = entry
    save_users(path, users)
    print(f"Saved {args.username} ({args.role}) to {path}.")
    return 0


def _list_command(args: argparse.Namespace) -> int:
    path = resolve_users_path(args.file)
    if not path.exists():
        print(f"error: no users file at {path}", file=sys.stderr)
        return 2
    for entry in load_users(path).values():
        scope = ", ".join(entry.regions + entry.segments) or "everything"
        print(f"{entry.username:<20} {entry.role:<10} {entry.display_name:<24} scope: {scope}")
    return 0


def _remove_command(args: argparse.Namespace) -> int:
    path = resolve_users_path(args.file)
    users = load_users(path) if path.exists() else {}
    if users.pop(args.username.lower(), None) is None:
        print(f"error: no user {args.username!r} in {path}", file=sys.stderr)
        return 2
    save_users(path, users)
    print(f"Removed {args.username} from {path}.")
    return 0
