"""Attribution: how much of each deal's amount each channel and campaign earned, under a named model.

Every model runs in SQL inside DuckDB over mart_opportunity_touches (one row per opportunity per touch).
One pass per query: the touches in the path, one aggregate per deal (path length, anchor positions, time
decay total), each touch's credit in cents rounded down, and the cents left over given to the touch
nearest the milestone, so the credits of a deal add up to its amount to the cent.

The path (PATH_RULES below, shown beside every attributed number):
- a deal's path is its lead's touches at or before the milestone (opportunity created, or won) and no
  more than `lookback_days` before it; later touches are ignored, earlier ones fall outside the window;
- touches at the same moment are ordered by touchpoint_id, the order they were recorded;
- anchors: first = the first touch of the path; lead conversion = the last touch at or before the lead
  became an MQL; opportunity creation = the last touch at or before the opportunity was created; close
  = the last touch of the path. An anchor whose moment comes before the path's first touch is the first
  touch. With the opportunity-created milestone, close and opportunity creation are the same touch.
- position models (U, W, full path): anchor shares that fall on one touch add up; the spread share is
  split evenly over the touches that are no anchor; when every touch is an anchor (one- and most
  two-touch paths) the anchors share everything in proportion to their weights. So one touch always
  gets 100%, and two touches holding the U-shaped anchors get 50/50.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from metrics.filters import Filters
from metrics.registry import Param, metric

MILESTONES = {"opportunity_created": "opportunity_created_at", "won": "won_at"}
MILESTONE_LABELS = {"opportunity_created": "opportunity created", "won": "won"}
# Level -> (integer key in mart_opportunity_touches, the columns it stands for).
LEVELS = {"channel": ("channel_key", ("channel",)),
          "campaign": ("campaign_key", ("channel", "campaign_id", "campaign_name"))}
MAX_LOOKBACK_DAYS = 730  # with a half-life of a day or more, no decay weight underflows to zero
UNATTRIBUTED = "(no touch in the lookback)"


@dataclass(frozen=True)
class Model:
    """A model's credit rule: anchor roles with weights in thousandths, and the share spread over the
    touches between them. Time decay has neither: its weights come from each touch's age."""

    name: str
    label: str
    anchors: tuple[tuple[str, int], ...] = ()
    spread: int = 0
    decay: bool = False


MODELS: dict[str, Model] = {m.name: m for m in (
    Model("first_touch", "First touch", (("first", 1000),)),
    Model("last_touch", "Last touch", (("close", 1000),)),
    Model("linear", "Linear", spread=1000),
    Model("u_shaped", "U-shaped (40/20/40)", (("first", 400), ("lead_conversion", 400)), 200),
    Model("w_shaped", "W-shaped (30/30/30 + 10)",
          (("first", 300), ("lead_conversion", 300), ("opportunity_creation", 300)), 100),
    Model("full_path", "Full path (22.5 × 4 + 10)",
          (("first", 225), ("lead_conversion", 225), ("opportunity_creation", 225), ("close", 225)), 100),
    Model("time_decay", "Time decay", decay=True),
)}
DEFAULT_MODEL = "w_shaped"
ANCHOR_LABELS = {"first": "First touch", "lead_conversion": "Lead conversion",
                 "opportunity_creation": "Opportunity creation", "close": "Close (last touch)"}

PATH_RULES = (
    "A deal's path is its lead's touches at or before the milestone and within the lookback window before "
    "it; later touches are ignored; touches at the same moment are ordered by touchpoint id. Anchors: the "
    "first touch; lead conversion = the last touch at or before the lead became an MQL; opportunity "
    "creation = the last touch at or before the opportunity was created; close = the last touch of the "
    "path (an anchor whose moment precedes the path is its first touch). Anchor shares on one touch add "
    "up; the spread share goes evenly to the other touches, or, when every touch is an anchor, the anchors "
    "share everything by weight: one touch gets 100%, two touches holding both U-shaped anchors 50/50. "
    "Credits are rounded down to the cent and the cents left over go to the last touch, so each deal's "
    "credits add up to its amount."
)
MODEL_RULES = (
    "Models: first touch and last touch 100%; linear 1/n; U-shaped 40% first, 40% lead conversion, 20% "
    "spread; W-shaped 30% each to first, lead conversion and opportunity creation, 10% spread; full path "
    "22.5% each to those and close, 10% spread; time decay weight 2^(-days before the milestone / "
    "half-life), normalised."
)

