"""Independent reads of one metric run at the same time, each on its own cursor of the same store.

A statement over the marts mostly keeps one core busy (its scans skip most row groups, so DuckDB has little to
split between its threads), and DuckDB releases the GIL while a statement runs: on two cores, a metric made of
a few independent statements finishes in about the time of the longest instead of their sum.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

_T = TypeVar("_T")


def side_by_side(cur, reads: Sequence[Callable[[object], _T]]) -> list[_T]:
    """Each read's result, in order. The first runs on `cur` in this thread (so a caller wrapping its cursor still
    sees it); the others at the same time in worker threads, each on a fresh cursor of cur's store (a DuckDB
    cursor serves one thread at a time), closed when its read is done. A read that fails raises here."""
    if len(reads) < 2:
        return [read(cur) for read in reads]
    with ThreadPoolExecutor(max_workers=len(reads) - 1, thread_name_prefix="metric-read") as pool:
        others = [pool.submit(_on_own_cursor, cur.cursor(), read) for read in reads[1:]]
        first = reads[0](cur)
        return [first] + [future.result() for future in others]


def _on_own_cursor(cur, read: Callable[[object], _T]) -> _T:
    try:
        return read(cur)
    finally:
        cur.close()
