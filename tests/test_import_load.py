"""Loading the mini CRM export (tests/import_fixture.py): what lands where, that a second load of the
same export changes nothing, that a newer export updates by source ID and appends stage entries, and
that a load either writes everything or nothing."""

from __future__ import annotations

import threading
from datetime import datetime

import pandas as pd
import pytest

from data.access import shell_principal
from data.importers import ImportRejected, load, prepare
from data.importers import write as write_module
from data.importers.plan import Staged
from import_fixture import CAMPAIGNS, DEALS, LEADS, SPEC, counts, files, import_mini, new_store, one, snapshot

ADMIN = shell_principal("test")  # imports are admins' (the command line acts as one)


@pytest.fixture
def con(tmp_path):
    connection = new_store(tmp_path / "import.duckdb")
    yield connection
    connection.close()


def stages(con, lead_id: str) -> list[tuple[str, datetime, bool]]:
    return con.execute("select stage, entered_at, is_estimated from stage_events where lead_id = ? "
                       "order by entered_at, stage", [lead_id]).fetchall()


def test_first_load_writes_the_story(con):
    result = import_mini(con)
    # 2 campaigns; 5 spend days (C1 10-13 Jan, C2 1 Jan); 4 leads + 1 made up for D2; 2 deals; 13 entries.
    assert counts(result) == {"campaigns": (2, 0, 0, 0), "campaign_spend": (5, 0, 0, 0), "leads": (5, 0, 0, 0),
                              "opportunities": (2, 0, 0, 0), "stage_events": (13, 0, 0, 0)}
    assert con.execute("select campaign_id, spend_date::varchar, spend_amount from campaign_spend "
                       "order by 1, 2").fetchall() == [
        ("mini:C1", "2026-01-10", 100.0), ("mini:C1", "2026-01-11", 100.0), ("mini:C1", "2026-01-12", 100.0),
        ("mini:C1", "2026-01-13", 100.0), ("mini:C2", "2026-01-01", 90.0)]
    # IDs are <system>:<source id>; the source ID and system are kept.
    assert con.execute("select lead_id, source_system, source_id, is_synthetic from leads order by 1").fetchall() == [
        ("mini:L1", "mini", "L1", False), ("mini:L2", "mini", "L2", False), ("mini:L3", "mini", "L3", False),
        ("mini:L4", "mini", "L4", False), ("mini:opportunity:D2", "mini", "opportunity:D2", True)]
    # Day-first and month-first dates, a time of day, a quoted comma, a formula kept as text.
    assert con.execute("select created_at from leads where lead_id = 'mini:L2'").fetchone()[0] == datetime(2026, 1, 5)
    assert con.execute("select created_at, account_name from leads where lead_id = 'mini:L3'").fetchone() == (
        datetime(2026, 1, 10, 9, 30), "Acme, Inc.")
    assert one(con, "select account_name from leads where lead_id = 'mini:L4'") == '=HYPERLINK("x")'
    # L1: lead, MQL, SAL dated (its 'working' status adds nothing), its deal's opportunity and won entries.
    assert stages(con, "mini:L1") == [
        ("lead", datetime(2026, 1, 5), False), ("mql", datetime(2026, 1, 6), False),
        ("sal", datetime(2026, 1, 7), False), ("opportunity", datetime(2026, 1, 15), False),
        ("won", datetime(2026, 2, 15), False)]
    # L3's SAL comes from its status, dated by its last change: estimated. L4's disqualification likewise.
    assert stages(con, "mini:L3")[-1] == ("sal", datetime(2026, 1, 21), True)
    assert stages(con, "mini:L4")[-1] == ("disqualified", datetime(2026, 2, 3, 14, 5), True)
    # D2 is open: no close date kept, its made-up lead carries its entries.
    assert con.execute("select lead_id, is_closed, closed_at from opportunities where opportunity_id = 'mini:D2'"
                       ).fetchone() == ("mini:opportunity:D2", False, None)
    assert [s for s, _, _ in stages(con, "mini:opportunity:D2")] == ["lead", "opportunity"]
    # The e-mail is kept only as a hash of the lowercased address: L2 and L3 share one.
    assert one(con, "select count(distinct email_hash) from leads where lead_id in ('mini:L2', 'mini:L3')") == 1
    # The mart reflects the load: D1's 1,000 won on L1.
    assert con.execute("select won_amount, won_at from mart_lead_funnel where lead_id = 'mini:L1'").fetchone() == (
        1000.0, datetime(2026, 2, 15))
    log = con.execute("select loaded_by, source_system, preset, mode, row_count, file_names from data_loads").fetchall()
    assert log == [("test", "mini", "Mini CRM", "strict", 8, "campaigns.csv, deals.csv, leads.csv")]


