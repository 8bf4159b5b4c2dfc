"""Funnel: where do our leads stall, in whose stage, and is it getting better?"""

import pandas as pd
import streamlit as st

from data.stages import ALL_STAGES, MAIN_PATH, STAGE_LABELS, STAGE_OWNER
from metrics import REGISTRY
from metrics.funnel import DIMENSIONS, STEPS
from ui import charts, filters, meeting_views, store, trust
from ui import format as fmt
from ui.annotations import annotate
from ui.export import safe_csv
from ui.theme import TEAM_LABELS, team_badge

PAGE_METRICS = ("funnel_waterfall", "funnel_stage_volume", "funnel_conversion", "funnel_time_in_stage",
                "funnel_velocity", "funnel_stage_value", "funnel_conversion_trend", "funnel_breakdown",
                "funnel_records")
RECORD_LIMIT = 5000
EXPLORE_VIEWS = {
    "Trend": "each step's conversion month by month, with the meeting's events marked",
    "Breakdown": "one step's conversion by channel, campaign, segment, region, team or rep",
    "Time in stage": "median and p90 days in each stage, what is still open",
    "Records": "the leads behind any stage, as a table and CSV",
}


def define(name: str) -> str:
    return REGISTRY[name].definition


def team_tiles(now: pd.DataFrame, before: pd.DataFrame) -> None:
    """Marketing's stages and sales' stages side by side: `now` the waterfall, `before` the previous period's
    stage volumes."""
    now, before = now.set_index("stage"), before.set_index("stage")
    columns = st.columns([2, 4])
    for column, owner in zip(columns, ("marketing", "sales")):
        stages = [s for s in MAIN_PATH if STAGE_OWNER[s] == owner]
        with column.container(border=True):
            st.markdown(f"{team_badge(owner)} &nbsp; **{TEAM_LABELS[owner]} stages**", unsafe_allow_html=True)
            for tile, stage in zip(st.columns(len(stages)), stages):
                row = now.loc[stage]
                tile.metric(STAGE_LABELS[stage], fmt.count(row["volume"]),
                            delta=fmt.change(row["volume"], before.loc[stage, "volume"]),
                            help=define("funnel_stage_volume"))
                if stage != MAIN_PATH[0]:
                    waited = "" if pd.isna(row["median_days"]) else f"; median {fmt.days(row['median_days'])} in stage"
                    tile.caption(f"{fmt.percent(row['pct_of_previous'])} of previous "
                                 f"({fmt.interval(row['ci_low'], row['ci_high'])}){waited}",
                                 help=define("funnel_conversion"))


def waterfall_table(waterfall: pd.DataFrame) -> None:
    table = pd.DataFrame({
        "Stage": waterfall["label"],
        "Owner": waterfall["owner"].str.capitalize(),
        "Volume": waterfall["volume"],
        # Rates and days as text: a step after an empty stage has no rate, and Won no time in it: a dash.
        "% of previous": [fmt.percent(p) for p in waterfall["pct_of_previous"]],
        "95% interval": [fmt.interval(lo, hi) for lo, hi in zip(waterfall["ci_low"], waterfall["ci_high"])],
        "% of first": [fmt.percent(p) for p in waterfall["pct_of_first"]],
        "Median days in stage": [fmt.days(d) for d in waterfall["median_days"]],
        "p90 days": [fmt.days(d) for d in waterfall["p90_days"]],
        "Open now": [fmt.count(n) for n in waterfall["open_count"]],
        "Pipeline ($)": waterfall["pipeline_amount"],
        "Won ($)": waterfall["won_amount"],
    })
    config = {
        "Volume": st.column_config.NumberColumn(format="localized", help=define("funnel_stage_volume")),
        "% of previous": st.column_config.TextColumn(help=define("funnel_conversion")),
        "95% interval": st.column_config.TextColumn(help="95% Wilson interval of % of previous."),
        "% of first": st.column_config.TextColumn(help=define("funnel_conversion")),
        "Median days in stage": st.column_config.TextColumn(help=define("funnel_time_in_stage")),
        "p90 days": st.column_config.TextColumn(help=define("funnel_time_in_stage")),
        "Open now": st.column_config.TextColumn(help="Records still in the stage at the as-of date; their age "
                                                "is not in the medians."),
        "Pipeline ($)": st.column_config.NumberColumn(format="compact", help=define("funnel_stage_value")),
        "Won ($)": st.column_config.NumberColumn(format="compact", help=define("funnel_stage_value")),
    }
    st.dataframe(table, hide_index=True, column_config=config, width="stretch", key="funnel_waterfall_table")


def trend_view(f, params) -> None:
    trend = store.metric("funnel_conversion_trend", f, **params)
    events = meeting_views.chart_annotations(f, "funnel_conversion_trend")
    st.plotly_chart(annotate(charts.conversion_trend_chart(trend), events), width="stretch", key="funnel_trend_chart")
    st.caption(define("funnel_conversion_trend"))


def breakdown_view(f, params) -> None:
    left, right = st.columns(2)
    dimension = left.selectbox("Break down by", list(DIMENSIONS), key="funnel_dimension",
                               format_func=str.capitalize)
    step_labels = {f"{STAGE_LABELS[a]} → {STAGE_LABELS[b]}": b for a, b in STEPS}
    step = right.selectbox("Step", list(step_labels), index=1, key="funnel_step")
    breakdown = store.metric("funnel_breakdown", f, dimension=dimension, **params)
    rows = breakdown[breakdown["to_stage"] == step_labels[step]]
    if rows["denominator"].sum() == 0:
        st.info(f"No record reached the start of {step} under these filters.")
        return
    st.plotly_chart(charts.breakdown_chart(rows, step, dimension), width="stretch", key="funnel_breakdown_chart")
    st.caption(define("funnel_breakdown"))


