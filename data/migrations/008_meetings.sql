-- 008: meeting mode (data/meetings.py). A snapshot freezes what the Meeting page showed as stored
-- frames, so data loaded later cannot move it; decisions and action items, each tied to a metric or a
-- campaign, carry an owner team, an owner, a due date and a status from meeting to meeting;
-- annotations mark metric-definition changes and notes on the time-series charts.

create sequence meeting_snapshot_id_seq start 1;

-- grain: one row per snapshot (one meeting's frozen numbers). The period and its previous period are
-- the date windows the numbers were read for; filters_json holds the dimension filters, as_of the day.
create table meeting_snapshots (
    snapshot_id bigint primary key default nextval('meeting_snapshot_id_seq'),
    title varchar not null,
    taken_at timestamp not null,
    taken_by varchar not null,  -- the principal's actor (rep id, else user name)
    period_start date not null,
    period_end date not null,
    previous_start date not null,
    previous_end date not null,
    as_of date not null,
    filters_json varchar not null
);

-- grain: one row per frame a snapshot holds: one registered metric's DataFrame exactly as shown,
-- stored as Parquet bytes (data/snapshots.py), never recomputed.
create table meeting_snapshot_frames (
    snapshot_id bigint not null references meeting_snapshots (snapshot_id),
    frame_key varchar not null,
    metric_name varchar not null,
    window_name varchar not null check (window_name in ('current', 'previous')),
    params_json varchar not null,
    row_count integer not null,
    content blob not null,
    primary key (snapshot_id, frame_key)
);

create sequence meeting_item_id_seq start 1;

-- grain: one row per decision or action item, raised in one meeting (snapshot). Open items carry into
-- later meetings until closed; closed_at says when (cleared if reopened), so "open at a meeting" can be
-- read back. Every change is in audit_log.
create table meeting_items (
    item_id bigint primary key default nextval('meeting_item_id_seq'),
    snapshot_id bigint not null references meeting_snapshots (snapshot_id),
    kind varchar not null check (kind in ('decision', 'action')),
    item_text varchar not null,
    metric_name varchar,
    campaign_id varchar,
    owner_team varchar not null check (owner_team in ('marketing', 'sales', 'shared')),
    owner_rep_id varchar not null,
    due_date date,
    status varchar not null check (status in ('open', 'in_progress', 'done', 'dropped')),
    created_at timestamp not null,
    created_by varchar not null,
    updated_at timestamp not null,
    updated_by varchar not null,
    closed_at timestamp,
    check (metric_name is not null or campaign_id is not null),
    check (kind = 'decision' or due_date is not null)
);

create sequence annotation_id_seq start 1;

-- grain: one row per annotation a person wrote: a metric-definition change or a note on a day.
-- Campaign launches (campaigns.start_date) and meeting decisions (meeting_items) are annotations too,
-- read from their own tables, never copied here.
create table annotations (
    annotation_id bigint primary key default nextval('annotation_id_seq'),
    kind varchar not null check (kind in ('definition', 'note')),
    annotated_on date not null,
    label varchar not null,
    detail varchar,
    metric_name varchar,
    owner_team varchar not null check (owner_team in ('marketing', 'sales', 'shared')),
    created_at timestamp not null,
    created_by varchar not null,
    updated_at timestamp not null,
    updated_by varchar not null,
    check (kind <> 'definition' or metric_name is not null)
);
