"""One file's rows mapped onto one table's fields: columns picked, values translated, cells typed.

Every cell that cannot become what its field needs is a problem naming the file, the row (the
header is row 1), the source column, the value and the reason. Rows are never dropped silently:
a row the spec skips is counted with the reason (`skip_when`, `keep_when`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.importers.read import Problem
from data.importers.spec import ISO, WILDCARD, FileMapping, ImportSpec, Source
from data.stages import ALL_STAGES

PROBLEM_COLUMNS = ["file", "row", "column", "value", "reason"]
_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


class FileRejected(ValueError):
    """A problem with the file as a whole (a required column is missing): none of its rows can load."""

    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem


@dataclass
class Mapped:
    """A file's rows as one table's fields (`frame`), with the stage entries a leads file's status and
    date columns give (`events`), and the problems found in its cells."""

    file: str
    mapping: FileMapping
    frame: pd.DataFrame
    events: pd.DataFrame
    problems: pd.DataFrame
    raw: pd.DataFrame
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows skipped
    not_in_file: list[str] = field(default_factory=list)  # optional fields whose columns are absent


def row_keys(files: pd.Series | str, rows: pd.Series) -> np.ndarray:
    """(file, row) as one integer, cheap to compare over millions of rows."""
    if isinstance(files, str):
        codes = np.int64(_file_code(files))
    else:
        index, names = pd.factorize(files)
        codes = np.array([_file_code(n) for n in names], dtype="int64")[index]
    return codes * 2**32 + rows.to_numpy(dtype="int64")


def _file_code(name: str) -> int:
    return zlib.crc32(str(name).encode()) & 0x7FFFFFFF


def lookup_values(cells: pd.Series, table: dict[str, str]) -> pd.Series:
    """cells.map(table) through Arrow's hash lookup: text out, missing where the key is not in table."""
    keys = pa.array(list(table), type=pa.string())
    values = pa.array(list(table.values()), type=pa.string())
    positions = pc.index_in(pa.array(cells.astype("str"), type=pa.string(), from_pandas=True), value_set=keys)
    return pd.Series(pc.take(values, positions).to_pandas(), index=cells.index, dtype="str")


