"""Attribution: how much of each deal's amount each channel and campaign earned, under a named model.

Every model runs in SQL inside DuckDB over mart_opportunity_touches (one row per opportunity per touch) and
mart_path_anchors (where each deal's anchors sit). One pass per query: the touches in the path, one aggregate
per deal (where its path starts, the time decay total), each touch's credit in cents rounded down, and the
cents left over given to the touch nearest the milestone, so the credits of a deal add up to its amount to
the cent.

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

from collections.abc import Sequence
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
# A deal's path is a run of touch_numbers ending where its milestone's does (mart_path_anchors), so one small
# aggregate per deal, the path's first touch_number, places it: its length and anchor positions. A position
# model's credits depend only on those, so they are computed once per deal: each anchor's credit and a middle
# touch's credit in cents rounded down, and the last touch's credit with the cents left over. A touch then
# looks its credit up by position. Time decay alone weighs every touch and needs a second per-deal sum, of its
# rounded-down credits.

# Where each anchor sits in the path (positions count from 1).
_ANCHOR_POSITION = {"first": "1", "lead_conversion": "lc", "opportunity_creation": "oc", "close": "n"}
# Milestone -> the mart_path_anchors column holding the touch_number its path ends at.
_PATH_END = {"opportunity_created": "creation_touches", "won": "won_touches"}
# Milestone -> the mart_path_anchors column holding the moment of the last touch at or before it.
_LAST_TOUCH_AT = {"opportunity_created": "creation_touched_at", "won": "won_touched_at"}
# A touch's time decay credit in cents rounded down (over the touch's weight and its deal's total).
_DECAY_FLOOR = "floor(amount_cents * decay_weight / decay_total)::bigint"
# Key -> the mart column holding the touch_number of the deal's previous touch with the same key.
_PREVIOUS_TOUCH = {"campaign_key": "prev_campaign_touch", "channel_key": "prev_channel_touch"}


def _deal_credit_stages(model: Model) -> list[list[str]]:
    """Per deal (over n, lc, oc, amount_cents), in cents, each stage reading the columns of the ones before:
    <m>_between the touches between anchors; <m>_middle such a touch's credit; <m>_<role> each anchor's
    credit; <m>_last the last touch's credit plus the cents the rounding left over. Kept in stages so the SQL
    stays small: planning a large expression costs more than running it on a deal a row."""
    m, positions = model.name, [_ANCHOR_POSITION[role] for role, _ in model.anchors]

    def units_at(position: str) -> str:  # anchor shares on one touch add up
        return " + ".join(f"{units} * ({_ANCHOR_POSITION[role]} = {position})::int" for role, units in model.anchors)

    # An anchor position counts once however many roles sit on it.
    distinct = [f"({p} not in ({', '.join(positions[:i])}))::int" if i else "1" for i, p in enumerate(positions)]
    between = f"n - ({' + '.join(distinct) or '0'}) as {m}_between"
    middle = (f"case when {m}_between > 0 then amount_cents * {model.spread} // (1000 * {m}_between) else 0 end "
              f"as {m}_middle")
    if not model.anchors:
        return [[between], [middle], [f"{m}_middle + amount_cents - {m}_between * {m}_middle as {m}_last"]]
    # With no touch between anchors, the anchors share everything by weight.
    divisor = f"case when {m}_between > 0 then 1000 else {sum(units for _, units in model.anchors)} end"
    roles = [f"amount_cents * ({units_at(_ANCHOR_POSITION[role])}) // {divisor} as {m}_{role}"
             for role, _ in model.anchors]
    handed_out = " + ".join(f"{d} * {m}_{role}" for d, (role, _) in zip(distinct, model.anchors))
    last = (f"case when {units_at('n')} > 0 then amount_cents * ({units_at('n')}) // {divisor} else {m}_middle end "
            f"+ amount_cents - ({handed_out}) - {m}_between * {m}_middle as {m}_last")
    return [[between], [middle] + roles, [last]]


def _staged(stages: list[list[str]], source: str) -> str:
    """`source` with each stage's columns added in turn (a stage may read the columns of earlier ones)."""
    for stage in stages:
        source = f"select *, {', '.join(stage)} from ({source})"
    return source


