"""The HubSpot preset on hand-made exports (labels as the export writes them, and internal property
names), and the mapping file's own mistakes reported by section and key."""

from __future__ import annotations

from datetime import datetime

import pytest

from data.access import shell_principal
from data.importers import MappingError, SourceFile, load, parse_spec, prepare, preset, preset_text
from import_fixture import MAPPING, counts, new_store, one

ADMIN = shell_principal("test")  # imports are admins' (the command line acts as one)

CONTACTS = (
    'Record ID,First Name,Create Date,Original Source,Lifecycle Stage,Lead Status,Email,Company Name,'
    '"Date entered ""Marketing Qualified Lead (Lifecycle Stage Pipeline)""",'
    '"Date entered ""Sales Qualified Lead (Lifecycle Stage Pipeline)""",Last Modified Date\n'
    "101,Ann,2026-01-05 10:00,PAID_SEARCH,Sales Qualified Lead,In Progress,ann@x.test,X,2026-01-06 09:00,"
    "2026-01-08 09:00,2026-01-20 12:00\n"
    "102,Bob,2026-01-06 11:00,Organic Search,Marketing Qualified Lead,,bob@y.test,Y,,,2026-01-21 12:00\n"
    "103,Cid,2026-01-07 12:00,,customer,UNQUALIFIED,,Z,,,2026-01-22 12:00\n"
)
DEALS = (
    "Record ID,Deal Name,Pipeline,Deal Stage,Amount,Create Date,Close Date,Associated Contact IDs\n"
    "9001,Big deal,Sales Pipeline,Closed Won,5000,2026-01-10,2026-02-01,101;102\n"
    "9002,Custom stage,Sales Pipeline,Appointment Scheduled,1200,2026-01-12,2026-03-30,\n"
    "9003,Lost one,Sales Pipeline,closedlost,300,2026-01-15,2026-01-30,103\n"
)


@pytest.fixture
def con(tmp_path):
    connection = new_store(tmp_path / "presets.duckdb")
    yield connection
    connection.close()


def entries(con, lead_id: str) -> list[tuple[str, bool]]:
    return con.execute("select stage, is_estimated from stage_events where lead_id = ? order by entered_at, stage",
                       [lead_id]).fetchall()


def test_hubspot_contacts_and_deals_exports(con):
    files = [SourceFile("hubspot-crm-exports-all-contacts-2026-03-01.csv", CONTACTS.encode()),
             SourceFile("hubspot-crm-exports-all-deals-2026-03-01.csv", DEALS.encode())]
    plan = prepare(con.cursor(), preset("hubspot"), files)
    assert plan.problems.empty
    result = load(con, plan, "strict", ADMIN)
    # 3 contacts + a lead made up for 9002 (no associated contact); 3 deals. Entries:
    # 101: lead, MQL, SQL (dated; its SQL lifecycle stage adds nothing), SAL (In Progress, estimated),
    #      9001's opportunity and won = 6
    # 102: lead, MQL (its lifecycle stage, no date column value: estimated) = 2
    # 103: lead, won (customer, estimated), disqualified (Unqualified, estimated), 9003's opportunity, lost = 5
    # 9002's made-up lead: lead, opportunity = 2.                                           Total 15.
    assert counts(result) == {"leads": (4, 0, 0, 0), "opportunities": (3, 0, 0, 0), "stage_events": (15, 0, 0, 0)}
    assert entries(con, "hubspot:101") == [("lead", False), ("mql", False), ("sql", False),
                                           ("opportunity", False), ("sal", True), ("won", False)]
    assert entries(con, "hubspot:102") == [("lead", False), ("mql", True)]
    # Internal source values become HubSpot's labels; labels already in the export stay.
    assert con.execute("select source_id, source_channel from leads where not is_synthetic order by 1").fetchall() == [
        ("101", "Paid Search"), ("102", "Organic Search"), ("103", None)]
    # The first associated contact is the deal's lead; a custom stage is an open opportunity whose close
    # date (a forecast) is not kept.
    assert con.execute("select source_id, lead_id, is_closed, is_won, closed_at from opportunities order by 1"
                       ).fetchall() == [
        ("9001", "hubspot:101", True, True, datetime(2026, 2, 1)),
        ("9002", "hubspot:opportunity:9002", False, False, None),
        ("9003", "hubspot:103", True, False, datetime(2026, 1, 30))]


def test_hubspot_internal_property_names_work_too(con):
    contacts = ("hs_object_id,createdate,lifecyclestage,hs_v2_date_entered_marketingqualifiedlead,hs_analytics_source,"
                "lastmodifieddate\n"
                "7,2026-02-01T08:00:00Z,marketingqualifiedlead,2026-02-02T08:00:00Z,EMAIL_MARKETING,"
                "2026-02-03T08:00:00Z\n")
    load(con, prepare(con.cursor(), preset("hubspot"), [SourceFile("contacts.csv", contacts.encode())]),
         "strict", ADMIN)
    assert entries(con, "hubspot:7") == [("lead", False), ("mql", False)]
    assert one(con, "select source_channel from leads") == "Email Marketing"


def test_presets_print_as_toml_that_parses_back():
    for name in ("salesforce", "hubspot"):
        assert parse_spec(preset_text(name), f"{name}.toml").source_system == name


