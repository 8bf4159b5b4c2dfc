"""Meeting mode: the joint review's numbers, what changed, who moved them, the open actions and the
events to mark on time-series charts.

A reading is live (the date range against the previous period of the same length, `Filters.previous`)
or frozen (a snapshot: the frames the Meeting page showed, stored by data/meetings.py and read back by
data/snapshots.py). Every number comes from a registered metric; this module only lines readings up:
- KPI deltas: each headline KPI's value now and before, change = now - before, relative change =
  change / |before|, and whether the change is for the better;
- contributors: an additive KPI's change split by campaign, rep or segment, from the funnel's own
  per-group stage volumes (metrics.funnel.stage_summary, what funnel_breakdown reads), so the groups
  add up to the KPI.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from data.snapshots import read_frames, snapshot_row
from metrics.filters import Filters
from metrics.funnel import stage_summary
from metrics.goals import goal_metrics
from metrics.goals import kpi_values as goal_kpi_values
from metrics.periods import add_months, period_containing
from metrics.registry import REGISTRY, Param, metric
from metrics.sla import acceptance_by_window, first_touch_by_window

CONTRIBUTOR_DIMENSIONS = ("campaign", "rep", "segment")
DIMENSION_LABELS = {"campaign": "Campaign", "rep": "Rep (lead owner)", "segment": "Segment"}
ITEM_KINDS = ("decision", "action")
ITEM_STATUSES = ("open", "in_progress", "done", "dropped")
OPEN_STATUSES = ("open", "in_progress")
ANNOTATION_KINDS = ("launch", "definition", "decision", "note")


@dataclass(frozen=True)
class MeetingKpi:
    """One headline number of the review: column `column` of registered metric `source`'s one-row frame,
    shown in `format` (the source's, or 'times' for a return shown as a multiple: 2.5x).

    `split`: for an additive KPI, the (stage, stage_summary column) its per-group values come from.
    `direction`: +1 when higher is better, -1 when lower is, 0 when neither (spend).
    """

    name: str
    source: str
    column: str = "value"
    count_column: str | None = "record_count"
    direction: int = 1
    split: tuple[str, str] | None = None
    label: str = ""
    owner: str = ""
    format: str = ""
    params: tuple[tuple[str, object], ...] = (("grain", "total"),)

    @property
    def shown_label(self) -> str:
        return self.label or REGISTRY[self.source].label

    @property
    def shown_owner(self) -> str:
        return self.owner or REGISTRY[self.source].owner

    @property
    def shown_format(self) -> str:
        return self.format or REGISTRY[self.source].format


_SUMMARY = "acquisition_cost_summary"
MEETING_KPIS: tuple[MeetingKpi, ...] = (
    MeetingKpi("leads", "leads", split=("lead", "volume")),
    MeetingKpi("mqls", "mqls", split=("mql", "volume")),
    MeetingKpi("sals", "sals", split=("sal", "volume")),
    MeetingKpi("sqls", "sqls", split=("sql", "volume")),
    MeetingKpi("opportunities_created", "opportunities_created", split=("opportunity", "volume")),
    MeetingKpi("pipeline_created", "pipeline_created", split=("opportunity", "pipeline_amount")),
    MeetingKpi("won_deals", "won_deals", split=("won", "volume")),
    MeetingKpi("won_revenue", "won_revenue", split=("won", "won_amount")),
    MeetingKpi("win_rate", "win_rate"),
    MeetingKpi("average_deal_size", "average_deal_size"),
    MeetingKpi("sales_cycle_days", "sales_cycle_days", direction=-1),
    MeetingKpi("first_touch_compliance", "sla_first_touch", "compliance", "due_count"),
    MeetingKpi("mql_acceptance_rate", "mql_acceptance", "rate", "worked", label="MQL acceptance rate"),
    MeetingKpi("campaign_spend", _SUMMARY, "campaign_spend", None, 0, label="Campaign spend", owner="marketing",
               format="currency", params=()),
    MeetingKpi("campaign_roi", _SUMMARY, "roi", None, label="ROI of all campaigns", owner="marketing",
               format="times", params=()),
    MeetingKpi("blended_cac", _SUMMARY, "blended_cac", "new_customers", -1, label="Blended CAC", format="currency",
               params=()),
)
KPI_BY_NAME = {kpi.name: kpi for kpi in MEETING_KPIS}
ADDITIVE_KPIS = tuple(kpi.name for kpi in MEETING_KPIS if kpi.split)

_KPI_COLUMNS = ["kpi", "label", "source", "owner", "format", "direction", "definition", "value", "record_count"]
DELTA_COLUMNS = _KPI_COLUMNS + ["previous_value", "previous_record_count", "change", "change_pct", "is_better",
                                "has_contributors"]
CONTRIBUTOR_COLUMNS = ["kpi", "label", "owner", "format", "dimension", "dimension_value", "value", "previous_value",
                       "change", "share_of_change"]


# --- which period the meeting reviews -----------------------------------------------------------

PERIOD_CHOICES = {
    "range": "The sidebar's date range",
    "week": "Last complete week (Mon–Sun)",
    "four_weeks": "Last four complete weeks",
    "month": "Last complete month",
    "quarter": "Last complete quarter",
}


def review_as_of(choice: str, f: Filters, last: date, today: date | None = None) -> date:
    """The day a meeting's calendar period ends before: today, unless the period that gives starts after the
    data's last day (an export that ended long ago); then the day after that last day, so the period is the
    data's own last complete one. Data a few days behind today keeps today's period."""
    today = today or date.today()
    if meeting_window(choice, replace(f, as_of=today)).start <= last:
        return today
    return last + timedelta(days=1)


def meeting_window(choice: str, f: Filters) -> Filters:
    """The reviewed period, with f's dimension filters and as-of date: the sidebar range, or the last
    complete week, four weeks, calendar month or quarter ending before the as-of day. Its previous period
    is always `Filters.previous` (the same number of days just before)."""
    if choice not in PERIOD_CHOICES:
        raise ValueError(f"period must be one of {', '.join(PERIOD_CHOICES)}; got {choice!r}.")
    if choice == "range":
        return f
    today = f.as_of_date
    if choice in ("week", "four_weeks"):
        end = today - timedelta(days=today.isoweekday())  # the Sunday before the as-of day
        days = 7 if choice == "week" else 28
        return replace(f, start=end - timedelta(days=days - 1), end=end)
    current = period_containing(choice, today)
    last = current.previous()
    return replace(f, start=last.start, end=add_months(last.start, last.months) - timedelta(days=1))


# --- reading the KPIs ---------------------------------------------------------------------------

def _number(value) -> float:
    return math.nan if value is None or pd.isna(value) else float(value)


def _is_headline_kpi(kpi: MeetingKpi) -> bool:
    """Read as goals.kpi_values reads a KPI: a registered KPI's value and record count at grain=total."""
    return (kpi.source in goal_metrics() and (kpi.column, kpi.count_column) == ("value", "record_count")
            and kpi.params == (("grain", "total"),))


def _acquisition_costs_by_window(cur, windows: Sequence[Filters]) -> pd.DataFrame:
    # Imported here: imported first by this module, metrics.roi would register its metrics ahead of the
    # meeting's and reorder the registry (and the README's metric table).
    from metrics.roi import acquisition_costs_by_window
    return acquisition_costs_by_window(cur, windows)


# Sources whose row (at the params MEETING_KPIS read them with) comes for every window from one call, a row
# per window, each statement reading all the windows: a statement per window was most of the meeting's time.
_BY_WINDOW = {"sla_first_touch": first_touch_by_window, "mql_acceptance": acceptance_by_window,
              _SUMMARY: _acquisition_costs_by_window}


def kpi_values(cur, windows: Sequence[Filters]) -> list[pd.DataFrame]:
    """Per window, one row per MEETING_KPIS entry: its value and record count, from its registered metric
    (the headline KPIs of every window read in one statement, the _BY_WINDOW sources once for all windows,
    any other source once per window), with the label, owner, format and definition shown beside it."""
    if not windows:  # two snapshots compared: nothing read live
        return []
    headline = [kpi.source for kpi in MEETING_KPIS if _is_headline_kpi(kpi)]
    # The _BY_WINDOW sources read on cursors of their own meanwhile: DuckDB runs the statements side by side,
    # a fifth less wall time at 1M leads on two cores for the same CPU.
    with ThreadPoolExecutor(max_workers=len(_BY_WINDOW)) as pool:
        pending = {source: pool.submit(_on_own_cursor, cur, read, windows) for source, read in _BY_WINDOW.items()}
        values = iter(goal_kpi_values(cur, [(source, f) for f in windows for source in headline]))
        by_window = {source: future.result() for source, future in pending.items()}
    readings = []
    for k, f in enumerate(windows):
        frames = {(source, (("grain", "total"),)): dict(zip(("value", "record_count"), next(values)))
                  for source in headline}
        frames.update({(kpi.source, kpi.params): by_window[kpi.source].iloc[k] for kpi in MEETING_KPIS
                       if kpi.source in by_window})
        readings.append(_kpi_frame(cur, f, frames))
    return readings


def _on_own_cursor(cur, read: Callable, windows: Sequence[Filters]) -> pd.DataFrame:
    side = cur.cursor()
    try:
        return read(side, windows)
    finally:
        side.close()


def _kpi_frame(cur, f: Filters, frames: dict[tuple, object]) -> pd.DataFrame:
    """kpi_values' frame for one window, `frames` holding the source rows read already."""
    rows = []
    for kpi in MEETING_KPIS:
        key = (kpi.source, kpi.params)
        if key not in frames:
            frames[key] = REGISTRY[kpi.source](cur, f, **dict(kpi.params)).iloc[0]
        row = frames[key]
        count = row[kpi.count_column] if kpi.count_column else None
        rows.append({"kpi": kpi.name, "label": kpi.shown_label, "source": kpi.source, "owner": kpi.shown_owner,
                     "format": kpi.shown_format, "direction": kpi.direction,
                     "definition": REGISTRY[kpi.source].definition, "value": _number(row[kpi.column]),
                     "record_count": None if count is None or pd.isna(count) else int(count)})
    frame = pd.DataFrame(rows, columns=_KPI_COLUMNS)
    frame["record_count"] = frame["record_count"].astype("Int64")
    return frame


def kpi_deltas(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Two readings of kpi_values (or their stored copies) lined up: change, relative change, better or not.

    Relative change = change / |before|, none when before is zero or unknown. is_better is empty when the
    change is zero or unknown or the KPI has no better direction. Each KPI of `now` keeps its row, in order;
    its earlier reading is looked up by name (a stored reading may lack a KPI added since). Built in numpy
    and made a frame once: a merge and a pandas call per column cost more than these sixteen rows."""
    earlier = {kpi: i for i, kpi in enumerate(before["kpi"].tolist())}
    rows = np.array([earlier.get(kpi, -1) for kpi in now["kpi"].tolist()], dtype="int64")
    previous = np.where(rows >= 0, before["value"].to_numpy("float64")[rows] if len(before) else np.nan, np.nan)
    value = now["value"].to_numpy("float64")
    change = value - previous
    base = np.abs(previous)
    signed = change * now["direction"].to_numpy("float64")
    columns = {column: now[column].array for column in _KPI_COLUMNS}
    columns.update({
        "previous_value": previous,
        "previous_record_count": before["record_count"].astype("Int64").array.take(rows, allow_fill=True),
        "change": change,
        "change_pct": change / np.where(base > 0, base, np.nan),
        "is_better": pd.arrays.BooleanArray(signed > 0, np.isnan(signed) | (signed == 0)),
        "has_contributors": np.isin(now["kpi"].to_numpy(object), ADDITIVE_KPIS),
    })
    return pd.DataFrame(columns)[DELTA_COLUMNS]


def kpi_values_by(cur, f: Filters, dimension: str) -> pd.DataFrame:
    """Each additive KPI's value per value of `dimension` over `f` (period basis): one row per KPI per value."""
    _check_dimension(dimension)
    summary = stage_summary(cur, f, "period", 90, group_by=dimension)
    # Column arrays picked per KPI and built into one frame: a frame per KPI cost more than the funnel's SQL.
    stages = summary["stage"].to_numpy()
    names = summary["dimension_value"].astype(str).to_numpy()
    masks = [stages == KPI_BY_NAME[name].split[0] for name in ADDITIVE_KPIS]
    sizes = [int(mask.sum()) for mask in masks]
    kpis = [KPI_BY_NAME[name] for name in ADDITIVE_KPIS]
    return pd.DataFrame({
        "kpi": np.repeat(ADDITIVE_KPIS, sizes).astype(object),
        "label": np.repeat([kpi.shown_label for kpi in kpis], sizes).astype(object),
        "owner": np.repeat([kpi.shown_owner for kpi in kpis], sizes).astype(object),
        "format": np.repeat([kpi.shown_format for kpi in kpis], sizes).astype(object),
        "dimension": dimension,
        "dimension_value": np.concatenate([names[mask] for mask in masks]),
        "value": np.concatenate([summary[kpi.split[1]].to_numpy("float64")[mask] for kpi, mask in zip(kpis, masks)]),
    })


def contributions(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Two readings of kpi_values_by lined up per KPI and value: change and its share of the KPI's change.

    A value missing from one reading had none of the KPI then (the KPIs are counts and sums). Within each
    KPI (in MEETING_KPIS order), the largest change either way first."""
    keys = ["kpi", "dimension_value"]
    meta = pd.concat([now, before])[["kpi", "label", "owner", "format", "dimension"]].drop_duplicates("kpi")
    merged = now[keys + ["value"]].merge(before[keys + ["value"]].rename(columns={"value": "previous_value"}),
                                         on=keys, how="outer")
    merged[["value", "previous_value"]] = merged[["value", "previous_value"]].fillna(0.0)
    merged["change"] = merged["value"] - merged["previous_value"]
    total = merged.groupby("kpi")["change"].transform("sum")
    merged["share_of_change"] = (merged["change"] / total.where(total != 0)).astype("float64")
    frame = merged.assign(**{column: merged["kpi"].map(dict(zip(meta["kpi"], meta[column])))
                             for column in ("label", "owner", "format", "dimension")})  # a map: cheaper than a merge
    order = frame["kpi"].map({name: i for i, name in enumerate(ADDITIVE_KPIS)})
    frame = frame.assign(_order=order, _size=-frame["change"].abs())
    frame = frame.sort_values(["_order", "_size", "dimension_value"], kind="stable")
    return frame[CONTRIBUTOR_COLUMNS].reset_index(drop=True)


def top_contributors(frame: pd.DataFrame, kpi: str = "", top: int = 5) -> pd.DataFrame:
    """The `top` values whose change moved each KPI (or only `kpi`) most; values that did not move are
    dropped. top = 0 keeps every row."""
    rows = frame if not kpi else frame[frame["kpi"] == kpi]
    if top <= 0:
        return rows.reset_index(drop=True)
    moved = rows[rows["change"] != 0]
    return moved.groupby("kpi", sort=False).head(top).reset_index(drop=True)


def _check_dimension(dimension: str) -> None:
    if dimension not in CONTRIBUTOR_DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(CONTRIBUTOR_DIMENSIONS)}; got {dimension!r}.")


def _check_kpi(kpi: str) -> None:
    if kpi and kpi not in ADDITIVE_KPIS:
        raise ValueError(f"kpi must be empty (all) or one of {', '.join(ADDITIVE_KPIS)}; got {kpi!r}.")


# --- the registered metrics ---------------------------------------------------------------------

_SNAPSHOT = Param("snapshot_id", int, 0, "read this snapshot's frozen numbers instead of the live ones (0: live)")
_COMPARE = Param("compare_to", int, 0, "compare with this snapshot instead of the previous period (0: previous "
                 "period)")
_READINGS_NOTE = ("Live, the date range is compared with the previous period of the same length; with snapshot_id, "
                  "the numbers are those frozen in that snapshot (as frozen, against its own previous period); "
                  "with compare_to, the earlier reading is that snapshot's frozen numbers.")


def _stored_values(cur, snapshot_id: int, key: str, columns: list[str]) -> pd.DataFrame:
    """The current-period columns of a snapshot's stored frame."""
    return read_frames(cur, snapshot_id, (key,))[key][columns]


@metric(
    name="meeting_kpi_deltas",
    label="What changed",
    definition="Each headline KPI of the joint review (leads, MQLs, SALs, SQLs, opportunities, pipeline created, won "
    "deals and revenue, win rate, average deal size, sales cycle, first touch within SLA, MQL acceptance rate, "
    "campaign spend, ROI of all campaigns, blended CAC) in two readings: value, previous value, change = value - "
    "previous, relative change = change / |previous| (none when the previous is zero or unknown), and whether "
    "the change is for the better (lower is better for sales cycle and blended CAC; spend has no better "
    "direction). Each KPI follows the definition of the metric named in its source. " + _READINGS_NOTE,
    grain="one row per KPI",
    owner="shared",
    format="table",
    area="meeting",
    params=(_SNAPSHOT, _COMPARE),
)
def meeting_kpi_deltas(cur, f: Filters, snapshot_id: int = 0, compare_to: int = 0) -> pd.DataFrame:
    if snapshot_id and not compare_to:
        return read_frames(cur, snapshot_id, ("kpi_deltas",))["kpi_deltas"]
    live = [] if snapshot_id else [f]
    live += [] if compare_to else [f.previous()]
    readings = iter(kpi_values(cur, live))  # both live readings in one go: their KPIs share a statement
    now = _stored_values(cur, snapshot_id, "kpi_deltas", _KPI_COLUMNS) if snapshot_id else next(readings)
    before = _stored_values(cur, compare_to, "kpi_deltas", _KPI_COLUMNS) if compare_to else next(readings)
    return kpi_deltas(now, before)


_VALUE_COLUMNS = ["kpi", "label", "owner", "format", "dimension", "dimension_value", "value"]


@metric(
    name="meeting_kpi_contributors",
    label="Who moved each KPI",
    definition="An additive KPI's change (leads, MQLs, SALs, SQLs, opportunities created, pipeline created, won deals, "
    "won revenue) split by campaign (the lead's original campaign), rep (the lead's owner, its SDR) or segment: "
    "its value in each reading, the change and the change's share of the KPI's whole change; the `top` values "
    "that moved it most, either way, first (0: every value). The values add up to the KPI: they are the "
    "funnel's period-basis stage volumes and amounts per value (as Funnel by dimension counts them). Rates, "
    "averages and SLA compliance have no additive split and are not listed. " + _READINGS_NOTE,
    grain="one row per KPI per dimension value",
    owner="shared",
    format="table",
    area="meeting",
    params=(Param("kpi", str, "", "the KPI (empty: every additive KPI)", ("",) + ADDITIVE_KPIS),
            Param("dimension", str, "campaign", "what to split the change by", CONTRIBUTOR_DIMENSIONS),
            Param("top", int, 5, "values kept per KPI, largest change first (0: all)"), _SNAPSHOT, _COMPARE),
)
def meeting_kpi_contributors(cur, f: Filters, kpi: str = "", dimension: str = "campaign", top: int = 5,
                             snapshot_id: int = 0, compare_to: int = 0) -> pd.DataFrame:
    _check_kpi(kpi)
    _check_dimension(dimension)
    key = f"contributors_{dimension}"
    if snapshot_id and not compare_to:
        return top_contributors(read_frames(cur, snapshot_id, (key,))[key], kpi, top)
    now = _stored_values(cur, snapshot_id, key, _VALUE_COLUMNS) if snapshot_id else kpi_values_by(cur, f, dimension)
    before = _stored_values(cur, compare_to, key, _VALUE_COLUMNS) if compare_to else \
        kpi_values_by(cur, f.previous(), dimension)
    return top_contributors(contributions(now, before), kpi, top)


ACTION_COLUMNS = ["item_id", "kind", "item_text", "metric_name", "metric_label", "campaign_id", "campaign_name",
                  "owner_team", "owner_rep_id", "owner_name", "due_date", "status", "raised_in_id", "raised_in",
                  "created_at", "created_by_name", "closed_at", "is_carried_over", "is_open", "is_overdue",
                  "days_overdue"]


@metric(
    name="meeting_actions",
    label="Decisions and actions",
    definition="The decisions and action items of a meeting, each tied to a metric or a campaign, with owner team, "
    "owner, due date and status (open, in progress, done, dropped). For a snapshot: the items raised in it, and "
    "the items raised in earlier meetings that were still open when it was taken (carried over). Live: every "
    "item still open, all carried into the next meeting. An item is overdue when it is still open (open or in "
    "progress) and its due date is before the as-of date; days overdue count from the due date. Overdue first, "
    "then by due date.",
    grain="one row per decision or action item",
    owner="shared",
    format="table",
    area="meeting",
    params=(_SNAPSHOT,),
)
def meeting_actions(cur, f: Filters, snapshot_id: int = 0) -> pd.DataFrame:
    if snapshot_id:
        taken_at = snapshot_row(cur, snapshot_id)["taken_at"]
        where = ("i.snapshot_id = ? or (s.taken_at < ? and i.created_at < ? "
                 "and (i.closed_at is null or i.closed_at > ?))")
        params = [int(snapshot_id)] + [taken_at] * 3
    else:
        where, params = "i.closed_at is null", []
    frame = cur.execute(
        "select i.item_id, i.kind, i.item_text, i.metric_name, i.campaign_id, c.campaign_name, i.owner_team, "
        "i.owner_rep_id, coalesce(o.rep_name, i.owner_rep_id) as owner_name, i.due_date, i.status, "
        "i.snapshot_id as raised_in_id, s.title as raised_in, i.created_at, "
        "coalesce(b.rep_name, i.created_by) as created_by_name, i.closed_at "
        "from meeting_items as i join meeting_snapshots as s using (snapshot_id) "
        "left join campaigns as c on c.campaign_id = i.campaign_id "
        "left join reps as o on o.rep_id = i.owner_rep_id left join reps as b on b.rep_id = i.created_by "
        f"where {where}", params).df()
    labels = {name: m.label for name, m in REGISTRY.items()}
    frame["metric_label"] = frame["metric_name"].map(labels)
    frame["is_carried_over"] = frame["raised_in_id"] != snapshot_id if snapshot_id else True
    frame["is_open"] = frame["status"].isin(OPEN_STATUSES)
    due = pd.to_datetime(frame["due_date"])
    late_days = (pd.Timestamp(f.as_of_date) - due).dt.days
    frame["is_overdue"] = frame["is_open"] & (late_days > 0).fillna(False).astype(bool)
    frame["days_overdue"] = late_days.where(frame["is_overdue"]).astype("Int64")
    frame["due_date"] = [None if pd.isna(day) else day.date() for day in due]
    frame = frame.sort_values(["is_overdue", "due_date", "item_id"], ascending=[False, True, True],
                              na_position="last")
    return frame[ACTION_COLUMNS].reset_index(drop=True)


@metric(
    name="chart_annotations",
    label="Chart annotations",
    definition="The events marked on time-series charts, by day within the date range: campaign launches (a "
    "campaign's start date; the channel filter keeps its channels' launches), metric-definition changes and "
    "notes written in the app, and the decisions taken in meetings (on the day they were recorded). A "
    "definition change or note about one metric shows only on charts of the metrics listed in `metrics` "
    "(empty: on every chart).",
    grain="one row per event",
    owner="shared",
    format="table",
    area="meeting",
    params=(Param("metrics", str, "", "comma-separated metrics the chart shows (empty: every annotation)"),),
)
def chart_annotations(cur, f: Filters, metrics: str = "") -> pd.DataFrame:
    charted = [name.strip() for name in metrics.split(",") if name.strip()]
    channel = " and c.channel = any(?::varchar[])" if f.channels else ""
    channel_params = [list(f.channels)] if f.channels else []
    sql = (
        "select c.start_date as on_date, 'launch' as kind, c.campaign_name as label, c.channel as detail, "
        "'marketing' as owner_team, null::varchar as metric_name, c.campaign_id as source_id "
        f"from campaigns as c where c.start_date >= ? and c.start_date <= ?{channel} "
        "union all "
        "select a.annotated_on, a.kind, a.label, a.detail, a.owner_team, a.metric_name, a.annotation_id::varchar "
        "from annotations as a where a.annotated_on >= ? and a.annotated_on <= ? "
        "and (a.metric_name is null or len(?::varchar[]) = 0 or a.metric_name = any(?::varchar[])) "
        "union all "
        "select i.created_at::date, 'decision', i.item_text, 'Decided in ' || s.title, i.owner_team, i.metric_name, "
        "i.item_id::varchar from meeting_items as i join meeting_snapshots as s using (snapshot_id) "
        "where i.kind = 'decision' and i.created_at >= ?::timestamp and i.created_at < ?::timestamp "
        "order by on_date, kind, label")
    frame = cur.execute(sql, [f.start, f.end] + channel_params + [f.start, f.end, charted, charted]
                        + [f.start, f.end_exclusive]).df()
    frame["on_date"] = pd.to_datetime(frame["on_date"])
    return frame


@metric(
    name="meeting_snapshots",
    label="Meeting snapshots",
    definition="Every snapshot taken: its title, when and by whom it was frozen, the period and previous period "
    "its numbers were read for, the filters and as-of date they were read under, and how many decisions and "
    "actions were raised in it. A snapshot's numbers never change after it is taken. Newest first. A reader "
    "limited to some regions or segments sees only the snapshots read within them.",
    grain="one row per snapshot",
    owner="shared",
    format="table",
    area="meeting",
)
def meeting_snapshots(cur, f: Filters) -> pd.DataFrame:
    frame = cur.execute(
        "select s.snapshot_id, s.title, s.taken_at, s.taken_by, coalesce(r.rep_name, s.taken_by) as taken_by_name, "
        "s.period_start, s.period_end, s.previous_start, s.previous_end, s.as_of, s.filters_json, "
        "count(i.item_id) filter (where i.kind = 'decision') as decisions, "
        "count(i.item_id) filter (where i.kind = 'action') as actions "
        "from meeting_snapshots as s left join reps as r on r.rep_id = s.taken_by "
        "left join meeting_items as i using (snapshot_id) group by all order by s.taken_at desc, s.snapshot_id desc"
    ).df()
    if f.scope_regions or f.scope_segments:
        visible = frame["filters_json"].map(lambda text: _within_scope(json.loads(text), f)).astype(bool)
        frame = frame[visible].reset_index(drop=True)
    return frame


def _within_scope(dims: dict, reader: Filters) -> bool:
    """Was a snapshot read entirely inside the reader's scope? Its rows are limited to the values of its own
    scope (if frozen by a scoped user) and filters; an unlimited dimension lies within no scope."""
    for name, scope in (("regions", reader.scope_regions), ("segments", reader.scope_segments)):
        if not scope:
            continue
        limits = [set(v) for v in (dims.get(name), dims.get(f"scope_{name}")) if v]
        read_within = set.intersection(*limits) if limits else None
        if read_within is None or not read_within <= set(scope):
            return False
    return True


# --- the board: every frame the Meeting page shows (and a snapshot stores) ----------------------

@dataclass(frozen=True)
class BoardRequest:
    """One frame of the board: registered metric `metric` read over `filters` with `params`."""

    key: str
    metric: str
    window: str  # 'current' or 'previous'
    filters: Filters
    params: dict = field(default_factory=dict)


def board_requests(f: Filters) -> tuple[BoardRequest, ...]:
    """The frames of a review of `f` against its previous period. Goals are the quarter holding the
    period's last day (read as of f's as-of date)."""
    before = f.previous()
    quarter = period_containing("quarter", min(f.end, f.as_of_date)).label
    requests = [BoardRequest("kpi_deltas", "meeting_kpi_deltas", "current", f)]
    requests += [BoardRequest(f"contributors_{d}", "meeting_kpi_contributors", "current", f,
                              {"dimension": d, "top": 0}) for d in CONTRIBUTOR_DIMENSIONS]
    requests += [
        BoardRequest("goals", "goal_progress", "current", f, {"period_type": "quarter", "period": quarter}),
        BoardRequest("funnel", "funnel_waterfall", "current", f),
        BoardRequest("funnel_previous", "funnel_waterfall", "previous", before),
        BoardRequest("sla", "sla_ledger", "current", f),
        BoardRequest("sla_previous", "sla_ledger", "previous", before),
        BoardRequest("themes", "rejection_reason_mix", "current", f, {"dimension": "all"}),
        BoardRequest("themes_previous", "rejection_reason_mix", "previous", before, {"dimension": "all"}),
        BoardRequest("roi", "acquisition_cost_summary", "current", f),
        BoardRequest("campaigns", "campaign_roi", "current", f, {"level": "campaign"}),
    ]
    return tuple(requests)


BOARD_KEYS = tuple(request.key for request in board_requests(Filters(date(2000, 1, 1), date(2000, 1, 1))))


def board(cur, f: Filters) -> dict[str, pd.DataFrame]:
    """Every frame of the review of `f`, computed live (the page computes the same through its cache)."""
    return {r.key: REGISTRY[r.metric](cur, r.filters, **r.params) for r in board_requests(f)}
