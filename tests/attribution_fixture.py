"""A hand-made company for attribution, ROI, content and traffic: small enough to work out on paper.

Campaigns: cA "Search ads" (Paid Search), cB "Spring webinar" (Webinars), cC "Nurture emails" (Email).
Window: 2026-01-01..2026-03-31. Times are midnight unless given. Touch ids in brackets.

Deals (opportunity, its lead, amount; touches in path order):
  D1 (A1, 1,000): [1] Jan 1 10:00 cA. Lead Jan 1 10:00, MQL Jan 3, opp Jan 10, won Feb 10.     1 touch
  D2 (A2, 2,000): [2] Jan 1 10:00 cA "Pricing page", [3] Jan 5 12:00 cB "Webinar: Spring".
                  Lead Jan 1 10:00, MQL Jan 5 12:00 (the moment of touch 3), opp Jan 20, won Feb 20.    2 touches
  D3 (A3, 3,000): [4] Jan 1 cA, [5] Jan 3 cB "Webinar: Spring", [6] Jan 8 cC "Case study: Acme".
                  Lead Dec 20 2025 (before its first touch: not marketing-sourced), MQL Jan 2, opp Jan 9,
                  won Feb 1.                                                                        3 touches
  D4 (A4, 10,000): [7] Jan 1 cA "Whitepaper: Playbook", [8] Jan 2 cB "Webinar: Spring", [9] Jan 4 09:00 cC,
                  [10] Jan 6 09:00 cB "Webinar: Spring", [11] Jan 8 cA "Case study: Acme", [12] Mar 5 cC
                  "Case study: Acme" (after the close: never in a path).
                  Lead Jan 1, MQL Jan 4 09:00 (touch 9's moment), opp Jan 6 09:00 (touch 10's), won Mar 1.  5 touches
  D5 (A5, 500):   [51] cA and [50] cB, both Jan 1 09:00: equal timestamps, so [50] (cB) comes first.
                  Lead and MQL Jan 1 09:00, opp Jan 15, won Jan 31.
  D7 (A6, 4,000): [13] Feb 1 cB "Webinar: Spring". Lead Feb 1, MQL Feb 2, opp Feb 5, still open.
  D8 (A7, 6,000): [14] Jan 10 cC "Whitepaper: Playbook", [15] Jan 25 cA "Case study: Acme".
                  Lead Jan 10, MQL Jan 11, opp Jan 20, lost Mar 10.
  D9 (A8, 700):   no touch at all. Lead Jan 20 (cC), MQL Jan 25, opp Feb 3, won Mar 15.
Leads without a deal: A9 (cA) Feb 10, MQL Feb 11, rejected Feb 12 (wrong persona); A10 (cA) Feb 12, MQL
Feb 13, SAL Feb 14.
Segments: A3 is Enterprise/EMEA (sdr2); everyone else SMB/Americas (sdr1). Every deal belongs to ae1.

Spend: cA 100 a day Jan 1-10 (1,000) plus 500 on Dec 31 2025 (outside Q1); cB 300 Jan 5 + 200 Feb 1; cC 50 Jan 8.
Other costs each month of Q1: marketing people 3,000; sales people 9,000.
Web traffic: Paid Search Jan 1-3, 100 sessions, 80 visitors, 40 engaged a day; Webinars Jan 1, 50/45/30.
Feedback: A9 rejected, wrong_persona, rating 1 (Feb 12); A10 accepted, rating 4 (Feb 14); a sales manager
rates cA 3 (Mar 1); a rejection of a cC lead dated Dec 1 2025 (outside Q1).
"""

from __future__ import annotations

from datetime import date, datetime

from data import db, marts

Q1 = (date(2026, 1, 1), date(2026, 3, 31))
CAMPAIGNS = [("cA", "Search ads", "Paid Search"), ("cB", "Spring webinar", "Webinars"),
             ("cC", "Nurture emails", "Email")]
CHANNEL_OF = {c: channel for c, _, channel in CAMPAIGNS}


def ts(month: int, day: int, hour: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour)


