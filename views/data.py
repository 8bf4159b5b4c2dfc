"""Data: how far the numbers can be trusted, bringing in your own exports, and every load so far."""

import pandas as pd
import streamlit as st

from data.access import ROLES
from data.auth import UserEntry, remove_user, save_user
from data.importers import ImportRejected, MappingError
from data.importers.spec import field_help
from metrics.trust import CHECKS
from ui import auth, data_charts, data_views, store, trust
from ui import format as fmt
from ui.export import safe_csv

PREVIEW_ROWS = 200


def trust_section() -> None:
    st.subheader("Data trust")
    f = data_views.whole_store()
    st.caption("Every check over the whole store; the Funnel shows the same checks for its filters under its tiles.")
    trust.panel(f)
    if f is not None:
        st.plotly_chart(data_charts.trust_chart(trust.checks(f), {c.name: c.warn_at for c in CHECKS}),
                        width="stretch", key="data_trust_chart")


def import_inputs():
    """The form: where the files come from, the files, how to treat bad rows. Returns the spec and files."""
    left, right = st.columns([3, 2])
    source = left.segmented_control("Export from", list(data_views.SOURCES), default="Salesforce", key="data_source",
                                    help="Salesforce: a Data Export (the ZIP or its CSVs). HubSpot: contacts and/or "
                                         "deals exports. Mapping file: any CSV or Parquet, described by a TOML "
                                         "mapping (README, 'Bring your own data').") or "Salesforce"
    encoding = right.selectbox("Encoding", ["utf-8", "cp1252", "latin-1"], key="data_encoding",
                               help="utf-8 unless a preview reports bytes that are not UTF-8 (old Excel exports "
                                    "are cp1252).")
    mapping_text, mapping_name = None, "mapping"
    if source == "Mapping file":
        mapping = st.file_uploader("Mapping file (TOML)", type=["toml"], key="data_mapping")
        st.download_button("Download the worked example (Maven CRM pipeline)", data_views.example_mapping(),
                           file_name="maven_crm_pipeline.toml", key="data_example", icon=":material/download:")
        if mapping is not None:
            mapping_text, mapping_name = mapping.getvalue().decode("utf-8", errors="replace"), mapping.name
    # One uploader per source: files added for one export do not stay attached when another is picked.
    uploads = st.file_uploader("Export files", type=["csv", "txt", "tsv", "parquet", "zip"],
                               accept_multiple_files=True, key=data_views.uploader_key(source))
    quarantine = st.toggle("Quarantine bad rows", key="data_quarantine",
                           help="Off: any problem loads nothing. On: the good rows load and the bad ones are kept, "
                                "with their problems, in the quarantine below.")
    return source, mapping_text, mapping_name, encoding, uploads, "quarantine" if quarantine else "strict"


def show_plan(plan, counts, earlier, mode: str) -> None:
    st.markdown(f"**Files** ({len(plan.files)}), as the {plan.spec.name} import reads them")
    st.dataframe(data_views.for_display(plan.summary), hide_index=True, width="stretch", key="data_summary_table",
                 column_config={"note": st.column_config.TextColumn(width="large")})
    if len(earlier):
        again = (f" Its {fmt.plural(plan.bad_rows, 'bad row')} would be kept in quarantine again."
                 if mode == "quarantine" and plan.bad_rows else "")
        st.info(f"These exact files were loaded before (load {earlier['load_id'].iloc[0]}); loading them again "
                f"changes no record.{again}")
    if len(plan.problems):
        st.warning(f"{data_views.problems_summary(plan)}. "
                   + ("A file that cannot be read loads nothing." if plan.blocked else
                      "Quarantine keeps these rows out and loads the rest." if mode == "quarantine" else
                      "Nothing loads until they are fixed, or turn on 'Quarantine bad rows'."),
                   icon=":material/report:")
        st.dataframe(data_views.for_display(plan.problems.head(5000)), hide_index=True, width="stretch",
                     key="data_problems_table", column_config={"reason": st.column_config.TextColumn(width="large")})
        st.download_button("Download the problems (CSV)", safe_csv(plan.problems), file_name="import_problems.csv",
                           mime="text/csv", key="data_problems_download", icon=":material/download:")
    else:
        st.success("No problems found.", icon=":material/check_circle:")
    st.markdown("**What loading would do**, per table (matched by source system and ID)")
    st.dataframe(counts, hide_index=True, width="stretch", key="data_counts_table")
    if plan.tables:
        table = st.selectbox("Mapped rows of", list(plan.tables), key="data_preview_table")
        rows = plan.tables[table].frame.drop(columns=["email"], errors="ignore")
        hashed = " E-mail addresses are not shown: only a hash of each is kept." if table == "leads" else ""
        st.caption(f"{fmt.count(len(rows))} rows; the first {min(PREVIEW_ROWS, len(rows)):,} shown.{hashed}")
        st.dataframe(data_views.for_display(rows.head(PREVIEW_ROWS)), hide_index=True, width="stretch",
                     key="data_rows_table")


