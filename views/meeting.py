"""Meeting: the joint sales-marketing review on one screen, frozen as a snapshot so the numbers hold."""

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from data import meetings
from metrics import REGISTRY
from metrics.meeting import (
    ADDITIVE_KPIS,
    CONTRIBUTOR_DIMENSIONS,
    DIMENSION_LABELS,
    ITEM_KINDS,
    ITEM_STATUSES,
    KPI_BY_NAME,
    PERIOD_CHOICES,
    meeting_window,
    review_as_of,
    top_contributors,
)
from metrics.periods import Period
from metrics.registry import OWNERS
from ui import auth, brief, charts, filters, goals_charts, meeting_charts, meeting_views, store
from ui.export import safe_csv
from ui.meeting_charts import change_text, value_text
from ui.theme import TEAM_LABELS, team_badge

PAGE_METRICS = ("meeting_kpi_deltas", "meeting_kpi_contributors", "meeting_actions", "chart_annotations",
                "meeting_snapshots", "goal_progress", "funnel_waterfall", "sla_ledger", "rejection_reason_mix",
                "acquisition_cost_summary", "campaign_roi")
MODES = ("Live", "Snapshot", "Compare")
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "done": "Done", "dropped": "Dropped"}
OVERDUE = "color: #B91C1C"


def define(name: str) -> str:
    return REGISTRY[name].definition


def flash(message: str) -> None:
    st.session_state["meeting_flash"] = message


def show_flash() -> None:
    message = st.session_state.pop("meeting_flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")


def open_pending() -> None:
    """A freeze asks to open its snapshot; that must happen before the mode and snapshot widgets are drawn."""
    pending = st.session_state.pop("meeting_open", None)
    if pending is not None:
        st.session_state["meeting_mode"] = "Snapshot"
        st.session_state["meeting_snapshot"] = pending


def period_text(start: date, end: date) -> str:
    return f"{start:%d %b %Y} – {end:%d %b %Y}"


def snapshot_name(snapshots: pd.DataFrame, snapshot_id: int) -> str:
    row = snapshots[snapshots["snapshot_id"] == snapshot_id].iloc[0]
    return f"{row['title']} · frozen {row['taken_at']:%d %b %Y %H:%M} (#{snapshot_id})"


# --- the board ----------------------------------------------------------------------------------

def tile(column, row: pd.Series) -> None:
    unit = row["format"]
    change = row["change"]
    delta = None
    if not pd.isna(change):
        # Streamlit reads the arrow from a leading ASCII minus.
        delta = change_text(change, unit).replace("−", "-") + ("" if pd.isna(row["change_pct"]) else
                                                               f" ({row['change_pct']:+.0%})")
    colour = "off" if row["direction"] == 0 or pd.isna(change) or change == 0 else \
        "normal" if row["direction"] > 0 else "inverse"
    column.metric(row["label"], value_text(row["value"], unit), delta=delta, delta_color=colour,
                  delta_arrow="off" if not pd.isna(change) and change == 0 else "auto",
                  help=f"{row['definition']} Before: {value_text(row['previous_value'], unit)}.")


def team_tiles(deltas: pd.DataFrame) -> None:
    """Each KPI against the earlier reading, grouped by the team that owns it, at most five tiles a row."""
    rows = {owner: deltas[deltas["owner"] == owner] for owner in ("marketing", "sales", "shared")}
    team_box(st, "marketing", rows["marketing"])
    sales, shared = st.columns([4, 1])
    team_box(sales, "sales", rows["sales"])
    team_box(shared, "shared", rows["shared"], per_row=1)


def team_box(column, owner: str, rows: pd.DataFrame, per_row: int = 5) -> None:
    with column.container(border=True):
        st.markdown(f"{team_badge(owner)} &nbsp; **{TEAM_LABELS[owner]}**", unsafe_allow_html=True)
        for start in range(0, len(rows), per_row):
            for place, (_, row) in zip(st.columns(per_row), rows.iloc[start:start + per_row].iterrows()):
                tile(place, row)


