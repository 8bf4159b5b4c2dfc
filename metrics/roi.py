"""Campaign ROI: what each channel and campaign cost, what it brought in, and what sales thinks of it.

Spend is summed per campaign over the days of the date range in its own query and joined one row per
campaign, so a campaign with many deals is never charged once per deal (the trap in
../shared/docs/domain.md). Pipeline and revenue are attributed (metrics.attribution) under a model that
every row names. Leads, MQLs, SQLs and opportunities are the campaign's own: leads whose original
campaign it is, entering each stage in the date range.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from metrics import attribution
from metrics.attribution import DEFAULT_MODEL, LEVELS, MODEL_PARAM, PATH_PARAMS, check_params, model_label
from metrics.filters import Filters
from metrics.registry import Param, metric
from metrics.stats import MIN_SAMPLE, wilson_interval

LEVEL_PARAM = Param("level", str, "campaign", "one row per channel or per campaign", tuple(LEVELS))
MIN_DEALS_PARAM = Param("min_won_deals", int, 5, "below this many won deals touched, ROI is flagged as a small sample")
TOP_REASONS = 3
NO_CAMPAIGN = "(no campaign)"

_SPEND_NOTE = ("Spend: campaign spend on the days of the date range, counted once per campaign whatever the "
               "number of its deals. Spend cannot be split by segment, region or team, so under those filters "
               "it stays whole while leads and revenue shrink.")
_VOLUME_NOTE = ("Leads, MQLs, SQLs and opportunities: the campaign's own leads (their original campaign) that "
                "entered each stage in the date range.")
_VERDICT_NOTE = ("Sales' verdict on the MQL entries of the date range (a lead recycled and qualified again enters "
                 "twice), by the rule the Feedback and SLA pages use: worked = those sales accepted (SAL or a later "
                 "main stage), rejected or recycled; acceptance rate = accepted / worked and rejection rate = "
                 "rejected / worked, each with a 95% Wilson interval; without a verdict, no rate. A lead with no MQL "
                 "entry of its own (a deal loaded without marketing stages) has no verdict, whatever stages it "
                 f"reached. Top {TOP_REASONS} rejection reasons and the average 1-5 quality rating from the sales "
                 "feedback given in the date range on the campaign or its leads.")


def _keys(level: str) -> tuple[str, ...]:
    return LEVELS[level][1]


def spend_by(cur, f: Filters, level: str) -> pd.DataFrame:
    """Spend per channel or campaign over the date range: one sum per campaign, never per deal."""
    where, params = _channel_only(f, "c")
    keys = ", ".join(f"c.{k}" for k in _keys(level))
    sql = (f"select {keys}, sum(s.spend_amount) as spend from campaign_spend as s "
           f"inner join campaigns as c using (campaign_id) "
           f"where s.spend_date >= ? and s.spend_date <= ?{where} group by all")
    return cur.execute(sql, [f.start, f.end] + params).df()


def _channel_only(f: Filters, alias: str) -> tuple[str, list]:
    if not f.channels:
        return "", []
    return f" and {alias}.channel = any(?::varchar[])", [list(f.channels)]


def _key_select(level: str) -> str:
    """The level's columns over a lead's campaign `k` (campaign_id, channel) and its campaign row `c`."""
    columns = {"channel": "coalesce(c.channel, k.channel) as channel", "campaign_id": "k.campaign_id",
               "campaign_name": f"coalesce(c.campaign_name, '{NO_CAMPAIGN}') as campaign_name"}
    return ", ".join(columns[k] for k in _keys(level))


_VOLUMES = ("leads", "mqls", "sqls", "opportunities")


def volumes_by(cur, f: Filters, level: str) -> pd.DataFrame:
    """Leads, MQLs, SQLs, opportunities entering in the range. Lead rows of the segment, region and team
    filtered; the campaign's channel decides the channel."""
    dims, dim_params = replace(f, channels=()).dimension_sql("f")
    channel, channel_params = _channel_only(f, "c")
    channel = channel.replace("c.channel", "coalesce(c.channel, k.channel)")
    # Each condition a flag per row that plain count_if aggregates read: cheaper than FILTER clauses.
    flags, counts, params = [], [], []
    for stage, name in (("lead", "leads"), ("mql", "mqls"), ("sql", "sqls"), ("opportunity", "opportunities")):
        window, window_params = f.window_sql(f"f.{stage}_at")
        flags.append(f"({window}) as in_{stage}")
        counts.append(f"coalesce(count_if(in_{stage}), 0) as {name}")
        params += window_params
    sums = ", ".join(f"coalesce(sum(a.{name}), 0)::bigint as {name}" for name in _VOLUMES)
    sql = f"""
with

-- Every campaign with a lead before the end keeps its row, even when none of its leads moved in the range:
-- read from the campaigns' first leads per dimension, a few hundred rows rather than every lead.
lead_keys as (
    select distinct f.campaign_id, f.channel from mart_lead_funnel_campaigns as f
    where f.first_lead_at < ?::timestamp{dims}
),

-- Only a lead with a stage entry at or after the start can count: the mart is in lead_at order and carries
-- last_event_at, so most row groups are skipped. Counted per campaign before campaign names are joined.
active as (
    select campaign_id, channel, {', '.join(counts)}
    from (
        select f.campaign_id, f.channel, {', '.join(flags)}
        from mart_lead_funnel as f
        where f.lead_at < ?::timestamp and f.last_event_at >= ?::timestamp{dims}
    )
    group by all
)

select {_key_select(level)}, {sums}
from lead_keys as k
left join active as a on a.campaign_id is not distinct from k.campaign_id and a.channel is not distinct from k.channel
left join campaigns as c on c.campaign_id = k.campaign_id
where true{channel}
group by all
"""
    return cur.execute(sql, [f.end_exclusive] + dim_params + params + [f.end_exclusive, f.start] + dim_params
                       + channel_params).df()


