"""A hand-made feedback loop small enough to count on paper (used by tests/test_feedback*.py, test_sla*.py).

March 2026: Mon 2, Fri 6, Sat 7, Sun 8, Mon 9, Tue 10, Tue 31. SLA policies: first touch within 15 business
minutes, 09:00-17:00 Monday-Friday, 90% of MQLs; marketing delivers 10 MQLs a month; half are accepted.

MQL entries (lead: MQL time -> first human touch; verdict), SDR, campaign, score:
  M1: Mon Mar 2 10:00 -> call 10:04 (4 min; a call at 09:30 came before the MQL);  accept Mar 3 10:00,
      SQL Mar 10                                              sdr1, c1 Webinar (Webinars), 80
  M2: Mon Mar 2 16:50 -> auto email 16:51 (not a touch), call 16:58 (8 min);  reject Mar 3 11:00,
      wrong_persona                                           sdr1, c2 Giveaway (Paid Social), 30
  M3: Fri Mar 6 16:55 -> auto email 16:56, call Mon Mar 9 09:12 (5 Friday + 12 Monday = 17 min: late;
      deadline Mon 09:10);  reject Mar 10 10:00, student_or_job_seeker                     sdr2, c2, 30
  M4: Sat Mar 7 12:00 -> email Mon Mar 9 09:05 (the weekend does not count: 5 min; deadline Mon 09:15);
      recycle Mar 10 12:00 (reason no_project). Back as MQL Mon May 4 10:00 -> call 10:30 (30 min: late);
      accept May 5 10:00; SQL May 12 10:00                                            sdr2, c2, 60
  M5: Tue Mar 10 10:00 -> only an auto email: never touched (deadline 10:15); no verdict  sdr2, c1, 60
  M6: Tue Mar 31 16:50 -> call Wed Apr 1 09:30 (10 + 30 = 40 min: late; deadline Wed Apr 1 09:05, so due
      in April: not yet due when read on Mar 31); no verdict                           sdr1, c1, 80
  M7: Mon Mar 2 11:00 -> call 11:10 (10 min);  reject Mar 4 10:00 with no feedback entry  sdr1, c1, 80
  L8: a lead created Mar 2 that never became an MQL                                   sdr1, c1, 10

Feedback (sales_feedback), all 2026:
  fb1 M1 accept, sdr1, Mar 3 10:00, rating 4, "Good fit, discovery booked."; open
  fb2 M2 reject wrong_persona, sdr1, Mar 3 11:00, rating 1, note HTML_NOTE; first answered Mar 3 13:00
      (acknowledged, in the history), then resolved Mar 4 11:00 by mkt1
  fb3 M3 reject student_or_job_seeker, sdr2, Mar 10 10:00, rating 1; open
  fb4 M4 recycle no_project, sdr2, Mar 10 12:00, rating 2; acknowledged Mar 11 12:00 (no history row: loaded)
  fb5 campaign c2 rating 2, mgr1, Mar 20 09:00, "Too many students."; open
  fb6 campaign c1 rating 5, mgr1, Feb 15 09:00; open
"""

from __future__ import annotations

from datetime import datetime

from data import db, marts
from data.access import Principal

HTML_NOTE = '<script>alert("x")</script><b>bold</b> & **not markdown**'

TEAMS = [("SDR-A", "SDR Alpha", "sdr", "Americas"), ("SDR-B", "SDR Beta", "sdr", "EMEA"),
         ("AE-A", "AE Alpha", "ae", None), ("MKT", "Demand Gen", "marketing", None)]
REPS = [("sdr1", "Sam Sdr", "SDR-A", "sdr"), ("sdr2", "Sue Sdr", "SDR-B", "sdr"),
        ("mgr1", "Max Manager", "SDR-A", "manager"), ("ae1", "Alex Ae", "AE-A", "ae"),
        ("mkt1", "Mia Marketer", "MKT", "marketing"), ("mktmgr", "Mo Marketing-Lead", "MKT", "manager")]