MODEL_PARAM = Param("model", str, DEFAULT_MODEL, "attribution model", tuple(MODELS))
MILESTONE_PARAM = Param("milestone", str, "won", "opportunity_created: pipeline; won: revenue", tuple(MILESTONES))
LOOKBACK_PARAM = Param("lookback_days", int, 365,
                       f"days before the milestone a touch still counts (1-{MAX_LOOKBACK_DAYS})")
HALF_LIFE_PARAM = Param("half_life_days", float, 7.0, "time decay: days for a touch's weight to halve (1-365)")
LEVEL_PARAM = Param("level", str, "campaign", "one row per channel or per campaign", tuple(LEVELS))
PATH_PARAMS = (LOOKBACK_PARAM, HALF_LIFE_PARAM)


def model_label(model: str, half_life_days: float = 7.0) -> str:
    """The model's name as shown beside a number: time decay carries its half-life."""
    label = MODELS[model].label
    return f"{label} ({half_life_days:g}-day half-life)" if MODELS[model].decay else label


def check_params(model: str | None = None, milestone: str | None = None, lookback_days: int = 365,
                 half_life_days: float = 7.0, level: str | None = None) -> None:
    """Raise ValueError naming the parameter and the value when one is out of range."""
    if model is not None and model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}.")
    if milestone is not None and milestone not in MILESTONES:
        raise ValueError(f"milestone must be one of {', '.join(MILESTONES)}; got {milestone!r}.")
    if not 1 <= lookback_days <= MAX_LOOKBACK_DAYS:
        raise ValueError(f"lookback_days must be between 1 and {MAX_LOOKBACK_DAYS}; got {lookback_days}.")
    if not 1 <= half_life_days <= 365:
        raise ValueError(f"half_life_days must be between 1 and 365; got {half_life_days}.")
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}.")


# --- the SQL ------------------------------------------------------------------------------------
#
# A position model's credits depend only on facts about the deal (path length, where its anchors sit), so
# they are computed once per deal in `deal_credits`: each anchor's credit and a middle touch's credit, in
# cents rounded down. A touch then looks its credit up by position, and a campaign's credit in a deal is its
# anchors' credits plus its other touches times the middle credit: no per-touch arithmetic. Time decay alone
# weighs every touch. The cents left over go to the deal's last touch.

# Where each anchor sits in the path (positions count from 1) and which key (campaign or channel) its touch has.
_ANCHOR_POSITION = {"first": "1", "lead_conversion": "lc", "opportunity_creation": "oc", "close": "n"}
_ANCHOR_KEY = {"first": "key_first", "lead_conversion": "key_lc", "opportunity_creation": "key_oc",
               "close": "key_close"}


def _model_columns(model: Model) -> list[str]:
    """Per deal (over `deals`): for each anchor role r, a_<m>_<r> its credit in cents and p_<m>_<r> whether it
    is the first role of the model on its touch (shared touches count once); m_<m> a middle touch's credit."""
    m, roles = model.name, model.anchors
    if model.decay:
        return []
    columns = []
    distinct = []
    for i, (role, _) in enumerate(roles):
        here = _ANCHOR_POSITION[role]
        earlier = [_ANCHOR_POSITION[r] for r, _ in roles[:i]]
        primary = f"({here} not in ({', '.join(earlier)}))" if earlier else "true"
        columns.append(f"{primary} as p_{m}_{role}")
        distinct.append(f"{primary}::int")
    middle = f"(n - ({' + '.join(distinct) or '0'}))"
    total = sum(units for _, units in roles)
    for role, _ in roles:
        # Anchor shares on one touch add up; with no touch between anchors they share all by weight.
        units = " + ".join(f"{u} * ({_ANCHOR_POSITION[r]} = {_ANCHOR_POSITION[role]})::int" for r, u in roles)
        columns.append(f"case when {middle} > 0 then amount_cents * ({units}) // 1000 "
                       f"else amount_cents * ({units}) // {total} end as a_{m}_{role}")
    columns.append(f"case when {middle} > 0 then amount_cents * {model.spread} // (1000 * {middle}) else 0 end "
                   f"as m_{m}")
    return columns


