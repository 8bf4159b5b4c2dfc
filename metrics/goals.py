"""Goals: a target per metric, period and scope, read against the registered KPI that measures it.

A goal's actual is its metric (a KPI-shaped registered metric: one `value` for a date range with
`grain="total"`) over the goal's period up to the as-of date, restricted to the goal's scope. The
sidebar filters do not apply: each goal carries its own period and scope, so goal metrics read only
`filters.as_of_date` from the Filters they are given (the whole as-of day counts as elapsed).

Pacing (shared/docs/domain.md, section 2, Goals), for additive metrics (counts and sums):
- attainment = actual / target (for a lower-is-better metric, target / actual);
- expected-to-date = target x the share of the period elapsed. When a quarter or year has a goal
  for every one of its months, the share follows those months' targets (linear within a month), so
  a plan with a quiet August does not call August behind; otherwise it is elapsed days / days;
- pace = actual / expected-to-date; status: on track at ON_TRACK_AT or better, at risk at
  AT_RISK_AT or better, off track below;
- linear projection = actual / elapsed days x period days;
- pipeline-weighted projection (won revenue and won deals only) = actual + the open pipeline
  weighted by OPEN_STAGE_WIN_PROBABILITY, of which the share of PIPELINE_HORIZON_DAYS left in the
  period is expected to land in it;
- required run-rate = (target - actual) / days remaining, per day.
A rate or average (win rate, deal size, cycle days) is not paced: its expected-to-date is the target,
its projection is its value to date, and it has no run-rate.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import pandas as pd

from data.stages import ALL_STAGES, MAIN_PATH, STAGE_LABELS, STAGE_OWNER
from metrics import funnel  # noqa: F401  (keeps the registry's order: funnel metrics before the KPIs)
from metrics.filters import Filters, data_bounds
from metrics.kpis import KPIS, KpiSpec
from metrics.periods import PERIOD_TYPES, Period, parse_period
from metrics.registry import REGISTRY, Metric, Param, metric
from metrics.stats import safe_rate

SCOPE_TYPES: tuple[str, ...] = ("all", "segment", "region", "team", "channel")
# Goal scope -> the Filters field that restricts a metric to it.
SCOPE_FILTERS = {"segment": "segments", "region": "regions", "team": "teams", "channel": "channels"}
TARGET_RULES: tuple[str, ...] = ("own", "sum_of_months")

ON_TRACK_AT = 0.95
AT_RISK_AT = 0.85
STATUSES = ("on track", "at risk", "off track", "not started", "no target", "no data")
STATUS_RULE = (f"Status compares the actual with the expected-to-date: on track at {ON_TRACK_AT:.0%} of it or "
               f"better, at risk from {AT_RISK_AT:.0%}, off track below {AT_RISK_AT:.0%}; a finished period "
               "compares with its whole target. A period that has not begun is not started; a zero target has no "
               "status; a rate with no records to compute it from has no data.")

# Metrics where less is better: attainment is target / actual.
LOWER_IS_BETTER = frozenset({"sales_cycle_days"})

# The chance an open record wins, by the stage it is in at the as-of date (the B2B ranges in
# domain.md: SQL -> Won 20-30%; an opportunity, a step further, 30%). Open SQLs have no amount yet
# and are valued at the trailing year's average deal size.
OPEN_STAGE_WIN_PROBABILITY = {"sql": 0.20, "opportunity": 0.30}
# Open pipeline is taken to close evenly over this many days from the as-of date.
PIPELINE_HORIZON_DAYS = 90
# Goal metric -> what a weighted open record adds to it.
PIPELINE_WEIGHTED = {"won_revenue": "weighted_amount", "won_deals": "weighted_count"}

# Sourced and influenced revenue come from one definition, the attribution area's metric.
SOURCES_METRIC = "marketing_sourced_influenced"
INFLUENCE_LOOKBACK_DAYS = 365

TRAILING_CHOICES = (90, 180, 365)

_PERIOD_TYPE = Param("period_type", str, "quarter", "month, quarter or year", PERIOD_TYPES)
_PERIOD = Param("period", str, "current", "current, previous, or a label: 2026-03, 2026-Q1, 2026")
_PERIOD_PARAMS = (_PERIOD_TYPE, _PERIOD)
_AS_OF_NOTE = (" Goals have their own period and scope: only the as-of date of the filters applies, the whole "
               "as-of day counting as elapsed.")


# --- which metrics can carry a goal ---------------------------------------------------------------

def goal_metrics() -> dict[str, Metric]:
    """Registered metrics a goal can be set on: the headline KPIs (area 'kpi', metrics/kpis.py), whose
    contract is one `value` (and its `record_count`) for a date range with grain=total. A metric of another
    area joins them by registering in that shape; a grain parameter alone does not promise a `value`."""
    return {name: m for name, m in REGISTRY.items()
            if m.area == "kpi" and any(p.name == "grain" and "total" in (p.choices or ()) for p in m.params)}


def drill_stages(metric_name: str) -> tuple[str, ...]:
    """The stages whose records make up a KPI's actual, read off the KPI's own date column
    (win rate counts closes: won and lost). Empty for a metric without a stage."""
    spec = next((s for s in KPIS if s.name == metric_name), None)
    if spec is None:
        return ()
    named = re.findall(r"\b([a-z]+)_at\b", spec.date_column)
    return tuple(stage for stage in named if stage in ALL_STAGES)


def scope_label(scope_type: str, scope_value) -> str:
    if scope_type == "all" or scope_value is None or (isinstance(scope_value, float) and math.isnan(scope_value)):
        return "All"
    return f"{scope_type.capitalize()}: {scope_value}"


def goal_filters(period: Period, scope_type: str, scope_value, as_of: date, until: date | None = None,
                 reader: Filters | None = None) -> Filters:
    """The Filters a goal's actual is computed with: its period up to `until` (default: the as-of date),
    restricted to its scope, under the reader's row scope. Call only for a period that has begun."""
    scope = {SCOPE_FILTERS[scope_type]: (scope_value,)} if scope_type in SCOPE_FILTERS else {}
    f = Filters(start=period.start, end=until or period.read_until(as_of), as_of=as_of, **scope)
    return f.within(reader) if reader is not None else f


