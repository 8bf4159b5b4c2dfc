"""An import plan: every file read, mapped and checked against the others and the store, with nothing
written yet. The Data page previews a plan; `data.importers.write.load` writes one.

IDs: a record's Tandem ID is `<source_system>:<its ID there>` (`salesforce:00Q46...`), so exports of
different systems never collide and the next export of the same system finds the record again. An
ID in a reference column (an opportunity's lead, a lead's campaign) is read as an ID of the same
system. A lead made up for an opportunity that has none is `<system>:opportunity:<opportunity ID>`,
with source_id `opportunity:<opportunity ID>` and is_synthetic true.

Checks, each reported with file, row, column, value and reason: cells (types, dates, negative
amounts, unknown stages, required fields), IDs repeated within the import, and references to records
neither among the import's good rows nor in the store. A row with a problem is bad; a row whose
reference points at a bad row becomes bad too, so a quarantined lead takes its opportunity along.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.importers.read import Problem, ReadError, SourceFile, read_table, system_allocator
from data.importers.spec import ImportSpec, Lookup
from data.importers.tables import ENTITIES, LOAD_ORDER, OPPORTUNITY_STAGES
from data.importers.transform import FileRejected, Mapped, lookup_values, map_file, problems_frame, row_keys

SUMMARY_COLUMNS = ["file", "used as", "rows", "skipped", "note"]
SYNTHETIC_PREFIX = "opportunity:"
# Lead-level stages a record enters once, and stages keyed by their opportunity (see _dedupe_events).
_ONCE_PER_RECORD = ("lead",) + OPPORTUNITY_STAGES


@dataclass
class Staged:
    """Rows ready for one store table, and which of its columns every contributing file provides
    (those are overwritten on update; the others only fill gaps, never erase)."""

    frame: pd.DataFrame
    complete: set[str] = field(default_factory=set)
    whole_campaigns: bool = False  # spend rows that are each campaign's whole spend: its other stored days go


@dataclass
class ImportPlan:
    spec: ImportSpec
    files: list[SourceFile]
    summary: pd.DataFrame
    problems: pd.DataFrame
    tables: dict[str, Staged]
    quarantine: pd.DataFrame  # one row per problem of a bad row, with the row's record as JSON
    rows_read: int

    @property
    def blocked(self) -> bool:
        """A problem with a whole file: no mode can load a file that cannot be read."""
        return bool(self.problems["row"].isna().any())

    @property
    def bad_rows(self) -> int:
        return int(self.problems.dropna(subset=["row"])[["file", "row"]].drop_duplicates().shape[0])

    @property
    def file_hash(self) -> str:
        lines = sorted(f"{f.name}:{f.sha256}" for f in self.files)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()



def prepare(cur, spec: ImportSpec, files: list[SourceFile]) -> ImportPlan:
    """Read, map and check `files` under `spec` against the store `cur` reads. Writes nothing."""
    with system_allocator():
        return _prepare(cur, spec, files)


def _prepare(cur, spec: ImportSpec, files: list[SourceFile]) -> ImportPlan:
    summary, problems, mapped, lookups = [], [], [], {}
    for lookup in spec.lookups:
        lookups[lookup.name] = _read_lookup(lookup, files, problems, summary)
    for source in files:
        _map_source(source, spec, lookups, mapped, problems, summary)
    for mapping in spec.files:
        if mapping.required and not any(mapping.matches(f.name) for f in files):
            problems.append(Problem(mapping.match, None, None, None,
                                    f"no file matches {mapping.match!r}, which the {spec.name} import needs "
                                    f"for {mapping.table}"))
    if files and not mapped and not any(p.row is None for p in problems):
        problems.append(Problem("(all files)", None, None, None, "no file matches any [[files]] pattern of "
                                f"{spec.name}: {', '.join(m.match for m in spec.files)}"))
    row_problems = [m.problems for m in mapped]
    frames, complete = _entity_frames(spec, mapped)
    problems += _spend_twice(frames)
    problem_frame = pd.concat([problems_frame(problems), *row_problems], ignore_index=True)
    problem_frame, frames = _cross_checks(cur, spec, frames, problem_frame)
    daily = _campaigns_with_daily_spend(cur, frames)
    summary += _daily_spend_notes(frames, daily)
    tables = _stage(cur, spec, frames, complete, _events(mapped, spec, frames), daily)
    summary_frame = pd.DataFrame(summary, columns=SUMMARY_COLUMNS)
    return ImportPlan(spec, files, summary_frame, _sorted(problem_frame), tables,
                      _quarantine_rows(mapped, problem_frame), int(summary_frame["rows"].sum()))


def _spend_twice(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """A campaign's cost and a daily spend file would both set its spend: the import must map one."""
    if "campaign_spend" not in frames or "cost_amount" not in frames.get("campaigns", {}):
        return []
    files = ", ".join(frames["campaign_spend"]["_file"].unique())
    return [Problem(files, None, "cost_amount", None, "both a campaign cost (cost_amount, spread over the "
                    "campaign's days) and a daily spend file give campaigns' spend; map only one of them")]


