"""Data trust: how far the numbers can be taken at their word, check by check.

Each check is a registered metric (owner shared) returning one row: `affected` records out of
`total`, their `share`, and the check's status against its thresholds. Checks about leads count the
leads created in the date range that match the dimension filters, so the badge under the Funnel's
tiles speaks about the records behind them; the Data page passes the whole history. `CHECKS` names,
per check, the metrics whose numbers it can distort (the badge lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from metrics.filters import Filters
from metrics.registry import Metric, register
from metrics.stats import safe_rate

_LEADS_SCOPE = "leads created in the date range that match the filters"


@dataclass(frozen=True)
class TrustCheck:
    name: str
    label: str
    definition: str
    affects: tuple[str, ...]  # metric names
    warn_at: float  # share (or days, for the load age) from which the check warns
    alert_at: float
    unit: str = "share"  # share or days
    empty: str = "no leads"  # what to say when there is nothing to check
    uses_dimensions: bool = True  # False: the check reads the date range only
    unknown: str = "ok"  # the status when there is nothing to measure

    def status(self, value: float | None) -> str:
        """ok, warn or alert."""
        if value is None or pd.isna(value):
            return self.unknown
        if value < self.warn_at:
            return "ok"
        return "warn" if value < self.alert_at else "alert"

    def scope(self, f: Filters) -> Filters:
        """The filters the check reads. One that ignores the dimension filters gets them cleared, so a
        cached result serves every segment, region, channel and team choice."""
        return f if self.uses_dimensions else replace(f, segments=(), regions=(), channels=(), teams=())


CHECKS: tuple[TrustCheck, ...] = (
    TrustCheck("trust_unattributed_leads", "Leads without source or campaign",
               f"Share of the {_LEADS_SCOPE} that have neither a source channel nor a campaign: nothing to "
               "credit them to, so they sit under '(none)' in channel and campaign breakdowns and in no "
               "campaign's return. (no_source and no_campaign count each gap on its own.)",
               ("leads", "mqls", "funnel_breakdown"), 0.05, 0.20),
    TrustCheck("trust_orphan_opportunities", "Opportunities without a lead",
               "Share of the opportunities created in the date range that have no lead of their own: none named, "
               "one the store does not hold, or one made up at import because the export had none "
               "(is_synthetic). Their deals count, but their funnel starts at the opportunity, so conversions "
               "into it and velocity from the lead are not theirs. Dimension filters do not apply.",
               ("opportunities_created", "pipeline_created", "funnel_conversion", "funnel_velocity"), 0.05, 0.25,
               empty="no opportunities", uses_dimensions=False),
    TrustCheck("trust_skipped_stages", "Leads with a skipped stage",
               f"Share of the {_LEADS_SCOPE} that reached a stage without an entry for an earlier one, which "
               "the skipped-stage rule then counts as passed at the next stage's time (inferred_entries: how "
               "many such entries in all).",
               ("funnel_stage_volume", "funnel_conversion", "funnel_time_in_stage"), 0.10, 0.30),
    TrustCheck("trust_missing_timestamps", "Leads with an estimated stage time",
               f"Share of the {_LEADS_SCOPE} with at least one stage entry whose time the source did not give: "
               "dated by a rule at import (a status with no date of its own takes the record's last change; a "
               "mapping's default fills an empty date). Time in stage and velocity lean on these times "
               "(estimated_entries: how many such entries in all).",
               ("funnel_time_in_stage", "funnel_velocity", "funnel_conversion_trend"), 0.02, 0.10),
    TrustCheck("trust_closed_before_created", "Deals closed before they were created",
               "Share of the opportunities closed in the date range whose close day is before the day they were "
               "created (a bulk load that reset the creation date, a back-dated close). The skipped-stage rule "
               "then dates their opportunity entry at the close, so their sales cycle and time in stage read "
               "zero days. Dimension filters do not apply.",
               ("sales_cycle_days", "funnel_velocity", "funnel_time_in_stage"), 0.01, 0.05,
               empty="no closed deals", uses_dimensions=False),
    TrustCheck("trust_duplicate_leads", "Duplicate leads",
               f"Share of the {_LEADS_SCOPE} with an e-mail address on record whose address (compared "
               "case-insensitively, by its hash) an earlier lead already has: the same person counted twice. "
               "Leads without an address cannot be checked and are not in the total.",
               ("leads", "mqls", "funnel_stage_volume"), 0.02, 0.10, empty="no e-mails"),
    TrustCheck("trust_newest_load_age", "Age of the newest load",
               "Days since the newest load (the demo build or an import) finished, counted to now: how stale "
               "every number may be. With no load logged it warns: nothing says where the data came from or "
               "when. Filters do not apply.",
               ("leads", "funnel_stage_volume", "won_revenue"), 7.0, 30.0, unit="days", empty="no load logged",
               uses_dimensions=False, unknown="warn"),
)
CHECK_BY_NAME = {check.name: check for check in CHECKS}


def _share_frame(affected: int, total: int, check: TrustCheck, **extra) -> pd.DataFrame:
    share = safe_rate(pd.Series([affected]), pd.Series([total])).iloc[0]
    return pd.DataFrame([{"affected": int(affected), "total": int(total), "share": share,
                          "status": check.status(share), **extra}])


def _lead_scope(f: Filters) -> tuple[str, list]:
    window, window_params = f.window_sql("f.lead_at")
    dims, dim_params = f.dimension_sql("f")
    return f"{window}{dims}", window_params + dim_params


def unattributed_leads(cur, f: Filters) -> pd.DataFrame:
    where, params = _lead_scope(f)
    affected, total, no_source, no_campaign = cur.execute(
        "select count(*) filter (where f.channel = '(none)' and f.campaign_id is null), count(*), "
        "count(*) filter (where f.channel = '(none)'), count(*) filter (where f.campaign_id is null) "
        f"from mart_lead_funnel as f where {where}", params).fetchone()
    return _share_frame(affected, total, CHECK_BY_NAME["trust_unattributed_leads"],
                        no_source=int(no_source), no_campaign=int(no_campaign))


def orphan_opportunities(cur, f: Filters) -> pd.DataFrame:
    window, params = f.window_sql("o.created_at")
    affected, total, synthetic = cur.execute(
        "select count(*) filter (where l.lead_id is null or coalesce(l.is_synthetic, false)), count(*), "
        "count(*) filter (where coalesce(l.is_synthetic, false)) "
        f"from opportunities as o left join leads as l on l.lead_id = o.lead_id where {window}", params).fetchone()
    return _share_frame(affected, total, CHECK_BY_NAME["trust_orphan_opportunities"], is_synthetic=int(synthetic))


def skipped_stages(cur, f: Filters) -> pd.DataFrame:
    where, params = _lead_scope(f)
    affected, total, inferred = cur.execute(
        "select count(*) filter (where f.skipped_stage_count > 0), count(*), coalesce(sum(f.skipped_stage_count), 0) "
        f"from mart_lead_funnel as f where {where}", params).fetchone()
    return _share_frame(affected, total, CHECK_BY_NAME["trust_skipped_stages"], inferred_entries=int(inferred))


def missing_timestamps(cur, f: Filters) -> pd.DataFrame:
    where, params = _lead_scope(f)
    # Estimated entries are few: count them per lead first, then join the leads in scope to that.
    affected, total, entries = cur.execute(
        "with estimated as (select lead_id, count(*) as n from stage_events where is_estimated group by lead_id) "
        "select count(e.lead_id), count(*), coalesce(sum(e.n), 0) from mart_lead_funnel as f "
        f"left join estimated as e on e.lead_id = f.lead_id where {where}", params).fetchone()
    return _share_frame(affected, total, CHECK_BY_NAME["trust_missing_timestamps"], estimated_entries=int(entries))


def closed_before_created(cur, f: Filters) -> pd.DataFrame:
    window, params = f.window_sql("o.closed_at")
    # Days, not moments: a close date carries no time, so a deal closed on the day it was created is fine.
    affected, total = cur.execute(
        "select count(*) filter (where o.closed_at::date < o.created_at::date), count(*) "
        f"from opportunities as o where o.is_closed and {window}", params).fetchone()
    return _share_frame(affected, total, CHECK_BY_NAME["trust_closed_before_created"])


def duplicate_leads(cur, f: Filters) -> pd.DataFrame:
    where, params = _lead_scope(f)
    affected, total = cur.execute(
        "with with_email as (select lead_id, row_number() over (partition by email_hash order by created_at, "
        "lead_id) > 1 as is_repeat from leads where email_hash is not null) "
        "select count(*) filter (where d.is_repeat), count(d.lead_id) "
        f"from mart_lead_funnel as f left join with_email as d using (lead_id) where {where}", params).fetchone()
    return _share_frame(affected, total, CHECK_BY_NAME["trust_duplicate_leads"])


def newest_load_age(cur, f: Filters) -> pd.DataFrame:
    row = cur.execute(
        "select load_id, loaded_at, loaded_by, source_system, epoch(now()::timestamp - loaded_at) / 86400.0 "
        "from data_loads order by loaded_at desc, load_id desc limit 1").fetchone()
    check = CHECK_BY_NAME["trust_newest_load_age"]
    if row is None:
        return pd.DataFrame([{"load_id": None, "loaded_at": None, "loaded_by": None, "source_system": None,
                              "age_days": None, "status": check.status(None)}])
    load_id, loaded_at, loaded_by, system, age = row
    return pd.DataFrame([{"load_id": load_id, "loaded_at": loaded_at, "loaded_by": loaded_by, "source_system": system,
                          "age_days": max(float(age), 0.0), "status": check.status(age)}])


_FUNCTIONS = {
    "trust_unattributed_leads": unattributed_leads,
    "trust_orphan_opportunities": orphan_opportunities,
    "trust_skipped_stages": skipped_stages,
    "trust_missing_timestamps": missing_timestamps,
    "trust_closed_before_created": closed_before_created,
    "trust_duplicate_leads": duplicate_leads,
    "trust_newest_load_age": newest_load_age,
}

for _check in CHECKS:
    register(Metric(name=_check.name, label=_check.label, definition=_check.definition, owner="shared",
                    format="days" if _check.unit == "days" else "percent", area="trust",
                    fn=_FUNCTIONS[_check.name], grain="one row for the date range"))


def trust_summary(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per check from each check's frame: value (share or days), status, affected of total."""
    rows = []
    for check in CHECKS:
        frame = results[check.name].iloc[0]
        value = frame["age_days"] if check.unit == "days" else frame["share"]
        rows.append({"check": check.name, "label": check.label, "unit": check.unit, "value": value,
                     "empty": check.empty,
                     "affected": frame.get("affected"), "total": frame.get("total"), "status": frame["status"],
                     "affects": ", ".join(check.affects)})
    return pd.DataFrame(rows)
