"""Campaign ROI: where should next quarter's budget go, and does sales agree with the leads it buys?"""

import pandas as pd
import streamlit as st

from metrics import REGISTRY
from metrics.attribution import DEFAULT_MODEL, MAX_LOOKBACK_DAYS, MODELS, model_label
from ui import filters, meeting_views, roi_charts, store
from ui import format as fmt
from ui.annotations import annotate
from ui.export import safe_csv
from ui.theme import team_badge

PAGE_METRICS = ("acquisition_cost_summary", "campaign_roi", "marketing_sourced_influenced", "attribution_credit",
                "attribution_comparison", "campaign_leads", "campaign_opportunities", "attribution_path",
                "roi_trend", "traffic_conversion", "web_traffic_daily", "content_in_won_paths",
                "content_late_in_cycle")
VIEWS = ("Channels and campaigns", "Model comparison", "Sourced vs influenced", "Spend over time", "Traffic",
         "Content")
MILESTONE_CHOICES = {"Revenue (won)": "won", "Pipeline (created)": "opportunity_created"}
ALL = "All channels"


def define(name: str) -> str:
    return REGISTRY[name].definition


def download(frame: pd.DataFrame, name: str, key: str) -> None:
    f = filters.current()
    st.download_button("Download CSV", safe_csv(frame), file_name=f"tandem_{name}_{f.start}_{f.end}.csv",
                       mime="text/csv", key=key, icon=":material/download:")


def controls() -> tuple[dict, int]:
    """The attribution settings every number on the page follows, and the ROI sample minimum."""
    model_col, lookback_col, half_col, sample_col = st.columns([3, 2, 2, 2])
    model = model_col.selectbox("Attribution model", list(MODELS), index=list(MODELS).index(DEFAULT_MODEL),
                                format_func=lambda m: MODELS[m].label, key="campaigns_model",
                                help=REGISTRY["attribution_credit"].params[0].help + ". " +
                                define("attribution_credit"))
    lookback = lookback_col.number_input("Lookback (days)", min_value=1, max_value=MAX_LOOKBACK_DAYS, value=365,
                                         step=30, key="campaigns_lookback",
                                         help="How long before the milestone a touch still counts.")
    half_life = half_col.number_input("Half-life (days)", min_value=1, max_value=365, value=7, step=1,
                                      key="campaigns_half_life", disabled=model != "time_decay",
                                      help="Time decay only: days for a touch's weight to halve.")
    min_deals = sample_col.number_input("Min. won deals for ROI", min_value=1, max_value=500, value=5, step=1,
                                        key="campaigns_min_deals",
                                        help="Below this many won deals touched, ROI is shown grey with a warning.")
    return {"model": model, "lookback_days": int(lookback), "half_life_days": float(half_life)}, int(min_deals)


