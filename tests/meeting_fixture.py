"""The hand-made funnel of conftest.py, plus what a meeting reads besides the funnel: campaign launch days,
campaign spend, and a marketing person to own actions.

On top of conftest's story (leads L1..L8, campaigns c1 'Spring webinar' (Webinars) and c2 'Brand search'
(Paid Search)):
  c1 launched 2026-01-02; c2 launched 2026-02-01.
  Spend: c1 1,000 on Jan 10; c2 500 on Feb 3 and 1,000 on Feb 20.
  People: sdr1 Sam Sdr and sdr2 Sue Sdr (SDR teams, sales), ae1 Alex Ae (sales), mk1 Maya Marketing (marketing).

February 2026 (Feb 1-28, 28 days) against its previous period (Jan 4-31, the 28 days before):
  leads     Feb L3 L4 = 2           Jan 4-31 L1 L2 L8 = 3 (L7's lead was in December)      change -1
  MQLs      Feb L3 L4 = 2           Jan 4-31 L1 L2 L8 = 3 (L7's MQL on Jan 3 is before)    change -1
  SALs      Feb L4 (inferred) = 1   Jan 4-31 L1 L2 L7 = 3                                  change -2
  SQLs      Feb L4 = 1              Jan 4-31 L1 L2 = 2                                     change -1
  opps      Feb L2 = 1 (5,000)      Jan 4-31 L1 = 1 (10,000)                               change 0, pipeline -5,000
  won       none in either
  spend     Feb 500 + 1,000 = 1,500 Jan 4-31 1,000                                         change +500 (+50%)
"""

from __future__ import annotations

from datetime import date, datetime

from conftest import build_funnel_fixture
from data import db
from data.access import Principal
from metrics.filters import Filters

FEB = Filters(date(2026, 2, 1), date(2026, 2, 28), as_of=date(2026, 3, 2))
Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))

MAYA = Principal("mk1", "Maya Marketing", "marketing", "mk1")
SAM = Principal("sdr1", "Sam Sdr", "sales", "sdr1")
VIEWER = Principal("vic", "Vic Viewer", "viewer")


def build_meeting_fixture(path) -> None:
    build_funnel_fixture(path)
    con = db.open_store(path)
    con.execute("insert into teams values ('MKT', 'Demand Gen', 'marketing', null, null)")
    con.execute("insert into reps (rep_id, rep_name, team_id, rep_role) values "
                "('mk1', 'Maya Marketing', 'MKT', 'marketing')")
    con.execute("update campaigns set start_date = '2026-01-02' where campaign_id = 'c1'")
    con.execute("update campaigns set start_date = '2026-02-01' where campaign_id = 'c2'")
    con.execute("insert into campaign_spend (campaign_id, spend_date, spend_amount) values "
                "('c1', '2026-01-10', 1000), ('c2', '2026-02-03', 500), "
                "('c2', '2026-02-20', 1000)")
    con.close()


def at(day: int, month: int = 3, hour: int = 9) -> datetime:
    """A moment in 2026, for writes in the fixture's story."""
    return datetime(2026, month, day, hour)
