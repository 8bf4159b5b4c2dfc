"""Every page through Streamlit's AppTest, on the hand-made fixture (see conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import build_funnel_fixture

APP = str(Path(__file__).resolve().parent.parent / "app.py")
Q1 = {"start": "2026-01-01", "end": "2026-03-31"}


@pytest.fixture(scope="module")
def app_db(tmp_path_factory) -> Path:
    # A file of its own: DuckDB will not open one file twice in a process with different settings.
    path = tmp_path_factory.mktemp("app") / "app.duckdb"
    build_funnel_fixture(path)
    return path


def start(monkeypatch, db_path, query=Q1) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(query)
    return at.run()


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_funnel_page_shows_the_fixture_numbers(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    assert not at.exception
    assert at.title[0].value == "Funnel"
    # Q1, period basis: 7 leads, 7 MQLs, 4 SALs, 3 SQLs, 2 opportunities, 1 won (see conftest).
    assert tiles(at) == {"Lead": "7", "MQL": "7", "SAL": "4", "SQL": "3", "Opportunity": "2", "Won": "1"}
    waterfall = at.dataframe[0].value  # the waterfall table
    assert waterfall["Volume"].tolist() == [7, 7, 4, 3, 2, 1]
    assert waterfall["% of previous"].iloc[2] == f"{4 / 7:.1%}"


def test_url_filters_reach_the_metrics(monkeypatch, app_db):
    # Enterprise leads are L3 and L4: 2 leads, 2 MQLs, 1 SAL (inferred), 1 SQL.
    at = start(monkeypatch, app_db, {**Q1, "segment": "Enterprise"})
    assert at.multiselect(key="f_segment").value == ["Enterprise"]
    assert tiles(at)["Lead"] == "2" and tiles(at)["SQL"] == "1"


def test_url_is_cleaned_and_kept_in_step(monkeypatch, app_db):
    # Unknown values are dropped and the URL rewritten, so a shared link shows what the page shows.
    # (Changing a sidebar widget is tested in the browser: AppTest reruns only the page script.)
    at = start(monkeypatch, app_db, {**Q1, "channel": "Webinars,Telegraph"})
    assert at.multiselect(key="f_channel").value == ["Webinars"]
    assert at.query_params["channel"] == "Webinars"
    # Webinars in Q1 (period): leads L1 L2 L6 = 3; MQLs L1 L2 L6 L7 = 4.
    assert tiles(at)["Lead"] == "3" and tiles(at)["MQL"] == "4"


def test_cohort_basis_and_immature_warning(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    at.segmented_control(key="funnel_basis").set_value("Cohort").run()
    # Cohort within 90 days: 7, 6, 3, 3, 2, 1; the cohort ends on Mar 31, so read today it has matured,
    # but a 730-day window has not.
    assert tiles(at) == {"Lead": "7", "MQL": "6", "SAL": "3", "SQL": "3", "Opportunity": "2", "Won": "1"}
    at.number_input(key="funnel_window").set_value(730).run()
    assert any("Immature cohort" in w.value for w in at.warning)


def charts(at: AppTest) -> list:
    return at.get("plotly_chart")


def test_explore_views_open_on_request(monkeypatch, app_db):
    # At first only the funnel is drawn; the caption says what each view holds.
    at = start(monkeypatch, app_db)
    assert len(charts(at)) == 1
    assert at.segmented_control(key="funnel_view").value is None
    assert any("**Trend**" in c.value and "**Records**" in c.value for c in at.caption)
    at.segmented_control(key="funnel_view").set_value("Trend").run()
    assert len(charts(at)) == 2
    # The open view survives a rerun (a filter change), and closing it draws the funnel alone again.
    at.run()
    assert len(charts(at)) == 2
    at.segmented_control(key="funnel_view").set_value(None).run()
    assert len(charts(at)) == 1


@pytest.mark.parametrize("view, drawn", [("Trend", 2), ("Breakdown", 2), ("Time in stage", 2), ("Records", 1)])
def test_every_explore_view_renders(monkeypatch, app_db, view, drawn):
    at = start(monkeypatch, app_db)
    at.segmented_control(key="funnel_view").set_value(view).run()
    assert not at.exception
    assert len(charts(at)) == drawn


def test_breakdown_and_drill_through(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    at.segmented_control(key="funnel_view").set_value("Records").run()
    at.selectbox(key="funnel_stage").set_value("rejected").run()
    records = at.dataframe[1].value  # [0] is the waterfall
    assert records["Lead id"].tolist() == ["L3"]
    assert at.get("download_button")  # the CSV of the same rows
    at.segmented_control(key="funnel_view").set_value("Breakdown").run()
    at.selectbox(key="funnel_dimension").set_value("segment").run()
    assert not at.exception


def test_empty_filters_give_a_sentence(monkeypatch, app_db):
    at = start(monkeypatch, app_db, {"start": "2025-01-01", "end": "2025-01-31"})
    assert not at.exception
    assert any("No records match these filters" in i.value for i in at.info)


def test_definitions_page_lists_every_metric(monkeypatch, app_db):
    from metrics import REGISTRY

    at = start(monkeypatch, app_db)
    at.switch_page("views/definitions.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["Name"]) == set(REGISTRY)
    at.text_input(key="definitions_search").input("win rate").run()
    found = at.dataframe[0].value
    assert found["Name"].iloc[0] == "win_rate" and len(found) < len(REGISTRY)
    assert all("win rate" in (m + " " + d).lower() for m, d in zip(found["Metric"], found["Definition"]))


def test_corrupt_store_gives_a_clear_message(monkeypatch, tmp_path):
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"this is not a database" * 100)
    at = start(monkeypatch, broken)
    assert not at.exception
    assert str(broken) in at.error[0].value and "Move it aside" in at.error[0].value


def test_first_start_builds_the_demo(monkeypatch, tmp_path):
    from ui import store

    monkeypatch.setattr(store, "DEMO_LEADS", 2000)  # the real first start builds 50,000; same code path
    fresh = tmp_path / "new" / "tandem.duckdb"
    fresh.parent.mkdir()
    at = start(monkeypatch, fresh, {})
    assert not at.exception
    assert fresh.exists()
    assert int(tiles(at)["Lead"].replace(",", "")) > 0
