"""The feedback loop: what sales says marketing's leads are worth, and how marketing answers.

Verdicts are read from mart_mql_followup (one row per MQL entry: its first touch, sales' verdict and
the reason); the inbox and ratings from sales_feedback with the answer history in feedback_responses.
"""

from __future__ import annotations

import pandas as pd

from metrics.filters import Filters
from metrics.registry import Param, metric
from metrics.sla import (
    POLICY_CTE,
    Policy,
    clock_sql,
    find_policy,
    policy_cte_params,
    reading_moment,
    worked_counts,
)
from metrics.stats import MIN_SAMPLE, safe_rate, wilson_interval

# Breakdown name -> column of mart_mql_followup. Team and rep are the lead's owner (its SDR).
DIMENSIONS = {
    "campaign": "campaign_name",
    "channel": "channel",
    "score_band": "score_band",
    "segment": "segment",
    "region": "region",
    "team": "sdr_team_name",
    "rep": "sdr_rep_name",
}
NO_REASON = "(no reason recorded)"
_WORKED_NOTE = (
    "Worked MQLs = MQL entries sales gave a verdict on in the date range (by the as-of date). An MQL's verdict is "
    "the first of SAL (or a later main stage: the skipped-stage rule), Rejected or Recycled after it; a lead "
    "recycled and qualified again is a new MQL entry. Team and rep are the lead's owner (its SDR)."
)
_DIMENSION = Param("dimension", str, "campaign", "what to break down by", tuple(DIMENSIONS))


def _check_dimension(dimension: str, allowed) -> str:
    if dimension not in allowed:
        raise ValueError(f"dimension must be one of {', '.join(allowed)}; got {dimension!r}.")
    return dimension


@metric(
    name="rejection_rate",
    label="Rejection rate",
    definition="Rejected / worked MQLs, per value of one dimension (campaign, channel, lead score band, segment, "
    "region, team or rep), with a 95% Wilson interval (fewer than 30 worked flagged as a small sample), the "
    "accepted and recycled counts beside it and the most frequent rejection reason. " + _WORKED_NOTE,
    grain="one row per dimension value",
    owner="marketing",
    format="percent",
    area="feedback",
    params=(_DIMENSION,),
)
def rejection_rate(cur, f: Filters, dimension: str = "campaign") -> pd.DataFrame:
    column = DIMENSIONS[_check_dimension(dimension, DIMENSIONS)]
    counts = worked_counts(cur, f, column, "dimension_value")
    top = _top_reasons(cur, f, column)
    frame = counts.merge(top, on="dimension_value", how="left")
    frame["rejection_rate"] = safe_rate(frame["rejected"], frame["worked"])
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["rejected"], frame["worked"])
    frame["is_small_sample"] = frame["worked"] < MIN_SAMPLE
    frame = frame.sort_values(["worked", "dimension_value"], ascending=[False, True]).reset_index(drop=True)
    return frame[["dimension_value", "worked", "accepted", "rejected", "recycled", "rejection_rate", "ci_low",
                  "ci_high", "is_small_sample", "top_reason"]]


def _rejections_sql(f: Filters, key_sql: str) -> tuple[str, list]:
    """Rejected MQL entries of the date range: one row per entry with `key` and the reason's label."""
    dims, dim_params = f.dimension_sql("m")
    window, window_params = f.window_sql("m.verdict_at")
    sql = (f"select {key_sql} as dimension_value, m.reason_code, coalesce(r.label, m.reason_code, ?) as reason "
           f"from mart_mql_followup as m left join feedback_reasons as r using (reason_code) "
           f"where m.verdict = 'reject' and {window} and m.verdict_at < ?::timestamp "
           f"and m.mql_at < ?::timestamp{dims}")
    return sql, [NO_REASON] + window_params + [reading_moment(f), f.end_exclusive] + dim_params


def _top_reasons(cur, f: Filters, column: str) -> pd.DataFrame:
    rejections, params = _rejections_sql(f, f"m.{column}")
    sql = (f"select dimension_value, arg_max(reason, n) as top_reason from (select dimension_value, reason, "
           f"count(*) as n from ({rejections}) group by all) group by 1")
    return cur.execute(sql, params).df()


_MIX_DIMENSIONS = ("all", "month") + tuple(DIMENSIONS)