def _touch_credit_sql(model: Model) -> str:
    """A touch's credit in cents, over the touch joined to its deal's credits: looked up by its position."""
    m = model.name
    if model.decay:
        return f"({_DECAY_FLOOR} + case when position = n then decay_rest else 0 end)::bigint as credit_time_decay"
    anchors = " ".join(f"when position = {_ANCHOR_POSITION[role]} then {m}_{role}" for role, _ in model.anchors)
    return f"(case when position = n then {m}_last {anchors} else {m}_middle end)::bigint as credit_{m}"


def credited_touches(f: Filters, milestone: str, models: tuple[str, ...], lookback_days: int,
                     half_life_days: float, opportunity_id: str | None = None,
                     key: str = "campaign_key") -> tuple[str, list]:
    """CTEs ending in `credited`: one row per touch in a deal's path with `credit_<model>` in cents.

    Deals: milestone inside the date range and the filters' segment, region and team (the channel filter
    selects credited rows later, so a channel's credit never depends on which channels are shown); or,
    with `opportunity_id`, that one deal whatever the filters. Columns: deal_key, touchpoint_id, source_key
    (the touch's `key`: campaign_key or channel_key), opens_key (the first touch of that key in the deal's
    path), amount_cents, milestone_at, milestone_month (its month, truncated once per deal), n (path length),
    lc, oc (anchor positions), position, and per model credit_<model> (bigint cents). The credits of a deal
    sum to its amount_cents exactly: the cents left after rounding down go to the last touch.
    """
    check_params(milestone=milestone, lookback_days=lookback_days, half_life_days=half_life_days)
    for name in models:
        check_params(model=name)
    column, end = MILESTONES[milestone], _PATH_END[milestone]
    if opportunity_id is None:
        dims, dim_params = replace(f, channels=()).dimension_sql("t")
        scope = f"t.{column} >= ?::timestamp and t.{column} < ?::timestamp{dims}"
        scope_params = [f.start, f.end_exclusive] + dim_params
    else:
        scope, scope_params = f"t.opportunity_id = ? and t.{column} is not null", [opportunity_id]
    position_models = [MODELS[m] for m in models if not MODELS[m].decay]
    stages = [[c for columns in stage for c in columns]
              for stage in zip(*(_deal_credit_stages(model) for model in position_models))]
    decay = len(position_models) < len(models)
    # Work only time decay needs: each touch's weight, the deal's total, and what its rounding left over.
    weight, weight_params, total, total_sum, rests, rest_join = "", [], "", "", "", ""
    if decay:
        weight = f",\n        pow(2.0, -epoch(t.{column} - t.touched_at) / 86400.0 / ?) as decay_weight"
        weight_params = [float(half_life_days)]
        total, total_sum = ", d.decay_total", ", sum(decay_weight) as decay_total"
        rests = f"""

decay_rests as (
    select p.deal_key, any_value(d.amount_cents) - sum({_DECAY_FLOOR}) as decay_rest
    from path as p
    inner join deals as d using (deal_key)
    group by p.deal_key
),"""
        rest_join = "\n    inner join decay_rests using (deal_key)"
    sql = f"""
with

path as (
    select
        t.deal_key, t.touchpoint_id, t.{key} as source_key, t.touch_number,
        t.{_PREVIOUS_TOUCH[key]} as previous_touch{weight}
    from mart_opportunity_touches as t
    where {scope} and t.touched_at <= t.{column} and t.touched_at >= t.{column} - to_days(?::integer)
),

-- An anchor whose moment comes before the path's first touch is that first touch.
deals as (
    select
        d.deal_key, d.path_offset, o.amount_cents, o.{column} as milestone_at,
        date_trunc('month', o.{column}) as milestone_month{total},
        a.{end} - d.path_offset as n,
        greatest(1, least(a.conversion_touches, a.{end}) - d.path_offset) as lc,
        greatest(1, least(a.creation_touches, a.{end}) - d.path_offset) as oc
    from (select deal_key, min(touch_number) - 1 as path_offset{total_sum} from path group by deal_key) as d
    inner join mart_opportunities as o using (deal_key)
    inner join mart_path_anchors as a using (deal_key)
),{rests}

deal_credits as ({_staged(stages, f"select * from deals{rest_join}")}),

credited as (
    select
        deal_key, touchpoint_id, source_key, opens_key, amount_cents, milestone_at, milestone_month, n, lc, oc,
        position,
        {f",{chr(10)}        ".join(_touch_credit_sql(MODELS[m]) for m in models)}
    from (
        select p.*, p.previous_touch <= d.path_offset as opens_key, p.touch_number - d.path_offset as position,
               d.* exclude (deal_key)
        from path as p
        inner join deal_credits as d using (deal_key)
    )
)
"""
    return sql, weight_params + scope_params + [int(lookback_days)]


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
    """(deals, amount) in scope with no touch in their path: no model can credit them to anyone. A deal has a
    path when its last touch at or before the milestone lies inside the lookback."""
    column = MILESTONES[milestone]
    last_touch = _LAST_TOUCH_AT[milestone]
    dims, dim_params = replace(f, channels=()).dimension_sql("o")
    sql = f"""
        select count(*), coalesce(sum(o.amount), 0)
        from mart_opportunities as o
        left join mart_path_anchors as a using (deal_key)
        where o.{column} >= ?::timestamp and o.{column} < ?::timestamp{dims}
          and not coalesce(a.{last_touch} >= o.{column} - to_days(?::integer), false)
    """
    deals, amount = cur.execute(sql, [f.start, f.end_exclusive] + dim_params + [int(lookback_days)]).fetchall()[0]
    return int(deals), float(amount)


