"""The store: migrations upgrade old files in place, errors name the file and what to do, the path
is resolved in a fixed order, and marts are rebuilt all or nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from data import db, marts, schema

REPO = Path(__file__).resolve().parents[1]
REAL_MIGRATIONS = REPO / "data" / "migrations"


def columns(con, table: str) -> set[str]:
    rows = con.execute("select column_name from information_schema.columns where table_name = ?", [table])
    return {row[0] for row in rows.fetchall()}


def tables(con) -> set[str]:
    return {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}


def recorded(con) -> list[int]:
    return [row[0] for row in con.execute("select version from schema_migrations order by version").fetchall()]


def old_store(path: Path, version: int, *statements: str) -> None:
    """A store as release `version` left it (migrations up to it), with the rows `statements` insert."""
    con = duckdb.connect(str(path))
    schema.migrate(con, up_to=version)
    for statement in statements:
        con.execute(statement)
    con.close()


def build_version_1(path: Path) -> None:
    """A store as the first release left it: schema 001 only, with a few rows."""
    con = duckdb.connect(str(path))
    assert schema.migrate(con, up_to=1) == [1]
    con.execute("insert into teams values ('SDR-A', 'SDR A', 'sdr', 'Americas', null)")
    con.execute("insert into leads (lead_id, created_at, segment) values "
                "('L1', '2026-01-05', 'SMB'), ('L2', '2026-01-10', 'Enterprise')")
    con.execute("insert into stage_events (lead_id, stage, entered_at) values "
                "('L1', 'lead', '2026-01-05'), ('L1', 'mql', '2026-01-06'), ('L2', 'lead', '2026-01-10')")
    con.execute("insert into sla_policy values ('P1', 'sales', 'First touch', 'Call an MQL within 4 hours', "
                "240, 'minutes', '2026-01-01')")
    con.close()


# --- (a) migrations ---------------------------------------------------------------------------


def test_version_1_store_is_upgraded_in_place(tmp_path):
    path = tmp_path / "v1.duckdb"
    build_version_1(path)
    con = duckdb.connect(str(path))
    assert recorded(con) == [1]
    assert "data_loads" not in tables(con)
    assert "business_hours_start" not in columns(con, "sla_policy")
    con.close()

    con = db.open_store(path)
    try:
        latest = [version for version, _, _ in schema.available()]
        assert {1, 2} <= set(latest)
        # Every version listed exactly once, in order, the latest being the highest file.
        assert recorded(con) == latest
        assert schema.current_version(con) == max(latest)
        # 002's table and columns are there.
        assert "data_loads" in tables(con)
        assert {"business_hours_start", "business_hours_end", "business_days"} <= columns(con, "sla_policy")
        # The old rows survived; the old policy row took 002's defaults (9 to 17, Monday to Friday).
        assert con.execute("select lead_id from leads order by 1").fetchall() == [("L1",), ("L2",)]
        assert con.execute("select count(*) from stage_events").fetchone() == (3,)
        assert con.execute("select policy_id, threshold, business_hours_start, business_hours_end, business_days "
                           "from sla_policy").fetchall() == [("P1", 240.0, 9, 17, "1,2,3,4,5")]
        # open_store also built the marts from the kept rows: L1 reached MQL, L2 did not.
        assert con.execute("select lead_id, mql_at is not null from mart_lead_funnel order by 1").fetchall() == [
            ("L1", True), ("L2", False)]
        # data_loads' sequence works after the upgrade.
        con.execute("insert into data_loads (loaded_by, source_system, row_count) values ('test', 'tandem', 2)")
        assert con.execute("select load_id from data_loads").fetchall() == [(1,)]
    finally:
        con.close()


def test_migrating_again_applies_nothing(tmp_path):
    path = tmp_path / "store.duckdb"
    db.open_store(path).close()
    con = db.open_store(path)  # second open: nothing to do, no error
    try:
        before = recorded(con)
        assert schema.migrate(con) == []
        assert schema.migrate(con) == []
        assert recorded(con) == before
        assert len(before) == len(set(before))
    finally:
        con.close()


def test_fresh_store_applies_every_migration_in_order(tmp_path):
    con = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    try:
        applied = schema.migrate(con)
        assert applied == sorted(applied)
        assert applied == [version for version, _, _ in schema.available()]
        assert con.execute("select name from schema_migrations where version = 1").fetchone() == ("core",)
    finally:
        con.close()


def test_version_8_records_lose_their_index_and_keep_rows_columns_and_rules(tmp_path):
    path = tmp_path / "v8.duckdb"
    old_store(path, 8,
              "insert into leads (lead_id, created_at, source_system, source_id, is_synthetic, email_hash) values "
              "('hubspot:7', '2026-01-05', 'hubspot', '7', false, 'ab12'), ('L2', '2026-01-10', 'tandem', null, "
              "true, null)",
              "insert into opportunities (opportunity_id, lead_id, amount, created_at, is_closed, is_won) "
              "values ('O1', 'hubspot:7', 1200.5, '2026-02-01', true, true)")
    con = duckdb.connect(str(path))
    lead_columns, opportunity_columns = columns(con, "leads"), columns(con, "opportunities")
    con.close()

    con = db.open_store(path)
    try:
        assert recorded(con)[-1] >= 9
        assert columns(con, "leads") == lead_columns and columns(con, "opportunities") == opportunity_columns
        assert con.execute("select * exclude (created_at) from leads order by lead_id").fetchall() == [
            ("L2", None, None, None, None, None, None, None, None, "tandem", None, True, None),
            ("hubspot:7", None, None, None, None, None, None, None, None, "hubspot", "7", False, "ab12")]
        assert con.execute("select opportunity_id, lead_id, amount, is_closed, is_won from opportunities").fetchall() \
            == [("O1", "hubspot:7", 1200.5, True, True)]
        kinds = con.execute("select distinct constraint_type from duckdb_constraints() "
                            "where table_name in ('leads', 'opportunities')").fetchall()
        assert ("PRIMARY KEY",) not in kinds
        # The defaults and rules came along; only the index went.
        con.execute("insert into leads (lead_id, created_at) values ('L3', '2026-03-01')")
        assert con.execute("select source_system, is_synthetic from leads where lead_id = 'L3'").fetchall() == [
            ("tandem", False)]
        with pytest.raises(duckdb.ConstraintException):
            con.execute("insert into opportunities (opportunity_id, amount, created_at) values ('O2', -1, now())")
        with pytest.raises(duckdb.ConstraintException):
            con.execute("insert into leads (lead_id) values ('L4')")
    finally:
        con.close()


STANDARD_REASONS = ["bad_contact_data", "competitor", "duplicate", "no_budget", "no_project", "not_icp_company_size",
                    "student_or_job_seeker", "wrong_persona"]


def test_a_fresh_store_starts_with_the_standard_reasons(tmp_path):
    con = db.open_store(tmp_path / "fresh.duckdb")
    try:
        rows = con.execute("select reason_code, is_active, added_by_rep_id, added_at is not null "
                           "from feedback_reasons order by 1").fetchall()
        assert rows == [(code, True, "tandem", True) for code in STANDARD_REASONS]
        assert con.execute("select label from feedback_reasons where reason_code = 'wrong_persona'").fetchone() == (
            "Wrong persona (not a buyer)",)
    finally:
        con.close()


def test_version_9_reasons_of_its_own_are_kept_and_nothing_is_added(tmp_path):
    path = tmp_path / "v9.duckdb"
    old_store(path, 9, "insert into feedback_reasons (reason_code, label, is_active) values ('too_small', 'Too small', "
                       "false)")
    con = db.open_store(path)
    try:
        assert recorded(con)[-1] >= 10
        assert con.execute("select reason_code, label, is_active, added_by_rep_id from feedback_reasons").fetchall() \
            == [("too_small", "Too small", False, None)]
    finally:
        con.close()


@pytest.fixture
def migrations_with_broken_003(tmp_path, monkeypatch):
    folder = tmp_path / "migrations"
    folder.mkdir()
    for source in REAL_MIGRATIONS.glob("00[12]_*.sql"):
        shutil.copy(source, folder / source.name)
    # The first statement works, the second fails: the first must not survive.
    (folder / "003_broken.sql").write_text(
        "create table half_done (x integer);\n"
        "alter table sla_policy add column escalate_to varchar;\n"
        "insert into no_such_table values (1);\n")
    monkeypatch.setattr(schema, "MIGRATIONS_DIR", folder)
    return folder


def test_failing_migration_rolls_back_and_is_not_recorded(tmp_path, migrations_with_broken_003):
    con = duckdb.connect(str(tmp_path / "store.duckdb"))
    try:
        with pytest.raises(duckdb.Error, match="no_such_table"):
            schema.migrate(con)
        # 001 and 002 committed on their own; 003 left nothing behind.
        assert recorded(con) == [1, 2]
        assert schema.current_version(con) == 2
        assert "half_done" not in tables(con)
        assert "escalate_to" not in columns(con, "sla_policy")
        # The connection is usable and a fixed 003 then applies cleanly (it would clash with leftovers).
        (migrations_with_broken_003 / "003_broken.sql").write_text(
            "create table half_done (x integer);\nalter table sla_policy add column escalate_to varchar;\n")
        assert schema.migrate(con) == [3]
        assert recorded(con) == [1, 2, 3]
    finally:
        con.close()


def test_open_store_reports_a_failing_migration_as_store_error(tmp_path, migrations_with_broken_003):
    path = tmp_path / "store.duckdb"
    with pytest.raises(db.StoreError) as caught:
        db.open_store(path)
    assert str(path) in str(caught.value)
    con = duckdb.connect(str(path))  # open_store closed its connection: the file is not left locked
    try:
        assert recorded(con) == [1, 2]
    finally:
        con.close()


# --- (b) store errors ---------------------------------------------------------------------------


def test_missing_file_read_only(tmp_path):
    path = tmp_path / "nowhere" / "missing.duckdb"
    with pytest.raises(db.StoreError) as caught:
        db.connect(path, read_only=True)
    message = str(caught.value)
    assert str(path) in message
    assert "does not exist" in message
    assert db.ENV_VAR in message  # says what to do
    assert not path.exists()  # and did not create it


@pytest.mark.parametrize("read_only", [False, True])
def test_corrupt_file(tmp_path, read_only):
    path = tmp_path / "corrupt.duckdb"
    garbage = bytes(range(256)) * 64
    path.write_bytes(garbage)
    with pytest.raises(db.StoreError) as caught:
        db.connect(path, read_only=read_only)
    message = str(caught.value)
    assert str(path) in message
    assert "not a readable Tandem database" in message
    assert "Move it aside" in message and db.ENV_VAR in message
    assert path.read_bytes() == garbage  # never overwritten


def test_corrupt_file_through_open_store(tmp_path):
    path = tmp_path / "corrupt.duckdb"
    path.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(db.StoreError, match="Move it aside"):
        db.open_store(path)


LOCKER = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
con.execute("create table if not exists t (x integer)")
print("open", flush=True)
time.sleep(60)
"""


