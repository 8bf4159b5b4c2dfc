-- 006: the feedback loop (data/feedback.py). Marketing's answers keep their history, so time to
-- first response survives a later answer; the reason list records who added and who retired each
-- reason; a first-touch policy says what share of MQLs must meet it; every policy edit is audited.

-- grain: one row per answer marketing gives to one piece of sales feedback. sales_feedback keeps
-- the latest answer (status, response_note, responded_by_rep_id, responded_at); the first answer's
-- time is the time to response. Answers loaded before this table existed live only there.
create table feedback_responses (
    response_id varchar primary key,
    feedback_id varchar not null,
    responded_at timestamp not null,
    responded_by_rep_id varchar not null,
    status varchar not null check (status in ('acknowledged', 'action_planned', 'resolved')),
    note varchar
);

-- A reason in use is retired (is_active = false), never deleted; these say when and by whom.
alter table feedback_reasons add column added_at timestamp;
alter table feedback_reasons add column added_by_rep_id varchar;
alter table feedback_reasons add column retired_at timestamp;
alter table feedback_reasons add column retired_by_rep_id varchar;

-- For a policy in minutes (first touch): the share of records that must meet the threshold for the
-- promise to count as kept. Between 0 and 1, checked by the write path (DuckDB cannot add a CHECK
-- to an existing table). Ignored by count and ratio policies.
alter table sla_policy add column compliance_target double default 0.9;

-- grain: one row per field of one policy changed by one save
create table sla_policy_changes (
    change_id varchar primary key,
    policy_id varchar not null,
    changed_at timestamp not null,
    changed_by_rep_id varchar not null,
    field varchar not null,
    old_value varchar,
    new_value varchar
);
