"""Daily spend from a file (an ad platform's export) through a mapping: summed per campaign and day,
matched by campaign and day on a later load, checked like any other row. The mini CRM export of
tests/import_fixture.py gives the campaigns: C1 cost 400 over 10-13 Jan (100 a day), C2 cost 90 on 1 Jan."""

from __future__ import annotations

from datetime import date

import pytest

from data.access import shell_principal
from data.importers import ImportRejected, load, prepare
from data.importers.read import SourceFile
from data.importers.spec import parse_spec
from data.importers.write import preview_counts
from import_fixture import CAMPAIGNS, counts, files, import_mini, new_store, one
from import_fixture import SPEC as CRM

SPEND_MAPPING = """
name = "Mini ads"
source_system = "mini"

[[files]]
match = "*spend*.csv"
table = "campaign_spend"
[files.columns]
campaign_id = "campaign"
spend_date = "day"
spend_amount = "cost"
"""
SPEC = parse_spec(SPEND_MAPPING, "ads.toml")
ADMIN = shell_principal("test")
# C1 on 11 Jan in two rows (30 + 20: one per ad group) and on 14 Jan, a day its cost did not cover.
SPEND = "campaign,day,cost\nC1,2026-01-11,30\nC1,2026-01-11,20\nC1,2026-01-14,70\n"


@pytest.fixture
def con(tmp_path):
    connection = new_store(tmp_path / "spend.duckdb")
    import_mini(connection)
    yield connection
    connection.close()


def import_spend(con, text: str = SPEND, mode: str = "strict"):
    return load(con, prepare(con.cursor(), SPEC, [SourceFile("ads_spend.csv", text.encode())]), mode, ADMIN)


def spend(con, campaign: str) -> list[tuple[date, float]]:
    return con.execute("select spend_date, spend_amount from campaign_spend where campaign_id = ? order by 1",
                       [campaign]).fetchall()


def test_daily_spend_adds_up_per_day_and_leaves_other_days_alone(con):
    plan = prepare(con.cursor(), SPEC, [SourceFile("ads_spend.csv", SPEND.encode())])
    assert preview_counts(con.cursor(), plan).values.tolist() == [["campaign_spend", 1, 1, 0, 0]]
    result = import_spend(con)
    # Staged: C1 11 Jan = 50 (changed from 100), C1 14 Jan = 70 (new); 10, 12 and 13 Jan are not in the file.
    assert counts(result)["campaign_spend"] == (1, 1, 0, 0)
    assert spend(con, "mini:C1") == [(date(2026, 1, 10), 100.0), (date(2026, 1, 11), 50.0),
                                     (date(2026, 1, 12), 100.0), (date(2026, 1, 13), 100.0),
                                     (date(2026, 1, 14), 70.0)]
    assert spend(con, "mini:C2") == [(date(2026, 1, 1), 90.0)]
    # The same file again changes nothing.
    assert counts(import_spend(con))["campaign_spend"] == (0, 0, 2, 0)
    assert one(con, "select sum(spend_amount) from campaign_spend") == 100 + 50 + 100 + 100 + 70 + 90


def test_spend_rows_are_checked_like_any_other(con):
    bad = SPEND + "C9,2026-01-12,15\nC2,2026-01-02,-5\nC2,someday,5\n"
    plan = prepare(con.cursor(), SPEC, [SourceFile("ads_spend.csv", bad.encode())])
    found = plan.problems[["row", "column", "value"]].values.tolist()
    assert found == [[5, "campaign_id", "C9"], [6, "cost", "-5"], [7, "day", "someday"]]
    assert "refers to a campaign that is neither among this import's good rows nor in the store" in \
        plan.problems["reason"].iloc[0]
    with pytest.raises(ImportRejected, match="3 problems in 3 rows"):
        load(con, plan, "strict", ADMIN)
    assert one(con, "select sum(spend_amount) from campaign_spend") == 490
    # Quarantine: the good rows load, the three bad ones are kept out.
    result = import_spend(con, bad, "quarantine")
    assert result.quarantined_rows == 3 and counts(result)["campaign_spend"] == (1, 1, 0, 0)


def test_a_campaign_cost_and_a_daily_spend_file_together_load_nothing(tmp_path):
    both = parse_spec(SPEND_MAPPING + """
[[files]]
match = "campaigns.csv"
table = "campaigns"
[files.columns]
campaign_id = "id"
campaign_name = "name"
channel = "channel"
start_date = "start"
cost_amount = "cost"
""", "both.toml")
    con = new_store(tmp_path / "both.duckdb")
    try:
        plan = prepare(con.cursor(), both, [
            SourceFile("campaigns.csv", b"id,name,channel,start,cost\nC1,Webinar,Webinars,2026-01-10,400\n"),
            SourceFile("ads_spend.csv", SPEND.encode())])
        assert plan.blocked
        assert "map only one of them" in plan.problems["reason"].iloc[0]
    finally:
        con.close()


def test_a_later_campaign_cost_leaves_the_days_a_daily_file_gave(con):
    import_spend(con)
    # The CRM export again, C1 now costing 800: its cost is not spread over the days the daily file gave
    # (the preview and the load say so); C2, with no daily file, takes its new cost of 120 as before.
    newer = CAMPAIGNS.replace(",400", ",800").replace(",90", ",120")
    plan = prepare(con.cursor(), CRM, files(campaigns=newer))
    note = plan.summary.loc[plan.summary["used as"] == "campaign_spend", "note"].tolist()
    assert note == ["the cost of 1 campaign is not spread over its days: that spend came from a daily spend file, "
                    "which a cost does not replace"]
    preview = preview_counts(con.cursor(), plan).set_index("table").loc["campaign_spend"]
    assert preview[["inserted", "updated", "unchanged", "removed"]].tolist() == [0, 1, 0, 0]
    result = load(con, plan, "strict", ADMIN)
    assert counts(result)["campaign_spend"] == (0, 1, 0, 0)  # C2's one day: 90 -> 120
    assert spend(con, "mini:C1") == [(date(2026, 1, 10), 100.0), (date(2026, 1, 11), 50.0),
                                     (date(2026, 1, 12), 100.0), (date(2026, 1, 13), 100.0),
                                     (date(2026, 1, 14), 70.0)]
    assert spend(con, "mini:C2") == [(date(2026, 1, 1), 120.0)]


def test_a_spread_cost_previews_the_days_it_removes(con):
    # C1's cost now covers 10-11 Jan only: 12 and 13 Jan go, and the preview says so before the load does.
    shorter = CAMPAIGNS.replace("2026-01-10,2026-01-13,400", "2026-01-10,2026-01-11,400")
    plan = prepare(con.cursor(), CRM, files(campaigns=shorter))
    preview = preview_counts(con.cursor(), plan).set_index("table").loc["campaign_spend"]
    assert preview[["inserted", "updated", "unchanged", "removed"]].tolist() == [0, 2, 1, 2]
    assert counts(load(con, plan, "strict", ADMIN))["campaign_spend"] == (0, 2, 1, 2)
    assert spend(con, "mini:C1") == [(date(2026, 1, 10), 200.0), (date(2026, 1, 11), 200.0)]
