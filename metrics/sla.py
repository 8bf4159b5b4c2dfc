"""The two-sided SLA ledger: what each side promised the other (sla_policy) against what happened.

Sales owes marketing a first touch on every MQL within the first-touch policy's minutes, counted in
business hours only; marketing owes sales a number of MQLs a month and an acceptance rate. Reads
mart_mql_followup (one row per MQL entry) and, for MQLs delivered, the `mqls` KPI.

The business clock: minutes inside the policy's business hours on its business days. An MQL that
arrives on Friday evening has a clock standing still until Monday's opening, so its deadline is
Monday morning. The clock is computed in SQL as "business minutes since a reference Monday", so the
minutes between two moments are a subtraction and a deadline is the clock's inverse.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from metrics.filters import Filters
from metrics.registry import Param, get, metric
from metrics.stats import MIN_SAMPLE, safe_rate, wilson_interval

GRAINS = ("total", "month")
# Breakdown name -> column of mart_mql_followup. Owner and team are the lead's owner (its SDR).
BREACH_DIMENSIONS = {
    "team": "sdr_team_name",
    "rep": "sdr_rep_name",
    "channel": "channel",
    "campaign": "campaign_name",
    "segment": "segment",
    "region": "region",
}
# Response bands in business minutes: (label, lower bound exclusive, upper bound inclusive).
BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-5 min", -math.inf, 5), ("5-15 min", 5, 15), ("15-60 min", 15, 60), ("60+ min", 60, math.inf))
_REFERENCE_MONDAY = "DATE '1970-01-05'"


@dataclass(frozen=True)
class Policy:
    """One row of sla_policy."""

    policy_id: str
    side: str
    name: str
    description: str
    threshold: float
    unit: str
    compliance_target: float
    hours_start: int
    hours_end: int
    business_days: tuple[int, ...]  # ISO weekdays, Monday = 1

    @property
    def day_minutes(self) -> int:
        return (self.hours_end - self.hours_start) * 60

    def clock_params(self) -> list:
        """The values the business-clock SQL reads from CTE p, in its column order (after threshold)."""
        weekdays = range(1, 8)
        days_before = [sum(1 for d in self.business_days if d < day) for day in weekdays]
        is_open = [1 if day in self.business_days else 0 for day in weekdays]
        nth_day = [d - 1 for d in self.business_days]  # weekday index (Monday = 0) of the j-th business day
        return [self.hours_start * 60, self.day_minutes, len(self.business_days), days_before, is_open, nth_day]

    def slack_days(self) -> int:
        """Calendar days a deadline can lie after its MQL: a bound, to prefilter by MQL time."""
        weeks = math.ceil(self.threshold / (self.day_minutes * len(self.business_days)))
        return 7 * (weeks + 1)


def policies(cur) -> list[Policy]:
    """Every SLA policy, sales' first."""
    rows = cur.execute("select policy_id, side, name, description, threshold, unit, coalesce(compliance_target, 0.9), "
                       "coalesce(business_hours_start, 9), coalesce(business_hours_end, 17), "
                       "coalesce(business_days, '1,2,3,4,5') from sla_policy "
                       "order by side desc, effective_from desc, policy_id").fetchall()
    return [Policy(*row[:9], tuple(int(d) for d in row[9].split(",") if d.strip())) for row in rows]


def find_policy(cur, side: str, unit: str) -> Policy | None:
    """The policy for one promise (sales/minutes: first touch; marketing/count: MQL volume; marketing/ratio:
    acceptance); the newest if there are several."""
    return next((p for p in policies(cur) if p.side == side and p.unit == unit), None)


def reading_moment(f: Filters) -> datetime:
    """Numbers are read at the end of the as-of day, or now if that is still to come."""
    return min(datetime.combine(f.as_of_date + timedelta(days=1), datetime.min.time()), datetime.now())


# --- the business clock in SQL --------------------------------------------------------------------