def reading_filters(period: Period, as_of: date) -> Filters:
    """What a page passes to the goal metrics: the period's dates (for the reader) and the as-of date."""
    return Filters(start=period.start, end=period.last_day, as_of=as_of)


# --- pacing, by hand ----------------------------------------------------------------------------

def _ratio(numerator: float, denominator: float) -> float:
    if denominator is None or numerator is None or math.isnan(numerator) or math.isnan(denominator) \
            or denominator == 0:
        return math.nan
    return numerator / denominator


def expected_share(period: Period, as_of: date, month_targets: Sequence[float] | None = None) -> float:
    """Share of a period's target due by the end of `as_of`: elapsed days / days, or, given a target
    for every month of a quarter or year, the months' targets due so far (linear within a month)."""
    elapsed = period.elapsed_days(as_of)
    plan = list(month_targets or ())
    if period.period_type == "month" or len(plan) != period.months or sum(plan) <= 0:
        return elapsed / period.days
    due = sum(target * Period("month", start).elapsed_days(as_of) / Period("month", start).days
              for start, target in zip(period.month_starts(), plan))
    return due / sum(plan)


def status_of(target: float, pace: float, elapsed: int) -> str:
    """See STATUS_RULE."""
    if target is None or math.isnan(target) or target <= 0:
        return "no target"
    if elapsed == 0:
        return "not started"
    if math.isnan(pace):
        return "no data"
    if pace >= ON_TRACK_AT:
        return "on track"
    return "at risk" if pace >= AT_RISK_AT else "off track"


def read_goal(target: float, actual: float, period: Period, as_of: date, *, additive: bool,
              lower_is_better: bool = False, share: float | None = None,
              open_pipeline: float | None = None) -> dict[str, float | str | int]:
    """Every pacing number of one goal (see the module docstring for the formulas).

    `share`: expected share of the target by `as_of` (default elapsed days / days); `open_pipeline`:
    the weighted open pipeline landing in the rest of the period, for a pipeline-weighted projection.
    """
    total = period.days
    elapsed = period.elapsed_days(as_of)
    remaining = total - elapsed
    nan = math.nan
    out = {"days_elapsed": elapsed, "days_total": total, "days_remaining": remaining}
    if elapsed == 0:
        return {**out, "attainment": nan, "expected_to_date": 0.0 if additive else target, "pace": nan,
                "linear_projection": nan, "pipeline_projection": nan,
                "required_per_day": target / total if additive else nan, "actual_per_day": nan,
                "status": status_of(target, nan, 0)}
    attainment = _ratio(target, actual) if lower_is_better else _ratio(actual, target)
    if not additive:
        return {**out, "attainment": attainment, "expected_to_date": target, "pace": attainment,
                "linear_projection": actual, "pipeline_projection": nan, "required_per_day": nan,
                "actual_per_day": nan, "status": status_of(target, attainment, elapsed)}
    expected = target * (elapsed / total if share is None else share)
    if lower_is_better:
        pace = _ratio(expected, actual)
    else:
        # Nothing due yet (a plan whose first month has no target): whatever happened is on pace.
        pace = 1.0 if expected == 0 and target > 0 else _ratio(actual, expected)
    return {**out, "attainment": attainment, "expected_to_date": expected, "pace": pace,
            "linear_projection": actual / elapsed * total,
            "pipeline_projection": nan if open_pipeline is None else actual + open_pipeline,
            "required_per_day": max(target - actual, 0.0) / remaining if remaining else nan,
            "actual_per_day": actual / elapsed, "status": status_of(target, pace, elapsed)}


def landing_share(period: Period, as_of: date) -> float:
    """Share of the open pipeline expected to close inside the rest of the period."""
    remaining = period.days - period.elapsed_days(as_of)
    return min(1.0, remaining / PIPELINE_HORIZON_DAYS)


# --- reverse funnel, by hand --------------------------------------------------------------------

def required_volumes(target: float, average_deal_size: float, rates: Sequence[float]) -> list[float]:
    """Records needed at each main-path stage (lead ... won) to win `target` in revenue.

    won = target / average deal size; each earlier stage = the next stage's need / its conversion to
    that stage. A stage whose conversion is zero or unknown, and all before it, need NaN (no plan)."""
    needed = [_ratio(target, average_deal_size)]
    for rate in reversed(list(rates)):
        needed.append(_ratio(needed[-1], rate) if rate and rate > 0 else math.nan)
    return list(reversed(needed))


def bottleneck(pace_vs_required: Sequence[float]) -> int | None:
    """Index of the stage that loses most ground: the biggest fall in projected / required from the
    stage before (the first stage: from 100%). None when every stage is on pace or pace is unknown."""
    values = list(pace_vs_required)
    if not values or any(v is None or math.isnan(v) for v in values) or min(values) >= 1.0:
        return None
    drops = [1.0 - values[0]] + [values[i - 1] - values[i] for i in range(1, len(values))]
    return max(range(len(drops)), key=lambda i: (drops[i], -i))


# --- reading the store --------------------------------------------------------------------------

GOAL_COLUMNS = ("goal_id", "metric_name", "period_type", "period_start", "scope_type", "scope_value",
                "owner_team", "target", "target_rule")


def load_goals(cur, reader: Filters | None = None) -> pd.DataFrame:
    """Every goal, one row per goal, with its period label and the sum and count of its month goals
    (same metric and scope, inside its quarter or year; none for a month). A reader limited to some regions
    or segments gets only the goals set for one of them: a wider goal's actual would read rows outside."""
    columns = ", ".join(f"g.{c}" for c in GOAL_COLUMNS)
    goals = cur.execute(
        f"select {columns}, sum(m.target) as months_target, count(m.goal_id) as months_count "
        "from goals as g left join goals as m on g.period_type <> 'month' and m.period_type = 'month' "
        "and m.metric_name = g.metric_name and m.scope_type = g.scope_type "
        "and m.scope_value is not distinct from g.scope_value and m.period_start >= g.period_start "
        "and m.period_start < g.period_start + to_months(case g.period_type when 'quarter' then 3 else 12 end) "
        f"group by {columns} order by g.period_start, g.period_type, g.metric_name, g.scope_type, g.scope_value"
    ).df()
    goals["period_start"] = pd.to_datetime(goals["period_start"]).dt.date
    goals["scope_value"] = goals["scope_value"].astype(object).where(goals["scope_value"].notna(), None)
    goals["target_rule"] = goals["target_rule"].fillna("own")
    goals["months_count"] = goals["months_count"].astype("int64")
    goals["period_label"] = [Period(t, s).label for t, s in zip(goals["period_type"], goals["period_start"])]
    return goals if reader is None else goals[_within_scope(goals, reader)].reset_index(drop=True)


