"""SLA ledger: what sales and marketing promised each other, what each delivered, and who is behind."""

import pandas as pd
import streamlit as st

from data import feedback
from data.access import Principal
from metrics import REGISTRY
from metrics.filters import Filters
from metrics.sla import BREACH_DIMENSIONS
from metrics.stats import MIN_SAMPLE
from ui import auth, filters, meeting_views, store
from ui import feedback_actions as actions
from ui import feedback_charts as charts
from ui import format as fmt
from ui.annotations import annotate
from ui.export import safe_csv
from ui.theme import team_badge

PAGE_METRICS = ("sla_ledger", "sla_first_touch", "sla_breaches", "sla_breaching_leads", "mql_delivery",
                "mql_acceptance")
DIMENSION_LABELS = {"team": "team", "rep": "owner", "channel": "channel", "campaign": "campaign",
                    "segment": "segment", "region": "region"}
WEEKDAYS = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}
_FLASH = "sla_flash"
# A promise the ledger measures, by side and unit: how the form names it, and the name, threshold and example
# description it suggests (the volume depends on the business, so it has no suggestion).
PROMISES = {
    ("sales", "minutes"): ("Sales: a first touch on every MQL within business minutes", "First touch on MQLs", 15.0,
                           "An SDR calls or emails every MQL within 15 business minutes; automated emails do not "
                           "count."),
    ("marketing", "count"): ("Marketing: a number of MQLs delivered every month", "MQLs delivered per month", None,
                             "Marketing delivers at least 400 MQLs every month."),
    ("marketing", "ratio"): ("Marketing: a share of MQLs accepted by sales", "MQL acceptance rate", 0.5,
                             "At least half of the MQLs marketing delivers are accepted by sales (SAL / MQL)."),
}
THRESHOLD_UNITS = {"minutes": ("business minutes", 5.0), "count": ("MQLs a month", 10.0),
                   "ratio": ("share accepted, 0.5 = 50%", 0.05)}  # label, step


def define(name: str) -> str:
    return REGISTRY[name].definition


def points(now, before) -> str | None:
    """Change of a rate in percentage points, for st.metric's delta."""
    if pd.isna(now) or pd.isna(before):
        return None
    return f"{(now - before) * 100:+.1f} pp"


def verdict(row: pd.Series, owed: str) -> None:
    if pd.isna(row["actual"]):  # a rate over no MQL: the promise was neither kept nor broken
        st.info(f"{row['name']}: not judged, no MQL {'fell due' if row['unit'] == 'minutes' else 'was worked'} "
                "in the range.", icon=":material/info:")
    elif row["is_met"]:
        st.success(f"{row['name']}: kept", icon=":material/check_circle:")
    else:
        st.error(f"{row['name']}: not kept, {fmt.count(row['shortfall'])} {owed}", icon=":material/cancel:")


def sales_side(ledger: pd.DataFrame, previous: pd.DataFrame, first_touch: pd.Series) -> None:
    st.markdown(f"{team_badge('sales')} &nbsp; **Sales owes marketing**", unsafe_allow_html=True)
    if "sales" not in set(ledger["side"]):
        st.caption("No first-touch promise in the SLA policy.")
        return
    row, before = ledger[ledger["side"] == "sales"].iloc[0], previous[previous["side"] == "sales"].iloc[0]
    st.caption(f"{row['name']}: {row['description']} Kept when {row['target']:.0%} of MQLs are touched in time.")
    tiles = st.columns(3)
    tiles[0].metric(f"Within {row['threshold']:g} min", fmt.percent(row["actual"]),
                    delta=points(row["actual"], before["actual"]), help=define("sla_first_touch"))
    tiles[1].metric("P50 / P95 (min)", f"{rounded(first_touch['p50_minutes'])} / {rounded(first_touch['p95_minutes'])}",
                    help=define("sla_first_touch"))
    tiles[2].metric("Breaches", fmt.count(first_touch["late_count"] + first_touch["untouched_count"]),
                    help=define("sla_first_touch"))
    st.caption(f"Business minutes. {fmt.count(row['denominator'])} MQLs fell due: "
               f"{fmt.count(first_touch['late_count'])} touched late, {fmt.count(first_touch['untouched_count'])} "
               f"never touched; {fmt.count(first_touch['not_yet_due_count'])} delivered in the range are not yet due "
               "and left out.")
    verdict(row, "more MQLs needed a first touch in time")