POLICY_CTE = ("p as (select ?::double as threshold, ?::double as open_minute, ?::double as day_minutes, "
              "?::integer as days_per_week, ?::integer[] as days_before, ?::integer[] as is_open, "
              "?::integer[] as nth_day, ?::timestamp as reading_at)")


def policy_cte_params(policy: Policy, f: Filters) -> list:
    return [policy.threshold, *policy.clock_params(), reading_moment(f)]


def clock_sql(ts: str) -> str:
    """Business minutes from the reference Monday to `ts`, a fixed SQL expression (never user text)."""
    day = f"date_diff('day', {_REFERENCE_MONDAY}, ({ts})::date)"
    week = f"floor({day} / 7)"
    weekday = f"(({day}) - 7 * {week})::integer + 1"  # list index: Monday = 1
    minute = f"(epoch({ts}) - epoch(({ts})::date)) / 60.0"
    return (f"((({week}) * p.days_per_week + p.days_before[{weekday}]) * p.day_minutes + "
            f"p.is_open[{weekday}] * least(greatest({minute} - p.open_minute, 0), p.day_minutes))")


def moment_sql(clock: str) -> str:
    """The timestamp at which the business clock reads `clock` (a deadline falls at the end of a business
    day rather than the next opening)."""
    k = f"(ceil(({clock}) / p.day_minutes) - 1)"  # business days before the one it falls in
    week = f"floor({k} / p.days_per_week)"
    index = f"(({k}) - {week} * p.days_per_week)::integer + 1"
    minute = f"(({week}) * 7 + p.nth_day[{index}]) * 1440 + p.open_minute + ({clock}) - ({k}) * p.day_minutes"
    return f"({_REFERENCE_MONDAY}::timestamp + to_microseconds(round(({minute}) * 60e6)::bigint))"


def due_mqls_sql(f: Filters, policy: Policy) -> tuple[str, list]:
    """CTEs `p`, `deadlines` and `due`.

    deadlines: one row per MQL entry that could fall due in the date range (columns of mart_mql_followup
    plus due_at and response_minutes: business minutes to the first human touch, null if none by the
    reading moment). due: those whose deadline fell in the date range by the reading moment, plus
    is_within and breach ('late', 'not touched', null).
    """
    dims, dim_params = f.dimension_sql("m")
    window, window_params = f.window_sql("d.due_at")
    sql = (
        f"{POLICY_CTE}, "
        f"clocked as (select m.*, {clock_sql('m.mql_at')} as mql_clock, "
        f"case when m.first_touch_at < p.reading_at then {clock_sql('m.first_touch_at')} end as touch_clock "
        f"from mart_mql_followup as m, p where m.mql_at >= ?::timestamp and m.mql_at < ?::timestamp{dims}), "
        f"deadlines as (select c.* exclude (mql_clock, touch_clock), c.touch_clock - c.mql_clock as response_minutes, "
        f"{moment_sql('c.mql_clock + p.threshold')} as due_at from clocked as c, p), "
        f"due as (select d.*, coalesce(d.response_minutes <= p.threshold, false) as is_within, "
        f"case when d.response_minutes is null then 'not touched' when d.response_minutes > p.threshold "
        f"then 'late' end as breach from deadlines as d, p where {window} and d.due_at <= p.reading_at)"
    )
    params = (policy_cte_params(policy, f) + [f.start - timedelta(days=policy.slack_days()), f.end_exclusive]
              + dim_params + window_params)
    return sql, params


def _band_selects() -> str:
    parts = []
    for i, (_label, low, high) in enumerate(BANDS):
        conds = ["response_minutes is not null"]
        if low != -math.inf:
            conds.append(f"response_minutes > {low:g}")
        if high != math.inf:
            conds.append(f"response_minutes <= {high:g}")
        parts.append(f"count(*) filter (where {' and '.join(conds)}) as band_{i}")
    return ", ".join(parts)


def _months(f: Filters) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(f.start).to_period("M").to_timestamp(),
                         pd.Timestamp(f.end).to_period("M").to_timestamp(), freq="MS").astype("datetime64[ns]")


