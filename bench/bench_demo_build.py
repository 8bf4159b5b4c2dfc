"""Benchmark: build the demo company into a temporary file; print rows, seconds and peak memory.

    python bench/bench_demo_build.py [--leads 1000000] [--seed 7]

The budget is 60 seconds for a million leads (about ten million touchpoints).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from data import demo  # noqa: E402
from data.__main__ import format_counts  # noqa: E402

BUDGET_SECONDS = 60.0


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench_demo.duckdb"
        started = time.perf_counter()
        counts = demo.build_demo_file(path, n_leads=args.leads, seed=args.seed, today=args.today)
        seconds = time.perf_counter() - started
        size_mb = path.stat().st_size / 2**20
    print(format_counts(counts))
    print(f"\nleads requested  {args.leads:>12,}")
    print(f"build seconds    {seconds:>12.1f}   (budget {BUDGET_SECONDS:.0f})")
    print(f"peak RSS MB      {peak_rss_mb():>12,.0f}")
    print(f"file size MB     {size_mb:>12,.0f}")
    return 0 if seconds < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