def test_locked_file(tmp_path):
    path = tmp_path / "locked.duckdb"
    proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "open", proc.stderr.read()
        for read_only in (False, True):
            with pytest.raises(db.StoreError) as caught:
                db.connect(path, read_only=read_only)
            message = str(caught.value)
            assert "locked" in message
            assert str(path) in message
            assert "Stop that process" in message
    finally:
        proc.kill()
        proc.wait(timeout=10)
    # Once the other process is gone the file opens.
    db.connect(path, read_only=True).close()


# --- (c) where the store lives ------------------------------------------------------------------


def test_env_var_wins_over_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("TANDEM_DB", str(tmp_path / "from_env.duckdb"))
    assert db.resolve_db_path(tmp_path / "configured.duckdb") == tmp_path / "from_env.duckdb"
    assert db.resolve_db_path(None) == tmp_path / "from_env.duckdb"


def test_configured_wins_over_default(tmp_path, monkeypatch):
    monkeypatch.delenv("TANDEM_DB", raising=False)
    assert db.resolve_db_path(tmp_path / "configured.duckdb") == tmp_path / "configured.duckdb"
    assert db.resolve_db_path(str(tmp_path / "as_text.duckdb")) == tmp_path / "as_text.duckdb"
    # An empty variable counts as unset.
    monkeypatch.setenv("TANDEM_DB", "")
    assert db.resolve_db_path(tmp_path / "configured.duckdb") == tmp_path / "configured.duckdb"