def _every_month(frame: pd.DataFrame, f: Filters, counts: list[str]) -> pd.DataFrame:
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[ns]")
    frame = frame.set_index("month").reindex(_months(f))
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame.index.name = "month"
    return frame.reset_index()


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}; got {grain!r}.")


_GRAIN = Param("grain", str, "total", "total: one row for the date range; month: one row per month", GRAINS)
_FIRST_TOUCH_NOTE = (
    "Time to first touch = business minutes from an MQL entry to the first call, email or meeting sales logs on "
    "the lead (automated emails do not count), counted only inside the first-touch policy's business hours "
    "and days. An MQL's deadline is the moment its clock reaches the policy's minutes; MQLs count in the "
    "period their deadline fell in, and MQLs whose deadline has not come by the as-of date are left out "
    "(not yet due). A due MQL never touched is a breach."
)
FIRST_TOUCH_COUNTS = ["due_count", "within_count", "late_count", "untouched_count"] + [
    f"band_{i}" for i in range(len(BANDS))]


@metric(
    name="sla_first_touch",
    label="First touch within SLA",
    definition=_FIRST_TOUCH_NOTE + " Compliance = MQLs first-touched within the policy's minutes / MQLs due, "
    "with a 95% Wilson interval; the promise is kept when compliance reaches the policy's compliance target. "
    "P50 and P95 are over the MQLs touched; bands (0-5, 5-15, 15-60, 60+ minutes; upper bounds inclusive) "
    "count them, the never-touched separately.",
    grain="one row for the date range (grain=total) or one per month of deadlines (grain=month)",
    owner="sales",
    format="percent",
    area="sla",
    params=(_GRAIN,),
)
def sla_first_touch(cur, f: Filters, grain: str = "total") -> pd.DataFrame:
    _check_grain(grain)
    policy = find_policy(cur, "sales", "minutes")
    if policy is None:
        return _no_policy_frame(f, grain)
    return first_touch(cur, f, grain, policy, detail=True)


def first_touch(cur, f: Filters, grain: str, policy: Policy, detail: bool) -> pd.DataFrame:
    """sla_first_touch under `policy`; without `detail` only the counts and compliance (what the ledger needs)."""
    due_sql, params = due_mqls_sql(f, policy)
    month = "date_trunc('month', due_at) as month, " if grain == "month" else ""
    group = " group by 1" if grain == "month" else ""
    counts = ("count(*) as due_count, count(*) filter (where is_within) as within_count, "
              "count(*) filter (where breach = 'late') as late_count, "
              "count(*) filter (where breach = 'not touched') as untouched_count")
    extra, extra_params = "", []
    if detail:
        extra = (", quantile_cont(response_minutes, 0.5) as p50_minutes, "
                 f"quantile_cont(response_minutes, 0.95) as p95_minutes, {_band_selects()}")
        if grain == "total":  # not yet due: delivered in the range, deadline still to come
            extra += (", (select count(*) from deadlines, p where mql_at >= ?::timestamp and mql_at < ?::timestamp "
                      "and due_at > p.reading_at) as not_yet_due_count")
            extra_params = [f.start, f.end_exclusive]
    frame = cur.execute(f"with {due_sql} select {month}{counts}{extra} from due{group}", params + extra_params).df()
    if grain == "month":
        frame = _every_month(frame, f, [c for c in FIRST_TOUCH_COUNTS if c in frame])
    return _with_compliance(frame, policy)


_BREACH_COUNTS = {"due_count": "true", "within_count": "is_within", "late_count": "breach = 'late'",
                  "untouched_count": "breach = 'not touched'"}


