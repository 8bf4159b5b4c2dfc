"""Writing an import plan: one transaction that either changes everything the plan says or nothing.

Records are matched by their Tandem ID (so by source system and source ID): new ones are inserted,
changed ones updated, identical ones left alone, so loading the same export twice changes nothing.
Stage entries are history and only ever appended (see plan._dedupe_events for what counts as the
same entry). The marts are rebuilt inside the same transaction, and the load is logged with its
counts per table and the rows it kept out of the store.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from data import audit, marts
from data.access import Principal, authorize
from data.importers.plan import ImportPlan, Staged
from data.importers.tables import OPPORTUNITY_STAGES

MODES = ("strict", "quarantine")
COUNT_COLUMNS = ["table", "inserted", "updated", "unchanged", "removed"]
_KEYS = {"campaigns": "campaign_id", "leads": "lead_id", "opportunities": "opportunity_id"}
_ANY_TIME_STAGES = ("lead",) + OPPORTUNITY_STAGES
# One load at a time: two loads of the same new record would both insert it (no index refuses the
# second, data/migrations/009), and only this process can write the store (DuckDB locks the file).
_ONE_LOAD = threading.Lock()


class ImportRejected(RuntimeError):
    """The import was not loaded; the store is exactly as it was. The message says why and what to do."""


@dataclass(frozen=True)
class LoadResult:
    load_id: int
    counts: pd.DataFrame  # COUNT_COLUMNS, one row per table
    quarantined_rows: int
    seconds: float
    steps: dict[str, float]  # seconds spent writing the tables, rebuilding the marts, committing


def check_loadable(plan: ImportPlan, mode: str) -> None:
    """Raise ImportRejected unless `mode` may load `plan`."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
    if plan.blocked:
        raise ImportRejected("Nothing was loaded: a file cannot be read as a whole (see the problems with no row). "
                             "Fix the file or the mapping and try again.")
    if mode == "strict" and len(plan.problems):
        raise ImportRejected(
            f"Nothing was loaded: {len(plan.problems):,} problems in {plan.bad_rows:,} rows (listed with file, row, "
            f"column, value and reason). Fix them and load again, or load the good rows and keep the bad ones in "
            f"quarantine (command line: --quarantine; Data page: 'Quarantine bad rows').")
    if not any(len(staged.frame) for staged in plan.tables.values()):
        raise ImportRejected("Nothing was loaded: the files hold no rows to load (header only, or every row "
                             "skipped or kept in quarantine).")


def load(con: duckdb.DuckDBPyConnection, plan: ImportPlan, mode: str, principal: Principal) -> LoadResult:
    """Write `plan` in one transaction on a cursor of `con` (admins only; audited); on any failure roll
    back and re-raise."""
    authorize(principal, "data.import")
    check_loadable(plan, mode)
    with _ONE_LOAD:
        return _load(con, plan, mode, principal)


def _load(con: duckdb.DuckDBPyConnection, plan: ImportPlan, mode: str, principal: Principal) -> LoadResult:
    started = time.perf_counter()
    steps = {}
    cur = con.cursor()
    try:
        cur.execute("begin transaction")
        try:
            counts = _write_tables(cur, plan)
            quarantined = plan.bad_rows if mode == "quarantine" else 0
            load_id = _log(cur, plan, mode, principal, counts, quarantined)
            steps["tables"] = time.perf_counter() - started
            if _changed(counts):  # inside the transaction: readers never see data without its mart
                for path in marts.mart_files():
                    cur.execute(path.read_text())
            steps["marts"] = time.perf_counter() - started - steps["tables"]
            cur.execute("commit")
            steps["commit"] = time.perf_counter() - started - steps["tables"] - steps["marts"]
        except duckdb.TransactionException as exc:
            _rollback(cur)
            raise ImportRejected(f"Nothing was loaded: another change was written at the same moment ({exc}). "
                                 "Load again.") from exc
        except BaseException:
            _rollback(cur)
            raise
    finally:
        cur.close()
    return LoadResult(load_id, counts, quarantined, time.perf_counter() - started, steps)


def _rollback(cur) -> None:
    """Roll back, unless DuckDB already did (a commit that fails ends its transaction itself)."""
    with contextlib.suppress(duckdb.TransactionException):
        cur.execute("rollback")