def verdicts_by(cur, f: Filters, level: str) -> pd.DataFrame:
    """Sales' verdicts on the MQL entries of the range, per key: worked, accepted and rejected. Read from
    mart_mql_followup, so a stage inferred on a lead that never entered MQL (a deals-only import) is no verdict,
    as on the Feedback and SLA pages. The campaign's channel decides the channel, as in volumes_by."""
    dims, dim_params = replace(f, channels=()).dimension_sql("k")
    channel, channel_params = _channel_only(f, "c")
    channel = channel.replace("c.channel", "coalesce(c.channel, k.channel)")
    window, window_params = f.window_sql("k.mql_at")
    sql = (f"select {_key_select(level)}, count(*) as worked, count_if(k.verdict = 'accept') as accepted, "
           f"count_if(k.verdict = 'reject') as rejected "
           f"from mart_mql_followup as k left join campaigns as c on c.campaign_id = k.campaign_id "
           f"where k.verdict is not null and {window}{dims}{channel} group by all")
    return cur.execute(sql, window_params + dim_params + channel_params).df()


def feedback_by(cur, f: Filters, level: str) -> pd.DataFrame:
    """Top rejection reasons (text) and average rating per key, from feedback given in the date range.

    Feedback on a lead follows the lead's filters; a rating of a whole campaign has no segment and counts
    whatever the segment, region or team filter.
    """
    dims, dim_params = replace(f, channels=()).dimension_sql("f")
    channel, channel_params = _channel_only(f, "c")
    keys = ", ".join({"channel": "c.channel", "campaign_id": "c.campaign_id",
                      "campaign_name": "c.campaign_name"}[k] for k in _keys(level))
    key_names = ", ".join(_keys(level))
    sql = f"""
with

-- Feedback on a lead carries the lead's campaign and dimensions in its mart; a campaign rating has neither.
given as (
    select f.campaign_id, f.verdict, f.rating, f.reason_code
    from mart_lead_sales_feedback as f
    where f.created_at >= ?::timestamp and f.created_at < ?::timestamp{dims}
    union all
    select campaign_id, verdict, rating, reason_code
    from sales_feedback
    where lead_id is null and created_at >= ?::timestamp and created_at < ?::timestamp
),

feedback as (
    select {keys}, s.verdict, s.rating, coalesce(r.label, s.reason_code) as reason
    from given as s
    inner join campaigns as c on c.campaign_id = s.campaign_id
    left join feedback_reasons as r on r.reason_code = s.reason_code
    where true{channel}
),

reason_counts as (
    select {key_names}, reason, count(*) as n
    from feedback where verdict = 'reject' and reason is not null
    group by {key_names}, reason
),

reasons as (
    select *, row_number() over (partition by {key_names} order by n desc, reason) as rank,
           sum(n) over (partition by {key_names}) as rejections
    from reason_counts
),

top_reasons as (
    select {key_names},
           string_agg(reason || ' ' || round(100.0 * n / rejections)::integer || '%', ' · ' order by rank)
               as top_rejection_reasons
    from reasons where rank <= {TOP_REASONS}
    group by {key_names}
),

ratings as (
    select {key_names}, avg(rating) as avg_rating, count(rating) as ratings
    from feedback group by {key_names}
)

select * from ratings full outer join top_reasons using ({key_names})
"""
    frame = cur.execute(sql, [f.start, f.end_exclusive] + dim_params + [f.start, f.end_exclusive]
                        + channel_params).df()
    frame["ratings"] = frame["ratings"].fillna(0).astype("int64")
    return frame


