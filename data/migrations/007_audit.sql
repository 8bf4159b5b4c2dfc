-- 007: one audit log for every write in the app (goals, feedback, responses, SLA policy, reasons,
-- imports, users): who, when, what, and the record before and after, as JSON text.

create sequence audit_id_seq start 1;

-- grain: one row per record changed by one write
create table audit_log (
    audit_id bigint primary key default nextval('audit_id_seq'),
    changed_at timestamp not null default current_timestamp,
    actor varchar not null,  -- the signed-in user (rep id, else user name)
    actor_role varchar not null,
    action varchar not null,  -- e.g. 'feedback.give', 'goals.edit'
    entity varchar not null,  -- table name
    entity_id varchar,
    before_json varchar,
    after_json varchar
);
