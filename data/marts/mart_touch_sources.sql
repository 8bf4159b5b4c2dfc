-- mart_touch_sources
-- grain: one row per (channel, campaign) seen on opportunity touches: the names behind the integer
-- campaign_key and channel_key of mart_opportunity_touches, which attribution groups on. Built after it
-- (marts build in name order).
create or replace table mart_touch_sources as
select distinct campaign_key, channel_key, channel, campaign_id, campaign_name
from mart_opportunity_touches
order by campaign_key
