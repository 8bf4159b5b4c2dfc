"""The goals write path: create, update, delete and CSV import/export of goals, validated then written
in one transaction with an audit row per changed field.

A batch of changes (one form save, one CSV file) is checked as a whole against the goals it would
leave behind: a known goal metric, a period written as its label, a known scope, a positive target
(a rate's at most 1), one goal per metric, period and scope. Any problem refuses the whole batch
with every problem listed (where, field, value, what is wrong) and writes nothing.

The target rule of a quarter or year: 'own' (set on its own) or 'sum_of_months' (additive metrics
only: its target is the sum of its month goals of the same metric and scope, recomputed here whenever
one of them changes; a target given for it is ignored, and every month must have a goal).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from data import audit, db
from data.access import PermissionDenied, Principal, authorize, shell_principal
from data.export import unescape
from metrics.filters import filter_options
from metrics.goals import SCOPE_FILTERS, SCOPE_TYPES, TARGET_RULES, goal_metrics, load_goals
from metrics.periods import PERIOD_TYPES, Period, parse_period
from metrics.registry import OWNERS

CSV_COLUMNS = ("metric_name", "period_type", "period", "scope_type", "scope_value", "owner_team", "target",
               "target_rule")
REQUIRED_COLUMNS = ("metric_name", "period_type", "period", "target")
ACTIONS = ("create", "update", "upsert", "delete")


@dataclass(frozen=True)
class GoalInput:
    """A goal as a person enters it; text fields as typed, checked by `save`. An empty owner_team
    means the metric's registered owner; target may be empty for a sum-of-months goal."""

    metric_name: str
    period_type: str
    period: str
    scope_type: str = "all"
    scope_value: str | None = None
    owner_team: str = ""
    target: float | str | None = None
    target_rule: str = "own"


@dataclass(frozen=True)
class Change:
    """`create` refuses an existing goal, `update` and `delete` need one, `upsert` does either.
    `where` names the change's origin for error messages ("the form", "goals.csv line 4")."""

    action: str
    goal: GoalInput
    where: str


@dataclass
class SaveResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def written(self) -> int:
        return len(self.created) + len(self.updated) + len(self.deleted)

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.deleted)} deleted, "
                f"{self.unchanged} unchanged")