@pytest.mark.parametrize(("change", "message"), [
    (("table = \"leads\"", "table = \"people\""),
     "[[files]] #2: table must be one of campaigns, campaign_spend, leads"),
    (("segment = \"segment\"", "sector = \"segment\""), "columns.sector is not a field of leads"),
    (("Won = \"won\"", "Won = \"closed\""), "'Won' maps to 'closed', which is not a stage"),
    (("lead_id = \"id\"\ncreated_at = \"created\"", "lead_id = \"id\""), "leads needs created_at"),
    (("source_system = \"mini\"", "source_system = \"Mini CRM!\""), "source_system must be a short lowercase name"),
    (("lost = \"disqualified\"", "lost = \"gone\""), "which is not a stage; use one of"),
    (("name = \"Mini CRM\"", "name = \"Mini CRM\"\ncolour = \"blue\""), "unknown key(s) colour"),
])
def test_mapping_mistakes_name_the_section_and_key(change, message):
    old, new = change
    assert old in MAPPING
    with pytest.raises(MappingError) as caught:
        parse_spec(MAPPING.replace(old, new, 1), "mine.toml")
    assert "mine.toml" in str(caught.value) and message in str(caught.value)


SF_EXPORT = {
    "Account.csv": "Id,Name\nA1,Acme\n",
    "Campaign.csv": "Id,IsDeleted,Name,Type,StartDate,EndDate,BudgetedCost,ActualCost\n"
                    "701A,0,Webinar Jan,Webinar,2026-01-05 00:00:00,2026-01-05 00:00:00,100,50\n",
    "Lead.csv": "Id,IsDeleted,CreatedDate,LeadSource,Company,OwnerId,Email,Status,IsConverted,ConvertedDate,"
                "ConvertedOpportunityId,LastModifiedDate\n"
                "00QA,0,2026-01-02 10:00:00,Web,Acme,005X,a@acme.test,Closed - Converted,1,2026-01-09 00:00:00,"
                "006A,2026-01-09 10:00:00\n"
                "00QB,1,2026-01-03 10:00:00,Web,Gone,005X,,Open - Not Contacted,0,,000000000000000AAA,"
                "2026-01-03 10:00:00\n",
    "Opportunity.csv": "Id,IsDeleted,AccountId,Amount,CreatedDate,CloseDate,IsClosed,IsWon,OwnerId,CampaignId,"
                       "LeadSource\n006A,0,A1,900,2026-01-09 10:00:00,2026-02-01 00:00:00,1,0,005X,701A,Web\n",
    "CampaignMember.csv": "Id,IsDeleted,CampaignId,LeadId,ContactId,CreatedDate,FirstRespondedDate\n"
                          "00vA,0,701A,00QA,,2026-01-04 09:00:00,2026-01-05 11:00:00\n"
                          "00vB,0,701A,,003C,2026-01-04 09:00:00,\n",
}


def test_salesforce_conversions_members_and_deleted_rows(con):
    files = [SourceFile(name, text.encode()) for name, text in SF_EXPORT.items()]
    plan = prepare(con.cursor(), preset("salesforce"), files)
    assert plan.problems.empty
    notes = dict(zip(plan.summary["file"], plan.summary["note"]))
    assert notes["Lead.csv"] == "1 skipped: IsDeleted is '1'"
    assert notes["CampaignMember.csv"] == "1 skipped: LeadId is ''"
    result = load(con, plan, "strict", ADMIN)
    # The converted lead is the opportunity's lead: no lead is made up. Its entries: lead (2 Jan), SQL
    # (ConvertedDate 9 Jan; the 'Closed - Converted' status adds nothing), opportunity, lost = 4.
    assert counts(result) == {"campaigns": (1, 0, 0, 0), "campaign_spend": (1, 0, 0, 0), "leads": (1, 0, 0, 0),
                              "opportunities": (1, 0, 0, 0), "stage_events": (4, 0, 0, 0),
                              "touchpoints": (1, 0, 0, 0)}
    assert con.execute("select lead_id, account_name, primary_campaign_id, is_closed, is_won from opportunities"
                       ).fetchone() == ("salesforce:00QA", "Acme", "salesforce:701A", True, False)
    assert entries(con, "salesforce:00QA") == [("lead", False), ("sql", False), ("opportunity", False),
                                               ("lost", False)]
    # The member's touch: first response time, the campaign's type as channel.
    assert con.execute("select touchpoint_id, lead_id, campaign_id, channel, touch_type, touched_at, source_id "
                       "from touchpoints").fetchone() == (
        1, "salesforce:00QA", "salesforce:701A", "Webinar", "campaign_member", datetime(2026, 1, 5, 11), "00vA")
    again = load(con, prepare(con.cursor(), preset("salesforce"), files), "strict", ADMIN)
    assert counts(again)["touchpoints"] == (0, 0, 1, 0)


def test_keep_when_reads_one_pipeline_and_counts_the_rest(con):
    one_pipeline = parse_spec(preset_text("hubspot") + '\n[files.keep_when]\nPipeline = ["Sales Pipeline"]\n',
                              "hubspot_sales_only.toml")
    deals = DEALS + "9004,Renewal,Renewals,Closed Won,800,2026-01-20,2026-01-25,101\n"
    plan = prepare(con.cursor(), one_pipeline, [SourceFile("deals.csv", deals.encode())])
    note = dict(zip(plan.summary["file"], plan.summary["note"]))["deals.csv"]
    assert note.startswith("1 skipped: Pipeline is not 'Sales Pipeline'; not in the file (left empty): ")
    # Deals 9001 and 9003 name contacts this import does not hold (no contacts file), so they are problems;
    # 9002 has none and loads with a made-up lead; 9004 was skipped, not checked.
    assert sorted(plan.problems["value"]) == ["101", "103"]
    assert len(plan.tables["opportunities"].frame) == 1
