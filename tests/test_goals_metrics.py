"""Goal pacing by hand: the pure formulas first, then every goal metric against the goals fixture
(tests/goals_fixture.py, whose story and mart are spelled out in its docstring)."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from data import db
from goals_fixture import build_goals_fixture
from metrics import get
from metrics import goals as g
from metrics.filters import Filters
from metrics.periods import Period, parse_period

Q1 = Period("quarter", date(2026, 1, 1))  # 31 + 28 + 31 = 90 days
NAN = float("nan")


def at(day: date) -> Filters:
    """Goal metrics read only the as-of date of their filters."""
    return Filters(day, day, as_of=day)


def nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value)


@pytest.fixture(scope="module")
def goals_cur(tmp_path_factory):
    path = tmp_path_factory.mktemp("goals_metrics") / "goals.duckdb"
    build_goals_fixture(path)
    con = db.connect(path, read_only=True)
    cursor = con.cursor()
    yield cursor
    cursor.close()
    con.close()


def progress(cur, day: date, period_type: str = "quarter", period: str = "2026-Q1") -> dict[str, dict]:
    frame = get("goal_progress")(cur, at(day), period_type=period_type, period=period)
    return {row["goal_id"]: row for _i, row in frame.iterrows()}


# --- periods ------------------------------------------------------------------------------------

def test_periods_and_labels():
    assert Q1.days == 90 and Q1.last_day == date(2026, 3, 31) and Q1.label == "2026-Q1" and Q1.title == "Q1 2026"
    assert Q1.previous() == Period("quarter", date(2025, 10, 1)) and Q1.previous().days == 92
    assert Q1.last_year() == Period("quarter", date(2025, 1, 1))
    assert parse_period("month", "2026-02", date(2026, 5, 1)).days == 28
    assert parse_period("year", "current", date(2026, 5, 1)) == Period("year", date(2026, 1, 1))
    assert parse_period("quarter", "previous", date(2026, 5, 1)).label == "2026-Q1"
    # Elapsed days count the whole as-of day: 1 on the first day, all on the last, 0 before, all after.
    assert [Q1.elapsed_days(d) for d in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 3, 31),
                                         date(2026, 4, 9))] == [0, 1, 90, 90]
    with pytest.raises(ValueError, match="not a quarter"):
        parse_period("quarter", "2026-Q5", date(2026, 1, 1))
    with pytest.raises(ValueError, match="first day of a quarter"):
        Period("quarter", date(2026, 2, 1))


# --- the formulas by hand -----------------------------------------------------------------------

def test_mid_period_linear():
    # Target 900 over Q1, 300 done by the end of Feb 14 (31 + 14 = 45 of 90 days, 45 left).
    r = g.read_goal(900, 300, Q1, date(2026, 2, 14), additive=True)
    assert r["days_elapsed"] == 45 and r["days_remaining"] == 45
    assert r["attainment"] == pytest.approx(300 / 900)
    assert r["expected_to_date"] == pytest.approx(450)  # 900 x 45 / 90
    assert r["pace"] == pytest.approx(300 / 450)  # 67%: off track (below 85%)
    assert r["linear_projection"] == pytest.approx(600)  # 300 / 45 x 90
    assert r["required_per_day"] == pytest.approx(600 / 45)  # (900 - 300) / 45
    assert r["actual_per_day"] == pytest.approx(300 / 45)
    assert r["status"] == "off track"


def test_first_day_of_the_period():
    # Jan 1: one day of 90 has passed. 12 done against 10 expected (900 x 1/90): on track.
    r = g.read_goal(900, 12, Q1, date(2026, 1, 1), additive=True)
    assert r["days_elapsed"] == 1 and r["days_remaining"] == 89
    assert r["expected_to_date"] == pytest.approx(10)
    assert r["pace"] == pytest.approx(1.2) and r["status"] == "on track"
    assert r["linear_projection"] == pytest.approx(12 * 90)
    assert r["required_per_day"] == pytest.approx((900 - 12) / 89)


def test_last_day_of_the_period_and_after():
    # Mar 31: the whole period has passed, so expected is the whole target, the projection is the actual
    # and no run-rate is left. 800 of 900 = 88.9%: at risk (85-95%). Read on Apr 9 it is the same.
    for day in (date(2026, 3, 31), date(2026, 4, 9)):
        r = g.read_goal(900, 800, Q1, day, additive=True, open_pipeline=0.0)
        assert r["days_remaining"] == 0
        assert r["expected_to_date"] == pytest.approx(900)
        assert r["pace"] == pytest.approx(800 / 900) == pytest.approx(r["attainment"])
        assert r["linear_projection"] == pytest.approx(800)
        assert r["pipeline_projection"] == pytest.approx(800)
        assert nan(r["required_per_day"])
        assert r["status"] == "at risk"


def test_zero_target_has_no_status():
    # A zero target: attainment is undefined, nothing is required, the status says there is no target.
    r = g.read_goal(0, 5, Q1, date(2026, 2, 14), additive=True)
    assert nan(r["attainment"]) and nan(r["pace"])
    assert r["expected_to_date"] == 0 and r["required_per_day"] == 0
    assert r["status"] == "no target"


def test_future_period():
    # Read on Dec 31 2025, Q1 has not begun: nothing to attain yet, all 900 still needed over 90 days.
    r = g.read_goal(900, NAN, Q1, date(2025, 12, 31), additive=True)
    assert r["days_elapsed"] == 0 and r["status"] == "not started"
    assert nan(r["attainment"]) and nan(r["linear_projection"]) and nan(r["pipeline_projection"])
    assert r["expected_to_date"] == 0
    assert r["required_per_day"] == pytest.approx(10)


def test_period_with_no_data():
    # A finished quarter with no records: 0 of 900, off track. A rate with no records has no data.
    assert g.read_goal(900, 0.0, Q1, date(2026, 4, 1), additive=True)["status"] == "off track"
    rate = g.read_goal(0.3, NAN, Q1, date(2026, 4, 1), additive=False)
    assert nan(rate["attainment"]) and rate["status"] == "no data"


def test_expected_share_follows_the_month_targets():
    # Months 100, 200, 300 (sum 600). By the end of Feb 14: all of January (100) and 14 of February's
    # 28 days (200 x 14/28 = 100): 200 of 600 = 1/3, where days alone would say 45/90 = 1/2.
    assert g.expected_share(Q1, date(2026, 2, 14), [100, 200, 300]) == pytest.approx(1 / 3)
    assert g.expected_share(Q1, date(2026, 2, 14)) == pytest.approx(0.5)
    # Missing or empty month plans fall back to days.
    assert g.expected_share(Q1, date(2026, 2, 14), [100, 200]) == pytest.approx(0.5)
    assert g.expected_share(Q1, date(2026, 2, 14), [0, 0, 0]) == pytest.approx(0.5)
    # First and last day: Jan 1 is 100 x 1/31 of 600; Mar 31 is all of it.
    assert g.expected_share(Q1, date(2026, 1, 1), [100, 200, 300]) == pytest.approx(100 / 31 / 600)
    assert g.expected_share(Q1, date(2026, 3, 31), [100, 200, 300]) == pytest.approx(1.0)


def test_rates_and_lower_is_better():
    # A rate is not paced: expected is the target, the projection the value to date, no run-rate.
    rate = g.read_goal(0.5, 0.6, Q1, date(2026, 2, 14), additive=False)
    assert rate["expected_to_date"] == 0.5 and rate["linear_projection"] == 0.6
    assert rate["attainment"] == pytest.approx(1.2) and nan(rate["required_per_day"])
    # Sales cycle: 30 days wanted, 36.5 taken -> attainment 30 / 36.5 = 82%: off track.
    cycle = g.read_goal(30, 36.5, Q1, date(2026, 3, 31), additive=False, lower_is_better=True)
    assert cycle["attainment"] == pytest.approx(30 / 36.5) and cycle["status"] == "off track"


def test_status_thresholds():
    assert [g.status_of(100, p, 10) for p in (1.2, 0.95, 0.9499, 0.85, 0.8499)] == [
        "on track", "on track", "at risk", "at risk", "off track"]
    assert [g.status_of(0, 1.0, 10), g.status_of(100, NAN, 0), g.status_of(100, NAN, 10)] == [
        "no target", "not started", "no data"]
    assert set(g.STATUSES) == {"on track", "at risk", "off track", "no target", "not started", "no data"}


def test_reverse_funnel_by_hand():
    # 28,000 at 7,000 a deal = 4 won; at 50% win = 8 opportunities; at 80% SQL -> opp = 10 SQLs; at 5/6
    # SAL -> SQL = 12 SALs; at 2/3 MQL -> SAL = 18 MQLs; every lead an MQL = 18 leads.
    needed = g.required_volumes(28000, 7000, [1.0, 2 / 3, 5 / 6, 0.8, 0.5])
    assert needed == pytest.approx([18, 18, 12, 10, 8, 4])
    # A step nobody converted through leaves every stage before it without a plan.
    assert [nan(v) for v in g.required_volumes(28000, 7000, [1.0, 0.5, 0.0, 0.8, 0.5])] == [
        True, True, True, False, False, False]


def test_bottleneck_is_the_stage_that_loses_most_ground():
    # Paces 120%, 90%, 50%, 45%: falls of -20, 30, 40 and 5 points -> the third stage.
    assert g.bottleneck([1.2, 0.9, 0.5, 0.45]) == 2
    # The first stage falls from 100%: at 40% with everything after it at 40%, the top is the bottleneck.
    assert g.bottleneck([0.4, 0.4, 0.4]) == 0
    assert g.bottleneck([1.1, 1.0, 1.3]) is None  # everything on pace
    assert g.bottleneck([0.5, NAN]) is None  # no pace yet


# --- goal progress against the fixture ----------------------------------------------------------

def test_progress_mid_quarter(goals_cur):
    # Read at the end of Mar 15: 31 + 28 + 15 = 74 of Q1's 90 days, 16 left.
    rows = progress(goals_cur, date(2026, 3, 15))
    assert list(rows) == ["g-rev-q1", "g-leads-q1", "g-leads-q1-ent", "g-mqls-q1", "g-winrate-q1", "g-cycle-q1"]
    rev = rows["g-rev-q1"]
    # Won by Mar 15: L1 (Mar 1) 10,000; L9 wins on Mar 20.
    assert rev["actual"] == 10000 and rev["record_count"] == 1
    assert rev["attainment"] == pytest.approx(10000 / 28000)
    # Every month has a goal: due = January 4,000 + February 8,000 + March 16,000 x 15/31.
    expected = 4000 + 8000 + 16000 * 15 / 31
    assert rev["expected_to_date"] == pytest.approx(expected)
    assert rev["pace"] == pytest.approx(10000 / expected) and rev["status"] == "off track"  # 51%
    assert rev["linear_projection"] == pytest.approx(10000 / 74 * 90)
    assert rev["required_per_day"] == pytest.approx(18000 / 16)
    # Open at the end of Mar 15: opportunities L9 (4,000, wins Mar 20) and L10 (8,000); L2 was lost on
    # Mar 10. Open SQLs: L4 (no opportunity, no exit), valued at the year's average deal size, 10,000 (L1).
    # Weighted 12,000 x 30% + 10,000 x 20% = 5,600, of which 16 of 90 horizon days land in the quarter.
    assert rev["pipeline_projection"] == pytest.approx(10000 + 5600 * 16 / 90)

    leads = rows["g-leads-q1"]
    # No month goals: linear in days. Leads by Mar 15: L1 L2 L8 L3 L4 L9 L5 L10 = 8 of 20.
    assert leads["actual"] == 8 and leads["expected_to_date"] == pytest.approx(20 * 74 / 90)
    assert leads["pace"] == pytest.approx(8 / (20 * 74 / 90)) and leads["status"] == "off track"
    assert leads["linear_projection"] == pytest.approx(8 / 74 * 90)
    assert leads["required_per_day"] == pytest.approx(12 / 16)
    assert nan(leads["pipeline_projection"])  # only won revenue and won deals are pipeline-weighted

    ent = rows["g-leads-q1-ent"]
    # Enterprise leads: L3, L4, L9 = 3 of 4; expected 4 x 74/90 = 3.29; pace 91%: at risk.
    assert ent["actual"] == 3 and ent["scope_label"] == "Segment: Enterprise"
    assert ent["pace"] == pytest.approx(3 / (4 * 74 / 90)) and ent["status"] == "at risk"

    # Closed by Mar 15: L1 won, L2 lost -> 1/2, exactly the 0.5 target. A rate: expected = target.
    rate = rows["g-winrate-q1"]
    assert rate["actual"] == pytest.approx(0.5) and rate["attainment"] == pytest.approx(1.0)
    assert rate["expected_to_date"] == 0.5 and nan(rate["required_per_day"]) and rate["status"] == "on track"

    # The zero target: MQLs by Mar 15 are counted (L7 L1 L2 L8 L3 L4 L9 L10 = 8), but there is no status.
    zero = rows["g-mqls-q1"]
    assert zero["actual"] == 8 and nan(zero["attainment"]) and zero["status"] == "no target"


def test_progress_last_day(goals_cur):
    rows = progress(goals_cur, date(2026, 3, 31))
    rev = rows["g-rev-q1"]
    # L1 10,000 + L9 4,000 = 14,000 of 28,000; nothing remains, so both projections are the actual.
    assert rev["actual"] == 14000 and rev["days_remaining"] == 0
    assert rev["expected_to_date"] == pytest.approx(28000) and rev["pace"] == pytest.approx(0.5)
    assert rev["linear_projection"] == pytest.approx(14000) and rev["pipeline_projection"] == pytest.approx(14000)
    assert nan(rev["required_per_day"])
    # Won in Q1: L1 after 40 days (Jan 20 -> Mar 1), L9 after 33 (Feb 15 -> Mar 20): median 36.5 days
    # against a 30-day goal, lower is better -> 30 / 36.5 = 82%: off track.
    cycle = rows["g-cycle-q1"]
    assert cycle["actual"] == pytest.approx(36.5) and cycle["attainment"] == pytest.approx(30 / 36.5)
    assert cycle["status"] == "off track"
    # Closed in Q1: L1 won, L2 lost, L9 won -> 2/3 against 0.5.
    assert rows["g-winrate-q1"]["attainment"] == pytest.approx((2 / 3) / 0.5)


def test_progress_first_day(goals_cur):
    rev = progress(goals_cur, date(2026, 1, 1))["g-rev-q1"]
    # Jan 1: nothing won; due is January's 4,000 x 1/31; no open SQL or opportunity yet (L1's SQL is Jan 10).
    assert rev["days_elapsed"] == 1 and rev["actual"] == 0
    assert rev["expected_to_date"] == pytest.approx(4000 / 31)
    assert rev["linear_projection"] == 0 and rev["pipeline_projection"] == 0
    assert rev["required_per_day"] == pytest.approx(28000 / 89)


def test_progress_future_and_empty_periods(goals_cur):
    # Q2 read on Mar 15 has not begun: no actual, all 10 leads still needed over its 91 days.
    q2 = progress(goals_cur, date(2026, 3, 15), period="2026-Q2")["g-leads-q2"]
    assert q2["status"] == "not started" and nan(q2["actual"]) and q2["required_per_day"] == pytest.approx(10 / 91)
    # Q4 2025 won nothing: 0 of 5,000, finished, off track.
    q4 = progress(goals_cur, date(2026, 3, 15), period="2025-Q4")["g-rev-2025q4"]
    assert q4["actual"] == 0 and q4["attainment"] == 0 and q4["status"] == "off track"
    # A period without goals is an empty frame with the columns.
    none = get("goal_progress")(goals_cur, at(date(2026, 3, 15)), period_type="year", period="2024")
    assert none.empty and "status" in none.columns


def test_month_goal(goals_cur):
    # February's SQL goal of 2: L4 (Feb 8) and L9 (Feb 12) -> met; on Feb 10 one of them, 1 of 2 with
    # 10/28 of the month expected (0.714): pace 140%.
    feb = progress(goals_cur, date(2026, 2, 10), "month", "2026-02")["g-sqls-feb"]
    assert feb["actual"] == 1 and feb["expected_to_date"] == pytest.approx(2 * 10 / 28)
    assert feb["target_rule"] == "own" and feb["status"] == "on track"


def test_pacing_line(goals_cur):
    pacing = get("goal_pacing")(goals_cur, at(date(2026, 3, 15)), period="2026-Q1", goal_id="g-rev-q1")
    by_day = pacing.set_index(pacing["day"].dt.date)
    assert len(pacing) == 90
    # The target line follows the months: 4,000 by Jan 31, 12,000 by Feb 28, 28,000 by Mar 31.
    assert by_day.loc[date(2026, 1, 31), "cumulative_target"] == pytest.approx(4000)
    assert by_day.loc[date(2026, 2, 28), "cumulative_target"] == pytest.approx(12000)
    assert by_day.loc[date(2026, 3, 31), "cumulative_target"] == pytest.approx(28000)
    # Weekly checkpoints from Jan 1 and the as-of day: nothing won by Feb 26, L1's 10,000 by Mar 5 and Mar 15.
    read = by_day["cumulative_actual"].dropna()
    assert read.index[0] == date(2026, 1, 1) and read.index[-1] == date(2026, 3, 15)
    assert read[date(2026, 2, 26)] == 0 and read[date(2026, 3, 5)] == 10000 and read[date(2026, 3, 15)] == 10000
    assert nan(by_day.loc[date(2026, 3, 16), "cumulative_actual"])  # after the as-of date
    assert get("goal_pacing")(goals_cur, at(date(2026, 3, 15)), period="2026-Q1", goal_id="nope").empty


def test_history(goals_cur):
    history = get("goal_history")(goals_cur, at(date(2026, 3, 31)), period="2026-Q1", periods=5)
    assert history["period_label"].tolist() == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    # Goals in 2025-Q1 (3,000) and 2025-Q4 (5,000), none for Q2 and Q3 2025. The store's first record is L7's
    # lead on Dec 15 2025: Q1-Q3 2025 end before it, so they have no data (no actual, not $0); Q4 2025 has data
    # and won nothing (0 of 5,000, missed).
    assert history["target"].tolist()[0] == 3000 and nan(history["target"].iloc[1])
    assert history["has_data"].tolist() == [False, False, False, True, True]
    assert history["actual"].iloc[:3].isna().all() and history["actual"].iloc[3:].tolist() == [0, 14000]
    assert history["status"].tolist() == ["no data", "no target", "no target", "off track", "off track"]
    assert history["attainment"].iloc[-1] == pytest.approx(0.5)
    assert history["is_complete"].all()
    # Read on Mar 15, the running quarter counts to that day (L1's 10,000) and is not complete.
    running = get("goal_history")(goals_cur, at(date(2026, 3, 15)), period="2026-Q1", periods=2)
    assert running["actual"].tolist() == [0, 10000] and running["is_complete"].tolist() == [True, False]
    # A rate is read period by period: nothing closed in Q4 2025 (no data); Q1 2026 closed 2 won of 3.
    rates = get("goal_history")(goals_cur, at(date(2026, 3, 31)), period="2026-Q1", metric_name="win_rate",
                                periods=2)
    assert nan(rates["actual"].iloc[0]) and rates["actual"].iloc[1] == pytest.approx(2 / 3)
    assert rates["status"].tolist() == ["no target", "on track"]


def test_comparison(goals_cur):
    frame = get("goal_comparison")(goals_cur, at(date(2026, 3, 15)), period="2026-Q1")
    leads = frame[frame["goal_id"] == "g-leads-q1"].set_index("compared")
    # 74 days into Q1 (Jan 1 - Mar 15): 8 leads. The previous quarter's first 74 days (Oct 1 - Dec 13)
    # had none: L7 came on Dec 15, so it counts in Q4 2025's final actual (1) but not at the same point.
    assert leads.loc["This period", "actual_same_point"] == 8
    assert leads.loc["Previous period", "period_label"] == "2025-Q4"
    assert leads.loc["Previous period", "actual_same_point"] == 0
    assert leads.loc["Previous period", "final_actual"] == 1
    assert nan(leads.loc["Previous period", "change_vs_this"])  # against zero
    assert nan(leads.loc["Previous period", "target"])  # no leads goal for Q4 2025
    rev = frame[frame["goal_id"] == "g-rev-q1"].set_index("compared")
    assert rev.loc["Same period last year", "period_label"] == "2025-Q1"
    assert rev.loc["Same period last year", "target"] == 3000
    assert rev.loc["Same period last year", "attainment"] == 0
    assert frame["goal_id"].iloc[0] == "g-rev-q1"  # shared goals first, as on the page


def test_revenue_sources(goals_cur):
    march = at(date(2026, 3, 31))
    sources = get("goal_revenue_sources")(goals_cur, march, period_type="month", period="2026-03").set_index("source")
    # Won in March: L1 10,000 and L9 4,000. L1's first touch (Jan 5) came when the lead was created:
    # marketing-sourced. L9's first touch (Feb 14) came after it was created (Feb 10): sales-sourced.
    assert sources.loc["marketing_sourced", ["won_amount", "deal_count"]].tolist() == [10000, 1]
    assert sources.loc["sales_sourced", ["won_amount", "deal_count"]].tolist() == [4000, 1]
    assert sources.loc["marketing_sourced", "won_amount"] + sources.loc["sales_sourced", "won_amount"] == \
        get("won_revenue")(goals_cur, Filters(date(2026, 3, 1), date(2026, 3, 31)))["value"].iloc[0]
    # Influenced (marketing_sourced_influenced's definition: a touch in the lookback before the win): L1
    # (Jan 5, 55 days before Mar 1) and L9 (Feb 20, 28 days before Mar 20). Never added to the sourced rows.
    assert sources.loc["marketing_influenced", "won_amount"] == 14000
    assert not sources.loc["marketing_influenced", "is_part_of_total"]
    assert sources.loc["marketing_influenced", "share_of_won_revenue"] == pytest.approx(1.0)
    # With a 30-day lookback only L9's touch counts; with 10 days neither.
    for days, amount in ((30, 4000), (10, 0)):
        short = get("goal_revenue_sources")(goals_cur, march, period_type="month", period="2026-03",
                                            lookback_days=days)
        assert short.set_index("source").loc["marketing_influenced", "won_amount"] == amount
    # Before the period begins there is nothing to split.
    empty = get("goal_revenue_sources")(goals_cur, at(date(2026, 2, 28)), period_type="month", period="2026-03")
    assert empty["won_amount"].tolist() == [0, 0, 0]


def test_open_pipeline(goals_cur):
    pipeline = get("open_pipeline")(goals_cur, at(date(2026, 3, 15))).set_index("stage")
    # See test_progress_mid_quarter: one open SQL (L4) at the 10,000 average, two open opportunities.
    assert pipeline.loc["sql", "record_count"] == 1 and pipeline.loc["sql", "amount"] == 10000
    assert pipeline.loc["opportunity", "record_count"] == 2 and pipeline.loc["opportunity", "amount"] == 12000
    assert pipeline["weighted_amount"].tolist() == pytest.approx([2000, 3600])


def test_reverse_funnel_against_the_fixture(goals_cur):
    # Trailing 90 days to Mar 31 = Jan 1 - Mar 31: 9 leads, 9 MQLs, 6 SALs, 5 SQLs, 4 opps, 2 won for 14,000.
    # Rates 9/9, 6/9, 5/6, 4/5, 2/4; average deal 7,000. For 3,500 of revenue in March: 0.5 won,
    # 1 opportunity, 1.25 SQLs, 1.5 SALs, 2.25 MQLs, 2.25 leads.
    plan = get("goal_reverse_funnel")(goals_cur, at(date(2026, 3, 31)), period_type="month", period="2026-03",
                                      target=3500.0, trailing_days=90)
    assert plan["trailing_volume"].tolist() == [9, 9, 6, 5, 4, 2]
    assert plan["average_deal_size"].iloc[0] == pytest.approx(7000)
    assert plan["required"].tolist() == pytest.approx([2.25, 2.25, 1.5, 1.25, 1, 0.5])
    # March (finished): leads L5 L10 L6 = 3, MQLs L10 L6 = 2, SAL 1, SQL 1, opportunity 1, won L1 L9 = 2.
    assert plan["projected"].tolist() == [3, 2, 1, 1, 1, 2]
    # Pace: 133%, 89%, 67%, 80%, 100%, 400%. Falls: -33, 44, 22, -13, -20, -300 points -> MQL.
    assert plan["pace_vs_required"].tolist() == pytest.approx([3 / 2.25, 2 / 2.25, 1 / 1.5, 1 / 1.25, 1, 4])
    assert plan.loc[plan["is_bottleneck"], "stage"].tolist() == ["mql"]
    assert plan["period_average_deal_size"].iloc[0] == pytest.approx(7000)
    # Default target: the period's won revenue goal (Q1: 28,000 -> 4 won deals at 7,000).
    default = get("goal_reverse_funnel")(goals_cur, at(date(2026, 3, 31)), period="2026-Q1", trailing_days=90)
    assert default["target"].iloc[0] == 28000 and default["required"].iloc[-1] == pytest.approx(4)


def test_stage_entries_come_from_the_count_kpis():
    # The reverse funnel's period-basis stage volumes are the KPIs that count entries into each stage.
    assert g.STAGE_COUNTS == {"lead": "leads", "mql": "mqls", "sal": "sals", "sql": "sqls",
                              "opportunity": "opportunities_created", "won": "won_deals"}


def test_drill_stages_follow_each_kpis_date_column():
    assert g.drill_stages("leads") == ("lead",)
    assert g.drill_stages("pipeline_created") == ("opportunity",)
    assert g.drill_stages("won_revenue") == ("won",)
    assert g.drill_stages("win_rate") == ("won", "lost")
    assert g.drill_stages("goal_progress") == ()


def test_kpi_values_in_one_statement_equal_each_registered_kpi(goals_cur):
    # The batched reader rebuilds each KPI's grain=total statement: every KPI, scoped or not, empty or not.
    windows = [Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31)),
               Filters(date(2026, 2, 1), date(2026, 2, 28), segments=("Enterprise",), as_of=date(2026, 3, 31)),
               Filters(date(2020, 1, 1), date(2020, 1, 31), as_of=date(2026, 3, 31))]
    reads = [(name, f) for f in windows for name in g.goal_metrics()]
    expected = [g.kpi_value(goals_cur, name, f) for name, f in reads]
    got = g.kpi_values(goals_cur, reads)
    assert [count for _v, count in got] == [count for _v, count in expected]
    assert all((nan(a) and nan(b)) or a == pytest.approx(b) for (a, _n), (b, _m) in zip(got, expected))


def test_goal_metrics_are_the_kpis():
    from metrics.kpis import KPIS

    # Exactly the KPIs: a metric of another area with a grain parameter (an SLA's) promises no `value`.
    assert set(g.goal_metrics()) == {spec.name for spec in KPIS}


def test_a_count_is_read_from_the_record_count_of_a_kpi_over_the_same_rows():
    # Opportunities created are pipeline created's rows, won deals won revenue's: in the same window and scope
    # they are not scanned again. Leads have no such twin, nor a count in another window or scope.
    q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))
    enterprise = replace(q1, segments=("Enterprise",))
    reads = [("opportunities_created", q1), ("pipeline_created", q1), ("won_deals", q1), ("won_revenue", q1),
             ("leads", q1), ("won_deals", enterprise), ("average_deal_size", q1.previous()),
             ("won_deals", q1.previous())]
    assert g._count_twins(reads) == {0: 1, 2: 3, 7: 6}


def test_rates_averages_and_medians_of_disjoint_windows_share_a_scan(goals_cur):
    # The meeting reads each KPI this quarter and the quarter before: one scan per KPI that is not additive, its
    # windows grouped; windows that overlap are each read on their own. Every value equals the KPI read alone.
    q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))
    february = Filters(date(2026, 2, 1), date(2026, 2, 28), as_of=date(2026, 3, 31))
    names = ("win_rate", "average_deal_size", "sales_cycle_days")
    disjoint = [(name, f) for f in (q1, q1.previous(), Filters(date(2020, 1, 1), date(2020, 1, 31))) for name in names]
    overlapping = [(name, f) for f in (q1, february) for name in names]
    assert [read_as for _m, read_as, _s, _p in g._kpi_parts(disjoint)] == ["window"] * 3
    assert [read_as for _m, read_as, _s, _p in g._kpi_parts(overlapping)] == ["whole"] * 6
    for reads in (disjoint, overlapping):
        expected = [g.kpi_value(goals_cur, name, f) for name, f in reads]
        got = g.kpi_values(goals_cur, reads)
        assert [count for _v, count in got] == [count for _v, count in expected]
        assert all((nan(a) and nan(b)) or a == b for (a, _n), (b, _m) in zip(got, expected))
    # 2020 had nothing: no value, no rows (its window has no row in the grouped scan).
    assert all(nan(value) and count == 0 for value, count in g.kpi_values(goals_cur, disjoint)[-3:])
