"""Headline KPIs both teams share: one number per date range, or one per month (for goals)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from metrics.filters import Filters
from metrics.registry import Metric, Param, register


@dataclass(frozen=True)
class KpiSpec:
    """A KPI is an aggregate over the mart rows whose `date_column` falls in the window."""

    name: str
    label: str
    definition: str
    owner: str
    format: str
    date_column: str
    value_sql: str
    additive: bool


_CLOSED_AT = "coalesce(won_at, lost_at)"

KPIS: tuple[KpiSpec, ...] = (
    KpiSpec("leads", "Leads", "Leads (inquiries) created in the date range.",
            "marketing", "count", "lead_at", "count(*)", True),
    KpiSpec("mqls", "MQLs", "Leads that became marketing qualified (entered MQL) in the date range; a "
            "record counted again only if it is a different lead.", "marketing", "count", "mql_at", "count(*)", True),
    KpiSpec("sals", "SALs", "MQLs that sales accepted (entered SAL) in the date range.",
            "sales", "count", "sal_at", "count(*)", True),
    KpiSpec("sqls", "SQLs", "Leads that sales qualified (entered SQL) in the date range.",
            "sales", "count", "sql_at", "count(*)", True),
    KpiSpec("opportunities_created", "Opportunities created", "Leads that became an opportunity in the date range.",
            "sales", "count", "opportunity_at", "count(*)", True),
    KpiSpec("pipeline_created", "Pipeline created", "Sum of opportunity amounts for opportunities created in the "
            "date range, whatever happened to them since.", "sales", "currency", "opportunity_at",
            "coalesce(sum(opportunity_amount), 0)", True),
    KpiSpec("won_deals", "Won deals", "Opportunities closed won in the date range.",
            "sales", "count", "won_at", "count(*)", True),
    KpiSpec("won_revenue", "Won revenue", "Sum of won amounts for opportunities closed won in the date range.",
            "shared", "currency", "won_at", "coalesce(sum(won_amount), 0)", True),
    KpiSpec("win_rate", "Win rate", "Closed basis: opportunities won / opportunities closed (won + lost) in the "
            "date range. Open deals do not count either way.", "sales", "percent", _CLOSED_AT,
            "count(won_at) / nullif(count(*), 0)", False),
    KpiSpec("average_deal_size", "Average deal size", "Won amount / won count for opportunities closed won in "
            "the date range.", "sales", "currency", "won_at", "sum(won_amount) / nullif(count(*), 0)", False),
    KpiSpec("sales_cycle_days", "Sales cycle", "Median days from opportunity creation to close, over "
            "opportunities closed won in the date range.", "sales", "days", "won_at",
            "quantile_cont(epoch(won_at - opportunity_at) / 86400.0, 0.5)", False),
)

_GRAINS = ("total", "month")


def kpi_frame(cur, f: Filters, spec: KpiSpec, grain: str = "total") -> pd.DataFrame:
    """Columns: value and record_count (plus month for the monthly grain, every month present)."""
    if grain not in _GRAINS:
        raise ValueError(f"grain must be one of {_GRAINS}; got {grain!r}.")
    dims, dim_params = f.dimension_sql()
    window, window_params = f.window_sql(spec.date_column)
    month = f"date_trunc('month', {spec.date_column})"
    select = f"{month} as month, " if grain == "month" else ""
    group = " group by 1" if grain == "month" else ""
    sql = (f"select {select}{spec.value_sql} as value, count(*) as record_count "
           f"from mart_lead_funnel as f where {window}{dims}{group}")
    frame = cur.execute(sql, window_params + dim_params).df()
    if grain == "month":
        frame = _every_month(frame, f, spec)
    return frame


def _every_month(frame: pd.DataFrame, f: Filters, spec: KpiSpec) -> pd.DataFrame:
    months = pd.date_range(pd.Timestamp(f.start).to_period("M").to_timestamp(),
                           pd.Timestamp(f.end).to_period("M").to_timestamp(), freq="MS").astype("datetime64[ns]")
    frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[ns]")
    frame = frame.set_index("month").reindex(months)
    frame["record_count"] = frame["record_count"].fillna(0).astype("int64")
    if spec.additive:  # a month with nothing in it had zero of an additive measure, not an unknown
        frame["value"] = frame["value"].fillna(0)
        if spec.format == "count":
            frame["value"] = frame["value"].astype("int64")
    frame.index.name = "month"
    return frame.reset_index()


def _register(spec: KpiSpec) -> None:
    def compute(cur, f: Filters, grain: str = "total") -> pd.DataFrame:
        return kpi_frame(cur, f, spec, grain)

    register(Metric(name=spec.name, label=spec.label, definition=spec.definition, owner=spec.owner,
                    format=spec.format, area="kpi", fn=compute, additive=spec.additive,
                    grain="one row for the date range (grain=total) or one per month (grain=month)",
                    params=(Param("grain", str, "total", "total or month", _GRAINS),)))


for _spec in KPIS:
    _register(_spec)