def problems_frame(rows: list[Problem] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame([p.__dict__ for p in rows or []], columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


class _Collector:
    """Problems found in one file, gathered as column-wise frames (a million bad cells stay cheap)."""

    def __init__(self, file: str):
        self.file = file
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series, rows: pd.Series, column: str, values: pd.Series, reason) -> None:
        if not mask.any():
            return
        reasons = reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason
        self.parts.append(pd.DataFrame({"file": self.file, "row": rows[mask].to_numpy(), "column": column,
                                        "value": values[mask].astype("object").to_numpy(), "reason": reasons}))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return problems_frame()
        out = pd.concat(self.parts, ignore_index=True)
        out["row"] = out["row"].astype("Int64")
        return out


def map_file(name: str, raw: pd.DataFrame, mapping: FileMapping, spec: ImportSpec,
             lookups: dict[str, dict[str, str]]) -> Mapped:
    """Map `raw` (every cell text) onto `mapping.table`'s fields."""
    raw = raw.reset_index(drop=True)
    rows = pd.Series(np.arange(2, len(raw) + 2), dtype="int64")
    kept, skipped = _apply_row_rules(name, raw, mapping, spec)
    raw, rows = raw[kept].reset_index(drop=True), rows[kept].reset_index(drop=True)
    problems = _Collector(name)
    frame = pd.DataFrame({"_row": rows, "_key": row_keys(name, rows)})
    not_in_file = []
    entity = mapping.entity
    for fld in entity.fields:
        source = mapping.columns.get(fld.name)
        cells, column = _cells(name, raw, source, spec) if source else (None, None)
        if source and cells is None:
            if fld.required and fld.name not in mapping.constants and fld.name not in mapping.defaults:
                raise FileRejected(_missing_column(name, raw, source))
            not_in_file.append(" / ".join(source.columns))
        column = column or fld.name
        if fld.name in mapping.constants:
            cells = pd.Series(mapping.constants[fld.name], index=raw.index, dtype="str")
        if cells is None and fld.name not in mapping.defaults:
            continue  # not in this file: the field is left out, so an update never erases it
        if cells is None:
            cells = pd.Series(np.nan, index=raw.index, dtype="str")
        if source and source.lookup:
            cells = _look_up(cells, lookups[source.lookup], source, rows, column, problems)
        if fld.name in mapping.defaults:
            defaulted = cells.isna()
            cells = cells.fillna(mapping.defaults[fld.name])
            if fld.kind == "timestamp":
                frame[f"_estimated_{fld.name}"] = defaulted.to_numpy()
        if fld.required:
            problems.add(cells.isna(), rows, column, cells, f"empty, but {fld.name} is required")
        if fld.name in mapping.values or fld.kind == "stage":
            cells = _translate(cells, mapping.values.get(fld.name, {}), fld.kind, rows, column, problems)
        frame[fld.name] = _typed(cells, fld.kind, mapping, rows, column, problems, fld.name)
    events = _lead_events(name, raw, mapping, spec, frame, rows, problems) if entity.name == "leads" else None
    return Mapped(name, mapping, frame, events if events is not None else _no_events(), problems.frame(), raw,
                  skipped, not_in_file)


def _no_events() -> pd.DataFrame:
    return pd.DataFrame({"_key": pd.Series(dtype="int64"), "lead_id": pd.Series(dtype="str"),
                         "stage": pd.Series(dtype="str"), "entered_at": pd.Series(dtype="datetime64[us]"),
                         "is_estimated": pd.Series(dtype="bool")})


def _apply_row_rules(name: str, raw: pd.DataFrame, mapping: FileMapping, spec: ImportSpec):
    kept = pd.Series(True, index=raw.index)
    skipped = {}
    for rules, keep in ((mapping.skip_when, False), (mapping.keep_when, True)):
        for column, values in rules.items():
            cells, _ = _cells(name, raw, Source((column,)), spec)
            if cells is None and not keep:
                continue  # nothing to skip by a column the export left out
            if cells is None:
                raise FileRejected(_missing_column(name, raw, Source((column,))))
            wanted = {v.lower() for v in values}
            hit = cells.fillna("").str.lower().isin(wanted)
            drop = (hit if not keep else ~hit) & kept
            if drop.any():
                shown = ", ".join(repr(v) for v in values)
                skipped[f"{column} {'is' if not keep else 'is not'} {shown}"] = int(drop.sum())
            kept &= ~drop
    return kept, skipped


def _cells(name: str, raw: pd.DataFrame, source: Source, spec: ImportSpec) -> tuple[pd.Series | None, str | None]:
    """First non-empty cell among the source's columns present in the file; None if none is present."""
    present = [c for c in (_find_column(raw, wanted) for wanted in source.columns) if c is not None]
    if not present:
        return None, None
    empties = {""} | set(spec.empty_values)
    out = None
    for column in present:
        cells = raw[column].astype("str").str.strip()
        cells = cells.where(~cells.isin(empties))
        out = cells if out is None else out.fillna(cells)
    return out, " / ".join(present)


def _find_column(raw: pd.DataFrame, wanted: str) -> str | None:
    if wanted in raw.columns:
        return wanted
    folded = {_fold(c): c for c in raw.columns}
    return folded.get(_fold(wanted))


def _fold(name: str) -> str:
    return " ".join(str(name).replace('"', "'").split()).lower()


def _missing_column(name: str, raw: pd.DataFrame, source: Source) -> Problem:
    wanted = " or ".join(repr(c) for c in source.columns)
    has = ", ".join(repr(c) for c in raw.columns[:40])
    hint = ""
    if len(raw.columns) == 1 and any(d in str(raw.columns[0]) for d in ";\t|:"):
        hint = (" The header was read as one column, so the file may use another delimiter: set delimiter "
                "in the mapping.")
    return Problem(name, None, None, None, f"column {wanted} not found; the file's columns are {has}.{hint}")


def _look_up(cells: pd.Series, table: dict[str, str], source: Source, rows: pd.Series, column: str,
             problems: _Collector) -> pd.Series:
    found = lookup_values(cells, table)
    problems.add(cells.notna() & found.isna(), rows, column, cells,
                 f"not found in the {source.lookup} lookup file")
    return found


def _translate(cells: pd.Series, values: dict[str, str], kind: str, rows: pd.Series, column: str,
               problems: _Collector) -> pd.Series:
    """Value mapping (case-insensitive; '*' catches the rest). A stage must end up as a Tandem stage."""
    table = {k.lower(): v for k, v in values.items() if k != WILDCARD}
    lowered = cells.str.lower()
    out = lookup_values(lowered, table)
    unmatched = cells.notna() & out.isna()
    if WILDCARD in values:
        out = out.mask(unmatched, values[WILDCARD])
    elif kind == "stage":
        is_stage = lowered.isin(ALL_STAGES)
        out = out.mask(unmatched & is_stage, lowered)
        problems.add(unmatched & ~is_stage, rows, column, cells,
                     "unknown stage: map it under [files.values] to one of " + ", ".join(ALL_STAGES))
    else:
        out = out.mask(unmatched, cells)
    return out.where(out != "")


def _typed(cells: pd.Series, kind: str, mapping: FileMapping, rows: pd.Series, column: str,
           problems: _Collector, field_name: str) -> pd.Series:
    if kind in ("timestamp", "date"):
        parsed = parse_dates(cells, mapping.date_formats)
        shown = ", ".join(["ISO 8601 (2024-01-31 or 2024-01-31 09:30:00)", *mapping.date_formats])
        problems.add(cells.notna() & parsed.isna(), rows, column, cells, f"not a date in any of: {shown}")
        return parsed.dt.normalize() if kind == "date" else parsed
    if kind in ("money", "integer"):
        numbers = parse_amounts(cells) if kind == "money" else pd.to_numeric(cells, errors="coerce")
        problems.add(cells.notna() & numbers.isna(), rows, column, cells,
                     "not a number (write 1234.5: no currency sign or thousands separator)")
        if kind == "money":
            problems.add(numbers < 0, rows, column, cells, f"negative amount: {field_name} cannot be below zero")
            return numbers.astype("float64")
        fractional = numbers.notna() & (numbers != numbers.round())
        problems.add(fractional, rows, column, cells, "not a whole number")
        return numbers.where(~fractional).astype("Int64")
    if kind == "boolean":
        lowered = cells.str.lower()
        out = pd.Series(pd.NA, index=cells.index, dtype="boolean")
        out[lowered.isin(_TRUE)] = True
        out[lowered.isin(_FALSE)] = False
        problems.add(cells.notna() & out.isna(), rows, column, cells,
                     "not a true/false value (1/0, true/false, yes/no)")
        return out
    if kind == "id" and field_name == "lead_id" and mapping.table == "opportunities":
        return cells.str.replace(r"\s*;.*$", "", regex=True)
    return cells


def parse_amounts(cells: pd.Series) -> pd.Series:
    """Cells as float64, NaN where not a number. Arrow's parser, thirty times faster than pandas', when it
    reads every cell; otherwise pandas reads the column cell by cell. (Integers keep pandas' parser: a
    float64 cannot hold every whole number it reads.)"""
    try:
        parsed = pc.cast(pa.array(cells, type=pa.string(), from_pandas=True), pa.float64())
    except pa.ArrowInvalid:
        return pd.to_numeric(cells, errors="coerce").astype("float64")
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=cells.index)


