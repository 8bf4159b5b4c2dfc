"""Feedback: sales tells marketing what its leads are worth, marketing answers, and both see what it adds up to."""

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from data import feedback
from data.access import Principal
from data.feedback import NOTE_LIMIT, RATINGS, RESPONSE_STATUSES, STATUS_LABELS, VERDICT_LABELS, VERDICTS
from metrics import REGISTRY
from metrics.feedback import DIMENSIONS
from metrics.filters import Filters
from ui import auth, filters, meeting_views, store
from ui import feedback_actions as actions
from ui import feedback_charts as charts
from ui import format as fmt
from ui.annotations import annotate
from ui.export import safe_csv

PAGE_METRICS = ("rejection_rate", "rejection_reason_mix", "rejection_trend", "recycled_outcomes", "score_calibration",
                "sales_capacity", "feedback_inbox", "feedback_response_time", "campaign_feedback")
VIEWS = ["Give feedback", "Inbox", "Analytics", "Reasons"]
SINCE = {"30 days": 30, "90 days": 90, "1 year": 365, "All": None}
DIMENSION_LABELS = {"campaign": "campaign", "channel": "channel", "score_band": "lead score band",
                    "segment": "segment", "region": "region", "team": "team", "rep": "rep"}
_FLASH = "feedback_flash"


def define(name: str) -> str:
    return REGISTRY[name].definition


def flash(message: str, form: str | None = None) -> None:
    """Show `message` after a rerun; a submitted `form` comes back empty (its widgets' keys move on)."""
    st.session_state[_FLASH] = message
    if form:
        st.session_state[f"{form}_generation"] = generation(form) + 1
    st.rerun()


def submit(action, user: Principal, *args, done: str, form: str | None = None, **kwargs) -> None:
    """Run one data.feedback write as `user`: its refusal shown where the form is, or `done` flashed after the
    rerun (see flash)."""
    _, error = actions.write(action, user, *args, **kwargs)
    if error:
        st.error(error)
    else:
        flash(done, form)


def generation(form: str) -> int:
    """How many times `form` was submitted successfully: part of its widgets' keys, so a new one starts blank."""
    return st.session_state.get(f"{form}_generation", 0)


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def shown(values: pd.Series, template: str) -> pd.Series:
    """Values as table text (`template` e.g. '{:.1f} h'), '–' where there is none, so no cell reads None."""
    return values.map(lambda v: "–" if pd.isna(v) else template.format(v))


def reason_labels(active_only: bool) -> dict[str, str]:
    reasons = actions.read(feedback.reason_list)
    if active_only:
        reasons = reasons[reasons["is_active"]]
    return dict(zip(reasons["reason_code"], reasons["label"]))


# --- sales gives feedback -----------------------------------------------------------------------

def verdict_form(user: Principal) -> None:
    queue = actions.read(feedback.verdict_queue, user)
    leads = {row.lead_id: f"{row.lead_id} · {row.campaign_name} · MQL {row.mql_at:%d %b %H:%M} · {row.sdr_rep_name}"
             for row in queue.itertuples()}
    reasons = reason_labels(active_only=True)
    n = generation("feedback_verdict_form")
    with st.form("feedback_verdict_form", border=True):
        st.markdown("**A lead: accept, reject or recycle**")
        if not reasons:
            no_reasons_note(user)
        lead = st.selectbox("Lead", list(leads), index=None, key=f"feedback_lead_{n}", accept_new_options=True,
                            format_func=lambda lead_id: leads.get(lead_id, lead_id),
                            placeholder="An MQL awaiting a verdict (yours first), or type a lead id")
        verdict = st.radio("Verdict", VERDICTS, key=f"feedback_verdict_{n}", horizontal=True,
                           format_func=VERDICT_LABELS.get)
        reason = st.selectbox("Reason (required to reject; optional to recycle)", list(reasons), index=None,
                              key=f"feedback_reason_{n}", format_func=reasons.get, placeholder="Pick a reason")
        rating = st.segmented_control("Lead quality (1 poor – 5 excellent)", RATINGS, key=f"feedback_rating_{n}")
        note = st.text_area("Note", key=f"feedback_note_{n}", max_chars=NOTE_LIMIT, height=90,
                            help=f"Up to {NOTE_LIMIT:,} characters, kept and shown as plain text.")
        submitted = st.form_submit_button("Submit verdict", type="primary", icon=":material/send:")
    if not submitted:
        return
    if not lead:
        st.error("Pick a lead (or type its id) before submitting.")
        return
    submit(feedback.record_verdict, user, lead, verdict, reason_code=reason if verdict != "accept" else None,
           rating=rating, note=note, form="feedback_verdict_form",
           done=f"{VERDICT_LABELS[verdict]}: lead {lead} recorded as {user.display_name}. Marketing sees it in its "
                "inbox and the funnel counts it now.")