ROI_COLUMNS = (
    "channel", "campaign_id", "campaign_name", "spend", "leads", "mqls", "sqls", "opportunities", "pipeline",
    "won_revenue", "won_deals_credited", "won_deals_touched", "cost_per_lead", "cost_per_mql",
    "cost_per_opportunity", "cac", "roi", "roas", "is_small_sample", "model", "model_label", "accepted", "rejected",
    "worked", "acceptance_rate", "acceptance_ci_low", "acceptance_ci_high", "rejection_rate", "rejection_ci_low",
    "rejection_ci_high", "is_small_verdict_sample", "top_rejection_reasons", "avg_rating", "ratings",
)


@metric(
    name="campaign_roi",
    label="Campaign ROI",
    definition="Per channel or campaign, in one table: spend; leads, MQLs, SQLs and opportunities; attributed "
    "pipeline (opportunities created in the range) and won revenue (won in the range) under the model named "
    "beside them; cost per lead, per MQL and per opportunity = spend / that count; CAC = spend / won deals "
    "credited (the campaign's shares of the won deals under the model); ROI = (attributed won revenue - spend) "
    "/ spend; ROAS = attributed won revenue / spend. With fewer won deals touched than min_won_deals, ROI is "
    "flagged as a small sample. " + _SPEND_NOTE + " " + _VOLUME_NOTE + " " + _VERDICT_NOTE + " Attribution "
    "follows the Attributed pipeline or revenue definition.",
    grain="one row per channel or per campaign",
    owner="marketing",
    format="table",
    area="roi",
    params=(MODEL_PARAM, LEVEL_PARAM) + PATH_PARAMS + (MIN_DEALS_PARAM,),
)
def campaign_roi(cur, f: Filters, model: str = DEFAULT_MODEL, level: str = "campaign", lookback_days: int = 365,
                 half_life_days: float = 7.0, min_won_deals: int = 5) -> pd.DataFrame:
    check_params(model=model, lookback_days=lookback_days, half_life_days=half_life_days, level=level)
    keys = list(_keys(level))
    credit = attribution.credit_by_milestones(cur, f, ("opportunity_created", "won"), (model,), level, lookback_days,
                                              half_life_days)
    pipeline, revenue = credit["opportunity_created"], credit["won"]
    parts = [
        spend_by(cur, f, level),
        volumes_by(cur, f, level),
        verdicts_by(cur, f, level),
        pipeline[keys + [f"credited_{model}"]].rename(columns={f"credited_{model}": "pipeline"}),
        revenue[keys + [f"credited_{model}", f"deals_{model}", "deals_touched"]].rename(columns={
            f"credited_{model}": "won_revenue", f"deals_{model}": "won_deals_credited",
            "deals_touched": "won_deals_touched"}),
        feedback_by(cur, f, level),
    ]
    columns = _outer_merge(parts, keys)
    columns.update(_ratios(columns, min_won_deals))
    n = len(columns["spend"])
    columns["model"] = pd.array([model] * n, dtype="str")
    columns["model_label"] = pd.array([model_label(model, half_life_days)] * n, dtype="str")
    if "campaign_id" not in columns:
        columns["campaign_id"] = columns["campaign_name"] = np.full(n, None, dtype=object)
    # Largest spend, then revenue, first; ties stay in key order (a stable sort, as pandas sorts on two columns).
    order = np.lexsort((-columns["won_revenue"], -columns["spend"]))
    return pd.DataFrame({name: _take(columns[name], order) for name in ROI_COLUMNS})