def headline(summary: pd.Series, sourced: pd.DataFrame, label: str) -> None:
    money, shared = st.columns(2)
    with money.container(border=True):
        st.markdown(f"{team_badge('marketing')} &nbsp; **Campaign spend and return** · {label}",
                    unsafe_allow_html=True)
        spend, roi, roas = st.columns(3)
        spend.metric("Campaign spend", fmt.money(summary["campaign_spend"]), help=define("acquisition_cost_summary"))
        spend.caption("counted once per campaign")
        roi.metric("ROI", roi_charts.times(summary["roi"]), help=define("acquisition_cost_summary"))
        roi.caption(f"under {label}")
        roas.metric("ROAS", roi_charts.times(summary["roas"]), help=define("acquisition_cost_summary"))
        roas.caption(f"under {label}")
    with shared.container(border=True):
        st.markdown(f"{team_badge('shared')} &nbsp; **What a customer costs**", unsafe_allow_html=True)
        customers, blended, program = st.columns(3)
        customers.metric("New customers", fmt.count(summary["new_customers"]), help=define("acquisition_cost_summary"))
        blended.metric("Blended CAC", fmt.money(summary["blended_cac"]), help=define("acquisition_cost_summary"))
        blended.caption(blended_cac_basis(summary))
        program.metric("Program CAC", fmt.money(summary["program_cac"]), help=define("acquisition_cost_summary"))
        program.caption("campaign spend only")
    total = sourced.iloc[0] if len(sourced) else None
    with st.container(border=True):
        st.markdown(f"{team_badge('marketing')} &nbsp; **Marketing-sourced and marketing-influenced**, side by side: "
                    "never add them up", unsafe_allow_html=True)
        tiles = st.columns(4)
        for tile, (measure, kind) in zip(tiles, [(m, k) for m in ("pipeline", "revenue")
                                                  for k in ("sourced", "influenced")]):
            value = None if total is None else total[f"{kind}_{measure}"]
            share = None if total is None else total[f"{kind}_{measure}_share"]
            tile.metric(f"{kind.capitalize()} {measure}", fmt.money(value),
                        help=define("marketing_sourced_influenced"))
            tile.caption(f"{fmt.percent(share)} of all {measure} in the range")
    unattributed = summary["won_revenue"] - summary["attributed_won_revenue"]
    if unattributed > 0:
        st.caption(f"{fmt.money(unattributed)} of the {fmt.money(summary['won_revenue'])} won has no touch in the "
                   "lookback window: no model can credit it to a campaign.")


def blended_cac_basis(summary: pd.Series) -> str:
    """What blended CAC counts, or which cost it waits for (the metric leaves it empty without both sides')."""
    missing = [side for side, has in (("marketing", summary["has_marketing_cost"]),
                                      ("sales", summary["has_sales_cost"])) if not has]
    if missing:
        return f"no {' or '.join(missing)} cost loaded for this range"
    return "campaign spend + all marketing and sales cost"


def figures(help_text: str | None = None):
    """A column of numbers shown as text, so a missing one reads – (a number column prints None), aligned as
    numbers are."""
    return st.column_config.TextColumn(help=help_text, alignment="right")


ROI_CONFIG = {
    "Spend ($)": st.column_config.NumberColumn(format="compact", help="Campaign spend in the range, once per "
                                               "campaign."),
    "Won revenue ($)": st.column_config.NumberColumn(format="compact", help=define("attribution_credit")),
    "ROI": figures("(attributed won revenue − spend) / spend; grey: too few won deals."),
    "ROAS": figures("Attributed won revenue / spend."),
    "CAC": figures("Spend / won deals credited under the model."),
    "Won deals": st.column_config.NumberColumn(format="localized", help="Won deals with a touch of it in the path: "
                                               "the sample ROI rests on."),
    "Accepted": figures("Sales acceptance: accepted / MQLs sales gave a verdict on; – when sales gave none."),
    "Rejected": figures("Sales rejection: rejected / MQLs sales gave a verdict on; – when sales gave none."),
    "Rejected 95%": st.column_config.TextColumn(help="95% Wilson interval of the rejection rate."),
    "Top rejection reasons": st.column_config.TextColumn(width="large", help="From sales feedback in the range."),
    "Rating": figures("Average 1-5 quality rating from sales."),
    "Leads": st.column_config.NumberColumn(format="localized"),
    "MQLs": st.column_config.NumberColumn(format="localized"),
    "Opps": st.column_config.NumberColumn(format="localized"),
    "Pipeline ($)": st.column_config.NumberColumn(format="compact", help=define("attribution_credit")),
    "Cost / lead": figures("Spend / leads."),
    "Cost / MQL": figures("Spend / MQLs."),
    "Cost / opp": figures("Spend / opportunities."),
}


