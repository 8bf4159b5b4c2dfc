"""Content performance: which assets sit in the paths of won deals, and which ones sales uses late.

Touchpoints name the content asset they delivered (a whitepaper, a webinar, a case study, a demo video).
Both metrics read mart_opportunity_touches: touches on the leads of opportunities, up to the close.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from metrics.attribution import LOOKBACK_PARAM, check_params
from metrics.filters import Filters
from metrics.registry import metric
from metrics.stats import MIN_SAMPLE, safe_rate, wilson_interval

# "Whitepaper: The RevOps Playbook" is a Whitepaper; a name without a colon ("Demo video") is its own type.
_ASSET_TYPE = "case when contains(content_asset, ':') then split_part(content_asset, ':', 1) else content_asset end"


def _touch_filters(f: Filters) -> tuple[str, list]:
    """The deal's segment, region and team; the channel filter keeps touches of those channels only."""
    dims, params = replace(f, channels=()).dimension_sql("t")
    if f.channels:
        dims += " and t.channel = any(?::varchar[])"
        params.append(list(f.channels))
    return dims, params


@metric(
    name="content_in_won_paths",
    label="Content in won and lost deals",
    definition="For each content asset: the deals closed in the date range whose path (touches up to the close, "
    "within the lookback) delivered it, won and lost; % of all won deals and % of all lost deals whose path "
    "holds it; win rate with it = won / (won + lost) among those deals, with a 95% Wilson interval (fewer than "
    f"{MIN_SAMPLE} deals: small sample); and the revenue of the won deals it appears in (a deal counts under "
    "every asset in its path, so these do not add up). The channel filter keeps touches of those channels.",
    grain="one row per content asset",
    owner="shared",
    format="table",
    area="content",
    params=(LOOKBACK_PARAM,),
)
def content_in_won_paths(cur, f: Filters, lookback_days: int = 365) -> pd.DataFrame:
    check_params(lookback_days=lookback_days)
    dims, params = _touch_filters(f)
    deal_dims, deal_params = replace(f, channels=()).dimension_sql("t")
    sql = f"""
with

closed as (
    select t.deal_key, t.content_asset, t.won_at is not null as is_won, t.amount_cents
    from mart_opportunity_touches as t
    where t.closed_at >= ?::timestamp and t.closed_at < ?::timestamp and t.content_asset is not null
      and t.touched_at >= t.closed_at - to_days(?::integer){dims}
),

per_deal as (
    select content_asset, deal_key, any_value(is_won) as is_won, any_value(amount_cents) as amount_cents,
           count(*) as touches
    from closed group by content_asset, deal_key
),

totals as (
    select count(*) filter (where t.won_at is not null) as all_won, count(*) filter (where t.won_at is null) as all_lost
    from mart_opportunities as t
    where t.closed_at >= ?::timestamp and t.closed_at < ?::timestamp{deal_dims}
)

select content_asset, {_ASSET_TYPE} as asset_type,
       count(*) filter (where is_won) as won_deals, count(*) filter (where not is_won) as lost_deals,
       coalesce(sum(amount_cents) filter (where is_won), 0) / 100.0 as won_revenue_with,
       coalesce(sum(touches) filter (where is_won), 0) as touches_in_won_paths,
       any_value(totals.all_won) as all_won, any_value(totals.all_lost) as all_lost
from per_deal cross join totals
group by content_asset
"""
    frame = cur.execute(sql, [f.start, f.end_exclusive, int(lookback_days)] + params
                        + [f.start, f.end_exclusive] + deal_params).df()
    closed = frame["won_deals"] + frame["lost_deals"]
    frame["pct_of_won"] = safe_rate(frame["won_deals"], frame["all_won"])
    frame["pct_of_lost"] = safe_rate(frame["lost_deals"], frame["all_lost"])
    frame["win_rate_with"] = safe_rate(frame["won_deals"], closed)
    frame["win_rate_ci_low"], frame["win_rate_ci_high"] = wilson_interval(frame["won_deals"], closed)
    frame["is_small_sample"] = closed < MIN_SAMPLE
    frame["touches_in_won_paths"] = frame["touches_in_won_paths"].astype("int64")
    return frame.sort_values(["won_deals", "content_asset"], ascending=[False, True]).reset_index(drop=True)


@metric(
    name="content_late_in_cycle",
    label="Content used late in the cycle",
    definition="For each content asset, the touches on opportunities' leads in the date range, split into early "
    "(at or before the opportunity was created: marketing's part of the path) and late (after it was created "
    "and before it closed: while sales works the deal); late share = late / all, and how many deals, and won "
    "deals, had it late. The channel filter keeps touches of those channels.",
    grain="one row per content asset",
    owner="shared",
    format="table",
    area="content",
)
def content_late_in_cycle(cur, f: Filters) -> pd.DataFrame:
    dims, params = _touch_filters(f)
    window, window_params = f.window_sql("t.touched_at")
    sql = f"""
with

touches as (
    select t.deal_key, t.content_asset, t.won_at is not null as is_won, t.touched_at > t.opportunity_created_at as late
    from mart_opportunity_touches as t
    where {window} and t.content_asset is not null{dims}
),

per_asset as (
    select content_asset, count(*) filter (where not late) as early_touches,
           count(*) filter (where late) as late_touches
    from touches group by content_asset
),

-- Deals counted once per asset from one grouping of the late touches, not two distinct counts.
late_deals as (
    select content_asset, deal_key, any_value(is_won) as is_won from touches where late group by all
),

late_counts as (
    select content_asset, count(*) as deals_with_late_touch,
           count(*) filter (where is_won) as won_deals_with_late_touch
    from late_deals group by content_asset
)

select content_asset, {_ASSET_TYPE} as asset_type, p.early_touches, p.late_touches,
       coalesce(l.deals_with_late_touch, 0) as deals_with_late_touch,
       coalesce(l.won_deals_with_late_touch, 0) as won_deals_with_late_touch
from per_asset as p left join late_counts as l using (content_asset)
"""
    frame = cur.execute(sql, window_params + params).df()
    frame["late_share"] = safe_rate(frame["late_touches"], frame["early_touches"] + frame["late_touches"])
    return frame.sort_values(["late_share", "late_touches", "content_asset"], ascending=[False, False, True]) \
        .reset_index(drop=True)
