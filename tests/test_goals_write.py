"""The goals write path (data/goals.py): refused batches change nothing, saved ones are audited, and
sum-of-months quarters follow their months. Each test gets its own copy of the goals fixture."""

from __future__ import annotations

import json
import shutil

import pytest

from data import db
from data import goals as store
from data.__main__ import main as data_cli
from data.access import PermissionDenied, Principal
from data.goals import Change, GoalError, GoalInput
from goals_fixture import build_goals_fixture

WHO = Principal("sdr1", "Sam Sdr", "admin", "sdr1")  # an admin: most fixture goals are shared
MARKETER = Principal("mia", "Mia Marketer", "marketing")
SELLER = Principal("sam", "Sam Seller", "sales")
VIEWER = Principal("val", "Val Viewer", "viewer")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("goals_write") / "template.duckdb"
    build_goals_fixture(path)
    return path


@pytest.fixture
def db_file(template, tmp_path):
    path = tmp_path / "goals.duckdb"
    shutil.copy(template, path)
    return path


@pytest.fixture
def con(db_file):
    connection = db.open_store(db_file)
    yield connection
    connection.close()


def snapshot(con) -> tuple[list, list]:
    goals = con.execute("select * from goals order by goal_id").fetchall()
    audit = con.execute("select * from goal_audit order by audit_id").fetchall()
    return goals, audit


def target(con, goal_id: str) -> float:
    return con.execute("select target from goals where goal_id = ?", [goal_id]).fetchone()[0]


def update(metric: str, period_type: str, period: str, value, rule: str = "own", owner: str = "shared",
           scope_type: str = "all", scope_value=None) -> Change:
    return Change("update", GoalInput(metric, period_type, period, scope_type, scope_value, owner, value, rule),
                  "the form")


@pytest.mark.parametrize("change, message", [
    (Change("create", GoalInput("leds", "month", "2026-05", target=10), "the form"), "metric_name 'leds'"),
    (update("won_revenue", "month", "2026-01", -5), "target '-5': a target must be above zero"),
    (update("won_revenue", "month", "2026-01", 0), "a target must be above zero"),
    (update("win_rate", "quarter", "2026-Q1", 30, owner="sales"), "Win rate is a rate: write 0.3 for 30%"),
    (Change("create", GoalInput("leads", "quarter", "2026-Q1", target=25), "the form"),
     "a goal for leads 2026-Q1 (all) already exists (g-leads-q1)"),
    (Change("create", GoalInput("leads", "quarter", "2026-Q3", "segment", "Giant", target=5), "the form"),
     "not a known segment"),
    (Change("create", GoalInput("leads", "quarter", "2026-Q7", target=5), "the form"), "is not a quarter"),
    (Change("update", GoalInput("leads", "month", "2030-01", target=5), "the form"), "no goal for leads 2030-01"),
    (Change("create", GoalInput("leads", "month", "2026-05", target=5, target_rule="sum_of_months"), "the form"),
     "only a quarter or a year"),
    (Change("create", GoalInput("win_rate", "quarter", "2026-Q3", target=0.3, target_rule="sum_of_months"),
            "the form"), "only a quarter or a year of a metric that adds up"),
])
def test_an_invalid_change_is_refused_and_changes_nothing(con, change, message):
    before = snapshot(con)
    with pytest.raises(GoalError) as refused:
        store.save(con, [change], WHO)
    assert message in str(refused.value)
    assert str(refused.value).startswith("Nothing was saved.")
    assert snapshot(con) == before


def test_one_bad_row_refuses_the_whole_batch(con):
    before = snapshot(con)
    good = update("won_revenue", "month", "2026-01", 5000)
    bad = update("won_revenue", "month", "2026-02", "lots")
    with pytest.raises(GoalError, match="target 'lots': not a number"):
        store.save(con, [good, bad], WHO)
    assert snapshot(con) == before


def test_a_valid_edit_is_saved_and_audited(con):
    result = store.save(con, [update("won_revenue", "month", "2026-01", 4500, owner="marketing")], WHO)
    assert result.updated == ["g-rev-jan"] and result.summary() == "0 created, 1 updated, 0 deleted, 0 unchanged"
    assert target(con, "g-rev-jan") == 4500
    audit = con.execute("select changed_by, source, action, goal_id, field, old_value, new_value "
                        "from goal_audit order by audit_id").fetchall()
    # One row per changed field: the target and the owner; the rule did not change.
    assert audit == [("sdr1", "editor", "update", "g-rev-jan", "target", "4000", "4500"),
                     ("sdr1", "editor", "update", "g-rev-jan", "owner_team", "shared", "marketing")]


def test_saving_what_is_already_there_writes_nothing(con):
    before = snapshot(con)
    result = store.save(con, [update("won_revenue", "month", "2026-01", 4000)], WHO)
    assert result.written == 0 and result.unchanged == 1
    assert snapshot(con) == before


