-- 004: goals are edited in the app and imported from CSV, so every change is audited, and a
-- quarter's or year's target says whether it was set on its own or is the sum of its months.

-- 'own': the target was set for the period itself (every goal loaded before this migration, and
-- the default). 'sum_of_months': the write path (data/goals.py) keeps the target equal to the sum
-- of its month goals of the same metric and scope, and refuses direct edits to it. Checked there:
-- DuckDB cannot add a CHECK constraint to an existing table.
alter table goals add column target_rule varchar default 'own';

create sequence goal_audit_id_seq start 1;

-- grain: one row per field of one goal changed by one save (a created goal logs target, owner and
-- rule; a deleted one its last target). The goal's key is copied so a deleted goal stays readable.
create table goal_audit (
    audit_id bigint primary key default nextval('goal_audit_id_seq'),
    changed_at timestamp not null default current_timestamp,
    changed_by varchar not null,  -- rep_id of the person acting ('acting as' in the app, --as in the CLI)
    source varchar not null,  -- 'editor', 'import <file name>', or 'sum of months' for a derived target
    action varchar not null check (action in ('create', 'update', 'delete')),
    goal_id varchar not null,
    metric_name varchar not null,
    period_type varchar not null,
    period_start date not null,
    scope_type varchar not null,
    scope_value varchar,
    field varchar not null,
    old_value varchar,
    new_value varchar
);
