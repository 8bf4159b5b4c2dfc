"""The feedback metrics against the hand-made fixture in feedback_fixture.py; each expected number is worked
out in a comment from the fixture's story."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from data import db
from feedback_fixture import HTML_NOTE, build_feedback_fixture
from metrics import get
from metrics.feedback import NO_REASON
from metrics.filters import Filters

MARCH = Filters(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))
MARCH_LATER = Filters(date(2026, 3, 1), date(2026, 3, 31), as_of=date(2026, 6, 30))
SPRING = Filters(date(2026, 3, 1), date(2026, 5, 31), as_of=date(2026, 6, 30))


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    path = tmp_path_factory.mktemp("feedback_metrics") / "feedback_metrics.duckdb"
    build_feedback_fixture(path)
    con = db.connect(path, read_only=True)
    cursor = con.cursor()
    yield cursor
    cursor.close()
    con.close()


def test_rejection_rate_by_campaign_and_score_band(cur):
    # Worked in March: Webinar M1 accept, M7 reject -> 1 of 2; Giveaway M2 reject, M3 reject, M4 recycle -> 2 of 3.
    by_campaign = get("rejection_rate")(cur, MARCH, dimension="campaign").set_index("dimension_value")
    assert by_campaign.loc["Giveaway", ["worked", "accepted", "rejected", "recycled"]].tolist() == [3, 0, 2, 1]
    assert by_campaign.loc["Giveaway", "rejection_rate"] == pytest.approx(2 / 3)
    assert by_campaign.loc["Webinar", "rejection_rate"] == pytest.approx(1 / 2)
    assert list(by_campaign.index) == ["Giveaway", "Webinar"]  # most worked first
    # Giveaway's reasons: wrong_persona (M2) and student (M3), one each: the tie goes to either; Webinar's only
    # rejection (M7) has no feedback entry.
    assert by_campaign.loc["Giveaway", "top_reason"] in {"Wrong persona", "Student or job seeker"}
    assert by_campaign.loc["Webinar", "top_reason"] == NO_REASON
    # Score bands: 75-100 (M1, M7) 1 of 2; 25-49 (M2, M3) 2 of 2; 50-74 (M4 recycled) 0 of 1.
    bands = get("rejection_rate")(cur, MARCH, dimension="score_band").set_index("dimension_value")
    assert bands["rejection_rate"].to_dict() == {"25-49": 1.0, "75-100": 0.5, "50-74": 0.0}
    assert bands["is_small_sample"].all()


def test_rejection_rate_by_rep_and_segment(cur):
    # sdr1: M1 accept, M2 reject, M7 reject -> 2 of 3; sdr2: M3 reject, M4 recycle -> 1 of 2.
    reps = get("rejection_rate")(cur, MARCH, dimension="rep").set_index("dimension_value")
    assert reps["rejection_rate"].to_dict() == {"Sam Sdr": pytest.approx(2 / 3), "Sue Sdr": 0.5}
    # Enterprise is M3 alone: 1 of 1.
    segments = get("rejection_rate")(cur, MARCH, dimension="segment").set_index("dimension_value")
    assert segments.loc["Enterprise", "rejection_rate"] == 1.0 and segments.loc["SMB", "worked"] == 4


def test_reason_mix(cur):
    # March's three rejections: wrong_persona (M2), student (M3), none recorded (M7): a third each.
    mix = get("rejection_reason_mix")(cur, MARCH).set_index("reason")
    assert mix["rejected_count"].to_dict() == {"Wrong persona": 1, "Student or job seeker": 1, NO_REASON: 1}
    assert mix["share"].tolist() == pytest.approx([1 / 3] * 3)
    by_campaign = get("rejection_reason_mix")(cur, MARCH, dimension="campaign")
    giveaway = by_campaign[by_campaign["dimension_value"] == "Giveaway"]
    assert giveaway["share"].tolist() == [0.5, 0.5]
    by_month = get("rejection_reason_mix")(cur, MARCH, dimension="month")
    assert set(by_month["dimension_value"]) == {"2026-03"}


def test_rejection_trend(cur):
    # March: 3 of 5; April: nothing worked; May: M4's second entry accepted -> 0 of 1.
    trend = get("rejection_trend")(cur, SPRING)
    assert trend["worked"].tolist() == [5, 0, 1]
    assert trend["rejected"].tolist() == [3, 0, 0]
    assert trend["rejection_rate"].iloc[0] == pytest.approx(0.6)
    assert math.isnan(trend["rejection_rate"].iloc[1])


def test_recycled_outcomes(cur):
    # M4 recycled Mar 10 12:00, back as MQL May 4 10:00 (54 days 22 hours), accepted May 5, SQL May 12.
    later = get("recycled_outcomes")(cur, MARCH_LATER).set_index("outcome")
    assert later["count"].to_dict() == {"recycled": 1, "came_back": 1, "accepted_on_return": 1, "reached_sql": 1,
                                        "won": 0}
    assert later.loc["came_back", "median_days_to_return"] == pytest.approx(54 + 22 / 24)
    assert later.loc["reached_sql", "share_of_recycled"] == 1.0
    # Read on Mar 31 none of that has happened yet.
    early = get("recycled_outcomes")(cur, MARCH).set_index("outcome")
    assert early["count"].tolist() == [1, 0, 0, 0, 0]


def test_score_calibration(cur):
    # MQLs delivered in March, read on Mar 31 (reading moment Apr 1 00:00):
    # 75-100: M1, M6, M7 = 3; touched M1 (4 min), M7 (10 min); M6's call is on Apr 1 -> 1 of 3 untouched;
    #   worked M1, M7 -> 1 of 2 rejected; SQL: M1 (Mar 10) -> 1/3 of MQLs, 1/2 of those touched.
    # 25-49: M2, M3 both touched (8, 17) and rejected; no SQL. 50-74: M4 touched (5), M5 never; M4's SQL is in May.
    bands = get("score_calibration")(cur, MARCH).set_index("score_band")
    top = bands.loc["75-100"]
    assert (top["mqls"], top["touched"], top["worked"], top["rejected"], top["reached_sql"]) == (3, 2, 2, 1, 1)
    assert top["untouched_share"] == pytest.approx(1 / 3)
    assert top["median_touch_minutes"] == pytest.approx(7)
    assert (top["sql_rate"], top["sql_rate_if_touched"]) == (pytest.approx(1 / 3), 0.5)
    assert bands.loc["25-49", "median_touch_minutes"] == pytest.approx(12.5)
    assert bands.loc["25-49", "rejection_rate"] == 1.0
    assert bands.loc["50-74", "untouched_share"] == 0.5
    assert bands.loc["50-74", "sql_rate"] == 0.0
    assert bands.loc["0-24", "mqls"] == 0  # every band is listed, empty ones with zeros
    assert list(bands.index) == ["0-24", "25-49", "50-74", "75-100", "(no score)"]


def test_sales_capacity(cur):
    # sdr1 (Sam): M1 M2 M6 M7 = 4; open on Mar 31: M6, not touched by then; touches 4, 8, 10 -> median 8;
    #   worked 3, rejected 2. sdr2 (Sue): M3 M4 M5 = 3; open: M5, never touched; touches 17, 5 -> 11;
    #   worked 2, rejected 1. Per week: 4 / (31 / 7).
    capacity = get("sales_capacity")(cur, MARCH).set_index("sdr_rep_name")
    assert list(capacity.index) == ["Sam Sdr", "Sue Sdr"]  # most open first, then by name
    sam, sue = capacity.loc["Sam Sdr"], capacity.loc["Sue Sdr"]
    assert (sam["mqls"], sam["open_now"], sam["untouched_open"], sam["worked"]) == (4, 1, 1, 3)
    assert sam["median_touch_minutes"] == pytest.approx(8) and sam["rejection_rate"] == pytest.approx(2 / 3)
    assert sam["mqls_per_week"] == pytest.approx(4 / (31 / 7))
    assert (sue["mqls"], sue["open_now"], sue["untouched_open"], sue["median_touch_minutes"]) == (3, 1, 1, 11)
    assert sue["sdr_team_name"] == "SDR Beta"


def test_inbox_lists_entries_with_time_to_response(cur):
    # March entries fb1-fb5 (fb6 is February), newest first.
    inbox = get("feedback_inbox")(cur, MARCH)
    assert inbox["feedback_id"].tolist() == ["fb5", "fb4", "fb3", "fb2", "fb1"]
    rows = inbox.set_index("feedback_id")
    # fb2's first answer came at 13:00 (history), two hours after it; fb4's only answer a day later.
    assert rows.loc["fb2", "hours_to_response"] == pytest.approx(2)
    assert rows.loc["fb4", "hours_to_response"] == pytest.approx(24)
    # fb3 is unanswered: Mar 10 10:00 to the reading moment Apr 1 00:00 = 21 days 14 hours.
    assert rows.loc["fb3", "hours_waiting"] == pytest.approx(21 * 24 + 14)
    assert math.isnan(rows.loc["fb3", "hours_to_response"])
    assert rows.loc["fb2", "note"] == HTML_NOTE  # stored and returned exactly as given
    assert rows.loc["fb5", "campaign_name"] == "Giveaway" and rows.loc["fb5", "channel"] == "Paid Social"
    assert rows.loc["fb2", "reason"] == "Wrong persona"


def test_inbox_filters(cur):
    assert get("feedback_inbox")(cur, MARCH, status="open")["feedback_id"].tolist() == ["fb5", "fb3", "fb1"]
    assert get("feedback_inbox")(cur, MARCH, reason="student_or_job_seeker")["feedback_id"].tolist() == ["fb3"]
    assert get("feedback_inbox")(cur, MARCH, campaign="c1")["feedback_id"].tolist() == ["fb1"]
    assert get("feedback_inbox")(cur, MARCH, rep="sdr2")["feedback_id"].tolist() == ["fb4", "fb3"]
    assert get("feedback_inbox")(cur, MARCH, verdict="rating")["feedback_id"].tolist() == ["fb5"]
    assert get("feedback_inbox")(cur, MARCH, channel="Webinars")["feedback_id"].tolist() == ["fb1"]
    # A segment filter follows the lead; the campaign rating fb5 has no segment and drops out.
    smb = Filters(MARCH.start, MARCH.end, segments=("SMB",), as_of=MARCH.as_of)
    assert get("feedback_inbox")(cur, smb)["feedback_id"].tolist() == ["fb4", "fb2", "fb1"]
    # The sidebar's channel filter keeps the campaign rating of a Paid Social campaign.
    paid = Filters(MARCH.start, MARCH.end, channels=("Paid Social",), as_of=MARCH.as_of)
    assert get("feedback_inbox")(cur, paid)["feedback_id"].tolist() == ["fb5", "fb4", "fb3", "fb2"]


def test_response_time(cur):
    # fb1-fb5: answered fb2 (2 h) and fb4 (24 h) -> median 13 h, p90 2 + 0.9 * 22 = 21.8 h; statuses:
    # open fb1 fb3 fb5, acknowledged fb4, resolved fb2.
    row = get("feedback_response_time")(cur, MARCH).iloc[0]
    assert (row["entries"], row["answered"], row["unanswered"]) == (5, 2, 3)
    assert (row["median_hours"], row["p90_hours"]) == (pytest.approx(13), pytest.approx(21.8))
    assert (row["status_open"], row["status_acknowledged"], row["status_action_planned"],
            row["status_resolved"]) == (3, 1, 0, 1)
    assert row["answered_share"] == pytest.approx(0.4)


def test_campaign_feedback(cur):
    # Giveaway: one campaign rating (2) in March; its leads rated 1 (fb2), 1 (fb3), 2 (fb4) -> 4/3; 2 rejections.
    # Webinar: its February rating is outside March; its lead rating 4 (fb1); M7's rejection has no entry.
    ratings = get("campaign_feedback")(cur, MARCH)
    assert ratings["campaign_name"].tolist() == ["Giveaway", "Webinar"]
    giveaway, webinar = ratings.iloc[0], ratings.iloc[1]
    assert (giveaway["campaign_ratings"], giveaway["mean_campaign_rating"], giveaway["lead_ratings"]) == (1, 2.0, 3)
    assert giveaway["mean_lead_rating"] == pytest.approx(4 / 3)
    assert (giveaway["rejections"], giveaway["latest_note"]) == (2, "Too many students.")
    assert webinar["campaign_ratings"] == 0 and pd.isna(webinar["mean_campaign_rating"])
    assert webinar["mean_lead_rating"] == 4.0


def test_empty_range_gives_zeros_not_errors(cur):
    empty = Filters(date(2025, 1, 1), date(2025, 1, 31), as_of=date(2025, 1, 31))
    assert get("rejection_rate")(cur, empty).empty
    assert get("rejection_reason_mix")(cur, empty).empty
    assert get("rejection_trend")(cur, empty)["worked"].tolist() == [0]
    assert get("recycled_outcomes")(cur, empty)["count"].sum() == 0
    assert get("score_calibration")(cur, empty)["mqls"].sum() == 0
    assert get("sales_capacity")(cur, empty).empty
    assert get("feedback_inbox")(cur, empty).empty
    assert get("feedback_response_time")(cur, empty)["entries"].iloc[0] == 0
    assert get("campaign_feedback")(cur, empty).empty