def no_reasons_note(user: Principal) -> None:
    """Why no lead can be rejected: the reason list, which a rejection needs, has no active reason."""
    fix = ("Add or reinstate one under *Reasons*." if user.can("reasons.edit")
           else "Ask an admin to add or reinstate one under *Reasons*.")
    st.warning(f"The rejection reason list has no active reason, so no lead can be rejected yet (a rejection needs "
               f"one). {fix} Accepting and recycling work without one.", icon=":material/warning:")


def campaign_form(user: Principal) -> None:
    campaigns = actions.read(feedback.campaign_list)
    names = dict(zip(campaigns["campaign_id"], campaigns["campaign_name"]))
    n = generation("feedback_campaign_form")
    with st.form("feedback_campaign_form", border=True):
        st.markdown("**A campaign as a whole**")
        campaign = st.selectbox("Campaign", list(names), index=None, key=f"feedback_campaign_{n}",
                                format_func=names.get, placeholder="Running campaigns first")
        rating = st.segmented_control("Rating (1 poor – 5 excellent)", RATINGS, key=f"feedback_campaign_rating_{n}")
        note = st.text_area("Note", key=f"feedback_campaign_note_{n}", max_chars=NOTE_LIMIT, height=90,
                            help=f"Up to {NOTE_LIMIT:,} characters, kept and shown as plain text.")
        submitted = st.form_submit_button("Rate campaign", icon=":material/star:")
    if not submitted:
        return
    if not campaign:
        st.error("Pick a campaign before submitting.")
        return
    submit(feedback.rate_campaign, user, campaign, rating, note=note, form="feedback_campaign_form",
           done=f"Rating {rating}/5 for {names[campaign]} recorded as {user.display_name}.")


def give_view(user: Principal, f: Filters) -> None:
    if not user.can("feedback.give"):
        st.info(f"Sales gives feedback on leads and campaigns; you are signed in as {user.label}. Marketing "
                "answers it in the Inbox.", icon=":material/info:")
        return
    left, right = st.columns([3, 2])
    with left:
        verdict_form(user)
    with right:
        campaign_form(user)
    recent = store.metric("feedback_inbox", inbox_window(f, 90), rep=user.actor, limit=20)
    st.markdown(f"**Your feedback of the last 90 days** ({len(recent):,} shown, newest first)")
    if recent.empty:
        st.caption("Nothing yet.")
    else:
        inbox_table(recent, "feedback_recent_table")


# --- marketing's inbox --------------------------------------------------------------------------

def inbox_window(f: Filters, days: int | None) -> Filters:
    """The sidebar's segment, region, channel and team, for entries given in the last `days` days up to now."""
    today = date.today()
    first = actions.read(feedback.first_feedback_day) or today
    start = first if days is None else today - timedelta(days=days - 1)
    return replace(f, start=min(start, today), end=today, as_of=None)


