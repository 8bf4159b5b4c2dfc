"""The Goals page's writes: each goes through data.goals (role checked, validated, one transaction,
audited) as the signed-in principal, and clears the caches the moment it succeeds so every number shows
the change."""

from __future__ import annotations

import pandas as pd

from data import goals as goal_store
from data.access import Principal
from ui import store
from ui.export import safe_csv


def save(changes: list[goal_store.Change], user: Principal) -> goal_store.SaveResult:
    """Raises data.goals.GoalError or data.access.PermissionDenied (nothing written) when refused."""
    result = goal_store.save(store.connection(str(store.db_path())), changes, user)
    store.clear_caches()
    return result


def import_file(data: bytes, file_name: str, user: Principal) -> goal_store.SaveResult:
    """Create or update the goals of an uploaded CSV, all or nothing."""
    result = goal_store.import_csv(store.connection(str(store.db_path())), data, file_name, user)
    store.clear_caches()
    return result


def export_csv(goals: pd.DataFrame) -> bytes:
    """The goals (goal_list's frame) as a formula-safe CSV in the import format."""
    return safe_csv(goal_store.export_frame(goals))