def _campaigns_with_daily_spend(cur, frames: dict[str, pd.DataFrame]) -> set[str]:
    """This import's campaigns with a cost whose stored spend came from a daily spend file: they keep it."""
    if "cost_amount" not in frames.get("campaigns", {}):
        return set()
    stored = {row[0] for row in cur.execute("select distinct campaign_id from campaign_spend where from_daily_file")
              .fetchall()}
    return stored & set(frames["campaigns"].loc[frames["campaigns"]["cost_amount"].notna(), "campaign_id"])


def _daily_spend_notes(frames: dict[str, pd.DataFrame], daily: set[str]) -> list[tuple]:
    if not daily:
        return []
    files = ", ".join(frames["campaigns"]["_file"].unique())
    which = "1 campaign is" if len(daily) == 1 else f"{len(daily):,} campaigns are"
    return [(files, "campaign_spend", 0, 0, f"the cost of {which} not spread over its days: that spend came from "
             "a daily spend file, which a cost does not replace")]


def _read_lookup(lookup: Lookup, files: list[SourceFile], problems: list, summary: list) -> dict[str, str]:
    sources = [f for f in files if lookup.matches(f.name)]
    table: dict[str, str] = {}
    for source in sources:
        try:
            raw = read_table(source, lookup.delimiter, lookup.encoding)
        except ReadError as exc:
            problems.append(exc.problem)
            continue
        missing = [c for c in (lookup.key, lookup.value) if c not in raw.columns]
        if missing:
            problems.append(Problem(source.name, None, None, None, f"lookup column(s) {', '.join(missing)} not found"))
            continue
        table.update(zip(raw[lookup.key].str.strip(), raw[lookup.value].str.strip()))
        summary.append((source.name, f"lookup: {lookup.name}", len(raw), 0, f"{lookup.key} → {lookup.value}"))
    if not sources:
        problems.append(Problem(lookup.match, None, None, None,
                                f"no file matches {lookup.match!r}, which the {lookup.name} lookup reads"))
    return table


def _map_source(source: SourceFile, spec: ImportSpec, lookups: dict, mapped: list, problems: list,
                summary: list) -> None:
    mappings = [m for m in spec.files if m.matches(source.name)]
    if not mappings:
        if any(lookup.matches(source.name) for lookup in spec.lookups):
            return
        why = spec.not_stored_reason(source.name) or "no [[files]] pattern of this import matches its name"
        summary.append((source.name, "not stored", _count_rows(source), 0, why))
        return
    for mapping in mappings:
        try:
            raw = read_table(source, mapping.delimiter, mapping.encoding)
            result = map_file(source.name, raw, mapping, spec, lookups)
        except (ReadError, FileRejected) as exc:
            problems.append(exc.problem)
            summary.append((source.name, mapping.table, 0, 0, "cannot be read: see the problems"))
            continue
        mapped.append(result)
        notes = [f"{n:,} skipped: {why}" for why, n in result.skipped.items()]
        if result.not_in_file:
            notes.append("not in the file (left empty): " + ", ".join(result.not_in_file))
        summary.append((source.name, mapping.table, len(result.raw) + sum(result.skipped.values()),
                        sum(result.skipped.values()), "; ".join(notes)))


