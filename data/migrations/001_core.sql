-- 001: the core store. Raw tables as loaded; marts are rebuilt from them (data/marts/).
-- Every record keeps the system it came from and its id there, so re-imports can update in place.

create table teams (
    team_id varchar primary key,
    team_name varchar not null,
    team_function varchar not null check (team_function in ('marketing', 'sdr', 'ae')),
    region varchar,
    manager_rep_id varchar
);

create table reps (
    rep_id varchar primary key,
    rep_name varchar not null,
    email varchar,
    team_id varchar not null references teams (team_id),
    rep_role varchar not null check (rep_role in ('marketing', 'sdr', 'ae', 'manager')),
    region varchar,
    manager_rep_id varchar
);

create table campaigns (
    campaign_id varchar primary key,
    campaign_name varchar not null,
    channel varchar not null,
    start_date date,
    end_date date,
    budget_amount double check (budget_amount is null or budget_amount >= 0),
    source_system varchar not null default 'tandem',
    source_id varchar
);

-- grain: one row per campaign per day with spend
create table campaign_spend (
    campaign_id varchar not null references campaigns (campaign_id),
    spend_date date not null,
    spend_amount double not null check (spend_amount >= 0),
    primary key (campaign_id, spend_date)
);

-- grain: one row per lead (inquiry); created_at is when it entered the 'lead' stage
create table leads (
    lead_id varchar primary key,
    created_at timestamp not null,
    source_channel varchar,
    campaign_id varchar,
    segment varchar,
    region varchar,
    company_size varchar,
    account_name varchar,
    score integer,
    owner_rep_id varchar,
    source_system varchar not null default 'tandem',
    source_id varchar
);

-- grain: one row per record per stage entry. A lead that is recycled and re-qualifies enters
-- 'mql' twice. Opportunity stages carry the opportunity they belong to.
create table stage_events (
    lead_id varchar not null,
    stage varchar not null check (stage in (
        'lead', 'mql', 'sal', 'sql', 'opportunity', 'won',
        'lost', 'rejected', 'recycled', 'disqualified')),
    entered_at timestamp not null,
    moved_by_rep_id varchar,
    opportunity_id varchar,
    source_system varchar not null default 'tandem'
);

-- grain: one row per marketing touch on a lead
create table touchpoints (
    touchpoint_id bigint primary key,
    lead_id varchar not null,
    campaign_id varchar,
    channel varchar not null,
    touch_type varchar not null,
    content_asset varchar,
    touched_at timestamp not null
);

-- grain: one row per opportunity
create table opportunities (
    opportunity_id varchar primary key,
    lead_id varchar,
    account_name varchar,
    amount double check (amount is null or amount >= 0),
    created_at timestamp not null,
    closed_at timestamp,
    is_closed boolean not null default false,
    is_won boolean not null default false,
    lost_reason varchar,
    owner_rep_id varchar,
    primary_campaign_id varchar,
    source_system varchar not null default 'tandem',
    source_id varchar
);

-- grain: one row per sales activity on a lead (calls, emails, meetings); SLA clocks read these
create table sales_activities (
    activity_id bigint primary key,
    lead_id varchar not null,
    rep_id varchar,
    activity_type varchar not null check (activity_type in ('call', 'email', 'meeting', 'auto_email')),
    is_automated boolean not null default false,
    occurred_at timestamp not null
);

-- grain: one row per goal: a metric's target for one period and scope
create table goals (
    goal_id varchar primary key,
    metric_name varchar not null,
    period_type varchar not null check (period_type in ('month', 'quarter', 'year')),
    period_start date not null,
    scope_type varchar not null default 'all' check (scope_type in ('all', 'segment', 'region', 'team', 'channel')),
    scope_value varchar,
    owner_team varchar not null check (owner_team in ('marketing', 'sales', 'shared')),
    target double not null,
    unique (metric_name, period_type, period_start, scope_type, scope_value)
);

-- the governed list of reasons sales may give; a reason in use is retired, never deleted
create table feedback_reasons (
    reason_code varchar primary key,
    label varchar not null,
    is_active boolean not null default true
);

-- grain: one row per piece of sales feedback on a lead or a campaign
create table sales_feedback (
    feedback_id varchar primary key,
    created_at timestamp not null,
    author_rep_id varchar not null,
    lead_id varchar,
    campaign_id varchar,
    verdict varchar not null check (verdict in ('accept', 'reject', 'recycle', 'rating')),
    reason_code varchar references feedback_reasons (reason_code),
    rating integer check (rating is null or rating between 1 and 5),
    note varchar,
    status varchar not null default 'open' check (status in ('open', 'acknowledged', 'action_planned', 'resolved')),
    response_note varchar,
    responded_by_rep_id varchar,
    responded_at timestamp,
    check (lead_id is not null or campaign_id is not null),
    check (verdict <> 'reject' or reason_code is not null)
);

-- what each side promised the other; data, so permitted users can change it
create table sla_policy (
    policy_id varchar primary key,
    side varchar not null check (side in ('sales', 'marketing')),
    name varchar not null,
    description varchar not null,
    threshold double not null,
    unit varchar not null check (unit in ('minutes', 'count', 'ratio')),
    effective_from date not null
);
