"""Every headline KPI against the hand-made fixture in conftest.py; each expected number is derived
in a comment from the fixture's story.

Stage times in mart_lead_funnel, read off the story (a skipped stage is entered when the next
reached one was, a lost deal was an opportunity):
  L1 lead Jan 5, MQL Jan 6, SAL Jan 7, SQL Jan 10, opp Jan 20 (10,000), won Mar 1
  L2 lead Jan 10, MQL Jan 12, SAL Jan 13, SQL Jan 20, opp Feb 1 (5,000), lost Mar 10
  L3 lead Feb 1, MQL Feb 2 (then rejected)              L4 lead Feb 5, MQL Feb 6, SAL + SQL Feb 8
  L5 lead Mar 1                                         L6 lead Mar 20, MQL Mar 21
  L7 lead Dec 15 2025, MQL Jan 3, SAL Jan 4             L8 lead Jan 15, MQL Jan 16 (then recycled)
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from metrics import get
from metrics.filters import Filters
from metrics.kpis import KPIS

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))
MONTHS = [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-02-01"), pd.Timestamp("2026-03-01")]
NAN = float("nan")

# name -> (Q1 value, records behind it)
Q1_TOTALS = {
    # Created in Q1: L1 L2 L3 L4 L5 L6 L8; L7 was created in December.
    "leads": (7, 7),
    # Entered MQL in Q1: L1 L2 L3 L4 L6 L7 (Jan 3) L8. L5 never did.
    "mqls": (7, 7),
    # Entered SAL in Q1: L1 L2 L7, and L4 inferred on Feb 8 from its SQL.
    "sals": (4, 4),
    # Entered SQL in Q1: L1 L2 L4.
    "sqls": (3, 3),
    # Became an opportunity in Q1: L1 (Jan 20) and L2 (Feb 1).
    "opportunities_created": (2, 2),
    # O1 10,000 + O2 5,000, whatever happened to them since (O2 was lost).
    "pipeline_created": (15000, 2),
    # Won in Q1: L1 on Mar 1.
    "won_deals": (1, 1),
    "won_revenue": (10000, 1),
    # Closed in Q1: L1 won Mar 1, L2 lost Mar 10 -> 1 won / 2 closed. Open L4, L6, L7 don't count.
    "win_rate": (0.5, 2),
    # 10,000 won over 1 deal.
    "average_deal_size": (10000, 1),
    # O1: opportunity Jan 20 -> won Mar 1 = 11 (rest of Jan) + 28 (Feb) + 1 = 40 days; the median of one.
    "sales_cycle_days": (40, 1),
}

# name -> values for Jan, Feb, Mar at the monthly grain (NaN: a ratio with nothing to divide).
Q1_MONTHLY = {
    "leads": [3, 2, 2],  # Jan L1 L2 L8; Feb L3 L4; Mar L5 L6
    "mqls": [4, 2, 1],  # Jan L1 L2 L7 L8; Feb L3 L4; Mar L6
    "sals": [3, 1, 0],  # Jan L1 L2 L7; Feb L4 (inferred); none in March
    "sqls": [2, 1, 0],  # Jan L1 L2; Feb L4
    "opportunities_created": [1, 1, 0],  # Jan L1; Feb L2
    "pipeline_created": [10000, 5000, 0],
    "won_deals": [0, 0, 1],  # L1 won in March
    "won_revenue": [0, 0, 10000],
    "win_rate": [NAN, NAN, 0.5],  # nothing closed in Jan or Feb; March: L1 won, L2 lost
    "average_deal_size": [NAN, NAN, 10000],
    "sales_cycle_days": [NAN, NAN, 40],
}
RATIOS = {"win_rate", "average_deal_size", "sales_cycle_days"}


def value(cur, name: str, f: Filters) -> float:
    frame = get(name)(cur, f)
    assert len(frame) == 1
    return frame["value"].iloc[0]


def same(actual: float, expected: float) -> bool:
    if math.isnan(expected):
        return actual is None or pd.isna(actual)
    return actual == pytest.approx(expected)


def test_every_kpi_is_covered():
    assert {spec.name for spec in KPIS} == set(Q1_TOTALS) == set(Q1_MONTHLY)


@pytest.mark.parametrize("name", list(Q1_TOTALS))
def test_q1_totals(cur, name):
    expected_value, expected_count = Q1_TOTALS[name]
    frame = get(name)(cur, Q1)
    assert list(frame.columns) == ["value", "record_count"]
    assert len(frame) == 1
    assert frame["value"].iloc[0] == pytest.approx(expected_value)
    assert frame["record_count"].iloc[0] == expected_count


@pytest.mark.parametrize("name", list(Q1_MONTHLY))
def test_q1_by_month(cur, name):
    monthly = get(name)(cur, Q1, grain="month")
    assert monthly["month"].tolist() == MONTHS
    values = monthly["value"].tolist()
    assert all(same(a, e) for a, e in zip(values, Q1_MONTHLY[name], strict=True)), values
    spec = next(s for s in KPIS if s.name == name)
    assert spec.additive == (name not in RATIOS)
    if spec.additive:  # an additive KPI's months add up to the quarter
        assert sum(values) == pytest.approx(Q1_TOTALS[name][0])


def test_months_with_nothing_are_present_with_zero_records(cur):
    # Nothing closed in January or February: win rate's first two months are there, with no records.
    monthly = get("win_rate")(cur, Q1, grain="month")
    assert monthly["record_count"].tolist() == [0, 0, 2]
    # SALs: three in January, L4 in February, none in March -> the March row is a zero, not missing.
    sals = get("sals")(cur, Q1, grain="month")
    assert sals["record_count"].tolist() == [3, 1, 0]
    assert sals["value"].iloc[2] == 0 and not pd.isna(sals["value"].iloc[2])


def test_window_is_inclusive_at_both_ends(cur):
    # Jan 10 .. Feb 1 (all events at midnight): leads L2 (Jan 10, first day), L8 (Jan 15), L3 (Feb 1,
    # last day) = 3; L1 (Jan 5) is before it. Opportunities: L1 Jan 20, L2 Feb 1 = 2.
    f = Filters(date(2026, 1, 10), date(2026, 2, 1), as_of=Q1.as_of)
    assert value(cur, "leads", f) == 3
    assert value(cur, "opportunities_created", f) == 2
    assert value(cur, "pipeline_created", f) == 15000
    # Nothing closed before March.
    assert pd.isna(value(cur, "win_rate", f))
    # Monthly: both partial months are present and count only their days inside the range:
    # January has L2 and L8, February only L3.
    monthly = get("leads")(cur, f, grain="month")
    assert monthly["month"].tolist() == MONTHS[:2]
    assert monthly["value"].tolist() == [2, 1]


def test_empty_window(cur):
    # 2020 holds no records: counts and sums are zero, ratios are unknown (NaN), never an error.
    empty = Filters(date(2020, 1, 1), date(2020, 3, 31), as_of=Q1.as_of)
    for name in Q1_TOTALS:
        frame = get(name)(cur, empty)
        assert len(frame) == 1, name
        assert frame["record_count"].iloc[0] == 0, name
        got = frame["value"].iloc[0]
        if name in RATIOS:
            assert pd.isna(got), name
        else:
            assert got == 0, name
        monthly = get(name)(cur, empty, grain="month")
        assert monthly["month"].tolist() == [pd.Timestamp(f"2020-0{m}-01") for m in (1, 2, 3)], name
        assert monthly["record_count"].tolist() == [0, 0, 0], name
        if name in RATIOS:
            assert monthly["value"].isna().all(), name
        else:
            assert monthly["value"].tolist() == [0, 0, 0], name


def test_segment_filter(cur):
    # Enterprise: L3 (lead Feb 1, MQL Feb 2, rejected) and L4 (lead Feb 5, MQL Feb 6, SAL + SQL Feb 8).
    ent = Filters(Q1.start, Q1.end, segments=("Enterprise",), as_of=Q1.as_of)
    expected = {"leads": 2, "mqls": 2, "sals": 1, "sqls": 1, "opportunities_created": 0, "pipeline_created": 0,
                "won_deals": 0, "won_revenue": 0, "win_rate": NAN, "average_deal_size": NAN,
                "sales_cycle_days": NAN}
    for name, want in expected.items():
        assert same(value(cur, name, ent), want), name
    # By month: both Enterprise leads came in February.
    assert get("leads")(cur, ent, grain="month")["value"].tolist() == [0, 2, 0]


def test_team_filter_reaches_the_opportunity_owner(cur):
    # Team AE-A owns the opportunities of L1 and L2 (its rep ae1), though SDR-A worked the leads.
    # Leads 2 (Jan 5, Jan 10); pipeline 15,000; L1 won, L2 lost -> win rate 1/2.
    ae = Filters(Q1.start, Q1.end, teams=("AE-A",), as_of=Q1.as_of)
    assert value(cur, "leads", ae) == 2
    assert value(cur, "pipeline_created", ae) == 15000
    assert value(cur, "won_revenue", ae) == 10000
    assert value(cur, "win_rate", ae) == pytest.approx(0.5)
    # Team SDR-B (sdr2): L3 L4 L5 L8, none with an opportunity.
    sdr_b = Filters(Q1.start, Q1.end, teams=("SDR-B",), as_of=Q1.as_of)
    assert value(cur, "leads", sdr_b) == 4
    assert value(cur, "opportunities_created", sdr_b) == 0


def test_channel_filter(cur):
    # Webinars: L1 L2 L6 L7. Leads in Q1: L1 L2 L6 = 3; MQLs: L1 L2 L6 L7 = 4; SALs: L1 L2 L7 = 3.
    web = Filters(Q1.start, Q1.end, channels=("Webinars",), as_of=Q1.as_of)
    assert [value(cur, n, web) for n in ("leads", "mqls", "sals", "won_deals")] == [3, 4, 3, 1]
    # Paid Search: L3 L4 L5 L8 -> 4 leads, 3 MQLs (L5 never), 1 SAL (L4 inferred), no deal.
    paid = Filters(Q1.start, Q1.end, channels=("Paid Search",), as_of=Q1.as_of)
    assert [value(cur, n, paid) for n in ("leads", "mqls", "sals", "won_deals")] == [4, 3, 1, 0]


def test_unknown_grain_is_refused(cur):
    with pytest.raises(ValueError, match="grain"):
        get("leads")(cur, Q1, grain="week")
