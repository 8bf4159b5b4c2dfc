"""A mini CRM export small enough to count on paper, and helpers the import tests share.

The mapping reads three files (campaigns, leads, deals) of the system 'mini'. The story:

  campaigns  C1 Spring webinar (Webinars) 10-13 Jan 2026, cost 400 -> 4 days of 100
             C2 Brand search (Paid Search) 1 Jan 2026, no end, cost 90 -> 1 day of 90
  leads      L1 5 Jan, Webinars, C1, ann@acme.test, MQL 6 Jan, SAL 7 Jan, status working (SAL dated: the
                status adds nothing)
             L2 5 Jan written 05/01/2026 (day first), no source, no campaign, BOB@acme.test, status open
             L3 10 Jan 09:30, Paid Search, bob@acme.test (L2's address: a duplicate), company "Acme, Inc.",
                Enterprise, MQL 11 Jan, status working -> SAL estimated at its last change, 21 Jan
             L4 1 Feb, no source, campaign C2, no e-mail, company =HYPERLINK("x"), status lost ->
                disqualified estimated at its last change, written 02-03-2026 14:05 (month first)
  deals      D1 lead L1, 1,000, created 15 Jan, won 15 Feb
             D2 no lead (a lead is made up: mini:opportunity:D2), 500, created 10 Feb, open

Stage entries: lead x5 (L1-L4 and D2's made-up lead), mql x2 (L1, L3), sal x2 (L1 dated, L3 estimated),
disqualified x1 (L4, estimated), opportunity x2 (D1 on L1, D2 on its made-up lead), won x1 (D1) = 13,
of which 2 are estimated.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from data import db
from data.access import shell_principal
from data.importers import SourceFile, load, parse_spec, prepare

ADMIN = shell_principal("test")  # imports are admins' (the command line acts as one)

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
SALESFORCE = REALDATA / "salesforce_export_sample"
MAVEN = REALDATA / "maven_crm_pipeline"
MAVEN_MAPPING = Path(__file__).resolve().parents[1] / "data" / "importers" / "examples" / "maven_crm_pipeline.toml"

MAPPING = """
name = "Mini CRM"
source_system = "mini"
date_formats = ["%d/%m/%Y", "%m-%d-%Y %H:%M"]

[[files]]
match = "campaigns.csv"
table = "campaigns"
required = false
[files.columns]
campaign_id = "id"
campaign_name = "name"
channel = "channel"
start_date = "start"
end_date = "end"
cost_amount = "cost"

[[files]]
match = "leads.csv"
table = "leads"
[files.columns]
lead_id = "id"
created_at = "created"
source_channel = "source"
campaign_id = "campaign"
email = "email"
account_name = "company"
segment = "segment"
[files.stage_dates]
mql = "mql_date"
sal = "sal_date"
[[files.statuses]]
column = "status"
at = "modified"
values = { open = "", working = "sal", lost = "disqualified" }

[[files]]
match = "deals.csv"
table = "opportunities"
required = false
[files.columns]
opportunity_id = "id"
lead_id = "lead"
amount = "amount"
created_at = "created"
closed_at = "closed"
stage = "stage"
[files.values.stage]
Won = "won"
Lost = "lost"
Open = "opportunity"
"""

CAMPAIGNS = """id,name,channel,start,end,cost
C1,Spring webinar,Webinars,2026-01-10,2026-01-13,400
C2,Brand search,Paid Search,2026-01-01,,90
"""

LEADS = """id,created,source,campaign,email,company,segment,mql_date,sal_date,status,modified
L1,2026-01-05,Webinars,C1,ann@acme.test,Acme,SMB,2026-01-06,2026-01-07,working,2026-01-20
L2,05/01/2026,,,BOB@acme.test,Acme,SMB,,,open,2026-01-20
L3,2026-01-10 09:30,Paid Search,,bob@acme.test,"Acme, Inc.",Enterprise,2026-01-11,,working,2026-01-21
L4,2026-02-01,,C2,,"=HYPERLINK(""x"")",SMB,,,lost,02-03-2026 14:05
"""

DEALS = """id,lead,amount,created,closed,stage
D1,L1,1000,2026-01-15,2026-02-15,Won
D2,,500,2026-02-10,,Open
"""

SPEC = parse_spec(MAPPING, "mini.toml")

# Every table an import may touch, for before/after comparisons.
TABLES = ("campaigns", "campaign_spend", "leads", "opportunities", "stage_events", "touchpoints", "data_loads",
          "data_load_tables", "data_quarantine", "mart_lead_funnel")


def files(**overrides: str) -> list[SourceFile]:
    """The mini export; pass campaigns=..., leads=..., deals=... to change a file, or None to leave it out."""
    texts = {"campaigns": CAMPAIGNS, "leads": LEADS, "deals": DEALS, **overrides}
    return [SourceFile(f"{name}.csv", text.encode()) for name, text in texts.items() if text is not None]


def new_store(path: Path) -> duckdb.DuckDBPyConnection:
    return db.open_store(path)


def import_mini(con, mode: str = "strict", **overrides: str):
    plan = prepare(con.cursor(), SPEC, files(**overrides))
    return load(con, plan, mode, ADMIN)


def snapshot(con) -> dict[str, list[tuple]]:
    """Every row of every table an import touches, sorted, to compare before and after."""
    return {table: sorted(map(repr, con.execute(f"select * from {table}").fetchall())) for table in TABLES}


def one(con, sql: str, params=None):
    return con.execute(sql, params or []).fetchone()[0]


def counts(result) -> dict[str, tuple[int, int, int, int]]:
    return {row.table: (row.inserted, row.updated, row.unchanged, row.removed) for row in result.counts.itertuples()}