class GoalError(ValueError):
    """The batch was refused; `problems` lists each one, and nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Nothing was saved. " + " ".join(problems))


# --- one goal, normalised -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Goal:
    goal_id: str
    metric_name: str
    period: Period
    scope_type: str
    scope_value: str | None
    owner_team: str
    target: float
    target_rule: str

    @property
    def key(self) -> tuple:
        return (self.metric_name, self.period.period_type, self.period.start, self.scope_type, self.scope_value)

    def describe(self) -> str:
        scope = "" if self.scope_type == "all" else f" ({self.scope_type} {self.scope_value})"
        return f"{self.metric_name} {self.period.label}{scope}"


def _current(cur) -> dict[tuple, _Goal]:
    goals = load_goals(cur)
    out = {}
    for row in goals.itertuples(index=False):
        goal = _Goal(row.goal_id, row.metric_name, Period(row.period_type, row.period_start), row.scope_type,
                     row.scope_value, row.owner_team, float(row.target), row.target_rule)
        out[goal.key] = goal
    return out


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _number(text: str) -> float:
    cleaned = text.replace(",", "").replace("_", "")
    return float(cleaned)


def _parse(change: Change, scopes: dict[str, set[str]]) -> tuple[dict, list[str]]:
    """The change's fields checked one by one: (normalised fields, problems)."""
    g, where, problems = change.goal, change.where, []

    def bad(column: str, value, why: str) -> None:
        problems.append(f"{where}, {column} {value!r}: {why}.")

    metrics = goal_metrics()
    name = _text(g.metric_name)
    if name not in metrics:
        bad("metric_name", name, f"not a goal metric; use one of {', '.join(metrics)}")
    period_type = _text(g.period_type)
    period = None
    if period_type not in PERIOD_TYPES:
        bad("period_type", period_type, f"use one of {', '.join(PERIOD_TYPES)}")
    elif _text(g.period) in ("current", "previous"):
        bad("period", _text(g.period), "write the period's label, e.g. 2026-Q1")
    else:
        try:
            period = parse_period(period_type, _text(g.period), date.today())
        except ValueError as exc:
            bad("period", _text(g.period), str(exc).rstrip("."))
    scope_type = _text(g.scope_type) or "all"
    scope_value = _text(g.scope_value) or None
    if scope_type not in SCOPE_TYPES:
        bad("scope_type", scope_type, f"use one of {', '.join(SCOPE_TYPES)}")
    elif scope_type == "all" and scope_value:
        bad("scope_value", scope_value, "scope 'all' takes no value; leave it empty")
    elif scope_type != "all" and scope_value not in scopes.get(scope_type, set()):
        known = ", ".join(sorted(scopes.get(scope_type, set()))) or "none in the data"
        bad("scope_value", scope_value or "", f"not a known {scope_type}; known: {known}")
    owner = _text(g.owner_team) or (metrics[name].owner if name in metrics else "")
    if owner not in OWNERS:
        bad("owner_team", owner, f"use one of {', '.join(OWNERS)}")
    rule = _text(g.target_rule) or "own"
    if rule not in TARGET_RULES:
        bad("target_rule", rule, f"use one of {', '.join(TARGET_RULES)}")
    elif rule == "sum_of_months" and (period_type == "month" or (name in metrics and not metrics[name].additive)):
        bad("target_rule", rule, "only a quarter or a year of a metric that adds up over months can be the sum "
                                 "of its months")
    target = math.nan
    if change.action != "delete" and rule != "sum_of_months":
        target = _target(g.target, name, metrics, bad)
    fields = {"metric_name": name, "period": period, "scope_type": scope_type, "scope_value": scope_value,
              "owner_team": owner, "target": target, "target_rule": rule}
    return fields, problems


def _target(raw, name: str, metrics, bad) -> float:
    text = _text(raw)
    if not text:
        bad("target", text, "a target is required")
        return math.nan
    try:
        target = _number(text)
    except ValueError:
        bad("target", text, "not a number")
        return math.nan
    if not math.isfinite(target):
        bad("target", text, "not a number")
    elif target <= 0:
        bad("target", text, "a target must be above zero")
    elif name in metrics and metrics[name].format == "percent" and target > 1:
        bad("target", text, f"{metrics[name].label} is a rate: write {target / 100:g} for {target:g}%")
    return target


def _scopes(cur) -> dict[str, set[str]]:
    options = filter_options(cur)
    return {scope: set(options.get(name, {})) for scope, name in SCOPE_FILTERS.items()}


# --- the batch ----------------------------------------------------------------------------------

