"""What the page-level benchmarks (bench_goals, bench_meeting, bench_feedback) share: the demo store they
time against, timing a call, and one plain-text table row per measurement."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADERS = ["what", "variant", "median ms", "min ms", "max ms", "runs", "target ms", "result"]


def table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    return "\n".join([line(headers), "  ".join("-" * w for w in widths)] + [line(r) for r in cells])


def timed(fn: Callable[[], object], runs: int, warm: int = 1) -> list[float]:
    for _ in range(warm):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def row(name: str, variant: str, samples: list[float], target: float | None) -> list:
    median = statistics.median(samples)
    verdict = "-" if target is None else ("PASS" if median < target else "FAIL")
    return [name, variant, f"{median:.1f}", f"{min(samples):.1f}", f"{max(samples):.1f}", len(samples),
            f"{target:.0f}" if target else "-", verdict]


def build(path: Path, leads: int) -> None:
    """The demo company in `path`, built in a child process unless the file exists (then reused)."""
    if path.exists():
        print(f"Reusing {path}.")
        return
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "data", "demo", "--db", str(path), "--leads", str(leads)], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)
    print(f"Built the demo ({leads:,} leads) into {path} in {time.perf_counter() - started:.1f} s.")