@metric(
    name="rejection_reason_mix",
    label="Rejection reason mix",
    definition="Rejected MQLs by the reason sales gave, as counts and as a share of the rejections of each value "
    "of one dimension (or of all of them, or of each month of the rejection). Rejections without a feedback "
    f"entry count as {NO_REASON}. Retired reasons stay under their own name. " + _WORKED_NOTE,
    grain="one row per dimension value per reason",
    owner="marketing",
    format="percent",
    area="feedback",
    params=(Param("dimension", str, "all", "what to break the mix down by", _MIX_DIMENSIONS),),
)
def rejection_reason_mix(cur, f: Filters, dimension: str = "all") -> pd.DataFrame:
    _check_dimension(dimension, _MIX_DIMENSIONS)
    if dimension == "all":
        key = "'All rejections'"
    elif dimension == "month":
        key = "strftime(m.verdict_at, '%Y-%m')"
    else:
        key = f"m.{DIMENSIONS[dimension]}"
    rejections, params = _rejections_sql(f, key)
    sql = (f"select dimension_value, reason_code, reason, count(*) as rejected_count from ({rejections}) "
           f"group by all order by dimension_value, rejected_count desc, reason")
    frame = cur.execute(sql, params).df()
    totals = frame.groupby("dimension_value")["rejected_count"].transform("sum")
    frame["share"] = safe_rate(frame["rejected_count"], totals)
    return frame


@metric(
    name="rejection_trend",
    label="Rejection rate by month",
    definition="Rejected / worked MQLs month by month (by the month of the verdict), with a 95% Wilson interval; "
    "partial months at the ends of the range count only the days inside it. " + _WORKED_NOTE,
    grain="one row per month",
    owner="marketing",
    format="percent",
    area="feedback",
)
def rejection_trend(cur, f: Filters) -> pd.DataFrame:
    frame = worked_counts(cur, f, "date_trunc('month', verdict_at)", "month")
    months = pd.date_range(pd.Timestamp(f.start).to_period("M").to_timestamp(),
                           pd.Timestamp(f.end).to_period("M").to_timestamp(), freq="MS").astype("datetime64[ns]")
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[ns]")
    frame = frame.set_index("month").reindex(months).fillna(0).astype("int64")
    frame.index.name = "month"
    frame = frame.reset_index()
    frame["rejection_rate"] = safe_rate(frame["rejected"], frame["worked"])
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["rejected"], frame["worked"])
    frame["is_small_sample"] = frame["worked"] < MIN_SAMPLE
    return frame


RECYCLED_OUTCOMES = (
    ("recycled", "Recycled to nurture"),
    ("came_back", "Came back as MQL"),
    ("accepted_on_return", "Accepted on return"),
    ("reached_sql", "Reached SQL"),
    ("won", "Won"),
)


@metric(
    name="recycled_outcomes",
    label="What became of recycled leads",
    definition="Of the MQLs sales recycled to nurture in the date range, how many came back as an MQL, were "
    "accepted when they came back, reached SQL and were won after the recycle, by the as-of date; each as a "
    "count and a share of the recycled; on the came-back row, the median days from the recycle to the return.",
    grain="one row per outcome",
    owner="marketing",
    format="count",
    area="feedback",
)
def recycled_outcomes(cur, f: Filters) -> pd.DataFrame:
    dims, dim_params = f.dimension_sql("m")
    window, window_params = f.window_sql("m.verdict_at")
    moment = reading_moment(f)
    counts = [f"count(*) filter (where {cond}) as {name}" for name, cond in (
        ("came_back", "next_mql_at < ?::timestamp"),
        ("accepted_on_return", "next_verdict = 'accept' and next_verdict_at < ?::timestamp"),
        ("reached_sql", "sql_at > verdict_at and sql_at < ?::timestamp"),
        ("won", "won_at > verdict_at and won_at < ?::timestamp"))]
    sql = (f"select count(*) as recycled, {', '.join(counts)}, "
           f"quantile_cont(epoch(next_mql_at - verdict_at) / 86400.0, 0.5) "
           f"filter (where next_mql_at < ?::timestamp) as median_days_to_return "
           f"from mart_mql_followup as m where m.verdict = 'recycle' and {window} and m.verdict_at < ?::timestamp"
           f"{dims}")
    row = cur.execute(sql, [moment] * 5 + window_params + [moment] + dim_params).df().iloc[0]
    frame = pd.DataFrame({"outcome": [key for key, _ in RECYCLED_OUTCOMES],
                          "label": [label for _, label in RECYCLED_OUTCOMES],
                          "count": [int(row[key]) for key, _ in RECYCLED_OUTCOMES]})
    frame["share_of_recycled"] = safe_rate(frame["count"], pd.Series([row["recycled"]] * len(frame)))
    frame["median_days_to_return"] = [row["median_days_to_return"] if key == "came_back" else float("nan")
                                      for key, _ in RECYCLED_OUTCOMES]
    return frame


