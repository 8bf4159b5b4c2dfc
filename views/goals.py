"""Goals: are we on track, and whose part is behind?"""

import math
from datetime import date

import pandas as pd
import streamlit as st

from data.access import PermissionDenied, Principal
from data.goals import CSV_COLUMNS, Change, GoalError, GoalInput
from data.stages import STAGE_LABELS
from metrics import REGISTRY
from metrics import goals as g
from metrics.filters import default_as_of
from metrics.periods import PERIOD_TYPES, Period, parse_period
from metrics.registry import OWNERS
from ui import auth, filters, goals_edit, meeting_views, store
from ui import format as fmt
from ui import goals_charts as charts
from ui.annotations import annotate
from ui.export import safe_csv
from ui.theme import TEAM_LABELS, team_badge

PAGE_METRICS = ("goal_progress", "goal_pacing", "goal_history", "goal_comparison", "goal_revenue_sources",
                "marketing_sourced_influenced", "goal_reverse_funnel", "open_pipeline", "goal_list", "goal_changes")
RECORD_LIMIT = 5000
BADGE_COLOURS = {"on track": "green", "at risk": "orange", "off track": "red"}
RULE_LABELS = {"own": "set on its own", "sum_of_months": "sum of its months"}
VIEWS = ["Pacing", "Revenue sources", "Reverse funnel", "Compare", "Records", "Edit goals"]


def define(name: str) -> str:
    return REGISTRY[name].definition


def goal_name(row) -> str:
    return row["label"] if row["scope_label"] == "All" else f"{row['label']} · {row['scope_label']}"


def rule_text(row) -> str:
    """Which rule a quarter's or year's target follows, and what its months add up to when it differs."""
    if row["period_type"] == "month":
        return "month"
    text = RULE_LABELS[row["target_rule"]]
    if not row["is_additive"]:  # a rate's months cannot add up to it
        return text
    months = Period(row["period_type"], row["period_start"]).months
    if row["target_rule"] == "own" and row["months_count"] == months and row["months_target"] != row["target"]:
        text += f" (months: {charts.value_text(row['months_target'], row['format'])})"
    elif row["target_rule"] == "own" and row["months_count"] < months:
        text += f" ({row['months_count']} of {months} months set)"
    return text


# --- picking the period -------------------------------------------------------------------------

def period_picker(goal_frame_for) -> tuple[Period, date, pd.DataFrame]:
    type_col, which_col, as_of_col = st.columns([2, 2, 2])
    period_type = type_col.segmented_control("Period", list(PERIOD_TYPES), default="quarter",
                                             key="goals_period_type", format_func=str.capitalize) or "quarter"
    as_of = as_of_col.date_input("As of", value=default_as_of(store.bounds()[1]), key="goals_as_of",
                                 help="Read every goal as it stood at the end of this day (by default today, or the "
                                      "data's last day when the data ends before today).")
    goals = goal_frame_for(as_of)
    choices = g.period_choices(goals, period_type, as_of)
    current = parse_period(period_type, "current", as_of).label
    label = which_col.selectbox(period_type.capitalize(), choices, index=choices.index(current),
                                key=f"goals_period_{period_type}",
                                format_func=lambda text: parse_period(period_type, text, as_of).title)
    return parse_period(period_type, label, as_of), as_of, goals


def goal_list(as_of: date) -> pd.DataFrame:
    return store.metric("goal_list", g.reading_filters(Period("year", date(as_of.year, 1, 1)), as_of)
                        .within(filters.current()))


# --- the headline -------------------------------------------------------------------------------