# lead_id, created, campaign, segment, region, sdr
LEADS = [
    ("A1", ts(1, 1, 10), "cA", "SMB", "Americas", "sdr1"),
    ("A2", ts(1, 1, 10), "cA", "SMB", "Americas", "sdr1"),
    ("A3", ts(12, 20, year=2025), "cA", "Enterprise", "EMEA", "sdr2"),
    ("A4", ts(1, 1), "cA", "SMB", "Americas", "sdr1"),
    ("A5", ts(1, 1, 9), "cB", "SMB", "Americas", "sdr1"),
    ("A6", ts(2, 1), "cB", "SMB", "Americas", "sdr1"),
    ("A7", ts(1, 10), "cC", "SMB", "Americas", "sdr1"),
    ("A8", ts(1, 20), "cC", "SMB", "Americas", "sdr1"),
    ("A9", ts(2, 10), "cA", "SMB", "Americas", "sdr1"),
    ("A10", ts(2, 12), "cA", "SMB", "Americas", "sdr1"),
]
# touchpoint_id, lead, campaign, touch type, asset, time
TOUCHES = [
    (1, "A1", "cA", "ad_click", None, ts(1, 1, 10)),
    (2, "A2", "cA", "form_fill", "Pricing page", ts(1, 1, 10)),
    (3, "A2", "cB", "webinar_attended", "Webinar: Spring", ts(1, 5, 12)),
    (4, "A3", "cA", "ad_click", None, ts(1, 1)),
    (5, "A3", "cB", "webinar_attended", "Webinar: Spring", ts(1, 3)),
    (6, "A3", "cC", "email_click", "Case study: Acme", ts(1, 8)),
    (7, "A4", "cA", "form_fill", "Whitepaper: Playbook", ts(1, 1)),
    (8, "A4", "cB", "webinar_attended", "Webinar: Spring", ts(1, 2)),
    (9, "A4", "cC", "email_click", None, ts(1, 4, 9)),
    (10, "A4", "cB", "webinar_attended", "Webinar: Spring", ts(1, 6, 9)),
    (11, "A4", "cA", "ad_click", "Case study: Acme", ts(1, 8)),
    (12, "A4", "cC", "email_click", "Case study: Acme", ts(3, 5)),
    (51, "A5", "cA", "ad_click", None, ts(1, 1, 9)),
    (50, "A5", "cB", "form_fill", None, ts(1, 1, 9)),
    (13, "A6", "cB", "webinar_attended", "Webinar: Spring", ts(2, 1)),
    (14, "A7", "cC", "content_download", "Whitepaper: Playbook", ts(1, 10)),
    (15, "A7", "cA", "ad_click", "Case study: Acme", ts(1, 25)),
]
# opportunity, lead, amount, created, closed, won
DEALS = [
    ("D1", "A1", 1000, ts(1, 10), ts(2, 10), True),
    ("D2", "A2", 2000, ts(1, 20), ts(2, 20), True),
    ("D3", "A3", 3000, ts(1, 9), ts(2, 1), True),
    ("D4", "A4", 10000, ts(1, 6, 9), ts(3, 1), True),
    ("D5", "A5", 500, ts(1, 15), ts(1, 31), True),
    ("D7", "A6", 4000, ts(2, 5), None, False),
    ("D8", "A7", 6000, ts(1, 20), ts(3, 10), False),
    ("D9", "A8", 700, ts(2, 3), ts(3, 15), True),
]
MQL_AT = {"A1": ts(1, 3), "A2": ts(1, 5, 12), "A3": ts(1, 2), "A4": ts(1, 4, 9), "A5": ts(1, 1, 9), "A6": ts(2, 2),
          "A7": ts(1, 11), "A8": ts(1, 25), "A9": ts(2, 11), "A10": ts(2, 13)}
OTHER_EVENTS = [("A9", "rejected", ts(2, 12)), ("A10", "sal", ts(2, 14))]
SPEND = ([("cA", date(2026, 1, d), 100.0) for d in range(1, 11)]
         + [("cA", date(2025, 12, 31), 500.0), ("cB", date(2026, 1, 5), 300.0), ("cB", date(2026, 2, 1), 200.0),
            ("cC", date(2026, 1, 8), 50.0)])
COSTS = [(date(2026, m, 1), side, "people", amount) for m in (1, 2, 3)
         for side, amount in (("marketing", 3000.0), ("sales", 9000.0))]
