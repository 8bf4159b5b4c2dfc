-- 005: campaign ROI. Website traffic per channel per day, so traffic -> lead -> MQL conversion shows
-- per channel; and the sales and marketing costs besides campaign spend (people, tools), so CAC can
-- be (all sales and marketing cost) / new customers, as ../shared/docs/domain.md defines it.

-- grain: one row per channel per day. Sessions are visits; visitors are distinct people that day in
-- that channel (so never more than sessions); engaged sessions lasted 10 s+, saw 2+ pages or converted.
create table web_traffic (
    traffic_date date not null,
    channel varchar not null,
    sessions bigint not null check (sessions >= 0),
    visitors bigint not null check (visitors >= 0 and visitors <= sessions),
    engaged_sessions bigint not null check (engaged_sessions >= 0 and engaged_sessions <= sessions),
    source_system varchar not null default 'tandem',
    source_id varchar,
    primary key (traffic_date, channel)
);

-- grain: one row per month per side per cost category. Campaign spend lives in campaign_spend and is
-- never repeated here; these are the costs no campaign carries (salaries, tools, agencies).
create table acquisition_costs (
    cost_month date not null check (extract('day' from cost_month) = 1),
    side varchar not null check (side in ('marketing', 'sales')),
    category varchar not null,
    amount double not null check (amount >= 0),
    source_system varchar not null default 'tandem',
    source_id varchar,
    primary key (cost_month, side, category)
);
