"""The shared filters every metric takes: a plain, hashable value the app can cache on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

# Filter name -> column of mart_lead_funnel it restricts. Columns are fixed here, never user text.
_DIMENSION_COLUMNS = {
    "segments": ("segment",),
    "regions": ("region",),
    "channels": ("channel",),
    # A team sees the records it worked: the lead's SDR team or the opportunity's AE team.
    "teams": ("sdr_team_id", "ae_team_id"),
}

_SCOPE_COLUMNS = {"scope_regions": ("region",), "scope_segments": ("segment",)}


@dataclass(frozen=True)
class Filters:
    """Date window (inclusive on both ends) plus optional dimension values (empty = all).

    `as_of` is the moment the numbers are read at: it decides which cohorts are too young and how
    old open records are. None means today.

    `scope_regions` and `scope_segments` are a signed-in user's row scope (empty = unlimited): applied
    on top of every other filter by `dimension_sql`, and carried over by `previous()` and `within()`,
    so no metric reads a row outside it whatever the user picks.
    """

    start: date
    end: date
    segments: tuple[str, ...] = field(default=())
    regions: tuple[str, ...] = field(default=())
    channels: tuple[str, ...] = field(default=())
    teams: tuple[str, ...] = field(default=())
    as_of: date | None = None
    scope_regions: tuple[str, ...] = field(default=())
    scope_segments: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"Filter start {self.start} is after end {self.end}.")
        for name in (*_DIMENSION_COLUMNS, *_SCOPE_COLUMNS):
            object.__setattr__(self, name, tuple(sorted(getattr(self, name))))

    @property
    def as_of_date(self) -> date:
        return self.as_of or date.today()

    @property
    def end_exclusive(self) -> date:
        return self.end + timedelta(days=1)

    def previous(self) -> Filters:
        """The window of the same length just before this one, for "is it getting better?"."""
        length = self.end_exclusive - self.start
        return replace(self, start=self.start - length, end=self.start - timedelta(days=1))

    def within(self, scoped: Filters) -> Filters:
        """These filters under `scoped`'s row scope (for filters a metric builds itself)."""
        return replace(self, scope_regions=scoped.scope_regions, scope_segments=scoped.scope_segments)

    @staticmethod
    def spanning(windows: Sequence[Filters]) -> Filters:
        """The filters of `windows`, which may differ in their dates only, from the earliest start to the latest
        end: a prefilter for reading every window in one statement."""
        first = windows[0]
        if any(replace(w, start=first.start, end=first.end) != first for w in windows):
            raise ValueError("Windows read together may differ in their dates only.")
        return replace(first, start=min(w.start for w in windows), end=max(w.end for w in windows))

    def dimension_sql(self, alias: str = "f") -> tuple[str, list]:
        """`and ...` clauses for the dimension filters and the row scope, with their parameters."""
        clauses, params = [], []
        for name, columns in (*_DIMENSION_COLUMNS.items(), *_SCOPE_COLUMNS.items()):
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


def filter_options(cur) -> dict[str, dict[str, str]]:
    """For each dimension filter, the values it can take (value -> label), from the data (unscoped: the
    sidebar narrows regions and segments to a scoped user's own)."""
    options = {}
    for name, (column, *_rest) in _DIMENSION_COLUMNS.items():
        if name != "teams":
            rows = cur.execute(f"select distinct {column} from mart_lead_funnel order by 1").fetchall()
            options[name] = {row[0]: row[0] for row in rows}
    rows = cur.execute("select team_id, team_name from teams where team_function in ('sdr', 'ae') "
                       "order by team_function desc, team_name").fetchall()
    options["teams"] = dict(rows)
    return options


def data_bounds(cur) -> tuple[date, date] | None:
    """First and last day any record entered the funnel, or None for an empty store."""
    first, last = cur.execute("select min(lead_at)::date, max(greatest(lead_at, mql_at, sal_at, sql_at, "
                              "opportunity_at, won_at, exited_at))::date from mart_lead_funnel").fetchall()[0]
    return (first, last) if first else None


DEFAULT_MONTHS = 6


def default_window(first: date, last: date) -> tuple[date, date]:
    """What the app shows first: the last six calendar months up to `last`, so monthly trends show
    whole months (only the newest is partial)."""
    index = last.year * 12 + last.month - 1 - (DEFAULT_MONTHS - 1)
    return max(first, date(index // 12, index % 12 + 1, 1)), last


def default_as_of(last: date, today: date | None = None) -> date:
    """The day a page reads "as of" first: today, or the data's last day when the data ends earlier (an export
    from years ago would otherwise be read years after its last record, with nothing in the current period)."""
    return min(today or date.today(), last)
