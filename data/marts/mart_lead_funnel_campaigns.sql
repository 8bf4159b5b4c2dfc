-- mart_lead_funnel_campaigns
-- grain: one row per campaign and channel a lead came from and per combination of the lead dimensions the
-- filters read (segment, region, SDR team, AE team), with the first moment such a lead entered the funnel.
-- Built from mart_lead_funnel (after it: marts build in name order), so "which campaigns had a lead of these
-- dimensions before the end of the range" is read from a few hundred rows instead of a million leads.
-- Not lead-local, and a verdict need not rebuild it: a verdict's stage event comes after the lead's creation,
-- so it moves no lead's lead_at, and it changes no campaign, channel or dimension.
create or replace table mart_lead_funnel_campaigns as
select
    campaign_id,
    channel,
    segment,
    region,
    sdr_team_id,
    ae_team_id,
    min(lead_at) as first_lead_at
from mart_lead_funnel
group by all
order by all