def history_view(reading, params, goals: pd.DataFrame) -> None:
    names = [n for n in g.goal_metrics() if (goals["metric_name"] == n).any()] or ["won_revenue"]
    default = names.index("won_revenue") if "won_revenue" in names else 0
    metric_name = st.columns([2, 4])[0].selectbox("History of", names, index=default, key="goals_history_metric",
                                                  format_func=lambda n: REGISTRY[n].label,
                                                  help=define("goal_history"))
    history = store.metric("goal_history", reading, **params, metric_name=metric_name)
    missed = history[history["is_complete"] & (history["status"] == "off track")]
    if len(missed):
        last = missed.iloc[-1]
        unit = last["format"]
        st.error(f"**{last['period_title']} closed at {last['attainment']:.0%} of its {last['label'].lower()} "
                 f"target**: {charts.value_text(last['actual'], unit)} of {charts.value_text(last['target'], unit)}.",
                 icon=":material/error:")
    if history["target"].notna().any():
        st.plotly_chart(charts.history_chart(history), width="stretch", key="goals_history_chart")


def goal_tile(row) -> None:
    unit = row["format"]
    with st.container(border=True):
        st.metric(goal_name(row), charts.value_text(row["actual"], unit),
                  help=f"{define(row['metric_name'])} {define('goal_progress')}")
        st.badge(charts.status_text(row["status"]), color=BADGE_COLOURS.get(row["status"], "gray"),
                 help=g.STATUS_RULE)
        rule = "" if row["period_type"] == "month" else f", {RULE_LABELS[row['target_rule']]}"
        lines = [f"Target **{charts.value_text(row['target'], unit)}**{rule} · "
                 f"{fmt.percent(row['attainment'], 0)} attained"]
        if row["is_additive"] and row["days_elapsed"]:
            lines.append(f"Expected by now {charts.value_text(row['expected_to_date'], unit)} · "
                         f"pace {fmt.percent(row['pace'], 0)}")
            projection = f"Projection {charts.value_text(row['linear_projection'], unit)} linear"
            if not pd.isna(row["pipeline_projection"]):
                projection += f", {charts.value_text(row['pipeline_projection'], unit)} pipeline-weighted"
            lines.append(projection)
            if row["days_remaining"]:
                lines.append(f"Needs {charts.value_text(row['required_per_day'], unit)} a day for "
                             f"{row['days_remaining']} days (so far {charts.value_text(row['actual_per_day'], unit)})")
        st.caption("  \n".join(lines))


def team_tiles(progress: pd.DataFrame) -> None:
    """Shared goals across the top; marketing's and sales' goals side by side below."""
    shared = progress[progress["owner_team"] == "shared"]
    if len(shared):
        st.markdown(f"{team_badge('shared')} &nbsp; **Shared goals**", unsafe_allow_html=True)
        for column, (_i, row) in zip(st.columns(max(len(shared), 2)), shared.iterrows()):
            with column:
                goal_tile(row)
    for column, owner in zip(st.columns(2), ("marketing", "sales")):
        with column:
            st.markdown(f"{team_badge(owner)} &nbsp; **{TEAM_LABELS[owner]} goals**", unsafe_allow_html=True)
            mine = progress[progress["owner_team"] == owner]
            if mine.empty:
                st.caption(f"No {owner} goal for this period.")
            for pair in range(0, len(mine), 2):
                for tile, (_i, row) in zip(st.columns(2), mine.iloc[pair:pair + 2].iterrows()):
                    with tile:
                        goal_tile(row)


def numbers_table(progress: pd.DataFrame) -> None:
    def each(column: str) -> list[str]:
        return [charts.value_text(v, u) for v, u in zip(progress[column], progress["format"])]

    table = pd.DataFrame({
        "Goal": [goal_name(r) for _i, r in progress.iterrows()],
        "Owner": progress["owner_team"].str.capitalize(),
        "Target": each("target"),
        "Target rule": [rule_text(r) for _i, r in progress.iterrows()],
        "Actual": each("actual"),
        "Attainment": [fmt.percent(a) for a in progress["attainment"]],
        "Expected to date": each("expected_to_date"),
        "Linear projection": each("linear_projection"),
        "Pipeline-weighted": each("pipeline_projection"),
        "Needed per day": each("required_per_day"),
        "So far per day": each("actual_per_day"),
        "Status": [charts.status_text(s) for s in progress["status"]],
    })
    progress_help = define("goal_progress")
    config = {column: st.column_config.TextColumn(help=progress_help) for column in table.columns}
    config["Status"] = st.column_config.TextColumn(help=g.STATUS_RULE)
    config["Target rule"] = st.column_config.TextColumn(help="A quarter's or year's target is set on its own or is the "
                                                        "sum of its months; in brackets, what its month goals add "
                                                        "up to when that differs, or how many months have one.")
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key="goals_numbers_table")