def _within_scope(goals: pd.DataFrame, reader: Filters) -> pd.Series:
    inside = pd.Series(True, index=goals.index)
    for scope_type, allowed in (("region", reader.scope_regions), ("segment", reader.scope_segments)):
        if allowed:
            inside &= (goals["scope_type"] == scope_type) & goals["scope_value"].isin(allowed)
    return inside


def goal_targets(goals: pd.DataFrame) -> dict[tuple, float]:
    """(metric, scope type, scope value or '', period type, period start) -> target, for looking goals up: a
    dict, as filtering the goals frame per goal and period costs more than a goal metric's SQL."""
    targets: dict[tuple, float] = {}
    for goal in goals.itertuples(index=False):
        key = (goal.metric_name, goal.scope_type, goal.scope_value or "", goal.period_type, goal.period_start)
        targets.setdefault(key, float(goal.target))
    return targets


def month_plan(targets: dict[tuple, float], goal, period: Period) -> list[float] | None:
    """The targets of a quarter's or year's months, in order, when every month has a goal (`targets`: goal_targets)."""
    if period.period_type == "month":
        return None
    scope = (goal.metric_name, goal.scope_type, goal.scope_value or "", "month")
    plan = [targets.get((*scope, start)) for start in period.month_starts()]
    return None if any(t is None for t in plan) else plan