def test_create_and_delete(con):
    created = store.save(con, [Change("create", GoalInput("mqls", "month", "2026-04", "region", "EMEA", "",
                                                          "1,200"), "the form")], WHO)
    # Owner left empty: the metric's registered owner (MQLs: marketing); "1,200" reads as 1200.
    assert created.created == ["g-mqls-month-2026-04-region-emea"]
    row = con.execute("select owner_team, target, target_rule from goals where goal_id = ?",
                      created.created).fetchone()
    assert row == ("marketing", 1200.0, "own")
    fields = con.execute("select action, field, old_value, new_value from goal_audit order by field").fetchall()
    assert fields == [("create", "owner_team", None, "marketing"), ("create", "target", None, "1200"),
                      ("create", "target_rule", None, "own")]
    deleted = store.save(con, [Change("delete", GoalInput("mqls", "month", "2026-04", "region", "EMEA", "marketing",
                                                          None), "the form")], WHO)
    assert deleted.deleted == created.created
    assert con.execute("select count(*) from goals where goal_id = ?", created.created).fetchone()[0] == 0
    last = con.execute("select action, old_value, new_value from goal_audit order by audit_id desc limit 1").fetchone()
    assert last == ("delete", "1200", None)


def test_a_quarter_can_be_the_sum_of_its_months(con):
    # Q1 won revenue set on its own at 28,000; its months 4,000 + 8,000 + 16,000 also make 28,000.
    store.save(con, [update("won_revenue", "quarter", "2026-Q1", None, rule="sum_of_months")], WHO)
    assert target(con, "g-rev-q1") == 28000
    # February goes to 10,000: the quarter follows to 30,000 in the same transaction, audited as derived.
    result = store.save(con, [update("won_revenue", "month", "2026-02", 10000)], WHO)
    assert sorted(result.updated) == ["g-rev-feb", "g-rev-q1"]
    assert target(con, "g-rev-q1") == 30000
    derived = con.execute("select source, old_value, new_value from goal_audit where goal_id = 'g-rev-q1' "
                          "and field = 'target' order by audit_id desc limit 1").fetchone()
    assert derived == ("sum of months", "28000", "30000")
    # A target typed for a sum-of-months quarter is ignored: it stays the months' sum.
    store.save(con, [update("won_revenue", "quarter", "2026-Q1", 1, rule="sum_of_months")], WHO)
    assert target(con, "g-rev-q1") == 30000
    # A month it sums cannot go while it does.
    with pytest.raises(GoalError, match="2026-03 would have no goal"):
        store.save(con, [Change("delete", GoalInput("won_revenue", "month", "2026-03", owner_team="shared"),
                                "the form")], WHO)


def test_a_sum_needs_every_month(con):
    # Leads in Q1 have no month goals.
    with pytest.raises(GoalError, match="2026-01, 2026-02, 2026-03 would have no goal"):
        store.save(con, [update("leads", "quarter", "2026-Q1", None, rule="sum_of_months", owner="marketing")], WHO)


@pytest.mark.parametrize("who, change, message", [
    (VIEWER, update("leads", "quarter", "2026-Q1", 25, owner="marketing"), r"Val Viewer \(viewer\) may not edit goals"),
    (SELLER, update("leads", "quarter", "2026-Q1", 25, owner="marketing"),
     r"may not change leads 2026-Q1 \(owned by marketing\)"),
    (MARKETER, update("won_revenue", "month", "2026-01", 4500), r"won_revenue 2026-01 \(owned by shared\)"),
    # Marketing may not hand its goal to sales, nor take a shared one over.
    (MARKETER, update("leads", "quarter", "2026-Q1", 25, owner="sales"), r"\(owned by sales\)"),
    (MARKETER, update("won_revenue", "month", "2026-01", 4000, owner="marketing"), r"\(owned by shared\)"),
    (MARKETER, Change("create", GoalInput("sqls", "month", "2026-05", owner_team="sales", target=3), "the form"),
     r"sqls 2026-05 \(owned by sales\)"),
])
def test_a_change_outside_the_role_is_refused_and_changes_nothing(con, who, change, message):
    before = snapshot(con)
    audit_rows = con.execute("select count(*) from audit_log").fetchall()
    with pytest.raises(PermissionDenied, match=message):
        store.save(con, [change], who)
    assert snapshot(con) == before
    assert con.execute("select count(*) from audit_log").fetchall() == audit_rows