def marketing_side(ledger: pd.DataFrame, previous: pd.DataFrame) -> None:
    st.markdown(f"{team_badge('marketing')} &nbsp; **Marketing owes sales**", unsafe_allow_html=True)
    rows = ledger[ledger["side"] == "marketing"]
    if rows.empty:
        st.caption("No marketing promise in the SLA policy.")
        return
    st.caption(" ".join(f"{r['name']}: {r['description']}" for _, r in rows.iterrows()))
    tiles = st.columns(len(rows))
    for tile, (_, row) in zip(tiles, rows.iterrows()):
        before = previous[previous["policy_id"] == row["policy_id"]].iloc[0]
        if row["unit"] == "count":
            tile.metric("MQLs delivered", f"{fmt.count(row['actual'])} of {fmt.count(round(row['target']))}",
                        delta=fmt.change(row["actual"], before["actual"]), help=define("mql_delivery"))
        else:
            tile.metric(f"Accepted (promise {row['target']:.0%})", fmt.percent(row["actual"]),
                        delta=points(row["actual"], before["actual"]), help=define("mql_acceptance"))
    for _, row in rows.iterrows():
        verdict(row, "MQLs short" if row["unit"] == "count" else "more accepted MQLs needed")


def minutes(value) -> str:
    return "–" if pd.isna(value) else f"{value:,.0f} min"


def rounded(value) -> str:
    return "–" if pd.isna(value) else f"{value:,.0f}"


def worst(breaches: pd.DataFrame) -> pd.Series | None:
    """The value with the lowest compliance among those with enough MQLs due to judge."""
    judged = breaches[~breaches["is_small_sample"]]
    return None if judged.empty else judged.iloc[0]  # sla_breaches sorts worst first


def breach_view(f: Filters, first_touch: pd.Series) -> None:
    left, right = st.columns(2)
    left.plotly_chart(charts.bands_chart(first_touch), width="stretch", key="sla_bands_chart")
    with right:
        dimension = st.selectbox("Breaches by", list(BREACH_DIMENSIONS), key="sla_dimension",
                                 format_func=lambda d: DIMENSION_LABELS[d].capitalize())
        breaches = store.metric("sla_breaches", f, dimension=dimension)
        st.plotly_chart(charts.breaches_chart(breaches, DIMENSION_LABELS[dimension], first_touch["threshold_minutes"]),
                        width="stretch", key="sla_breaches_chart")
    slowest = worst(breaches)
    threshold = first_touch["threshold_minutes"]
    if slowest is not None and slowest["compliance"] < first_touch["compliance_target"]:
        st.warning(f"**Slowest {DIMENSION_LABELS[dimension]}: {slowest['dimension_value']}.** "
                   f"{slowest['compliance']:.0%} of its {fmt.count(slowest['due_count'])} MQLs were touched within "
                   f"{threshold:g} business minutes; its median first touch took {minutes(slowest['p50_minutes'])}, "
                   f"{slowest['p50_minutes'] / threshold:.1f}× the SLA. {fmt.count(slowest['breach_count'])} breaches.",
                   icon=":material/schedule:")
    records_view(f, dimension, breaches, slowest)


def records_view(f: Filters, dimension: str, breaches: pd.DataFrame, slowest: pd.Series | None) -> None:
    values = list(breaches.loc[breaches["breach_count"] > 0, "dimension_value"])
    options = ["All"] + values
    named = slowest is not None and slowest["dimension_value"] in values
    default = options.index(slowest["dimension_value"]) if named else 0
    chosen = st.selectbox(f"Breaching MQLs of {DIMENSION_LABELS[dimension]}", options, index=default,
                          key="sla_records_value", help=define("sla_breaching_leads"))
    params = {"dimension": dimension, "value": chosen} if chosen != "All" else {}
    records = store.metric("sla_breaching_leads", f, limit=5000, **params)
    if records.empty:
        st.info("No MQL breached the first-touch SLA under these filters.")
        return
    st.caption(f"{fmt.count(len(records))} breaching MQLs{' (the newest 5,000)' if len(records) == 5000 else ''}, "
               "newest deadline first.")
    st.dataframe(pd.DataFrame({
        "Lead": records["lead_id"], "MQL at": records["mql_at"], "Due at": records["due_at"],
        "First touch": records["first_touch_at"].map(lambda t: "never" if pd.isna(t) else f"{t:%a %d %b, %H:%M}"),
        "Business minutes": records["response_minutes"].map(lambda m: "–" if pd.isna(m) else f"{m:,.0f}"),
        "Breach": records["breach"], "Owner": records["sdr_rep_name"], "Team": records["sdr_team_name"],
        "Channel": records["channel"], "Campaign": records["campaign_name"], "Segment": records["segment"],
        "Score": records["score"],
    }), hide_index=True, width="stretch", key="sla_records_table", column_config={
        "MQL at": st.column_config.DatetimeColumn(format="ddd D MMM, HH:mm"),
        "Due at": st.column_config.DatetimeColumn(format="ddd D MMM, HH:mm"),
        "Business minutes": st.column_config.TextColumn(help="Business minutes from the MQL to the first touch."),
    })
    st.download_button("Download CSV", safe_csv(records), file_name=f"tandem_sla_breaches_{f.start}_{f.end}.csv",
                       mime="text/csv", key="sla_download", icon=":material/download:")