def _new_id(goal_key: tuple, taken: set[str]) -> str:
    metric_name, period_type, start, scope_type, scope_value = goal_key
    base = f"g-{metric_name}-{period_type}-{Period(period_type, start).label}"
    if scope_type != "all":
        base += f"-{scope_type}-" + re.sub(r"[^a-z0-9]+", "-", str(scope_value).lower()).strip("-")
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _plan(cur, changes: list[Change]) -> tuple[dict[tuple, _Goal], dict[tuple, _Goal], set[tuple]]:
    """(goals now, goals after the batch, keys the batch names), or GoalError with every problem."""
    before = _current(cur)
    after = dict(before)
    scopes = _scopes(cur)
    problems: list[str] = []
    seen: dict[tuple, str] = {}
    taken = {g.goal_id for g in before.values()}
    for change in changes:
        if change.action not in ACTIONS:
            raise ValueError(f"Unknown action {change.action!r}; use one of {', '.join(ACTIONS)}.")
        fields, found = _parse(change, scopes)
        problems += found
        if found:
            continue
        period = fields.pop("period")
        key = (fields["metric_name"], period.period_type, period.start, fields["scope_type"], fields["scope_value"])
        label = f"{fields['metric_name']} {period.label} ({fields['scope_type']}" + (
            f" {fields['scope_value']})" if fields["scope_value"] else ")")
        if key in seen:
            problems.append(f"{change.where}: {label} is also given in {seen[key]}; one goal per metric, period and "
                            "scope.")
            continue
        seen[key] = change.where
        existing = after.get(key)
        if change.action == "create" and existing:
            problems.append(f"{change.where}: a goal for {label} already exists ({existing.goal_id}); edit it instead.")
        elif change.action in ("update", "delete") and not existing:
            problems.append(f"{change.where}: there is no goal for {label} to {change.action}.")
        elif change.action == "delete":
            del after[key]
        else:
            goal_id = existing.goal_id if existing else _new_id(key, taken)
            taken.add(goal_id)
            after[key] = _Goal(goal_id=goal_id, period=period, **fields)
    if problems:
        raise GoalError(problems)
    after = _with_sums(after, changes, problems)
    if problems:
        raise GoalError(problems)
    return before, after, set(seen)


def _with_sums(goals: dict[tuple, _Goal], changes: list[Change], problems: list[str]) -> dict[tuple, _Goal]:
    """Every sum-of-months goal's target set to the sum of its months; a missing month is a problem."""
    out = dict(goals)
    for key, goal in goals.items():
        if goal.target_rule != "sum_of_months":
            continue
        months = [goals.get((goal.metric_name, "month", start, goal.scope_type, goal.scope_value))
                  for start in goal.period.month_starts()]
        missing = [Period("month", s).label for s, m in zip(goal.period.month_starts(), months) if m is None]
        if missing:
            problems.append(f"{goal.describe()} is the sum of its months, but {', '.join(missing)} would have no goal: "
                            "add the month goals first, or set the target on its own.")
            continue
        out[key] = _Goal(**{**goal.__dict__, "target": float(sum(m.target for m in months))})
    return out


_AUDITED = ("target", "owner_team", "target_rule")


def _value_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.6g}"
    return str(value)


def _diff(before: dict[tuple, _Goal], after: dict[tuple, _Goal], derived: set[tuple],
          named: set[tuple]) -> tuple[list, SaveResult]:
    """Audit rows (action, goal, field, old, new, derived?) and what happened to each goal; `unchanged`
    counts the goals the batch named that stayed as they were."""
    rows, result = [], SaveResult()
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old and not new:
            rows.append(("delete", old, "target", _value_text(old.target), None, False))
            result.deleted.append(old.goal_id)
        elif new and not old:
            rows += [("create", new, f, None, _value_text(getattr(new, f)), False) for f in _AUDITED]
            result.created.append(new.goal_id)
        else:
            changed = [f for f in _AUDITED if getattr(old, f) != getattr(new, f)]
            rows += [("update", new, f, _value_text(getattr(old, f)), _value_text(getattr(new, f)),
                      key in derived and f == "target") for f in changed]
            if changed:
                result.updated.append(new.goal_id)
            elif key in named:
                result.unchanged += 1
    return rows, result


