"""Number formatting for tiles and captions (tables use st.column_config formats)."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def count(value) -> str:
    return "–" if _missing(value) else f"{int(value):,}"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 problem', '2 problems', '1,200 rows'."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def percent(value, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{value * 100:.{digits}f}%"


def decimal(value, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{value:.{digits}f}"


def money(value) -> str:
    if _missing(value):
        return "–"
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"${value / limit:.1f}{suffix}"
    return f"${value:,.0f}"


def days(value) -> str:
    return "–" if _missing(value) else f"{value:.1f} d"


def interval(low, high) -> str:
    if _missing(low) or _missing(high):
        return "–"
    return f"{low * 100:.1f}–{high * 100:.1f}%"


def change(current, previous) -> str | None:
    """Relative change for st.metric's delta; None when there is nothing to compare with."""
    if _missing(current) or _missing(previous) or previous == 0:
        return None
    return f"{(current - previous) / previous * 100:+.1f}%"


def day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def date_range(start: date, end: date) -> str:
    """'1 Oct – 31 Oct 2018'; the start's year too when it differs: '1 Oct 2016 – 31 Oct 2018'."""
    first = f"{start.day} {start:%b}" if start.year == end.year else day(start)
    return f"{first} – {day(end)}"