def _touch_floor_sql(model: Model) -> str:
    """A touch's credit in cents rounded down, over `position`, the deal `d` and the touch `p`."""
    if model.decay:
        return "floor(d.amount_cents * p.decay_weight / d.decay_total)::bigint"
    m = model.name
    where = {r: p if p == "1" else f"d.{p}" for r, p in _ANCHOR_POSITION.items()}
    lookups = " ".join(f"when position = {where[r]} then d.a_{m}_{r}" for r, _ in model.anchors)
    return f"case {lookups} else d.m_{m} end" if lookups else f"d.m_{m}"


def _key_floor_sql(model: Model) -> str:
    """A key's credit in cents within a deal (floors summed), over `touches` and the deal `d`."""
    if model.decay:
        return "decay_floor"
    m = model.name
    mine = [f"(d.p_{m}_{r} and d.{_ANCHOR_KEY[r]} = k.source_key)" for r, _ in model.anchors]
    anchors = " + ".join(f"case when {c} then d.a_{m}_{r} else 0 end" for c, (r, _) in zip(mine, model.anchors))
    anchored = " + ".join(f"{c}::int" for c in mine) or "0"
    return f"{anchors or '0'} + (k.touches - ({anchored})) * d.m_{m}"


def _path_ctes(f: Filters, milestone: str, models: tuple[str, ...], lookback_days: int, half_life_days: float,
               opportunity_id: str | None = None, key: str = "campaign_key") -> tuple[str, list]:
    """CTEs `path` (the touches in each deal's path, numbers only) and `deals` (one row per deal: amount,
    milestone, path length n, anchor positions lc and oc, the `key` of each anchor's touch, the decay total,
    and every model's per-deal credits, see _model_columns)."""
    check_params(milestone=milestone, lookback_days=lookback_days, half_life_days=half_life_days)
    for name in models:
        check_params(model=name)
    column = MILESTONES[milestone]
    if opportunity_id is None:
        dims, dim_params = replace(f, channels=()).dimension_sql("t")
        scope = f"t.{column} >= ?::timestamp and t.{column} < ?::timestamp{dims}"
        scope_params = [f.start, f.end_exclusive] + dim_params
    else:
        scope, scope_params = f"t.opportunity_id = ? and t.{column} is not null", [opportunity_id]
    credits = [c for m in models for c in _model_columns(MODELS[m])]
    roles = {role for m in models for role, _ in MODELS[m].anchors}
    # Work only the chosen models need: decay weights, and which key sits at the conversion anchors.
    weight = (f"pow(2.0, -epoch(t.{column} - t.touched_at) / 86400.0 / ?)" if any(MODELS[m].decay for m in models)
              else "0.0 * ?")
    key_lc = ("arg_max(source_key, touch_number) filter (where is_by_conversion)"
              if "lead_conversion" in roles else "null")
    key_oc = ("arg_max(source_key, touch_number) filter (where is_by_creation)"
              if "opportunity_creation" in roles else "null")
    # The path carries numbers and flags only: it is materialised once and read twice.
    sql = f"""
with

path as (
    select
        t.deal_key, t.touchpoint_id, t.touch_number, t.{key} as source_key, t.is_by_conversion, t.is_by_creation,
        {weight} as decay_weight
    from mart_opportunity_touches as t
    where {scope} and t.touched_at <= t.{column} and t.touched_at >= t.{column} - to_days(?::integer)
),

deal_facts as (
    select
        deal_key,
        min(touch_number) - 1 as offset_in_lead_path,
        count(*) as n,
        count(*) filter (where is_by_conversion) as lc_count,
        count(*) filter (where is_by_creation) as oc_count,
        arg_min(source_key, touch_number) as key_first,
        arg_max(source_key, touch_number) as key_close,
        {key_lc} as key_lc_raw,
        {key_oc} as key_oc_raw,
        sum(decay_weight) as decay_total
    from path
    group by deal_key
),

deals as (
    select
        * exclude (lc_count, oc_count, key_lc_raw, key_oc_raw),
        -- An anchor whose moment comes before the path's first touch is that first touch.
        greatest(1, lc_count) as lc,
        greatest(1, oc_count) as oc,
        coalesce(key_lc_raw, key_first) as key_lc,
        coalesce(key_oc_raw, key_first) as key_oc{''.join(f",{chr(10)}        {c}" for c in credits)}
    from (
        select f.*, o.amount_cents, o.{column} as milestone_at
        from deal_facts as f inner join mart_opportunities as o using (deal_key)
    )
)
"""
    return sql, [float(half_life_days)] + scope_params + [int(lookback_days)]