def _write(cur, before, after, audit_rows, principal: Principal, source: str) -> None:
    for key in before.keys() - after.keys():
        cur.execute("delete from goals where goal_id = ?", [before[key].goal_id])
    for key, goal in after.items():
        old = before.get(key)
        values = [goal.owner_team, goal.target, goal.target_rule, goal.goal_id]
        if old is None:
            cur.execute("insert into goals (owner_team, target, target_rule, goal_id, metric_name, period_type, "
                        "period_start, scope_type, scope_value) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        values + [goal.metric_name, goal.period.period_type, goal.period.start, goal.scope_type,
                                  goal.scope_value])
        elif (old.owner_team, old.target, old.target_rule) != (goal.owner_team, goal.target, goal.target_rule):
            cur.execute("update goals set owner_team = ?, target = ?, target_rule = ? where goal_id = ?", values)
    for action, goal, column, old_value, new_value, derived in audit_rows:
        cur.execute("insert into goal_audit (changed_by, source, action, goal_id, metric_name, period_type, "
                    "period_start, scope_type, scope_value, field, old_value, new_value) "
                    "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [principal.actor, "sum of months" if derived else source, action, goal.goal_id, goal.metric_name,
                     goal.period.period_type, goal.period.start, goal.scope_type, goal.scope_value, column,
                     old_value, new_value])
    for key in sorted(set(before) | set(after), key=str):
        old, new = before.get(key), after.get(key)
        if old != new:
            action = "goals.delete" if new is None else "goals.create" if old is None else "goals.update"
            audit.record(cur, principal, action, "goal", (new or old).goal_id, _audited(old), _audited(new))


def _audited(goal: _Goal | None) -> dict | None:
    if goal is None:
        return None
    return {"metric_name": goal.metric_name, "period": goal.period.label, "scope_type": goal.scope_type,
            "scope_value": goal.scope_value, "owner_team": goal.owner_team, "target": goal.target,
            "target_rule": goal.target_rule}


def _authorize_goals(principal: Principal, before: dict, after: dict, named: set[tuple]) -> None:
    """Marketing and sales goals only by their team (or an admin), shared goals only by admins: checked
    on the goal before and after the change, so nobody moves a goal out of another team's hands."""
    denied = sorted({f"{goal.describe()} (owned by {goal.owner_team})" for key in named
                     for goal in (before.get(key), after.get(key))
                     if goal is not None and before.get(key) != after.get(key)
                     and not principal.can("goals.edit", goal.owner_team)})
    if denied:
        raise PermissionDenied(f"{principal.label} may not change "
                               f"{', '.join(denied)}. Nothing was saved.")


def save(con: duckdb.DuckDBPyConnection, changes: list[Change], principal: Principal, source: str = "editor",
         load_log: dict | None = None) -> SaveResult:
    """Check the role, validate the batch, then write it and its audit rows in one transaction (or nothing).

    `load_log` (an import) adds a data_loads row."""
    authorize(principal, "goals.edit")
    cur = con.cursor()
    try:
        before, after, named = _plan(cur, changes)
        _authorize_goals(principal, before, after, named)
        derived = {k for k, g in after.items() if g.target_rule == "sum_of_months"}
        audit_rows, result = _diff(before, after, derived, named)
        if not result.written:
            return result
        cur.execute("begin transaction")
        try:
            _write(cur, before, after, audit_rows, principal, source)
            if load_log:
                cur.execute("insert into data_loads (loaded_by, source_system, description, file_hash, row_count) "
                            "values (?, ?, ?, ?, ?)",
                            [principal.actor, "csv", f"{load_log['description']}: {result.summary()}",
                             load_log["file_hash"], load_log["row_count"]])
            cur.execute("commit")
        except duckdb.TransactionException as exc:
            cur.execute("rollback")
            raise GoalError(["Someone else saved goals at the same moment; nothing was saved. Try again."]) from exc
        except BaseException:
            cur.execute("rollback")
            raise
        return result
    finally:
        cur.close()


# --- CSV ----------------------------------------------------------------------------------------

