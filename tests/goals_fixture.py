"""The goals fixture: conftest.py's eight-lead funnel, two more leads with deals, three touchpoints and a
set of goals, small enough to work every goal number out by hand.

Added to conftest's story (all times midnight):
  L9  Feb 10 lead, source channel Outbound (sales' own, no campaign), Enterprise, EMEA, sdr2;
      SQL Feb 12 (no MQL or SAL event: both inferred on Feb 12), opp O3 4,000 Feb 15, won Mar 20
  L10 Mar 5 lead (Webinars, SMB, Americas, sdr1), MQL Mar 6, SAL Mar 7, SQL Mar 9, opp O4 8,000 Mar 12, open
Touchpoints:
  T1 L1 Jan 5 form_fill (Webinars): L1's first touch, the day it was created (a marketing-sourced lead)
  T2 L9 Feb 20 ad_click (Paid Search): 28 days before L9 was won
  T3 L9 Feb 14 sales_meeting (Events): L9's first touch, four days after it was created (sales-sourced)

The mart then reads (skipped stages inferred; a lost deal was an opportunity):
  lead : L7 Dec 15 2025 | L1 Jan 5, L2 Jan 10, L8 Jan 15, L3 Feb 1, L4 Feb 5, L9 Feb 10, L5 Mar 1, L10 Mar 5, L6 Mar 20
  MQL  : L7 Jan 3, L1 Jan 6, L2 Jan 12, L8 Jan 16, L3 Feb 2, L4 Feb 6, L9 Feb 12, L10 Mar 6, L6 Mar 21
  SAL  : L7 Jan 4, L1 Jan 7, L2 Jan 13, L4 Feb 8, L9 Feb 12, L10 Mar 7
  SQL  : L1 Jan 10, L2 Jan 20, L4 Feb 8, L9 Feb 12, L10 Mar 9
  opp  : L1 Jan 20 (10,000), L2 Feb 1 (5,000), L9 Feb 15 (4,000), L10 Mar 12 (8,000)
  won  : L1 Mar 1 (10,000), L9 Mar 20 (4,000)          lost: L2 Mar 10
Q1 2026 (Jan 1 - Mar 31, 90 days): 9 leads, 9 MQLs, 6 SALs, 5 SQLs, 4 opportunities, 2 won for 14,000.

Goals (GOALS below): won revenue 2026-Q1 28,000 set on its own, with months Jan 4,000, Feb 8,000, Mar 16,000
(summing to 28,000); leads 2026-Q1 20 (no month goals) and 4 for Enterprise; win rate 2026-Q1 0.5; sales
cycle 2026-Q1 30 days; MQLs 2026-Q1 with a zero target (written around the editor, as old data might be);
SQLs February 2026 2; leads 2026-Q2 10 (the future, read in Q1); won revenue 2025-Q4 5,000 and 2025-Q1 3,000
(periods with no won deal).
"""

from __future__ import annotations

from datetime import date, datetime

from conftest import build_funnel_fixture
from data import db, marts

EXTRA_LEADS = [
    # lead_id, created, source channel, campaign, segment, region, owner
    ("L9", date(2026, 2, 10), "Outbound", None, "Enterprise", "EMEA", "sdr2"),
    ("L10", date(2026, 3, 5), "Webinars", "c1", "SMB", "Americas", "sdr1"),
]
EXTRA_EVENTS = [
    ("L9", "sql", date(2026, 2, 12)), ("L9", "opportunity", date(2026, 2, 15)), ("L9", "won", date(2026, 3, 20)),
    ("L10", "mql", date(2026, 3, 6)), ("L10", "sal", date(2026, 3, 7)), ("L10", "sql", date(2026, 3, 9)),
    ("L10", "opportunity", date(2026, 3, 12)),
]
TOUCHPOINTS = [
    # id, lead, campaign, channel, type, when
    (1, "L1", "c1", "Webinars", "form_fill", date(2026, 1, 5)),
    (2, "L9", "c2", "Paid Search", "ad_click", date(2026, 2, 20)),
    (3, "L9", None, "Events", "sales_meeting", date(2026, 2, 14)),
]
GOALS = [
    # goal_id, metric, period type, start, scope type, scope value, owner, target
    ("g-rev-q1", "won_revenue", "quarter", date(2026, 1, 1), "all", None, "shared", 28000),
    ("g-rev-jan", "won_revenue", "month", date(2026, 1, 1), "all", None, "shared", 4000),
    ("g-rev-feb", "won_revenue", "month", date(2026, 2, 1), "all", None, "shared", 8000),
    ("g-rev-mar", "won_revenue", "month", date(2026, 3, 1), "all", None, "shared", 16000),
    ("g-leads-q1", "leads", "quarter", date(2026, 1, 1), "all", None, "marketing", 20),
    ("g-leads-q1-ent", "leads", "quarter", date(2026, 1, 1), "segment", "Enterprise", "marketing", 4),
    ("g-winrate-q1", "win_rate", "quarter", date(2026, 1, 1), "all", None, "sales", 0.5),
    ("g-cycle-q1", "sales_cycle_days", "quarter", date(2026, 1, 1), "all", None, "sales", 30),
    ("g-mqls-q1", "mqls", "quarter", date(2026, 1, 1), "all", None, "marketing", 0),
    ("g-sqls-feb", "sqls", "month", date(2026, 2, 1), "all", None, "sales", 2),
    ("g-leads-q2", "leads", "quarter", date(2026, 4, 1), "all", None, "marketing", 10),
    ("g-rev-2025q4", "won_revenue", "quarter", date(2025, 10, 1), "all", None, "shared", 5000),
    ("g-rev-2025q1", "won_revenue", "quarter", date(2025, 1, 1), "all", None, "shared", 3000),
]


def _ts(day: date) -> datetime:
    return datetime(day.year, day.month, day.day)


def build_goals_fixture(path) -> None:
    build_funnel_fixture(path)
    con = db.open_store(path)
    for lead_id, created, channel, campaign, segment, region, owner in EXTRA_LEADS:
        con.execute("insert into leads (lead_id, created_at, source_channel, campaign_id, segment, region, "
                    "owner_rep_id, score) values (?, ?, ?, ?, ?, ?, ?, 50)",
                    [lead_id, _ts(created), channel, campaign, segment, region, owner])
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, 'lead', ?)",
                    [lead_id, _ts(created)])
    for lead_id, stage, day in EXTRA_EVENTS:
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)",
                    [lead_id, stage, _ts(day)])
    con.execute("insert into opportunities (opportunity_id, lead_id, amount, created_at, closed_at, is_closed, "
                "is_won, owner_rep_id) values "
                "('O3', 'L9', 4000, '2026-02-15', '2026-03-20', true, true, 'ae1'), "
                "('O4', 'L10', 8000, '2026-03-12', null, false, false, 'ae1')")
    for touch_id, lead_id, campaign, channel, kind, day in TOUCHPOINTS:
        con.execute("insert into touchpoints (touchpoint_id, lead_id, campaign_id, channel, touch_type, touched_at) "
                    "values (?, ?, ?, ?, ?, ?)", [touch_id, lead_id, campaign, channel, kind, _ts(day)])
    for goal in GOALS:
        con.execute("insert into goals (goal_id, metric_name, period_type, period_start, scope_type, scope_value, "
                    "owner_team, target) values (?, ?, ?, ?, ?, ?, ?, ?)", list(goal))
    marts.refresh(con)
    con.close()
