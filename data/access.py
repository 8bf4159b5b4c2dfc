"""Who may do what. Every write path calls `authorize` itself, on the server, before it validates or
writes anything: hiding a button is a courtesy, not a control.

Roles (from the sign-in, never from a form field):
- viewer: reads everything in their scope; writes nothing.
- sales: gives feedback on leads and campaigns (accepts, rejects, recycles leads).
- marketing: answers feedback; edits marketing-owned goals.
- admin: everything: all goals, SLA policy, the reason list, imports, users; reads the audit log.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

ROLES = ("viewer", "sales", "marketing", "admin")

# action -> roles allowed. Goals are checked against the goal's owner team as well (see authorize).
PERMISSIONS: dict[str, frozenset[str]] = {
    "feedback.give": frozenset({"sales", "admin"}),
    "feedback.respond": frozenset({"marketing", "admin"}),
    "goals.edit": frozenset({"marketing", "sales", "admin"}),
    "sla.edit": frozenset({"admin"}),
    "reasons.edit": frozenset({"admin"}),
    "data.import": frozenset({"admin"}),
    "users.admin": frozenset({"admin"}),
    "audit.view": frozenset({"admin"}),
    "meeting.snapshot": frozenset({"marketing", "sales", "admin"}),
    "meeting.decide": frozenset({"marketing", "sales", "admin"}),
    "annotations.edit": frozenset({"marketing", "sales", "admin"}),
}
# A goal owned by a team may be edited by that team's role or an admin; shared goals by admins only.
GOAL_EDITORS = {"marketing": frozenset({"marketing", "admin"}), "sales": frozenset({"sales", "admin"}),
                "shared": frozenset({"admin"})}


class PermissionDenied(PermissionError):
    """The signed-in user's role does not allow this write; nothing was changed."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user. `rep_id` links to the reps table when the user is one of the team."""

    username: str
    display_name: str
    role: str
    rep_id: str | None = None
    scope_regions: tuple[str, ...] = field(default=())
    scope_segments: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"Unknown role {self.role!r} for {self.username}; roles are {', '.join(ROLES)}.")

    @property
    def actor(self) -> str:
        """What the audit trail records as 'who': the rep id when there is one, else the user name."""
        return self.rep_id or self.username

    @property
    def label(self) -> str:
        """How messages name the user: 'Ada Admin (admin)'."""
        return f"{self.display_name} ({self.role})"

    @property
    def is_scoped(self) -> bool:
        return bool(self.scope_regions or self.scope_segments)

    def can(self, action: str, owner_team: str | None = None) -> bool:
        allowed = PERMISSIONS.get(action)
        if allowed is None:
            raise ValueError(f"Unknown action {action!r}.")
        if self.role not in allowed:
            return False
        if action == "goals.edit" and owner_team is not None:
            return self.role in GOAL_EDITORS.get(owner_team, frozenset())
        return True


def shell_principal(name: str | None = None) -> Principal:
    """Who the command line acts as: whoever can run it can already write the database file, so an
    admin, recorded in the audit trail under `name` (default cli:<login>)."""
    username = name or f"cli:{getpass.getuser()}"
    return Principal(username, username, "admin")


def authorize(principal: Principal | None, action: str, owner_team: str | None = None) -> Principal:
    """Return the principal if it may do `action` (on a goal of `owner_team`); raise otherwise."""
    if principal is None:
        raise PermissionDenied(f"Sign in to {_describe(action)}.")
    if not principal.can(action, owner_team):
        whose = f" owned by {owner_team}" if owner_team else ""
        raise PermissionDenied(f"{principal.label} may not {_describe(action)}{whose}.")
    return principal


def _describe(action: str) -> str:
    return {
        "feedback.give": "give feedback on leads or campaigns",
        "feedback.respond": "answer sales feedback",
        "goals.edit": "edit goals",
        "sla.edit": "edit the SLA policy",
        "reasons.edit": "edit the rejection reason list",
        "data.import": "import data",
        "users.admin": "manage users",
        "audit.view": "read the audit log",
        "meeting.snapshot": "freeze a meeting snapshot",
        "meeting.decide": "record or update meeting decisions and actions",
        "annotations.edit": "write chart annotations",
    }[action]