CAMPAIGNS = [("c1", "Webinar", "Webinars"), ("c2", "Giveaway", "Paid Social")]


def as_rep(rep_id: str) -> Principal:
    """The principal open demo mode gives a fixture rep: managers are admins, marketing is marketing, SDRs and
    AEs (and anyone else, like the concurrency test's writers) are sales."""
    rep = {r[0]: r for r in REPS}.get(rep_id)
    if rep is None:
        return Principal(rep_id, rep_id, "sales", rep_id)
    team_function = {t[0]: t[2] for t in TEAMS}[rep[2]]
    role = "admin" if rep[3] == "manager" else "marketing" if team_function == "marketing" else "sales"
    return Principal(rep_id, rep[1], role, rep_id)


# lead_id, created, campaign, segment, owner, score
LEADS = [
    ("M1", "2026-03-02 08:00", "c1", "SMB", "sdr1", 80),
    ("M2", "2026-03-02 08:00", "c2", "SMB", "sdr1", 30),
    ("M3", "2026-03-06 08:00", "c2", "Enterprise", "sdr2", 30),
    ("M4", "2026-03-07 08:00", "c2", "SMB", "sdr2", 60),
    ("M5", "2026-03-10 08:00", "c1", "SMB", "sdr2", 60),
    ("M6", "2026-03-31 08:00", "c1", "SMB", "sdr1", 80),
    ("M7", "2026-03-02 08:00", "c1", "SMB", "sdr1", 80),
    ("L8", "2026-03-02 08:00", "c1", "SMB", "sdr1", 10),
]
EVENTS = [
    ("M1", "mql", "2026-03-02 10:00"), ("M1", "sal", "2026-03-03 10:00"), ("M1", "sql", "2026-03-10 10:00"),
    ("M2", "mql", "2026-03-02 16:50"), ("M2", "rejected", "2026-03-03 11:00"),
    ("M3", "mql", "2026-03-06 16:55"), ("M3", "rejected", "2026-03-10 10:00"),
    ("M4", "mql", "2026-03-07 12:00"), ("M4", "recycled", "2026-03-10 12:00"), ("M4", "mql", "2026-05-04 10:00"),
    ("M4", "sal", "2026-05-05 10:00"), ("M4", "sql", "2026-05-12 10:00"),
    ("M5", "mql", "2026-03-10 10:00"),
    ("M6", "mql", "2026-03-31 16:50"),
    ("M7", "mql", "2026-03-02 11:00"), ("M7", "rejected", "2026-03-04 10:00"),
]
# lead, rep, type, is_automated, time
ACTIVITIES = [
    ("M1", "sdr1", "call", False, "2026-03-02 09:30"), ("M1", "sdr1", "call", False, "2026-03-02 10:04"),
    ("M2", "sdr1", "auto_email", True, "2026-03-02 16:51"), ("M2", "sdr1", "call", False, "2026-03-02 16:58"),
    ("M3", "sdr2", "auto_email", True, "2026-03-06 16:56"), ("M3", "sdr2", "call", False, "2026-03-09 09:12"),
    ("M4", "sdr2", "email", False, "2026-03-09 09:05"), ("M4", "sdr2", "call", False, "2026-05-04 10:30"),
    ("M5", "sdr2", "auto_email", True, "2026-03-10 10:01"),
    ("M6", "sdr1", "call", False, "2026-04-01 09:30"),
    ("M7", "sdr1", "call", False, "2026-03-02 11:10"), ("M7", "sdr1", "meeting", False, "2026-03-03 15:00"),
]
REASONS = [("wrong_persona", "Wrong persona", True), ("student_or_job_seeker", "Student or job seeker", True),
           ("no_budget", "No budget", True), ("no_project", "No active project", True),
           ("bad_timing", "Bad timing", False), ("typo_reason", "Typo reason", True)]