def first_touch_by_window(cur, windows: Sequence[Filters]) -> pd.DataFrame:
    """sla_first_touch's counts and compliance at grain=total (first_touch without detail), one row per window
    (windows differing in dates only), in one statement over the MQLs due in any of them."""
    policy = find_policy(cur, "sales", "minutes")
    if policy is None:
        return pd.concat([_no_policy_frame(f, "total") for f in windows], ignore_index=True)
    due_sql, params = due_mqls_sql(Filters.spanning(windows), policy)
    counts, count_params = [], []
    for k, f in enumerate(windows):
        window, window_params = f.window_sql("due_at")
        for name, condition in _BREACH_COUNTS.items():
            counts.append(f"count(*) filter (where {window} and {condition}) as {name}_{k}")
            count_params += window_params
    row = cur.execute(f"with {due_sql} select {', '.join(counts)} from due", params + count_params).fetchall()[0]
    return _with_compliance(_by_window(row, list(_BREACH_COUNTS), len(windows)), policy)


def _by_window(row: tuple, names: list[str], windows: int) -> pd.DataFrame:
    """A row of columns <name>_<k> (each window's names in turn) as a frame of one row per window k."""
    return pd.DataFrame([row[k * len(names):(k + 1) * len(names)] for k in range(windows)], columns=names)


def _with_compliance(frame: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    frame["compliance"] = safe_rate(frame["within_count"], frame["due_count"])
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["within_count"], frame["due_count"])
    frame["threshold_minutes"] = policy.threshold
    frame["compliance_target"] = policy.compliance_target
    frame["is_met"] = frame["compliance"] >= policy.compliance_target
    frame["is_small_sample"] = frame["due_count"] < MIN_SAMPLE
    return frame


def _no_policy_frame(f: Filters, grain: str) -> pd.DataFrame:
    """No first-touch promise in sla_policy: nothing is due, so zero counts and no rates."""
    frame = pd.DataFrame({"month": _months(f)}) if grain == "month" else pd.DataFrame(index=[0])
    for column in FIRST_TOUCH_COUNTS + ([] if grain == "month" else ["not_yet_due_count"]):
        frame[column] = 0
    for column in ("p50_minutes", "p95_minutes", "compliance", "ci_low", "ci_high", "threshold_minutes",
                   "compliance_target"):
        frame[column] = math.nan
    frame["is_met"], frame["is_small_sample"] = False, True
    return frame


@metric(
    name="sla_breaches",
    label="First-touch breaches by owner, team or source",
    definition=_FIRST_TOUCH_NOTE + " Per value of one dimension: MQLs due, touched within the SLA, touched late "
    "and never touched, compliance with its 95% Wilson interval (under 30 due flagged as a small sample) and "
    "the median business minutes to first touch. Owner and team are the lead's owner (its SDR); source is the "
    "lead's channel or campaign. Worst compliance first.",
    grain="one row per dimension value",
    owner="sales",
    format="percent",
    area="sla",
    params=(Param("dimension", str, "team", "what to break breaches down by", tuple(BREACH_DIMENSIONS)),),
)
def sla_breaches(cur, f: Filters, dimension: str = "team") -> pd.DataFrame:
    if dimension not in BREACH_DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(BREACH_DIMENSIONS)}; got {dimension!r}.")
    columns = ["dimension_value", "due_count", "within_count", "late_count", "untouched_count", "breach_count",
               "p50_minutes", "compliance", "ci_low", "ci_high", "is_small_sample"]
    policy = find_policy(cur, "sales", "minutes")
    if policy is None:
        return pd.DataFrame(columns=columns)
    due_sql, params = due_mqls_sql(f, policy)
    column = BREACH_DIMENSIONS[dimension]
    sql = (f"with {due_sql} select {column} as dimension_value, count(*) as due_count, "
           f"count(*) filter (where is_within) as within_count, count(*) filter (where breach = 'late') as late_count, "
           f"count(*) filter (where breach = 'not touched') as untouched_count, "
           f"count(*) filter (where breach is not null) as breach_count, "
           f"quantile_cont(response_minutes, 0.5) as p50_minutes from due group by 1")
    frame = cur.execute(sql, params).df()
    frame["compliance"] = safe_rate(frame["within_count"], frame["due_count"])
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["within_count"], frame["due_count"])
    frame["is_small_sample"] = frame["due_count"] < MIN_SAMPLE
    frame = frame.sort_values(["compliance", "due_count", "dimension_value"], ascending=[True, False, True])
    return frame[columns].reset_index(drop=True)


