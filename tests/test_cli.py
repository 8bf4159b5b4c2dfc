"""`python -m metrics`: list the catalogue, compute a metric against the conftest fixture, and fail
with exit code 2 and a one-line `error:` message (never a traceback) on bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from metrics import REGISTRY
from metrics.__main__ import main

REPO = Path(__file__).resolve().parents[1]
Q1_ARGS = ["--start", "2026-01-01", "--end", "2026-03-31", "--as-of", "2026-03-31"]
STAGES = ["lead", "mql", "sal", "sql", "opportunity", "won"]


@pytest.fixture(autouse=True)
def no_env_db(monkeypatch):
    """The fixture path given with --db is the file read, whatever the developer's shell says."""
    monkeypatch.delenv("TANDEM_DB", raising=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_subprocess(*argv) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "TANDEM_DB"}
    return subprocess.run([sys.executable, "-m", "metrics", *map(str, argv)], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=60)


def volumes_from_csv(text: str) -> dict[str, int]:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["stage"] for row in rows] == STAGES
    return {row["stage"]: int(row["volume"]) for row in rows}


def assert_one_line_error(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


# --- list -------------------------------------------------------------------------------------


def test_list_prints_every_metric_with_its_definition(capsys):
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    assert len(REGISTRY) >= 11
    for name, metric in REGISTRY.items():
        assert f"{name}  [" in out, name
        assert metric.definition in out, name
    # Parameters and their defaults are shown: the funnel's basis and window.
    assert "basis=period" in out and "window_days=90" in out


def test_list_as_a_real_subprocess():
    done = run_subprocess("list")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    for name, metric in REGISTRY.items():
        assert name in done.stdout
        assert metric.definition in done.stdout


# --- show -------------------------------------------------------------------------------------


def test_show_volumes_as_csv(capsys, funnel_db_path):
    # Q1, period basis (see test_funnel_metrics.py): lead 7, MQL 7, SAL 4, SQL 3, opportunity 2, won 1.
    code, out, err = run(capsys, "show", "funnel_stage_volume", "--db", funnel_db_path, *Q1_ARGS, "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[0] == "stage,label,owner,volume,is_immature"
    assert volumes_from_csv(out) == {"lead": 7, "mql": 7, "sal": 4, "sql": 3, "opportunity": 2, "won": 1}


def test_show_as_json(capsys, funnel_db_path):
    code, out, err = run(capsys, "show", "funnel_stage_volume", "--db", funnel_db_path, *Q1_ARGS, "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["stage"] for r in records] == STAGES
    assert [r["volume"] for r in records] == [7, 7, 4, 3, 2, 1]
    assert records[0]["label"] == "Lead" and records[0]["is_immature"] is False


def test_show_as_table_is_the_default(capsys, funnel_db_path):
    code, out, _ = run(capsys, "show", "won_revenue", "--db", funnel_db_path, *Q1_ARGS)
    assert code == 0
    # One header line and one row: L1's 10,000 won on Mar 1, from one record.
    header, row = out.strip().splitlines()
    assert header.split() == ["value", "record_count"]
    assert [float(x) for x in row.split()] == [10000.0, 1.0]


def test_params_switch_to_a_30_day_cohort(capsys, funnel_db_path):
    # Cohort of Q1 leads, 30-day window: L1 won 55 days after it entered, so won = 0; the
    # opportunities (15 and 22 days in) still count.
    code, out, err = run(capsys, "show", "funnel_stage_volume", "--db", funnel_db_path, *Q1_ARGS,
                         "--param", "basis=cohort", "--param", "window_days=30", "--format", "csv")
    assert code == 0, err
    volumes = volumes_from_csv(out)
    assert volumes["won"] == 0
    assert volumes["opportunity"] == 2
    assert volumes["lead"] == 7
    # As of Mar 31 a cohort ending Mar 31 with a 30-day window is immature.
    assert {row["is_immature"] for row in csv.DictReader(io.StringIO(out))} == {"True"}


def test_segment_filter(capsys, funnel_db_path):
    # Enterprise: L3 and L4 -> lead 2, MQL 2, SAL 1 (L4 inferred), SQL 1, nothing after.
    code, out, err = run(capsys, "show", "funnel_stage_volume", "--db", funnel_db_path, *Q1_ARGS,
                         "--segment", "Enterprise", "--format", "csv")
    assert code == 0, err
    assert volumes_from_csv(out) == {"lead": 2, "mql": 2, "sal": 1, "sql": 1, "opportunity": 0, "won": 0}


def test_comma_separated_filter_values(capsys, funnel_db_path):
    # SMB,Enterprise is every lead: the same as no filter.
    code, out, _ = run(capsys, "show", "funnel_stage_volume", "--db", funnel_db_path, *Q1_ARGS,
                       "--segment", "SMB,Enterprise", "--format", "csv")
    assert code == 0
    assert volumes_from_csv(out) == {"lead": 7, "mql": 7, "sal": 4, "sql": 3, "opportunity": 2, "won": 1}


def test_kpi_by_month(capsys, funnel_db_path):
    # Leads by month: Jan L1 L2 L8, Feb L3 L4, Mar L5 L6.
    code, out, _ = run(capsys, "show", "leads", "--db", funnel_db_path, *Q1_ARGS, "--param", "grain=month",
                       "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["month"][:10], int(float(r["value"]))) for r in rows] == [
        ("2026-01-01", 3), ("2026-02-01", 2), ("2026-03-01", 2)]


# --- errors -----------------------------------------------------------------------------------


def test_unknown_metric(capsys, funnel_db_path):
    code, out, err = run(capsys, "show", "no_such_metric", "--db", funnel_db_path, *Q1_ARGS)
    assert_one_line_error(code, out, err, "no_such_metric", "funnel_stage_volume")  # lists the known ones


def test_unknown_param(capsys, funnel_db_path):
    code, out, err = run(capsys, "show", "funnel_stage_volume", "--db", funnel_db_path, *Q1_ARGS,
                         "--param", "colour=red")
    assert_one_line_error(code, out, err, "colour", "basis", "window_days")


def test_param_value_outside_its_choices(capsys, funnel_db_path):
    code, out, err = run(capsys, "show", "funnel_stage_volume", "--db", funnel_db_path, *Q1_ARGS,
                         "--param", "basis=weekly")
    assert_one_line_error(code, out, err, "basis", "weekly")


def test_missing_db_file(capsys, tmp_path):
    missing = tmp_path / "missing.duckdb"
    code, out, err = run(capsys, "show", "leads", "--db", missing, *Q1_ARGS)
    assert_one_line_error(code, out, err, str(missing), "does not exist")
    assert not missing.exists()


def test_errors_exit_2_from_a_real_subprocess(funnel_db_path, tmp_path):
    cases = {
        "unknown metric": ["show", "no_such_metric", "--db", funnel_db_path],
        "unknown param": ["show", "leads", "--db", funnel_db_path, "--param", "colour=red"],
        "missing db": ["show", "leads", "--db", tmp_path / "missing.duckdb"],
    }
    environment = {k: v for k, v in os.environ.items() if k != "TANDEM_DB"}
    running = {case: subprocess.Popen([sys.executable, "-m", "metrics", *map(str, argv), *Q1_ARGS], cwd=REPO,
                                      env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for case, argv in cases.items()}  # side by side: each pays the import time once
    for case, proc in running.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, case
        assert_one_line_error(proc.returncode, out, err)


def test_db_flag_wins_over_env_var(capsys, funnel_db_path, monkeypatch, tmp_path):
    monkeypatch.setenv("TANDEM_DB", str(tmp_path / "elsewhere.duckdb"))
    code, out, err = run(capsys, "show", "leads", "--db", funnel_db_path, *Q1_ARGS, "--format", "csv")
    assert code == 0, err


def test_db_file_that_is_not_a_tandem_store(capsys, tmp_path):
    path = tmp_path / "plain.duckdb"
    duckdb.connect(str(path)).close()  # a valid DuckDB file with no tables
    code, out, err = run(capsys, "show", "leads", "--db", path, *Q1_ARGS)
    assert_one_line_error(code, out, err, str(path))