def goals_in(goals: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The goals set for exactly this period."""
    return goals[(goals["period_type"] == period.period_type) & (goals["period_start"] == period.start)]


def goals_within(goals: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The goals whose period lies inside this one (a quarter: itself, then its months), for the editor."""
    ends = [Period(t, s).end for t, s in zip(goals["period_type"], goals["period_start"])]
    inside = goals[(goals["period_start"] >= period.start) & (pd.Series(ends, index=goals.index) <= period.end)]
    length = inside["period_type"].map({t: -i for i, t in enumerate(PERIOD_TYPES)})
    order = inside["metric_name"].map(_registry_order)
    return inside.assign(_l=length, _o=order).sort_values(["_l", "period_start", "_o"]).drop(columns=["_l", "_o"])


def period_choices(goals: pd.DataFrame, period_type: str, as_of: date) -> list[str]:
    """Labels to offer in the period picker: every period with a goal, and the current one; newest first."""
    current = parse_period(period_type, "current", as_of)
    starts = set(goals.loc[goals["period_type"] == period_type, "period_start"]) | {current.start}
    return [Period(period_type, start).label for start in sorted(starts, reverse=True)]


def kpi_value(cur, metric_name: str, f: Filters) -> tuple[float, int]:
    """A goal metric's value and record count over `f`, from the registered metric itself."""
    frame = REGISTRY[metric_name](cur, f, grain="total")
    value = frame["value"].iloc[0]
    count = int(frame["record_count"].iloc[0]) if "record_count" in frame else 0
    return _number(value), count


def _number(value) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


_KPI_SPECS = {spec.name: spec for spec in KPIS}
_COUNT = "count(*)"  # a KPI that counts its rows


def _kpi_sql(spec: KpiSpec, f: Filters, by_day: bool = False) -> tuple[str, list]:
    """The statement metrics.kpis.kpi_frame runs for `spec` at grain=total (tests hold the two equal), or
    with `by_day` the same per day of the date column."""
    dims, dim_params = f.dimension_sql()
    window, window_params = f.window_sql(spec.date_column)
    day, group = (f"{spec.date_column}::date", " group by 1") if by_day else ("null::date", "")
    return (f"select {day} as day, {spec.value_sql} as value, count(*) as record_count from mart_lead_funnel as f "
            f"where {window}{dims}{group}", window_params + dim_params)


def _kpi_by_window_sql(spec: KpiSpec, windows: list[Filters]) -> tuple[str, list]:
    """_kpi_sql's statement for each of `windows` (disjoint, differing in dates only) in one scan: a row per window
    with its first day as `day` (rows between windows fall in a group of no day, which no read takes)."""
    span = replace(windows[0], start=min(w.start for w in windows), end=max(w.end for w in windows))
    dims, dim_params = span.dimension_sql()
    window, window_params = span.window_sql(spec.date_column)
    cases, case_params = [], []
    for f in windows:
        inside, inside_params = f.window_sql(spec.date_column)
        cases.append(f"when {inside} then ?::date")
        case_params += inside_params + [f.start]
    return (f"select case {' '.join(cases)} end as day, {spec.value_sql} as value, count(*) as record_count "
            f"from mart_lead_funnel as f where {window}{dims} group by 1", case_params + window_params + dim_params)


def _disjoint(windows: list[Filters]) -> bool:
    ordered = sorted(windows, key=lambda w: w.start)
    return all(earlier.end < later.start for earlier, later in zip(ordered, ordered[1:]))


def _count_twins(reads: Sequence[tuple[str, Filters]]) -> dict[int, int]:
    """Read index of a counting KPI (count(*)) -> a read of another KPI over the same rows (the same date column
    and filters): the count is that read's record count, so the rows are not scanned twice (opportunities
    created beside pipeline created, won deals beside won revenue)."""
    counted = {}
    for i, (name, f) in enumerate(reads):
        spec = _KPI_SPECS.get(name)
        if spec and spec.value_sql != _COUNT:
            counted.setdefault((spec.date_column, f), i)
    return {i: counted[spec.date_column, f] for i, (name, f) in enumerate(reads)
            if (spec := _KPI_SPECS.get(name)) and spec.value_sql == _COUNT and (spec.date_column, f) in counted}


# How a part of kpi_values' statement is read: the sum of a window's days, the row of the window's first day, or
# its only row.
_BY_DAY, _BY_WINDOW, _WHOLE = "day", "window", "whole"


def _kpi_parts(reads: Sequence[tuple[str, Filters]], skip=()) -> list[tuple[list[int], str, str, list]]:
    """The statements for the headline-KPI reads but those in `skip`: (read indexes, how it is read, sql, params).
    The reads of one KPI in one scope over several windows share one scan: an additive KPI's by day; any other's
    by window when the windows do not overlap. Any other read is its KPI's own query."""
    scopes: dict[tuple, list[int]] = {}
    for i, (name, f) in enumerate(reads):
        if name in _KPI_SPECS and i not in skip:
            scope = (f.segments, f.regions, f.channels, f.teams, f.scope_regions, f.scope_segments)
            scopes.setdefault((name, *scope), []).append(i)
    parts = []
    for (name, *_scope), members in scopes.items():
        spec = _KPI_SPECS[name]
        windows = [reads[i][1] for i in members]
        if spec.additive and len(members) > 1:
            span = replace(windows[0], start=min(w.start for w in windows), end=max(w.end for w in windows))
            parts.append((members, _BY_DAY, *_kpi_sql(spec, span, by_day=True)))
        elif len(members) > 1 and _disjoint(windows):
            parts.append((members, _BY_WINDOW, *_kpi_by_window_sql(spec, windows)))
        else:
            parts += [([i], _WHOLE, *_kpi_sql(spec, reads[i][1])) for i in members]
    return parts


def kpi_values(cur, reads: Sequence[tuple[str, Filters]]) -> list[tuple[float, int]]:
    """kpi_value of each (metric, filters) read, the headline KPIs' all in one statement: a round trip and a
    plan per read cost more than the read itself at 1M. A window read by day is the sum of its days (a day
    with nothing in it had zero of an additive KPI, as kpis' months do); see _kpi_parts."""
    out = {i: kpi_value(cur, name, f) for i, (name, f) in enumerate(reads) if name not in _KPI_SPECS}
    twins = _count_twins(reads)
    parts = _kpi_parts(reads, skip=twins.keys())
    if parts:
        union = " union all ".join(f"select {k} as part, * from ({sql})" for k, (*_m, sql, _p) in enumerate(parts))
        rows = cur.execute(union, [value for *_m, params in parts for value in params]).fetchall()
        by_part: dict[int, list[tuple]] = {}
        for part, day, value, count in rows:
            by_part.setdefault(part, []).append((day, value, count))
        for k, (members, read_as, _sql, _params) in enumerate(parts):
            got = by_part.get(k, [])
            for i in members:
                f = reads[i][1]
                if read_as == _BY_DAY:
                    inside = [(value, count) for day, value, count in got if f.start <= day <= f.end]
                    out[i] = (float(sum(value for value, _n in inside)), sum(count for _v, count in inside))
                elif read_as == _BY_WINDOW:
                    # No row: nothing in the window, and a KPI that is not additive (a rate, an average, a
                    # median) has no value over no rows.
                    row = next((row for row in got if row[0] == f.start), (f.start, None, 0))
                    out[i] = (_number(row[1]), int(row[2]))
                else:
                    out[i] = (_number(got[0][1]), int(got[0][2]))
    for i, twin in twins.items():
        out[i] = (float(out[twin][1]), out[twin][1])
    return [out[i] for i in range(len(reads))]


def _open_pipeline_frame(cur, f: Filters) -> pd.DataFrame:
    """Open SQLs and opportunities at the end of the as-of day, within f's dimension filters."""
    moment = f.as_of_date + timedelta(days=1)
    dims, dim_params = f.dimension_sql()
    closed = "least(won_at, exited_at)"
    open_sql = ("sql_at < ? and (opportunity_at is null or opportunity_at >= ?) "
                "and (exited_at is null or exited_at >= ?)")
    open_opp = f"opportunity_at < ? and ({closed} is null or {closed} >= ?)"
    sql = (f"select count(*) filter (where {open_sql}), count(*) filter (where {open_opp}), "
           f"coalesce(sum(opportunity_amount) filter (where {open_opp}), 0) "
           f"from mart_lead_funnel as f where sql_at < ?{dims}")
    row = cur.execute(sql, [moment] * 8 + dim_params).fetchall()[0]
    year = replace(f, start=f.as_of_date - timedelta(days=364), end=f.as_of_date, as_of=f.as_of_date)
    deal_size, _count = kpi_value(cur, "average_deal_size", year)
    sqls, opps, opp_amount = int(row[0]), int(row[1]), float(row[2])
    sql_amount = sqls * deal_size if not math.isnan(deal_size) else 0.0
    frame = pd.DataFrame({
        "stage": ["sql", "opportunity"],
        "label": [STAGE_LABELS["sql"], STAGE_LABELS["opportunity"]],
        "owner": [STAGE_OWNER["sql"], STAGE_OWNER["opportunity"]],
        "record_count": [sqls, opps],
        "amount": [sql_amount, opp_amount],
        "is_valued_at_average": [True, False],
        "probability": [OPEN_STAGE_WIN_PROBABILITY["sql"], OPEN_STAGE_WIN_PROBABILITY["opportunity"]],
    })
    frame["weighted_count"] = frame["record_count"] * frame["probability"]
    frame["weighted_amount"] = frame["amount"] * frame["probability"]
    return frame


@metric(
    name="open_pipeline",
    label="Open pipeline",
    definition="Records still open at the end of the as-of day, by stage: SQLs not yet an opportunity and "
    "opportunities not yet won or lost (none rejected, recycled or disqualified). An opportunity counts at its "
    "amount; an SQL, which has none yet, at the average deal size of the year to the as-of date. Weighted "
    f"by the chance to win from the stage: SQL {OPEN_STAGE_WIN_PROBABILITY['sql']:.0%}, opportunity "
    f"{OPEN_STAGE_WIN_PROBABILITY['opportunity']:.0%} (SQL to won is 20-30% in published B2B ranges). The date "
    "range does not apply; the dimension filters do.",
    grain="one row per open stage (SQL, Opportunity)",
    owner="sales",
    format="currency",
    area="goals",
)
def open_pipeline(cur, f: Filters) -> pd.DataFrame:
    return _open_pipeline_frame(cur, f)


# --- goal progress ------------------------------------------------------------------------------

PROGRESS_COLUMNS = ("goal_id", "metric_name", "label", "owner_team", "scope_type", "scope_value", "scope_label",
                    "period_type", "period_label", "period_start", "target", "target_rule", "months_target",
                    "months_count", "format", "is_additive", "is_lower_better", "actual", "record_count",
                    "attainment", "expected_to_date", "pace", "linear_projection", "pipeline_projection",
                    "required_per_day", "actual_per_day", "days_elapsed", "days_total", "days_remaining", "status")
_OWNER_ORDER = {"shared": 0, "marketing": 1, "sales": 2}


def _progress_row(targets: dict[tuple, float], goal, period: Period, as_of: date, actual: float, count: int,
                  landing: float | None) -> dict:
    """One goal's row from its actual and record count (NaN and 0 before the period begins) and the weighted
    open pipeline landing in the rest of the period (None: no pipeline-weighted projection)."""
    known = goal_metrics().get(goal.metric_name)
    additive = bool(known.additive) if known else True
    lower = goal.metric_name in LOWER_IS_BETTER
    numbers = read_goal(float(goal.target), actual, period, as_of, additive=additive, lower_is_better=lower,
                        share=expected_share(period, as_of, month_plan(targets, goal, period)),
                        open_pipeline=landing)
    return {
        "goal_id": goal.goal_id, "metric_name": goal.metric_name,
        "label": known.label if known else goal.metric_name, "owner_team": goal.owner_team,
        "scope_type": goal.scope_type, "scope_value": goal.scope_value,
        "scope_label": scope_label(goal.scope_type, goal.scope_value), "period_type": period.period_type,
        "period_label": period.label, "period_start": period.start, "target": float(goal.target),
        "target_rule": goal.target_rule, "months_target": goal.months_target, "months_count": goal.months_count,
        "format": known.format if known else "count", "is_additive": additive, "is_lower_better": lower,
        "actual": actual, "record_count": count, **numbers,
    }


def _landing(cur, goal, f: Filters, share: float, pipelines: dict[Filters, pd.DataFrame]) -> float | None:
    """The weighted open pipeline landing in the rest of the period, for a pipeline-weighted goal; the open
    pipeline read once per scope (`pipelines`)."""
    if goal.metric_name not in PIPELINE_WEIGHTED:
        return None
    if not share:
        return 0.0
    if f not in pipelines:
        pipelines[f] = _open_pipeline_frame(cur, f)
    return float(pipelines[f][PIPELINE_WEIGHTED[goal.metric_name]].sum()) * share


def _registry_order(name: str) -> int:
    names = list(REGISTRY)
    return names.index(name) if name in names else len(names)


def progress_frame(cur, period: Period, as_of: date, reader: Filters) -> pd.DataFrame:
    """One row per goal set for `period`, read on `as_of`: shared first, then marketing, then sales."""
    goals = load_goals(cur, reader)
    chosen = list(goals_in(goals, period).itertuples(index=False))
    read = [goal for goal in chosen if period.elapsed_days(as_of) > 0 and goal.metric_name in goal_metrics()]
    scoped = {goal.goal_id: goal_filters(period, goal.scope_type, goal.scope_value, as_of, reader=reader)
              for goal in read}
    actuals = dict(zip(scoped, kpi_values(cur, [(goal.metric_name, scoped[goal.goal_id]) for goal in read])))
    share, pipelines, targets = landing_share(period, as_of), {}, goal_targets(goals)
    rows = [_progress_row(targets, goal, period, as_of, *actuals.get(goal.goal_id, (math.nan, 0)),
                          _landing(cur, goal, scoped[goal.goal_id], share, pipelines) if goal.goal_id in scoped
                          else None) for goal in chosen]
    return _in_page_order(pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS)))