def parse_dates(cells: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """ISO 8601 first, then each format in turn on what is still unread; offsets become UTC."""
    fast = _arrow_iso(cells)
    if fast is not None:
        return fast
    parsed = pd.to_datetime(cells, format=ISO, errors="coerce", utc=True).dt.tz_localize(None)
    for fmt in formats:
        todo = parsed.isna() & cells.notna()
        if not todo.any():
            break
        more = pd.to_datetime(cells[todo], format=fmt, errors="coerce", utc=True).dt.tz_localize(None)
        parsed = parsed.mask(todo, more)
    return parsed.astype("datetime64[us]")


def _arrow_iso(cells: pd.Series) -> pd.Series | None:
    """Arrow's ISO 8601 parser, many times faster than pandas', when every cell is plain ISO (all without
    an offset, or all with one); None otherwise, and pandas reads the column cell by cell."""
    array = pa.array(cells.astype("str"), type=pa.string(), from_pandas=True)
    for target in (pa.timestamp("us"), pa.timestamp("us", tz="UTC")):
        try:
            parsed = pc.cast(array, target)
        except pa.ArrowInvalid:
            continue
        naive = parsed.cast(pa.timestamp("us"))  # an offset's instant, as UTC wall time
        return pd.Series(naive.to_pandas(), index=cells.index).astype("datetime64[us]")
    return None


def _lead_events(name: str, raw: pd.DataFrame, mapping: FileMapping, spec: ImportSpec, frame: pd.DataFrame,
                 rows: pd.Series, problems: _Collector) -> pd.DataFrame | None:
    """Stage entries from a leads file: dated ones (stage_dates) and estimated ones (statuses)."""
    parts = []
    parsed: dict[str, pd.Series] = {}
    for stage, columns in mapping.stage_dates.items():
        cells, column = _cells(name, raw, Source(columns), spec)
        if cells is None:
            continue
        at = _typed(cells, "timestamp", mapping, rows, column, problems, stage)
        parts.append(pd.DataFrame({"_key": frame["_key"], "lead_id": frame["lead_id"], "stage": stage,
                                   "entered_at": at, "is_estimated": False}))
    for rule in mapping.statuses:
        status, column = _cells(name, raw, Source(rule.columns), spec)
        when, when_column = _cells(name, raw, Source(rule.at), spec)
        if status is None:
            continue
        stage = _translate_status(status, rule.values, rows, column, problems)
        if when is None:
            at = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
        elif when_column in parsed:
            at = parsed[when_column]
        else:
            at = parsed[when_column] = _typed(when, "timestamp", mapping, rows, when_column, problems, "status date")
        # A status with no date of its own is dated when the lead was created: still an estimate.
        at = at.fillna(frame["created_at"])
        parts.append(pd.DataFrame({"_key": frame["_key"], "lead_id": frame["lead_id"], "stage": stage,
                                   "entered_at": at, "is_estimated": True}))
    if not parts:
        return None
    events = pd.concat(parts, ignore_index=True)
    return events[events["stage"].notna() & events["entered_at"].notna()].reset_index(drop=True)


def _translate_status(status: pd.Series, values: dict[str, str], rows: pd.Series, column: str,
                      problems: _Collector) -> pd.Series:
    table = {k.lower(): v for k, v in values.items() if k != WILDCARD}
    out = lookup_values(status.str.lower(), table)
    unmatched = status.notna() & out.isna()
    if WILDCARD in values:
        out = out.mask(unmatched, values[WILDCARD])
    else:
        known = ", ".join(repr(k) for k in values)
        problems.add(unmatched, rows, column, status, f"unknown status: the mapping knows {known}")
    return out.where(out != "")