def time_view(f, params) -> None:
    time_in_stage = store.metric("funnel_time_in_stage", f, **params)
    st.plotly_chart(charts.time_in_stage_chart(time_in_stage), width="stretch", key="funnel_time_chart")
    velocity = store.metric("funnel_velocity", f, **params)
    summary = pd.DataFrame({
        "Stage": time_in_stage["label"],
        "Moved on": time_in_stage["moved_count"],
        "Still open": time_in_stage["open_count"],
        "Median age of open (days)": time_in_stage["open_median_age_days"],
    })
    left, right = st.columns(2)
    left.dataframe(summary, hide_index=True, width="stretch", key="funnel_open_table",
                   column_config={"Median age of open (days)": st.column_config.NumberColumn(format="%.1f")})
    right.dataframe(pd.DataFrame({"Reached": velocity["label"], "Records": velocity["record_count"],
                                  "Median days from lead": velocity["median_days"],
                                  "p90 days from lead": velocity["p90_days"]}),
                    hide_index=True, width="stretch", key="funnel_velocity_table",
                    column_config={"Median days from lead": st.column_config.NumberColumn(format="%.1f"),
                                   "p90 days from lead": st.column_config.NumberColumn(format="%.1f")})
    st.caption(define("funnel_time_in_stage") + " " + define("funnel_velocity"))


def records_view(f, params, waterfall: pd.DataFrame) -> None:
    stage = st.selectbox("Stage", list(ALL_STAGES), index=1, key="funnel_stage", format_func=STAGE_LABELS.get,
                         help=define("funnel_records"))
    records = store.metric("funnel_records", f, stage=stage, limit=RECORD_LIMIT, **params)
    if records.empty:
        st.info(f"No record entered {STAGE_LABELS[stage]} under these filters.")
        return
    volumes = dict(zip(waterfall["stage"], waterfall["volume"]))
    total = f"{volumes[stage]:,} records" if stage in volumes else "Records"
    shown = f"the newest {RECORD_LIMIT:,} shown and downloadable" if len(records) == RECORD_LIMIT else "all shown"
    st.caption(f"{total} counted at {STAGE_LABELS[stage]}; {shown}.")
    st.dataframe(records.rename(columns=lambda c: c.replace("_", " ").capitalize()), hide_index=True,
                 width="stretch", key="funnel_records_table")
    st.download_button("Download CSV", safe_csv(records), file_name=f"tandem_{stage}_{f.start}_{f.end}.csv",
                       mime="text/csv", key="funnel_download", icon=":material/download:")


f = filters.current()
st.title("Funnel")
st.caption("Where do our leads stall, in whose stage, and is it getting better? "
           f"{fmt.count((f.end - f.start).days + 1)} days, {f.start:%d %b %Y} – {f.end:%d %b %Y}. "
           "Changes compare with the same number of days just before.")

basis_col, window_col, _ = st.columns([2, 2, 4])
basis = (basis_col.segmented_control("Basis", ["Period", "Cohort"], default="Period", key="funnel_basis",
                                     help=REGISTRY["funnel_stage_volume"].params[0].help) or "Period").lower()
window = window_col.number_input("Cohort window (days)", min_value=7, max_value=730, value=90, step=7,
                                 key="funnel_window", disabled=basis != "cohort",
                                 help="Cohort basis: how long after entering the funnel a stage still counts.")
params = {"basis": basis, "window_days": int(window)}

waterfall = store.metric("funnel_waterfall", f, **params)
if waterfall["volume"].sum() == 0:
    st.info("No records match these filters in this date range. Widen the date range or clear a filter "
            "in the sidebar.")
    st.stop()
if waterfall["is_immature"].any():
    st.warning(f"Immature cohort: leads created up to {f.end:%d %b %Y} have had less than {window} days to "
               "convert, so the later stages will still grow, and the previous period's older cohort looks better "
               "for it.", icon=":material/hourglass_top:")

# The deltas need only the previous period's volumes, not its whole waterfall (times in stage and all).
team_tiles(waterfall, store.metric("funnel_stage_volume", f.previous(), **params))
trust.badge(f, PAGE_METRICS)
st.plotly_chart(charts.funnel_chart(waterfall), width="stretch", key="funnel_chart")
waterfall_table(waterfall)
if waterfall["is_small_sample"].any():
    st.caption("Some steps have fewer than 30 records behind them: read their rates with their intervals.")

# No view open at first: each is a query and a chart more to redraw on every filter change (the trend alone
# doubles the browser's work), so they are drawn only once asked for, and stay open until closed.
view = st.segmented_control("Explore", list(EXPLORE_VIEWS), default=None, key="funnel_view",
                            help="Open one view at a time; click it again to close it.")
if view is None:
    st.caption(" · ".join(f"**{name}**: {what}" for name, what in EXPLORE_VIEWS.items()))
elif view == "Trend":
    trend_view(f, params)
elif view == "Breakdown":
    breakdown_view(f, params)
elif view == "Time in stage":
    time_view(f, params)
else:
    records_view(f, params, waterfall)

with st.expander("Definitions of every number on this page"):
    # One element, not one per metric: every element is redrawn in the browser on each rerun.
    st.markdown("\n\n".join(f"**{REGISTRY[name].label}** (`{name}`, owner: {REGISTRY[name].owner}, grain: "
                             f"{REGISTRY[name].grain}). {REGISTRY[name].definition}" for name in PAGE_METRICS))