# --- score calibration beside capacity ----------------------------------------------------------

SCORE_BANDS = ("0-24", "25-49", "50-74", "75-100", "(no score)")
_DELIVERED_NOTE = (
    "MQLs = MQL entries delivered in the date range; outcomes are counted by the as-of date. Minutes to first "
    "touch are business minutes under the first-touch SLA policy (calendar minutes if there is none); "
    "automated emails are not a touch."
)


# Without a first-touch policy the clock runs around the clock: minutes are calendar minutes.
_ALWAYS_OPEN = Policy("always-open", "sales", "Calendar minutes", "", 0.0, "minutes", 1.0, 0, 24,
                      (1, 2, 3, 4, 5, 6, 7))


def _delivered(cur, f: Filters, key_sql: str, selects: str) -> pd.DataFrame:
    """`selects` aggregated over the MQL entries delivered in the date range (columns of mart_mql_followup
    plus touch_minutes: business minutes to the first touch, null if none by the reading moment, and the
    CTE p's reading_at), grouped by `key_sql`, a fixed SQL expression."""
    policy = find_policy(cur, "sales", "minutes") or _ALWAYS_OPEN
    dims, dim_params = f.dimension_sql("m")
    window, window_params = f.window_sql("m.mql_at")
    sql = (f"with {POLICY_CTE}, delivered as (select m.*, case when m.first_touch_at < p.reading_at "
           f"then {clock_sql('m.first_touch_at')} - {clock_sql('m.mql_at')} end as touch_minutes "
           f"from mart_mql_followup as m, p where {window} and m.mql_at < p.reading_at{dims}) "
           f"select {key_sql}, {selects} from delivered, p group by all")
    return cur.execute(sql, policy_cte_params(policy, f) + window_params + dim_params).df()


@metric(
    name="score_calibration",
    label="Lead score calibration",
    definition="Per lead score band: MQLs delivered, the share never touched and the median minutes to first "
    "touch (did anyone call them?), the rejection rate of those worked, and how many reached SQL and were won: "
    "SQL rate = reached SQL / MQLs, SQL rate if touched = reached SQL / MQLs touched, SQL → Won = won / reached "
    "SQL. A band whose leads convert when touched but are often not touched is a capacity problem, not a "
    "lead problem. " + _DELIVERED_NOTE,
    grain="one row per score band",
    owner="shared",
    format="percent",
    area="feedback",
)
def score_calibration(cur, f: Filters) -> pd.DataFrame:
    frame = _delivered(cur, f, "score_band", _OUTCOME_SELECTS)
    frame = frame.set_index("score_band").reindex(SCORE_BANDS).fillna({c: 0 for c in _OUTCOME_COUNTS})
    frame[_OUTCOME_COUNTS] = frame[_OUTCOME_COUNTS].astype("int64")
    frame = frame.reset_index()
    frame["untouched_share"] = 1 - safe_rate(frame["touched"], frame["mqls"])
    frame["rejection_rate"] = safe_rate(frame["rejected"], frame["worked"])
    frame["sql_rate"] = safe_rate(frame["reached_sql"], frame["mqls"])
    frame["sql_rate_if_touched"] = safe_rate(frame["reached_sql_touched"], frame["touched"])
    frame["sql_to_won_rate"] = safe_rate(frame["won"], frame["reached_sql"])
    frame["is_small_sample"] = frame["mqls"] < MIN_SAMPLE
    return frame


_OUTCOME_COUNTS = ["mqls", "touched", "worked", "rejected", "reached_sql", "reached_sql_touched", "won", "open_now",
                   "untouched_open"]
_OPEN = ("(verdict_at is null or verdict_at >= p.reading_at) "
         "and (next_mql_at is null or next_mql_at >= p.reading_at)")
_OUTCOME_SELECTS = (
    "count(*) as mqls, count(touch_minutes) as touched, "
    "count(*) filter (where verdict_at < p.reading_at) as worked, "
    "count(*) filter (where verdict = 'reject' and verdict_at < p.reading_at) as rejected, "
    "count(*) filter (where sql_at < p.reading_at) as reached_sql, "
    "count(*) filter (where sql_at < p.reading_at and touch_minutes is not null) as reached_sql_touched, "
    "count(*) filter (where won_at < p.reading_at) as won, "
    f"count(*) filter (where {_OPEN}) as open_now, "
    f"count(*) filter (where {_OPEN} and touch_minutes is null) as untouched_open, "
    "quantile_cont(touch_minutes, 0.5) as median_touch_minutes"
)