def test_default_lives_under_data(monkeypatch):
    monkeypatch.delenv("TANDEM_DB", raising=False)
    default = db.resolve_db_path()
    assert default.parent == REPO / "data"
    assert default.suffix == ".duckdb"
    assert default.is_absolute()


def test_relative_and_home_paths_are_resolved(tmp_path, monkeypatch):
    monkeypatch.delenv("TANDEM_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert db.resolve_db_path("sub/store.duckdb") == tmp_path.resolve() / "sub" / "store.duckdb"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert db.resolve_db_path("~/store.duckdb") == tmp_path.resolve() / "store.duckdb"


# --- (d) marts ---------------------------------------------------------------------------------


def test_mart_refresh_is_all_or_nothing(tmp_path, monkeypatch):
    con = db.open_store(tmp_path / "store.duckdb")
    try:
        folder = tmp_path / "marts"
        folder.mkdir()
        (folder / "mart_a_leads.sql").write_text(
            "create or replace table mart_a_leads as select count(*) as n from leads")
        monkeypatch.setattr(marts, "MARTS_DIR", folder)
        marts.refresh(con)
        assert con.execute("select n from mart_a_leads").fetchall() == [(0,)]

        # New data, and a broken mart sorted after the good one: the good one is rebuilt first, then
        # the failure must undo it.
        con.execute("insert into leads (lead_id, created_at) values ('L1', '2026-01-05')")
        (folder / "mart_b_broken.sql").write_text(
            "create or replace table mart_b_broken as select * from no_such_table")
        with pytest.raises(duckdb.Error, match="no_such_table"):
            marts.refresh(con)
        assert con.execute("select n from mart_a_leads").fetchall() == [(0,)]
        assert "mart_b_broken" not in tables(con)
        assert not marts.marts_exist(con)

        # The connection is not stuck in a failed transaction; fixing the mart rebuilds both.
        (folder / "mart_b_broken.sql").write_text("create or replace table mart_b_broken as select 1 as ok")
        marts.refresh(con)
        assert con.execute("select n from mart_a_leads").fetchall() == [(1,)]
        assert marts.marts_exist(con)
    finally:
        con.close()


def test_real_marts_rebuild_from_raw_tables(tmp_path):
    con = db.open_store(tmp_path / "store.duckdb")
    try:
        assert marts.marts_exist(con)
        assert con.execute("select count(*) from mart_lead_funnel").fetchone() == (0,)
        con.execute("insert into leads (lead_id, created_at) values ('L1', '2026-01-05')")
        marts.refresh(con)
        # A lead with no events still has a row, entering 'lead' when it was created.
        rows = con.execute("select lead_id, lead_at::date::varchar, current_stage from mart_lead_funnel").fetchall()
        assert rows == [("L1", "2026-01-05", "lead")]
    finally:
        con.close()


@pytest.mark.parametrize("order", [("sal", "rejected"), ("rejected", "sal")])
def test_entries_at_the_same_moment_give_the_same_stage_and_verdict_on_every_rebuild(tmp_path, order):
    """An SAL and a rejection at one moment (say, both written by one import): whatever order they were
    stored in, the lead is rejected now and sales' verdict on its MQL is a rejection."""
    con = db.open_store(tmp_path / "store.duckdb")
    try:
        con.execute("insert into leads (lead_id, created_at) values ('L1', '2026-01-05')")
        con.execute("insert into stage_events (lead_id, stage, entered_at) values ('L1', 'mql', '2026-01-06')")
        for stage in order:
            con.execute("insert into stage_events (lead_id, stage, entered_at) values ('L1', ?, '2026-01-07')",
                        [stage])
        for _ in range(3):
            marts.refresh(con)
            assert con.execute("select current_stage from mart_lead_funnel").fetchall() == [("rejected",)]
            assert con.execute("select verdict from mart_mql_followup").fetchall() == [("reject",)]
    finally:
        con.close()


def test_marts_built_by_older_sql_are_rebuilt_on_open(tmp_path, monkeypatch):
    from data import db as store_db
    from data import marts as store_marts

    path = tmp_path / "old_marts.duckdb"
    store_db.open_store(path).close()
    con = store_db.connect(path)
    assert store_marts.marts_current(con)
    # Pretend the lead funnel mart was built by another version of its SQL.
    con.execute("update mart_builds set sql_sha256 = 'older' where mart_name = 'mart_lead_funnel'")
    assert not store_marts.marts_current(con)
    con.close()
    store_db.open_store(path).close()
    con = store_db.connect(path)
    assert store_marts.marts_current(con)
    con.close()


def test_init_creates_an_empty_store_once(tmp_path, capsys):
    from data.__main__ import main

    path = tmp_path / "mine.duckdb"
    assert main(["init", "--db", str(path)]) == 0
    assert f"TANDEM_DB={path}" in capsys.readouterr().out
    con = duckdb.connect(str(path))
    try:
        assert recorded(con) == [version for version, _, _ in schema.available()]
        assert con.execute("select count(*) from leads").fetchone() == (0,)
        assert con.execute("select count(*) from mart_lead_funnel").fetchone() == (0,)
    finally:
        con.close()
    assert main(["init", "--db", str(path)]) == 1
    assert "already exists" in capsys.readouterr().err