BREACH_RECORD_COLUMNS = ("lead_id", "mql_at", "due_at", "first_touch_at", "response_minutes", "breach", "sdr_rep_name",
                         "sdr_team_name", "channel", "campaign_name", "segment", "region", "score")


@metric(
    name="sla_breaching_leads",
    label="MQLs that breached the first-touch SLA",
    definition=_FIRST_TOUCH_NOTE + " The breaching MQLs themselves (touched late or never), newest deadline "
    "first, optionally only those of one value of a breach dimension, up to `limit` rows.",
    grain="one row per breaching MQL entry",
    owner="sales",
    format="table",
    area="sla",
    params=(Param("dimension", str, "", "restrict to one value of this dimension (empty: all)",
                  ("",) + tuple(BREACH_DIMENSIONS)),
            Param("value", str, "", "the dimension's value"),
            Param("limit", int, 5000, "most rows returned")),
)
def sla_breaching_leads(cur, f: Filters, dimension: str = "", value: str = "", limit: int = 5000) -> pd.DataFrame:
    if dimension and dimension not in BREACH_DIMENSIONS:
        raise ValueError(f"dimension must be empty or one of {', '.join(BREACH_DIMENSIONS)}; got {dimension!r}.")
    policy = find_policy(cur, "sales", "minutes")
    if policy is None:
        return pd.DataFrame(columns=list(BREACH_RECORD_COLUMNS))
    due_sql, params = due_mqls_sql(f, policy)
    only, only_params = (f" and {BREACH_DIMENSIONS[dimension]} = ?", [value]) if dimension else ("", [])
    sql = (f"with {due_sql} select {', '.join(BREACH_RECORD_COLUMNS)} from due where breach is not null{only} "
           f"order by due_at desc, lead_id limit ?")
    return cur.execute(sql, params + only_params + [int(limit)]).df()


# --- marketing's side ---------------------------------------------------------------------------

def _days_counted(f: Filters, month: date) -> tuple[int, int]:
    """(days of `month` inside the date range and up to the as-of date, days in the month)."""
    first = month
    last = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    start, end = max(first, f.start), min(last, f.end, f.as_of_date)
    return max((end - start).days + 1, 0), (last - first).days + 1


@metric(
    name="mql_delivery",
    label="MQLs delivered against commitment",
    definition="MQLs delivered = leads that became marketing qualified in the period (the MQLs metric). "
    "Committed = the MQL-volume policy's monthly number, prorated by the days of each month inside the date "
    "range and up to the as-of date. Attainment = delivered / committed; the shortfall is the MQLs still owed.",
    grain="one row for the date range (grain=total) or one per month (grain=month)",
    owner="marketing",
    format="count",
    area="sla",
    params=(_GRAIN,),
)
def mql_delivery(cur, f: Filters, grain: str = "total") -> pd.DataFrame:
    _check_grain(grain)
    monthly = get("mqls")(cur, f, grain="month")[["month", "value"]].rename(columns={"value": "delivered"})
    policy = find_policy(cur, "marketing", "count")
    per_month = policy.threshold if policy else math.nan
    share = [n / total for n, total in (_days_counted(f, m.date()) for m in monthly["month"])]
    monthly["committed"] = [per_month * s for s in share]
    if grain == "total":
        monthly = pd.DataFrame({"delivered": [int(monthly["delivered"].sum())],
                                "committed": [float(monthly["committed"].sum())]})
    monthly["delivered"] = monthly["delivered"].astype("int64")
    monthly["attainment"] = safe_rate(monthly["delivered"], monthly["committed"])
    monthly["shortfall"] = np.ceil((monthly["committed"] - monthly["delivered"]).clip(lower=0))
    monthly["is_met"] = monthly["delivered"] >= monthly["committed"]
    return monthly