def _count_rows(source: SourceFile) -> int:
    try:
        return len(read_table(source))
    except ReadError:
        return 0


def _entity_frames(spec: ImportSpec, mapped: list[Mapped]) -> tuple[dict[str, pd.DataFrame], dict[str, set[str]]]:
    """Per table: all files' rows with `_file`, Tandem IDs in the id/reference fields, source_id kept;
    and the fields every one of its files provides."""
    frames, complete = {}, {}
    for name in LOAD_ORDER:
        parts = [m.frame.assign(_file=m.file) for m in mapped if m.mapping.table == name]
        if not parts:
            continue
        complete[name] = set.intersection(*(set(p.columns) for p in parts))
        frame = pd.concat(parts, ignore_index=True)
        entity = ENTITIES[name]
        if entity.key and entity.key in frame:
            frame["source_id"] = frame[entity.key]
        for fld in entity.fields:
            if fld.kind == "id" and fld.name in frame:
                frame[fld.name] = tandem_id(spec.source_system, frame[fld.name])
        frames[name] = frame
    return frames, complete


def tandem_id(system: str, source_ids: pd.Series) -> pd.Series:
    return (system + ":" + source_ids.astype("str")).where(source_ids.notna())


def _cross_checks(cur, spec: ImportSpec, frames: dict[str, pd.DataFrame], problems: pd.DataFrame):
    """Repeated IDs and references to missing records, until no new row turns bad."""
    problems = pd.concat([problems, *(_duplicates(name, frame) for name, frame in frames.items())],
                         ignore_index=True)
    existing = _existing_ids(cur, frames)
    while True:
        bad = _bad_keys(problems)
        good = {name: frame[~np.isin(_row_keys(frame), bad)] for name, frame in frames.items()}
        found = [_references(name, frame, good, existing) for name, frame in good.items()]
        found = [f for f in found if len(f)]
        if not found:
            return problems, good
        problems = pd.concat([problems, *found], ignore_index=True)


def _row_keys(frame: pd.DataFrame) -> np.ndarray:
    return frame["_key"].to_numpy(dtype="int64")


def _bad_keys(problems: pd.DataFrame) -> np.ndarray:
    rows = problems.dropna(subset=["row"])
    return row_keys(rows["file"], rows["row"])


