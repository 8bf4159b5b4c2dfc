"""Benchmark: meeting mode at 1M leads: the review's metrics, freezing and reading snapshots, the brief, the page.

    python bench/bench_meeting.py [--leads 1000000] [--db PATH] [--runs 7]

Sections:
  1. build     the demo company into --db PATH if it does not exist (a child process), else reuse it.
  2. board     every frame the Meeting page reads (metrics.meeting.board_requests) for the last complete month
               against the month's length before it, one connection, a cursor per call; and the meeting metrics
               read from snapshots (comparing two, the actions with carry-over, the chart annotations). One
               warm-up, then --runs timed calls. Target: the repository's 150 ms median per metric call.
  3. snapshots on a copy of the store: freezing the board (13 frames, one transaction, audited), reading a
               snapshot back, recording an action. Budgets: 1 s to freeze, 100 ms to open, 1 s to record.
  4. brief     the one-page HTML brief with its charts drawn by kaleido (the first after the process starts
               includes starting Chromium), and the ZIP of every table's CSV. Budget: 5 s for a warm brief.
  5. page      the Meeting page's script through AppTest (after the app's first run): metric caches cleared,
               cached, and a snapshot opened. Budget: 1 s cached.
Prints plain-text tables and one PASS/FAIL line per target; exits 1 if any target fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from common import HEADERS, ROOT, build, row, table, timed  # bench/ is on the path when a bench runs

sys.path.insert(0, str(ROOT))

import metrics  # noqa: E402
from data import db, meetings  # noqa: E402
from data.access import Principal  # noqa: E402
from data.snapshots import read_frames  # noqa: E402
from metrics.filters import Filters, data_bounds  # noqa: E402
from metrics.meeting import board, board_requests, meeting_window  # noqa: E402

METRIC_TARGET_MS = 150.0
FREEZE_BUDGET_MS = 1000.0
OPEN_BUDGET_MS = 100.0
RECORD_BUDGET_MS = 1000.0
BRIEF_BUDGET_MS = 5000.0
PAGE_BUDGET_MS = 1000.0






def reviewed(con) -> Filters:
    """The last complete month before the data's last day, as the page's 'Last complete month'."""
    last = data_bounds(con.cursor())[1]
    return meeting_window("month", Filters(last, last, as_of=last))


def principal(con) -> Principal:
    rep_id, name = con.execute("select r.rep_id, r.rep_name from reps as r join teams as t using (team_id) "
                               "where t.team_function = 'marketing' order by r.rep_id limit 1").fetchone()
    return Principal(rep_id, name, "marketing", rep_id)


def two_snapshots(con, f: Filters) -> tuple[int, int]:
    """The month before frozen first, then the month itself: what a monthly review has after two meetings."""
    cur = con.cursor()
    who = principal(con)
    before = meeting_window("month", Filters(f.start, f.start, as_of=f.start))
    first = meetings.freeze(cur, who, "Previous review", before, board(cur, before))
    second = meetings.freeze(cur, who, "This review", f, board(cur, f))
    campaign = con.execute("select min(campaign_id) from campaigns").fetchone()[0]
    meetings.record_item(cur, who, meetings.ItemInput(first, "action", "Carry me over", "marketing", who.actor,
                                                      date.today() + timedelta(days=7), campaign_id=campaign))
    return first, second


def board_section(path: Path, runs: int) -> list[list]:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "board.duckdb"
        shutil.copy(path, copy)
        con = db.open_store(copy)
        f = reviewed(con)
        first, second = two_snapshots(con, f)
        cases = [(r.metric, f"{r.key} ({r.window})", r.filters, r.params) for r in board_requests(f)]
        cases += [
            ("meeting_kpi_deltas", "two snapshots", f, {"snapshot_id": second, "compare_to": first}),
            ("meeting_kpi_deltas", "live against a snapshot", f, {"compare_to": first}),
            ("meeting_kpi_contributors", "two snapshots, by campaign", f,
             {"dimension": "campaign", "top": 0, "snapshot_id": second, "compare_to": first}),
            ("meeting_actions", "a snapshot, with carry-over", f, {"snapshot_id": second}),
            ("meeting_actions", "live", f, {}),
            ("chart_annotations", "six months", Filters(f.end - timedelta(days=182), f.end), {}),
            ("meeting_snapshots", "every snapshot", f, {}),
        ]
        rows = []
        for name, variant, filters, params in cases:
            def call(name=name, filters=filters, params=params):
                cursor = con.cursor()
                try:
                    return metrics.get(name)(cursor, filters, **params)
                finally:
                    cursor.close()

            rows.append(row(name, variant, timed(call, runs), METRIC_TARGET_MS))
        cur = con.cursor()
        rows.append(row("whole board", f"{len(cases) - 7} frames, one after another",
                        timed(lambda: board(cur, f), max(3, runs // 2)), None))
        con.close()
    return rows


def snapshot_section(path: Path, runs: int) -> list[list]:
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "snapshots.duckdb"
        shutil.copy(path, copy)
        con = db.open_store(copy)
        cur = con.cursor()
        f = reviewed(con)
        who = principal(con)
        frames = board(cur, f)
        ids = []
        rows = [row("freeze", "13 frames + audit, one transaction",
                    timed(lambda: ids.append(meetings.freeze(cur, who, "Bench review", f, frames)), runs),
                    FREEZE_BUDGET_MS)]
        size = con.execute("select sum(octet_length(content)) from meeting_snapshot_frames where snapshot_id = ?",
                           [ids[-1]]).fetchone()[0]
        rows.append(row("open a snapshot", f"every frame, {size / 1024:.0f} KiB stored",
                        timed(lambda: read_frames(cur, ids[-1]), runs), OPEN_BUDGET_MS))
        campaign = con.execute("select min(campaign_id) from campaigns").fetchone()[0]
        item = meetings.ItemInput(ids[-1], "action", "A bench action", "marketing", who.actor,
                                  date.today() + timedelta(days=7), campaign_id=campaign)
        rows.append(row("record an action", "validate + write + audit",
                        timed(lambda: meetings.record_item(cur, who, item), runs), RECORD_BUDGET_MS))
        con.close()
    return rows


def brief_section(path: Path, runs: int) -> list[list]:
    from ui import brief

    con = db.open_store(path)  # brings an older store's schema and marts up to date, as the app does
    cur = con.cursor()
    f = reviewed(con)
    frames = board(cur, f)
    actions = metrics.get("meeting_actions")(cur, f)
    notes = metrics.get("chart_annotations")(cur, f)
    con.close()
    info = brief.BriefInfo("Bench review", f"{f.start} – {f.end}", "Live numbers, not frozen", "All records")
    started = time.perf_counter()
    brief.brief_html(info, frames, actions, notes)
    first = (time.perf_counter() - started) * 1000
    tables = brief.csv_tables(frames, actions, notes)
    return [row("brief (HTML, 2 charts)", "first in the process (starts Chromium)", [first], None),
            row("brief (HTML, 2 charts)", "warm", timed(lambda: brief.brief_html(info, frames, actions, notes), runs,
                                                        warm=0), BRIEF_BUDGET_MS),
            row("tables (ZIP of CSVs)", f"{len(tables)} tables", timed(lambda: brief.tables_zip(tables), runs), None)]


def page_section(path: Path, runs: int) -> list[list]:
    from streamlit.testing.v1 import AppTest

    from ui import store

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "page.duckdb"
        shutil.copy(path, copy)
        con = db.open_store(copy)
        f = reviewed(con)
        snapshot = two_snapshots(con, f)[1]
        con.close()
        os.environ["TANDEM_DB"] = str(copy)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.query_params.update({"start": f.start.isoformat(), "end": f.end.isoformat()})
        at.run()  # the app's first run draws the default page; the Meeting page is timed from here on
        at.switch_page("views/meeting.py").run()
        assert not at.exception, [e.value for e in at.exception]

        def redraw(clear: bool):
            def run():
                if clear:
                    store.clear_caches()
                at.run()
            return run

        rows = [row("Meeting page rerun", "live, metric caches cleared", timed(redraw(True), max(3, runs // 2)), None),
                row("Meeting page rerun", "live, cached", timed(redraw(False), runs), PAGE_BUDGET_MS)]
        at.segmented_control(key="meeting_mode").set_value("Snapshot").run()
        at.selectbox(key="meeting_snapshot").set_value(snapshot).run()
        assert not at.exception, [e.value for e in at.exception]
        rows.append(row("Meeting page rerun", "a snapshot, cached", timed(redraw(False), runs), PAGE_BUDGET_MS))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", help="store to use (built here if missing; default: a temporary file)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.db) if args.db else Path(folder) / "bench_meeting.duckdb"
        build(path, args.leads)
        print(f"\n{date.today()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
        failed = False
        for title, section in (("2. Meeting board and meeting metrics", board_section),
                               ("3. Snapshots and actions (write path)", snapshot_section),
                               ("4. Brief", brief_section), ("5. Meeting page (AppTest)", page_section)):
            rows = section(path, args.runs)
            print(title)
            print(table(HEADERS, rows))
            print()
            failed |= any(r[-1] == "FAIL" for r in rows)
        print("FAIL: a target was missed." if failed else "PASS: every target met.")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