def _in_page_order(frame: pd.DataFrame) -> pd.DataFrame:
    """Shared goals first, then marketing's, then sales'; within a team, in registry order, then by scope
    (a stable sort, so a goal's compared periods keep their order)."""
    if frame.empty:
        return frame
    order = frame["owner_team"].map(_OWNER_ORDER) * 1000 + frame["metric_name"].map(_registry_order)
    frame = frame.assign(_order=order).sort_values(["_order", "scope_label"], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)


@metric(
    name="goal_progress",
    label="Goal progress",
    definition="Per goal of the chosen period: actual (the goal's metric over the period to the as-of date, in the "
    "goal's scope); attainment = actual / target (lower-is-better metrics such as sales cycle: target / actual); "
    "expected-to-date = target x share of the period elapsed, following the month goals' targets when every "
    "month of a quarter or year has one, else elapsed days / days; pace = actual / expected-to-date; linear "
    "projection = actual / elapsed days x days in the period; pipeline-weighted projection (won revenue and won "
    "deals) = actual + weighted open pipeline x the share of a "
    f"{PIPELINE_HORIZON_DAYS}-day closing horizon left in the period; required run-rate = (target - actual) / "
    "days remaining. A rate or average is not paced: expected-to-date is its target and its projection its "
    "value to date. " + STATUS_RULE + _AS_OF_NOTE,
    grain="one row per goal of the period",
    owner="shared",
    format="table",
    area="goals",
    params=_PERIOD_PARAMS,
)
def goal_progress(cur, f: Filters, period_type: str = "quarter", period: str = "current") -> pd.DataFrame:
    return progress_frame(cur, parse_period(period_type, period, f.as_of_date), f.as_of_date, f)


# --- pacing line --------------------------------------------------------------------------------

def checkpoints(period: Period, as_of: date) -> list[date]:
    """Days the cumulative actual is read on (one metric call each, so at most 16): every other day of a
    month, every 7th day of a quarter, every month end of a year, and always the last day read."""
    last = period.read_until(as_of)
    if last < period.start:
        return []
    if period.period_type == "year":
        days = [m.last_day for m in (Period("month", s) for s in period.month_starts()) if m.last_day < last]
    else:
        step = 2 if period.period_type == "month" else 7
        days = [period.start + timedelta(days=k) for k in range(0, (last - period.start).days, step)]
    return days + [last]