def roi_display(table: pd.DataFrame, level: str):
    """The ROI table as shown: the money, its return and sales' verdict first, then the funnel and unit costs;
    ROI, ROAS and CAC resting on too few won deals greyed. Ratios as text, so one with no denominator reads –
    (a number column would print None)."""
    names = {"Campaign": table["campaign_name"], "Channel": table["channel"]} if level == "campaign" else {
        "Channel": table["channel"]}
    shown = pd.DataFrame({
        **names,
        "Spend ($)": table["spend"], "Won revenue ($)": table["won_revenue"],
        "ROI": table["roi"].map(roi_charts.times), "ROAS": table["roas"].map(roi_charts.times),
        "CAC": table["cac"].map(fmt.money), "Won deals": table["won_deals_touched"],
        "Accepted": table["acceptance_rate"].map(fmt.percent), "Rejected": table["rejection_rate"].map(fmt.percent),
        "Rejected 95%": [fmt.interval(lo, hi) for lo, hi in zip(table["rejection_ci_low"], table["rejection_ci_high"])],
        "Top rejection reasons": table["top_rejection_reasons"].fillna("–"),
        "Rating": table["avg_rating"].map(fmt.decimal),
        "Leads": table["leads"], "MQLs": table["mqls"], "Opps": table["opportunities"],
        "Pipeline ($)": table["pipeline"], "Cost / lead": table["cost_per_lead"].map(fmt.money),
        "Cost / MQL": table["cost_per_mql"].map(fmt.money), "Cost / opp": table["cost_per_opportunity"].map(fmt.money),
    })
    muted = table["is_small_sample"].to_numpy()

    def grey(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        styles.loc[muted, ["ROI", "ROAS", "CAC"]] = "color: #94A3B8; font-style: italic"
        return styles

    return shown.style.apply(grey, axis=None)


def small_sample_warning(table: pd.DataFrame, min_deals: int) -> None:
    small = table[table["is_small_sample"] & table["spend"].gt(0)]
    if len(small):
        st.warning(f"ROI of {len(small)} of {len(table)} rows rests on fewer than {min_deals} won deals (grey in the "
                   "table and chart): too few to move budget on.", icon=":material/science:")


def channels_view(f, params: dict, min_deals: int) -> None:
    label = model_label(params["model"], params["half_life_days"])
    channels = store.metric("campaign_roi", f, level="channel", min_won_deals=min_deals, **params)
    st.subheader("By channel")
    st.caption(f"Pipeline, revenue, ROI, ROAS and CAC under **{label}**, sales' verdict beside them. Hover a "
               "column for its definition; all definitions are at the foot of the page.")
    st.dataframe(roi_display(channels, "channel"), hide_index=True, width="stretch", column_config=ROI_CONFIG,
                 key="campaigns_channel_table")
    download(channels, "roi_by_channel", "campaigns_channel_csv")
    small_sample_warning(channels, min_deals)

    st.subheader("Campaigns")
    channel = st.selectbox("Drill into a channel", [ALL] + list(channels["channel"]), key="campaigns_channel")
    campaigns = store.metric("campaign_roi", f, level="campaign", min_won_deals=min_deals, **params)
    if channel != ALL:
        campaigns = campaigns[campaigns["channel"] == channel].reset_index(drop=True)
    if campaigns.empty:
        st.info(f"No campaign of {channel} spent or earned anything in this date range.")
        return
    st.dataframe(roi_display(campaigns, "campaign"), hide_index=True, width="stretch", column_config=ROI_CONFIG,
                 key="campaigns_campaign_table")
    download(campaigns, "roi_by_campaign", "campaigns_campaign_csv")
    small_sample_warning(campaigns, min_deals)
    st.plotly_chart(roi_charts.roi_chart(campaigns), width="stretch", key="campaigns_roi_chart")
    if roi_charts.cost_vs_rejection_rows(campaigns).empty:
        st.info(cost_vs_rejection_gap(campaigns), icon=":material/scatter_plot:")
    else:
        st.plotly_chart(roi_charts.cost_vs_rejection_chart(campaigns), width="stretch", key="campaigns_cost_chart")
    campaign_drill(f, params, campaigns)


def cost_vs_rejection_gap(campaigns: pd.DataFrame) -> str:
    """Why the cost-per-lead against rejection chart would be empty: which of its two numbers no campaign has."""
    if campaigns["worked"].sum() == 0:
        missing = ("sales gave no verdict (accepted, rejected or recycled) on these campaigns' MQLs, so there is "
                   "no rejection rate")
    elif not campaigns["cost_per_lead"].gt(0).any():
        missing = "no campaign with spend has leads, so there is no cost per lead"
    else:
        missing = "no campaign has both a cost per lead and sales' verdicts on its MQLs"
    return f"**Cheap leads, rejected by sales?** Nothing to plot in this date range: {missing}."


def campaign_drill(f, params: dict, campaigns: pd.DataFrame) -> None:
    st.subheader("One campaign: its leads and deals")
    named = campaigns.dropna(subset=["campaign_id"])
    names = dict(zip(named["campaign_id"], named["campaign_name"]))
    if not names:
        return
    left, right = st.columns([3, 2])
    campaign_id = left.selectbox("Campaign", list(names), format_func=names.get, key="campaigns_campaign")
    records = right.segmented_control("Show", ["Deals credited", "Leads"], default="Deals credited",
                                      key="campaigns_records") or "Deals credited"
    if records == "Leads":
        leads = store.metric("campaign_leads", f, campaign_id=campaign_id)
        st.caption(define("campaign_leads"))
        st.dataframe(leads.rename(columns=lambda c: c.replace("_", " ").capitalize()), hide_index=True,
                     width="stretch", key="campaigns_leads_table")
        download(leads, f"leads_{campaign_id}", "campaigns_leads_csv")
        return
    milestone = MILESTONE_CHOICES[st.segmented_control("Deals", list(MILESTONE_CHOICES), default="Revenue (won)",
                                                       key="campaigns_deal_milestone") or "Revenue (won)"]
    deals = store.metric("campaign_opportunities", f, campaign_id=campaign_id, milestone=milestone, **params)
    st.caption(define("campaign_opportunities"))
    if deals.empty:
        st.info(f"No deal with this milestone in the date range has a touch of {names[campaign_id]} in its path.")
        return
    # A deal of no amount has no credit share: text, so it reads – rather than None.
    shown = deals.drop(columns=["model_label"]).assign(account_name=deals["account_name"].fillna("–"),
                                                       credit_share=deals["credit_share"].map(fmt.percent))
    st.dataframe(shown.rename(columns=lambda c: c.replace("_", " ").capitalize()),
                 hide_index=True, width="stretch", key="campaigns_deals_table",
                 column_config={"Amount": st.column_config.NumberColumn(format="dollar"),
                                "Credit": st.column_config.NumberColumn(format="dollar"), "Credit share": figures()})
    download(deals, f"deals_{campaign_id}", "campaigns_deals_csv")
    path_view(f, params, deals, milestone)


def path_view(f, params: dict, deals: pd.DataFrame, milestone: str) -> None:
    st.subheader("One deal's path")
    labels = {row.opportunity_id: f"{row.opportunity_id} · {row.account_name or 'no account'} · "
                                  f"{fmt.money(row.amount)}" for row in deals.itertuples()}
    deal = st.selectbox("Opportunity", list(labels), format_func=labels.get, key="campaigns_deal")
    path = store.metric("attribution_path", f, opportunity_id=deal, milestone=milestone, **params)
    st.plotly_chart(roi_charts.path_chart(path), width="stretch", key="campaigns_path_chart")
    shown = pd.DataFrame({"#": path["touch_number"], "Touched at": path["touched_at"],
                          "Campaign": path["campaign_name"], "Roles": path["roles"], "Credit": path["credit"],
                          "Share": path["share"].map(fmt.percent), "Status": path["status"], "Channel": path["channel"],
                          "Content": path["content_asset"].fillna("–"), "Touch type": path["touch_type"],
                          "Touchpoint id": path["touchpoint_id"]})
    st.dataframe(shown, hide_index=True, width="stretch", key="campaigns_path_table",
                 column_config={"Credit": st.column_config.NumberColumn(format="dollar"), "Share": figures()})
    download(path, f"path_{deal}", "campaigns_path_csv")
    st.caption(define("attribution_path"))


def comparison_view(f, params: dict) -> None:
    left, right = st.columns(2)
    milestone = MILESTONE_CHOICES[left.segmented_control("Compare", list(MILESTONE_CHOICES), default="Revenue (won)",
                                                         key="campaigns_compare_milestone") or "Revenue (won)"]
    level = (right.segmented_control("By", ["Campaign", "Channel"], default="Campaign", key="campaigns_compare_level")
             or "Campaign").lower()
    comparison = store.metric("attribution_comparison", f, milestone=milestone, level=level,
                              lookback_days=params["lookback_days"], half_life_days=params["half_life_days"])
    if comparison.empty:
        st.info("No deal in this date range has a touch in its path.")
        return
    disputed = comparison[comparison["is_disputed"]]
    name = "campaign_name" if level == "campaign" else "channel"
    if len(disputed):
        worst = disputed.iloc[0]
        st.warning(f"The models disagree most on **{', '.join(disputed[name])}**. {worst[name]}: from "
                   f"{fmt.money(worst['min_credit'])} to {fmt.money(worst['max_credit'])}, and "
                   f"{MODELS[worst['outlier_model']].label} stands furthest from the others: don't move budget on a "
                   "result only one model supports.", icon=":material/flag:")
    st.plotly_chart(roi_charts.comparison_chart(comparison), width="stretch", key="campaigns_compare_chart")
    columns = {name: name.replace("_", " ").capitalize()}
    columns.update({f"credited_{m}": f"{MODELS[m].label} ($)" for m in MODELS})
    columns.update({"disagreement_pts": "Disagreement (pts)", "outlier_model": "Furthest from the others",
                    "is_disputed": "Flagged"})
    table = comparison[list(columns)].rename(columns=columns)
    table["Furthest from the others"] = table["Furthest from the others"].map(lambda m: MODELS[m].label)
    config = {f"{MODELS[m].label} ($)": st.column_config.NumberColumn(format="compact") for m in MODELS}
    config["Disagreement (pts)"] = st.column_config.NumberColumn(format="%.1f", help=define("attribution_comparison"))
    st.dataframe(table, hide_index=True, width="stretch", column_config=config, key="campaigns_compare_table")
    download(comparison, "model_comparison", "campaigns_compare_csv")
    st.caption(define("attribution_comparison"))


def sourced_view(f, params: dict) -> None:
    sourced = store.metric("marketing_sourced_influenced", f, lookback_days=params["lookback_days"])
    channels = sourced[sourced["channel"] != sourced["channel"].iloc[0]] if len(sourced) else sourced
    if channels.empty:
        st.info(nothing_attributed(sourced.iloc[0], params["lookback_days"], f.channels) if len(sourced) else
                "No opportunity was created or won in this date range.")
        return
    st.plotly_chart(roi_charts.sourced_influenced_chart(channels), width="stretch", key="campaigns_sourced_chart")
    shown = pd.DataFrame({"Channel": sourced["channel"]})
    for measure in ("pipeline", "revenue"):
        for kind in ("sourced", "influenced"):
            name = f"{kind.capitalize()} {measure}"
            shown[f"{name} ($)"] = sourced[f"{kind}_{measure}"]
            shown[f"{name}: deals"] = sourced[f"{kind}_{measure}_deals"]
            shown[f"{name}: share"] = sourced[f"{kind}_{measure}_share"].map(fmt.percent)
    config = {c: st.column_config.NumberColumn(format="compact") for c in shown if c.endswith("($)")}
    config.update({c: figures() for c in shown if c.endswith("share")})
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config, key="campaigns_sourced_table")
    st.caption(f"All pipeline in the range: {fmt.money(sourced['total_pipeline'].iloc[0])}; all revenue: "
               f"{fmt.money(sourced['total_revenue'].iloc[0])}. A deal counts under every channel that influenced "
               "it, so the influenced column does not add up.")
    download(sourced, "sourced_influenced", "campaigns_sourced_csv")
    st.caption(define("marketing_sourced_influenced"))