def credited_touches(f: Filters, milestone: str, models: tuple[str, ...], lookback_days: int,
                     half_life_days: float, opportunity_id: str | None = None) -> tuple[str, list]:
    """CTEs ending in `credited`: one row per touch in a deal's path with `credit_<model>` in cents.

    Deals: milestone inside the date range and the filters' segment, region and team (the channel filter
    selects credited rows later, so a channel's credit never depends on which channels are shown); or,
    with `opportunity_id`, that one deal whatever the filters. Columns: deal_key, touchpoint_id, source_key
    (the campaign key), amount_cents, n (path length), lc, oc (anchor positions), position, and per model
    credit_<model> (bigint cents). The credits of a deal sum to its amount_cents exactly: the cents left
    after rounding down go to the last touch.
    """
    ctes, params = _path_ctes(f, milestone, models, lookback_days, half_life_days, opportunity_id)
    floors = ",\n        ".join(f"{_touch_floor_sql(MODELS[m])} as floor_{m}" for m in models)
    rests = ", ".join(f"any_value(amount_cents) - sum(floor_{m}) as rest_{m}" for m in models)
    credits = ", ".join(f"(c.floor_{m} + case when c.position = c.n then r.rest_{m} else 0 end)::bigint "
                        f"as credit_{m}" for m in models)
    sql = f"""{ctes},

floored as (
    select
        p.deal_key, p.touchpoint_id, p.source_key, d.amount_cents, d.n, d.lc, d.oc,
        p.touch_number - d.offset_in_lead_path as position,
        {floors}
    from path as p
    inner join deals as d using (deal_key)
),

rests as (select deal_key, {rests} from floored group by deal_key),

credited as (
    select c.* exclude ({', '.join(f'floor_{m}' for m in models)}), {credits}
    from floored as c
    inner join rests as r using (deal_key)
)
"""
    return sql, params


def credited_by_key(f: Filters, milestone: str, models: tuple[str, ...], key: str, lookback_days: int,
                    half_life_days: float) -> tuple[str, list]:
    """CTEs ending in `credited_keys`: one row per deal and `key` (campaign_key or channel_key) in its path,
    with `credit_<model>` in cents, `touches`, `amount_cents`, the deal's `milestone_at` and `path_length`.

    The same credits as credited_touches summed per deal and key, from the per-deal credits (no per-touch
    arithmetic but time decay's); the cents left after rounding down go to the key of the deal's last touch.
    """
    ctes, params = _path_ctes(f, milestone, models, lookback_days, half_life_days, key=key)
    decay = any(MODELS[m].decay for m in models)
    # Only time decay needs each touch's weight against its deal's total.
    touches = "select deal_key, source_key from path"
    if decay:
        touches = ("select p.deal_key, p.source_key, floor(d.amount_cents * p.decay_weight / d.decay_total)::bigint "
                   "as decay_floor from path as p inner join deals as d using (deal_key)")
    decay_sum = ", sum(decay_floor) as decay_floor" if decay else ""
    floors = ", ".join(f"{_key_floor_sql(MODELS[m])} as floor_{m}" for m in models)
    rests = ", ".join(f"any_value(amount_cents) - sum(floor_{m}) as rest_{m}" for m in models)
    credits = ", ".join(f"(k.floor_{m} + case when k.source_key = k.key_close then r.rest_{m} else 0 end)::bigint "
                        f"as credit_{m}" for m in models)
    sql = f"""{ctes},

key_touches as (
    select deal_key, source_key, count(*) as touches{decay_sum}
    from ({touches}) group by deal_key, source_key
),

per_key as (
    select k.deal_key, k.source_key, k.touches, d.amount_cents, d.milestone_at, d.n as path_length, d.key_close,
           {floors}
    from key_touches as k
    inner join deals as d using (deal_key)
),

rests as (select deal_key, {rests} from per_key group by deal_key),

credited_keys as (
    select k.deal_key, k.source_key, k.amount_cents, k.milestone_at, k.path_length, k.touches, {credits}
    from per_key as k
    inner join rests as r using (deal_key)
)
"""
    return sql, params