def inbox_table(entries: pd.DataFrame, key: str) -> None:
    answered = shown(entries["hours_to_response"], "{:,.1f} h")
    waiting = shown(entries["hours_waiting"], "waiting {:,.0f} h")
    table = pd.DataFrame({
        "Given": entries["created_at"], "Kind": entries["verdict"].map(VERDICT_LABELS),
        "Campaign": entries["campaign_name"], "Reason": entries["reason"].fillna("–"),
        "Rating": shown(entries["rating"], "{:.0f} ★"), "Note": entries["note"].fillna(""),
        "Status": entries["status"].map(STATUS_LABELS), "Time to answer": answered.where(answered != "–", waiting),
        "Answer": entries["response_note"].fillna(""), "Answered by": entries["responded_by"].fillna("–"),
        "By": entries["author_name"], "Team": entries["author_team"], "Lead": entries["lead_id"].fillna("–"),
    })
    st.dataframe(table, hide_index=True, width="stretch", key=key, column_config={
        "Given": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
        "Note": st.column_config.TextColumn(width="large", help="Sales' note, shown exactly as written."),
        "Answer": st.column_config.TextColumn(width="medium"),
        "Rating": st.column_config.TextColumn(help="1 poor – 5 excellent"),
        "Time to answer": st.column_config.TextColumn(help="Hours from the entry to marketing's first answer; "
                                                           "unanswered, the hours it has waited."),
    })


def inbox_tiles(window: Filters) -> None:
    times = store.metric("feedback_response_time", window).iloc[0]
    columns = st.columns(4)
    columns[0].metric("Entries", fmt.count(times["entries"]), help=define("feedback_response_time"))
    columns[1].metric("Unanswered", fmt.count(times["unanswered"]), help=define("feedback_response_time"))
    columns[2].metric("Answered", fmt.percent(times["answered_share"], 0), help=define("feedback_response_time"))
    median = "–" if pd.isna(times["median_hours"]) else f"{times['median_hours']:.1f} h"
    columns[3].metric("Median time to answer", median, help=define("feedback_response_time"))


def inbox_filters(everything: pd.DataFrame) -> dict[str, str]:
    """Select boxes for campaign, channel, reason, rep and status; their values as feedback_inbox parameters."""
    campaigns = dict(everything.dropna(subset=["campaign_id"])[["campaign_id", "campaign_name"]].drop_duplicates()
                     .sort_values("campaign_name").itertuples(index=False))
    reasons = dict(everything.dropna(subset=["reason_code"])[["reason_code", "reason"]].drop_duplicates()
                   .sort_values("reason").itertuples(index=False))
    authors = dict(everything[["author_rep_id", "author_name"]].drop_duplicates().sort_values("author_name")
                   .itertuples(index=False))
    choices = {
        "campaign": ("Campaign", campaigns),
        "channel": ("Channel", {c: c for c in sorted(everything["channel"].unique())}),
        "reason": ("Reason", reasons), "rep": ("Given by", authors), "status": ("Status", STATUS_LABELS),
    }
    picked = {}
    for column, (param, (label, options)) in zip(st.columns(len(choices)), choices.items()):
        value = column.selectbox(label, list(options), index=None, key=f"feedback_inbox_{param}",
                                 format_func=lambda v, options=options: options.get(v, v), placeholder="All")
        picked[param] = value or ""
    return picked


def respond_form(user: Principal, inbox: pd.DataFrame) -> None:
    if not user.can("feedback.respond"):
        st.caption(f"Marketing answers here; you are signed in as {user.label}.")
        return
    if inbox.empty:
        return
    entries = {row.feedback_id: f"{row.created_at:%d %b %H:%M} · {VERDICT_LABELS[row.verdict]} · "
                                f"{row.lead_id or row.campaign_name} · {row.reason or 'no reason'} · "
                                f"{STATUS_LABELS[row.status]}" for row in inbox.itertuples()}
    n = generation("feedback_respond_form")
    with st.form("feedback_respond_form", border=True):
        st.markdown("**Answer sales**")
        chosen = st.selectbox("Entry", list(entries), key=f"feedback_respond_entry_{n}", format_func=entries.get)
        status = st.radio("Status", RESPONSE_STATUSES, key=f"feedback_respond_status_{n}", horizontal=True,
                          format_func=STATUS_LABELS.get)
        note = st.text_area("Answer", key=f"feedback_respond_note_{n}", max_chars=NOTE_LIMIT, height=80,
                            help=f"Up to {NOTE_LIMIT:,} characters, kept and shown as plain text.")
        submitted = st.form_submit_button("Send answer", type="primary", icon=":material/reply:")
    if submitted:
        submit(feedback.respond, user, chosen, status, note=note, form="feedback_respond_form",
               done=f"Answered as {user.display_name}: {STATUS_LABELS[status]}.")


