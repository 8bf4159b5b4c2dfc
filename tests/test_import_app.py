"""The Data page through AppTest: reachable on an empty store, upload and preview, load, problems and
quarantine, the load log; and the trust badge under the Funnel's tiles. Numbers from the mini CRM
export of tests/import_fixture.py."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from data import db
from import_fixture import LEADS, MAPPING, SALESFORCE, files, import_mini

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def start(monkeypatch, path: Path, query: dict | None = None) -> AppTest:
    monkeypatch.setenv("TANDEM_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query or {})
    return at.run()


def open_data_page(at: AppTest) -> AppTest:
    return at.switch_page("views/data.py").run()


def upload_mini(at: AppTest, **overrides: str) -> AppTest:
    at.segmented_control(key="data_source").set_value("Mapping file").run()
    at.file_uploader(key="data_mapping").set_value(("mini.toml", MAPPING.encode(), "application/toml")).run()
    uploads = [(f.name, f.data, "text/csv") for f in files(**overrides)]
    return at.file_uploader(key="data_files_mapping_file").set_value(uploads).run()


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def empty_store(tmp_path) -> Path:
    # A file of its own per test: DuckDB will not open one file twice in a process with different settings.
    path = tmp_path / "empty.duckdb"
    db.open_store(path).close()
    return path


def test_an_empty_store_opens_on_the_data_page_and_other_pages_say_why_they_are_empty(monkeypatch, empty_store):
    at = start(monkeypatch, empty_store)
    assert not at.exception
    assert at.title[0].value == "Data"
    assert any("No leads yet" in i.value for i in at.info)
    at = at.switch_page("views/funnel.py").run()
    assert not at.exception
    assert "holds no leads yet, so there is nothing to show here" in at.info[0].value


def test_after_a_load_the_page_stays_and_the_sidebar_opens_on_the_new_data(monkeypatch, empty_store):
    at = upload_mini(start(monkeypatch, empty_store))
    at.button(key="data_confirm").click().run()
    assert not at.exception
    assert at.title[0].value == "Data" and at.success[0].value.startswith("Loaded as load 1")
    # The data runs 5 Jan to 15 Feb 2026 (L2's creation to D1's win): the default window is the six months to the
    # last day, cut at the first.
    assert at.date_input(key="f_dates").value == (date(2026, 1, 5), date(2026, 2, 15))
    at.date_input(key="f_dates").set_value((date(2026, 2, 1), date(2026, 2, 15))).run()
    # A newer export adds a lead on 9 Mar: the range opens on the new last day, not on the one picked before.
    newer = LEADS + "L5,2026-03-09,Partners,,eve@beta.test,Beta,SMB,,,open,2026-03-09\n"
    at = upload_mini(at, leads=newer)
    at.button(key="data_confirm").click().run()
    assert at.success[0].value.startswith("Loaded as load 2")
    assert at.date_input(key="f_dates").value == (date(2026, 1, 5), date(2026, 3, 9))
    # The whole-range button picks every day the data covers.
    at.date_input(key="f_dates").set_value((date(2026, 3, 1), date(2026, 3, 9))).run()
    at.button(key="f_all_dates").click().run()
    assert at.date_input(key="f_dates").value == (date(2026, 1, 5), date(2026, 3, 9))
    # What a load did opens on the newest load.
    assert at.selectbox(key="data_load_id").value == 2


def test_each_source_keeps_its_own_files(monkeypatch, empty_store):
    at = open_data_page(start(monkeypatch, empty_store))
    at.file_uploader(key="data_files_salesforce").set_value([("Lead.csv", b"Id\n", "text/csv")]).run()
    at.segmented_control(key="data_source").set_value("Mapping file").run()
    assert at.file_uploader(key="data_files_mapping_file").value in (None, [])
    assert any("Add the export's files" in c.value for c in at.caption)


def test_upload_preview_and_load_through_the_page(monkeypatch, empty_store):
    at = upload_mini(open_data_page(start(monkeypatch, empty_store)))
    assert not at.exception
    assert [s.value for s in at.success] == ["No problems found."]
    summary, counts = at.dataframe[0].value, at.dataframe[1].value
    assert summary["file"].tolist() == ["campaigns.csv", "leads.csv", "deals.csv"]
    # What loading would do: 5 leads (4 + D2's made-up one), 13 stage entries, all new.
    assert dict(zip(counts["table"], counts["inserted"])) == {
        "campaigns": 2, "leads": 5, "opportunities": 2, "stage_events": 13, "campaign_spend": 5}
    assert not at.button(key="data_confirm").disabled
    at.button(key="data_confirm").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Loaded as load 1")
    # The trust panel now reads the store (see test_import_trust.py for the arithmetic).
    assert tiles(at)["Leads without source or campaign"] == "40.0%"
    assert tiles(at)["Opportunities without a lead"] == "50.0%"
    assert tiles(at)["Leads with an estimated stage time"] == "40.0%"
    log = at.dataframe[-3].value  # the load log, what the selected load did per table, the audit log
    assert log["preset"].tolist() == ["Mini CRM"] and log["inserted"].tolist() == [27]
    audit = at.dataframe[-1].value  # the admin's audit log: the import, by the open demo's first principal
    assert audit[["actor", "actor_role", "action", "entity"]].values.tolist() == [
        ["demo-admin", "admin", "data.import", "data_loads"]]


def test_problems_block_the_load_until_quarantine_is_chosen(monkeypatch, empty_store):
    bad = LEADS + "L6,someday,Web,,,Zeta,SMB,,,open,2026-01-20\n"
    at = upload_mini(open_data_page(start(monkeypatch, empty_store)), leads=bad)
    assert at.warning[0].value.startswith("1 problem in 1 row. ")
    problems = at.dataframe[1].value
    assert problems[["file", "row", "column", "value"]].values.tolist() == [["leads.csv", 6, "created", "someday"]]
    assert at.button(key="data_confirm").disabled
    at.toggle(key="data_quarantine").set_value(True).run()
    assert not at.button(key="data_confirm").disabled
    at.button(key="data_confirm").click().run()
    assert "1 bad row kept in quarantine" in at.success[0].value
    quarantine = at.dataframe[-2].value  # then the audit log
    assert quarantine[["file_name", "cell_value"]].values.tolist() == [["leads.csv", "someday"]]
    # The same files again keep the same row out again, as a load of their own; the quarantine opens on it.
    assert "loading them again changes no record. Its 1 bad row would be kept in quarantine again." in at.info[0].value
    at.button(key="data_confirm").click().run()
    assert at.selectbox(key="data_quarantine_load").value == 2
    assert at.selectbox(key="data_quarantine_load").options == ["Load 2 (1 row)", "Load 1 (1 row)"]
    assert len(at.dataframe[-2].value) == 1
    # A new session opens the quarantine on the newest load that kept rows out.
    at = open_data_page(start(monkeypatch, empty_store))
    assert not at.exception
    assert at.selectbox(key="data_quarantine_load").value == 2
    assert at.dataframe[-2].value[["load_id", "cell_value"]].values.tolist() == [[2, "someday"]]


def test_a_broken_mapping_file_is_explained(monkeypatch, empty_store):
    at = open_data_page(start(monkeypatch, empty_store))
    at.segmented_control(key="data_source").set_value("Mapping file").run()
    at.file_uploader(key="data_mapping").set_value(("bad.toml", b"source_system = 'x'\n", "application/toml")).run()
    at.file_uploader(key="data_files_mapping_file").set_value([("leads.csv", LEADS.encode(), "text/csv")]).run()
    assert "bad.toml: needs at least one [[files]] section" in at.error[0].value


@pytest.mark.skipif(not SALESFORCE.exists(), reason=f"{SALESFORCE} is absent (see shared/realdata/PROVENANCE.md)")
def test_a_salesforce_export_zip_through_the_preset(monkeypatch, empty_store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(SALESFORCE.iterdir()):
            archive.write(path, f"WE_00D46000000qE0x_1/{path.name}")
    at = open_data_page(start(monkeypatch, empty_store))
    at.file_uploader(key="data_files_salesforce").set_value(
        [("WE_export.zip", buffer.getvalue(), "application/zip")]).run()
    counts = at.dataframe[1].value
    assert dict(zip(counts["table"], counts["inserted"]))["opportunities"] == 31
    at.button(key="data_confirm").click().run()
    assert at.success[0].value.startswith("Loaded as load 1")


def test_the_funnel_carries_the_trust_badge(monkeypatch, tmp_path):
    path = tmp_path / "funnel.duckdb"
    con = db.open_store(path)
    import_mini(con)
    con.close()
    at = start(monkeypatch, path, {"start": "2026-01-01", "end": "2026-02-28"})
    assert not at.exception
    badge = next(c.value for c in at.caption if c.value.startswith("Data trust"))
    # Jan-Feb: 2 of 5 leads unattributed, 2 of 5 with a skipped stage, 2 of 5 with an estimated entry.
    assert "leads without source or campaign: 40.0%" in badge
    assert "leads with a skipped stage: 40.0%" in badge
    assert "leads with an estimated stage time: 40.0%" in badge


def test_preview_tables_show_amounts_to_the_cent_and_whole_numbers_whole():
    import pandas as pd

    from ui.data_views import for_display

    shown = for_display(pd.DataFrame({"spend_amount": [1958.333333, 12.5, None], "amount": [1054.0, None, 0.0],
                                      "rows": [3, 4, 5]}))
    assert shown["spend_amount"].tolist() == ["1958.33", "12.50", ""]
    assert shown["amount"].tolist() == ["1054", "", "0"]
    assert shown["rows"].tolist() == [3, 4, 5]