@metric(
    name="goal_pacing",
    label="Goal pacing",
    definition="One goal's path through its period: the cumulative target (expected-to-date at the end of each "
    "day, as in Goal progress) and the cumulative actual read at checkpoints (every other day in a month, weekly in a "
    "quarter, at month ends in a year, and on the last day read). For a rate the target line is flat at the "
    "target and the actual is the rate to date." + _AS_OF_NOTE,
    grain="one row per day of the period",
    owner="shared",
    format="table",
    area="goals",
    params=_PERIOD_PARAMS + (Param("goal_id", str, "", "the goal to trace (empty: none)"),),
)
def goal_pacing(cur, f: Filters, period_type: str = "quarter", period: str = "current",
                goal_id: str = "") -> pd.DataFrame:
    as_of = f.as_of_date
    chosen = parse_period(period_type, period, as_of)
    goals = load_goals(cur, f)
    match = goals_in(goals, chosen)
    match = match[match["goal_id"] == goal_id]
    days = [chosen.start + timedelta(days=k) for k in range(chosen.days)]
    frame = pd.DataFrame({"day": pd.to_datetime(days), "cumulative_target": math.nan, "cumulative_actual": math.nan})
    if match.empty:
        return frame.iloc[0:0]
    goal = next(match.itertuples(index=False))
    known = goal_metrics().get(goal.metric_name)
    if known and known.additive:
        plan = month_plan(goal_targets(goals), goal, chosen)
        frame["cumulative_target"] = [goal.target * expected_share(chosen, day, plan) for day in days]
    else:
        frame["cumulative_target"] = float(goal.target)
    if known:
        for day in checkpoints(chosen, as_of):
            f_day = goal_filters(chosen, goal.scope_type, goal.scope_value, as_of, until=day, reader=f)
            frame.loc[(day - chosen.start).days, "cumulative_actual"] = kpi_value(cur, goal.metric_name, f_day)[0]
    return frame


# --- history and comparisons --------------------------------------------------------------------

@metric(
    name="goal_history",
    label="Goal history",
    definition="One metric's goal (scope all) period by period, ending with the chosen period: target, actual to "
    "the as-of date, attainment and status as in Goal progress, so a missed period stands out. A period "
    "without a goal has no target. A period that ends on or before the store's first record has no actual "
    "(has_data false, status no data when it has a target): nothing was loaded for it, which is not zero."
    + _AS_OF_NOTE,
    grain="one row per period",
    owner="shared",
    format="table",
    area="goals",
    params=_PERIOD_PARAMS + (Param("metric_name", str, "won_revenue", "the goal metric"),
                             Param("periods", int, 8, "how many periods, the chosen one last")),
)
def goal_history(cur, f: Filters, period_type: str = "quarter", period: str = "current",
                 metric_name: str = "won_revenue", periods: int = 8) -> pd.DataFrame:
    known = goal_metrics().get(metric_name)
    if known is None:
        raise ValueError(f"{metric_name!r} cannot carry a goal; goal metrics: {', '.join(goal_metrics())}.")
    as_of = f.as_of_date
    last = parse_period(period_type, period, as_of)
    goals = load_goals(cur, f)
    mine = goals[(goals["metric_name"] == metric_name) & (goals["scope_type"] == "all")]
    every = [last.shift(-k) for k in range(periods - 1, -1, -1)]
    covered = _periods_with_data(cur, every)
    actuals = _period_actuals(cur, known, every, as_of, f)
    targets = goal_targets(goals)
    rows = []
    for each, actual in zip(every, actuals):
        actual = actual if each in covered else math.nan
        goal = goals_in(mine, each)
        target = float(goal["target"].iloc[0]) if len(goal) else math.nan
        plan = month_plan(targets, next(goal.itertuples(index=False)), each) if len(goal) else None
        numbers = read_goal(target, actual, each, as_of, additive=known.additive,
                            lower_is_better=metric_name in LOWER_IS_BETTER,
                            share=expected_share(each, as_of, plan))
        rows.append({"period_label": each.label, "period_title": each.title, "period_start": each.start,
                     "metric_name": metric_name, "label": known.label, "format": known.format, "target": target,
                     "actual": actual, "is_complete": each.end <= as_of + timedelta(days=1),
                     "has_data": each in covered, **numbers})
    return pd.DataFrame(rows)


def _periods_with_data(cur, periods: list[Period]) -> set[Period]:
    """The periods ending after the store's first record (unscoped: a reader's own rows may start later, but
    data was loaded for those days)."""
    bounds = data_bounds(cur)
    return {p for p in periods if bounds is not None and p.end > bounds[0]}


def _period_actuals(cur, known: Metric, periods: list[Period], as_of: date, reader: Filters) -> list[float]:
    """Each period's actual up to the as-of date (NaN before it begins). An additive KPI is read once by
    month (grain=month) and its months summed; a rate or average is read period by period."""
    begun = [p for p in periods if p.elapsed_days(as_of)]
    if not begun:
        return [math.nan] * len(periods)
    if not known.additive:
        values = {p: kpi_value(cur, known.name, goal_filters(p, "all", None, as_of, reader=reader))[0]
                  for p in begun}
    else:
        span = Filters(begun[0].start, begun[-1].read_until(as_of), as_of=as_of).within(reader)
        monthly = known(cur, span, grain="month")
        months = pd.to_datetime(monthly["month"]).dt.date
        values = {p: float(monthly.loc[(months >= p.start) & (months < p.end), "value"].sum()) for p in begun}
    return [values.get(p, math.nan) for p in periods]


COMPARISONS = ("This period", "Previous period", "Same period last year")


