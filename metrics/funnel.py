"""Funnel metrics: volume, conversion, velocity and value per stage, read from mart_lead_funnel.

Two bases, chosen per call:
- period: a stage's volume is the records that entered it inside the window. Live, but mixes
  cohorts, so a step can exceed 100%.
- cohort: the records that entered the first stage (lead) inside the window, counted at each stage
  they reached within `window_days` of entering it. Cohorts whose window has not fully passed by
  `as_of` are immature and flagged.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from data.stages import ALL_STAGES, MAIN_PATH, SKIPPED_STAGE_RULE, STAGE_LABELS, STAGE_OWNER
from metrics.filters import Filters
from metrics.registry import Param, metric
from metrics.stats import MIN_SAMPLE, safe_rate, wilson_interval

BASES = ("period", "cohort")
STEPS: tuple[tuple[str, str], ...] = tuple(zip(MAIN_PATH[:-1], MAIN_PATH[1:]))
# Breakdown name -> mart column. Team and rep are the lead's owner (the SDR who worked it).
DIMENSIONS = {
    "channel": "channel",
    "campaign": "campaign_name",
    "segment": "segment",
    "region": "region",
    "team": "sdr_team_id",
    "rep": "sdr_rep_name",
}
# When a record leaves each stage for the next; an opportunity leaves when it closes either way.
_EXIT_AT = {
    "lead": "mql_at",
    "mql": "sal_at",
    "sal": "sql_at",
    "sql": "opportunity_at",
    "opportunity": "least(won_at, lost_at)",
}

_BASIS = Param("basis", str, "period", "period: entered the stage in the window; cohort: leads created "
               "in the window, counted at each stage reached within window_days", BASES)
_WINDOW = Param("window_days", int, 90, "cohort basis: days after entering the funnel a stage still counts")
_COMMON_PARAMS = (_BASIS, _WINDOW)
_BASIS_NOTE = (" Basis: period counts records that entered the stage in the date range; cohort follows "
               "leads created in the range and counts the stages they reached within the cohort window.")


def _check(basis: str, window_days: int) -> None:
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}; got {basis!r}.")
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1; got {window_days}.")


def _reading_moment(f: Filters):
    """Numbers are read at the end of the as-of day."""
    return f.as_of_date + timedelta(days=1)


def _scope(f: Filters, basis: str) -> tuple[str, list]:
    """Rows of the mart that can count at all: a cheap prefilter before per-stage conditions."""
    dims, dim_params = f.dimension_sql()
    if basis == "cohort":
        window, params = f.window_sql("lead_at")
        return f"where {window}{dims}", params + dim_params
    # In the period basis a row can count only if it entered the funnel before the end and had its
    # last stage entry (main path or detour) after the start.
    return (f"where lead_at < ?::timestamp and last_event_at >= ?::timestamp{dims}",
            [f.end_exclusive, f.start] + dim_params)


def _member(stage: str, f: Filters, basis: str, window_days: int) -> tuple[str, list]:
    """Condition for 'this row counts at `stage`' (stage may be a detour) under the basis."""
    column = f"{stage}_at"
    if basis == "period":
        return f.window_sql(column)
    return f"{column} <= lead_at + to_days(?)", [window_days]


def is_immature(f: Filters, basis: str, window_days: int) -> bool:
    """A cohort is immature while its last member's window is still open at the as-of date."""
    return basis == "cohort" and f.end + timedelta(days=window_days) > f.as_of_date


def stage_summary(cur, f: Filters, basis: str = "period", window_days: int = 90,
                  group_by: str | None = None) -> pd.DataFrame:
    """One row per stage (per group): volume, pipeline_amount and won_amount of the records counted."""
    _check(basis, window_days)
    where, params = _scope(f, basis)
    # Each stage's condition is evaluated once per row, as a flag the aggregates then read: cheaper
    # than repeating the condition in three aggregates. Plain sums over the flag, not FILTER clauses:
    # at 1M leads eighteen filtered aggregates cost half again as much.
    flags, flag_params, selects = [], [], []
    for stage in MAIN_PATH:
        cond, cond_params = _member(stage, f, basis, window_days)
        flags.append(f"({cond}) as in_{stage}")
        flag_params += cond_params
        selects.append(
            f"coalesce(count_if(in_{stage}), 0) as n_{stage}, "
            f"coalesce(sum(case when in_{stage} then opportunity_amount else 0 end), 0) as pipeline_{stage}, "
            f"coalesce(sum(case when in_{stage} then won_amount else 0 end), 0) as won_{stage}")
    group_col = DIMENSIONS[group_by] if group_by else None
    key = "dimension_value, " if group_col else ""
    inner_key = f"{group_col} as dimension_value, " if group_col else ""
    group = " group by 1 order by 1" if group_col else ""
    sql = (f"select {key}{', '.join(selects)} from (select {inner_key}opportunity_amount, won_amount, "
           f"{', '.join(flags)} from mart_lead_funnel as f {where}){group}")
    wide = cur.execute(sql, flag_params + params).df()
    return _long_by_stage(wide, "dimension_value" if group_col else None)