@metric(
    name="mql_acceptance",
    label="MQL acceptance against commitment",
    definition="Of the MQLs sales worked (gave a verdict on) in the period, the share accepted: accepted / "
    "(accepted + rejected + recycled), with a 95% Wilson interval. An MQL's verdict is the first of SAL (or a "
    "later main stage: the skipped-stage rule), Rejected or Recycled after it. MQLs still awaiting a verdict "
    "do not count either way. The promise is kept when the rate reaches the acceptance policy's ratio.",
    grain="one row for the date range (grain=total) or one per month (grain=month)",
    owner="marketing",
    format="percent",
    area="sla",
    params=(_GRAIN,),
)
def mql_acceptance(cur, f: Filters, grain: str = "total") -> pd.DataFrame:
    _check_grain(grain)
    frame = worked_counts(cur, f, "date_trunc('month', verdict_at)" if grain == "month" else None, "month")
    if grain == "month":
        frame = _every_month(frame, f, ["worked", "accepted", "rejected", "recycled"])
    return _with_acceptance(frame, find_policy(cur, "marketing", "ratio"))


_VERDICT_COUNTS = {"worked": "true", "accepted": "verdict = 'accept'", "rejected": "verdict = 'reject'",
                   "recycled": "verdict = 'recycle'"}


def acceptance_by_window(cur, windows: Sequence[Filters]) -> pd.DataFrame:
    """mql_acceptance at grain=total, one row per window (windows differing in dates only), in one statement."""
    span = Filters.spanning(windows)
    dims, dim_params = span.dimension_sql("m")
    span_window, span_params = span.window_sql("m.verdict_at")
    # A flag per row and window that plain count_if aggregates read: cheaper than FILTER clauses.
    flags, counts, flag_params = [], [], []
    for k, f in enumerate(windows):
        window, window_params = f.window_sql("m.verdict_at")
        flags.append(f"({window} and m.mql_at < ?::timestamp) as in_{k}")
        flag_params += window_params + [f.end_exclusive]
        counts += [f"coalesce(count_if(in_{k} and {condition}), 0)" for condition in _VERDICT_COUNTS.values()]
    sql = (f"select {', '.join(counts)} from (select m.verdict, {', '.join(flags)} from mart_mql_followup as m "
           f"where {span_window} and m.verdict_at < ?::timestamp and m.mql_at < ?::timestamp{dims})")
    row = cur.execute(sql, flag_params + span_params + [reading_moment(span), span.end_exclusive]
                      + dim_params).fetchall()[0]
    policy = find_policy(cur, "marketing", "ratio")
    return _with_acceptance(_by_window(row, list(_VERDICT_COUNTS), len(windows)), policy)


def _with_acceptance(frame: pd.DataFrame, policy: Policy | None) -> pd.DataFrame:
    frame["rate"] = safe_rate(frame["accepted"], frame["worked"])
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame["accepted"], frame["worked"])
    frame["commitment"] = policy.threshold if policy else math.nan
    frame["is_met"] = frame["rate"] >= frame["commitment"]
    frame["is_small_sample"] = frame["worked"] < MIN_SAMPLE
    return frame


def worked_counts(cur, f: Filters, key_sql: str | None, key_name: str) -> pd.DataFrame:
    """MQL entries given a verdict in the date range (and before the reading moment), counted by verdict,
    grouped by `key_sql` (a fixed SQL expression over mart_mql_followup) or not at all."""
    dims, dim_params = f.dimension_sql("m")
    window, window_params = f.window_sql("m.verdict_at")
    key = f"{key_sql} as {key_name}, " if key_sql else ""
    group = " group by 1" if key_sql else ""
    sql = (f"select {key}count(*) as worked, count(*) filter (where verdict = 'accept') as accepted, "
           f"count(*) filter (where verdict = 'reject') as rejected, "
           f"count(*) filter (where verdict = 'recycle') as recycled "
           f"from mart_mql_followup as m where {window} and m.verdict_at < ?::timestamp "
           f"and m.mql_at < ?::timestamp{dims}{group}")
    return cur.execute(sql, window_params + [reading_moment(f), f.end_exclusive] + dim_params).df()


