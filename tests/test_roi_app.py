"""The Campaign ROI page through AppTest, on tests/attribution_fixture.py; numbers from the fixture's story
(worked out in test_attribution.py and test_roi.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from attribution_fixture import build_attribution_fixture
from import_fixture import import_mini, new_store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "views/campaigns.py"
Q1 = {"start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture(scope="module")
def app_db(tmp_path_factory) -> Path:
    # A file of its own: DuckDB will not open one file twice in a process with different settings.
    path = tmp_path_factory.mktemp("roi_app") / "roi_app.duckdb"
    build_attribution_fixture(path)
    return path


def start(monkeypatch, db_path, query=Q1) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_numbers(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    assert at.title[0].value == "Campaign ROI"
    shown = tiles(at)
    # Spend 1,550; attributed won revenue 16,500 (D9's 700 has no touch) -> ROI 9.6x, ROAS 10.6x (W-shaped
    # by default; the total does not depend on the model). 6 new customers; blended CAC 37,550 / 6.
    assert shown["Campaign spend"] == "$1.6k"
    assert shown["ROI"] == "9.6×" and any("under W-shaped" in c.value for c in at.caption)
    assert shown["ROAS"] == "10.6×"
    assert shown["New customers"] == "6" and shown["Blended CAC"] == "$6.3k"
    # Sourced and influenced side by side: pipeline 23,500 / 26,500, revenue 13,500 / 16,500.
    assert (shown["Sourced pipeline"], shown["Influenced pipeline"]) == ("$23.5k", "$26.5k")
    assert (shown["Sourced revenue"], shown["Influenced revenue"]) == ("$13.5k", "$16.5k")
    assert any("$700 of the $17.2k won has no touch" in c.value for c in at.caption)


def test_channel_table_follows_the_model(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    channels = at.dataframe[0].value
    assert dict(zip(channels["Channel"], channels["Won revenue ($)"])) == {
        "Paid Search": 7300.0, "Webinars": 5300.0, "Email": 3900.0}
    # Webinars (4 won deals touched) and Email (2) are under the default minimum of 5.
    assert any("rests on fewer than 5 won deals" in w.value for w in at.warning)
    at.selectbox(key="campaigns_model").set_value("first_touch").run()
    channels = at.dataframe[0].value
    assert dict(zip(channels["Channel"], channels["Won revenue ($)"])) == {
        "Paid Search": 16000.0, "Webinars": 500.0, "Email": 0.0}
    assert dict(zip(channels["Channel"], channels["CAC"]))["Paid Search"] == "$250"


def test_drill_down_channel_campaign_deal_path(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    at.selectbox(key="campaigns_channel").set_value("Paid Search").run()
    campaigns = at.dataframe[1].value
    assert campaigns["Campaign"].tolist() == ["Search ads"]
    deals = at.dataframe[2].value
    # cA's W credit per won deal, largest first: D4 3,500 ... D5 333.34.
    assert deals["Opportunity id"].tolist() == ["D4", "D3", "D1", "D2", "D5"]
    path = at.dataframe[3].value
    assert path["Touchpoint id"].tolist() == [7, 8, 9, 10, 11]
    assert path["Roles"].tolist() == ["First touch", "", "Lead conversion", "Opportunity creation", ""]
    assert path["Credit"].tolist() == [3000.0, 500.0, 3000.0, 3000.0, 500.0]
    at.selectbox(key="campaigns_deal").set_value("D2").run()
    assert at.dataframe[3].value["Credit"].round(2).tolist() == [666.66, 1333.34]
    at.segmented_control(key="campaigns_records").set_value("Leads").run()
    assert at.dataframe[2].value["Lead id"].tolist() == ["A10", "A9", "A1", "A2", "A4"]
    assert len(at.get("download_button")) == 3  # channel, campaign and leads CSV


def test_small_sample_minimum_is_configurable(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    at.number_input(key="campaigns_min_deals").set_value(2).run()
    assert not any("rests on fewer than" in w.value for w in at.warning)


@pytest.mark.parametrize("view", ["Model comparison", "Sourced vs influenced", "Spend over time", "Traffic",
                                  "Content"])
def test_every_view_renders(monkeypatch, app_db, view):
    at = start(monkeypatch, app_db)
    at.segmented_control(key="campaigns_view").set_value(view).run()
    assert not at.exception
    assert at.get("download_button")


def test_model_comparison_names_the_disputed_campaigns(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    at.segmented_control(key="campaigns_view").set_value("Model comparison").run()
    # The top five disagreements here are all three campaigns; Search ads swings most (first touch 16,000 vs
    # time decay 6,926.17).
    assert any("Search ads" in w.value and "First touch stands furthest" in w.value for w in at.warning)
    table = at.dataframe[0].value
    assert table.iloc[0]["Campaign name"] == "Search ads" and table.iloc[0]["First touch ($)"] == 16000.0


def test_traffic_view_numbers(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    at.segmented_control(key="campaigns_view").set_value("Traffic").run()
    table = at.dataframe[0].value
    assert table.iloc[0]["Channel"] == "All channels" and table.iloc[0]["Sessions"] == 350
    assert any(c.proto.id.endswith("campaigns_traffic_daily") for c in at.get("plotly_chart"))
    # Email has leads but no recorded traffic: a note, not an empty daily chart.
    at.selectbox(key="campaigns_traffic_channel").set_value("Email").run()
    assert not any(c.proto.id.endswith("campaigns_traffic_daily") for c in at.get("plotly_chart"))
    assert [i.value for i in at.info] == ["No website traffic is loaded for Email in this date range."]


def test_url_filters_reach_the_page(monkeypatch, app_db):
    # Enterprise holds one deal, D3 (won Feb 1): one new customer; spend stays whole, and the page says so.
    at = start(monkeypatch, app_db, {**Q1, "segment": "Enterprise"})
    assert tiles(at)["New customers"] == "1"
    assert any("cannot be split by segment" in w.value for w in at.warning)


def test_an_empty_range_gives_dashes_not_errors(monkeypatch, app_db):
    at = start(monkeypatch, app_db, {"start": "2025-06-01", "end": "2025-06-30"})
    assert tiles(at)["Campaign spend"] == "$0" and tiles(at)["ROI"] == "–"
    for view in ("Model comparison", "Sourced vs influenced", "Traffic", "Content"):
        at.segmented_control(key="campaigns_view").set_value(view).run()
        assert not at.exception
        assert at.info, view


# --- a store holding only an import: no demo, no touches, web traffic, costs or sales verdicts ------------------
#
# tests/import_fixture.py's mini CRM export, its leads without MQL or SAL dates, as a CRM without marketing stages
# exports them. Q1 2026:
#   Spring webinar (Webinars) spent 400, its lead L1 became D1 (1,000, created Jan 15, won Feb 15);
#   Brand search (Paid Search) spent 90, its lead L4 was disqualified;
#   no campaign: L2 and D2's made-up lead (Webinars-less, channel "(none)"; D2 500, created Feb 10, open) and L3
#   (Paid Search), whose "working" status is an SAL entry of its own.
# L1, L3 and D2's lead count as MQLs by the skipped-stage rule, but none ever entered MQL: sales gave no verdict.
# No touch: nothing is attributed, so both campaigns' ROI is (0 - spend) / spend = -1.
IMPORTED_LEADS = """id,created,source,campaign,email,company,segment,mql_date,sal_date,status,modified
L1,2026-01-05,Webinars,C1,ann@acme.test,Acme,SMB,,,open,2026-01-20
L2,2026-01-05,,,bob@acme.test,Acme,SMB,,,open,2026-01-20
L3,2026-01-10,Paid Search,,cy@acme.test,Acme,Enterprise,,,working,2026-01-21
L4,2026-02-01,,C2,,Acme,SMB,,,lost,2026-02-03
"""


@pytest.fixture(scope="module")
def imported_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("roi_imported") / "imported.duckdb"
    con = new_store(path)
    import_mini(con, leads=IMPORTED_LEADS)
    con.close()
    return path


def chart(at: AppTest, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith(key)).proto.spec)


def values(array) -> list:
    """A figure's array as a list: Plotly sends numeric arrays as base64 bytes with their dtype."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def test_imported_store_tables_show_dashes_not_none(monkeypatch, imported_db):
    at = start(monkeypatch, imported_db)
    for table in (at.dataframe[0].value, at.dataframe[1].value):
        # Every ratio without a denominator is text "–": no missing value is left for Streamlit to print as None.
        assert not table.isna().any().any(), table[table.isna().any(axis=1)]
    campaigns = at.dataframe[1].value.set_index("Campaign")
    brand = campaigns.loc["Brand search"]
    # 90 spent, one lead, no MQL, no won deal: ROI -1.0x, cost per lead $90, the rest has no denominator.
    assert (brand["ROI"], brand["ROAS"], brand["Cost / lead"]) == ("-1.0×", "0.0×", "$90")
    assert (brand["CAC"], brand["Cost / MQL"], brand["Rating"]) == ("–", "–", "–")
    at.segmented_control(key="campaigns_view").set_value("Traffic").run()
    traffic = at.dataframe[0].value
    assert not traffic.isna().any().any()
    assert traffic.iloc[0][["Sessions", "Leads", "Session → lead", "Engagement rate"]].tolist() == [0, 5, "–", "–"]