@metric(
    name="goal_comparison",
    label="Goal comparison",
    definition="Each goal of the chosen period beside the previous period and the same period last year: the "
    "actual over the same number of days from the period's start as have elapsed in the chosen one (like for "
    "like while it runs), the change to the chosen period's actual over those days, and each period's final "
    "actual, target and attainment (its goal for the same metric and scope, if any)." + _AS_OF_NOTE,
    grain="one row per goal per compared period",
    owner="shared",
    format="table",
    area="goals",
    params=_PERIOD_PARAMS,
)
def goal_comparison(cur, f: Filters, period_type: str = "quarter", period: str = "current") -> pd.DataFrame:
    as_of = f.as_of_date
    chosen = parse_period(period_type, period, as_of)
    goals = load_goals(cur, f)
    compared = [] if chosen.elapsed_days(as_of) == 0 else \
        [goal for goal in goals_in(goals, chosen).itertuples(index=False) if goal.metric_name in goal_metrics()]
    windows = [_compared_windows(goal, chosen, as_of, f) for goal in compared]
    reads = [(goal.metric_name, w) for goal, each in zip(compared, windows) for pair in each for w in pair if w]
    values = iter(value for value, _count in kpi_values(cur, reads))
    targets = goal_targets(goals)
    rows = []
    for goal, each in zip(compared, windows):
        actuals = []
        for _to_day, whole in each:
            to_day = next(values)
            actuals.append((to_day, next(values) if whole else to_day))
        rows += _compared_rows(targets, goal, chosen, actuals)
    return _in_page_order(pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS)))


COMPARISON_COLUMNS = ("goal_id", "metric_name", "label", "format", "owner_team", "scope_label", "compared",
                      "period_label", "period_title", "actual_same_point", "change_vs_this", "final_actual", "target",
                      "attainment")


def _compared_periods(chosen: Period) -> tuple[Period, Period, Period]:
    """In COMPARISONS order."""
    return chosen, chosen.previous(), chosen.last_year()


def _compared_windows(goal, chosen: Period, as_of: date, reader: Filters) -> list[tuple[Filters, Filters | None]]:
    """Per compared period, the goal's filters over as many days from its start as have elapsed in the chosen
    one, and over the whole period read on `as_of` when that reaches further (else None: read once)."""
    elapsed = chosen.elapsed_days(as_of)
    windows = []
    for each in _compared_periods(chosen):
        same_day = each.start + timedelta(days=min(elapsed, each.days) - 1)
        scoped = (each, goal.scope_type, goal.scope_value, as_of)
        whole = goal_filters(*scoped, reader=reader) if same_day < each.read_until(as_of) else None
        windows.append((goal_filters(*scoped, until=same_day, reader=reader), whole))
    return windows


def _compared_rows(targets: dict[tuple, float], goal, chosen: Period,
                   actuals: list[tuple[float, float]]) -> list[dict]:
    """One row per compared period, from its (actual at the same point, final actual)."""
    known = goal_metrics()[goal.metric_name]
    lower = goal.metric_name in LOWER_IS_BETTER
    rows = []
    for compared, each, (to_day, final) in zip(COMPARISONS, _compared_periods(chosen), actuals):
        scope = (goal.metric_name, goal.scope_type, goal.scope_value or "")
        target = targets.get((*scope, each.period_type, each.start), math.nan)
        rows.append({"goal_id": goal.goal_id, "metric_name": goal.metric_name, "label": known.label,
                     "format": known.format, "owner_team": goal.owner_team,
                     "scope_label": scope_label(goal.scope_type, goal.scope_value), "compared": compared,
                     "period_label": each.label, "period_title": each.title, "actual_same_point": to_day,
                     "change_vs_this": math.nan, "final_actual": final, "target": target,
                     "attainment": _ratio(target, final) if lower else _ratio(final, target)})
    now = rows[0]["actual_same_point"]
    for row in rows[1:]:
        row["change_vs_this"] = _ratio(now - row["actual_same_point"], row["actual_same_point"])
    return rows


# --- where revenue came from --------------------------------------------------------------------

@metric(
    name="goal_revenue_sources",
    label="Revenue by source",
    definition="The chosen period's won revenue (to the as-of date) split by where its deals began, as Marketing-"
    "sourced and influenced (marketing_sourced_influenced) defines it, with its lookback: marketing-sourced (the "
    "lead's first touch came at or before the lead was created) and sales-sourced (every other won deal: the "
    "first touch came later, or there is none) add up to won revenue; marketing-influenced (a marketing touch in "
    "the lookback days before the win) is shown on its own and never added, sourced deals being influenced "
    "too." + _AS_OF_NOTE,
    grain="one row per source (marketing-sourced, sales-sourced, marketing-influenced)",
    owner="shared",
    format="currency",
    area="goals",
    params=_PERIOD_PARAMS + (Param("lookback_days", int, INFLUENCE_LOOKBACK_DAYS,
                                   "influence: days before the win a marketing touch still counts"),),
)
def goal_revenue_sources(cur, f: Filters, period_type: str = "quarter", period: str = "current",
                         lookback_days: int = INFLUENCE_LOOKBACK_DAYS) -> pd.DataFrame:
    as_of = f.as_of_date
    chosen = parse_period(period_type, period, as_of)
    total = sourced = influenced = 0.0
    won_deals = sourced_deals = influenced_deals = 0
    if chosen.elapsed_days(as_of):
        window = goal_filters(chosen, "all", None, as_of, reader=f)
        split = REGISTRY[SOURCES_METRIC](cur, window, lookback_days=lookback_days).iloc[0]  # all channels first
        total, sourced, influenced = (float(split[c]) for c in ("total_revenue", "sourced_revenue",
                                                               "influenced_revenue"))
        sourced_deals, influenced_deals = int(split["sourced_revenue_deals"]), int(split["influenced_revenue_deals"])
        won_deals = int(kpi_value(cur, "won_deals", window)[0])
    frame = pd.DataFrame({
        "source": ["marketing_sourced", "sales_sourced", "marketing_influenced"],
        "label": ["Marketing-sourced", "Sales-sourced", "Marketing-influenced"],
        "owner": ["marketing", "sales", "marketing"],
        "won_amount": [sourced, total - sourced, influenced],
        "deal_count": [sourced_deals, max(won_deals - sourced_deals, 0), influenced_deals],
        "is_part_of_total": [True, True, False],
    })
    frame["share_of_won_revenue"] = safe_rate(frame["won_amount"], pd.Series([total] * 3))
    return frame


# --- reverse funnel -----------------------------------------------------------------------------

# Main-path stage -> the KPI counting the records that entered it in a date range (leads, MQLs, SALs, SQLs,
# opportunities created, won deals): the period-basis stage volumes, one cheap count each.
STAGE_COUNTS = {drill_stages(spec.name)[0]: spec.name for spec in KPIS
                if spec.format == "count" and drill_stages(spec.name) and drill_stages(spec.name)[0] in MAIN_PATH}


