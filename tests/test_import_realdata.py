"""The real samples in ../shared/realdata end to end, every count checked against the files themselves
(read here with the csv module, independently of the importer)."""

from __future__ import annotations

import csv
from datetime import date, datetime

import pytest

from data.access import shell_principal
from data.importers import from_paths, load, load_spec, prepare, preset
from import_fixture import MAVEN, MAVEN_MAPPING, SALESFORCE, counts, new_store, one
from metrics import get
from metrics.filters import Filters

ADMIN = shell_principal("test")  # imports are admins' (the command line acts as one)


def rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def con(tmp_path):
    connection = new_store(tmp_path / "real.duckdb")
    yield connection
    connection.close()


@pytest.mark.skipif(not SALESFORCE.exists(), reason=f"{SALESFORCE} is absent (see shared/realdata/PROVENANCE.md)")
def test_salesforce_sample_end_to_end(con):
    leads, opps = rows(SALESFORCE / "Lead.csv"), rows(SALESFORCE / "Opportunity.csv")
    history, campaigns = rows(SALESFORCE / "OpportunityHistory.csv"), rows(SALESFORCE / "Campaign.csv")
    accounts = {a["Id"]: a["Name"] for a in rows(SALESFORCE / "Account.csv")}
    assert (len(leads), len(opps), len(history), len(campaigns)) == (22, 31, 62, 4)  # as PROVENANCE.md says

    plan = prepare(con.cursor(), preset("salesforce"), from_paths([SALESFORCE]))
    assert plan.problems.empty
    summary = dict(zip(plan.summary["file"], plan.summary["used as"]))
    assert summary["Contact.csv"] == "not stored" and summary["Account.csv"] == "lookup: account"
    result = load(con, plan, "strict", ADMIN)

    # Every lead converted into no opportunity (ConvertedOpportunityId is the empty sentinel everywhere),
    # so each opportunity gets a made-up lead: 22 + 31 leads.
    assert all(lead["ConvertedOpportunityId"] == "000000000000000AAA" for lead in leads)
    # Spend: each campaign with an ActualCost spread over its days, start to end inclusive.
    spend_days = sum((date.fromisoformat(c["EndDate"][:10]) - date.fromisoformat(c["StartDate"][:10])).days + 1
                     for c in campaigns if c["ActualCost"])
    # Stage entries: a lead entry per lead (22 + 31); a status entry for every lead whose status names a
    # stage (Working - Contacted, Closed - Converted, Closed - Not Converted); an opportunity entry per
    # opportunity and a won entry per won one. The history's 62 rows repeat those (earliest kept).
    status_entries = sum(lead["Status"] != "Open - Not Contacted" for lead in leads)
    won = sum(o["IsWon"] == "1" for o in opps)
    assert (status_entries, won) == (19, 18)
    assert counts(result) == {
        "campaigns": (4, 0, 0, 0), "campaign_spend": (spend_days, 0, 0, 0), "leads": (22 + 31, 0, 0, 0),
        "opportunities": (31, 0, 0, 0), "stage_events": (22 + 31 + status_entries + 31 + won, 0, 0, 0),
        "touchpoints": (0, 0, 0, 0)}
    assert one(con, "select sum(spend_amount) from campaign_spend") == pytest.approx(
        sum(float(c["ActualCost"]) for c in campaigns if c["ActualCost"]))
    # Values against the files: amounts, won flags, account names from Account.csv, the sentinel as empty.
    stored = {r[0]: r[1:] for r in con.execute(
        "select source_id, amount, is_won, account_name, primary_campaign_id from opportunities").fetchall()}
    for o in opps:
        assert stored[o["Id"]] == (float(o["Amount"]), o["IsWon"] == "1", accounts[o["AccountId"]], None)
    assert one(con, "select sum(amount) from opportunities where is_won") == sum(
        float(o["Amount"]) for o in opps if o["IsWon"] == "1")
    # The 3 leads whose status says converted but IsConverted is 0: an estimated SQL entry each.
    assert one(con, "select count(*) from stage_events where stage = 'sql' and is_estimated") == 3
    # The funnel reads it: 18 won deals (all closed on their CloseDate).
    everything = Filters(date(2010, 1, 1), date(2026, 12, 31), as_of=date(2026, 12, 31))
    assert get("won_deals")(con.cursor(), everything)["value"].iloc[0] == 18
    # Loading the same export again changes nothing.
    again = load(con, prepare(con.cursor(), preset("salesforce"), from_paths([SALESFORCE])), "strict", ADMIN)
    assert again.counts[["inserted", "updated", "removed"]].to_numpy().sum() == 0


@pytest.mark.skipif(not MAVEN.exists(), reason=f"{MAVEN} is absent (see shared/realdata/PROVENANCE.md)")
def test_maven_sample_end_to_end_through_the_readme_mapping(con):
    deals = rows(MAVEN / "sales_pipeline.csv")
    by_stage = {stage: sum(d["deal_stage"] == stage for d in deals)
                for stage in ("Won", "Lost", "Engaging", "Prospecting")}
    assert len(deals) == 8800 and by_stage == {"Won": 4238, "Lost": 2473, "Engaging": 1589, "Prospecting": 500}

    plan = prepare(con.cursor(), load_spec(MAVEN_MAPPING), from_paths([MAVEN]))
    assert plan.problems.empty
    result = load(con, plan, "strict", ADMIN)
    # One made-up lead per deal; entries: lead + opportunity per deal, won or lost per closed deal.
    assert counts(result) == {"leads": (8800, 0, 0, 0), "opportunities": (8800, 0, 0, 0),
                              "stage_events": (8800 * 2 + by_stage["Won"] + by_stage["Lost"], 0, 0, 0)}
    assert one(con, "select count(*) from opportunities where is_won") == by_stage["Won"]
    assert one(con, "select count(*) from opportunities where is_closed and not is_won") == by_stage["Lost"]
    assert one(con, "select sum(amount) from opportunities where is_won") == sum(
        float(d["close_value"]) for d in deals if d["deal_stage"] == "Won")
    # Prospecting deals have no date: dated on 31 Dec 2017 by the mapping's default, their lead and
    # opportunity entries flagged estimated (2 x 500).
    assert one(con, "select count(*) from stage_events where is_estimated") == 2 * by_stage["Prospecting"]
    assert one(con, "select count(*) from opportunities as o join stage_events as e on e.opportunity_id = "
                    "o.opportunity_id and e.stage = 'opportunity' where e.is_estimated and o.created_at = ?",
               [datetime(2017, 12, 31)]) == by_stage["Prospecting"]
    # Open deals keep no close date.
    assert one(con, "select count(*) from opportunities where not is_closed and closed_at is not null") == 0