@metric(
    name="sales_capacity",
    label="Sales capacity",
    definition="Per SDR (the lead's owner): MQLs delivered to them in the date range and per week, those still "
    "open (no verdict by the as-of date) and those open and never touched, the median minutes to first "
    "touch, and the rejection rate of those worked. Read beside score calibration: many open, untouched MQLs "
    "mean nobody called them. " + _DELIVERED_NOTE,
    grain="one row per SDR",
    owner="sales",
    format="count",
    area="feedback",
)
def sales_capacity(cur, f: Filters) -> pd.DataFrame:
    frame = _delivered(cur, f, "sdr_rep_name, sdr_team_name", _OUTCOME_SELECTS)
    days = max((min(f.end, f.as_of_date) - f.start).days + 1, 1)
    frame["mqls_per_week"] = frame["mqls"] / (days / 7)
    frame["rejection_rate"] = safe_rate(frame["rejected"], frame["worked"])
    frame = frame.sort_values(["open_now", "sdr_rep_name"], ascending=[False, True]).reset_index(drop=True)
    return frame[["sdr_rep_name", "sdr_team_name", "mqls", "mqls_per_week", "open_now", "untouched_open",
                  "median_touch_minutes", "worked", "rejection_rate"]]


# --- the inbox ----------------------------------------------------------------------------------

INBOX_STATUSES = ("open", "acknowledged", "action_planned", "resolved")
INBOX_VERDICTS = ("accept", "reject", "recycle", "rating")
# Entries given in the window (three parameters: start, end exclusive, reading moment), with their lead's
# dimensions from its first MQL entry (feedback is given on MQLs; mart_mql_followup is a fifth the size
# of mart_lead_funnel, which keeps the inbox fast at a million leads) or their campaign's.
_ENTRIES = (
    "first_answers as (select feedback_id, min(responded_at) as first_at from feedback_responses group by 1), "
    "entries as (select s.feedback_id, s.created_at, s.author_rep_id, coalesce(a.rep_name, s.author_rep_id) "
    "as author_name, coalesce(t.team_name, a.team_id) as author_team, s.lead_id, "
    "coalesce(s.campaign_id, f.campaign_id) as campaign_id, coalesce(c.campaign_name, '(no campaign)') "
    "as campaign_name, coalesce(f.channel, c.channel, '(none)') as channel, f.segment, f.region, f.sdr_team_id, "
    "f.ae_team_id, s.verdict, s.reason_code, coalesce(r.label, s.reason_code) as reason, s.rating, s.note, "
    "s.status, s.response_note, coalesce(rr.rep_name, s.responded_by_rep_id) as responded_by, s.responded_at, "
    "coalesce(fa.first_at, s.responded_at) as first_response_at "
    "from (select * from sales_feedback where created_at >= ?::timestamp and created_at < ?::timestamp "
    "and created_at < ?::timestamp) as s "
    "left join mart_mql_followup as f on f.lead_id = s.lead_id and f.mql_number = 1 "
    "left join campaigns as c on c.campaign_id = coalesce(s.campaign_id, f.campaign_id) "
    "left join feedback_reasons as r on r.reason_code = s.reason_code "
    "left join reps as a on a.rep_id = s.author_rep_id left join teams as t on t.team_id = a.team_id "
    "left join reps as rr on rr.rep_id = s.responded_by_rep_id left join first_answers as fa using (feedback_id))"
)
_INBOX_NOTE = (
    "Feedback entries given in the date range (by the as-of date). Lead entries follow the lead's segment, "
    "region, channel and team; a campaign rating follows its campaign's channel and is left out by a segment, "
    "region or team filter. Time to response = hours from the entry to marketing's first answer."
)


def _entries_sql(f: Filters, selects: str, select_params: list) -> tuple[str, list]:
    """`with ... entries as (...) select <selects> from entries as e where <filters>` and its parameters;
    `selects` reads alias e and takes `select_params`."""
    dims, dim_params = f.dimension_sql("e")
    return (f"with {_ENTRIES} select {selects} from entries as e where true{dims}",
            [f.start, f.end_exclusive, reading_moment(f)] + select_params + dim_params)