# --- the ledger ---------------------------------------------------------------------------------

LEDGER_COLUMNS = ["side", "policy_id", "name", "description", "unit", "threshold", "target", "actual", "numerator",
                  "denominator", "is_met", "shortfall"]


@metric(
    name="sla_ledger",
    label="SLA ledger",
    definition="What each side owes the other, one row per promise in the SLA policy (the newest of each kind): "
    "sales' first touch on MQLs "
    "(actual: compliance, target: the policy's compliance target), marketing's MQL volume (actual: MQLs "
    "delivered, target: committed) and marketing's acceptance rate (actual: acceptance rate, target: the "
    "policy's ratio). Each follows its own metric's definition (sla_first_touch, mql_delivery, mql_acceptance). "
    "Shortfall = the records still owed to keep the promise: MQLs that would have had to be touched in time, "
    "MQLs not delivered, MQLs that would have had to be accepted.",
    grain="one row per promise (grain=total) or per promise per month (grain=month)",
    owner="shared",
    format="table",
    area="sla",
    params=(_GRAIN,),
)
def sla_ledger(cur, f: Filters, grain: str = "total") -> pd.DataFrame:
    _check_grain(grain)
    parts = []
    for (side, unit), measure in _LEDGER_MEASURES.items():
        policy = find_policy(cur, side, unit)
        if policy is None:
            continue
        part = measure(cur, f, grain, policy)
        part.insert(0, "side", policy.side)
        for column, value in (("policy_id", policy.policy_id), ("name", policy.name),
                              ("description", policy.description), ("unit", policy.unit),
                              ("threshold", policy.threshold)):
            part[column] = value
        parts.append(part)
    keys = ["month"] if grain == "month" else []
    if not parts:
        return pd.DataFrame(columns=keys + LEDGER_COLUMNS)
    return pd.concat(parts, ignore_index=True)[keys + LEDGER_COLUMNS]


def _first_touch_row(cur, f: Filters, grain: str, policy: Policy) -> pd.DataFrame:
    frame = first_touch(cur, f, grain, policy, detail=False)
    needed = (frame["due_count"] * policy.compliance_target).apply(math.ceil)
    return _ledger_part(frame, grain, target=policy.compliance_target, actual=frame["compliance"],
                        numerator=frame["within_count"], denominator=frame["due_count"],
                        is_met=frame["is_met"], shortfall=(needed - frame["within_count"]).clip(lower=0))


def _delivery_row(cur, f: Filters, grain: str, policy: Policy) -> pd.DataFrame:
    frame = mql_delivery(cur, f, grain)
    return _ledger_part(frame, grain, target=frame["committed"], actual=frame["delivered"],
                        numerator=frame["delivered"], denominator=frame["committed"], is_met=frame["is_met"],
                        shortfall=frame["shortfall"])


def _acceptance_row(cur, f: Filters, grain: str, policy: Policy) -> pd.DataFrame:
    frame = mql_acceptance(cur, f, grain)
    needed = (frame["worked"] * policy.threshold).apply(math.ceil)
    return _ledger_part(frame, grain, target=policy.threshold, actual=frame["rate"], numerator=frame["accepted"],
                        denominator=frame["worked"], is_met=frame["is_met"],
                        shortfall=(needed - frame["accepted"]).clip(lower=0))


def _ledger_part(frame: pd.DataFrame, grain: str, **columns) -> pd.DataFrame:
    part = pd.DataFrame({"month": frame["month"]}) if grain == "month" else pd.DataFrame(index=frame.index)
    for name, values in columns.items():
        part[name] = values
    part["target"] = part["target"].astype("float64")
    part["actual"] = part["actual"].astype("float64")
    part["denominator"] = part["denominator"].astype("float64")
    part["shortfall"] = part["shortfall"].astype("float64")
    return part


_LEDGER_MEASURES = {
    ("sales", "minutes"): _first_touch_row,
    ("marketing", "count"): _delivery_row,
    ("marketing", "ratio"): _acceptance_row,
}
