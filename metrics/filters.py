"""The shared filters every metric takes: a plain, hashable value the app can cache on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

# Filter name -> column of mart_lead_funnel it restricts. Columns are fixed here, never user text.
_DIMENSION_COLUMNS = {
    "segments": ("segment",),
    "regions": ("region",),
    "channels": ("channel",),
    # A team sees the records it worked: the lead's SDR team or the opportunity's AE team.
    "teams": ("sdr_team_id", "ae_team_id"),
}


@dataclass(frozen=True)
class Filters:
    """Date window (inclusive on both ends) plus optional dimension values (empty = all).

    `as_of` is the moment the numbers are read at: it decides which cohorts are too young and how
    old open records are. None means today.
    """

    start: date
    end: date
    segments: tuple[str, ...] = field(default=())
    regions: tuple[str, ...] = field(default=())
    channels: tuple[str, ...] = field(default=())
    teams: tuple[str, ...] = field(default=())
    as_of: date | None = None

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"Filter start {self.start} is after end {self.end}.")
        for name in _DIMENSION_COLUMNS:
            object.__setattr__(self, name, tuple(sorted(getattr(self, name))))

    @property
    def as_of_date(self) -> date:
        return self.as_of or date.today()

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    def dimension_sql(self, alias: str = "f") -> tuple[str, list]:
        """`and ...` clauses for the dimension filters, with their parameters."""
        clauses, params = [], []
        for name, columns in _DIMENSION_COLUMNS.items():
            values = getattr(self, name)
            if not values:
                continue
            ors = " or ".join(f"{alias}.{column} = any(?::varchar[])" for column in columns)
            clauses.append(f" and ({ors})")
            params.extend([list(values)] * len(columns))
        return "".join(clauses), params

    def window_sql(self, column: str) -> tuple[str, list]:
        """`column` falls in [start, end]; `column` must be a fixed column name."""
        return f"{column} >= ?::timestamp and {column} < ?::timestamp", [self.start, self.end_exclusive]