def inbox_view(user: Principal, f: Filters) -> None:
    since = st.segmented_control("Given in the last", list(SINCE), default="90 days", key="feedback_since") or "90 days"
    window = inbox_window(f, SINCE[since])
    inbox_tiles(window)
    params = inbox_filters(store.metric("feedback_inbox", window))
    inbox = store.metric("feedback_inbox", window, **params)
    st.caption(f"{len(inbox):,} {'entry' if len(inbox) == 1 else 'entries'}, newest first. "
               + define("feedback_inbox"))
    if inbox.empty:
        st.info("No feedback matches these filters.")
        return
    inbox_table(inbox, "feedback_inbox_table")
    st.download_button("Download CSV", safe_csv(inbox), file_name=f"tandem_feedback_{window.start}_{window.end}.csv",
                       mime="text/csv", key="feedback_inbox_download", icon=":material/download:")
    respond_form(user, inbox)


# --- analytics ----------------------------------------------------------------------------------

def analytics_tiles(f: Filters) -> None:
    acceptance = store.metric("mql_acceptance", f).iloc[0]
    recycled = store.metric("recycled_outcomes", f).set_index("outcome")
    columns = st.columns(4)
    columns[0].metric("MQLs worked", fmt.count(acceptance["worked"]), help=define("rejection_rate"))
    rate = acceptance["rejected"] / acceptance["worked"] if acceptance["worked"] else None
    columns[1].metric("Rejection rate", fmt.percent(rate), help=define("rejection_rate"))
    columns[2].metric("Recycled", fmt.count(recycled.loc["recycled", "count"]), help=define("recycled_outcomes"))
    columns[3].metric("Recycled that came back", fmt.percent(recycled.loc["came_back", "share_of_recycled"]),
                      help=define("recycled_outcomes"))


def analytics_view(f: Filters) -> None:
    analytics_tiles(f)
    dimension = st.selectbox("Break rejections down by", list(DIMENSIONS), key="feedback_dimension",
                             format_func=lambda d: DIMENSION_LABELS[d].capitalize())
    label = DIMENSION_LABELS[dimension]
    st.plotly_chart(charts.rejection_rate_chart(store.metric("rejection_rate", f, dimension=dimension), label),
                    width="stretch", key="feedback_rate_chart")
    st.caption(define("rejection_rate"))
    left, right = st.columns(2)
    mix_dimension = "all" if dimension == "campaign" else dimension
    left.plotly_chart(charts.reason_mix_chart(store.metric("rejection_reason_mix", f, dimension=mix_dimension), label),
                      width="stretch", key="feedback_mix_chart")
    events = meeting_views.chart_annotations(f, "rejection_trend")
    right.plotly_chart(annotate(charts.rejection_trend_chart(store.metric("rejection_trend", f)), events),
                       width="stretch", key="feedback_trend_chart")
    left, right = st.columns(2)
    left.plotly_chart(charts.recycled_outcomes_chart(store.metric("recycled_outcomes", f)), width="stretch",
                      key="feedback_recycled_chart")
    right.caption(define("rejection_reason_mix") + " " + define("recycled_outcomes"))
    st.subheader("Bad leads, or nobody called them?")
    left, right = st.columns(2)
    left.plotly_chart(charts.calibration_chart(store.metric("score_calibration", f)), width="stretch",
                      key="feedback_calibration_chart")
    right.plotly_chart(charts.capacity_chart(store.metric("sales_capacity", f)), width="stretch",
                       key="feedback_capacity_chart")
    st.caption(define("score_calibration") + " " + define("sales_capacity"))
    ratings = store.metric("campaign_feedback", f)
    st.markdown("**Sales' ratings of campaigns** (lowest first)")
    st.dataframe(pd.DataFrame({
        "Campaign": ratings["campaign_name"], "Channel": ratings["channel"],
        "Campaign ratings": ratings["campaign_ratings"],
        "Mean rating": shown(ratings["mean_campaign_rating"], "{:.1f} ★"),
        "Lead ratings": ratings["lead_ratings"], "Mean lead rating": shown(ratings["mean_lead_rating"], "{:.1f} ★"),
        "Rejections": ratings["rejections"], "Latest note": ratings["latest_note"].fillna("–"),
    }), hide_index=True, width="stretch", key="feedback_ratings_table", column_config={
        "Mean rating": st.column_config.TextColumn(help=define("campaign_feedback")),
        "Mean lead rating": st.column_config.TextColumn(help=define("campaign_feedback")),
        "Latest note": st.column_config.TextColumn(width="large")})