def preview_counts(cur, plan: ImportPlan) -> pd.DataFrame:
    """What loading `plan` would do per table (inserted, updated, unchanged), computed without writing."""
    rows = []
    for table in ("campaigns", "leads", "opportunities"):
        if table in plan.tables:
            _register(cur, table, plan.tables[table])
            new, changed, same = _diff(cur, table, _KEYS[table], plan.tables[table])
            rows.append((table, new, changed, same, 0))
            _drop_stage(cur)
    if "stage_events" in plan.tables:
        _register(cur, "stage_events", plan.tables["stage_events"])
        new = cur.execute(f"select count(*) from {_new_events_sql()}").fetchone()[0]
        rows.append(("stage_events", new, 0, len(plan.tables["stage_events"].frame) - new, 0))
        _drop_stage(cur)
    for table in ("campaign_spend", "touchpoints"):
        if table in plan.tables:
            columns = _register(cur, table, plan.tables[table])
            match, changed = _spend_match(plan.tables[table]) if table == "campaign_spend" else _touch_match(columns)
            new, differs, same = cur.execute(
                f"select count(*) filter (where not found), count(*) filter (where found and differs), "
                f"count(*) filter (where found and not differs) from (select exists (select 1 from {table} as t "
                f"where {match}) as found, exists (select 1 from {table} as t where {match} and ({changed})) "
                f"as differs from import_stage as s)").fetchone()
            removed = cur.execute(f"select count(*) {_SPREAD_REPLACES}").fetchone()[0] \
                if table == "campaign_spend" and plan.tables[table].whole_campaigns else 0
            rows.append((table, new, differs, same, removed))
            _drop_stage(cur)
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)


def _write_tables(cur, plan: ImportPlan) -> pd.DataFrame:
    rows = []
    for table in ("campaigns", "leads", "opportunities"):
        if table in plan.tables:
            rows.append((table, *_upsert(cur, table, _KEYS[table], plan.tables[table]), 0))
    if "campaign_spend" in plan.tables:
        rows.append(("campaign_spend", *_spend(cur, plan.tables["campaign_spend"])))
    if "opportunities" in plan.tables:
        removed = _remove_replaced_synthetic_leads(cur)
        if removed:
            rows.append(("leads (made up, replaced by a real lead)", 0, 0, 0, removed))
    if "stage_events" in plan.tables:
        new, same = _append_events(cur, plan.tables["stage_events"])
        rows.append(("stage_events", new, 0, same, 0))
    if "touchpoints" in plan.tables:
        rows.append(("touchpoints", *_upsert_touchpoints(cur, plan.tables["touchpoints"]), 0))
    return pd.DataFrame(rows, columns=COUNT_COLUMNS)


# --- staging ---------------------------------------------------------------------------------------

def _column_types(cur, table: str) -> dict[str, str]:
    rows = cur.execute("select column_name, data_type from information_schema.columns where table_name = ? "
                       "and table_schema = 'main'", [table]).fetchall()
    return dict(rows)


def _register(cur, table: str, staged: Staged) -> list[str]:
    """The staged rows as the temp view import_stage, typed as `table`'s columns; return its columns."""
    types = _column_types(cur, table)
    frame = staged.frame
    conformed = {}
    for column in frame.columns:
        if column == "email" and table == "leads":
            conformed["email"] = frame["email"].astype("str")
        elif column in types and not (table == "touchpoints" and column == "touchpoint_id"):
            conformed[column] = _conform(frame[column], types[column])
    cur.register("import_rows", pa.Table.from_pandas(pd.DataFrame(conformed), preserve_index=False))
    selects = []
    for column in conformed:
        if column == "email":
            selects.append("md5(lower(trim(email))) as email_hash")
        else:
            selects.append(f"cast({column} as {types[column]}) as {column}")
    # A view, not a copy: the statements that read it scan the registered Arrow rows directly.
    cur.execute(f"create or replace temp view import_stage as select {', '.join(selects)} from import_rows")
    return ["email_hash" if c == "email" else c for c in conformed]


def _drop_stage(cur) -> None:
    cur.execute("drop view import_stage")
    cur.unregister("import_rows")


def _conform(values: pd.Series, sql_type: str) -> pd.Series:
    """pandas values DuckDB reads as `sql_type` (NaN in a text column must arrive as NULL, not 'nan')."""
    if sql_type == "VARCHAR":
        return values.astype("str")
    if sql_type in ("TIMESTAMP", "DATE"):
        return pd.to_datetime(values).astype("datetime64[us]")
    if sql_type == "DOUBLE":
        return pd.to_numeric(values).astype("float64")
    if sql_type in ("INTEGER", "BIGINT"):
        return pd.to_numeric(values).astype("Int64")
    if sql_type == "BOOLEAN":
        return values.astype("boolean")
    return values


# --- records ---------------------------------------------------------------------------------------