def _take(values, order: np.ndarray):
    return values[order] if isinstance(values, np.ndarray | pd.api.extensions.ExtensionArray) else \
        [values[i] for i in order]


_MONEY = ("spend", "pipeline", "won_revenue", "won_deals_credited")
_COUNTS = ("leads", "mqls", "sqls", "opportunities", "won_deals_touched", "accepted", "rejected", "worked", "ratings")


def _outer_merge(parts: list[pd.DataFrame], keys: list[str]) -> dict[str, object]:
    """Full outer join on channel (and campaign id), in key order, as columns: the keys, each part's other columns
    (money a float, a count an integer, 0 where the part has no row; anything else missing there), and at the
    campaign level the campaign's name ('(no campaign)' for touches with none, which share the id '').
    Built column by column from each part's rows, the frame only once at the end: pandas merges, or a pandas
    call per column, cost more than the SQL behind these few rows."""
    on = [k for k in keys if k != "campaign_name"]
    names: dict[str, str] = {}
    part_keys = []
    for part in parts:
        columns = [part[k].fillna("").tolist() if k == "campaign_id" else part[k].tolist() for k in on]
        part_keys.append(list(zip(*columns)))
        if "campaign_id" in on:
            names.update(zip(columns[-1], part["campaign_name"].tolist()))
    # Key order as a merge sorts it: lexicographic, a missing value last.
    union = sorted(set().union(*part_keys),
                   key=lambda key: [(not isinstance(v, str), v if isinstance(v, str) else "") for v in key])
    position = {key: i for i, key in enumerate(union)}
    text = object if not union else "str"  # keys of no rows have no type
    merged: dict[str, object] = {k: pd.array([key[j] for key in union], dtype=text) for j, k in enumerate(on)}
    for part, rows in zip(parts, part_keys):
        at = [position[key] for key in rows]
        for column in [c for c in part.columns if c not in keys]:  # a list: an Index difference costs more
            if column in _MONEY or column in _COUNTS:
                values = np.zeros(len(union), "int64" if column in _COUNTS else "float64")
                values[at] = part[column].fillna(0).to_numpy(values.dtype)
            elif pd.api.types.is_numeric_dtype(part[column]):
                values = np.full(len(union), np.nan)
                values[at] = part[column].to_numpy("float64")
            else:  # text keeps its dtype, missing where the part has no row
                values = [None] * len(union)
                for i, value in zip(at, part[column].tolist()):
                    values[i] = value
                values = pd.array(values, dtype=part[column].dtype)
            merged[column] = values
    if "campaign_id" in on:
        ids = [key[-1] for key in union]
        merged["campaign_name"] = pd.array([name if isinstance(name := names.get(i), str) else NO_CAMPAIGN
                                            for i in ids], dtype=text)
        merged["campaign_id"] = pd.array([i or None for i in ids], dtype=text)
    return merged


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """safe_rate over arrays: NaN where the denominator is zero."""
    return numerator / np.where(denominator > 0, denominator, np.nan)


def _ratios(columns: dict[str, object], min_won_deals: int) -> dict[str, np.ndarray]:
    """Cost per lead, MQL and opportunity, CAC, ROI, ROAS and sales' verdict rates with their intervals, in numpy
    over the merged columns."""
    a = {c: columns[c].astype("float64") for c in _MONEY + _COUNTS}
    spend = a["spend"]
    acceptance_ci = wilson_interval(pd.Series(a["accepted"]), pd.Series(a["worked"]))
    rejection_ci = wilson_interval(pd.Series(a["rejected"]), pd.Series(a["worked"]))
    return {
        "cost_per_lead": _rate(spend, a["leads"]), "cost_per_mql": _rate(spend, a["mqls"]),
        "cost_per_opportunity": _rate(spend, a["opportunities"]), "cac": _rate(spend, a["won_deals_credited"]),
        "roi": _rate(a["won_revenue"] - spend, spend), "roas": _rate(a["won_revenue"], spend),
        "is_small_sample": a["won_deals_touched"] < min_won_deals,
        "acceptance_rate": _rate(a["accepted"], a["worked"]),
        "acceptance_ci_low": acceptance_ci[0].to_numpy(), "acceptance_ci_high": acceptance_ci[1].to_numpy(),
        "rejection_rate": _rate(a["rejected"], a["worked"]),
        "rejection_ci_low": rejection_ci[0].to_numpy(), "rejection_ci_high": rejection_ci[1].to_numpy(),
        "is_small_verdict_sample": a["worked"] < MIN_SAMPLE,
    }


