"""Benchmark: the feedback loop's writes and the feedback and SLA metrics at 1M leads.

    python bench/bench_feedback.py [--leads 1000000] [--db PATH] [--runs 7]

Sections:
  1. build     the demo company into --db PATH if it does not exist (a child process), else reuse it.
  2. marts     on a copy: a full rebuild of every mart (data.marts.refresh) against the per-lead rebuild a
               verdict uses (data.marts.refresh_leads, one lead, in a transaction). Why the write path does
               not call refresh: a person waits on it.
  3. writes    on the same copy, what a person waits on: a verdict (validate, feedback row, stage event,
               per-lead mart rebuild, one transaction), a campaign rating, marketing's answer, an SLA policy
               edit. Budget: 1 s each (the Goals page's budget for a save). Then 8 threads x 50 verdicts on
               shared leads through the same path, one cursor per thread from one connection: rows written
               (must be exactly 400), retries after write conflicts, wall time.
  4. metrics   every feedback and SLA metric as the pages call them, on one connection with a cursor per
               call, for the app's default window (the last six months). One warm-up, then --runs timed calls.
               Target: the repository's 150 ms median per metric call.
Prints plain-text tables and one PASS/FAIL line per target; exits 1 if any target fails.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from common import HEADERS, ROOT, build, row, table, timed  # bench/ is on the path when a bench runs

sys.path.insert(0, str(ROOT))

import metrics  # noqa: E402
from data import db, feedback, marts  # noqa: E402
from metrics.filters import Filters, data_bounds, default_window  # noqa: E402

METRIC_TARGET_MS = 150.0
SAVE_BUDGET_MS = 1000.0
THREADS, ENTRIES = 8, 50






def open_mqls(cur, n: int) -> list[str]:
    """The newest MQLs still awaiting a verdict: what sales would be judging now."""
    return [r[0] for r in cur.execute("select lead_id from mart_mql_followup where verdict is null and "
                                      "next_mql_at is null order by mql_at desc limit ?", [n]).fetchall()]


def mart_section(con, runs: int) -> list[list]:
    cur = con.cursor()
    leads = iter(open_mqls(cur, runs + 1))

    def one_lead():
        cur.execute("begin transaction")
        marts.refresh_leads(cur, [next(leads)])
        cur.execute("commit")

    rows = [row("marts.refresh_leads", "one lead, every lead-local mart", timed(one_lead, runs), None),
            row("marts.refresh", "every mart, every lead", timed(lambda: marts.refresh(con), 1, warm=0), None)]
    cur.close()
    return rows


def write_section(con, runs: int) -> list[list]:
    cur = con.cursor()
    people = ("t.team_function = 'sdr' and r.rep_role = 'sdr'", "t.team_function = 'sdr' and r.rep_role = 'manager'",
              "t.team_function = 'marketing'")
    sdr, manager, marketer = (cur.execute(f"select min(r.rep_id) from reps as r join teams as t using (team_id) "
                                          f"where {cond}").fetchone()[0] for cond in people)
    leads = iter(open_mqls(cur, 3 * (runs + 1)))
    verdicts = iter(["reject", "accept", "recycle"] * (runs + 1))
    campaign = cur.execute("select min(campaign_id) from campaigns").fetchone()[0]
    entry = cur.execute("select max(feedback_id) from sales_feedback").fetchone()[0]
    minutes = iter([20.0, 15.0] * (runs + 1))

    def verdict():
        kind = next(verdicts)
        feedback.record_verdict(cur, sdr, next(leads), kind, reason_code="no_budget" if kind == "reject" else None,
                                rating=3, note="bench")

    cases = [
        ("record_verdict", "feedback + stage event + marts", verdict),
        ("rate_campaign", "one rating", lambda: feedback.rate_campaign(cur, manager, campaign, 4, note="bench")),
        ("respond", "answer + history", lambda: feedback.respond(cur, marketer, entry, "acknowledged", note="bench")),
        ("update_sla_policy", "threshold, audited",
         lambda: feedback.update_sla_policy(cur, manager, "sla-first-touch", {"threshold": next(minutes)})),
    ]
    rows = [row(name, variant, timed(fn, runs), SAVE_BUDGET_MS) for name, variant, fn in cases]
    cur.close()
    return rows


def concurrency_section(con) -> tuple[list[list], bool]:
    cur = con.cursor()
    sdr = cur.execute("select min(rep_id) from reps where rep_role = 'sdr'").fetchone()[0]
    leads = open_mqls(cur, 40)
    before = cur.execute("select count(*) from sales_feedback").fetchone()[0]
    retries, errors = [0], []
    rollback = feedback._rollback

    def counting_rollback(cursor) -> None:
        retries[0] += 1
        rollback(cursor)

    def write(thread: int) -> None:
        cursor = con.cursor()
        try:
            for j in range(ENTRIES):
                feedback.record_verdict(cursor, sdr, leads[(thread * 7 + j) % len(leads)], "recycle",
                                        at=datetime.now() + timedelta(seconds=thread * 1000 + j))
        except Exception as exc:  # reported, not raised: the count below must say what landed
            errors.append(repr(exc))
        finally:
            cursor.close()

    feedback._rollback = counting_rollback
    started = time.perf_counter()
    workers = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    seconds = time.perf_counter() - started
    feedback._rollback = rollback
    written = cur.execute("select count(*) from sales_feedback").fetchone()[0] - before
    cur.close()
    ok = written == THREADS * ENTRIES and not errors
    return [[f"{THREADS} threads x {ENTRIES} verdicts", written, retries[0], len(errors), f"{seconds:.1f}",
             f"{written / seconds:.0f}", "PASS" if ok else "FAIL"]], ok


def metric_section(path: Path, runs: int) -> list[list]:
    con = db.open_store(path)
    cur = con.cursor()
    f = Filters(*default_window(*data_bounds(cur)))
    cur.close()
    cases = [(name, "default window", {}) for name, m in metrics.REGISTRY.items() if m.area in ("feedback", "sla")]
    cases += [("sla_ledger", "by month", {"grain": "month"}), ("sla_first_touch", "by month", {"grain": "month"}),
              ("sla_breaches", "by rep", {"dimension": "rep"}), ("rejection_rate", "by score band",
                                                                 {"dimension": "score_band"})]
    rows = []
    for name, variant, params in cases:
        def call(name=name, params=params):
            cursor = con.cursor()
            try:
                return metrics.get(name)(cursor, f, **params)
            finally:
                cursor.close()

        rows.append(row(name, variant, timed(call, runs), METRIC_TARGET_MS))
    con.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="reuse this demo store (built there if missing)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "demo.duckdb"
        build(path, args.leads)
        copy = Path(folder) / "writes.duckdb"
        shutil.copy(path, copy)
        con = db.open_store(copy)
        print("\n## Marts: full rebuild against the per-lead rebuild a verdict uses\n")
        print(table(HEADERS, mart_section(con, args.runs)))
        print("\n## Writes a person waits on (on a copy of the store)\n")
        writes = write_section(con, args.runs)
        print(table(HEADERS, writes))
        print("\n## Concurrency: one connection, a cursor per thread\n")
        concurrent, concurrent_ok = concurrency_section(con)
        print(table(["run", "rows written", "retries", "errors", "seconds", "rows/s", "result"], concurrent))
        con.close()
        print("\n## Feedback and SLA metrics\n")
        measured = metric_section(path, args.runs)
        print(table(HEADERS, measured))
    failed = [r for r in writes + measured if r[-1] == "FAIL"]
    print(f"\n{'PASS' if not failed and concurrent_ok else 'FAIL'}: {len(failed)} target(s) missed"
          + ("" if concurrent_ok else "; concurrency run did not write exactly 400 rows without error"))
    return 0 if not failed and concurrent_ok else 1


if __name__ == "__main__":
    sys.exit(main())