@metric(
    name="feedback_inbox",
    label="Feedback inbox",
    definition="Sales' feedback for marketing to answer, newest first: lead verdicts with reason, rating and "
    "note, and campaign ratings, with the current status, the latest answer and the time to response (or, "
    "unanswered, the hours waiting so far). Optionally only one status, reason, campaign, channel, author "
    "(rep id) or kind of entry; up to `limit` rows. " + _INBOX_NOTE,
    grain="one row per feedback entry",
    owner="shared",
    format="table",
    area="feedback",
    params=(Param("status", str, "", "only this status (empty: all)", ("",) + INBOX_STATUSES),
            Param("reason", str, "", "only this reason code (empty: all)"),
            Param("campaign", str, "", "only this campaign id (empty: all)"),
            Param("channel", str, "", "only this channel (empty: all)"),
            Param("rep", str, "", "only this author's rep id (empty: all)"),
            Param("verdict", str, "", "only this kind of entry (empty: all)", ("",) + INBOX_VERDICTS),
            Param("limit", int, 2000, "most rows returned")),
)
def feedback_inbox(cur, f: Filters, status: str = "", reason: str = "", campaign: str = "", channel: str = "",
                   rep: str = "", verdict: str = "", limit: int = 2000) -> pd.DataFrame:
    moment = reading_moment(f)
    selects = ("e.feedback_id, e.created_at, e.author_rep_id, e.author_name, e.author_team, e.verdict, e.lead_id, "
               "e.campaign_id, e.campaign_name, e.channel, e.reason_code, e.reason, e.rating, e.note, e.status, "
               "e.response_note, e.responded_by, e.responded_at, "
               "case when e.first_response_at < ?::timestamp then epoch(e.first_response_at - e.created_at) / 3600.0 "
               "end as hours_to_response, case when e.first_response_at is null or e.first_response_at >= "
               "?::timestamp then epoch(?::timestamp - e.created_at) / 3600.0 end as hours_waiting")
    sql, params = _entries_sql(f, selects, [moment] * 3)
    for column, value in (("status", status), ("reason_code", reason), ("campaign_id", campaign),
                          ("channel", channel), ("author_rep_id", rep), ("verdict", verdict)):
        if value:
            sql += f" and e.{column} = ?"
            params.append(value)
    sql += " order by e.created_at desc, e.feedback_id limit ?"
    return cur.execute(sql, params + [int(limit)]).df()


@metric(
    name="feedback_response_time",
    label="Time to response",
    definition="Over the feedback entries given in the date range: how many marketing has answered by the as-of "
    "date, the share answered, the median and 90th percentile hours to the first answer, and the entries by "
    "current status. " + _INBOX_NOTE,
    grain="one row for the date range",
    owner="marketing",
    format="table",
    area="feedback",
)
def feedback_response_time(cur, f: Filters) -> pd.DataFrame:
    hours = "epoch(e.first_response_at - e.created_at) / 3600.0"
    answered = "e.first_response_at < ?::timestamp"
    selects = (f"count(*) as entries, count(*) filter (where {answered}) as answered, "
               f"quantile_cont({hours}, 0.5) filter (where {answered}) as median_hours, "
               f"quantile_cont({hours}, 0.9) filter (where {answered}) as p90_hours, "
               + ", ".join(f"count(*) filter (where e.status = '{s}') as status_{s}" for s in INBOX_STATUSES))
    frame = cur.execute(*_entries_sql(f, selects, [reading_moment(f)] * 3)).df()
    frame["unanswered"] = frame["entries"] - frame["answered"]
    frame["answered_share"] = safe_rate(frame["answered"], frame["entries"])
    return frame


@metric(
    name="campaign_feedback",
    label="Sales' ratings of campaigns",
    definition="Per campaign, over the feedback given in the date range: sales' ratings of the campaign as a whole "
    "(count and mean, 1-5), the ratings sales gave its leads (count and mean), its rejections and the latest "
    "campaign rating's note. Lowest mean campaign rating first. " + _INBOX_NOTE,
    grain="one row per campaign with feedback",
    owner="marketing",
    format="table",
    area="feedback",
)
def campaign_feedback(cur, f: Filters) -> pd.DataFrame:
    selects = ("e.campaign_name, e.channel, count(*) filter (where e.verdict = 'rating') as campaign_ratings, "
               "avg(e.rating) filter (where e.verdict = 'rating') as mean_campaign_rating, "
               "count(e.rating) filter (where e.verdict <> 'rating') as lead_ratings, "
               "avg(e.rating) filter (where e.verdict <> 'rating') as mean_lead_rating, "
               "count(*) filter (where e.verdict = 'reject') as rejections, "
               "arg_max(e.note, e.created_at) filter (where e.verdict = 'rating') as latest_note")
    sql, params = _entries_sql(f, selects, [])
    sql += (" group by e.campaign_name, e.channel "
            "order by mean_campaign_rating nulls last, campaign_ratings desc, e.campaign_name")
    return cur.execute(sql, params).df()