def test_a_team_edits_its_own_goals_and_the_audit_log_keeps_before_and_after(con):
    store.save(con, [update("leads", "quarter", "2026-Q1", 25, owner="marketing")], MARKETER)
    assert target(con, "g-leads-q1") == 25
    store.save(con, [update("win_rate", "quarter", "2026-Q1", 0.4, owner="sales")], SELLER)
    rows = con.execute("select actor, actor_role, action, entity, entity_id, before_json, after_json "
                       "from audit_log order by audit_id").fetchall()
    assert [r[:5] for r in rows] == [("mia", "marketing", "goals.update", "goal", "g-leads-q1"),
                                     ("sam", "sales", "goals.update", "goal", "g-winrate-q1")]
    before, after = json.loads(rows[0][5]), json.loads(rows[0][6])
    assert (before["target"], after["target"], after["owner_team"], after["period"]) == (20, 25, "marketing", "2026-Q1")


def test_a_failure_while_writing_leaves_nothing_half_written(con, monkeypatch):
    before = snapshot(con)
    real_write = store._write

    def write_then_fail(*args, **kwargs):
        real_write(*args, **kwargs)  # the goals and audit rows are written...
        raise RuntimeError("disk full")  # ...then something breaks before the commit

    monkeypatch.setattr(store, "_write", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        store.save(con, [update("won_revenue", "month", "2026-01", 4500)], WHO)
    assert snapshot(con) == before


CSV_OK = """metric_name,period_type,period,scope_type,scope_value,owner_team,target,target_rule
won_revenue,month,2026-01,all,,shared,4200,own
leads,month,2026-04,all,,,300,
"""


def test_csv_import_creates_updates_audits_and_logs(con):
    result = store.import_csv(con, CSV_OK, "plan.csv", WHO)
    assert result.updated == ["g-rev-jan"] and result.created == ["g-leads-month-2026-04"]
    assert target(con, "g-rev-jan") == 4200
    sources = {row[0] for row in con.execute("select distinct source from goal_audit").fetchall()}
    assert sources == {"import plan.csv"}
    load = con.execute("select loaded_by, source_system, description, row_count from data_loads "
                       "order by load_id desc limit 1").fetchone()
    assert load == ("sdr1", "csv", "Goals import plan.csv: 1 created, 1 updated, 0 deleted, 0 unchanged", 2)


def test_csv_problems_name_file_line_column_and_value(con):
    before = snapshot(con)
    bad = CSV_OK + "leads,quarter,2026-Q2,all,,marketing,-3,own\nwon_revenue,month,2026-01,all,,shared,5000,own\n"
    with pytest.raises(GoalError) as refused:
        store.import_csv(con, bad, "plan.csv", WHO)
    problems = refused.value.problems
    assert problems == [
        "plan.csv line 4, target '-3': a target must be above zero.",
        "plan.csv line 5: won_revenue 2026-01 (all) is also given in plan.csv line 2; one goal per metric, "
        "period and scope.",
    ]
    assert snapshot(con) == before
    with pytest.raises(GoalError, match="plan.csv: unknown column\\(s\\) targt"):
        store.import_csv(con, "metric_name,period_type,period,target,targt\n", "plan.csv", WHO)
    with pytest.raises(GoalError, match="plan.csv: missing column\\(s\\) target"):
        store.import_csv(con, "metric_name,period_type,period\nleads,month,2026-01\n", "plan.csv", WHO)
    with pytest.raises(GoalError, match="no goal rows"):
        store.import_csv(con, "metric_name,period_type,period,target\n", "plan.csv", WHO)


def test_export_then_import_changes_nothing(con):
    from metrics.goals import load_goals

    exported = store.export_frame(load_goals(con.cursor()))
    assert list(exported.columns) == list(store.CSV_COLUMNS)
    assert len(exported) == 13
    first = exported.iloc[0]  # months first, oldest first
    assert (first["period_type"], first["period"], first["target"]) == ("month", "2026-01", "4000")
    before = snapshot(con)
    # The fixture's zero MQL target was written around the editor: importing it back is refused like any zero.
    with pytest.raises(GoalError, match="target '0': a target must be above zero"):
        store.import_csv(con, exported.to_csv(index=False), "export.csv", WHO)
    valid = exported[exported["target"] != "0"]
    result = store.import_csv(con, valid.to_csv(index=False), "export.csv", WHO)
    assert result.written == 0 and result.unchanged == 12
    assert snapshot(con) == before


def test_the_command_line_exports_and_imports(db_file, tmp_path, capsys):
    path = str(db_file)
    out = tmp_path / "goals.csv"
    assert data_cli(["goals", "export", "--db", path, "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("metric_name,period_type,period,scope_type,scope_value,owner_team,target,target_rule\n")
    plan = tmp_path / "plan.csv"
    plan.write_text(CSV_OK)
    assert data_cli(["goals", "import", str(plan), "--db", path, "--as", "sdr1"]) == 0
    assert "Imported plan.csv: 1 created, 1 updated, 0 deleted, 0 unchanged." in capsys.readouterr().out
    plan.write_text(CSV_OK.replace("4200", "-1"))
    assert data_cli(["goals", "import", str(plan), "--db", path, "--as", "sdr1"]) == 1
    assert "plan.csv line 2, target '-1'" in capsys.readouterr().err