def contributors_view(frame_for, key: str) -> None:
    left, right = st.columns(2)
    kpi = left.selectbox("KPI", list(ADDITIVE_KPIS), index=ADDITIVE_KPIS.index("won_revenue"), key=f"{key}_kpi",
                         format_func=lambda name: KPI_BY_NAME[name].shown_label)
    dimension = right.selectbox("Split by", list(CONTRIBUTOR_DIMENSIONS), key=f"{key}_dimension",
                                format_func=DIMENSION_LABELS.get)
    rows = top_contributors(frame_for(dimension), kpi, 8)
    if rows.empty:
        st.info(f"No {DIMENSION_LABELS[dimension].lower()} moved {KPI_BY_NAME[kpi].shown_label.lower()}.")
    else:
        st.plotly_chart(meeting_charts.contributors_chart(rows, DIMENSION_LABELS[dimension]), width="stretch",
                        key=f"{key}_chart")


def goals_view(goals: pd.DataFrame) -> None:
    st.subheader("Goals", help=define("goal_progress"))
    if goals.empty:
        st.info("No goals are set for this quarter: add them on the Goals page.")
        return
    title = Period(goals["period_type"].iloc[0], goals["period_start"].iloc[0]).title
    st.plotly_chart(goals_charts.bullet_chart(goals, title), width="stretch", key="meeting_goals_chart")


def funnel_view(now: pd.DataFrame, before: pd.DataFrame) -> None:
    st.subheader("Funnel", help=define("funnel_waterfall"))
    st.plotly_chart(charts.funnel_chart(now), width="stretch", key="meeting_funnel_chart")
    # The chart carries each stage's team colour; the table keeps to the numbers so it fits half the page.
    st.dataframe(brief.funnel_table(now, before).drop(columns=["Owner"]), hide_index=True, width="stretch",
                 key="meeting_funnel_table",
                 column_config={"Volume": st.column_config.NumberColumn(format="localized",
                                                                        help=define("funnel_stage_volume")),
                                "Previous period": st.column_config.NumberColumn(format="localized")})


def sla_view(now: pd.DataFrame, before: pd.DataFrame) -> None:
    st.subheader("SLA ledger", help=define("sla_ledger"))
    if now.empty:
        st.info("No SLA policy is set: the SLA ledger page sets what each side promised.")
        st.page_link("views/sla.py", label="Set the promises on the SLA ledger", icon=":material/handshake:")
        return
    st.dataframe(brief.sla_table(now, before), hide_index=True, width="stretch", key="meeting_sla_table",
                 column_config={"Actual": st.column_config.TextColumn(help=define("sla_ledger")),
                                "Still owed": st.column_config.TextColumn(help="Records still owed to keep the "
                                                                          "promise.")})


def themes_view(now: pd.DataFrame, before: pd.DataFrame) -> None:
    st.subheader("Top feedback themes", help=define("rejection_reason_mix"))
    if now.empty:
        st.info("Sales rejected no MQLs in this period.")
        return
    owner = REGISTRY["rejection_reason_mix"].owner
    st.plotly_chart(meeting_charts.themes_chart(now, before, owner), width="stretch", key="meeting_themes_chart")


def roi_view(deltas: pd.DataFrame, roi: pd.DataFrame, campaigns: pd.DataFrame) -> None:
    st.subheader("Campaign ROI", help=define("campaign_roi"))
    headline = deltas.set_index("kpi")
    places = st.columns(4)
    for place, name in zip(places, ("campaign_spend", "campaign_roi", "blended_cac")):
        tile(place, headline.loc[name])
    places[3].metric("Attributed won revenue", value_text(roi["attributed_won_revenue"].iloc[0], "currency"),
                     help=define("acquisition_cost_summary") + f" Model: {roi['model_label'].iloc[0]}.")
    st.dataframe(brief.campaigns_table(campaigns), hide_index=True, width="stretch", key="meeting_campaigns_table",
                 column_config={"Attributed won revenue": st.column_config.TextColumn(help=define("campaign_roi"))})