@metric(
    name="acquisition_cost_summary",
    label="Acquisition cost and return",
    definition="For the whole date range: campaign spend, the other marketing and sales costs (people, tools; "
    "a month's cost counts for the share of its days inside the range), new customers = opportunities won in "
    "the range, blended CAC = (campaign spend + other marketing cost + sales cost) / new customers, left empty "
    "unless both marketing and sales costs are loaded for the range (without them it would be program CAC, or "
    "half a blend, under a name that promises all costs), program CAC = campaign spend / new customers, and "
    "over all campaigns ROI = (attributed won revenue - campaign spend) / campaign spend and ROAS = attributed "
    "won revenue / campaign spend under the model named beside them (won revenue with no touch in the lookback "
    "is left out of both). Summed over every channel, a deal's credits add up to its amount under any model, "
    "so this total, and ROI and ROAS with it, read the same under each model. Costs and spend are company-wide: "
    "the segment, region and team filters narrow the customers and revenue only, the channel filter is ignored.",
    grain="one row for the date range",
    owner="shared",
    format="table",
    area="roi",
    params=(MODEL_PARAM,) + PATH_PARAMS,
)
def acquisition_cost_summary(cur, f: Filters, model: str = DEFAULT_MODEL, lookback_days: int = 365,
                             half_life_days: float = 7.0) -> pd.DataFrame:
    return acquisition_costs_by_window(cur, [f], model, lookback_days, half_life_days)


def acquisition_costs_by_window(cur, windows: Sequence[Filters], model: str = DEFAULT_MODEL,
                                lookback_days: int = 365, half_life_days: float = 7.0) -> pd.DataFrame:
    """acquisition_cost_summary's row for each window (windows differing in dates only): the costs of every
    window in one statement, the attribution of every window in another (a statement per window costs more)."""
    check_params(model=model, lookback_days=lookback_days, half_life_days=half_life_days)
    whole = [replace(f, channels=()) for f in windows]
    costs = _costs_by_window(cur, whole)
    attributed = _attributed_by_window(cur, whole, lookback_days)
    return pd.DataFrame([_summary_row(cost, got, model, half_life_days) for cost, got in zip(costs, attributed)])


def _costs_by_window(cur, windows: list[Filters]) -> list[dict]:
    """Per window: campaign spend, the marketing and sales costs (a month's cost counts for the share of its
    days inside the window) and how many cost rows of each side reach into it, new customers and won revenue."""
    span = Filters.spanning(windows)
    spend, costs, won, params = [], [], [], {"spend": [], "costs": [], "won": []}
    for k, f in enumerate(windows):
        spend.append(f"coalesce(sum(spend_amount) filter (where spend_date >= ? and spend_date <= ?), 0) as spend_{k}")
        params["spend"] += [f.start, f.end]
        for side in ("marketing", "sales"):
            in_window = f"side = '{side}' and cost_month <= ? and last_day(cost_month) >= ?"
            costs += ["coalesce(sum(amount * greatest(0, datediff('day', greatest(cost_month, ?::date), "
                      "least(last_day(cost_month), ?::date)) + 1) / day(last_day(cost_month))) filter (where "
                      f"{in_window}), 0) as {side}_{k}",
                      f"count(*) filter (where {in_window}) as {side}_rows_{k}"]
            params["costs"] += [f.start, f.end, f.end, f.start, f.end, f.start]
        in_window = "o.won_at >= ?::timestamp and o.won_at < ?::timestamp"
        won += [f"count(*) filter (where {in_window}) as customers_{k}",
                f"coalesce(sum(o.amount) filter (where {in_window}), 0) as won_{k}"]
        params["won"] += [f.start, f.end_exclusive] * 2
    dims, dim_params = span.dimension_sql("o")
    sql = f"""
select * from
    (select {', '.join(spend)} from campaign_spend where spend_date >= ? and spend_date <= ?),
    (select {', '.join(costs)} from acquisition_costs where cost_month <= ? and last_day(cost_month) >= ?),
    (select {', '.join(won)} from mart_opportunities as o
     where o.won_at >= ?::timestamp and o.won_at < ?::timestamp{dims})"""
    # One row of a few columns, fetched as a tuple: a frame's conversion would cost more than the query.
    result = cur.execute(sql, params["spend"] + [span.start, span.end] + params["costs"] + [span.end, span.start]
                         + params["won"] + [span.start, span.end_exclusive] + dim_params)
    row = dict(zip((column[0] for column in result.description), result.fetchall()[0]))
    names = ("spend", "marketing", "marketing_rows", "sales", "sales_rows", "customers", "won")
    return [{name: row[f"{name}_{k}"] for name in names} for k in range(len(windows))]