def import_section() -> None:
    st.subheader("Import")
    user = auth.current()
    if not user.can("data.import"):
        st.caption(f"Admins import data; you are signed in as {user.label}.")
        return
    source, mapping_text, mapping_name, encoding, uploads, mode = import_inputs()
    files = data_views.uploaded_files(uploads)
    if not files:
        st.caption("Add the export's files (or its ZIP) to preview them. Nothing is written before you confirm.")
        return
    try:
        spec = data_views.spec_for(source, mapping_text, mapping_name, encoding)
    except MappingError as exc:
        st.error(str(exc) if mapping_text else "Add a mapping file, or download the worked example to start one.")
        return
    plan, counts, earlier = data_views.plan_import(spec, files)
    show_plan(plan, counts, earlier, mode)
    loadable = not plan.blocked and bool(plan.tables) and (mode == "quarantine" or plan.problems.empty)
    if st.button("Load into the store", type="primary", disabled=not loadable, key="data_confirm",
                 icon=":material/upload:"):
        try:
            result = data_views.run_import(spec, files, mode)
        except ImportRejected as exc:
            st.error(str(exc))
            return
        kept = f"; {fmt.plural(result.quarantined_rows, 'bad row')} kept in quarantine" \
            if result.quarantined_rows else ""
        st.session_state["data_loaded"] = f"Loaded as load {result.load_id} in {result.seconds:.1f} s{kept}."
        # Below, the load log and the quarantine open on what this load did.
        st.session_state["data_load_id"] = st.session_state["data_quarantine_load"] = result.load_id
        st.rerun()


def history_section(loads: pd.DataFrame) -> None:
    st.subheader("Loads")
    if loads.empty:
        st.caption("No load yet.")
        return
    st.dataframe(data_views.for_display(loads), hide_index=True, width="stretch", key="data_loads_table",
                 column_config={"file_hash": st.column_config.TextColumn("file hash (SHA-256)", width="small"),
                                "row_count": st.column_config.NumberColumn("rows read", format="localized")})
    load_id = st.selectbox("What a load did, per table", loads["load_id"].tolist(), key="data_load_id",
                           format_func=lambda i: f"Load {i}")
    detail = data_views.load_tables(load_id)
    if detail.empty:
        st.caption("This load logged its total only (the demo build does); imports log every table.")
    else:
        st.dataframe(detail, hide_index=True, width="stretch", key="data_load_tables")


def quarantine_section(loads: pd.DataFrame) -> None:
    st.subheader("Quarantine")
    if not auth.current().can("data.import"):
        st.caption("Rows kept out of the store are shown to admins, who fix and reload them.")
        return
    kept_out = loads[loads["quarantined_rows"] > 0]
    if kept_out.empty:
        st.caption("No rows kept out of the store.")
        return
    rows_of = {int(i): int(n) for i, n in zip(kept_out["load_id"], kept_out["quarantined_rows"])}  # newest first
    if st.session_state.get("data_quarantine_load") not in rows_of:
        st.session_state["data_quarantine_load"] = next(iter(rows_of))
    load_id = st.selectbox("Rows kept out by", list(rows_of), key="data_quarantine_load",
                           format_func=lambda i: f"Load {i} ({fmt.plural(rows_of[i], 'row')})")
    rows = data_views.quarantine(load_id)
    st.caption(f"Load {load_id} kept {fmt.plural(rows_of[load_id], 'row')} out of the store "
               f"({fmt.plural(len(rows), 'problem')}), each with the whole source row. Fix them in the source and "
               "load the export again: the fixed rows then load like new ones, and this list stays as that "
               "load's record.")
    st.dataframe(data_views.for_display(rows), hide_index=True, width="stretch", key="data_quarantine_table")
    st.download_button("Download the quarantine (CSV)", safe_csv(rows), file_name=f"tandem_quarantine_{load_id}.csv",
                       mime="text/csv", key="data_quarantine_download", icon=":material/download:")


