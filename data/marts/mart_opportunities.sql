-- mart_opportunities
-- grain: one row per opportunity. Attribution, ROI and content metrics read this and
-- mart_opportunity_touches, never the raw tables. The lead's dimensions come from mart_lead_funnel,
-- so this mart is built after it (marts build in name order).
-- deal_key: a dense integer per opportunity, so attribution groups on an integer, not a string.
-- lead_converted_at: when the lead became an MQL (with the skipped-stage rule); an opportunity whose
-- lead has no stage events converted when the opportunity was created.
create or replace table mart_opportunities as
with

final as (
    select
        k.deal_key,
        o.opportunity_id,
        o.lead_id,
        o.account_name,
        coalesce(o.amount, 0) as amount,
        round(coalesce(o.amount, 0) * 100)::bigint as amount_cents,
        o.created_at as opportunity_created_at,
        o.closed_at,
        case when o.is_closed and o.is_won then o.closed_at end as won_at,
        case when o.is_closed and not o.is_won then o.closed_at end as lost_at,
        o.is_closed,
        o.is_closed and o.is_won as is_won,
        coalesce(f.mql_at, o.created_at) as lead_converted_at,
        f.created_at as lead_created_at,
        f.channel as lead_channel,
        f.campaign_id as lead_campaign_id,
        coalesce(f.segment, '(none)') as segment,
        coalesce(f.region, '(none)') as region,
        coalesce(f.sdr_team_id, '(unassigned)') as sdr_team_id,
        ae.team_id as ae_team_id,
        o.owner_rep_id,
        ae.rep_name as owner_rep_name
    from opportunities as o
    -- Numbered on the ID alone: the window then sorts one text column, not every column of the joined row.
    inner join (select opportunity_id, row_number() over (order by opportunity_id)::integer as deal_key
                from opportunities) as k using (opportunity_id)
    left join mart_lead_funnel as f using (lead_id)
    left join reps as ae on ae.rep_id = o.owner_rep_id
)

select * from final order by deal_key