def test_loading_the_same_export_again_changes_nothing(con):
    import_mini(con)
    before = snapshot(con)
    again = import_mini(con)
    assert counts(again) == {"campaigns": (0, 0, 2, 0), "campaign_spend": (0, 0, 5, 0), "leads": (0, 0, 5, 0),
                             "opportunities": (0, 0, 2, 0), "stage_events": (0, 0, 13, 0)}
    after = snapshot(con)
    # Only the log grew: one more load, with its per-table counts.
    for table in before:
        if table not in ("data_loads", "data_load_tables"):
            assert after[table] == before[table], table
    assert one(con, "select count(*) from data_loads") == 2
    assert one(con, "select count(*) from leads") == 5 and one(con, "select count(*) from opportunities") == 2


def test_a_newer_export_updates_by_source_id_and_appends_entries(con):
    import_mini(con)
    # Since the first export: L2 got a source and became an MQL on 1 Feb; D2 was won on 1 Mar for 600 and
    # now names its lead, the new L5; C1 cost 500 over the same days.
    newer_leads = LEADS.replace("L2,05/01/2026,,,BOB@acme.test,Acme,SMB,,,open",
                                "L2,05/01/2026,Events,,BOB@acme.test,Acme,SMB,2026-02-01,,open") \
        + "L5,2026-02-09,Partners,,eve@beta.test,Beta,SMB,,,open,2026-02-09\n"
    newer_deals = DEALS.replace("D2,,500,2026-02-10,,Open", "D2,L5,600,2026-02-10,2026-03-01,Won")
    newer_campaigns = CAMPAIGNS.replace(",400", ",500")
    result = import_mini(con, leads=newer_leads, deals=newer_deals, campaigns=newer_campaigns)
    # leads: L5 new, L2 changed (source), the other three the same; D2's made-up lead is replaced by L5.
    # opportunities: D2 changed. campaign_spend: C1's four days changed. Entries in the export: L1 3, L2 2,
    # L3 3, L4 2, L5 1, D1 2, D2 2 = 15; new are L2's MQL, L5's lead and D2's opportunity and won entries on
    # L5 (D2's old ones went with its made-up lead): 4 inserted, 11 unchanged.
    assert counts(result) == {
        "campaigns": (0, 0, 2, 0), "campaign_spend": (0, 4, 1, 0), "leads": (1, 1, 3, 0),
        "opportunities": (0, 1, 1, 0), "leads (made up, replaced by a real lead)": (0, 0, 0, 1),
        "stage_events": (4, 0, 11, 0)}
    assert one(con, "select source_channel from leads where lead_id = 'mini:L2'") == "Events"
    assert con.execute("select lead_id, amount, is_won, closed_at from opportunities where opportunity_id = 'mini:D2'"
                       ).fetchone() == ("mini:L5", 600.0, True, datetime(2026, 3, 1))
    assert one(con, "select count(*) from leads where is_synthetic") == 0
    assert one(con, "select count(*) from stage_events where lead_id = 'mini:opportunity:D2'") == 0
    assert [s for s, _, _ in stages(con, "mini:L5")] == ["lead", "opportunity", "won"]
    assert [s for s, _, _ in stages(con, "mini:L2")] == ["lead", "mql"]
    assert one(con, "select sum(spend_amount) from campaign_spend where campaign_id = 'mini:C1'") == 500.0
    # The mart follows: L5 carries D2's won 600.
    assert one(con, "select won_amount from mart_lead_funnel where lead_id = 'mini:L5'") == 600.0
    # Records matched by ID, never added twice (no index enforces it: data/migrations/009).
    assert one(con, "select count(*) - count(distinct lead_id) from leads") == 0
    assert one(con, "select count(*) - count(distinct opportunity_id) from opportunities") == 0


def test_a_column_missing_from_a_newer_export_is_not_erased(con):
    import_mini(con)
    # The next export leaves out the segment column: stored segments stay as they were.
    without_segment = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 6) if i == 0 else line
                                for i, line in enumerate(LEADS.splitlines()))
    plan = prepare(con.cursor(), SPEC, files(leads=without_segment.replace(",SMB,", ",").replace(",Enterprise,", ",")))
    assert plan.problems.empty
    load(con, plan, "strict", ADMIN)
    assert one(con, "select segment from leads where lead_id = 'mini:L3'") == "Enterprise"


def test_a_problem_anywhere_loads_nothing_by_default(con):
    import_mini(con)
    before = snapshot(con)
    # Row 4 (L3) of the newer export has a bad amount in its deal and a bad date: everything is refused.
    bad = DEALS + "D3,L3,lots,2026-02-30,,Open\n"
    plan = prepare(con.cursor(), SPEC, files(deals=bad))
    with pytest.raises(ImportRejected, match="Nothing was loaded: 2 problems in 1 rows"):
        load(con, plan, "strict", ADMIN)
    assert snapshot(con) == before