def audit_section() -> None:
    """Every write anyone made (who, when, what, before and after); admins only."""
    st.subheader("Audit log")
    if not auth.current().can("audit.view"):
        st.caption("Every change (feedback, answers, goals, the SLA policy, the reason list, imports, meetings) is "
                   "logged with who, when, before and after; admins read the log here.")
        return
    action = st.selectbox("Action", data_views.audit_actions(), index=None, key="data_audit_action",
                          placeholder="Every action")
    rows = data_views.audit_log(action)
    if rows.empty:
        st.caption("Nothing logged yet." if action is None else f"No {action} logged yet.")
        return
    st.caption(f"The newest {fmt.count(len(rows))} changes, newest first. Before and after are the changed "
               "record's fields as JSON.")
    st.dataframe(data_views.for_display(rows), hide_index=True, width="stretch", key="data_audit_table",
                 column_config={"before_json": st.column_config.TextColumn("before", width="medium"),
                                "after_json": st.column_config.TextColumn("after", width="medium")})
    st.download_button("Download the audit log (CSV)", safe_csv(rows), file_name="tandem_audit_log.csv",
                       mime="text/csv", key="data_audit_download", icon=":material/download:")


def users_section() -> None:
    """Who may sign in, with which role and scope; admins add, change and remove users here."""
    st.subheader("Users")
    user = auth.current()
    if not user.can("users.admin"):
        st.caption("Admins manage who may sign in, with which role and which rows.")
        return
    people = data_views.users()
    path = auth.users_path()
    if people.empty:
        st.info(f"No users file at {path}: the app is in open demo mode. Add the first admin here (or with "
                "`python -m data users add`) and sign-in is required from the next page load.",
                icon=":material/lock_open:")
    else:
        st.dataframe(people, hide_index=True, width="stretch", key="data_users_table")
    options = store.options()
    left, right = st.columns([3, 2])
    with left.form("data_user_form", clear_on_submit=True, border=True):
        st.markdown("**Add a user, or change one** (same user name)")
        name_col, display_col, role_col = st.columns(3)
        username = name_col.text_input("User name", key="data_user_name")
        display = display_col.text_input("Display name", key="data_user_display")
        role = role_col.selectbox("Role", ROLES, key="data_user_role")
        password = st.text_input("Password (8+ characters; blank keeps a changed user's password)",
                                 type="password", key="data_user_password")
        email_col, rep_col = st.columns(2)
        email = email_col.text_input("E-mail (to sign in through the identity provider)", key="data_user_email")
        rep_id = rep_col.text_input("Rep id (links the user to the reps table)", key="data_user_rep")
        region_col, segment_col = st.columns(2)
        regions = region_col.multiselect("Only these regions", list(options.get("regions", {})),
                                         key="data_user_regions", placeholder="Every region")
        segments = segment_col.multiselect("Only these segments", list(options.get("segments", {})),
                                           key="data_user_segments", placeholder="Every segment")
        if st.form_submit_button("Save user", type="primary", icon=":material/person_add:"):
            entry = UserEntry(username, display, role, None, email, rep_id, tuple(regions), tuple(segments))
            show_user_change(data_views.change_users(save_user, entry, password), f"Saved {username}.")
    if not people.empty:
        with right.form("data_user_remove_form", border=True):
            st.markdown("**Remove a user**")
            others = [name for name in people["user"] if name != user.username.lower()]  # never yourself
            gone = st.selectbox("User", others, index=None, key="data_user_remove", placeholder="Pick a user")
            if st.form_submit_button("Remove", icon=":material/person_remove:") and gone:
                show_user_change(data_views.change_users(remove_user, gone), f"Removed {gone}.")


def show_user_change(error: str | None, success: str) -> None:
    if error:
        st.error(error)
    else:
        st.session_state["data_loaded"] = success
        st.rerun()


st.title("Data")
st.caption("Where the numbers come from: how far they can be trusted, your own exports brought in, every load.")
if "data_loaded" in st.session_state:
    st.success(st.session_state.pop("data_loaded"), icon=":material/check_circle:")
trust_section()
import_section()
loads = data_views.loads()  # newest first; the log and the quarantine both read it
history_section(loads)
quarantine_section(loads)
users_section()
audit_section()
with st.expander("Fields a mapping file can fill, per table"):
    for table, rows in field_help().items():
        st.markdown(f"**{table}**: " + "; ".join(f"`{name}` ({kind}) {text}" for name, kind, text in rows))