def key_names(level: str) -> str:
    """SQL for the names behind a level's integer key: source_key and the level's columns."""
    key, columns = LEVELS[level]
    return (f"select {key} as source_key, {', '.join(f'any_value({c}) as {c}' for c in columns)} "
            f"from mart_touch_sources group by {key}")


def _channel_filter(f: Filters, alias: str = "") -> tuple[str, list]:
    """`and channel = any(?)` for credited rows (joined to their names) when the channel filter is set."""
    if not f.channels:
        return "", []
    prefix = f"{alias}." if alias else ""
    return f" and {prefix}channel = any(?::varchar[])", [list(f.channels)]


def unattributed(cur, f: Filters, milestone: str, lookback_days: int) -> tuple[int, float]:
    """(deals, amount) in scope with no touch in their path: no model can credit them to anyone."""
    column = MILESTONES[milestone]
    dims, dim_params = replace(f, channels=()).dimension_sql("o")
    sql = f"""
        select count(*), coalesce(sum(o.amount), 0)
        from mart_opportunities as o
        where o.{column} >= ?::timestamp and o.{column} < ?::timestamp{dims}
          and o.deal_key not in (
              select t.deal_key from mart_opportunity_touches as t
              where t.{column} >= ?::timestamp and t.{column} < ?::timestamp and t.touched_at <= t.{column}
                and t.touched_at >= t.{column} - to_days(?::integer))
    """
    params = [f.start, f.end_exclusive] + dim_params + [f.start, f.end_exclusive, int(lookback_days)]
    deals, amount = cur.execute(sql, params).fetchone()
    return int(deals), float(amount)


def credit_by(cur, f: Filters, milestone: str, models: tuple[str, ...], level: str, lookback_days: int,
              half_life_days: float) -> pd.DataFrame:
    """Credit per channel or campaign and model. Columns: the level's columns (channel; or channel,
    campaign_id, campaign_name), credited_<m> (dollars), deals_<m> (the sum of the deal shares: deals
    credited, fractional), deals_touched (deals with a touch of it in the path), touches."""
    key, columns = LEVELS[level]
    ctes, params = credited_by_key(f, milestone, models, key, lookback_days, half_life_days)
    where, where_params = _channel_filter(f, "n")
    sums = ", ".join(f"sum(credit_{m}) / 100.0 as credited_{m}, "
                     f"sum(credit_{m} / nullif(amount_cents, 0)) as deals_{m}" for m in models)
    sql = f"""{ctes},
per_source as (
    select source_key, {sums}, count(*) as deals_touched, sum(touches) as touches
    from credited_keys group by source_key
),
names as ({key_names(level)})
select n.* exclude (source_key), p.* exclude (source_key)
from per_source as p inner join names as n using (source_key)
where true{where}
order by {", ".join(f"n.{c}" for c in columns)}"""
    frame = cur.execute(sql, params + where_params).df()
    for m in models:
        frame[f"deals_{m}"] = frame[f"deals_{m}"].fillna(0.0)
    frame["touches"] = frame["touches"].astype("int64")
    return frame


# --- metrics ------------------------------------------------------------------------------------

_DEAL_SCOPE = (" Deals: those whose milestone (opportunity created for pipeline, won for revenue) falls in "
               "the date range, of the segment, region and team filtered; the channel filter only hides "
               "other channels' rows.")

ATTRIBUTION_COLUMNS = ("channel", "campaign_id", "campaign_name", "credited_amount", "credited_deals",
                       "deals_touched", "touches", "share_of_credited", "is_unattributed", "model", "model_label",
                       "milestone")


