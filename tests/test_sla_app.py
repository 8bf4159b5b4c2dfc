"""The SLA ledger page through AppTest, on the hand-made feedback fixture (feedback_fixture.py): both sides'
promises for March, the breach drill-down, and policy edits by a manager."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from feedback_fixture import build_feedback_fixture

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sla_app") / "template.duckdb"
    build_feedback_fixture(path)
    return path


@pytest.fixture
def app_db(template, tmp_path) -> Path:
    path = tmp_path / "sla_app.duckdb"  # each test its own file: some edit the policy
    shutil.copy(template, path)
    return path


def start(monkeypatch, db_path, rep_id: str = "sdr1", query=MARCH) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(db_path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.session_state["acting_as"] = rep_id
    at.run()
    at.switch_page("views/sla.py").run()
    assert not at.exception
    return at


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_both_sides_promises_for_march(monkeypatch, app_db):
    # See test_sla_metrics.py: 4 of 6 due MQLs touched within 15 minutes (P50 8, P95 15.6), M3 late, M5 never;
    # 7 MQLs delivered against 10; 1 of 5 worked MQLs accepted against half.
    at = start(monkeypatch, app_db)
    assert at.title[0].value == "SLA ledger"
    assert tiles(at) == {"Within 15 min": "66.7%", "P50 / P95 (min)": "8 / 16", "Breaches": "2",
                         "MQLs delivered": "7 of 10", "Accepted (promise 50%)": "20.0%"}
    errors = [e.value for e in at.error]
    assert "First touch on MQLs: not kept, 2 more MQLs needed a first touch in time" in errors
    assert "MQLs delivered per month: not kept, 3 MQLs short" in errors
    assert "MQL acceptance rate: not kept, 2 more accepted MQLs needed" in errors


def test_breach_drill_down(monkeypatch, app_db):
    at = start(monkeypatch, app_db)
    # Every team has fewer than 30 MQLs due, so none is named slowest and the table starts with all breaches.
    assert not at.warning
    assert at.selectbox(key="sla_records_value").value == "All"
    records = at.dataframe[0].value
    assert records["Lead"].tolist() == ["M5", "M3"] and records["Breach"].tolist() == ["not touched", "late"]
    at.selectbox(key="sla_records_value").set_value("SDR Beta").run()
    assert at.dataframe[0].value["Lead"].tolist() == ["M5", "M3"]
    at.selectbox(key="sla_dimension").set_value("channel").run()
    assert not at.exception
    assert at.selectbox(key="sla_records_value").options == ["All", "Paid Social", "Webinars"]


def test_policy_is_edited_by_admins_only(monkeypatch, app_db):
    rep = start(monkeypatch, app_db, "sdr1")
    assert any("Admins edit the policy" in c.value for c in rep.caption)
    assert not any(b.label == "Save policy" for b in rep.button)

    manager = start(monkeypatch, app_db, "mgr1")
    manager.number_input(key="sla_start_sla-first-touch").set_value(17)
    manager.number_input(key="sla_end_sla-first-touch").set_value(9)
    next(b for b in manager.button if b.label == "Save policy").click().run()
    assert manager.error[-1].value == "business hours must start before they end; got 17 to 9."

    # 20 minutes, Saturdays count: within M1 4, M2 8, M7 10 -> 3 of 6 (M3 now 497 minutes, M4 305).
    manager = start(monkeypatch, app_db, "mgr1")
    manager.number_input(key="sla_threshold_sla-first-touch").set_value(20.0)
    manager.multiselect(key="sla_days_sla-first-touch").select(6)
    next(b for b in manager.button if b.label == "Save policy").click().run()
    assert not manager.exception
    assert "First touch on MQLs: 2 field(s) changed by Max Manager." in manager.success[0].value
    assert tiles(manager)["Within 20 min"] == "50.0%"
    changes = manager.dataframe[-1].value
    assert sorted(changes["Field"]) == ["business_days", "threshold"]


def test_no_data_in_range_still_shows_the_promises(monkeypatch, app_db):
    at = start(monkeypatch, app_db, query={"start": "2026-07-01", "end": "2026-07-31"})
    assert tiles(at)["MQLs delivered"] == "0 of 10"
    assert tiles(at)["Within 15 min"] == "–"
    # No MQL fell due or was worked: the rates are not judged; the volume is 10 short.
    assert [i.value for i in at.info][:2] == ["First touch on MQLs: not judged, no MQL fell due in the range.",
                                              "MQL acceptance rate: not judged, no MQL was worked in the range."]
    assert [e.value for e in at.error] == ["MQLs delivered per month: not kept, 10 MQLs short"]