def _duplicates(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    key = ENTITIES[name].key
    if key is None or key not in frame or frame[key].dropna().is_unique:  # the usual case, in one pass of half the cost
        return problems_frame()
    repeated = frame[frame[key].notna() & frame[key].duplicated(keep=False)]
    where = repeated.groupby(key)[["_file", "_row"]].apply(
        lambda g: ", ".join(f"{f} row {r}" for f, r in zip(g["_file"], g["_row"])))
    return pd.DataFrame({"file": repeated["_file"].to_numpy(), "row": repeated["_row"].to_numpy(), "column": key,
                         "value": repeated["source_id"].to_numpy(),
                         "reason": "duplicate ID: the same record appears in " + repeated[key].map(where).to_numpy()})


def _existing_ids(cur, frames: dict[str, pd.DataFrame]) -> dict[str, pa.Array]:
    """IDs the import's reference columns name that the store already holds."""
    wanted: dict[str, list[pd.Series]] = {}
    for name, frame in frames.items():
        for fld in ENTITIES[name].fields:
            if fld.refers_to and fld.name in frame:
                wanted.setdefault(fld.refers_to, []).append(frame[fld.name].dropna())
    found = {}
    for target, parts in wanted.items():
        key = ENTITIES[target].key
        cur.register("import_wanted_ids", pd.DataFrame({"id": pd.concat(parts, ignore_index=True).astype("str")}))
        ids = cur.sql(f"select distinct id from import_wanted_ids semi join {target} on {target}.{key} = id")
        found[target] = ids.to_arrow_table().column("id").combine_chunks()
        cur.unregister("import_wanted_ids")
    return found


def isin(values: pd.Series, known: pa.Array) -> np.ndarray:
    """values.isin(known) through Arrow's hash lookup (pandas' is slow on millions of strings)."""
    array = pa.array(values.astype("str"), type=pa.string(), from_pandas=True)
    return pc.is_in(array, value_set=known.cast(pa.string())).fill_null(False).to_numpy(zero_copy_only=False)


def _references(name: str, frame: pd.DataFrame, good: dict[str, pd.DataFrame],
                existing: dict[str, pa.Array]) -> pd.DataFrame:
    parts = []
    for fld in ENTITIES[name].fields:
        if not fld.refers_to or fld.name not in frame:
            continue
        target = fld.refers_to
        known = [existing.get(target, pa.array([], pa.string()))]
        if target in good:
            known.append(pa.array(good[target][ENTITIES[target].key].dropna().astype("str"), type=pa.string()))
        values = frame[fld.name]
        missing = values.notna().to_numpy() & ~isin(values, pa.concat_arrays(known))
        if missing.any():
            label = target[:-1]
            parts.append(pd.DataFrame({
                "file": frame.loc[missing, "_file"].to_numpy(), "row": frame.loc[missing, "_row"].to_numpy(),
                "column": fld.name, "value": values[missing].str.split(":", n=1).str[1].to_numpy(),
                "reason": f"refers to a {label} that is neither among this import's good rows nor in the store"}))
    if name == "campaigns" and "cost_amount" in frame:
        undated = frame["cost_amount"].notna() & (frame["start_date"].isna() if "start_date" in frame else True)
        if undated.any():
            parts.append(pd.DataFrame({"file": frame.loc[undated, "_file"].to_numpy(),
                                       "row": frame.loc[undated, "_row"].to_numpy(), "column": "start_date",
                                       "value": None, "reason": "a cost needs the campaign's start date to be "
                                       "spread over its days"}))
    if name == "stage_events":
        neither = pd.Series(True, index=frame.index)
        for column in ("lead_id", "opportunity_id"):
            if column in frame:
                neither &= frame[column].isna()
        if neither.any():
            parts.append(pd.DataFrame({"file": frame.loc[neither, "_file"].to_numpy(),
                                       "row": frame.loc[neither, "_row"].to_numpy(), "column": "lead_id",
                                       "value": None, "reason": "a stage entry needs a lead or an opportunity"}))
    return pd.concat(parts, ignore_index=True) if parts else problems_frame()


def _sorted(problems: pd.DataFrame) -> pd.DataFrame:
    problems = problems.drop_duplicates().copy()
    problems["row"] = problems["row"].astype("Int64")
    # Whole-file problems first: they decide whether anything can load at all.
    problems["_in_row"] = problems["row"].notna()
    ordered = problems.sort_values(["_in_row", "file", "row"], kind="stable")
    return ordered.drop(columns="_in_row").reset_index(drop=True)


# --- what gets written -----------------------------------------------------------------------------

def _stage(cur, spec: ImportSpec, frames: dict[str, pd.DataFrame], complete: dict[str, set[str]],
           lead_events: pd.DataFrame, daily: set[str]) -> dict[str, Staged]:
    system = spec.source_system
    tables: dict[str, Staged] = {}
    if "campaigns" in frames:
        campaigns = frames["campaigns"]
        tables["campaigns"] = _records(campaigns, "campaigns", system, complete["campaigns"])
        if "cost_amount" in campaigns:
            spread = daily_spend(campaigns)
            tables["campaign_spend"] = Staged(spread[~spread["campaign_id"].isin(daily)].reset_index(drop=True),
                                              {"spend_amount"}, whole_campaigns=True)
    if "campaign_spend" in frames:
        tables["campaign_spend"] = Staged(spend_days(frames["campaign_spend"]), {"spend_amount"})
    opportunities = _linked_opportunities(cur, frames, system) if "opportunities" in frames else None
    leads = []
    if "leads" in frames:
        real = _records(frames["leads"], "leads", system, complete["leads"], extra=("email",))
        real.frame["is_synthetic"] = False
        real.complete.add("is_synthetic")
        leads.append(real)
    if opportunities is not None:
        synthetic = _synthetic_leads(opportunities, system)
        if len(synthetic):
            leads.append(Staged(synthetic, set(synthetic.columns)))
        derived = {"lead_id", "is_closed", "is_won", "closed_at"}
        tables["opportunities"] = _records(opportunities, "opportunities", system,
                                           complete["opportunities"] | derived)
    if leads:
        tables["leads"] = Staged(pd.concat([p.frame for p in leads], ignore_index=True),
                                 set.intersection(*(p.complete for p in leads)))
    events = _all_events(cur, frames, opportunities, lead_events, tables.get("leads"), system)
    if len(events):
        tables["stage_events"] = Staged(events)
    if "touchpoints" in frames:
        tables["touchpoints"] = _records(_touch_channels(cur, frames), "touchpoints", system, complete["touchpoints"])
    return tables


def _records(frame: pd.DataFrame, name: str, system: str, complete: set[str], extra: tuple[str, ...] = ()) -> Staged:
    entity = ENTITIES[name]
    columns = [f.name for f in entity.fields if f.stored and f.name in frame] + [c for c in extra if c in frame]
    out = frame[columns].copy()
    out["source_system"] = system
    out["source_id"] = frame["source_id"]
    return Staged(out.reset_index(drop=True), (set(columns) & complete) | {"source_system", "source_id"})


def daily_spend(campaigns: pd.DataFrame) -> pd.DataFrame:
    """A campaign's total cost spread evenly over its days, start to end (or its start day alone)."""
    with_cost = campaigns[campaigns["cost_amount"].notna()] if "start_date" in campaigns else campaigns.iloc[:0]
    if with_cost.empty:
        return pd.DataFrame({"campaign_id": pd.Series(dtype="str"), "spend_date": pd.Series(dtype="datetime64[us]"),
                             "spend_amount": pd.Series(dtype="float64")})
    start = with_cost["start_date"]
    end = with_cost["end_date"].fillna(start) if "end_date" in with_cost else start
    end = end.where(end >= start, start)
    days = ((end - start).dt.days + 1).to_numpy()
    index = np.repeat(np.arange(len(with_cost)), days)
    offsets = np.arange(days.sum()) - np.repeat(np.cumsum(days) - days, days)
    return pd.DataFrame({
        "campaign_id": with_cost["campaign_id"].to_numpy()[index],
        "spend_date": start.to_numpy()[index] + offsets.astype("timedelta64[D]"),
        "spend_amount": (with_cost["cost_amount"].to_numpy() / days)[index],
    })


def spend_days(rows: pd.DataFrame) -> pd.DataFrame:
    """A daily spend file's rows, one per campaign and day: rows of the same day add up."""
    days = rows.groupby(["campaign_id", "spend_date"], as_index=False, sort=False)["spend_amount"].sum()
    return days[["campaign_id", "spend_date", "spend_amount"]]


def _linked_opportunities(cur, frames: dict[str, pd.DataFrame], system: str) -> pd.DataFrame:
    """Opportunities with their lead (own column, else the lead converted into them, else the store's),
    closing flags from the stage, and close dates only for closed ones."""
    opps = frames["opportunities"].copy()
    lead_of = _column(opps, "lead_id")
    if "leads" in frames and "opportunity_id" in frames["leads"]:
        converted = frames["leads"].dropna(subset=["opportunity_id"]).drop_duplicates("opportunity_id")
        lead_of = lead_of.fillna(lookup_values(opps["opportunity_id"],
                                               dict(zip(converted["opportunity_id"], converted["lead_id"]))))
    lead_of = lead_of.fillna(lookup_values(opps["opportunity_id"], _stored_real_leads(cur, opps["opportunity_id"])))
    opps["lead_id"] = lead_of.astype("str")
    stage = _column(opps, "stage")
    from_stage_closed = stage.isin(["won", "lost"]).astype("boolean").where(stage.notna())
    opps["is_closed"] = opps.get("is_closed", from_stage_closed).fillna(from_stage_closed)
    opps["is_won"] = opps.get("is_won", (stage == "won").astype("boolean").where(stage.notna()))
    opps["is_closed"] = opps["is_closed"].fillna(False).astype("bool")
    opps["is_won"] = opps["is_won"].fillna(False).astype("bool") & opps["is_closed"]
    closed_at = opps["closed_at"] if "closed_at" in opps else pd.Series(pd.NaT, index=opps.index)
    # A closed deal without a close date is dated at its creation: an estimate, flagged on its stage entry.
    opps["_estimated_closed_at"] = opps["is_closed"] & closed_at.isna()
    opps["closed_at"] = closed_at.where(opps["is_closed"]).fillna(opps["created_at"].where(opps["is_closed"]))
    return opps


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A text field, all empty when no file provided it."""
    return frame[name] if name in frame else pd.Series(np.nan, index=frame.index, dtype="str")


def _stored_real_leads(cur, opportunity_ids: pd.Series) -> dict[str, str]:
    """For opportunities already in the store: their lead, unless it is a synthetic one."""
    cur.register("import_opportunity_ids", pd.DataFrame({"id": opportunity_ids.dropna().astype("str")}))
    rows = cur.execute("select o.opportunity_id, o.lead_id from opportunities as o "
                       "join import_opportunity_ids as i on i.id = o.opportunity_id "
                       "join leads as l on l.lead_id = o.lead_id where not coalesce(l.is_synthetic, false)").fetchall()
    cur.unregister("import_opportunity_ids")
    return dict(rows)


def _synthetic_leads(opps: pd.DataFrame, system: str) -> pd.DataFrame:
    """A lead for every opportunity without one (see the module docstring); `opps` then names it."""
    missing = opps["lead_id"].isna()
    lonely = opps[missing]
    source_id = SYNTHETIC_PREFIX + lonely["source_id"].astype("str")
    out = pd.DataFrame({
        "lead_id": system + ":" + source_id,
        "created_at": lonely["created_at"],
        "source_channel": _column(lonely, "lead_source"),
        "campaign_id": _column(lonely, "primary_campaign_id"),
        "account_name": _column(lonely, "account_name"),
        "owner_rep_id": _column(lonely, "owner_rep_id"),
        "source_system": system, "source_id": source_id, "is_synthetic": True,
    })
    opps["lead_id"] = opps["lead_id"].mask(missing, out["lead_id"])
    return out.reset_index(drop=True)


def _touch_channels(cur, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    touches = frames["touchpoints"].copy()
    if "channel" not in touches:
        touches["channel"] = pd.Series(np.nan, index=touches.index, dtype="str")
    if "campaign_id" in touches:
        channels = dict(cur.execute("select campaign_id, channel from campaigns").fetchall())
        if "campaigns" in frames:
            channels.update(zip(frames["campaigns"]["campaign_id"], frames["campaigns"]["channel"]))
        touches["channel"] = touches["channel"].fillna(touches["campaign_id"].map(channels))
    touches["channel"] = touches["channel"].fillna("(none)")
    return touches


def _events(mapped: list[Mapped], spec: ImportSpec, frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Stage entries from leads files' date and status columns, for the leads that are good."""
    parts = [m.events for m in mapped if m.mapping.table == "leads" and len(m.events)]
    if not parts or "leads" not in frames:
        return pd.DataFrame(columns=["lead_id", "stage", "entered_at", "is_estimated"])
    events = pd.concat(parts, ignore_index=True)
    events = events[np.isin(_row_keys(events), _row_keys(frames["leads"]))]
    events["lead_id"] = tandem_id(spec.source_system, events["lead_id"])
    return events[["lead_id", "stage", "entered_at", "is_estimated"]]


def _all_events(cur, frames: dict[str, pd.DataFrame], opps: pd.DataFrame | None, lead_events: pd.DataFrame,
                leads: Staged | None, system: str) -> pd.DataFrame:
    parts = [lead_events]
    created_estimated = pd.Series(False, index=opps.index) if opps is not None else None
    if opps is not None and "_estimated_created_at" in opps:
        created_estimated = opps["_estimated_created_at"].astype(bool)
    if leads is not None:
        # A lead dated by a default (or made up for an opportunity dated so) has an estimated start.
        estimated = [pa.array([], pa.string())]
        if "leads" in frames and "_estimated_created_at" in frames["leads"]:
            real = frames["leads"]
            estimated.append(pa.array(real.loc[real["_estimated_created_at"].astype(bool), "lead_id"], pa.string()))
        if opps is not None:
            made_up = opps["lead_id"] == system + ":" + SYNTHETIC_PREFIX + opps["source_id"].astype("str")
            estimated.append(pa.array(opps.loc[made_up & created_estimated, "lead_id"], pa.string()))
        frame = leads.frame
        parts.append(pd.DataFrame({"lead_id": frame["lead_id"], "stage": "lead", "entered_at": frame["created_at"],
                                   "is_estimated": isin(frame["lead_id"], pa.concat_arrays(estimated))}))
    if opps is not None:
        parts.append(pd.DataFrame({"lead_id": opps["lead_id"], "stage": "opportunity",
                                   "entered_at": opps["created_at"], "opportunity_id": opps["opportunity_id"],
                                   "moved_by_rep_id": opps.get("owner_rep_id"), "is_estimated": created_estimated}))
        closed = opps[opps["is_closed"]]
        parts.append(pd.DataFrame({"lead_id": closed["lead_id"], "stage": np.where(closed["is_won"], "won", "lost"),
                                   "entered_at": closed["closed_at"], "opportunity_id": closed["opportunity_id"],
                                   "moved_by_rep_id": closed.get("owner_rep_id"),
                                   "is_estimated": closed["_estimated_closed_at"] | created_estimated[closed.index]}))
    if "stage_events" in frames:
        parts.append(_event_rows(cur, frames["stage_events"], opps))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    events = pd.concat(parts, ignore_index=True)
    events["source_system"] = system
    for column in ("opportunity_id", "moved_by_rep_id", "source_id"):
        if column not in events:
            events[column] = pd.Series(np.nan, index=events.index, dtype="str")
    events["is_estimated"] = events["is_estimated"].fillna(False).astype("bool")
    return _dedupe_events(cur, events[events["entered_at"].notna() & events["lead_id"].notna()])


def _event_rows(cur, frame: pd.DataFrame, opps: pd.DataFrame | None) -> pd.DataFrame:
    """Rows of a stage_events file: an opportunity's entries go to its lead (in this import or stored)."""
    out = frame.copy()
    if "opportunity_id" in out:
        lead_of = {}
        cur.register("import_opportunity_ids", pd.DataFrame({"id": out["opportunity_id"].dropna().astype("str")}))
        lead_of.update(cur.execute("select opportunity_id, lead_id from opportunities "
                                   "semi join import_opportunity_ids on id = opportunity_id").fetchall())
        cur.unregister("import_opportunity_ids")
        if opps is not None:
            lead_of.update(zip(opps["opportunity_id"], opps["lead_id"]))
        by_opp = out["opportunity_id"].map(lead_of)
        out["lead_id"] = by_opp.fillna(out["lead_id"]) if "lead_id" in out else by_opp
        # A won or lost entry belongs to an opportunity; a stage entry of the lead itself does not.
        out["opportunity_id"] = out["opportunity_id"].where(out["stage"].isin(OPPORTUNITY_STAGES))
    columns = [c for c in ("lead_id", "stage", "entered_at", "opportunity_id", "moved_by_rep_id", "source_id")
               if c in out]
    return out[columns].assign(is_estimated=out.get("_estimated_entered_at", False))


EVENT_COLUMNS = {"lead_id": "str", "stage": "str", "entered_at": "datetime64[us]", "opportunity_id": "str",
                 "moved_by_rep_id": "str", "source_system": "str", "source_id": "str", "is_estimated": "bool"}


def _dedupe_events(cur, events: pd.DataFrame) -> pd.DataFrame:
    """One entry per lead for 'lead' and per opportunity for opportunity/won/lost (the earliest); an
    estimated entry only when the lead has no dated one for that stage; other dated entries once per time.
    Every rule compares entries of one lead and stage, so an entry alone with its lead and stage is kept
    as it is; only the crowded ones are grouped. DuckDB picks the row numbers to keep; Arrow then takes
    those rows once, if any go."""
    table = pa.Table.from_pandas(events[list(EVENT_COLUMNS)].astype(EVENT_COLUMNS), preserve_index=False)
    cur.register("import_events", table.append_column("rn", pa.array(np.arange(len(table)))))
    once = ", ".join(f"'{s}'" for s in _ONCE_PER_RECORD)
    # Dated before estimated, then earliest first.
    order = f"epoch_us(entered_at) + case when is_estimated then {10**17} else 0 end"
    # Lead and stage hashed to one number: finding the few crowded pairs on it is several times faster
    # than grouping millions of text keys. Equal pairs hash alike, so an entry alone on its hash is alone.
    kept = cur.sql(
        "with keyed as (select rn, hash(lead_id, stage) as h from import_events), "
        "crowded as (select h from keyed group by h having count(*) > 1), "
        "candidates as (select e.* from import_events as e semi join crowded as c on hash(e.lead_id, e.stage) = c.h), "
        "redundant as (select e.rn from candidates as e where e.is_estimated and exists (select 1 from "
        "candidates as d where not d.is_estimated and d.lead_id = e.lead_id and d.stage = e.stage)) "
        "select rn from keyed anti join crowded using (h) union all "
        f"select arg_min(rn, {order}) as rn from candidates anti join redundant using (rn) "
        f"group by lead_id, stage, opportunity_id, case when stage in ({once}) or is_estimated then null "
        "else entered_at end").fetchnumpy()["rn"]
    cur.unregister("import_events")
    if len(kept) < len(table):
        # Taken in Arrow and converted once: pandas' take on its Arrow-backed text columns is several times slower.
        table = table.take(np.sort(kept))
    return table.to_pandas()


def _quarantine_rows(mapped: list[Mapped], problems: pd.DataFrame) -> pd.DataFrame:
    """Each problem of a bad row with the whole source row as JSON, as the quarantine table keeps it."""
    rows = problems.dropna(subset=["row"])
    if rows.empty:
        return rows.assign(record_json=pd.Series(dtype="str"))
    records = {}
    for m in mapped:
        wanted = rows.loc[rows["file"] == m.file, "row"].astype("int64").unique()
        if not len(wanted):
            continue
        positions = m.frame.set_index("_row").index.get_indexer(wanted)
        found = positions >= 0
        lines = m.raw.iloc[positions[found]].to_json(orient="records", lines=True, force_ascii=False).splitlines()
        records.update({(m.file, int(r)): line for r, line in zip(wanted[found], lines)})
    keys = list(zip(rows["file"], rows["row"].astype("int64")))
    return rows.assign(record_json=[records.get(k) for k in keys]).reset_index(drop=True)
