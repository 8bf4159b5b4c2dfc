-- mart_opportunity_touches
-- grain: one row per opportunity per touch on its lead, up to the moment the opportunity closed (every
-- touch so far for an open one). Built after mart_opportunities, whose deal columns it repeats so an
-- attribution query filters and groups without a join.
-- touch_number: the touch's place in the lead's whole path, ordered by time and, for touches at the
-- same moment, by touchpoint_id (the order they were recorded). A path cut to a milestone and a
-- lookback window is a contiguous run of touch_numbers, so positions in it are touch_number - offset.
-- channel: the campaign's channel when the touch has a campaign, so spend and credit line up.
-- campaign_key, channel_key: small integers per (channel, campaign) and per channel, so attribution
-- groups on integers.
-- prev_campaign_touch, prev_channel_touch: the touch_number of the deal's previous touch of the same
-- campaign and of the same channel (0 when none): a touch whose previous one falls before the path is
-- its campaign's (channel's) first in the path, so deals touched are counted without a distinct.
create or replace table mart_opportunity_touches as
with

touches as (
    select
        o.deal_key,
        o.opportunity_id,
        o.amount_cents,
        o.opportunity_created_at,
        o.won_at,
        o.closed_at,
        o.lead_converted_at,
        o.lead_created_at,
        o.segment,
        o.region,
        o.sdr_team_id,
        o.ae_team_id,
        t.touchpoint_id,
        t.touched_at,
        t.campaign_id,
        coalesce(c.campaign_name, '(no campaign)') as campaign_name,
        coalesce(c.channel, t.channel) as channel,
        t.touch_type,
        t.content_asset
    from mart_opportunities as o
    inner join touchpoints as t on t.lead_id = o.lead_id and (o.closed_at is null or t.touched_at <= o.closed_at)
    left join campaigns as c on c.campaign_id = t.campaign_id
),

campaign_keys as (
    select
        channel,
        campaign_id,
        (row_number() over (order by channel, campaign_id))::smallint as campaign_key,
        (dense_rank() over (order by channel))::smallint as channel_key
    from (select distinct channel, campaign_id from touches)
),

-- Numbered on a narrow projection: a window sorts every column it carries.
numbered as (
    select
        t.deal_key,
        t.touchpoint_id,
        k.campaign_key,
        k.channel_key,
        row_number() over (partition by t.deal_key order by t.touched_at, t.touchpoint_id)::integer as touch_number
    from touches as t
    inner join campaign_keys as k on k.channel = t.channel and k.campaign_id is not distinct from t.campaign_id
),

previous as (
    select
        *,
        coalesce(lag(touch_number) over (partition by deal_key, campaign_key order by touch_number), 0)::integer
            as prev_campaign_touch,
        coalesce(lag(touch_number) over (partition by deal_key, channel_key order by touch_number), 0)::integer
            as prev_channel_touch
    from numbered
),

final as (
    select t.*, p.campaign_key, p.channel_key, p.touch_number, p.prev_campaign_touch, p.prev_channel_touch
    from touches as t
    inner join previous as p using (deal_key, touchpoint_id)
)

-- Ordered by creation, so a date range on the opportunity-created milestone skips row groups.
select * from final order by opportunity_created_at, deal_key, touch_number