def test_quarantine_loads_the_good_rows_and_keeps_the_bad_with_their_dependants(con):
    # L6's created date is unreadable; D3 belongs to L6, so it cannot load either.
    bad_leads = LEADS + "L6,yesterday,Events,,,Zeta,SMB,,,open,2026-01-20\n"
    bad_deals = DEALS + "D3,L6,200,2026-02-01,,Open\n"
    plan = prepare(con.cursor(), SPEC, files(leads=bad_leads, deals=bad_deals))
    problems = plan.problems[["file", "row", "column", "value"]].astype("object").values.tolist()
    assert problems == [["deals.csv", 4, "lead_id", "L6"], ["leads.csv", 6, "created", "yesterday"]]
    assert "not a date in any of" in plan.problems["reason"].iloc[1]
    assert "neither among this import's good rows nor in the store" in plan.problems["reason"].iloc[0]
    result = load(con, plan, "quarantine", ADMIN)
    assert result.quarantined_rows == 2
    # The story loads as without the two rows.
    assert one(con, "select count(*) from leads") == 5 and one(con, "select count(*) from opportunities") == 2
    kept = con.execute("select file_name, row_number, column_name, cell_value, record_json from data_quarantine "
                       "order by file_name").fetchall()
    assert [k[:4] for k in kept] == [("deals.csv", 4, "lead_id", "L6"), ("leads.csv", 6, "created", "yesterday")]
    assert '"id":"D3"' in kept[0][4] and '"company":"Zeta"' in kept[1][4]
    assert one(con, "select quarantined_rows from data_loads") == 2


def test_a_failure_while_writing_rolls_everything_back(con, monkeypatch):
    import_mini(con)
    before = snapshot(con)

    def broken(cur, staged):
        raise RuntimeError("disk full while appending stage entries")

    # Campaigns, leads and deals are written before the entries: all of it must go back.
    monkeypatch.setattr(write_module, "_append_events", broken)
    newer = LEADS + "L7,2026-02-20,Events,,,Omega,SMB,,,open,2026-02-20\n"
    plan = prepare(con.cursor(), SPEC, files(leads=newer, campaigns=CAMPAIGNS.replace(",400", ",800")))
    with pytest.raises(RuntimeError, match="disk full"):
        load(con, plan, "strict", ADMIN)
    assert snapshot(con) == before
    # The connection is usable afterwards and the same plan loads once the fault is gone.
    monkeypatch.undo()
    load(con, plan, "strict", ADMIN)
    assert one(con, "select count(*) from leads where lead_id = 'mini:L7'") == 1


def test_a_stage_entry_is_new_unless_the_store_has_the_same_one(con):
    # The store has L's lead entry, a dated MQL and D1's opportunity entry.
    con.execute("insert into stage_events (lead_id, stage, entered_at, opportunity_id) values "
                "('L', 'lead', '2026-01-01', null), ('L', 'mql', '2026-01-05', null), "
                "('L', 'opportunity', '2026-01-10', 'D1')")
    staged = pd.DataFrame([
        # stage, entered_at, opportunity_id, is_estimated, new?
        ("mql", "2026-01-05", None, False, False),  # the same dated entry
        ("mql", "2026-02-05", None, False, True),  # dated at another moment: the lead qualified again
        ("mql", "2026-03-01", None, True, False),  # an estimate, and the lead has an MQL
        ("sal", "2026-03-01", None, True, True),  # an estimate of a stage the lead never entered
        ("lead", "2026-01-02", None, False, False),  # a lead enters once
        ("opportunity", "2026-01-12", "D1", False, False),  # D1 was created once
        ("opportunity", "2026-01-12", "D2", False, True),  # another deal
        ("opportunity", "2026-01-12", "D2", True, False),  # an estimate: the lead has an opportunity entry
        ("won", "2026-02-01", "D2", True, True),  # an estimate of a stage the lead never entered
    ], columns=["stage", "entered_at", "opportunity_id", "is_estimated", "new"]).assign(lead_id="L")
    staged["entered_at"] = pd.to_datetime(staged["entered_at"])
    cur = con.cursor()
    cur.execute("begin transaction")
    new, same = write_module._append_events(cur, Staged(staged.drop(columns="new")))
    added = cur.execute("select stage, entered_at, opportunity_id, is_estimated from stage_events "
                        "where (lead_id, stage, entered_at) not in (values ('L', 'lead', '2026-01-01'::timestamp), "
                        "('L', 'mql', '2026-01-05'), ('L', 'opportunity', '2026-01-10')) order by all").fetchall()
    cur.execute("rollback")
    expected = staged[staged["new"]]
    assert (new, same) == (len(expected), len(staged) - len(expected))
    assert added == [("mql", datetime(2026, 2, 5), None, False), ("opportunity", datetime(2026, 1, 12), "D2", False),
                     ("sal", datetime(2026, 3, 1), None, True), ("won", datetime(2026, 2, 1), "D2", True)]