def policy_view(user: Principal) -> None:
    policies = actions.read(feedback.policy_list)
    if policies.empty:
        st.caption("The policy holds no promise yet.")
    else:
        policy_table(policies)
    if not user.can("sla.edit"):
        st.caption(f"Admins edit the policy and add its promises; you are signed in as {user.label}.")
    else:
        if not policies.empty:
            policy_form(user, policies)
        add_policy_form(user, policies)
    changes = actions.read(feedback.policy_changes)
    if not changes.empty:
        st.markdown("**Changes**")
        changes = changes.fillna({"old_value": "–", "new_value": "–"})
        st.dataframe(changes.rename(columns={"changed_at": "Changed", "policy": "Promise", "field": "Field",
                                             "old_value": "Was", "new_value": "Now", "changed_by": "By"}),
                     hide_index=True, width="stretch", key="sla_changes_table")


def policy_table(policies: pd.DataFrame) -> None:
    st.dataframe(pd.DataFrame({
        "Side": policies["side"].str.capitalize(), "Promise": policies["name"], "Description": policies["description"],
        "Threshold": policies["threshold"], "Unit": policies["unit"],
        "Compliance target": [f"{t:.0%}" if unit == "minutes" else "–"
                              for t, unit in zip(policies["compliance_target"], policies["unit"])],
        "Business hours": [f"{a:02d}:00–{b:02d}:00" for a, b in zip(policies["business_hours_start"],
                                                                     policies["business_hours_end"])],
        "Business days": [", ".join(WEEKDAYS[d] for d in feedback.parse_business_days(days))
                          for days in policies["business_days"]],
    }), hide_index=True, width="stretch", key="sla_policy_table", column_config={
        "Compliance target": st.column_config.TextColumn(help="Share of MQLs that must meet the minutes.")})


def policy_form(user: Principal, policies: pd.DataFrame) -> None:
    names = dict(zip(policies["policy_id"], policies["name"]))
    chosen = st.selectbox("Edit the promise", list(names), format_func=names.get, key="sla_edit_policy")
    current = policies.set_index("policy_id").loc[chosen]
    with st.form("sla_policy_form", border=True):
        columns = st.columns(4)
        threshold = columns[0].number_input(f"Threshold ({current['unit']})", value=float(current["threshold"]),
                                            min_value=0.0, key=f"sla_threshold_{chosen}")
        target = columns[1].number_input("Compliance target (minutes promises)",
                                         value=float(current["compliance_target"]), min_value=0.01,
                                         max_value=1.0, step=0.05, key=f"sla_target_{chosen}",
                                         disabled=current["unit"] != "minutes")
        start = columns[2].number_input("Business hours from", value=int(current["business_hours_start"]),
                                        min_value=0, max_value=23, key=f"sla_start_{chosen}")
        end = columns[3].number_input("Business hours to", value=int(current["business_hours_end"]),
                                      min_value=1, max_value=24, key=f"sla_end_{chosen}")
        days = st.multiselect("Business days", list(WEEKDAYS), format_func=WEEKDAYS.get, key=f"sla_days_{chosen}",
                              default=list(feedback.parse_business_days(current["business_days"])))
        description = st.text_input("Description", value=current["description"], key=f"sla_description_{chosen}")
        submitted = st.form_submit_button("Save policy", type="primary", icon=":material/save:")
    if submitted:
        changes = {"threshold": threshold, "business_hours_start": int(start), "business_hours_end": int(end),
                   "business_days": ",".join(map(str, sorted(days))), "description": description}
        if current["unit"] == "minutes":
            changes["compliance_target"] = target
        changed, error = actions.write(feedback.update_sla_policy, user, chosen, changes)
        if error:
            st.error(error)
        else:
            st.session_state[_FLASH] = f"{names[chosen]}: {changed} field(s) changed by {user.display_name}."
            st.rerun()


