"""Benchmark: the goal metrics, the goals write path and the Goals page at 1M leads.

    python bench/bench_goals.py [--leads 1000000] [--db PATH] [--runs 7]

Sections:
  1. build     the demo company into --db PATH if it does not exist (a child process), else reuse it.
  2. metrics   every goal metric as the Goals page calls it, on one connection with a cursor per call,
               read as of the data's last day: the current quarter (running), the last complete quarter
               (the demo's missed one), the current month and year. One warm-up, then --runs timed calls.
               Target: the repository's 150 ms median per metric call.
  3. writes    on a copy of the store: one goal edit saved (validated, one transaction, audited), a CSV
               export of every goal imported back unchanged, and the same file with every target 1% higher.
               Budget: 1 s for a save a person waits on, 2 s for importing every goal.
  4. page      the Goals page's script through AppTest (after the app's first run): with the metric caches
               cleared, cached, and after a change of quarter. Budget: 1 s cached.
Prints plain-text tables and one PASS/FAIL line per target; exits 1 if any target fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from common import HEADERS, ROOT, build, row, table, timed  # bench/ is on the path when a bench runs

sys.path.insert(0, str(ROOT))

import metrics  # noqa: E402
from data import db  # noqa: E402
from data import goals as goal_store  # noqa: E402
from metrics import goals as g  # noqa: E402
from metrics.filters import data_bounds  # noqa: E402
from metrics.periods import parse_period  # noqa: E402

METRIC_TARGET_MS = 150.0
SAVE_BUDGET_MS = 1000.0
IMPORT_BUDGET_MS = 2000.0
PAGE_BUDGET_MS = 1000.0








def metric_section(path: Path, runs: int) -> list[list]:
    con = db.open_store(path)
    cur = con.cursor()
    as_of = data_bounds(cur)[1]
    cur.close()
    current = parse_period("quarter", "current", as_of)
    behind = current.previous()
    reading = g.reading_filters(current, as_of)
    revenue = f"g-won_revenue-quarter-{current.label}"
    month = parse_period("month", "current", as_of)
    cases = [
        ("goal_progress", "current quarter", {"period_type": "quarter", "period": current.label}),
        ("goal_progress", f"last quarter ({behind.label})", {"period_type": "quarter", "period": behind.label}),
        ("goal_progress", "current month", {"period_type": "month", "period": month.label}),
        ("goal_progress", "current year", {"period_type": "year", "period": "current"}),
        ("goal_history", "won revenue, 8 quarters", {"period_type": "quarter", "period": current.label}),
        ("goal_pacing", "won revenue, quarter (weekly)", {"period": current.label, "goal_id": revenue}),
        ("goal_pacing", "won revenue, month (every other day)", {"period_type": "month", "period": month.label,
                                                       "goal_id": f"g-won_revenue-month-{month.label}"}),
        ("goal_comparison", "current quarter", {"period_type": "quarter", "period": current.label}),
        ("goal_revenue_sources", "current quarter", {"period_type": "quarter", "period": current.label}),
        ("goal_reverse_funnel", "current quarter, 180 days", {"period_type": "quarter", "period": current.label}),
        ("open_pipeline", "as of the last day", {}),
        ("goal_list", "every goal", {}),
        ("goal_changes", "audit trail", {}),
    ]
    rows = []
    for name, variant, params in cases:
        def call(name=name, params=params):
            cursor = con.cursor()
            try:
                return metrics.get(name)(cursor, reading, **params)
            finally:
                cursor.close()

        rows.append(row(name, variant, timed(call, runs), METRIC_TARGET_MS))
    con.close()
    return rows


def write_section(path: Path, runs: int) -> list[list]:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "writes.duckdb"
        shutil.copy(path, copy)
        con = db.open_store(copy)
        who = con.execute("select min(rep_id) from reps").fetchone()[0]
        goal = con.execute("select metric_name, period_type, period_start, target from goals "
                           "where period_type = 'month' order by period_start desc limit 1").fetchone()
        label = parse_period(goal[1], "current", goal[2]).label
        flip = iter([goal[3] + 1, goal[3]] * (runs + 1))

        def edit():
            change = goal_store.Change("update", goal_store.GoalInput(goal[0], goal[1], label, target=next(flip),
                                                                      owner_team="shared"), "bench")
            return goal_store.save(con, [change], who)

        rows = [row("save one edit", "validate + write + audit", timed(edit, runs), SAVE_BUDGET_MS)]
        exported = goal_store.export_frame(g.load_goals(con.cursor()))
        unchanged = exported.to_csv(index=False)
        rows.append(row("import every goal", f"{len(exported)} rows, unchanged",
                        timed(lambda: goal_store.import_csv(con, unchanged, "goals.csv", who), runs),
                        IMPORT_BUDGET_MS))
        raised = [exported.assign(target=[f"{float(t) * (1.01 ** k):.2f}" for t in exported["target"]])
                  for k in range(1, runs + 2)]
        files = iter(frame.to_csv(index=False) for frame in raised)
        rows.append(row("import every goal", f"{len(exported)} rows, every target +1%",
                        timed(lambda: goal_store.import_csv(con, next(files), "goals.csv", who), runs),
                        IMPORT_BUDGET_MS))
        con.close()
    return rows


def page_section(path: Path, runs: int) -> list[list]:
    from streamlit.testing.v1 import AppTest

    from ui import store

    os.environ["TANDEM_DB"] = str(path)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()  # the app's first run draws the default page; the Goals page is timed from here on
    at.switch_page("views/goals.py").run()
    assert not at.exception, [e.value for e in at.exception]

    def redraw(clear: bool):
        def run():
            if clear:
                store.clear_caches()
            at.run()
        return run

    choices = at.selectbox(key="goals_period_quarter").options
    periods = iter(choices[k % 2] for k in range(2 * runs + 4))

    def change_period():
        at.selectbox(key="goals_period_quarter").set_value(next(periods)).run()

    return [row("Goals page rerun", "metric caches cleared", timed(redraw(True), max(3, runs // 2)), None),
            row("Goals page rerun", "cached", timed(redraw(False), runs), PAGE_BUDGET_MS),
            row("Goals page rerun", "another quarter, cached", timed(change_period, runs), PAGE_BUDGET_MS)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", help="store to use (built here if missing; default: a temporary file)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.db) if args.db else Path(folder) / "bench_goals.duckdb"
        build(path, args.leads)
        print(f"\n{date.today()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
        failed = False
        for title, section in (("2. Goal metrics", metric_section), ("3. Goals write path", write_section),
                               ("4. Goals page (AppTest)", page_section)):
            rows = section(path, args.runs)
            print(title)
            print(table(HEADERS, rows))
            print()
            failed |= any(r[-1] == "FAIL" for r in rows)
        print("FAIL: a target was missed." if failed else "PASS: every target met.")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