@pytest.mark.parametrize(("leads", "deals", "where", "reason"), [
    # (file, row, column, value) and a fragment of the reason, per kind of problem.
    (LEADS + "L8,2026-01-02,,,,,,,,open,\n" + "L8,2026-01-03,,,,,,,,open,\n", DEALS,
     ("leads.csv", 6, "lead_id", "L8"), "duplicate ID: the same record appears in leads.csv row 6, leads.csv row 7"),
    (LEADS + ",2026-01-02,,,,,,,,open,\n", DEALS, ("leads.csv", 6, "id", None), "empty, but lead_id is required"),
    (LEADS, DEALS + "D4,L1,-5,2026-01-20,,Open\n", ("deals.csv", 4, "amount", "-5"), "negative amount"),
    (LEADS, DEALS + "D4,L1,1e3x,2026-01-20,,Open\n", ("deals.csv", 4, "amount", "1e3x"), "not a number"),
    (LEADS, DEALS + "D4,L1,10,2026-01-20,,Negotiating\n", ("deals.csv", 4, "stage", "Negotiating"),
     "unknown stage"),
    (LEADS, DEALS + "D4,L99,10,2026-01-20,,Open\n", ("deals.csv", 4, "lead_id", "L99"), "refers to a lead"),
    (LEADS.replace("working,2026-01-21", "asleep,2026-01-21"), DEALS, ("leads.csv", 4, "status", "asleep"),
     "unknown status"),
])
def test_every_problem_names_file_row_column_value_and_reason(con, leads, deals, where, reason):
    plan = prepare(con.cursor(), SPEC, files(leads=leads, deals=deals))
    found = plan.problems.astype("object").where(plan.problems.notna(), None)
    rows = [tuple(r[:4]) for r in found.values.tolist() if reason in r[4]]
    assert rows and rows[0] == where, plan.problems.to_dict("records")


def test_a_missing_required_column_rejects_the_file(con):
    plan = prepare(con.cursor(), SPEC, files(leads=LEADS.replace("created", "born")))
    assert plan.blocked
    problem = plan.problems.iloc[0]
    assert problem["file"] == "leads.csv" and "column 'created' not found" in problem["reason"]
    with pytest.raises(ImportRejected, match="cannot be read as a whole"):
        load(con, plan, "quarantine", ADMIN)


def test_a_conflicting_write_in_the_same_moment_loads_nothing(con, monkeypatch):
    import_mini(con)
    newer = LEADS.replace("L2,05/01/2026,,,", "L2,05/01/2026,Events,,")  # this load updates L2
    plan = prepare(con.cursor(), SPEC, files(leads=newer))
    upsert = write_module._upsert

    def someone_else_writes_first(cur, table, *args):
        # Another cursor of the app's connection (a script, another user) commits a change to L2 after this
        # load's transaction wrote the campaigns and before it updates L2.
        if table == "leads":
            con.cursor().execute("update leads set segment = 'Enterprise' where lead_id = 'mini:L2'")
        return upsert(cur, table, *args)

    monkeypatch.setattr(write_module, "_upsert", someone_else_writes_first)
    with pytest.raises(ImportRejected, match="another change was written at the same moment"):
        load(con, plan, "strict", ADMIN)
    assert con.execute("select segment, source_channel from leads where lead_id = 'mini:L2'").fetchall() == [
        ("Enterprise", None)]
    assert one(con, "select count(*) from data_loads") == 1


def test_two_loads_at_the_same_moment_run_one_after_the_other(con, monkeypatch):
    """No index refuses a second copy of a record, so two loads must not insert the same new one together."""
    first, second = (prepare(con.cursor(), SPEC, files()) for _ in range(2))
    results, log = {}, write_module._log
    started_second = threading.Event()

    def start_the_second_load_meanwhile(cur, *args):
        if not started_second.is_set():
            started_second.set()
            other = threading.Thread(target=lambda: results.setdefault("second", load(con, second, "strict", ADMIN)))
            other.start()
            other.join(timeout=2)
            assert other.is_alive(), "the second load ran while the first was writing"
            results["thread"] = other
        return log(cur, *args)

    monkeypatch.setattr(write_module, "_log", start_the_second_load_meanwhile)
    results["first"] = load(con, first, "strict", ADMIN)
    results["thread"].join(timeout=60)
    assert counts(results["first"])["leads"] == (5, 0, 0, 0)
    assert counts(results["second"])["leads"] == (0, 0, 5, 0)  # it found the first load's leads
    assert one(con, "select count(*) from leads") == 5 and one(con, "select count(distinct lead_id) from leads") == 5
    assert one(con, "select count(*) from data_loads") == 2
