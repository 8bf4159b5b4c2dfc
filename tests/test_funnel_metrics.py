"""Every funnel metric against the hand-made fixture in conftest.py; each expected number is
derived in a comment from the fixture's story."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from metrics import funnel, get
from metrics.filters import Filters
from metrics.stats import wilson_interval

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))


def by_stage(frame: pd.DataFrame, column: str) -> dict:
    return dict(zip(frame["stage"], frame[column]))


def wilson_by_hand(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


def test_period_volumes(cur):
    # Lead in Q1: L1 L2 L3 L4 L5 L6 L8 (L7 was created in December) = 7.
    # MQL in Q1: L1 L2 L3 L4 L6 L7 L8 = 7.  SAL: L1 L2 L7 + L4 inferred on Feb 8 = 4.
    # SQL: L1 L2 L4 = 3.  Opportunity: L1 L2 = 2.  Won: L1 = 1.
    volumes = get("funnel_stage_volume")(cur, Q1)
    assert by_stage(volumes, "volume") == {"lead": 7, "mql": 7, "sal": 4, "sql": 3, "opportunity": 2, "won": 1}
    assert not volumes["is_immature"].any()


def test_period_conversion_next_step_and_cumulative(cur):
    steps = get("funnel_conversion")(cur, Q1).set_index("to_stage")
    assert steps.loc["mql", "rate"] == pytest.approx(7 / 7)
    assert steps.loc["sal", "rate"] == pytest.approx(4 / 7)
    assert steps.loc["sql", "rate"] == pytest.approx(3 / 4)
    assert steps.loc["opportunity", "rate"] == pytest.approx(2 / 3)
    assert steps.loc["won", "rate"] == pytest.approx(1 / 2)
    assert steps.loc["won", "cumulative_rate"] == pytest.approx(1 / 7)
    low, high = wilson_by_hand(4, 7)
    assert steps.loc["sal", "ci_low"] == pytest.approx(low)
    assert steps.loc["sal", "ci_high"] == pytest.approx(high)
    assert steps["is_small_sample"].all()  # every denominator is under 30


def test_wilson_matches_published_values():
    # Textbook 95% Wilson intervals: 0/10 -> [0, 0.2775]; 5/10 -> [0.2366, 0.7634].
    low, high = wilson_interval(pd.Series([0, 5]), pd.Series([10, 10]))
    assert low.round(4).tolist() == [0.0, 0.2366]
    assert high.round(4).tolist() == [0.2775, 0.7634]


def test_period_rate_above_one_has_no_interval(cur):
    # January: leads entering = L1 L2 L8 = 3, MQLs entering = L1 L2 L7 L8 = 4 -> 133%, not a proportion.
    trend = get("funnel_conversion_trend")(cur, Q1)
    jan = trend[(trend["month"] == pd.Timestamp("2026-01-01")) & (trend["to_stage"] == "mql")].iloc[0]
    assert (jan["numerator"], jan["denominator"]) == (4, 3)
    assert jan["rate"] == pytest.approx(4 / 3)
    assert math.isnan(jan["ci_low"]) and math.isnan(jan["ci_high"])


def test_cohort_volumes_respect_the_window(cur):
    # Cohort = leads created in Q1: L1 L2 L3 L4 L5 L6 L8 = 7 (L7 excluded).
    # Within 90 days: MQL L1 L2 L3 L4 L6 L8 = 6; SAL L1 L2 L4 = 3; SQL L1 L2 L4 = 3;
    # opp L1 (15 d) L2 (22 d) = 2; won L1 (55 d) = 1.
    ninety = get("funnel_stage_volume")(cur, Q1, basis="cohort", window_days=90)
    assert by_stage(ninety, "volume") == {"lead": 7, "mql": 6, "sal": 3, "sql": 3, "opportunity": 2, "won": 1}
    # Within 30 days L1's win (55 days after it entered) no longer counts.
    thirty = get("funnel_stage_volume")(cur, Q1, basis="cohort", window_days=30)
    assert by_stage(thirty, "volume")["won"] == 0
    assert by_stage(thirty, "volume")["opportunity"] == 2


def test_young_cohort_is_flagged_immature(cur):
    # Cohort ends Mar 31; Mar 31 + 90 days = Jun 29. Read on Mar 31 it is immature, on Jul 1 it is not.
    young = get("funnel_stage_volume")(cur, Q1, basis="cohort", window_days=90)
    assert young["is_immature"].all()
    mature = Filters(Q1.start, Q1.end, as_of=date(2026, 7, 1))
    assert not get("funnel_stage_volume")(cur, mature, basis="cohort", window_days=90)["is_immature"].any()


def test_cohort_trend_flags_young_months_only(cur):
    # As of Jun 1: Feb 28 + 90 = May 29 (mature); Mar 31 + 90 = Jun 29 (immature).
    f = Filters(Q1.start, Q1.end, as_of=date(2026, 6, 1))
    trend = get("funnel_conversion_trend")(cur, f, basis="cohort", window_days=90)
    flags = trend[trend["to_stage"] == "mql"].set_index("month")["is_immature"]
    assert flags.to_dict() == {pd.Timestamp("2026-01-01"): False, pd.Timestamp("2026-02-01"): False,
                               pd.Timestamp("2026-03-01"): True}
    # January cohort: L1 L2 L8; all three MQL; two (L1 L2) reach SAL -> 2/3.
    jan_sal = trend[(trend["month"] == pd.Timestamp("2026-01-01")) & (trend["to_stage"] == "sal")].iloc[0]
    assert jan_sal["rate"] == pytest.approx(2 / 3)


def test_skipped_stage_is_inferred_and_counted(cur):
    # L4 went MQL -> SQL with no SAL event: it counts at SAL, entering it when it entered SQL.
    records = get("funnel_records")(cur, Q1, stage="sal")
    l4 = records.set_index("lead_id").loc["L4"]
    assert l4["entered_stage_at"] == pd.Timestamp("2026-02-08")
    assert l4["skipped_stage_count"] == 1
    assert set(records["lead_id"]) == {"L1", "L2", "L4", "L7"}
    skipped = cur.execute("select lead_id from mart_lead_funnel where skipped_stage_count > 0").fetchall()
    assert skipped == [("L4",)]


def test_value_per_stage(cur):
    # Period: L1 (10,000 won) and L2 (5,000 lost) are among the leads, MQLs and opportunities of Q1.
    value = get("funnel_stage_value")(cur, Q1).set_index("stage")
    assert value.loc["lead", "pipeline_amount"] == 15000
    assert value.loc["opportunity", "pipeline_amount"] == 15000
    assert value.loc["opportunity", "won_amount"] == 10000
    assert value.loc["won", "pipeline_amount"] == 10000
    assert value.loc["mql", "won_amount"] == 10000


def test_time_in_stage_medians_and_censoring(cur):
    t = get("funnel_time_in_stage")(cur, Q1).set_index("stage")
    # Lead -> MQL days for the six that moved: L1 1, L2 2, L3 1, L4 1, L6 1, L8 1. Median 1;
    # p90 interpolates at position 0.9 * 5 = 4.5 between 1 and 2 -> 1.5. L5 is open: Mar 1 to the
    # end of Mar 31 = 31 days.
    assert (t.loc["lead", "median_days"], t.loc["lead", "p90_days"]) == (1.0, pytest.approx(1.5))
    assert (t.loc["lead", "moved_count"], t.loc["lead", "open_count"]) == (6, 1)
    assert t.loc["lead", "open_median_age_days"] == pytest.approx(31.0)
    # MQL -> SAL: L1 1, L2 1, L4 2 (inferred SAL), L7 1 -> median 1, p90 at 2.7 -> 1.7. Open: only L6
    # (L3 was rejected, L8 recycled) aged 11 days.
    assert (t.loc["mql", "median_days"], t.loc["mql", "p90_days"]) == (1.0, pytest.approx(1.7))
    assert (t.loc["mql", "open_count"], t.loc["mql", "open_median_age_days"]) == (1, pytest.approx(11.0))
    # SAL -> SQL: L1 3, L2 7, L4 0 -> median 3, p90 at 1.8 -> 3 + 0.8 * 4 = 6.2; L7 open 87 days.
    assert (t.loc["sal", "median_days"], t.loc["sal", "p90_days"]) == (3.0, pytest.approx(6.2))
    assert t.loc["sal", "open_median_age_days"] == pytest.approx(87.0)
    # SQL -> opportunity: L1 10, L2 12 -> 11; opportunity -> close: L1 40 (won), L2 37 (lost) -> 38.5.
    assert t.loc["sql", "median_days"] == pytest.approx(11.0)
    assert t.loc["opportunity", "median_days"] == pytest.approx(38.5)
    assert t.loc["opportunity", "open_count"] == 0
    assert "won" not in t.index


def test_velocity_from_lead(cur):
    # MQL: L1 1, L2 2, L3 1, L4 1, L6 1, L7 19 (Dec 15 -> Jan 3), L8 1 -> median 1,
    # p90 at 0.9 * 6 = 5.4 -> 2 + 0.4 * 17 = 8.8. Won: L1, Jan 5 -> Mar 1 = 55 days.
    v = get("funnel_velocity")(cur, Q1).set_index("stage")
    assert v.loc["mql", "median_days"] == pytest.approx(1.0)
    assert v.loc["mql", "p90_days"] == pytest.approx(8.8)
    assert v.loc["won", "median_days"] == pytest.approx(55.0)
    assert v.loc["won", "record_count"] == 1


def test_waterfall_combines_the_four_measures(cur):
    w = get("funnel_waterfall")(cur, Q1).set_index("stage")
    assert w.loc["lead", "pct_of_previous"] == 1.0
    assert w.loc["sal", "pct_of_previous"] == pytest.approx(4 / 7)
    assert w.loc["won", "pct_of_first"] == pytest.approx(1 / 7)
    assert w.loc["sql", "median_days"] == pytest.approx(11.0)
    assert w.loc["opportunity", "pipeline_amount"] == 15000
    assert list(w.index) == ["lead", "mql", "sal", "sql", "opportunity", "won"]


def test_dimension_filters(cur):
    # Enterprise: L3 and L4 only -> lead 2, MQL 2, SAL 1 (L4 inferred), SQL 1, no opportunity.
    ent = Filters(Q1.start, Q1.end, segments=("Enterprise",), as_of=Q1.as_of)
    assert by_stage(get("funnel_stage_volume")(cur, ent), "volume") == {
        "lead": 2, "mql": 2, "sal": 1, "sql": 1, "opportunity": 0, "won": 0}
    # Team AE-A owns the opportunities of L1 and L2; team SDR-B owns L3 L4 L5 L8.
    ae = Filters(Q1.start, Q1.end, teams=("AE-A",), as_of=Q1.as_of)
    assert by_stage(get("funnel_stage_volume")(cur, ae), "volume")["lead"] == 2
    sdr_b = Filters(Q1.start, Q1.end, teams=("SDR-B",), as_of=Q1.as_of)
    assert by_stage(get("funnel_stage_volume")(cur, sdr_b), "volume")["mql"] == 3
    both = Filters(Q1.start, Q1.end, channels=("Webinars", "Paid Search"), as_of=Q1.as_of)
    assert by_stage(get("funnel_stage_volume")(cur, both), "volume")["lead"] == 7


def test_breakdown_by_channel(cur):
    # Webinars (L1 L2 L6 L7): leads 3, MQLs 4, SAL 3. Paid Search (L3 L4 L5 L8): leads 4, MQLs 3, SAL 1.
    b = get("funnel_breakdown")(cur, Q1, dimension="channel")
    sal = b[b["to_stage"] == "sal"].set_index("dimension_value")
    assert (sal.loc["Webinars", "numerator"], sal.loc["Webinars", "denominator"]) == (3, 4)
    assert (sal.loc["Paid Search", "numerator"], sal.loc["Paid Search", "denominator"]) == (1, 3)
    mql = b[b["to_stage"] == "mql"].set_index("dimension_value")
    assert mql.loc["Paid Search", "rate"] == pytest.approx(3 / 4)


def test_empty_window_gives_zeros_not_errors(cur):
    empty = Filters(date(2020, 1, 1), date(2020, 3, 31), as_of=Q1.as_of)
    volumes = get("funnel_stage_volume")(cur, empty)
    assert volumes["volume"].sum() == 0
    steps = get("funnel_conversion")(cur, empty)
    assert steps["rate"].isna().all() and steps["ci_low"].isna().all()
    assert get("funnel_records")(cur, empty, stage="mql").empty
    assert get("funnel_breakdown")(cur, empty, dimension="campaign").empty
    assert get("funnel_time_in_stage")(cur, empty)["median_days"].isna().all()
    trend = get("funnel_conversion_trend")(cur, empty)
    assert len(trend) == 3 * 5 and trend["numerator"].sum() == 0


def test_zero_denominator_gives_no_rate(cur):
    # SMB leads in EMEA: L5 and L8; no SQL, so SQL -> opportunity has a zero denominator.
    f = Filters(Q1.start, Q1.end, segments=("SMB",), regions=("EMEA",), as_of=Q1.as_of)
    steps = get("funnel_conversion")(cur, f).set_index("to_stage")
    assert steps.loc["opportunity", "denominator"] == 0
    assert math.isnan(steps.loc["opportunity", "rate"])


def test_drill_through_lists_detours(cur):
    assert get("funnel_records")(cur, Q1, stage="rejected")["lead_id"].tolist() == ["L3"]
    assert get("funnel_records")(cur, Q1, stage="recycled")["lead_id"].tolist() == ["L8"]
    assert get("funnel_records")(cur, Q1, stage="mql", limit=2)["lead_id"].tolist() == ["L6", "L4"]


def test_bad_parameters_are_refused(cur):
    with pytest.raises(ValueError, match="basis"):
        get("funnel_stage_volume")(cur, Q1, basis="weekly")
    with pytest.raises(ValueError, match="dimension"):
        get("funnel_breakdown")(cur, Q1, dimension="color")
    with pytest.raises(ValueError, match="after end"):
        Filters(date(2026, 2, 1), date(2026, 1, 1))


def test_every_stage_helper_lists_main_path():
    assert [a for a, _ in funnel.STEPS] == ["lead", "mql", "sal", "sql", "opportunity"]
