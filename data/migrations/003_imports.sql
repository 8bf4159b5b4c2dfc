-- 003: imports (data/importers/). What each load did per table, the source rows it kept out of the
-- store, and what the next export of the same system needs to find every record again.

-- The load log learns which preset or mapping ran, in which mode, on which files.
alter table data_loads add column preset varchar;
alter table data_loads add column mode varchar;
alter table data_loads add column file_names varchar;
alter table data_loads add column quarantined_rows bigint default 0;

-- grain: one row per load per table it touched
create table data_load_tables (
    load_id integer not null references data_loads (load_id),
    table_name varchar not null,
    inserted_count bigint not null default 0,
    updated_count bigint not null default 0,
    unchanged_count bigint not null default 0,
    removed_count bigint not null default 0,
    primary key (load_id, table_name)
);

-- grain: one row per problem in a source row a load kept out of the store (mode 'quarantine')
create table data_quarantine (
    load_id integer not null references data_loads (load_id),
    file_name varchar not null,
    row_number bigint,
    column_name varchar,
    cell_value varchar,
    reason varchar not null,
    record_json varchar
);

-- A lead made up for an opportunity that came without one (source_id 'opportunity:<id>'), and a
-- hash of the lowercased e-mail address, so duplicate people can be counted without storing it.
alter table leads add column is_synthetic boolean default false;
alter table leads add column email_hash varchar;

-- A stage entry dated by a rule (a status with no date of its own, a mapping's default) is estimated.
alter table stage_events add column source_id varchar;
alter table stage_events add column is_estimated boolean default false;

alter table touchpoints add column source_system varchar default 'tandem';
alter table touchpoints add column source_id varchar;