def _long_by_stage(wide: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """One row per (group and) stage from the query's one row per group: each group's stages in funnel order.
    Built column by column in numpy (one frame, not one per stage and a concat: a third of the time)."""
    keys = [key] if key else []
    groups, stages = len(wide), len(MAIN_PATH)

    def by_row(prefix: str, dtype: str) -> np.ndarray:
        return np.column_stack([wide[f"{prefix}_{stage}"].to_numpy(dtype=dtype) for stage in MAIN_PATH]).ravel()

    long = pd.DataFrame({
        **{k: np.repeat(wide[k].to_numpy(), stages) for k in keys},
        "stage": np.tile(np.array(MAIN_PATH, dtype=object), groups),
        "stage_order": np.tile(np.arange(stages, dtype="int64"), groups),
        "label": np.tile(np.array([STAGE_LABELS[s] for s in MAIN_PATH], dtype=object), groups),
        "owner": np.tile(np.array([STAGE_OWNER[s] for s in MAIN_PATH], dtype=object), groups),
        "volume": by_row("n", "int64"),
        "pipeline_amount": by_row("pipeline", "float64"),
        "won_amount": by_row("won", "float64"),
    })
    if not key:
        return long
    return long.sort_values(keys + ["stage_order"], kind="stable").reset_index(drop=True)


def steps_from_volumes(volumes: pd.DataFrame, key: str | None = None) -> pd.DataFrame:
    """Next-step and cumulative conversion, with Wilson intervals, from per-stage volumes."""
    if key:
        counts = volumes.pivot_table(index=key, columns="stage", values="volume", aggfunc="sum", sort=False)
        counts = counts.reindex(columns=list(MAIN_PATH), fill_value=0)  # an empty breakdown has no columns
    else:
        counts = volumes.set_index("stage")[["volume"]].T
    frames = [
        pd.DataFrame({**({key: counts.index} if key else {}), "from_stage": a, "to_stage": b,
                      "step": f"{STAGE_LABELS[a]} → {STAGE_LABELS[b]}", "owner": STAGE_OWNER[b],
                      "numerator": counts[b].to_numpy(dtype="int64"),
                      "denominator": counts[a].to_numpy(dtype="int64"),
                      "first_stage_count": counts[MAIN_PATH[0]].to_numpy(dtype="int64")})
        for a, b in STEPS
    ]
    out = pd.concat(frames, ignore_index=True)
    if key:  # group by group, steps in funnel order, as the rows were read
        order = {value: i for i, value in enumerate(counts.index)}
        out = out.sort_values(key, key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    out["rate"] = safe_rate(out["numerator"], out["denominator"])
    out["ci_low"], out["ci_high"] = wilson_interval(out["numerator"], out["denominator"])
    out["cumulative_rate"] = safe_rate(out["numerator"], out["first_stage_count"])
    out["cumulative_ci_low"], out["cumulative_ci_high"] = wilson_interval(out["numerator"], out["first_stage_count"])
    out["is_small_sample"] = out["denominator"] < MIN_SAMPLE
    return out


@metric(
    name="funnel_stage_volume",
    label="Stage volume",
    definition="Records counted at each stage of the main path (Lead, MQL, SAL, SQL, Opportunity, Won)."
    + _BASIS_NOTE + " " + SKIPPED_STAGE_RULE,
    grain="one row per stage",
    owner="shared",
    format="count",
    area="funnel",
    params=_COMMON_PARAMS,
)
def funnel_stage_volume(cur, f: Filters, basis: str = "period", window_days: int = 90) -> pd.DataFrame:
    summary = stage_summary(cur, f, basis, window_days)
    summary["is_immature"] = is_immature(f, basis, window_days)
    return summary[["stage", "label", "owner", "volume", "is_immature"]]


@metric(
    name="funnel_conversion",
    label="Stage conversion",
    definition="Next-step conversion = records at the stage / records at the stage before (% of previous); "
    "cumulative conversion = records at the stage / records at Lead (% of first). Each with a 95% Wilson "
    f"interval; a denominator under {MIN_SAMPLE} is flagged as a small sample. In the period basis a step can "
    "exceed 100% (it mixes cohorts) and then has no interval." + _BASIS_NOTE,
    grain="one row per step between adjacent stages",
    owner="shared",
    format="percent",
    area="funnel",
    params=_COMMON_PARAMS,
)
def funnel_conversion(cur, f: Filters, basis: str = "period", window_days: int = 90) -> pd.DataFrame:
    steps = steps_from_volumes(stage_summary(cur, f, basis, window_days))
    steps["is_immature"] = is_immature(f, basis, window_days)
    return steps


@metric(
    name="funnel_stage_value",
    label="Value per stage",
    definition="Sum of opportunity amounts (pipeline) and of won amounts over the records counted at each "
    "stage: what the stage's records went on to be worth, whatever their stage now." + _BASIS_NOTE,
    grain="one row per stage",
    owner="shared",
    format="currency",
    area="funnel",
    params=_COMMON_PARAMS,
)
def funnel_stage_value(cur, f: Filters, basis: str = "period", window_days: int = 90) -> pd.DataFrame:
    summary = stage_summary(cur, f, basis, window_days)
    return summary[["stage", "label", "owner", "volume", "pipeline_amount", "won_amount"]]


@metric(
    name="funnel_time_in_stage",
    label="Time in stage",
    definition="Days from entering a stage to entering the next (an opportunity: to closing, won or lost), over "
    "the records counted at the stage that have moved on: median and 90th percentile, never the mean. Records "
    "still in the stage (not moved on, not rejected, recycled, disqualified or lost) are censored: counted "
    "as open, with their median age at the as-of date shown separately." + _BASIS_NOTE,
    grain="one row per stage (Won has no time in stage)",
    owner="shared",
    format="days",
    area="funnel",
    params=_COMMON_PARAMS,
)
def funnel_time_in_stage(cur, f: Filters, basis: str = "period", window_days: int = 90) -> pd.DataFrame:
    _check(basis, window_days)
    where, scope_params = _scope(f, basis)
    parts, params = [], []
    for stage, exit_at in _EXIT_AT.items():
        cond, cond_params = _member(stage, f, basis, window_days)
        days = f"epoch({exit_at} - {stage}_at) / 86400.0"
        is_open = f"{exit_at} is null and (exited_at is null or exited_at < {stage}_at)"
        parts.append(
            f"select '{stage}' as stage, "
            f"quantile_cont({days}, 0.5) as median_days, quantile_cont({days}, 0.9) as p90_days, "
            f"count({exit_at}) as moved_count, count(*) filter (where {is_open}) as open_count, "
            f"quantile_cont(epoch(?::timestamp - {stage}_at) / 86400.0, 0.5) filter (where {is_open}) "
            f"as open_median_age_days "
            f"from mart_lead_funnel as f {where} and {cond}"
        )
        params += [_reading_moment(f)] + scope_params + cond_params
    out = cur.execute(" union all ".join(parts), params).df()
    return _label_stages(out)


def _label_stages(frame: pd.DataFrame) -> pd.DataFrame:
    order = {stage: i for i, stage in enumerate(MAIN_PATH)}
    frame = frame.sort_values("stage", key=lambda s: s.map(order)).reset_index(drop=True)
    frame.insert(1, "label", frame["stage"].map(STAGE_LABELS))
    frame.insert(2, "owner", frame["stage"].map(STAGE_OWNER))
    return frame


@metric(
    name="funnel_velocity",
    label="Velocity from lead",
    definition="Days from entering the funnel (Lead) to entering each later stage, over the records counted at "
    "that stage: median and 90th percentile. Lead → Won is the sales cycle measured from the lead."
    + _BASIS_NOTE,
    grain="one row per stage after Lead",
    owner="shared",
    format="days",
    area="funnel",
    params=_COMMON_PARAMS,
)
def funnel_velocity(cur, f: Filters, basis: str = "period", window_days: int = 90) -> pd.DataFrame:
    _check(basis, window_days)
    where, scope_params = _scope(f, basis)
    parts, params = [], []
    for stage in MAIN_PATH[1:]:
        cond, cond_params = _member(stage, f, basis, window_days)
        days = f"epoch({stage}_at - lead_at) / 86400.0"
        parts.append(f"select '{stage}' as stage, count(*) as record_count, "
                     f"quantile_cont({days}, 0.5) as median_days, quantile_cont({days}, 0.9) as p90_days "
                     f"from mart_lead_funnel as f {where} and {cond}")
        params += scope_params + cond_params
    return _label_stages(cur.execute(" union all ".join(parts), params).df())


@metric(
    name="funnel_waterfall",
    label="Funnel waterfall",
    definition="Forrester's four measures per stage in one table: volume, conversion (% of previous and % of "
    "first, with intervals), velocity (median and p90 days in the stage) and value (pipeline and won amount "
    "of the stage's records). Each column follows its own metric's definition.",
    grain="one row per stage",
    owner="shared",
    format="table",
    area="funnel",
    params=_COMMON_PARAMS,
)
def funnel_waterfall(cur, f: Filters, basis: str = "period", window_days: int = 90) -> pd.DataFrame:
    summary = stage_summary(cur, f, basis, window_days)
    steps = steps_from_volumes(summary).rename(columns={"to_stage": "stage"})
    table = summary.merge(
        steps[["stage", "rate", "ci_low", "ci_high", "cumulative_rate", "is_small_sample"]], on="stage", how="left")
    first = table["stage"] == MAIN_PATH[0]
    has_leads = table.loc[first, "volume"].gt(0).all()
    table.loc[first, ["rate", "cumulative_rate"]] = [1.0, 1.0] if has_leads else [None, None]
    table.loc[first, "is_small_sample"] = table.loc[first, "volume"] < MIN_SAMPLE
    time = funnel_time_in_stage(cur, f, basis, window_days)[["stage", "median_days", "p90_days", "open_count"]]
    table = table.merge(time, on="stage", how="left").rename(columns={"rate": "pct_of_previous",
                                                                      "cumulative_rate": "pct_of_first"})
    table["is_immature"] = is_immature(f, basis, window_days)
    numeric = ["pct_of_previous", "ci_low", "ci_high", "pct_of_first", "median_days", "p90_days"]
    table[numeric] = table[numeric].astype("float64")
    table["open_count"] = table["open_count"].astype("Int64")
    return table.drop(columns=["stage_order"])


@metric(
    name="funnel_conversion_trend",
    label="Conversion trend",
    definition="Each step's conversion month by month. Period basis: records entering the later stage in the "
    "month / records entering the earlier stage in the month. Cohort basis: of the leads created in the month, "
    "those reaching the later stage within the cohort window / those reaching the earlier one; months whose "
    "window has not passed by the as-of date are flagged immature. Partial months at the ends of the range "
    "count only the days inside it.",
    grain="one row per month per step",
    owner="shared",
    format="percent",
    area="funnel",
    params=_COMMON_PARAMS,
)
def funnel_conversion_trend(cur, f: Filters, basis: str = "period", window_days: int = 90) -> pd.DataFrame:
    _check(basis, window_days)
    counts = _monthly_counts(cur, f, basis, window_days)
    steps = []
    for a, b in STEPS:
        part = pd.DataFrame({"month": counts.index, "from_stage": a, "to_stage": b,
                             "step": f"{STAGE_LABELS[a]} → {STAGE_LABELS[b]}", "owner": STAGE_OWNER[b],
                             "numerator": counts[b].to_numpy(), "denominator": counts[a].to_numpy()})
        steps.append(part)
    out = pd.concat(steps, ignore_index=True)
    out["rate"] = safe_rate(out["numerator"], out["denominator"])
    out["ci_low"], out["ci_high"] = wilson_interval(out["numerator"], out["denominator"])
    out["is_small_sample"] = out["denominator"] < MIN_SAMPLE
    month_end = out["month"] + pd.offsets.MonthEnd(0)
    limit = pd.Timestamp(f.as_of_date) - pd.Timedelta(days=window_days)
    out["is_immature"] = (month_end > limit) if basis == "cohort" else False
    return out


def _monthly_counts(cur, f: Filters, basis: str, window_days: int) -> pd.DataFrame:
    """Index: every month in the range; columns: one count per main stage."""
    where, scope_params = _scope(f, basis)
    if basis == "cohort":
        counts = ", ".join(f"count(*) filter (where {s}_at <= lead_at + to_days(?)) as {s}" for s in MAIN_PATH)
        sql = f"select date_trunc('month', lead_at) as month, {counts} from mart_lead_funnel as f {where} group by 1"
        frame = cur.execute(sql, [window_days] * len(MAIN_PATH) + scope_params).df()
    else:
        parts, params = [], []
        for stage in MAIN_PATH:
            cond, cond_params = f.window_sql(f"{stage}_at")
            parts.append(f"select date_trunc('month', {stage}_at) as month, '{stage}' as stage, count(*) as n "
                         f"from mart_lead_funnel as f {where} and {cond} group by 1")
            params += scope_params + cond_params
        long = cur.execute(" union all ".join(parts), params).df()
        # Each part is grouped by month, so (month, stage) is unique: a plain pivot will do.
        frame = long.pivot(index="month", columns="stage", values="n").reset_index()
    months = pd.date_range(pd.Timestamp(f.start).to_period("M").to_timestamp(),
                           pd.Timestamp(f.end).to_period("M").to_timestamp(), freq="MS")
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[ns]") if len(frame) else frame["month"]
    frame = frame.set_index("month").reindex(months.astype("datetime64[ns]"))
    for stage in MAIN_PATH:
        frame[stage] = frame[stage].fillna(0).astype("int64") if stage in frame else 0
    frame.index.name = "month"
    return frame[list(MAIN_PATH)]


@metric(
    name="funnel_breakdown",
    label="Funnel by dimension",
    definition="Stage volumes and next-step conversion (with 95% Wilson intervals and small-sample flags) for "
    "each value of one dimension: channel, campaign, segment, region, team or rep. Team and rep are the lead's "
    "owner (the SDR who worked it)." + _BASIS_NOTE,
    grain="one row per dimension value per step",
    owner="shared",
    format="percent",
    area="funnel",
    params=_COMMON_PARAMS + (Param("dimension", str, "channel", "what to break down by", tuple(DIMENSIONS)),),
)
def funnel_breakdown(cur, f: Filters, basis: str = "period", window_days: int = 90,
                     dimension: str = "channel") -> pd.DataFrame:
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}; got {dimension!r}.")
    volumes = stage_summary(cur, f, basis, window_days, group_by=dimension)
    return steps_from_volumes(volumes, "dimension_value")


RECORD_COLUMNS = ("lead_id", "created_at", "entered_stage_at", "channel", "campaign_name", "segment", "region",
                  "sdr_rep_name", "sdr_team_id", "score", "current_stage", "skipped_stage_count",
                  "opportunity_id", "opportunity_amount", "won_amount")


@metric(
    name="funnel_records",
    label="Records behind a stage",
    definition="The records counted at one stage (or one detour: rejected, recycled, disqualified, lost) under "
    "the same basis and filters as the funnel, newest entry first, up to `limit` rows." + _BASIS_NOTE,
    grain="one row per lead",
    owner="shared",
    format="table",
    area="funnel",
    params=_COMMON_PARAMS + (Param("stage", str, "mql", "the stage to list", ALL_STAGES),
                             Param("limit", int, 5000, "most rows returned")),
)
def funnel_records(cur, f: Filters, basis: str = "period", window_days: int = 90, stage: str = "mql",
                   limit: int = 5000) -> pd.DataFrame:
    _check(basis, window_days)
    if stage not in ALL_STAGES:
        raise ValueError(f"stage must be one of {', '.join(ALL_STAGES)}; got {stage!r}.")
    where, scope_params = _scope(f, basis)
    cond, cond_params = _member(stage, f, basis, window_days)
    columns = ", ".join(c if c != "entered_stage_at" else f"{stage}_at as entered_stage_at" for c in RECORD_COLUMNS)
    sql = (f"select {columns} from mart_lead_funnel as f {where} and {cond} "
           f"order by entered_stage_at desc, lead_id limit ?")
    return cur.execute(sql, scope_params + cond_params + [int(limit)]).df()