def _attributed_by_window(cur, windows: list[Filters], lookback_days: int) -> list[float]:
    """Per window: won revenue attributed to any channel. Every touch has a channel, and a deal's credits add up
    to its amount exactly under every model (attribution.credited_touches), so this is the amount of the deals
    won in the window that have a path: no touch's credit needs working out (a third of the time). One pass
    reads every window's deals."""
    ctes, params = attribution.credited_touches(Filters.spanning(windows), "won", (DEFAULT_MODEL,), lookback_days,
                                                half_life_days=7.0, key="channel_key")
    sums, sum_params = [], []
    for f in windows:
        sums.append("coalesce(sum(amount_cents) filter (where milestone_at >= ?::timestamp and milestone_at < "
                    "?::timestamp), 0) / 100.0")
        sum_params += [f.start, f.end_exclusive]
    return [float(value) for value in cur.execute(f"{ctes}\nselect {', '.join(sums)} from deals",
                                                  params + sum_params).fetchall()[0]]


def _summary_row(costs: dict, attributed: float, model: str, half_life_days: float) -> dict:
    spend, customers = float(costs["spend"]), int(costs["customers"])
    marketing, sales = float(costs["marketing"]), float(costs["sales"])
    total = spend + marketing + sales
    has_marketing, has_sales = costs["marketing_rows"] > 0, costs["sales_rows"] > 0
    return {
        "campaign_spend": spend, "other_marketing_cost": marketing, "sales_cost": sales, "total_cost": total,
        "has_marketing_cost": has_marketing, "has_sales_cost": has_sales,
        "new_customers": customers, "won_revenue": float(costs["won"]), "attributed_won_revenue": attributed,
        # Without both sides' costs, "blended" would be program CAC (or half a blend) under a name promising all.
        "blended_cac": total / customers if customers and has_marketing and has_sales else np.nan,
        "program_cac": spend / customers if customers else np.nan,
        "roi": (attributed - spend) / spend if spend else np.nan, "roas": attributed / spend if spend else np.nan,
        "model": model, "model_label": model_label(model, half_life_days),
    }


@metric(
    name="roi_trend",
    label="Spend, pipeline and revenue by month",
    definition="Per channel and calendar month of the date range: campaign spend on the month's days, pipeline "
    "attributed to the channel from opportunities created in the month and revenue attributed from deals won "
    "in it, under the model named beside them. Partial months at the ends count only the days inside the "
    "range. Spend is not split by segment, region or team.",
    grain="one row per channel per month",
    owner="marketing",
    format="currency",
    area="roi",
    params=(MODEL_PARAM,) + PATH_PARAMS,
)
def roi_trend(cur, f: Filters, model: str = DEFAULT_MODEL, lookback_days: int = 365,
              half_life_days: float = 7.0) -> pd.DataFrame:
    check_params(model=model, lookback_days=lookback_days, half_life_days=half_life_days)
    where, params = _channel_only(f, "c")
    spend = cur.execute(f"select c.channel, date_trunc('month', s.spend_date)::timestamp as month, "
                        f"sum(s.spend_amount) as spend from campaign_spend as s inner join campaigns as c "
                        f"using (campaign_id) where s.spend_date >= ? and s.spend_date <= ?{where} group by all",
                        [f.start, f.end] + params).df()
    parts = [spend]
    for milestone, name in (("opportunity_created", "pipeline"), ("won", "won_revenue")):
        ctes, cte_params = attribution.credited_touches(f, milestone, (model,), lookback_days, half_life_days,
                                                        key="channel_key")
        channel, channel_params = _channel_only(f, "n")
        parts.append(cur.execute(
            f"{ctes}, per_month as (select source_key, milestone_month as month, "
            f"sum(credit_{model}) as cents from credited group by all), "
            f"names as ({attribution.key_names('channel')}) "
            f"select n.channel, c.month, sum(c.cents) / 100.0 as {name} "
            f"from per_month as c inner join names as n using (source_key) where true{channel} "
            f"group by all", cte_params + channel_params).df())
    months = pd.date_range(pd.Timestamp(f.start).to_period("M").to_timestamp(),
                           pd.Timestamp(f.end).to_period("M").to_timestamp(), freq="MS").astype("datetime64[ns]")
    channels = sorted(set().union(*(set(p["channel"]) for p in parts)))
    grid = pd.MultiIndex.from_product([channels, months], names=["channel", "month"])
    table = pd.DataFrame(index=grid)
    for part in parts:
        part = part.assign(month=pd.to_datetime(part["month"]).astype("datetime64[ns]"))
        table = table.join(part.set_index(["channel", "month"]), how="left")
    table = table.fillna(0.0).reset_index()
    table["model_label"] = model_label(model, half_life_days)
    return table[["channel", "month", "spend", "pipeline", "won_revenue", "model_label"]]