def credit_by(cur, f: Filters, milestone: str, models: tuple[str, ...], level: str, lookback_days: int,
              half_life_days: float) -> pd.DataFrame:
    """Credit per channel or campaign and model. Columns: the level's columns (channel; or channel,
    campaign_id, campaign_name), credited_<m> (dollars), deals_<m> (the sum of the deal shares: deals
    credited, fractional), deals_touched (deals with a touch of it in the path), touches."""
    return credit_by_milestones(cur, f, (milestone,), models, level, lookback_days, half_life_days)[milestone]


def credit_by_milestones(cur, f: Filters, milestones: Sequence[str], models: tuple[str, ...], level: str,
                         lookback_days: int, half_life_days: float) -> dict[str, pd.DataFrame]:
    """credit_by's frame for each milestone, all read in one statement (a statement each costs a round trip
    and a plan more, and DuckDB can run the milestones' pipelines side by side)."""
    key, columns = LEVELS[level]
    where, where_params = _channel_filter(f, "n")
    sums = ", ".join(f"sum(credit_{m}) / 100.0 as credited_{m}, "
                     f"sum(credit_{m} / nullif(amount_cents, 0)) as deals_{m}" for m in models)
    parts, params = [], []
    for k, milestone in enumerate(milestones):
        ctes, cte_params = credited_touches(f, milestone, models, lookback_days, half_life_days, key=key)
        parts.append(f"""select {k} as part, * from ({ctes},
per_source as (
    select source_key, {sums}, count(*) filter (where opens_key) as deals_touched, count(*) as touches
    from credited group by source_key
),
names as ({key_names(level)})
select n.* exclude (source_key), p.* exclude (source_key)
from per_source as p inner join names as n using (source_key)
where true{where})""")
        params += cte_params + where_params
    sql = "\nunion all\n".join(parts) + f"\norder by part, {', '.join(columns)}"
    frame = cur.execute(sql, params).df()
    for m in models:
        frame[f"deals_{m}"] = frame[f"deals_{m}"].fillna(0.0)
    frame["touches"] = frame["touches"].astype("int64")
    in_part = frame.pop("part").to_numpy()
    return {milestone: frame[in_part == k].reset_index(drop=True) for k, milestone in enumerate(milestones)}


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
    "the first touch falls in the lookback. All channels: every deal in scope; beside it, how many deals are in "
    "scope and how many have any marketing touch at or before the milestone, whatever the lookback (with none, "
    "no touch is loaded for them and nothing can be credited to marketing)." + _DEAL_SCOPE,
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
        for kind in ("total", "touched"):
            out[f"{kind}_{measure}_deals"] = int(frame.loc[(frame["measure"] == measure) & (frame["kind"] == kind),
                                                           "deals"].sum())
    if f.channels:
        out = out[out["channel"].isin((ALL_CHANNELS,) + f.channels)]
    order = (out["channel"] != ALL_CHANNELS).astype(int)
    return out.assign(_order=order).sort_values(["_order", "influenced_revenue", "channel"],
                                                ascending=[True, False, True]).drop(columns="_order") \
        .reset_index(drop=True)


