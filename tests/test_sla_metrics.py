"""The SLA ledger's metrics against the hand-made fixture in feedback_fixture.py; each expected number is
worked out in a comment from the fixture's story (15 business minutes, 09:00-17:00 Monday-Friday)."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from data import db
from feedback_fixture import build_feedback_fixture
from metrics import get, sla
from metrics.filters import Filters
from metrics.sla import POLICY_CTE, Policy, clock_sql, moment_sql, policy_cte_params

MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))
MARCH_LATER = Filters(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 6, 30))
SPRING = Filters(date(2026, 3, 1), date(2026, 5, 31), as_of=date(2026, 6, 30))
WEEKDAYS_9_TO_5 = Policy("p", "sales", "First touch", "", 15.0, "minutes", 0.9, 9, 17, (1, 2, 3, 4, 5))


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    path = tmp_path_factory.mktemp("sla") / "sla.duckdb"
    build_feedback_fixture(path)
    con = db.connect(path, read_only=True)
    cursor = con.cursor()
    yield cursor
    cursor.close()
    con.close()


def business_minutes(cur, policy: Policy, start: str, end: str) -> float:
    sql = (f"with {POLICY_CTE}, t as (select ?::timestamp as a, ?::timestamp as b) "
           f"select {clock_sql('t.b')} - {clock_sql('t.a')} from p, t")
    return cur.execute(sql, policy_cte_params(policy, MARCH) + [start, end]).fetchone()[0]


def deadline(cur, policy: Policy, start: str) -> datetime:
    sql = (f"with {POLICY_CTE}, t as (select ?::timestamp as a) "
           f"select {moment_sql(clock_sql('t.a') + ' + p.threshold')} from p, t")
    return cur.execute(sql, policy_cte_params(policy, MARCH) + [start]).fetchone()[0]


def test_business_clock_across_a_weekend(cur):
    # Friday 16:55 -> Monday 09:12: 5 minutes on Friday, 12 on Monday; Saturday and Sunday do not count.
    assert business_minutes(cur, WEEKDAYS_9_TO_5, "2026-03-06 16:55", "2026-03-09 09:12") == pytest.approx(17)
    # Saturday noon -> Monday 09:05: the clock starts at Monday's opening.
    assert business_minutes(cur, WEEKDAYS_9_TO_5, "2026-03-07 12:00", "2026-03-09 09:05") == pytest.approx(5)
    # Monday 08:00 -> Monday 08:30: before opening, no time passes.
    assert business_minutes(cur, WEEKDAYS_9_TO_5, "2026-03-02 08:00", "2026-03-02 08:30") == 0
    # A whole week, Monday 09:00 -> next Monday 09:00: five days of 480 minutes.
    assert business_minutes(cur, WEEKDAYS_9_TO_5, "2026-03-02 09:00", "2026-03-09 09:00") == pytest.approx(2400)


def test_deadlines_skip_nights_and_weekends(cur):
    # Friday 16:55 + 15: 5 minutes left on Friday, 10 more on Monday -> Monday 09:10.
    assert deadline(cur, WEEKDAYS_9_TO_5, "2026-03-06 16:55") == datetime(2026, 3, 9, 9, 10)
    # Monday 16:45 + 15 ends exactly at closing: Monday 17:00, not Tuesday's opening.
    assert deadline(cur, WEEKDAYS_9_TO_5, "2026-03-02 16:45") == datetime(2026, 3, 2, 17, 0)
    # Sunday evening -> Monday 09:15.
    assert deadline(cur, WEEKDAYS_9_TO_5, "2026-03-08 20:00") == datetime(2026, 3, 9, 9, 15)
    # With Saturday a business day (08:00-12:00), a Friday-night MQL is due Saturday 08:15.
    saturdays = Policy("p", "sales", "", "", 15.0, "minutes", 0.9, 8, 12, (1, 2, 3, 4, 5, 6))
    assert deadline(cur, saturdays, "2026-03-06 20:00") == datetime(2026, 3, 7, 8, 15)


def test_first_touch_compliance_percentiles_and_bands(cur):
    # Deadlines in March, read on Mar 31: M1 (Mar 2 10:15), M7 (Mar 2 11:15), M2 (Tue Mar 3 09:05),
    # M3 (Mar 9 09:10), M4 (Mar 9 09:15), M5 (Mar 10 10:15) = 6 due. M6 is due Apr 1 09:05: not yet due.
    # Within 15: M1 4, M2 8, M4 5, M7 10 = 4. Late: M3 17. Never touched: M5 (its auto email is no touch).
    row = get("sla_first_touch")(cur, MARCH).iloc[0]
    assert (row["due_count"], row["within_count"], row["late_count"], row["untouched_count"]) == (6, 4, 1, 1)
    assert row["not_yet_due_count"] == 1
    assert row["compliance"] == pytest.approx(4 / 6)
    assert not row["is_met"]  # the policy asks for 90%
    # Touched: 4, 5, 8, 10, 17 -> P50 8; P95 at position 0.95 * 4 = 3.8: 10 + 0.8 * 7 = 15.6.
    assert row["p50_minutes"] == pytest.approx(8)
    assert row["p95_minutes"] == pytest.approx(15.6)
    # Bands (upper bound inclusive): 0-5: M1 4, M4 5; 5-15: M2 8, M7 10; 15-60: M3 17; 60+: none.
    assert [row[f"band_{i}"] for i in range(4)] == [2, 2, 1, 0]


def test_first_touch_read_later_and_by_month(cur):
    # Read on Jun 30, March's deadlines are the same six; M6 falls due in April, so nothing is pending.
    later = get("sla_first_touch")(cur, MARCH_LATER).iloc[0]
    assert (later["due_count"], later["not_yet_due_count"]) == (6, 0)
    # By month, March to May: March 6 due (4 within); April: M6, touched after 40 minutes (late);
    # May: M4's second MQL (May 4 10:00, called 10:30: 30 minutes, late).
    months = get("sla_first_touch")(cur, SPRING, grain="month").set_index("month")
    assert months["due_count"].tolist() == [6, 1, 1]
    assert months["within_count"].tolist() == [4, 0, 0]
    assert months.loc[pd.Timestamp("2026-04-01"), "p50_minutes"] == pytest.approx(40)
    assert months.loc[pd.Timestamp("2026-05-01"), "p50_minutes"] == pytest.approx(30)


def test_breaches_by_team_worst_first(cur):
    # SDR Beta (sdr2): M3 late, M4 within, M5 never touched -> 1 of 3. SDR Alpha (sdr1): M1 M2 M7 within -> 3 of 3.
    breaches = get("sla_breaches")(cur, MARCH, dimension="team")
    assert breaches["dimension_value"].tolist() == ["SDR Beta", "SDR Alpha"]
    beta = breaches.iloc[0]
    assert (beta["due_count"], beta["within_count"], beta["late_count"], beta["untouched_count"],
            beta["breach_count"]) == (3, 1, 1, 1, 2)
    assert beta["compliance"] == pytest.approx(1 / 3)
    assert beta["p50_minutes"] == pytest.approx(11)  # M4 5 and M3 17
    assert breaches["is_small_sample"].all()
    # By source: Paid Social (c2: M2 within, M3 late, M4 within) 2 of 3; Webinars (M1, M7 within, M5 never) 2 of 3.
    by_channel = get("sla_breaches")(cur, MARCH, dimension="channel").set_index("dimension_value")
    assert by_channel.loc["Paid Social", "breach_count"] == 1 and by_channel.loc["Webinars", "untouched_count"] == 1


def test_breaching_leads_drill_down(cur):
    # Newest deadline first: M5 (Mar 10, never touched), M3 (Mar 9, 17 minutes).
    leads = get("sla_breaching_leads")(cur, MARCH)
    assert leads["lead_id"].tolist() == ["M5", "M3"]
    assert leads["breach"].tolist() == ["not touched", "late"]
    assert leads.iloc[1]["due_at"] == pd.Timestamp("2026-03-09 09:10")
    assert leads.iloc[1]["response_minutes"] == pytest.approx(17)
    assert math.isnan(leads.iloc[0]["response_minutes"])
    alpha = get("sla_breaching_leads")(cur, MARCH, dimension="team", value="SDR Alpha")
    assert alpha.empty


def test_mql_delivery_against_commitment(cur):
    # First MQLs in March: M1 M2 M3 M4 M5 M6 M7 = 7 against 10 (the whole month) -> 70%, 3 short.
    row = get("mql_delivery")(cur, MARCH).iloc[0]
    assert (row["delivered"], row["committed"], row["shortfall"]) == (7, 10.0, 3.0)
    assert row["attainment"] == pytest.approx(0.7) and not row["is_met"]
    # Mar 1-15, read on Mar 15: 15 of 31 days -> committed 10 * 15 / 31; delivered M1 M2 M3 M4 M5 M7 = 6.
    half = get("mql_delivery")(cur, Filters(date(2026, 3, 1), date(2026, 3, 15), as_of=date(2026, 3, 15))).iloc[0]
    assert half["committed"] == pytest.approx(10 * 15 / 31) and half["delivered"] == 6
    # By month, March to May: 7, 0 (M4's return is not a new lead's MQL), 0.
    months = get("mql_delivery")(cur, SPRING, grain="month")
    assert months["delivered"].tolist() == [7, 0, 0] and months["committed"].tolist() == [10.0, 10.0, 10.0]


def test_acceptance_against_commitment(cur):
    # Worked in March: M1 accept, M2 reject, M7 reject, M3 reject, M4 recycle = 5; accepted 1 -> 20% < 50%.
    row = get("mql_acceptance")(cur, MARCH).iloc[0]
    assert (row["worked"], row["accepted"], row["rejected"], row["recycled"]) == (5, 1, 3, 1)
    assert row["rate"] == pytest.approx(0.2) and row["commitment"] == 0.5 and not row["is_met"]
    # May: M4's second entry accepted May 5 -> 1 of 1.
    months = get("mql_acceptance")(cur, SPRING, grain="month").set_index("month")
    assert months["worked"].tolist() == [5, 0, 1]
    assert months.loc[pd.Timestamp("2026-05-01"), "rate"] == 1.0


def test_ledger_says_what_each_side_owes(cur):
    ledger = get("sla_ledger")(cur, MARCH).set_index("policy_id")
    assert list(ledger["side"]) == ["sales", "marketing", "marketing"]
    # Sales: 4 of 6 in time against 90%: ceil(6 * 0.9) = 6 needed -> 2 owed.
    first = ledger.loc["sla-first-touch"]
    assert (first["actual"], first["target"], first["shortfall"]) == (pytest.approx(4 / 6), 0.9, 2)
    # Marketing: 7 of 10 MQLs -> 3 owed; 1 of 5 accepted against half: ceil(2.5) = 3 needed -> 2 owed.
    assert ledger.loc["sla-mql-volume", ["actual", "target", "shortfall"]].tolist() == [7, 10, 3]
    acceptance = ledger.loc["sla-acceptance"]
    assert (acceptance["actual"], acceptance["shortfall"], acceptance["is_met"]) == (pytest.approx(0.2), 2, False)
    monthly = get("sla_ledger")(cur, SPRING, grain="month")
    assert len(monthly) == 3 * 3
    may = monthly[(monthly["month"] == pd.Timestamp("2026-05-01")) & (monthly["policy_id"] == "sla-acceptance")]
    assert may["actual"].iloc[0] == 1.0 and may["is_met"].iloc[0]


def test_dimension_filters_reach_the_sla(cur):
    # Enterprise is M3 alone: 1 due, late.
    enterprise = Filters(MARCH.start, MARCH.end, segments=("Enterprise",), as_of=MARCH.as_of)
    row = get("sla_first_touch")(cur, enterprise).iloc[0]
    assert (row["due_count"], row["late_count"], row["compliance"]) == (1, 1, 0.0)


def test_empty_range_gives_zeros_not_errors(cur):
    empty = Filters(date(2025, 1, 1), date(2025, 1, 31), as_of=date(2025, 1, 31))
    row = get("sla_first_touch")(cur, empty).iloc[0]
    assert row["due_count"] == 0 and math.isnan(row["compliance"]) and math.isnan(row["p50_minutes"])
    assert get("sla_breaches")(cur, empty).empty
    assert get("sla_breaching_leads")(cur, empty).empty
    # Nothing happened, but marketing still owed January's 10 MQLs.
    ledger = get("sla_ledger")(cur, empty).set_index("policy_id")
    assert ledger["numerator"].sum() == 0
    assert ledger.loc["sla-mql-volume", "shortfall"] == 10 and ledger.loc["sla-first-touch", "shortfall"] == 0


def test_readings_by_window_match_each_window_alone(cur):
    # March, the month before it and spring: one statement each for every window, as each reads alone.
    windows = [MARCH_LATER, MARCH_LATER.previous(), SPRING]
    touches, acceptance = sla.first_touch_by_window(cur, windows), sla.acceptance_by_window(cur, windows)
    for k, f in enumerate(windows):
        alone = get("sla_first_touch")(cur, f).iloc[0]
        assert touches.iloc[k][["due_count", "within_count", "compliance"]].tolist() == pytest.approx(
            alone[["due_count", "within_count", "compliance"]].tolist(), nan_ok=True)
        pd.testing.assert_series_equal(acceptance.iloc[k], get("mql_acceptance")(cur, f).iloc[0], check_names=False,
                                       check_dtype=False)