def nothing_attributed(total: pd.Series, lookback_days: int, channels: tuple[str, ...]) -> str:
    """Why no channel sourced or influenced anything: no deal in the range, no touch loaded for the deals, or
    touches that the lookback (or the channel filter) leaves out."""
    created, won = total["total_pipeline_deals"], total["total_revenue_deals"]
    if created + won == 0:
        return "No opportunity was created or won in this date range."
    deals = f"In this date range {fmt.count(created)} opportunities were created and {fmt.count(won)} won"
    if total["touched_pipeline_deals"] + total["touched_revenue_deals"] == 0:
        return (f"{deals}, but no marketing touch is loaded for their leads (touches come from campaign members or "
                "a touches file), so none of it can be attributed to marketing, sourced or influenced.")
    of = f" of {', '.join(channels)}" if channels else ""
    return (f"{deals}, but no touch{of} brought their leads in or falls in the {lookback_days}-day lookback before "
            "them: widen the lookback to credit the touches they have.")


def trend_view(f, params: dict) -> None:
    trend = store.metric("roi_trend", f, **params)
    if trend.empty:
        st.info("No spend, pipeline or revenue in this date range.")
        return
    channel = st.selectbox("Channel", [ALL] + sorted(trend["channel"].unique()), key="campaigns_trend_channel")
    events = meeting_views.chart_annotations(f, "roi_trend")
    st.plotly_chart(annotate(roi_charts.spend_trend_chart(trend, None if channel == ALL else channel), events),
                    width="stretch", key="campaigns_trend_chart")
    download(trend, "spend_pipeline_revenue_by_month", "campaigns_trend_csv")
    st.caption(define("roi_trend"))


