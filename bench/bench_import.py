"""Benchmark: a 1M-row file validated and loaded, end to end, as `python -m data import` does it.

    python bench/bench_import.py [--rows 1000000] [--seed 7] [--keep DIR]

Two files of --rows rows each, generated with numpy into a temporary folder (or --keep DIR):
  1. contacts   a HubSpot contacts export (record ID, create date, original source, lifecycle stage,
                lead status, e-mail, company, "Date entered" MQL and SQL columns) through the HubSpot
                preset: one lead, a lead entry and up to three more stage entries per row.
  2. deals      a Maven-format pipeline file through data/importers/examples/maven_crm_pipeline.toml:
                one opportunity, one made-up lead and two or three stage entries per row.
Each is loaded into a fresh store (read and checked: `prepare`; written in one transaction with the
marts rebuilt: `load`), then loaded again to show the second load changes nothing. Columns: read and
check, write the tables, rebuild every mart in data/marts/ (the same rebuild the demo build pays),
commit. The budget is 15 seconds for the whole first load of each 1M-row file, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

from data import db  # noqa: E402
from data.access import shell_principal  # noqa: E402
from data.importers import from_paths, load, load_spec, prepare, preset  # noqa: E402
from data.importers.write import rows_changed  # noqa: E402

BUDGET_SECONDS = 15.0
MAVEN = Path(__file__).resolve().parents[1] / "data" / "importers" / "examples" / "maven_crm_pipeline.toml"
SOURCES = np.array(["ORGANIC_SEARCH", "PAID_SEARCH", "EMAIL_MARKETING", "PAID_SOCIAL", "REFERRALS", "OFFLINE", ""])
LIFECYCLE = np.array(["lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"])
STATUS = np.array(["NEW", "IN_PROGRESS", "CONNECTED", "UNQUALIFIED", "BAD_TIMING", ""])
DEAL_STAGES = np.array(["Won", "Lost", "Engaging", "Prospecting"])


def _stamp(base: np.datetime64, seconds: np.ndarray) -> np.ndarray:
    return (base + seconds.astype("timedelta64[s]")).astype("datetime64[s]").astype(str)


def contacts_file(path: Path, rows: int, rng: np.random.Generator) -> None:
    created = rng.integers(0, 2 * 365 * 86400, rows)
    stage = rng.choice(len(LIFECYCLE), rows, p=[0.6, 0.2, 0.1, 0.06, 0.04])
    mql = np.where(stage >= 1, _stamp(np.datetime64("2024-01-01"), created + rng.integers(3600, 864000, rows)), "")
    sql = np.where(stage >= 2, _stamp(np.datetime64("2024-01-01"), created + rng.integers(864000, 3456000, rows)), "")
    ids = np.arange(1, rows + 1)
    table = pa.table({
        "Record ID": ids.astype(str),
        "Create Date": _stamp(np.datetime64("2024-01-01"), created),
        "Original Source": SOURCES[rng.integers(0, len(SOURCES), rows)],
        "Lifecycle Stage": LIFECYCLE[stage],
        "Lead Status": STATUS[rng.integers(0, len(STATUS), rows)],
        "Email": np.char.add(np.char.add("person", (ids % (rows - rows // 50)).astype(str)), "@example.com"),
        "Company Name": np.char.add("Company ", (ids % 20_000).astype(str)),
        'Date entered "Marketing Qualified Lead (Lifecycle Stage Pipeline)"': mql,
        'Date entered "Sales Qualified Lead (Lifecycle Stage Pipeline)"': sql,
        "Last Modified Date": _stamp(np.datetime64("2026-01-01"), rng.integers(0, 86400 * 30, rows)),
    })
    pacsv.write_csv(table, path)


def deals_file(path: Path, rows: int, rng: np.random.Generator) -> None:
    stage = DEAL_STAGES[rng.choice(4, rows, p=[0.48, 0.28, 0.18, 0.06])]
    engage = rng.integers(0, 700, rows)
    closed = np.isin(stage, ["Won", "Lost"])
    close_day = np.datetime64("2016-01-01") + (engage + rng.integers(5, 120, rows)).astype("timedelta64[D]")
    value = np.where(stage == "Won", rng.integers(50, 30_000, rows), 0).astype(str)
    table = pa.table({
        "opportunity_id": np.char.add("OPP", np.arange(rows).astype(str)),
        "sales_agent": np.char.add("Agent ", rng.integers(0, 35, rows).astype(str)),
        "product": np.full(rows, "GTX Basic"),
        "account": np.char.add("Account ", rng.integers(0, 85, rows).astype(str)),
        "deal_stage": stage,
        "engage_date": np.where(stage == "Prospecting", "",
                                (np.datetime64("2016-01-01") + engage.astype("timedelta64[D]")).astype(str)),
        "close_date": np.where(closed, close_day.astype(str), ""),
        "close_value": np.where(closed, value, ""),
    })
    pacsv.write_csv(table, path)


def run(spec, file: Path, store: Path) -> list[tuple]:
    """Load `file` twice into a fresh store; per load: seconds to read and check, to write the tables,
    to rebuild the marts and to commit, the total, the CPU seconds of all this process's threads, rows
    changed, what was inserted, problems."""
    con = db.open_store(store)
    rows = []
    try:
        files = from_paths([file])
        for attempt in ("first load", "same file again"):
            started, cpu_started = time.perf_counter(), time.process_time()
            plan = prepare(con.cursor(), spec, files)
            prepared = time.perf_counter() - started
            result = load(con, plan, "strict", shell_principal("bench"))
            total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            counts = ", ".join(f"{t} {n:,}" for t, n in zip(result.counts["table"], result.counts["inserted"]) if n)
            rows.append((attempt, prepared, result.steps["tables"], result.steps["marts"], result.steps["commit"],
                         total, cpu, rows_changed(result), counts or "nothing new", len(plan.problems)))
    finally:
        con.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="write the generated files here and keep them")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"load average at start {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        cases = [("contacts", preset("hubspot"), folder / "contacts.csv", contacts_file),
                 ("deals", load_spec(MAVEN), folder / "sales_pipeline.csv", deals_file)]
        print(f"{'file':<10}{'load':<17}{'MB':>5}{'read+check':>12}{'tables':>8}{'marts':>7}{'commit':>8}"
              f"{'total s':>9}{'cpu s':>7}{'changed':>11}{'problems':>10}  inserted")
        ok = True
        for label, spec, path, generate in cases:
            generate(path, args.rows, rng)
            size = path.stat().st_size / 2**20
            for attempt, prepared, tables, marts, commit, total, cpu, changed, counts, problems in \
                    run(spec, path, Path(tmp) / f"{label}.duckdb"):
                print(f"{label:<10}{attempt:<17}{size:>5.0f}{prepared:>12.1f}{tables:>8.1f}{marts:>7.1f}{commit:>8.1f}"
                      f"{total:>9.1f}{cpu:>7.1f}{changed:>11,}{problems:>10,}  {counts}")
                ok &= total < BUDGET_SECONDS if attempt == "first load" else changed == 0
    scale = 1 if sys.platform == "darwin" else 1024
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # at the end
    print(f"\nrows per file {args.rows:,}; budget {BUDGET_SECONDS:.0f} s for the total of a first load (read, check, "
          f"write, rebuild the marts, commit: one transaction); peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20:,.0f} MB; "
          f"{os.cpu_count()} CPUs, load average {load} (other processes share them: CPU s is the time this "
          f"process's threads ran, which other load inflates much less than the wall clock)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
