"""Calendar periods goals are set for: a month, a quarter or a year, named by a short label.

Labels: month `2026-03`, quarter `2026-Q1`, year `2026`. A period is read "as of" a day: the whole
of that day has happened (the same reading moment as the funnel metrics).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_TYPES: tuple[str, ...] = ("month", "quarter", "year")
MONTHS_IN: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
_LABEL = {
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
_LABEL_FORM = {"month": "YYYY-MM, e.g. 2026-03", "quarter": "YYYY-Qn, e.g. 2026-Q1", "year": "YYYY, e.g. 2026"}


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month, quarter or year, from `start` (its first day) for `months` months."""

    period_type: str
    start: date

    def __post_init__(self) -> None:
        if self.period_type not in PERIOD_TYPES:
            raise ValueError(f"period type must be one of {', '.join(PERIOD_TYPES)}; got {self.period_type!r}.")
        if self.start != _first_day(self.period_type, self.start):
            raise ValueError(f"{self.start} is not the first day of a {self.period_type}.")

    @property
    def months(self) -> int:
        return MONTHS_IN[self.period_type]

    @property
    def end(self) -> date:
        """The day after the period (exclusive end)."""
        return add_months(self.start, self.months)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def label(self) -> str:
        if self.period_type == "month":
            return f"{self.start:%Y-%m}"
        if self.period_type == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    @property
    def title(self) -> str:
        """For people: March 2026, Q1 2026, 2026."""
        if self.period_type == "month":
            return f"{self.start:%B %Y}"
        if self.period_type == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"{self.start.year}"

    def shift(self, periods: int) -> Period:
        return Period(self.period_type, add_months(self.start, periods * self.months))

    def previous(self) -> Period:
        return self.shift(-1)

    def last_year(self) -> Period:
        return Period(self.period_type, add_months(self.start, -12))

    def month_starts(self) -> list[date]:
        return [add_months(self.start, k) for k in range(self.months)]

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def elapsed_days(self, as_of: date) -> int:
        """Days of the period that have happened by the end of `as_of`: 0 before it starts, all after it."""
        return min(max((as_of - self.start).days + 1, 0), self.days)

    def read_until(self, as_of: date) -> date:
        """The last day whose records count when the period is read on `as_of`."""
        return min(self.last_day, as_of)


def _first_day(period_type: str, day: date) -> date:
    month = {"month": day.month, "quarter": 3 * ((day.month - 1) // 3) + 1, "year": 1}[period_type]
    return date(day.year, month, 1)


def period_containing(period_type: str, day: date) -> Period:
    if period_type not in PERIOD_TYPES:
        raise ValueError(f"period type must be one of {', '.join(PERIOD_TYPES)}; got {period_type!r}.")
    return Period(period_type, _first_day(period_type, day))


def parse_period(period_type: str, text: str, as_of: date) -> Period:
    """`current` (the period holding `as_of`), `previous`, or a label such as 2026-Q1."""
    text = text.strip()
    if text == "current":
        return period_containing(period_type, as_of)
    if text == "previous":
        return period_containing(period_type, as_of).previous()
    if period_type not in PERIOD_TYPES:
        raise ValueError(f"period type must be one of {', '.join(PERIOD_TYPES)}; got {period_type!r}.")
    match = _LABEL[period_type].match(text)
    if not match:
        raise ValueError(f"{text!r} is not a {period_type}: write it as {_LABEL_FORM[period_type]}.")
    year = int(match.group(1))
    if period_type == "month":
        month = int(match.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r} is not a month: the month must be 01 to 12.")
        return Period("month", date(year, month, 1))
    if period_type == "quarter":
        return Period("quarter", date(year, 3 * (int(match.group(2)) - 1) + 1, 1))
    return Period("year", date(year, 1, 1))