NO_TRAFFIC = "No website traffic is loaded for this date range"


def traffic_view(f) -> None:
    conversion = store.metric("traffic_conversion", f)
    if conversion.empty:
        st.info(f"{NO_TRAFFIC}, and no lead was created in it.")
        return
    has_traffic = conversion["sessions"].iloc[0] > 0
    channels = conversion.iloc[1:]
    if has_traffic:
        st.plotly_chart(roi_charts.traffic_conversion_chart(channels), width="stretch", key="campaigns_traffic_rates")
    else:
        st.info(f"{NO_TRAFFIC}: no sessions to chart or to turn into leads. The table shows the leads and lead → "
                "MQL only.", icon=":material/public_off:")
    shown = pd.DataFrame({
        "Channel": conversion["channel"], "Sessions": conversion["sessions"], "Visitors": conversion["visitors"],
        "Engaged": conversion["engaged_sessions"], "Engagement rate": conversion["engagement_rate"].map(fmt.percent),
        "Leads": conversion["leads"], "Session → lead": [fmt.percent(v, 2) for v in conversion["session_to_lead"]],
        "Session → lead 95%": [fmt.interval(lo, hi) for lo, hi in zip(conversion["session_to_lead_ci_low"],
                                                                       conversion["session_to_lead_ci_high"])],
        "MQLs": conversion["mqls"], "Lead → MQL": conversion["lead_to_mql"].map(fmt.percent),
        "Lead → MQL 95%": [fmt.interval(lo, hi) for lo, hi in zip(conversion["lead_to_mql_ci_low"],
                                                                   conversion["lead_to_mql_ci_high"])],
    })
    counts = ("Sessions", "Visitors", "Engaged", "Leads", "MQLs")
    config = {c: st.column_config.NumberColumn(format="localized") for c in counts}
    rates = ("Engagement rate", "Session → lead", "Lead → MQL")
    config.update({c: figures(define("traffic_conversion")) for c in rates})
    st.dataframe(shown, hide_index=True, width="stretch", key="campaigns_traffic_table", column_config=config)
    download(conversion, "traffic_conversion", "campaigns_traffic_csv")
    st.caption(define("traffic_conversion"))
    if has_traffic:
        daily_traffic(f, list(channels["channel"]))