def _diff(cur, table: str, key: str, staged: Staged) -> tuple[int, int, int]:
    changed = _changed_sql(cur, table, key, staged)
    return cur.execute(
        f"select count(*) filter (where t.{key} is null), count(*) filter (where t.{key} is not null and ({changed})), "
        f"count(*) filter (where t.{key} is not null and not ({changed})) "
        f"from import_stage as s left join {table} as t on t.{key} = s.{key}").fetchone()


def _update_columns(cur, key: str) -> list[str]:
    return [c for c in _column_types(cur, "import_stage") if c != key]


def _changed_sql(cur, table: str, key: str, staged: Staged) -> str:
    parts = []
    for column in _update_columns(cur, key):
        if _is_complete(column, staged):
            parts.append(f"t.{column} is distinct from s.{column}")
        else:  # a column only some files provide fills gaps, never erases
            parts.append(f"(s.{column} is not null and t.{column} is distinct from s.{column})")
    return " or ".join(parts) or "false"


def _is_complete(column: str, staged: Staged) -> bool:
    return column in staged.complete or (column == "email_hash" and "email" in staged.complete)


def _upsert(cur, table: str, key: str, staged: Staged) -> tuple[int, int, int]:
    columns = _register(cur, table, staged)
    new, changed, same = _diff(cur, table, key, staged)
    if changed:
        sets = ", ".join(f"{c} = s.{c}" if _is_complete(c, staged) else f"{c} = coalesce(s.{c}, t.{c})"
                         for c in _update_columns(cur, key))
        cur.execute(f"update {table} as t set {sets} from import_stage as s "
                    f"where t.{key} = s.{key} and ({_changed_sql(cur, table, key, staged)})")
    if new:
        listed = ", ".join(columns)
        cur.execute(f"insert into {table} ({listed}) select {listed} from import_stage as s "
                    f"where not exists (select 1 from {table} as t where t.{key} = s.{key})")
    _drop_stage(cur)
    return new, changed, same


# The stored days of the staged campaigns that a spread cost no longer covers (it is their whole spend).
_SPREAD_REPLACES = ("from campaign_spend as c where c.campaign_id in (select campaign_id from import_stage) and not "
                    "exists (select 1 from import_stage as s where s.campaign_id = c.campaign_id "
                    "and s.spend_date = c.spend_date)")


def _spend(cur, staged: Staged) -> tuple[int, int, int, int]:
    """Daily spend by campaign and day: new days inserted, changed ones updated, identical ones untouched. A
    campaign's spread cost is its whole spend, so its other stored days go; a daily file's other days stay."""
    _register(cur, "campaign_spend", staged)
    removed = cur.execute(f"delete {_SPREAD_REPLACES}").fetchone()[0] if staged.whole_campaigns else 0
    daily = "false" if staged.whole_campaigns else "true"  # a day a daily file gave: a later cost leaves it
    match, differs = _spend_match(staged)
    changed = cur.execute(
        f"update campaign_spend as t set spend_amount = s.spend_amount, from_daily_file = {daily} "
        f"from import_stage as s where {match} and ({differs})").fetchone()[0]
    new = cur.execute(
        "insert into campaign_spend (campaign_id, spend_date, spend_amount, from_daily_file) select campaign_id, "
        f"spend_date, spend_amount, {daily} from import_stage as s where not exists (select 1 from campaign_spend "
        f"as t where {match})").fetchone()[0]
    _drop_stage(cur)
    return new, changed, len(staged.frame) - new - changed, removed


def _remove_replaced_synthetic_leads(cur) -> int:
    """A made-up lead no opportunity points at any more (its opportunity now names a real lead) goes,
    with its stage entries; the opportunity's entries are appended to the real lead."""
    cur.execute("create or replace temp table import_replaced as select lead_id from leads as l "
                "where l.is_synthetic and not exists (select 1 from opportunities as o where o.lead_id = l.lead_id)")
    cur.execute("delete from stage_events where lead_id in (select lead_id from import_replaced)")
    removed = cur.execute("delete from leads where lead_id in (select lead_id from import_replaced)").fetchone()[0]
    cur.execute("drop table import_replaced")
    return removed


# --- stage entries and touches ---------------------------------------------------------------------

def _new_events_sql() -> str:
    """The staged entries the store does not have yet (see plan._dedupe_events for 'same'): an estimated
    entry is had when the lead has any entry of its stage; a lead or opportunity-stage entry when the
    lead has one for the same opportunity; any other entry when it has one at the same moment."""
    any_time = ", ".join(f"'{s}'" for s in _ANY_TIME_STAGES)
    # One anti join: the correlated NOT EXISTS it replaces grouped every staged row first, even into an
    # empty store.
    return (
        "import_stage as s anti join stage_events as e on e.lead_id = s.lead_id and e.stage = s.stage "
        "and (s.is_estimated or (coalesce(e.opportunity_id, '') = coalesce(s.opportunity_id, '') "
        f"and (s.stage in ({any_time}) or e.entered_at = s.entered_at)))"
    )


