"""The Campaign ROI page through AppTest, on tests/attribution_fixture.py; numbers from the fixture's story
(worked out in test_attribution.py and test_roi.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from attribution_fixture import build_attribution_fixture

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
    assert dict(zip(channels["Channel"], channels["CAC ($)"]))["Paid Search"] == 250.0


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