def daily_traffic(f, channels: list[str]) -> None:
    channel = st.selectbox("Daily traffic of", [ALL] + channels, key="campaigns_traffic_channel")
    daily = store.metric("web_traffic_daily", f)
    if channel != ALL and daily.loc[daily["channel"] == channel, "sessions"].sum() == 0:
        st.info(f"No website traffic is loaded for {channel} in this date range.", icon=":material/public_off:")
        return
    st.plotly_chart(roi_charts.traffic_daily_chart(daily, None if channel == ALL else channel), width="stretch",
                    key="campaigns_traffic_daily")


def content_view(f, params: dict) -> None:
    won = store.metric("content_in_won_paths", f, lookback_days=params["lookback_days"])
    late = store.metric("content_late_in_cycle", f)
    if won.empty and late.empty:
        st.info("No content asset was touched on an opportunity's lead in this date range.")
        return
    if not won.empty:
        st.plotly_chart(roi_charts.content_won_chart(won), width="stretch", key="campaigns_content_won")
        shown = pd.DataFrame({
            "Asset": won["content_asset"], "Type": won["asset_type"], "Won deals with it": won["won_deals"],
            "% of won deals": won["pct_of_won"].map(fmt.percent), "Lost deals with it": won["lost_deals"],
            "% of lost deals": won["pct_of_lost"].map(fmt.percent),
            "Win rate with it": won["win_rate_with"].map(fmt.percent),
            "Win rate 95%": [fmt.interval(lo, hi) for lo, hi in zip(won["win_rate_ci_low"], won["win_rate_ci_high"])],
            "Won revenue with it ($)": won["won_revenue_with"]})
        config = {c: figures() for c in ("% of won deals", "% of lost deals", "Win rate with it")}
        config["Won revenue with it ($)"] = st.column_config.NumberColumn(format="compact")
        st.dataframe(shown, hide_index=True, width="stretch", key="campaigns_content_table", column_config=config)
    if not late.empty:
        st.plotly_chart(roi_charts.content_late_chart(late), width="stretch", key="campaigns_content_late")
    download(won, "content_in_won_paths", "campaigns_content_csv")
    st.caption(define("content_in_won_paths") + " " + define("content_late_in_cycle"))