def _append_events(cur, staged: Staged) -> tuple[int, int]:
    columns = _register(cur, "stage_events", staged)
    listed = ", ".join(columns)
    new = cur.execute(f"insert into stage_events ({listed}) select {listed} from {_new_events_sql()}"
                      ).fetchone()[0]
    _drop_stage(cur)
    return new, len(staged.frame) - new


def _spend_match(staged: Staged) -> tuple[str, str]:
    """How a staged spend day finds its stored self (t), and when it differs: another amount, or, from a daily
    file, a day not yet marked as the file's."""
    differs = "t.spend_amount <> s.spend_amount" + ("" if staged.whole_campaigns else " or not t.from_daily_file")
    return "t.campaign_id = s.campaign_id and t.spend_date = s.spend_date", differs


def _touch_match(columns: list[str]) -> tuple[str, str]:
    """How a staged touch finds its stored self, and when it differs from it."""
    values = [c for c in columns if c not in ("source_system", "source_id")]
    return ("t.source_system = s.source_system and t.source_id = s.source_id",
            " or ".join(f"t.{c} is distinct from s.{c}" for c in values) or "false")


def _upsert_touchpoints(cur, staged: Staged) -> tuple[int, int, int]:
    """Touches are matched by (source_system, source_id); new ones get the next free touchpoint_id."""
    columns = _register(cur, "touchpoints", staged)
    match, changed_sql = _touch_match(columns)
    values = [c for c in columns if c not in ("source_system", "source_id")]
    new, changed = cur.execute(
        f"select count(*) filter (where t.source_id is null), count(*) filter (where t.source_id is not null "
        f"and ({changed_sql})) from import_stage as s left join touchpoints as t on {match}").fetchone()
    if changed:
        sets = ", ".join(f"{c} = s.{c}" for c in values)
        cur.execute(f"update touchpoints as t set {sets} from import_stage as s where {match} and ({changed_sql})")
    if new:
        listed = ", ".join(columns)
        cur.execute(
            f"insert into touchpoints (touchpoint_id, {listed}) "
            f"select (select coalesce(max(touchpoint_id), 0) from touchpoints) + row_number() over (), {listed} "
            f"from import_stage as s where not exists (select 1 from touchpoints as t where {match})")
    _drop_stage(cur)
    return new, changed, len(staged.frame) - new - changed


# --- the log ---------------------------------------------------------------------------------------

def _log(cur, plan: ImportPlan, mode: str, principal: Principal, counts: pd.DataFrame, quarantined: int) -> int:
    names = ", ".join(sorted(f.name for f in plan.files))
    load_id = cur.execute(
        "insert into data_loads (loaded_by, source_system, description, file_hash, row_count, preset, mode, "
        "file_names, quarantined_rows) values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning load_id",
        [principal.actor, plan.spec.source_system, f"{plan.spec.name}: {len(plan.files)} files", plan.file_hash,
         plan.rows_read, plan.spec.name, mode, names, quarantined]).fetchone()[0]
    cur.register("import_counts", counts.assign(load_id=load_id))
    cur.execute("insert into data_load_tables (load_id, table_name, inserted_count, updated_count, unchanged_count, "
                "removed_count) select load_id, \"table\", inserted, updated, unchanged, removed from import_counts")
    cur.unregister("import_counts")
    if quarantined:
        rows = plan.quarantine.assign(load_id=load_id, row=plan.quarantine["row"].astype("Int64"),
                                      value=plan.quarantine["value"].astype("str"))
        cur.register("import_quarantine", rows)
        cur.execute("insert into data_quarantine (load_id, file_name, row_number, column_name, cell_value, reason, "
                    "record_json) select load_id, file, row, \"column\", value, reason, record_json "
                    "from import_quarantine")
        cur.unregister("import_quarantine")
    audit.record(cur, principal, "data.import", "data_loads", str(load_id), None,
                 {"preset": plan.spec.name, "files": names, "file_hash": plan.file_hash, "mode": mode,
                  "rows_read": plan.rows_read, "quarantined": quarantined,
                  "tables": counts.set_index("table")[["inserted", "updated", "unchanged", "removed"]]
                  .to_dict("index")})
    return int(load_id)


def _changed(counts: pd.DataFrame) -> int:
    return int(np.sum(counts[["inserted", "updated", "removed"]].to_numpy()))


def rows_changed(result: LoadResult) -> int:
    """Rows inserted, updated or removed in any table: zero means the store was already up to date."""
    return _changed(result.counts)
