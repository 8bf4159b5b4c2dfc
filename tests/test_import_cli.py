"""`python -m data import`: loads, refuses with exit status 1 and the problems listed, quarantines on
request, dry-runs, prints presets, and stops with the store's 'locked' message (changing nothing)
when another process holds the file."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from data.__main__ import main
from import_fixture import CAMPAIGNS, DEALS, LEADS, MAPPING, SALESFORCE

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def export(tmp_path) -> Path:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "campaigns.csv").write_text(CAMPAIGNS)
    (folder / "leads.csv").write_text(LEADS)
    (folder / "deals.csv").write_text(DEALS)
    (tmp_path / "mini.toml").write_text(MAPPING)
    return folder


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["import", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def count(db: Path, table: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(f"select count(*) from {table}").fetchone()[0]
    finally:
        con.close()


def test_import_with_a_mapping_loads_and_reports(capsys, tmp_path, export):
    db = tmp_path / "store.duckdb"
    code, out, err = run(capsys, "--db", db, "--mapping", tmp_path / "mini.toml", "--by", "ci", export)
    assert code == 0, err
    assert "No problems found." in out and "Loaded as load 1" in out
    assert count(db, "leads") == 5 and count(db, "stage_events") == 13
    # Again: the same files are recognised, and nothing changes.
    code, out, _ = run(capsys, "--db", db, "--mapping", tmp_path / "mini.toml", export)
    assert code == 0 and "These exact files were loaded before (load 1)" in out
    assert count(db, "leads") == 5 and count(db, "data_loads") == 2


def test_problems_load_nothing_and_exit_1_unless_quarantined(capsys, tmp_path, export):
    (export / "leads.csv").write_text(LEADS + "L6,someday,Web,,,Zeta,SMB,,,open,2026-01-20\n")
    db = tmp_path / "store.duckdb"
    code, out, err = run(capsys, "--db", db, "--mapping", tmp_path / "mini.toml", export,
                         "--problems-csv", tmp_path / "problems.csv")
    assert code == 1
    assert "1 problems in 1 rows" in out and re.search(r"leads\.csv\s+6\s+created\s+someday\s+not a date", out)
    assert "error: Nothing was loaded" in err
    assert count(db, "leads") == 0 and count(db, "data_loads") == 0
    written = pd.read_csv(tmp_path / "problems.csv", dtype=str)
    assert written[["file", "row", "column", "value"]].values.tolist() == [["leads.csv", "6", "created", "someday"]]
    code, out, _ = run(capsys, "--db", db, "--mapping", tmp_path / "mini.toml", "--quarantine", export)
    assert code == 0 and "1 bad rows kept in quarantine" in out
    assert count(db, "leads") == 5 and count(db, "data_quarantine") == 1


def test_dry_run_writes_nothing(capsys, tmp_path, export):
    db = tmp_path / "store.duckdb"
    code, out, _ = run(capsys, "--db", db, "--mapping", tmp_path / "mini.toml", "--dry-run", export)
    assert code == 0 and "Dry run: nothing written" in out
    table = pd.read_fwf(io.StringIO(out.split("Loading would do:\n")[1]))
    assert dict(zip(table["table"], table["inserted"]))["leads"] == 5
    assert count(db, "leads") == 0


def test_show_preset_prints_the_toml(capsys):
    code, out, _ = run(capsys, "--show-preset", "hubspot")
    assert code == 0 and 'source_system = "hubspot"' in out


def test_a_broken_mapping_is_named(capsys, tmp_path, export):
    (tmp_path / "bad.toml").write_text(MAPPING.replace('table = "leads"', 'table = "people"'))
    code, _, err = run(capsys, "--db", tmp_path / "s.duckdb", "--mapping", tmp_path / "bad.toml", export)
    assert code == 1 and "bad.toml [[files]] #2: table must be one of" in err


LOCKER = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not SALESFORCE.exists(), reason=f"{SALESFORCE} is absent (see shared/realdata/PROVENANCE.md)")
def test_a_store_held_by_the_app_is_reported_locked_and_left_alone(tmp_path):
    db = tmp_path / "held.duckdb"
    first = subprocess.run([sys.executable, "-m", "data", "import", "--db", str(db), "--preset", "salesforce",
                            str(SALESFORCE)], cwd=REPO, capture_output=True, text=True, timeout=120,
                           env={k: v for k, v in os.environ.items() if k != "TANDEM_DB"})
    assert first.returncode == 0, first.stderr
    before = db.read_bytes()
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        second = subprocess.run([sys.executable, "-m", "data", "import", "--db", str(db), "--preset", "salesforce",
                                 str(SALESFORCE)], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        assert "is locked by another process" in second.stderr and "Traceback" not in second.stderr
    finally:
        holder.kill()
        holder.wait(timeout=10)
    assert db.read_bytes() == before  # not a byte written
    assert count(db, "data_loads") == 1