def _sourced_influenced_counts(cur, f: Filters, milestone: str, lookback_days: int) -> pd.DataFrame:
    """Long rows (measure, kind, channel, deals, amount); kind is sourced, influenced, touched or total."""
    column = MILESTONES[milestone]
    dims, dim_params = replace(f, channels=()).dimension_sql("t")
    window = f"t.{column} >= ?::timestamp and t.{column} < ?::timestamp{dims}"
    window_params = [f.start, f.end_exclusive] + dim_params
    # Channels travel as their integer key; names are joined to the few result rows.
    sql = f"""
with

touches as (
    select t.deal_key, t.channel_key, t.amount_cents, t.touch_number, t.touched_at, t.lead_created_at,
           t.{column} as milestone_at
    from mart_opportunity_touches as t
    where {window}
),

sourced as (
    select deal_key, channel_key, amount_cents from touches where touch_number = 1 and touched_at <= lead_created_at
),

influenced as (
    select deal_key, channel_key, any_value(amount_cents) as amount_cents
    from touches
    where touched_at <= milestone_at and touched_at >= milestone_at - to_days(?::integer)
    group by deal_key, channel_key
),

influenced_deals as (
    select deal_key, any_value(amount_cents) as amount_cents from influenced group by deal_key
),

per_channel as (
    select 'sourced' as kind, channel_key, count(*) as deals, sum(amount_cents) as cents from sourced group by all
    union all
    select 'influenced', channel_key, count(*), sum(amount_cents) from influenced group by all
),

names as ({key_names("channel")}),

final as (
    select p.kind, n.channel, p.deals, p.cents
    from per_channel as p inner join names as n on n.source_key = p.channel_key
    union all
    select 'sourced', '{ALL_CHANNELS}', count(*), sum(amount_cents) from sourced
    union all
    select 'influenced', '{ALL_CHANNELS}', count(*), sum(amount_cents) from influenced_deals
    union all
    -- A deal's first touch is at or before its milestone if any touch is, whatever the lookback.
    select 'touched', '{ALL_CHANNELS}', count(*), sum(amount_cents)
    from touches where touch_number = 1 and touched_at <= milestone_at
    union all
    select 'total', '{ALL_CHANNELS}', count(*), sum(t.amount_cents)
    from mart_opportunities as t where {window}
)

select kind, channel, deals, coalesce(cents, 0) / 100.0 as amount from final
"""
    frame = cur.execute(sql, window_params + [int(lookback_days)] + window_params).df()
    frame["measure"] = _SOURCED_MEASURES[milestone]
    return frame
