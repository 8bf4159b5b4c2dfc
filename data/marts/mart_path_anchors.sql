-- mart_path_anchors
-- grain: one row per opportunity with a touch in mart_opportunity_touches (built after it: marts build in
-- name order). Touches are numbered in time order, so the touches by a moment are a count, and that count
-- is the touch_number of the last touch by then (0 when none):
-- conversion_touches: at or before the lead's conversion (the lead-conversion anchor);
-- creation_touches: at or before the opportunity's creation (the opportunity-creation anchor, and where
-- the opportunity-created path ends); won_touches: at or before the win (where the won path ends; null
-- when not won). With these, an attribution query needs only each path's first touch_number per deal.
-- creation_touched_at, won_touched_at: the moment of the last touch at or before the creation and the win,
-- so a deal has a path under a lookback when that touch falls inside it.
create or replace table mart_path_anchors as
with

final as (
    select
        deal_key,
        count(*) filter (where touched_at <= lead_converted_at)::integer as conversion_touches,
        count(*) filter (where touched_at <= opportunity_created_at)::integer as creation_touches,
        case when any_value(won_at) is not null
            then count(*) filter (where touched_at <= won_at)::integer end as won_touches,
        max(touched_at) filter (where touched_at <= opportunity_created_at) as creation_touched_at,
        max(touched_at) filter (where touched_at <= won_at) as won_touched_at
    from mart_opportunity_touches
    group by deal_key
)

select * from final order by deal_key