def test_no_verdict_means_no_acceptance_or_rejection_share(monkeypatch, imported_db):
    at = start(monkeypatch, imported_db)
    campaigns = at.dataframe[1].value
    # Three rows have an MQL (inferred from a later stage) but no verdict; before, each read 100% accepted, 0%
    # rejected.
    assert campaigns["MQLs"].tolist().count(1) == 3
    assert set(campaigns["Accepted"]) == set(campaigns["Rejected"]) == {"–"}


def test_sourced_view_says_no_touch_is_loaded(monkeypatch, imported_db):
    at = start(monkeypatch, imported_db)
    at.segmented_control(key="campaigns_view").set_value("Sourced vs influenced").run()
    # D1 and D2 were created in Q1, D1 won: deals there are, touches there are none.
    [info] = at.info
    assert info.value.startswith("In this date range 2 opportunities were created and 1 won")
    assert "no marketing touch is loaded" in info.value
    assert "No opportunity was created" not in info.value
    # A range with no deal at all says that instead.
    at = start(monkeypatch, imported_db, {"start": "2025-06-01", "end": "2025-06-30"})
    at.segmented_control(key="campaigns_view").set_value("Sourced vs influenced").run()
    assert [i.value for i in at.info] == ["No opportunity was created or won in this date range."]


