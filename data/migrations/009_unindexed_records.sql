-- 009: leads and opportunities without a primary-key index. At a million records the index on their
-- text IDs cost a load about a second (built on insert, written at commit) and no statement used it:
-- every lookup by ID reads a mart. An ID stays unique because the only writers keep it so: an import
-- rejects a file that repeats one and matches stored records by it (data/importers/write.py), and the
-- demo numbers its records. tests/test_import_load.py and tests/test_demo.py hold both to it.
-- DuckDB cannot drop a primary key in place, so each table is rebuilt with the same columns.

create table leads_009 (
    lead_id varchar not null,
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
    source_id varchar,
    is_synthetic boolean default false,
    email_hash varchar
);
insert into leads_009 by name select * from leads;
drop table leads;
alter table leads_009 rename to leads;

create table opportunities_009 (
    opportunity_id varchar not null,
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
insert into opportunities_009 by name select * from opportunities;
drop table opportunities;
alter table opportunities_009 rename to opportunities;
