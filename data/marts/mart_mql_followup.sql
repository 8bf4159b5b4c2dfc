-- mart_mql_followup
-- grain: one row per MQL entry (a lead recycled to nurture that qualifies again has two).
-- What sales did with each MQL: the first human touch (the SLA clock stops there; automated emails
-- don't stop it), the verdict (accept, reject, recycle) with its reason, and what came of the lead.
-- Reads mart_lead_funnel for the lead's dimensions, so it is built after it (marts build in name order).
create or replace table mart_mql_followup as
with

mql_entries as (
    select
        lead_id,
        entered_at as mql_at,
        row_number() over (partition by lead_id order by entered_at) as mql_number,
        lead(entered_at) over (partition by lead_id order by entered_at) as next_mql_at
    from stage_events
    where stage = 'mql'
),

human_touches as (
    select lead_id, occurred_at as touched_at, rep_id as touched_by_rep_id
    from sales_activities
    where not is_automated and activity_type <> 'auto_email'
),

-- Sales' verdict on an MQL is the first of these after it; a later main-path stage without an SAL
-- entry counts as accepted (the skipped-stage rule).
-- Entries at the same moment are one verdict: a detour (recycled, then rejected) over an acceptance, so
-- every rebuild agrees. Only leads that were MQLs can have a verdict: the others' entries (deals from a
-- CRM with no marketing stages, say) are left out before the grouping, not after it.
verdict_events as (
    select
        lead_id,
        entered_at as verdict_at,
        arg_max(moved_by_rep_id, rank) as verdict_by_rep_id,
        arg_max(case stage when 'rejected' then 'reject' when 'recycled' then 'recycle' else 'accept' end, rank)
            as verdict
    from (
        select *, list_position(['sal', 'sql', 'opportunity', 'won', 'lost', 'rejected', 'recycled'], stage) as rank
        from stage_events
        where stage in ('sal', 'sql', 'opportunity', 'won', 'lost', 'rejected', 'recycled')
            and lead_id in (select lead_id from stage_events where stage = 'mql')
    )
    group by lead_id, entered_at
),

rejection_reasons as (
    select lead_id, created_at as feedback_at, reason_code, rating
    from sales_feedback
    where verdict = 'reject' and lead_id is not null
),

touched as (
    select
        m.*,
        case when t.touched_at < coalesce(m.next_mql_at, 'infinity'::timestamp) then t.touched_at end as first_touch_at,
        case when t.touched_at < coalesce(m.next_mql_at, 'infinity'::timestamp) then t.touched_by_rep_id end
            as first_touch_rep_id
    from mql_entries as m
    asof left join human_touches as t
        on t.lead_id = m.lead_id and t.touched_at >= m.mql_at
),

decided as (
    select
        m.*,
        v.verdict_at,
        v.verdict,
        v.verdict_by_rep_id
    from touched as m
    asof left join verdict_events as v
        on v.lead_id = m.lead_id and v.verdict_at >= m.mql_at
),

verdicts as (
    select
        * exclude (verdict_at, verdict, verdict_by_rep_id),
        case when verdict_at < coalesce(next_mql_at, 'infinity'::timestamp) then verdict_at end as verdict_at,
        case when verdict_at < coalesce(next_mql_at, 'infinity'::timestamp) then verdict end as verdict,
        case when verdict_at < coalesce(next_mql_at, 'infinity'::timestamp) then verdict_by_rep_id end as verdict_by_rep_id
    from decided
),

-- The reason is the one on the first rejection feedback given at or after the rejection.
reasoned as (
    select
        v.*,
        case when v.verdict = 'reject' then r.reason_code end as reason_code
    from verdicts as v
    asof left join rejection_reasons as r
        on r.lead_id = v.lead_id and r.feedback_at >= v.verdict_at
),

-- What sales did with the lead's next MQL, worked out before the lead's dimensions are joined on: a
-- window sorts every column it carries.
sequenced as (
    select
        *,
        lead(verdict) over by_lead as next_verdict,
        lead(verdict_at) over by_lead as next_verdict_at
    from reasoned
    window by_lead as (partition by lead_id order by mql_at)
),

final as (
    select
        r.lead_id,
        r.mql_number,
        r.mql_at,
        r.next_mql_at,
        r.first_touch_at,
        r.first_touch_rep_id,
        r.verdict,
        r.verdict_at,
        r.verdict_by_rep_id,
        r.reason_code,
        r.next_verdict,
        r.next_verdict_at,
        case when f.sql_at >= r.mql_at then f.sql_at end as sql_at,
        case when f.won_at >= r.mql_at then f.won_at end as won_at,
        f.channel,
        f.campaign_id,
        f.campaign_name,
        f.segment,
        f.region,
        f.score,
        f.score_band,
        f.sdr_rep_id,
        f.sdr_rep_name,
        f.sdr_team_id,
        coalesce(t.team_name, f.sdr_team_id) as sdr_team_name,
        f.ae_team_id
    from sequenced as r
    inner join mart_lead_funnel as f using (lead_id)
    left join teams as t on t.team_id = f.sdr_team_id
)

select * from final order by mql_at