def board_view(board: dict[str, pd.DataFrame]) -> None:
    """Every section of the review, from live or frozen frames alike."""
    deltas = board["kpi_deltas"]
    st.subheader("What changed", help=define("meeting_kpi_deltas"))
    team_tiles(deltas)
    st.plotly_chart(meeting_charts.kpi_change_chart(deltas), width="stretch", key="meeting_kpi_chart")
    left, right = st.columns(2)
    with left:
        st.subheader("Who moved it", help=define("meeting_kpi_contributors"))
        contributors_view(lambda dimension: board[f"contributors_{dimension}"], "meeting_board")
    with right:
        themes_view(board["themes"], board["themes_previous"])
    goals_view(board["goals"])
    left, right = st.columns(2)
    with left:
        funnel_view(board["funnel"], board["funnel_previous"])
    with right:
        sla_view(board["sla"], board["sla_previous"])
    roi_view(deltas, board["roi"], board["campaigns"])


# --- decisions, actions and annotations ---------------------------------------------------------

def actions_view(actions: pd.DataFrame, snapshot_id: int, board: dict[str, pd.DataFrame]) -> None:
    st.subheader("Decisions and actions", help=define("meeting_actions"))
    if actions.empty:
        st.caption("No decisions or actions yet." if snapshot_id else "No open decisions or actions to carry in.")
    else:
        late = actions["is_overdue"].tolist()
        table = brief.actions_table(actions).style.apply(
            lambda row: [OVERDUE if late[row.name] else ""] * len(row), axis=1)
        st.dataframe(table, hide_index=True, width="stretch", key="meeting_actions_table",
                     column_config={"What": st.column_config.TextColumn(width="medium"),
                                    "#": st.column_config.NumberColumn(width="small")})
        if any(late):
            st.warning(f"{sum(late)} open item(s) past their due date.", icon=":material/schedule:")
    if not auth.current().can("meeting.decide"):
        st.caption(read_only_note("record decisions and actions"))
        return
    left, right = st.columns(2)
    with left:
        if snapshot_id:
            item_form(snapshot_id, board["campaigns"])
        else:
            st.info("Freeze a snapshot to start the meeting: its decisions and actions are recorded against it.",
                    icon=":material/info:")
    with right:
        status_form(actions)


def item_form(snapshot_id: int, campaigns: pd.DataFrame) -> None:
    people = store.reps()
    named = campaigns[campaigns["campaign_id"].notna()].sort_values("campaign_name")
    campaign_names = dict(zip(named["campaign_id"], named["campaign_name"]))
    labels = {name: m.label for name, m in sorted(REGISTRY.items(), key=lambda item: item[1].label)}
    with st.form("meeting_item_form", clear_on_submit=True):
        st.markdown("**Record a decision or an action**")
        kind = st.radio("Kind", list(ITEM_KINDS), horizontal=True, key="meeting_item_kind",
                        format_func=str.capitalize)
        text = st.text_area("What", key="meeting_item_text", max_chars=meetings.TEXT_LIMIT,
                            placeholder="e.g. Require a work e-mail on the giveaway form")
        metric_col, campaign_col = st.columns(2)
        metric_name = metric_col.selectbox("Metric it is about", [""] + list(labels), key="meeting_item_metric",
                                           format_func=lambda n: labels.get(n, "—"))
        campaign_id = campaign_col.selectbox("Campaign it is about", [""] + list(campaign_names),
                                             key="meeting_item_campaign",
                                             format_func=lambda c: campaign_names.get(c, "—"))
        team_col, owner_col, due_col = st.columns(3)
        owner_team = team_col.selectbox("Owner team", list(OWNERS), key="meeting_item_team",
                                        format_func=TEAM_LABELS.get)
        owner = owner_col.selectbox("Owner", list(people), key="meeting_item_owner",
                                    format_func=people.get)
        due = due_col.date_input("Due", value=date.today() + timedelta(days=7), key="meeting_item_due")
        no_due = st.checkbox("No due date (decisions only)", key="meeting_item_no_due")
        submitted = st.form_submit_button("Record", type="primary", key="meeting_item_save")
    if submitted:
        item = meetings.ItemInput(snapshot_id, kind, text, owner_team, owner, None if no_due else due,
                                  metric_name or None, campaign_id or None)
        run(meetings.record_item, f"Recorded the {kind}.", item)