# --- the reason list ----------------------------------------------------------------------------

def reasons_view(user: Principal) -> None:
    reasons = actions.read(feedback.reason_list)
    st.dataframe(pd.DataFrame({
        "Code": reasons["reason_code"], "Label": reasons["label"],
        "Status": reasons["is_active"].map({True: "Active", False: "Retired"}), "Times used": reasons["used_count"],
        "Added": shown(reasons["added_at"], "{:%d %b %Y}"), "Added by": reasons["added_by"].fillna("–"),
        "Retired": shown(reasons["retired_at"], "{:%d %b %Y}"), "Retired by": reasons["retired_by"].fillna("–"),
    }), hide_index=True, width="stretch", key="feedback_reasons_table")
    if (reasons["added_by"] == feedback.STANDARD_REASONS_BY).any():
        st.caption(f"Reasons added by {feedback.STANDARD_REASONS_BY} are the standard list a new store starts with: "
                   "retire those that do not fit your sales process and add your own.")
    if not user.can("reasons.edit"):
        st.caption(f"Admins maintain the list; you are signed in as {user.label}. A reason in "
                   "use is retired, never deleted, so older feedback keeps it.")
        return
    left, right = st.columns(2)
    add_reason_form(user, left)
    if not reasons.empty:
        change_reason_form(user, reasons, right)


def add_reason_form(user: Principal, column) -> None:
    n = generation("feedback_add_reason_form")
    with column.form("feedback_add_reason_form", border=True):
        st.markdown("**Add a reason**")
        code = st.text_input("Code", key=f"feedback_new_code_{n}", placeholder="e.g. no_decision_maker",
                             help="Lowercase letters, digits and underscores; it never changes.")
        label = st.text_input("Label", key=f"feedback_new_label_{n}", placeholder="e.g. No decision maker reached")
        if st.form_submit_button("Add reason", icon=":material/add:"):
            submit(feedback.add_reason, user, code, label, form="feedback_add_reason_form",
                   done=f"Reason {code} added.")


def change_reason_form(user: Principal, reasons: pd.DataFrame, column) -> None:
    with column.form("feedback_change_reason_form", border=True):
        st.markdown("**Retire, reinstate or delete a reason**")
        labels = dict(zip(reasons["reason_code"], reasons["label"]))
        code = st.selectbox("Reason", list(labels), key="feedback_change_code", format_func=labels.get)
        action = st.radio("Action", ["Retire", "Reinstate", "Delete (only if never used)"], horizontal=True,
                          key="feedback_change_action")
        if st.form_submit_button("Apply", icon=":material/edit:"):
            write = {"Retire": feedback.retire_reason, "Reinstate": feedback.reinstate_reason}.get(
                action, feedback.delete_reason)
            submit(write, user, code, done=f"{action.split(' ')[0]}: {labels[code]}.")


# --- the page -----------------------------------------------------------------------------------

f = filters.current()
user = auth.current()
st.title("Feedback")
st.caption("Sales tells marketing what its leads are worth; marketing answers; both see what it adds up to. "
           f"Analytics cover {f.start:%d %b %Y} – {f.end:%d %b %Y}.")
show_flash()
view = st.segmented_control("View", VIEWS, default="Give feedback" if user.can("feedback.give") else "Inbox",
                            key="feedback_view") or VIEWS[0]
if view == "Give feedback":
    give_view(user, f)
elif view == "Inbox":
    inbox_view(user, f)
elif view == "Analytics":
    analytics_view(f)
else:
    reasons_view(user)

with st.expander("Definitions of every number on this page"):
    for name in PAGE_METRICS:
        metric = REGISTRY[name]
        st.markdown(f"**{metric.label}** (`{name}`, owner: {metric.owner}, grain: {metric.grain}). {metric.definition}")
