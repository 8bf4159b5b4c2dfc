-- mart_lead_sales_feedback
-- grain: one row per sales feedback entry on a lead (a rating of a whole campaign has no lead: it is read
-- from sales_feedback). Repeats the lead's campaign and dimensions from mart_lead_funnel (built before it:
-- marts build in name order), so feedback per campaign is read without joining a million leads.
-- campaign_id: the entry's own campaign when it names one, else the lead's.
-- Lead-local: a verdict saved in the app rebuilds its lead's rows (data.marts.refresh_leads).
create or replace table mart_lead_sales_feedback as
with

final as (
    select
        s.feedback_id,
        s.lead_id,
        s.created_at,
        s.verdict,
        s.rating,
        s.reason_code,
        coalesce(s.campaign_id, f.campaign_id) as campaign_id,
        f.segment,
        f.region,
        f.sdr_team_id,
        f.ae_team_id
    from sales_feedback as s
    left join mart_lead_funnel as f using (lead_id)
    where s.lead_id is not null
)

-- Ordered by time, so a date range skips row groups.
select * from final order by created_at, feedback_id