def status_form(actions: pd.DataFrame) -> None:
    if actions.empty:
        return
    texts = dict(zip(actions["item_id"], actions["item_text"]))
    with st.form("meeting_status_form"):
        st.markdown("**Update a status**")
        item_id = st.selectbox("Item", list(texts), key="meeting_status_item",
                               format_func=lambda i: f"#{i} · {texts[i][:70]}")
        status = st.selectbox("Status", list(ITEM_STATUSES), key="meeting_status_value", format_func=STATUS_LABELS.get)
        submitted = st.form_submit_button("Update", key="meeting_status_save")
    if submitted:
        run(meetings.set_item_status, f"Item #{item_id} is now {STATUS_LABELS[status].lower()}.", int(item_id), status)


def run(action, success: str, *args) -> None:
    """Run a write; on success remember the message and rerun so every number shows the change."""
    _result, error = meeting_views.write(action, *args)
    if error:
        st.error(f"**Nothing was saved.** {error}", icon=":material/block:")
        return
    flash(success)
    st.rerun()


def annotations_view(f) -> None:
    with st.expander("Chart annotations in this period: launches, definition changes, decisions"):
        notes = meeting_views.chart_annotations(f)
        if notes.empty:
            st.caption("No launch, definition change or decision in this period.")
        else:
            st.dataframe(brief.annotations_table(notes), hide_index=True, width="stretch", key="meeting_notes_table")
        st.caption(define("chart_annotations"))
        if not auth.current().can("annotations.edit"):
            st.caption(read_only_note("write annotations"))
            return
        left, right = st.columns(2)
        with left:
            annotation_form(None, f)
        written = notes[notes["kind"].isin(meetings.WRITTEN_KINDS)]
        with right:
            if not written.empty:
                chosen = st.selectbox("Change or delete", list(written["source_id"]), key="meeting_note_pick",
                                      format_func=lambda i: written.set_index("source_id").loc[i, "label"])
                annotation_form(written.set_index("source_id").loc[chosen], f)


def annotation_form(current: pd.Series | None, f) -> None:
    """A blank form to add an annotation, or one filled in with `current` to change or delete it."""
    key = "new" if current is None else f"edit_{current.name}"
    labels = {name: m.label for name, m in sorted(REGISTRY.items(), key=lambda item: item[1].label)}
    with st.form(f"meeting_note_{key}", clear_on_submit=current is None):
        st.markdown("**Add an annotation**" if current is None else "**Change this annotation**")
        kinds = list(meetings.WRITTEN_KINDS)
        kind = st.radio("Kind", kinds, horizontal=True, key=f"meeting_note_kind_{key}",
                        index=0 if current is None else kinds.index(current["kind"]),
                        format_func=lambda k: {"definition": "Definition change", "note": "Note"}[k])
        day = st.date_input("Day", value=f.end if current is None else current["on_date"].date(),
                            key=f"meeting_note_day_{key}")
        label = st.text_input("Label", value="" if current is None else current["label"],
                              key=f"meeting_note_label_{key}", max_chars=meetings.TITLE_LIMIT)
        names = [""] + list(labels)
        metric_name = st.selectbox("Metric", names, key=f"meeting_note_metric_{key}",
                                   index=names.index(current["metric_name"]) if current is not None
                                   and current["metric_name"] in names else 0,
                                   format_func=lambda n: labels.get(n, "— (every chart)"))
        detail = st.text_input("Detail", value="" if current is None else (current["detail"] or ""),
                               key=f"meeting_note_detail_{key}")
        delete = current is not None and st.checkbox("Delete it", key=f"meeting_note_delete_{key}")
        submitted = st.form_submit_button("Save", key=f"meeting_note_save_{key}")
    if not submitted:
        return
    note = meetings.AnnotationInput(kind, day, label, detail or None, metric_name or None)
    if current is None:
        run(meetings.add_annotation, "Annotation added.", note)
    elif delete:
        run(meetings.delete_annotation, "Annotation deleted.", int(current.name))
    else:
        run(meetings.update_annotation, "Annotation changed.", int(current.name), note)