def _stage_entries_and_deal_size(cur, windows: Sequence[Filters]) -> list[tuple[dict[str, int], float]]:
    """Per window: each main-path stage's entries and the average deal size, read in one statement."""
    names = [STAGE_COUNTS[stage] for stage in MAIN_PATH] + ["average_deal_size"]
    values = kpi_values(cur, [(name, f) for f in windows for name in names])
    per_window = [values[k * len(names):(k + 1) * len(names)] for k in range(len(windows))]
    return [({stage: int(value) for stage, (value, _n) in zip(MAIN_PATH, each)}, each[-1][0]) for each in per_window]


@metric(
    name="goal_reverse_funnel",
    label="Reverse funnel",
    definition="From a revenue target (default: the chosen period's won revenue goal), what each stage must "
    "deliver in the period: won deals = target / average deal size, opportunities = won deals / Opportunity → "
    "Won conversion, and so on up to leads, using the period-basis conversions and average deal size of the "
    "trailing days before the as-of date (a steady-state plan: it ignores the lag between stages). Set "
    "against the current pace: each stage's entries so far in the period, projected linearly to its end, and the "
    "average deal size so far in the period against the one the plan assumes. The "
    "bottleneck is the stage that loses most ground: the biggest fall in projected / required from the "
    "stage before (for Lead, from 100%)." + _AS_OF_NOTE,
    grain="one row per stage (Lead ... Won)",
    owner="shared",
    format="count",
    area="goals",
    params=_PERIOD_PARAMS + (Param("target", float, 0.0, "revenue target (0: the period's won revenue goal)"),
                             Param("trailing_days", int, 180, "days of history the rates come from",
                                   TRAILING_CHOICES)),
)
def goal_reverse_funnel(cur, f: Filters, period_type: str = "quarter", period: str = "current",
                        target: float = 0.0, trailing_days: int = 180) -> pd.DataFrame:
    if trailing_days < 1:
        raise ValueError(f"trailing_days must be at least 1; got {trailing_days}.")
    as_of = f.as_of_date
    chosen = parse_period(period_type, period, as_of)
    if not target:
        goal = goals_in(load_goals(cur, f), chosen)
        goal = goal[(goal["metric_name"] == "won_revenue") & (goal["scope_type"] == "all")]
        target = float(goal["target"].iloc[0]) if len(goal) else math.nan
    trailing = Filters(as_of - timedelta(days=trailing_days - 1), as_of, as_of=as_of).within(f)
    elapsed = chosen.elapsed_days(as_of)
    windows = [trailing] + ([goal_filters(chosen, "all", None, as_of, reader=f)] if elapsed else [])
    (history, deal_size), *in_period = _stage_entries_and_deal_size(cur, windows)
    rates = [_ratio(float(history[b]), float(history[a])) for a, b in zip(MAIN_PATH[:-1], MAIN_PATH[1:])]
    needed = required_volumes(target, deal_size, rates)
    if in_period:
        entries, period_deal_size = in_period[0]
        actual = [float(entries[s]) for s in MAIN_PATH]
    else:
        actual, period_deal_size = [math.nan] * len(MAIN_PATH), math.nan
    projected = [a / elapsed * chosen.days if elapsed else math.nan for a in actual]
    pace = [_ratio(p, n) for p, n in zip(projected, needed)]
    worst = bottleneck(pace)
    return pd.DataFrame({
        "stage": list(MAIN_PATH),
        "label": [STAGE_LABELS[s] for s in MAIN_PATH],
        "owner": [STAGE_OWNER[s] for s in MAIN_PATH],
        "trailing_volume": [int(history[s]) for s in MAIN_PATH],
        "conversion_to_next": rates + [math.nan],
        "required": needed,
        "actual_to_date": actual,
        "projected": projected,
        "pace_vs_required": pace,
        "is_bottleneck": [i == worst for i in range(len(MAIN_PATH))],
        "target": target,
        "average_deal_size": deal_size,
        "period_average_deal_size": period_deal_size,
        "trailing_start": trailing.start,
        "trailing_end": trailing.end,
    })


# --- the goals themselves and their audit trail -------------------------------------------------

@metric(
    name="goal_list",
    label="Goals",
    definition="Every goal as stored: metric, period, scope, owner team and target, with whether a quarter's or "
    "year's target is set on its own or is the sum of its months (target_rule), and what its month goals add "
    "up to. Edited in the app or imported from CSV, every change audited.",
    grain="one row per goal",
    owner="shared",
    format="table",
    area="goals",
)
def goal_list(cur, f: Filters) -> pd.DataFrame:
    goals = load_goals(cur, f)
    labels = {name: m.label for name, m in REGISTRY.items()}
    goals["label"] = goals["metric_name"].map(labels).fillna(goals["metric_name"])
    goals["scope_label"] = [scope_label(t, v) for t, v in zip(goals["scope_type"], goals["scope_value"])]
    return goals


@metric(
    name="goal_changes",
    label="Goal changes",
    definition="The goals' audit trail: who changed which field of which goal, when, from what to what, and "
    "through what (the editor, a CSV import, or a sum-of-months target following its months), newest "
    "first, up to `limit` rows.",
    grain="one row per changed field",
    owner="shared",
    format="table",
    area="goals",
    params=(Param("limit", int, 200, "most rows returned"),),
)
def goal_changes(cur, f: Filters, limit: int = 200) -> pd.DataFrame:
    changes = cur.execute(
        "select a.changed_at, a.changed_by, coalesce(r.rep_name, a.changed_by) as changed_by_name, a.source, "
        "a.action, a.goal_id, a.metric_name, a.period_type, a.period_start, a.scope_type, a.scope_value, a.field, "
        "a.old_value, a.new_value from goal_audit as a left join reps as r on r.rep_id = a.changed_by "
        "order by a.changed_at desc, a.audit_id desc limit ?", [int(limit)]).df()
    changes["period_start"] = pd.to_datetime(changes["period_start"]).dt.date
    changes["period_title"] = [Period(t, s).title for t, s in zip(changes["period_type"], changes["period_start"])]
    return changes