TRAFFIC = ([(date(2026, 1, d), "Paid Search", 100, 80, 40) for d in (1, 2, 3)]
           + [(date(2026, 1, 1), "Webinars", 50, 45, 30)])
FEEDBACK = [
    ("F1", ts(2, 12), "sdr1", "A9", None, "reject", "wrong_persona", 1),
    ("F2", ts(2, 14), "sdr1", "A10", None, "accept", None, 4),
    ("F3", ts(3, 1), "mgr", None, "cA", "rating", None, 3),
    ("F4", ts(12, 1, year=2025), "sdr1", "A7", None, "reject", "no_budget", 2),
]


def build_attribution_fixture(path) -> None:
    con = db.open_store(path)
    con.execute("insert into teams values ('SDR-A', 'SDR A', 'sdr', 'Americas', null), "
                "('SDR-B', 'SDR B', 'sdr', 'EMEA', null), ('AE-A', 'AE A', 'ae', 'Americas', null)")
    con.execute("insert into reps (rep_id, rep_name, team_id, rep_role, region) values "
                "('sdr1', 'Sam Sdr', 'SDR-A', 'sdr', 'Americas'), ('sdr2', 'Sue Sdr', 'SDR-B', 'sdr', 'EMEA'), "
                "('ae1', 'Alex Ae', 'AE-A', 'ae', 'Americas'), ('mgr', 'Mo Manager', 'SDR-A', 'manager', null)")
    con.executemany("insert into campaigns (campaign_id, campaign_name, channel) values (?, ?, ?)", CAMPAIGNS)
    for lead_id, created, campaign, segment, region, sdr in LEADS:
        con.execute("insert into leads (lead_id, created_at, source_channel, campaign_id, segment, region, "
                    "owner_rep_id) values (?, ?, ?, ?, ?, ?, ?)",
                    [lead_id, created, CHANNEL_OF[campaign], campaign, segment, region, sdr])
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, 'lead', ?)", [lead_id, created])
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, 'mql', ?)",
                    [lead_id, MQL_AT[lead_id]])
    con.executemany("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)", OTHER_EVENTS)
    con.executemany("insert into touchpoints (touchpoint_id, lead_id, campaign_id, channel, touch_type, content_asset, "
                    "touched_at) values (?, ?, ?, ?, ?, ?, ?)",
                    [(i, lead, c, CHANNEL_OF[c], kind, asset, t) for i, lead, c, kind, asset, t in TOUCHES])
    for opp, lead, amount, created, closed, won in DEALS:
        con.execute("insert into opportunities (opportunity_id, lead_id, amount, created_at, closed_at, is_closed, "
                    "is_won, owner_rep_id) values (?, ?, ?, ?, ?, ?, ?, 'ae1')",
                    [opp, lead, amount, created, closed, closed is not None, won])
        con.execute("insert into stage_events (lead_id, stage, entered_at, opportunity_id) values "
                    "(?, 'opportunity', ?, ?)", [lead, created, opp])
        if closed is not None:
            con.execute("insert into stage_events (lead_id, stage, entered_at, opportunity_id) values (?, ?, ?, ?)",
                        [lead, "won" if won else "lost", closed, opp])
    con.executemany("insert into campaign_spend (campaign_id, spend_date, spend_amount) values (?, ?, ?)", SPEND)
    con.executemany("insert into acquisition_costs (cost_month, side, category, amount) values (?, ?, ?, ?)", COSTS)
    con.executemany("insert into web_traffic (traffic_date, channel, sessions, visitors, engaged_sessions) "
                    "values (?, ?, ?, ?, ?)", TRAFFIC)
    con.execute("delete from feedback_reasons")  # this fixture's own list, not the standard one (migration 010)
    con.execute("insert into feedback_reasons (reason_code, label) values ('wrong_persona', 'Wrong persona'), "
                "('no_budget', 'No budget')")
    con.executemany("insert into sales_feedback (feedback_id, created_at, author_rep_id, lead_id, campaign_id, "
                    "verdict, reason_code, rating) values (?, ?, ?, ?, ?, ?, ?, ?)", FEEDBACK)
    marts.refresh(con)
    con.close()