# id, created, author, lead, campaign, verdict, reason, rating, note, status, response, responder, responded_at
FEEDBACK = [
    ("fb1", "2026-03-03 10:00", "sdr1", "M1", None, "accept", None, 4, "Good fit, discovery booked.", "open",
     None, None, None),
    ("fb2", "2026-03-03 11:00", "sdr1", "M2", None, "reject", "wrong_persona", 1, HTML_NOTE, "resolved",
     "Fixed targeting.", "mkt1", "2026-03-04 11:00"),
    ("fb3", "2026-03-10 10:00", "sdr2", "M3", None, "reject", "student_or_job_seeker", 1, None, "open",
     None, None, None),
    ("fb4", "2026-03-10 12:00", "sdr2", "M4", None, "recycle", "no_project", 2, None, "acknowledged",
     "Back to nurture it goes.", "mkt1", "2026-03-11 12:00"),
    ("fb5", "2026-03-20 09:00", "mgr1", None, "c2", "rating", None, 2, "Too many students.", "open",
     None, None, None),
    ("fb6", "2026-02-15 09:00", "mgr1", None, "c1", "rating", None, 5, None, "open", None, None, None),
]
RESPONSES = [("r1", "fb2", "2026-03-03 13:00", "mkt1", "acknowledged", "Looking into it."),
             ("r2", "fb2", "2026-03-04 11:00", "mkt1", "resolved", "Fixed targeting.")]
POLICIES = [
    ("sla-first-touch", "sales", "First touch on MQLs", "Call every MQL within 15 business minutes.", 15.0, "minutes"),
    ("sla-mql-volume", "marketing", "MQLs delivered per month", "10 MQLs a month.", 10.0, "count"),
    ("sla-acceptance", "marketing", "MQL acceptance rate", "Half of the MQLs are accepted.", 0.5, "ratio"),
]


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def build_feedback_fixture(path) -> None:
    con = db.open_store(path)
    con.executemany("insert into teams values (?, ?, ?, ?, null)", TEAMS)
    con.executemany("insert into reps (rep_id, rep_name, team_id, rep_role) values (?, ?, ?, ?)", REPS)
    con.executemany("insert into campaigns (campaign_id, campaign_name, channel) values (?, ?, ?)", CAMPAIGNS)
    channel = {c[0]: c[2] for c in CAMPAIGNS}
    for lead_id, created, campaign, segment, owner, score in LEADS:
        con.execute("insert into leads (lead_id, created_at, source_channel, campaign_id, segment, region, "
                    "owner_rep_id, score) values (?, ?, ?, ?, ?, 'EMEA', ?, ?)",
                    [lead_id, ts(created), channel[campaign], campaign, segment, owner, score])
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, 'lead', ?)",
                    [lead_id, ts(created)])
    con.executemany("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)",
                    [(lead, stage, ts(at)) for lead, stage, at in EVENTS])
    con.executemany("insert into sales_activities values (?, ?, ?, ?, ?, ?)",
                    [(i, lead, rep, kind, auto, ts(at)) for i, (lead, rep, kind, auto, at) in enumerate(ACTIVITIES, 1)])
    con.execute("delete from feedback_reasons")  # this fixture's own list, not the standard one (migration 010)
    con.executemany("insert into feedback_reasons (reason_code, label, is_active) values (?, ?, ?)", REASONS)
    con.executemany("insert into sales_feedback values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(*row[:1], ts(row[1]), *row[2:12], ts(row[12]) if row[12] else None) for row in FEEDBACK])
    con.executemany("insert into feedback_responses values (?, ?, ?, ?, ?, ?)",
                    [(r[0], r[1], ts(r[2]), *r[3:]) for r in RESPONSES])
    con.executemany("insert into sla_policy (policy_id, side, name, description, threshold, unit, effective_from) "
                    "values (?, ?, ?, ?, ?, ?, '2026-01-01')", POLICIES)
    marts.refresh(con)
    con.close()