def export_view(info: brief.BriefInfo, board: dict[str, pd.DataFrame], actions: pd.DataFrame,
                notes: pd.DataFrame, stem: str) -> None:
    st.subheader("Export")
    tables = brief.csv_tables(board, actions, notes)
    brief_col, zip_col, one_col = st.columns(3)
    brief_col.download_button("Download the one-page brief (HTML)", icon=":material/description:",
                              data=lambda: brief.brief_html(info, board, actions, notes).encode("utf-8"),
                              file_name=f"{stem}_brief.html", mime="text/html", on_click="ignore",
                              key="meeting_brief_download",
                              help="Every section on one printable A4 page, the charts as images.")
    # Built when clicked, not on every rerun: a ZIP of every table takes a moment at a million leads.
    zip_col.download_button("Download every table (CSV, zip)", lambda: brief.tables_zip(tables),
                            file_name=f"{stem}_tables.zip", mime="application/zip", on_click="ignore",
                            key="meeting_tables_download", icon=":material/folder_zip:")
    with one_col:
        name = st.selectbox("One table as CSV", list(tables), key="meeting_table_pick",
                            format_func=lambda n: n.replace("_", " ").capitalize())
        st.download_button("Download CSV", lambda: safe_csv(tables[name]), file_name=f"{stem}_{name}.csv",
                           mime="text/csv", on_click="ignore", key="meeting_table_download",
                           icon=":material/download:")


def filters_text(f) -> str:
    chosen = [f"{label}: {', '.join(values)}" for label, values in (("Segment", f.segments), ("Region", f.regions),
                                                                     ("Channel", f.channels), ("Team", f.teams),
                                                                     ("Limited to", f.scope_regions + f.scope_segments))
              if values]
    return "; ".join(chosen) or "All records"


def read_only_note(what: str) -> str:
    user = auth.current()
    return f"Sales, marketing and admins {what}; you are signed in as {user.label}."


# --- the page -----------------------------------------------------------------------------------

open_pending()
sidebar = filters.current()
st.title("Meeting")
st.caption("The joint sales-marketing review: shared goals, the funnel, the SLA ledger, sales' feedback and "
           "campaign ROI for a period against the previous one. Freeze a snapshot and the numbers hold for the "
           "meeting and the next one can compare.")
show_flash()
snapshots = store.metric("meeting_snapshots", sidebar)
st.session_state.setdefault("meeting_mode", "Live")  # set here, not as a default: a freeze switches it
mode = st.segmented_control("View", list(MODES), key="meeting_mode") or "Live"

if mode == "Live":
    choice = st.selectbox("Period", list(PERIOD_CHOICES), key="meeting_period", format_func=PERIOD_CHOICES.get)
    # A calendar period is the last complete one of the data, which may end long before today.
    f = meeting_window(choice, sidebar if choice == "range" else
                       replace(sidebar, as_of=review_as_of(choice, sidebar, store.bounds()[1])))
    before = f.previous()
    st.caption(f"Live: {period_text(f.start, f.end)} against {period_text(before.start, before.end)} · "
               f"{filters_text(f)}. Live numbers move as data arrives; a snapshot holds them.")
    board = meeting_views.live_board(f)
    title, frozen = meeting_views.default_title(f), False
    if auth.current().can("meeting.snapshot"):
        with st.form("meeting_freeze_form", border=True):
            title_col, button_col = st.columns([4, 1], vertical_alignment="bottom")
            title = title_col.text_input("Snapshot title", value=title, key="meeting_title",
                                         max_chars=meetings.TITLE_LIMIT)
            frozen = button_col.form_submit_button("Freeze snapshot", type="primary", icon=":material/ac_unit:",
                                                   key="meeting_freeze", width="stretch")
    else:
        st.caption(read_only_note("freeze snapshots"))
    if frozen:
        snapshot_id, error = meeting_views.freeze(title, f, board)
        if error:
            st.error(f"**Nothing was saved.** {error}", icon=":material/block:")
        else:
            flash(f"Snapshot #{snapshot_id} frozen: these numbers will not change.")
            st.session_state["meeting_open"] = snapshot_id
            st.rerun()
    board_view(board)
    actions = store.metric("meeting_actions", f, snapshot_id=0)
    actions_view(actions, 0, board)
    annotations_view(f)
    info = brief.BriefInfo(title, f"{period_text(f.start, f.end)} against {period_text(before.start, before.end)}",
                           "Live numbers, not frozen", filters_text(f))
    export_view(info, board, actions, meeting_views.chart_annotations(f), f"tandem_meeting_{f.start}_{f.end}")