def add_policy_form(user: Principal, policies: pd.DataFrame) -> None:
    """A form for a promise of a kind the policy does not hold yet (the ledger measures one of each)."""
    held = set(zip(policies["side"], policies["unit"]))
    kinds = [kind for kind in feedback.PROMISE_IDS if kind not in held]
    if not kinds:
        return
    st.markdown("**Add a promise**")
    kind = st.selectbox("Promise", kinds, format_func=lambda k: PROMISES[k][0], key="sla_add_kind")
    _, name, threshold, example = PROMISES[kind]
    side, unit = kind
    with st.form("sla_add_form", border=True):
        name = st.text_input("Name", value=name, key=f"sla_add_name_{unit}")
        columns = st.columns(2 if unit != "minutes" else 4)
        threshold = columns[0].number_input(f"Threshold ({THRESHOLD_UNITS[unit][0]})", value=threshold,
                                            min_value=0.0, step=THRESHOLD_UNITS[unit][1],
                                            key=f"sla_add_threshold_{unit}")
        values = {"threshold": threshold}
        if unit == "minutes":
            values |= business_clock_inputs(columns)
        values["description"] = st.text_input("Description", key=f"sla_add_description_{unit}",
                                              placeholder=f"e.g. {example}", help="What the promise means, in a "
                                              "sentence both sides agree on.")
        submitted = st.form_submit_button("Add promise", type="primary", icon=":material/add:")
    if submitted:
        _, error = actions.write(feedback.add_sla_policy, user, side, unit, name, values)
        if error:
            st.error(error)
        else:
            st.session_state[_FLASH] = f"{name}: promise added by {user.display_name}."
            st.rerun()


def business_clock_inputs(columns) -> dict:
    """Compliance target, business hours and days of a new first-touch promise, from the columns' defaults."""
    defaults = feedback.POLICY_DEFAULTS
    days = st.multiselect("Business days", list(WEEKDAYS), format_func=WEEKDAYS.get, key="sla_add_days",
                          default=list(feedback.parse_business_days(defaults["business_days"])))
    return {
        "compliance_target": columns[1].number_input("Compliance target", value=defaults["compliance_target"],
                                                     min_value=0.01, max_value=1.0, step=0.05, key="sla_add_target",
                                                     help="Share of MQLs that must meet the minutes."),
        "business_hours_start": int(columns[2].number_input("Business hours from", min_value=0, max_value=23,
                                                            value=defaults["business_hours_start"],
                                                            key="sla_add_start")),
        "business_hours_end": int(columns[3].number_input("Business hours to", min_value=1, max_value=24,
                                                          value=defaults["business_hours_end"], key="sla_add_end")),
        "business_days": ",".join(map(str, sorted(days))),
    }


# --- the page -----------------------------------------------------------------------------------

f = filters.current()
user = auth.current()
st.title("SLA ledger")
st.caption(f"What each side owes the other, {f.start:%d %b %Y} – {f.end:%d %b %Y}, against the "
           f"{(f.end - f.start).days + 1} days before. Sales owes a first touch on every MQL within the SLA's business "
           "minutes; marketing owes a number of MQLs and an acceptance rate.")
message = st.session_state.pop(_FLASH, None)
if message:
    st.success(message, icon=":material/check_circle:")

ledger = store.metric("sla_ledger", f)
if ledger.empty:
    who = "Add one" if user.can("sla.edit") else "An admin adds them"
    st.info(f"The SLA policy holds no promise Tandem can measure yet. {who} under *The policy* below.",
            icon=":material/info:")
else:
    previous = store.metric("sla_ledger", f.previous())
    first_touch = store.metric("sla_first_touch", f).iloc[0]
    left, right = st.columns(2)
    with left.container(border=True):
        sales_side(ledger, previous, first_touch)
    with right.container(border=True):
        marketing_side(ledger, previous)
    events = meeting_views.chart_annotations(f, "sla_ledger")
    st.plotly_chart(annotate(charts.ledger_trend_chart(store.metric("sla_ledger", f, grain="month")), events),
                    width="stretch", key="sla_trend_chart")
    st.caption(define("sla_ledger"))
    if not pd.isna(first_touch["threshold_minutes"]):
        st.subheader("Sales side: first touch on MQLs")
        breach_view(f, first_touch)
        st.caption(define("sla_first_touch") + f" Fewer than {MIN_SAMPLE} due: small sample, never named slowest.")

st.subheader("The policy")
policy_view(user)

with st.expander("Definitions of every number on this page"):
    for name in PAGE_METRICS:
        metric = REGISTRY[name]
        st.markdown(f"**{metric.label}** (`{name}`, owner: {metric.owner}, grain: {metric.grain}). {metric.definition}")