# --- explore views ------------------------------------------------------------------------------

def pick_goal(progress: pd.DataFrame, key: str, label: str = "Goal") -> pd.Series:
    names = {row["goal_id"]: goal_name(row) for _i, row in progress.iterrows()}
    goal_id = st.selectbox(label, list(names), key=key, format_func=names.get)
    return progress[progress["goal_id"] == goal_id].iloc[0]


def pacing_view(reading, params, progress: pd.DataFrame) -> None:
    goal = pick_goal(progress, "goals_pacing_goal")
    pacing = store.metric("goal_pacing", reading, **params, goal_id=goal["goal_id"])
    events = meeting_views.chart_annotations(reading, f"goal_pacing,{goal['metric_name']}")
    st.plotly_chart(annotate(charts.pacing_chart(pacing, goal), events), width="stretch", key="goals_pacing_chart")
    st.caption(define("goal_pacing"))


def sources_view(reading, params) -> None:
    lookback = st.columns([2, 4])[0].number_input(
        "Influence lookback (days)", min_value=7, max_value=730, value=g.INFLUENCE_LOOKBACK_DAYS, step=30,
        key="goals_lookback", help="How long before a deal was won a marketing touch still counts as influence.")
    sources = store.metric("goal_revenue_sources", reading, **params, lookback_days=int(lookback))
    st.plotly_chart(charts.sources_chart(sources), width="stretch", key="goals_sources_chart")
    table = pd.DataFrame({"Source": sources["label"], "Won revenue ($)": sources["won_amount"],
                          "Deals": sources["deal_count"],
                          "Share of won revenue": [fmt.percent(v) for v in sources["share_of_won_revenue"]],
                          "Adds up to won revenue": ["yes" if p else "no, shown apart" for p in
                                                     sources["is_part_of_total"]]})
    st.dataframe(table, hide_index=True, width="stretch", key="goals_sources_table", column_config={
        "Won revenue ($)": st.column_config.NumberColumn(format="localized", help=define("goal_revenue_sources"))})
    sales = sources[sources["source"] == "sales_sourced"].iloc[0]
    if sales["won_amount"] == 0 and sources["won_amount"].iloc[0] > 0:
        st.caption("No deal won in this period was sales-sourced: every one's lead was brought in by a marketing "
                   "touch (its first touch at or before the lead was created).")
    st.caption(f"{define('goal_revenue_sources')} {define(g.SOURCES_METRIC)}")