@metric(
    name="attribution_credit",
    label="Attributed pipeline or revenue",
    definition="Each deal's amount split over the touches of its path by the chosen model, summed per channel "
    "or campaign: pipeline with the opportunity-created milestone, revenue with the won milestone. Credited "
    "deals = the sum of the campaign's shares of each deal. Deals with no touch in the lookback stay "
    "unattributed, in a row of their own. " + MODEL_RULES + " " + PATH_RULES + _DEAL_SCOPE,
    grain="one row per channel or per campaign, plus the unattributed deals",
    owner="shared",
    format="currency",
    area="attribution",
    params=(MODEL_PARAM, MILESTONE_PARAM, LEVEL_PARAM) + PATH_PARAMS,
)
def attribution_credit(cur, f: Filters, model: str = DEFAULT_MODEL, milestone: str = "won", level: str = "campaign",
                       lookback_days: int = 365, half_life_days: float = 7.0) -> pd.DataFrame:
    check_params(model, milestone, lookback_days, half_life_days, level)
    frame = credit_by(cur, f, milestone, (model,), level, lookback_days, half_life_days)
    frame = frame.rename(columns={f"credited_{model}": "credited_amount", f"deals_{model}": "credited_deals"})
    frame["is_unattributed"] = False
    if not f.channels:
        deals, amount = unattributed(cur, f, milestone, lookback_days)
        if deals:
            row = {"channel": UNATTRIBUTED, "campaign_id": None, "campaign_name": UNATTRIBUTED,
                   "credited_amount": amount, "credited_deals": float(deals), "deals_touched": deals, "touches": 0,
                   "is_unattributed": True}
            frame = pd.concat([frame, pd.DataFrame([{k: row[k] for k in frame.columns}])], ignore_index=True)
    total = frame.loc[~frame["is_unattributed"], "credited_amount"].sum()
    share = frame["credited_amount"] / total if total else pd.Series(np.nan, index=frame.index, dtype="float64")
    frame["share_of_credited"] = share.where(~frame["is_unattributed"])
    frame["model"], frame["model_label"] = model, model_label(model, half_life_days)
    frame["milestone"] = milestone
    for key in ("campaign_id", "campaign_name"):
        if key not in frame:
            frame[key] = None
    return frame[list(ATTRIBUTION_COLUMNS)].sort_values(
        ["is_unattributed", "credited_amount"], ascending=[True, False]).reset_index(drop=True)


PATH_COLUMNS = ("touch_number", "touchpoint_id", "touched_at", "channel", "campaign_name", "touch_type",
                "content_asset", "status", "position", "roles", "credit", "share", "amount", "milestone_at",
                "model_label")


@metric(
    name="attribution_path",
    label="One deal's touch path",
    definition="Every touch on one opportunity's lead up to its close, in order, with its position in the path, "
    "the anchor roles it holds and its credit under the chosen model and milestone; touches after the "
    "milestone or before the lookback window get nothing and say why. One deal, whatever the filters. "
    + PATH_RULES,
    grain="one row per touch on the opportunity's lead",
    owner="shared",
    format="table",
    area="attribution",
    params=(Param("opportunity_id", str, "", "the opportunity to show"), MODEL_PARAM, MILESTONE_PARAM) + PATH_PARAMS,
)
def attribution_path(cur, f: Filters, opportunity_id: str = "", model: str = DEFAULT_MODEL, milestone: str = "won",
                     lookback_days: int = 365, half_life_days: float = 7.0) -> pd.DataFrame:
    check_params(model, milestone, lookback_days, half_life_days)
    column = MILESTONES[milestone]
    touches = cur.execute(
        f"select touch_number, touchpoint_id, touched_at, channel, campaign_name, touch_type, content_asset, "
        f"amount_cents / 100.0 as amount, {column} as milestone_at from mart_opportunity_touches "
        f"where opportunity_id = ? order by touch_number", [opportunity_id]).df()
    ctes, params = credited_touches(f, milestone, (model,), lookback_days, half_life_days, opportunity_id)
    credited = cur.execute(f"{ctes} select touchpoint_id, position, n, lc, oc, credit_{model} / 100.0 as credit "
                           f"from credited", params).df()
    out = touches.merge(credited, on="touchpoint_id", how="left")
    out["status"] = _path_status(out, lookback_days)
    out["roles"] = [_roles(MODELS[model], row) for row in out.itertuples()]
    out["credit"] = out["credit"].fillna(0.0)
    out["share"] = (out["credit"] / out["amount"]).where(out["amount"] > 0)
    out["position"] = out["position"].astype("Int64")
    out["model_label"] = model_label(model, half_life_days)
    return out[list(PATH_COLUMNS)]