f = filters.current()
st.title("Campaign ROI")
st.caption("Where should next quarter's budget go? Spend against attributed pipeline and revenue, with sales' "
           f"verdict beside every campaign. {f.start:%d %b %Y} – {f.end:%d %b %Y}.")
params, min_deals = controls()
label = model_label(params["model"], params["half_life_days"])
summary = store.metric("acquisition_cost_summary", f, **params).iloc[0]
sourced = store.metric("marketing_sourced_influenced", f, lookback_days=params["lookback_days"])
headline(summary, sourced, label)
if f.segments or f.regions or f.teams or f.scope_regions or f.scope_segments:
    st.warning("Spend and costs cannot be split by segment, region or team: under these filters (or your "
               "view's limit to some regions or segments) they stay whole while leads, pipeline and revenue "
               "shrink, so ROI reads low.", icon=":material/filter_alt:")

view = st.segmented_control("View", VIEWS, default=VIEWS[0], key="campaigns_view") or VIEWS[0]
if view == VIEWS[0]:
    channels_view(f, params, min_deals)
elif view == VIEWS[1]:
    comparison_view(f, params)
elif view == VIEWS[2]:
    sourced_view(f, params)
elif view == VIEWS[3]:
    trend_view(f, params)
elif view == VIEWS[4]:
    traffic_view(f)
else:
    content_view(f, params)

with st.expander("Definitions of every number on this page"):
    for name in PAGE_METRICS:
        metric = REGISTRY[name]
        st.markdown(f"**{metric.label}** (`{name}`, owner: {metric.owner}, grain: {metric.grain}). "
                    f"{metric.definition}")
