"""Top of the funnel: website traffic per channel per day, and traffic -> lead -> MQL per channel.

Web sessions are anonymous: they carry a channel and a day, no segment, region or team, so those filters
do not apply here (to sessions or to the leads they are compared with); the channel filter does.
"""

from __future__ import annotations

import pandas as pd

from metrics.filters import Filters
from metrics.registry import metric
from metrics.stats import MIN_SAMPLE, safe_rate, wilson_interval

ALL_CHANNELS = "All channels"
_SCOPE_NOTE = ("Segment, region and team filters do not apply (sessions carry none of them); the channel "
               "filter does. Leads are counted by their source channel.")


def _channel_clause(f: Filters, column: str) -> tuple[str, list]:
    if not f.channels:
        return "", []
    return f" and {column} = any(?::varchar[])", [list(f.channels)]


@metric(
    name="traffic_conversion",
    label="Traffic to lead to MQL",
    definition="Per channel over the date range: sessions, visitors and engaged sessions on the website, "
    "engagement rate = engaged sessions / sessions; leads created in the range; session-to-lead = leads / "
    "sessions; lead-to-MQL = those leads that became MQLs by the as-of date / leads. Both rates with 95% "
    f"Wilson intervals, under {MIN_SAMPLE} in the denominator flagged as a small sample. " + _SCOPE_NOTE,
    grain="one row for all channels, then one per channel",
    owner="marketing",
    format="table",
    area="traffic",
)
def traffic_conversion(cur, f: Filters) -> pd.DataFrame:
    traffic_channel, traffic_params = _channel_clause(f, "channel")
    lead_channel, lead_params = _channel_clause(f, "channel")
    window, window_params = f.window_sql("lead_at")
    sql = f"""
with

traffic as (
    select channel, sum(sessions) as sessions, sum(visitors) as visitors, sum(engaged_sessions) as engaged_sessions
    from web_traffic where traffic_date >= ? and traffic_date <= ?{traffic_channel}
    group by channel
),

leads as (
    select channel, count(*) as leads, count(*) filter (where mql_at < ?::timestamp) as mqls
    from mart_lead_funnel where {window}{lead_channel}
    group by channel
),

per_channel as (
    select channel, coalesce(t.sessions, 0) as sessions, coalesce(t.visitors, 0) as visitors,
           coalesce(t.engaged_sessions, 0) as engaged_sessions, coalesce(l.leads, 0) as leads,
           coalesce(l.mqls, 0) as mqls
    from traffic as t full outer join leads as l using (channel)
)

select '{ALL_CHANNELS}' as channel, sum(sessions) as sessions, sum(visitors) as visitors,
       sum(engaged_sessions) as engaged_sessions, sum(leads) as leads, sum(mqls) as mqls
from per_channel
union all
(select * from per_channel order by sessions desc, channel)
"""
    reading = pd.Timestamp(f.as_of_date) + pd.Timedelta(days=1)
    frame = cur.execute(sql, [f.start, f.end] + traffic_params + [reading] + window_params + lead_params).df()
    counts = ["sessions", "visitors", "engaged_sessions", "leads", "mqls"]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["engagement_rate"] = safe_rate(frame["engaged_sessions"], frame["sessions"])
    frame["session_to_lead"] = safe_rate(frame["leads"], frame["sessions"])
    frame["session_to_lead_ci_low"], frame["session_to_lead_ci_high"] = wilson_interval(frame["leads"],
                                                                                         frame["sessions"])
    frame["lead_to_mql"] = safe_rate(frame["mqls"], frame["leads"])
    frame["lead_to_mql_ci_low"], frame["lead_to_mql_ci_high"] = wilson_interval(frame["mqls"], frame["leads"])
    frame["is_small_sample"] = frame["leads"] < MIN_SAMPLE
    if len(frame) == 1 and frame["sessions"].iloc[0] == 0 and frame["leads"].iloc[0] == 0:
        return frame.iloc[0:0]
    return frame


@metric(
    name="web_traffic_daily",
    label="Website traffic by day",
    definition="Sessions, visitors and engaged sessions on the website per channel per day of the date range, "
    "beside the leads created that day in the channel. " + _SCOPE_NOTE,
    grain="one row per channel per day",
    owner="marketing",
    format="count",
    area="traffic",
)
def web_traffic_daily(cur, f: Filters) -> pd.DataFrame:
    traffic_channel, traffic_params = _channel_clause(f, "channel")
    lead_channel, lead_params = _channel_clause(f, "channel")
    window, window_params = f.window_sql("lead_at")
    sql = f"""
with

traffic as (
    select channel, traffic_date as day, sessions, visitors, engaged_sessions
    from web_traffic where traffic_date >= ? and traffic_date <= ?{traffic_channel}
),

leads as (
    select channel, lead_at::date as day, count(*) as leads
    from mart_lead_funnel where {window}{lead_channel}
    group by all
)

select channel, day, coalesce(t.sessions, 0) as sessions, coalesce(t.visitors, 0) as visitors,
       coalesce(t.engaged_sessions, 0) as engaged_sessions, coalesce(l.leads, 0) as leads
from traffic as t full outer join leads as l using (channel, day)
order by channel, day
"""
    frame = cur.execute(sql, [f.start, f.end] + traffic_params + window_params + lead_params).df()
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    return frame