def _path_status(path: pd.DataFrame, lookback_days: int) -> list[str]:
    statuses = []
    for row in path.itertuples():
        if pd.isna(row.milestone_at):
            statuses.append("no milestone yet")
        elif row.touched_at > row.milestone_at:
            statuses.append("after the milestone: ignored")
        elif pd.isna(row.position):
            statuses.append(f"more than {lookback_days} days before the milestone: outside the lookback")
        else:
            statuses.append("in the path")
    return statuses


def _roles(model: Model, row) -> str:
    """The model's anchor roles a touch holds, in the model's order ('' for a touch between anchors)."""
    if pd.isna(row.position):
        return ""
    where = {"first": 1, "lead_conversion": row.lc, "opportunity_creation": row.oc, "close": row.n}
    return ", ".join(ANCHOR_LABELS[role] for role, _ in model.anchors if where[role] == row.position)


COMPARISON_TOP = Param("disputed", int, 5, "how many rows to flag as the ones the models disagree on most")


@metric(
    name="attribution_comparison",
    label="Attribution model comparison",
    definition="Every model's credited amount per channel or campaign side by side, with each row's share of "
    "the credited total under each model. Disagreement = the largest minus the smallest of those shares (in "
    "percentage points); the rows with the widest disagreement are flagged, with the model furthest from the "
    "median of the others (the one result not to move budget on alone). " + MODEL_RULES + " " + PATH_RULES
    + _DEAL_SCOPE,
    grain="one row per channel or per campaign",
    owner="shared",
    format="table",
    area="attribution",
    params=(MILESTONE_PARAM, LEVEL_PARAM) + PATH_PARAMS + (COMPARISON_TOP,),
)
def attribution_comparison(cur, f: Filters, milestone: str = "won", level: str = "campaign",
                           lookback_days: int = 365, half_life_days: float = 7.0, disputed: int = 5) -> pd.DataFrame:
    check_params(milestone=milestone, lookback_days=lookback_days, half_life_days=half_life_days, level=level)
    models = tuple(MODELS)
    frame = credit_by(cur, f, milestone, models, level, lookback_days, half_life_days)
    credits = frame[[f"credited_{m}" for m in models]].to_numpy(dtype="float64")
    totals = credits.sum(axis=0)
    shares = credits / np.where(totals > 0, totals, np.nan)
    for i, m in enumerate(models):
        frame[f"share_{m}"] = shares[:, i]
    frame["min_credit"] = credits.min(axis=1) if len(frame) else []
    frame["max_credit"] = credits.max(axis=1) if len(frame) else []
    frame["disagreement_pts"] = (np.nanmax(shares, axis=1) - np.nanmin(shares, axis=1)) * 100 if len(frame) else []
    frame["outlier_model"] = [models[i] for i in _outliers(shares)]
    ranked = frame["disagreement_pts"].rank(ascending=False, method="first")
    frame["is_disputed"] = (ranked <= disputed) & (frame["disagreement_pts"] > 0)
    frame["milestone"] = milestone
    columns = [c for c in ("channel", "campaign_id", "campaign_name") if c in frame]
    return frame.drop(columns=[f"deals_{m}" for m in models]).sort_values(
        ["disagreement_pts"] + columns, ascending=[False] + [True] * len(columns)).reset_index(drop=True)


def _outliers(shares: np.ndarray) -> np.ndarray:
    """Per row, the model whose share lies furthest from the median of the other models' shares."""
    n_models = shares.shape[1]
    if not len(shares):
        return np.array([], dtype=int)
    distance = np.empty_like(shares)
    for i in range(n_models):
        others = np.delete(shares, i, axis=1)
        distance[:, i] = np.abs(shares[:, i] - np.median(others, axis=1))
    return np.nanargmax(np.nan_to_num(distance, nan=-1.0), axis=1)


ALL_CHANNELS = "All channels"
_SOURCED_MEASURES = {"opportunity_created": "pipeline", "won": "revenue"}