CAMPAIGN_PARAM = Param("campaign_id", str, "", "the campaign to list")
LIMIT_PARAM = Param("limit", int, 5000, "most rows returned")


@metric(
    name="campaign_leads",
    label="A campaign's leads",
    definition="The leads whose original campaign is the one chosen and that were created in the date range, "
    "of the segment, region and team filtered, newest first, with their stages, sales' verdict and the "
    "opportunity they became, up to `limit` rows.",
    grain="one row per lead",
    owner="marketing",
    format="table",
    area="roi",
    params=(CAMPAIGN_PARAM, LIMIT_PARAM),
)
def campaign_leads(cur, f: Filters, campaign_id: str = "", limit: int = 5000) -> pd.DataFrame:
    dims, dim_params = replace(f, channels=()).dimension_sql("f")
    window, window_params = f.window_sql("f.lead_at")
    sql = (f"select f.lead_id, f.created_at, f.segment, f.region, f.sdr_rep_name, f.score, f.current_stage, "
           f"f.mql_at, f.sal_at, f.rejected_at, f.recycled_at, f.opportunity_id, f.opportunity_amount, f.won_amount "
           f"from mart_lead_funnel as f where f.campaign_id = ? and {window}{dims} "
           f"order by f.created_at desc, f.lead_id limit ?")
    return cur.execute(sql, [campaign_id] + window_params + dim_params + [int(limit)]).df()


@metric(
    name="campaign_opportunities",
    label="A campaign's credited deals",
    definition="The deals whose path holds a touch of the chosen campaign, milestone in the date range (pipeline: "
    "created; revenue: won), with the campaign's touches in the path and the credit it earns under the model; "
    "largest credit first. Follows the Attributed pipeline or revenue definition.",
    grain="one row per opportunity",
    owner="shared",
    format="table",
    area="roi",
    params=(CAMPAIGN_PARAM, MODEL_PARAM, attribution.MILESTONE_PARAM) + PATH_PARAMS,
)
def campaign_opportunities(cur, f: Filters, campaign_id: str = "", model: str = DEFAULT_MODEL,
                           milestone: str = "won", lookback_days: int = 365,
                           half_life_days: float = 7.0) -> pd.DataFrame:
    ctes, params = attribution.credited_touches(replace(f, channels=()), milestone, (model,), lookback_days,
                                                half_life_days)
    sql = f"""{ctes},
per_deal as (
    select deal_key, count(*) as touches, any_value(n)::bigint as path_length, sum(credit_{model}) as credit_cents
    from credited
    where source_key in (select campaign_key from mart_touch_sources where campaign_id = ?)
    group by deal_key
)
select o.opportunity_id, o.account_name, o.lead_id, o.amount, o.opportunity_created_at, o.closed_at, o.is_won,
       o.owner_rep_name, c.touches, c.path_length, c.credit_cents / 100.0 as credit,
       c.credit_cents / 100.0 / nullif(o.amount, 0) as credit_share
from per_deal as c
inner join mart_opportunities as o using (deal_key)
order by credit desc, o.opportunity_id"""
    frame = cur.execute(sql, params + [campaign_id]).df()
    frame["model_label"] = model_label(model, half_life_days)
    return frame