elif mode == "Snapshot":
    if snapshots.empty:
        st.info("No snapshot yet: in the Live view, pick the period and freeze one.", icon=":material/ac_unit:")
        st.stop()
    snapshot_id = st.selectbox("Snapshot", list(snapshots["snapshot_id"]), key="meeting_snapshot",
                               format_func=lambda i: snapshot_name(snapshots, i))
    row, f = meeting_views.snapshot_filters(snapshot_id)
    taken_by = snapshots.set_index("snapshot_id").loc[snapshot_id, "taken_by_name"]
    st.info(f"**{row['title']}**: frozen {row['taken_at']:%d %b %Y %H:%M} by {taken_by}. Numbers read for "
            f"{period_text(row['period_start'], row['period_end'])} against "
            f"{period_text(row['previous_start'], row['previous_end'])} as of {row['as_of']:%d %b %Y} · "
            f"{filters_text(f)}. They will not change, whatever is loaded later.", icon=":material/ac_unit:")
    board = meeting_views.snapshot_board(snapshot_id)
    board_view(board)
    actions = store.metric("meeting_actions", f, snapshot_id=int(snapshot_id))
    actions_view(actions, int(snapshot_id), board)
    annotations_view(f)
    info = brief.BriefInfo(row["title"], f"{period_text(row['period_start'], row['period_end'])} against "
                           f"{period_text(row['previous_start'], row['previous_end'])}",
                           f"Snapshot #{snapshot_id}, frozen {row['taken_at']:%d %b %Y %H:%M} by {taken_by}",
                           filters_text(f))
    export_view(info, board, actions, meeting_views.chart_annotations(f), f"tandem_snapshot_{snapshot_id}")

else:
    if snapshots.empty:
        st.info("No snapshot yet to compare with: freeze one in the Live view.", icon=":material/ac_unit:")
        st.stop()
    ids = list(snapshots["snapshot_id"])
    later_col, earlier_col = st.columns(2)
    later = later_col.selectbox("Later reading", [0] + ids, key="meeting_compare_later",
                                format_func=lambda i: "Live: the sidebar's date range, now" if i == 0
                                else snapshot_name(snapshots, i))
    earlier = earlier_col.selectbox("Earlier reading", ids, key="meeting_compare_earlier",
                                    index=1 if len(ids) > 1 and later == ids[0] else 0,
                                    format_func=lambda i: snapshot_name(snapshots, i))
    if later == earlier:
        st.info("Pick two different readings.")
        st.stop()
    deltas = store.metric("meeting_kpi_deltas", sidebar, snapshot_id=int(later), compare_to=int(earlier))
    st.subheader("What changed between the two readings", help=define("meeting_kpi_deltas"))
    team_tiles(deltas)
    st.plotly_chart(meeting_charts.kpi_change_chart(deltas), width="stretch", key="meeting_compare_kpi_chart")
    st.subheader("Who moved it", help=define("meeting_kpi_contributors"))
    with st.columns(2)[0]:
        contributors_view(lambda dimension: store.metric("meeting_kpi_contributors", sidebar, dimension=dimension,
                                                         top=0, snapshot_id=int(later), compare_to=int(earlier)),
                          "meeting_compare")
    st.download_button("Download the comparison (CSV)", safe_csv(brief.kpi_table(deltas)),
                       file_name=f"tandem_compare_{later}_{earlier}.csv", mime="text/csv", on_click="ignore",
                       key="meeting_compare_download", icon=":material/download:")

with st.expander("Definitions of every number on this page"):
    for name in PAGE_METRICS:
        metric = REGISTRY[name]
        st.markdown(f"**{metric.label}** (`{name}`, owner: {metric.owner}, grain: {metric.grain}). "
                    f"{metric.definition}")