@metric(
    name="marketing_sourced_influenced",
    label="Marketing-sourced and influenced",
    definition="Pipeline (opportunities created in the date range) and revenue (won in it), two ways, side by "
    "side and never summed. Marketing-sourced: the lead's first touch happened at or before the lead was "
    "created (a marketing touch brought it in); by channel, the channel of that touch, so channels add up to "
    "the total. Marketing-influenced: at least one marketing touch in the lookback window before the milestone "
    "(creation for pipeline, won for revenue); by channel, deals with a touch of that channel, so a deal counts "
    "under every channel that touched it and channels do not add up. Sourced is a subset of influenced when "
    "the first touch falls in the lookback. All channels: every deal in scope." + _DEAL_SCOPE,
    grain="one row for all channels, then one per channel",
    owner="marketing",
    format="currency",
    area="attribution",
    params=(LOOKBACK_PARAM,),
)
def marketing_sourced_influenced(cur, f: Filters, lookback_days: int = 365) -> pd.DataFrame:
    check_params(lookback_days=lookback_days)
    parts = [_sourced_influenced_counts(cur, f, milestone, lookback_days) for milestone in MILESTONES]
    frame = pd.concat(parts, ignore_index=True)
    wide = frame.pivot_table(index="channel", columns=["measure", "kind"], values=["deals", "amount"],
                             aggfunc="sum", fill_value=0, sort=False)
    out = pd.DataFrame({"channel": wide.index})
    for measure in _SOURCED_MEASURES.values():
        total = frame.loc[(frame["measure"] == measure) & (frame["kind"] == "total"), "amount"].sum()
        for kind in ("sourced", "influenced"):
            key = ("amount", measure, kind)
            out[f"{kind}_{measure}"] = wide[key].to_numpy() if key in wide else 0.0
            deals = ("deals", measure, kind)
            out[f"{kind}_{measure}_deals"] = wide[deals].to_numpy().astype("int64") if deals in wide else 0
            out[f"{kind}_{measure}_share"] = out[f"{kind}_{measure}"] / total if total else np.nan
        out[f"total_{measure}"] = total
    if f.channels:
        out = out[out["channel"].isin((ALL_CHANNELS,) + f.channels)]
    order = (out["channel"] != ALL_CHANNELS).astype(int)
    return out.assign(_order=order).sort_values(["_order", "influenced_revenue", "channel"],
                                                ascending=[True, False, True]).drop(columns="_order") \
        .reset_index(drop=True)


def _sourced_influenced_counts(cur, f: Filters, milestone: str, lookback_days: int) -> pd.DataFrame:
    """Long rows (measure, kind, channel, deals, amount); kind is sourced, influenced or total."""
    column = MILESTONES[milestone]
    dims, dim_params = replace(f, channels=()).dimension_sql("t")
    window = f"t.{column} >= ?::timestamp and t.{column} < ?::timestamp{dims}"
    window_params = [f.start, f.end_exclusive] + dim_params
    sql = f"""
with

touches as (
    select t.deal_key, t.channel_key, t.channel, t.amount_cents, t.touch_number, t.touched_at, t.lead_created_at,
           t.{column} as milestone_at
    from mart_opportunity_touches as t
    where {window}
),

sourced as (
    select deal_key, channel, amount_cents from touches where touch_number = 1 and touched_at <= lead_created_at
),

influenced as (
    select deal_key, channel_key, any_value(channel) as channel, any_value(amount_cents) as amount_cents
    from touches
    where touched_at <= milestone_at and touched_at >= milestone_at - to_days(?::integer)
    group by deal_key, channel_key
),

influenced_deals as (
    select deal_key, any_value(amount_cents) as amount_cents from influenced group by deal_key
),

final as (
    select 'sourced' as kind, channel, count(*) as deals, sum(amount_cents) as cents from sourced group by channel
    union all
    select 'sourced', '{ALL_CHANNELS}', count(*), sum(amount_cents) from sourced
    union all
    select 'influenced', channel, count(*), sum(amount_cents) from influenced group by channel
    union all
    select 'influenced', '{ALL_CHANNELS}', count(*), sum(amount_cents) from influenced_deals
    union all
    select 'total', '{ALL_CHANNELS}', count(*), sum(t.amount_cents)
    from mart_opportunities as t where {window}
)

select kind, channel, deals, coalesce(cents, 0) / 100.0 as amount from final
"""
    frame = cur.execute(sql, window_params + [int(lookback_days)] + window_params).df()
    frame["measure"] = _SOURCED_MEASURES[milestone]
    return frame