def test_blended_cac_waits_for_the_costs_it_names(monkeypatch, imported_db, app_db):
    at = start(monkeypatch, imported_db)
    shown = tiles(at)
    # One new customer (D1) and 490 of campaign spend: program CAC $490. No marketing or sales cost is loaded,
    # so blended CAC, which would read the same $490, shows a dash and says why.
    assert (shown["New customers"], shown["Program CAC"], shown["Blended CAC"]) == ("1", "$490", "–")
    assert any(c.value == "no marketing or sales cost loaded for this range" for c in at.caption)
    # With both sides' costs (the attribution fixture) the tile says what it adds up.
    at = start(monkeypatch, app_db)
    assert tiles(at)["Blended CAC"] == "$6.3k"
    assert any(c.value == "campaign spend + all marketing and sales cost" for c in at.caption)


def test_roi_labels_of_losses_stay_off_the_campaign_names(monkeypatch, imported_db):
    at = start(monkeypatch, imported_db)
    bars, labels = chart(at, "campaigns_roi_chart")["data"]
    assert values(bars["x"]) == [-1.0, -1.0] and "text" not in bars
    # A loss's label starts right of the zero line, on the side away from the names on the axis.
    assert labels["text"] == ["-1.0× · ROAS 0.0× · 0 won deals (too few)"] * 2
    assert min(values(labels["x"])) > 0 and labels["textposition"] == "middle right"


def test_empty_charts_give_way_to_a_note(monkeypatch, imported_db):
    at = start(monkeypatch, imported_db)
    assert not any(c.proto.id.endswith("campaigns_cost_chart") for c in at.get("plotly_chart"))
    assert any("Cheap leads, rejected by sales?" in i.value and "sales gave no verdict" in i.value for i in at.info)
    at.segmented_control(key="campaigns_view").set_value("Traffic").run()
    assert not at.get("plotly_chart")
    assert any(i.value.startswith("No website traffic is loaded for this date range") for i in at.info)
