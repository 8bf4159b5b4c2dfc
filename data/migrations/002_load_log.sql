-- 002: every load (demo build, import) is logged, so the app can say how fresh the data is,
-- and the SLA clock learns business hours (a lead created on Friday night is not late on Saturday).

create sequence load_id_seq start 1;

create table data_loads (
    load_id integer primary key default nextval('load_id_seq'),
    loaded_at timestamp not null default current_timestamp,
    loaded_by varchar not null,
    source_system varchar not null,
    description varchar,
    file_hash varchar,
    row_count bigint not null
);

alter table sla_policy add column business_hours_start integer default 9;
alter table sla_policy add column business_hours_end integer default 17;
-- ISO weekdays the clock runs on, Monday = 1
alter table sla_policy add column business_days varchar default '1,2,3,4,5';
