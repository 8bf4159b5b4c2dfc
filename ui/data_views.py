"""The Data page's pieces that touch the store: imports through the app's own connection, the load
log and the quarantine. Every write ends with ui.store.clear_caches()."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data import audit
from data import auth as data_auth
from data.access import PermissionDenied
from data.importers import ImportPlan, ImportSpec, LoadResult, SourceFile, expand_archives, history
from data.importers.plan import prepare
from data.importers.spec import EXAMPLES_DIR, parse_spec, preset
from data.importers.write import load, preview_counts
from metrics.filters import Filters
from ui import auth, store
from ui import format as fmt

SOURCES = {"Salesforce": "salesforce", "HubSpot": "hubspot", "Mapping file": None}
_PLAN_KEY = "data_plan"


def _cursor():
    return store.connection(str(store.db_path())).cursor()


def uploaded_files(uploads) -> list[SourceFile]:
    """Streamlit uploads as SourceFiles, ZIP archives opened."""
    return expand_archives(SourceFile(u.name, u.getvalue()) for u in uploads or [])


def uploader_key(source: str) -> str:
    """The file uploader's widget key for one source ('data_files_mapping_file' for 'Mapping file')."""
    return "data_files_" + source.lower().replace(" ", "_")


def problems_summary(plan: ImportPlan) -> str:
    """'3 problems in 2 rows', '1 problem with a whole file', or both."""
    in_files = int(plan.problems["row"].isna().sum())
    parts = [fmt.plural(len(plan.problems) - in_files, "problem") + f" in {fmt.plural(plan.bad_rows, 'row')}"] \
        if plan.bad_rows else []
    if in_files:
        parts.append(fmt.plural(in_files, "problem") + " with a whole file")
    return " and ".join(parts)


def spec_for(source: str, mapping_text: str | None, mapping_name: str, encoding: str) -> ImportSpec:
    """The preset picked, or the uploaded mapping (raises MappingError naming what is wrong)."""
    spec = preset(SOURCES[source]) if SOURCES[source] else parse_spec(mapping_text or "", mapping_name)
    return spec.with_encoding(encoding) if encoding != "utf-8" else spec


def plan_import(spec: ImportSpec, files: list[SourceFile]) -> tuple[ImportPlan, pd.DataFrame, pd.DataFrame]:
    """The plan, what loading it would do per table, and earlier loads of the same files. Kept for the
    session while the spec and the files are the same, so widget changes do not re-read a large export."""
    key = (repr(spec), tuple((f.name, f.sha256) for f in files))
    kept = st.session_state.get(_PLAN_KEY)
    if kept and kept[0] == key:
        return kept[1]
    cur = _cursor()
    try:
        plan = prepare(cur, spec, files)
        result = plan, preview_counts(cur, plan), history.same_files_loaded(cur, plan.file_hash)
    finally:
        cur.close()
    st.session_state[_PLAN_KEY] = (key, result)
    return result


def run_import(spec: ImportSpec, files: list[SourceFile], mode: str) -> LoadResult:
    """Check again against the store as it is now, then load in one transaction; clear the caches."""
    cur = _cursor()
    try:
        plan = prepare(cur, spec, files)
    finally:
        cur.close()
    result = load(store.connection(str(store.db_path())), plan, mode, auth.current())
    store.clear_caches()
    st.session_state.pop(_PLAN_KEY, None)
    return result


def loads() -> pd.DataFrame:
    cur = _cursor()
    try:
        return history.loads(cur)
    finally:
        cur.close()


def load_tables(load_id: int) -> pd.DataFrame:
    cur = _cursor()
    try:
        return history.load_tables(cur, load_id)
    finally:
        cur.close()


def audit_log(action: str | None = None) -> pd.DataFrame:
    """The newest audit rows, read as the signed-in user (data.audit refuses anyone but an admin)."""
    cur = _cursor()
    try:
        return audit.read(cur, auth.current(), action=action)
    finally:
        cur.close()


def users() -> pd.DataFrame:
    """The users file as a table (never the hashes); empty when there is no file."""
    path = auth.users_path()
    entries = data_auth.load_users(path).values() if path.exists() else []
    return pd.DataFrame([{"user": e.username, "name": e.display_name, "role": e.role, "email": e.email or "",
                          "rep_id": e.rep_id or "", "scope": ", ".join(e.regions + e.segments) or "everything",
                          "sign-in": "password" if e.password_hash else "identity provider"} for e in entries],
                        columns=["user", "name", "role", "email", "rep_id", "scope", "sign-in"])


def change_users(change, *args) -> str | None:
    """Run data.auth.save_user or remove_user as the signed-in admin on the users file; None, or why it was
    refused."""
    cur = _cursor()
    try:
        change(cur, auth.current(), auth.users_path(), *args)
    except (data_auth.UserError, PermissionDenied) as exc:
        return str(exc)
    finally:
        cur.close()
    return None


def audit_actions() -> list[str]:
    cur = _cursor()
    try:
        return audit.actions(cur, auth.current())
    finally:
        cur.close()


def quarantine(load_id: int) -> pd.DataFrame:
    cur = _cursor()
    try:
        return history.quarantine(cur, load_id)
    finally:
        cur.close()


def whole_store() -> Filters | None:
    """Filters spanning every lead in the store (in the user's row scope), no dimension filters; None for
    an empty store."""
    bounds = store.bounds()
    user = auth.current()
    return Filters(start=bounds[0], end=bounds[1], scope_regions=user.scope_regions,
                   scope_segments=user.scope_segments) if bounds else None


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells shown empty (not 'None'), times to the second, amounts to the cent, for st.dataframe."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            values = out[column].dropna()
            days_only = bool((values == values.dt.normalize()).all())
            out[column] = out[column].dt.strftime("%Y-%m-%d" if days_only else "%Y-%m-%d %H:%M:%S").fillna("")
        elif pd.api.types.is_float_dtype(out[column]):
            out[column] = _decimals(out[column])
        elif (not pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])
              or out[column].isna().any()):
            out[column] = out[column].astype("object").where(out[column].notna(), "").astype("str")
    return out


def _decimals(values: pd.Series) -> pd.Series:
    """Whole numbers without decimals ('1054', not '1054.0'), others to the cent ('1958.33'); empty as ''."""
    present = values.dropna()
    digits = 0 if (present == present.round()).all() else 2
    return values.map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")


def example_mapping() -> str:
    """The README's worked example (Maven CRM pipeline), to download and adapt."""
    return (EXAMPLES_DIR / "maven_crm_pipeline.toml").read_text()
