-- mart_lead_funnel
-- grain: one row per lead. Every funnel metric reads this table, never the raw events.
-- Stage times follow data.stages.SKIPPED_STAGE_RULE: a stage counts as entered when it or any
-- later main-path stage was entered (a lost deal was an opportunity), at the earliest such time.
create or replace table mart_lead_funnel as
with

first_entries as (
    select
        lead_id,
        min(entered_at) filter (where stage = 'lead') as lead_raw_at,
        min(entered_at) filter (where stage = 'mql') as mql_raw_at,
        min(entered_at) filter (where stage = 'sal') as sal_raw_at,
        min(entered_at) filter (where stage = 'sql') as sql_raw_at,
        min(entered_at) filter (where stage = 'opportunity') as opportunity_raw_at,
        min(entered_at) filter (where stage = 'won') as won_raw_at,
        min(entered_at) filter (where stage = 'lost') as lost_at,
        min(entered_at) filter (where stage = 'rejected') as rejected_at,
        min(entered_at) filter (where stage = 'recycled') as recycled_at,
        min(entered_at) filter (where stage = 'disqualified') as disqualified_at,
        -- Entries at the same moment: the later stage in the stage model (main path, then detours) is
        -- the current one, so every rebuild agrees. The time and the stage's place are one number (a
        -- position is below 16): arg_max on it takes half a second less CPU at 1M leads than on a struct.
        arg_max(stage, epoch_us(entered_at)::hugeint * 16 + list_position(['lead', 'mql', 'sal', 'sql', 'opportunity', 'won', 'rejected', 'recycled', 'disqualified', 'lost'], stage)) as latest_stage
    from stage_events
    group by lead_id
),

lead_opportunities as (
    select
        lead_id,
        arg_min(opportunity_id, created_at) as opportunity_id,
        arg_min(owner_rep_id, created_at) as ae_rep_id,
        sum(amount) as opportunity_amount,
        sum(amount) filter (where is_won) as won_amount,
        arg_min(lost_reason, created_at) filter (where is_closed and not is_won) as lost_reason
    from opportunities
    where lead_id is not null
    group by lead_id
),

-- One join of each lead to its entries and deals; the stage times are then worked out row by row.
joined as (
    select *
    from leads as l
    left join first_entries as e using (lead_id)
    left join lead_opportunities as o using (lead_id)
),

inferred as (
    select
        *,
        least(created_at, lead_raw_at, mql_raw_at, sal_raw_at, sql_raw_at,
              opportunity_raw_at, won_raw_at, lost_at) as lead_at,
        least(mql_raw_at, sal_raw_at, sql_raw_at, opportunity_raw_at, won_raw_at, lost_at) as mql_at,
        least(sal_raw_at, sql_raw_at, opportunity_raw_at, won_raw_at, lost_at) as sal_at,
        least(sql_raw_at, opportunity_raw_at, won_raw_at, lost_at) as sql_at,
        least(opportunity_raw_at, won_raw_at, lost_at) as opportunity_at,
        won_raw_at as won_at,
        (case when mql_raw_at is null and least(sal_raw_at, sql_raw_at, opportunity_raw_at, won_raw_at, lost_at) is not null then 1 else 0 end
         + case when sal_raw_at is null and least(sql_raw_at, opportunity_raw_at, won_raw_at, lost_at) is not null then 1 else 0 end
         + case when sql_raw_at is null and least(opportunity_raw_at, won_raw_at, lost_at) is not null then 1 else 0 end
         + case when opportunity_raw_at is null and least(won_raw_at, lost_at) is not null then 1 else 0 end
        ) as skipped_stage_count
    from joined
),

final as (
    select
        l.lead_id,
        l.created_at,
        coalesce(l.source_channel, c.channel, '(none)') as channel,
        l.campaign_id,
        coalesce(c.campaign_name, '(no campaign)') as campaign_name,
        coalesce(l.segment, '(none)') as segment,
        coalesce(l.region, '(none)') as region,
        l.company_size,
        l.score,
        case
            when l.score is null then '(no score)'
            when l.score < 25 then '0-24'
            when l.score < 50 then '25-49'
            when l.score < 75 then '50-74'
            else '75-100'
        end as score_band,
        l.owner_rep_id as sdr_rep_id,
        coalesce(sdr.rep_name, '(unassigned)') as sdr_rep_name,
        coalesce(sdr.team_id, '(unassigned)') as sdr_team_id,
        l.ae_rep_id,
        ae.team_id as ae_team_id,
        l.lead_at,
        l.mql_at,
        l.sal_at,
        l.sql_at,
        l.opportunity_at,
        l.won_at,
        greatest(l.lead_at, l.mql_at, l.sal_at, l.sql_at, l.opportunity_at, l.won_at,
                 l.lost_at, l.rejected_at, l.recycled_at, l.disqualified_at) as last_event_at,
        l.lost_at,
        l.rejected_at,
        l.recycled_at,
        l.disqualified_at,
        least(l.lost_at, l.rejected_at, l.recycled_at, l.disqualified_at) as exited_at,
        coalesce(l.latest_stage, 'lead') as current_stage,
        l.skipped_stage_count,
        l.opportunity_id,
        coalesce(l.opportunity_amount, 0) as opportunity_amount,
        coalesce(l.won_amount, 0) as won_amount,
        l.lost_reason
    from inferred as l
    left join campaigns as c on c.campaign_id = l.campaign_id
    left join reps as sdr on sdr.rep_id = l.owner_rep_id
    left join reps as ae on ae.rep_id = l.ae_rep_id
)

-- Ordered by entry so DuckDB's per-row-group min/max skip old leads when a window starts late.
select * from final order by lead_at