def changes_from_csv(data: bytes | str, file_name: str) -> list[Change]:
    """One upsert per data row of a goals CSV; a header problem is a GoalError naming the file."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    problems = []
    if missing:
        optional = ", ".join(c for c in CSV_COLUMNS if c not in REQUIRED_COLUMNS)
        problems.append(f"{file_name}: missing column(s) {', '.join(missing)}; the header must name "
                        f"{', '.join(REQUIRED_COLUMNS)} and may add {optional}.")
    if unknown:
        problems.append(f"{file_name}: unknown column(s) {', '.join(unknown)}; known: {', '.join(CSV_COLUMNS)}.")
    if problems:
        raise GoalError(problems)
    changes = []
    for line, row in enumerate(reader, start=2):
        values = {k.strip(): unescape((v or "").strip()) for k, v in row.items() if k is not None}
        goal = GoalInput(**{c: values.get(c, "") for c in CSV_COLUMNS if c in values})
        changes.append(Change("upsert", goal, f"{file_name} line {line}"))
    if not changes:
        raise GoalError([f"{file_name}: no goal rows under the header."])
    return changes


def import_csv(con: duckdb.DuckDBPyConnection, data: bytes | str, file_name: str,
               principal: Principal) -> SaveResult:
    """Create or update the goals in a CSV (see CSV_COLUMNS), all or nothing, audited and logged."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    changes = changes_from_csv(raw, file_name)
    log = {"description": f"Goals import {file_name}", "file_hash": hashlib.sha256(raw).hexdigest(),
           "row_count": len(changes)}
    return save(con, changes, principal, source=f"import {file_name}", load_log=log)


def export_frame(goals: pd.DataFrame) -> pd.DataFrame:
    """Goals (as metrics.goals.load_goals reads them) in the import format, so an export can be edited
    and imported back."""
    frame = pd.DataFrame({
        "metric_name": goals["metric_name"],
        "period_type": goals["period_type"],
        "period": goals["period_label"],
        "scope_type": goals["scope_type"],
        "scope_value": goals["scope_value"],
        "owner_team": goals["owner_team"],
        "target": [_value_text(float(t)) for t in goals["target"]],
        "target_rule": goals["target_rule"],
    })
    order = frame["period_type"].map({t: i for i, t in enumerate(PERIOD_TYPES)})
    return frame.assign(_o=order).sort_values(["_o", "period", "metric_name", "scope_type"]).drop(columns="_o")


# --- command line: `python -m data goals export|import` -----------------------------------------

def add_commands(commands) -> None:
    """Register `goals export` and `goals import` on data/__main__.py's subcommands."""
    goals = commands.add_parser("goals", help="export goals to CSV, or import (create or update) goals from CSV")
    actions = goals.add_subparsers(dest="goals_command", required=True)
    export = actions.add_parser("export", help="write every goal as CSV (the import format)")
    export.add_argument("--db", required=True, help="database file")
    export.add_argument("--out", help="CSV file to write (default: standard output)")
    export.set_defaults(run=_export_command)
    load = actions.add_parser("import", help="create or update goals from a CSV, all or nothing, audited")
    load.add_argument("file", help="CSV with columns " + ", ".join(CSV_COLUMNS))
    load.add_argument("--db", required=True, help="database file")
    load.add_argument("--as", dest="changed_by",
                      help="name the audit trail records (default: cli:<your login>); the command line acts as admin")
    load.set_defaults(run=_import_command)


def _export_command(args) -> int:
    try:
        con = db.open_store(args.db)
    except db.StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        frame = export_frame(load_goals(con.cursor()))
    finally:
        con.close()
    frame.to_csv(args.out or sys.stdout, index=False)
    if args.out:
        print(f"Wrote {len(frame):,} goals to {args.out}.")
    return 0


def _import_command(args) -> int:
    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path} is not a file.", file=sys.stderr)
        return 1
    try:
        con = db.open_store(args.db)
    except db.StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        result = import_csv(con, path.read_bytes(), path.name, shell_principal(args.changed_by))
    except GoalError as exc:
        print("error: nothing was imported.\n" + "\n".join(f"  {p}" for p in exc.problems), file=sys.stderr)
        return 1
    finally:
        con.close()
    print(f"Imported {path.name}: {result.summary()}.")
    return 0