def reverse_funnel_view(reading, params, progress: pd.DataFrame, period: Period) -> None:
    revenue = progress[(progress["metric_name"] == "won_revenue") & (progress["scope_type"] == "all")]
    default = float(revenue["target"].iloc[0]) if len(revenue) else 1_000_000.0
    left, right = st.columns(2)
    target = left.number_input("Revenue target ($)", min_value=1.0, value=default, step=50_000.0, format="%.0f",
                               key=f"goals_rf_target_{period.label}",
                               help="Defaults to the period's won revenue goal.")
    trailing = right.selectbox("Rates from the trailing", list(g.TRAILING_CHOICES), index=1, key="goals_rf_trailing",
                               format_func=lambda d: f"{d} days",
                               help="Conversions and average deal size are taken from these days before the as-of "
                                    "date.")
    plan = store.metric("goal_reverse_funnel", reading, **params, target=float(target), trailing_days=int(trailing))
    if plan["required"].isna().all():
        st.info("The trailing window has no won deal to take an average deal size from: pick a longer window.")
        return
    worst = plan[plan["is_bottleneck"]]
    if len(worst):
        stage = worst.iloc[0]
        before = plan.index.get_loc(worst.index[0])
        came = "" if before == 0 else (f", down from {plan['pace_vs_required'].iloc[before - 1]:.0%} at "
                                       f"{plan['label'].iloc[before - 1]}")
        st.warning(f"**Bottleneck: {stage['label']}** ({TEAM_LABELS[stage['owner']].lower()}'s stage). At the "
                   f"current pace it reaches {stage['pace_vs_required']:.0%} of the "
                   f"{charts.value_text(stage['required'], 'count')} the target needs{came}.",
                   icon=":material/report:")
    elif plan["pace_vs_required"].notna().all():
        st.success("Every stage is on pace for the volumes the target needs.", icon=":material/check_circle:")
    else:
        st.info(f"{period.title} has not begun: there is no pace to set against the plan yet.")
    deal_size_note(plan.iloc[0], period)
    st.plotly_chart(charts.reverse_funnel_chart(plan), width="stretch", key="goals_rf_chart")
    table = pd.DataFrame({
        "Stage": plan["label"], "Owner": plan["owner"].str.capitalize(),
        "Conversion to next (trailing)": [fmt.percent(r) if i < len(plan) - 1 else "– (won)"
                                          for i, r in enumerate(plan["conversion_to_next"])],
        "Required (rounded up)": [whole(v) for v in plan["required"]],
        "So far": [whole(v) for v in plan["actual_to_date"]],
        "Projected at current pace": [charts.value_text(v, "count") for v in plan["projected"]],
        "Pace vs required": [fmt.percent(v, 0) for v in plan["pace_vs_required"]],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="goals_rf_table", column_config={
        "Required (rounded up)": st.column_config.TextColumn(help=define("goal_reverse_funnel")),
        "Pace vs required": st.column_config.TextColumn(help="Projected at the current pace / required.")})
    first = plan.iloc[0]
    st.caption(f"Average deal size {fmt.money(first['average_deal_size'])} and conversions from "
               f"{first['trailing_start']:%d %b %Y} – {first['trailing_end']:%d %b %Y}. "
               + define("goal_reverse_funnel"))


def whole(value) -> str:
    """Records needed or counted, as whole records (a plan's 2.25 leads means 3)."""
    return "–" if pd.isna(value) else f"{math.ceil(round(float(value), 6)):,}"


def deal_size_note(plan_row, period: Period) -> None:
    """Volumes can be on pace while revenue is not: say so when this period's deals are smaller."""
    now, assumed = plan_row["period_average_deal_size"], plan_row["average_deal_size"]
    if pd.isna(now) or pd.isna(assumed):
        return
    text = (f"Average deal size so far in {period.title}: **{fmt.money(now)}**, against the {fmt.money(assumed)} the "
            "plan assumes")
    if now < assumed * 0.9:
        st.warning(text + ": the volumes may be there while the revenue is not.", icon=":material/savings:")
    else:
        st.caption(text + ".")


def compare_view(reading, params) -> None:
    compared = store.metric("goal_comparison", reading, **params)
    if compared.empty:
        st.info("Nothing to compare until the period has begun.")
        return

    def each(column: str) -> list[str]:
        return [charts.value_text(v, u) for v, u in zip(compared[column], compared["format"])]

    table = pd.DataFrame({
        "Goal": [goal_name(r) for _i, r in compared.iterrows()],
        "Compared": compared["compared"], "Period": compared["period_title"],
        "Actual at the same point": each("actual_same_point"),
        "This period vs it": [f"{c:+.1%}" if not pd.isna(c) else "–" for c in compared["change_vs_this"]],
        "Final actual": each("final_actual"), "Target": each("target"),
        "Attainment": [fmt.percent(a) for a in compared["attainment"]],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="goals_compare_table", height=35 * len(table) + 38,
                 column_config={
                     "Actual at the same point": st.column_config.TextColumn(help=define("goal_comparison")),
                     "This period vs it": st.column_config.TextColumn(help="This period's actual over the same "
                                                                       "days, against the compared period's.")})
    st.caption(define("goal_comparison"))


def records_view(progress: pd.DataFrame, period: Period, as_of: date) -> None:
    goal = pick_goal(progress, "goals_records_goal", "Records behind")
    stages = g.drill_stages(goal["metric_name"])
    if not stages:
        st.info(f"{goal['label']} has no records to list.")
        return
    if not goal["days_elapsed"]:
        st.info(f"{period.title} has not begun: no record counts yet.")
        return
    f = g.goal_filters(period, goal["scope_type"], goal["scope_value"], as_of, reader=filters.current())
    parts = [store.metric("funnel_records", f, basis="period", stage=s, limit=RECORD_LIMIT) for s in stages]
    records = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    through = " and ".join(STAGE_LABELS[s] for s in stages)
    shown = "all shown" if len(records) < RECORD_LIMIT * len(stages) else f"the newest {RECORD_LIMIT:,} per stage"
    st.caption(f"{len(records):,} records entered {through} in {period.title} up to {f.end:%d %b %Y}"
               f"{'' if goal['scope_label'] == 'All' else ' (' + goal['scope_label'] + ')'}; {shown}. "
               f"They make up the actual of {charts.value_text(goal['actual'], goal['format'])} "
               f"({goal['record_count']:,} records counted).")
    st.dataframe(records.rename(columns=lambda c: c.replace("_", " ").capitalize()), hide_index=True,
                 width="stretch", key="goals_records_table")
    st.download_button("Download CSV", safe_csv(records), file_name=f"tandem_{goal['goal_id']}_records.csv",
                       mime="text/csv", key="goals_records_download", icon=":material/download:")


# --- editing ------------------------------------------------------------------------------------

def run_save(action, success: str) -> None:
    """Run a write; on success remember the message and rerun so every number shows the change."""
    try:
        result = action()
    except GoalError as exc:
        st.error("**Nothing was saved.**\n\n" + "\n".join(f"- {p}" for p in exc.problems), icon=":material/block:")
        return
    except PermissionDenied as exc:
        st.error(str(exc), icon=":material/block:")
        return
    st.session_state["goals_flash"] = f"{success}: {result.summary()}."
    st.rerun()


def describe_goal(goals: pd.DataFrame, goal_id: str) -> str:
    row = goals[goals["goal_id"] == goal_id].iloc[0]
    title = Period(row["period_type"], row["period_start"]).title
    return f"{row['label']} · {title}" + ("" if row["scope_label"] == "All" else f" · {row['scope_label']}")


def editable_owners(user: Principal) -> list[str]:
    """The owner teams whose goals this user may create or change (the server checks again on save)."""
    return [team for team in OWNERS if user.can("goals.edit", team)]


def change_form(goals: pd.DataFrame, period: Period, user: Principal) -> None:
    within = g.goals_within(goals, period)
    within = within[within["owner_team"].isin(editable_owners(user))]
    if within.empty:
        st.info(f"No goals you may change within {period.title} yet: add one under New goal.")
        return
    goal_id = st.selectbox("Goal", list(within["goal_id"]), key="goals_edit_goal",
                           format_func=lambda i: describe_goal(within, i))
    row = within[within["goal_id"] == goal_id].iloc[0]
    derived = row["target_rule"] == "sum_of_months"
    with st.form("goals_edit_form"):
        target_col, owner_col, rule_col = st.columns(3)
        percent = REGISTRY[row["metric_name"]].format == "percent"
        target = target_col.number_input(
            "Target", value=float(row["target"]), key=f"goals_edit_target_{goal_id}", disabled=derived,
            format="%.4g" if percent else "%.0f",
            help="The sum of its months, kept in step with them." if derived else
            "Above zero; a rate as a fraction (0.3 for 30%).")
        owners = editable_owners(user)
        owner = owner_col.selectbox("Owner team", owners, index=owners.index(row["owner_team"]),
                                    key=f"goals_edit_owner_{goal_id}", format_func=str.capitalize)
        rule = rule_col.selectbox("Quarter or year target", list(g.TARGET_RULES),
                                  index=list(g.TARGET_RULES).index(row["target_rule"]),
                                  key=f"goals_edit_rule_{goal_id}", format_func=RULE_LABELS.get,
                                  disabled=row["period_type"] == "month")
        delete = st.checkbox("Delete this goal", key=f"goals_edit_delete_{goal_id}")
        submitted = st.form_submit_button("Save", type="primary", key="goals_edit_save")
    if submitted:
        goal = GoalInput(row["metric_name"], row["period_type"], row["period_label"], row["scope_type"],
                         row["scope_value"], owner, target, rule)
        change = Change("delete" if delete else "update", goal, "the form")
        run_save(lambda: goals_edit.save([change], user), f"Saved {describe_goal(within, goal_id)}")


def scope_choices() -> list[tuple[str, str | None]]:
    options = store.options()
    choices = [("all", None)]
    for scope, field in g.SCOPE_FILTERS.items():
        choices += [(scope, value) for value in options.get(field, {})]
    return choices


def new_form(period: Period, user: Principal) -> None:
    metrics = g.goal_metrics()
    teams = store.options().get("teams", {})
    with st.form("goals_new_form"):
        metric_col, type_col, period_col = st.columns(3)
        metric_name = metric_col.selectbox("Metric", list(metrics), key="goals_new_metric",
                                           format_func=lambda n: metrics[n].label)
        period_type = type_col.selectbox("Period type", list(PERIOD_TYPES), key="goals_new_period_type",
                                         index=list(PERIOD_TYPES).index(period.period_type))
        label = period_col.text_input("Period", value=period.label, key="goals_new_period",
                                      help="2026-03 for a month, 2026-Q1 for a quarter, 2026 for a year.")
        scope_col, owner_col, target_col, rule_col = st.columns(4)
        scope = scope_col.selectbox("Scope", scope_choices(), key="goals_new_scope",
                                    format_func=lambda s: g.scope_label(s[0], teams.get(s[1], s[1])))
        owners = editable_owners(user)
        owner = owner_col.selectbox("Owner team", ([""] if user.role == "admin" else []) + owners,
                                    key="goals_new_owner",
                                    format_func=lambda o: str.capitalize(o) or "The metric's owner")
        target = target_col.number_input("Target", value=None, key="goals_new_target", format="%.4g",
                                         placeholder="e.g. 1200, or 0.3 for 30%")
        rule = rule_col.selectbox("Quarter or year target", list(g.TARGET_RULES), key="goals_new_rule",
                                  format_func=RULE_LABELS.get)
        submitted = st.form_submit_button("Create goal", type="primary", key="goals_new_save")
    if submitted:
        goal = GoalInput(metric_name, period_type, label, scope[0], scope[1], owner, target, rule)
        run_save(lambda: goals_edit.save([Change("create", goal, "the form")], user),
                 f"Created a {metrics[metric_name].label.lower()} goal for {label}")


def import_export(goals: pd.DataFrame, user: Principal) -> None:
    st.download_button("Export every goal (CSV)", goals_edit.export_csv(goals), file_name="tandem_goals.csv",
                       mime="text/csv", key="goals_export", icon=":material/download:",
                       help="The import format: edit it in a spreadsheet and import it back.")
    upload = st.file_uploader("Import goals (CSV)", type=["csv"], key="goals_import_file",
                              help="Columns: " + ", ".join(CSV_COLUMNS) + ". A row for an existing metric, "
                                   "period and scope updates it; any other row creates a goal. All or nothing.")
    if upload is not None and st.button("Import", key="goals_import_button", type="primary"):
        run_save(lambda: goals_edit.import_file(upload.getvalue(), upload.name, user), f"Imported {upload.name}")


def audit_trail(reading) -> None:
    st.subheader("Audit trail")
    changes = store.metric("goal_changes", reading, limit=200)
    if changes.empty:
        st.caption("No goal has been changed in the app or by an import yet.")
        return
    labels = {name: m.label for name, m in REGISTRY.items()}
    goals = [f"{labels.get(name, name)} · {title}" + ("" if scope == "all" else f" · {g.scope_label(scope, value)}")
             for name, title, scope, value in zip(changes["metric_name"], changes["period_title"],
                                                  changes["scope_type"], changes["scope_value"])]
    table = pd.DataFrame({
        "When": changes["changed_at"], "Who": changes["changed_by_name"], "Action": changes["action"],
        "Goal": goals,
        "Field": changes["field"], "Old value": changes["old_value"].fillna("–"),
        "New value": changes["new_value"].fillna("–"), "Through": changes["source"],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="goals_audit_table",
                 column_config={"When": st.column_config.DatetimeColumn(format="D MMM YYYY, HH:mm"),
                                "Who": st.column_config.TextColumn(help=define("goal_changes"))})


def edit_view(goals: pd.DataFrame, period: Period, reading) -> None:
    if "goals_flash" in st.session_state:  # set by the save that triggered this run
        st.success(st.session_state.pop("goals_flash"), icon=":material/check_circle:")
    user = auth.current()
    if not user.can("goals.edit"):
        st.info(f"You are signed in as {user.label}: viewers read goals. Marketing and sales "
                "edit their own team's goals; admins edit every goal, shared ones included.")
    else:
        st.caption(f"Changes are recorded under **{user.display_name}** ({user.role}). "
                   + ("You may change every goal." if user.role == "admin" else
                      f"You may change {user.role} goals; shared goals are the admins'.")
                   + " Every change is audited below.")
        mode = st.segmented_control("Action", ["Change a goal", "New goal", "Import or export"],
                                    default="Change a goal", key="goals_edit_mode") or "Change a goal"
        if mode == "Change a goal":
            change_form(goals, period, user)
        elif mode == "New goal":
            new_form(period, user)
        else:
            import_export(goals, user)
    audit_trail(reading)


# --- the page -----------------------------------------------------------------------------------

st.title("Goals")
st.caption("Are we on track, and whose part is behind? Goals have their own period and scope: the sidebar's date "
           "range and filters do not apply on this page.")

period, as_of, goal_frame = period_picker(goal_list)
reading = g.reading_filters(period, as_of).within(filters.current())
params = {"period_type": period.period_type, "period": period.label}
progress = store.metric("goal_progress", reading, **params)

elapsed = period.elapsed_days(as_of)
state = ("has not begun" if elapsed == 0 else "is over" if elapsed == period.days
         else f"is {elapsed} of {period.days} days in")
st.caption(f"{period.title} ({period.start:%d %b} – {period.last_day:%d %b %Y}) {state}, read at the end of "
           f"{as_of:%d %b %Y}. Status: **on track** at {g.ON_TRACK_AT:.0%} or more of the expected-to-date, "
           f"**at risk** from {g.AT_RISK_AT:.0%}, **off track** below; a finished period against its whole target.",
           help=g.STATUS_RULE)
history_view(reading, params, goal_frame)

if progress.empty:
    scope = reading.scope_regions + reading.scope_segments
    st.info(f"No goals are set for {period.title}"
            + (f" in {', '.join(scope)}: you see only goals set for your scope, not the company's or other "
               "regions' and segments'." if scope else ".")
            + (" Pick another period, or add one under Edit goals." if auth.current().can("goals.edit")
               else " Pick another period."))
else:
    team_tiles(progress)
    st.plotly_chart(charts.bullet_chart(progress, period.title), width="stretch", key="goals_bullet_chart")
    numbers_table(progress)

view = st.segmented_control("Explore", VIEWS, default="Pacing", key="goals_view") or "Pacing"
if view == "Edit goals":
    edit_view(goal_frame, period, reading)
elif progress.empty:
    st.caption("Pick a period with goals to explore them.")
elif view == "Pacing":
    pacing_view(reading, params, progress)
elif view == "Revenue sources":
    sources_view(reading, params)
elif view == "Reverse funnel":
    reverse_funnel_view(reading, params, progress, period)
elif view == "Compare":
    compare_view(reading, params)
else:
    records_view(progress, period, as_of)

with st.expander("Definitions of every number on this page"):
    for name in PAGE_METRICS:
        metric = REGISTRY[name]
        st.markdown(f"**{metric.label}** (`{name}`, owner: {metric.owner}, grain: {metric.grain}). "
                    f"{metric.definition}")
