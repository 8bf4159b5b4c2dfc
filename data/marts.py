"""Marts: tables at a declared grain, rebuilt from the raw tables after every load.

Each mart is one SQL file in data/marts/ whose header states its grain. Metrics read marts only.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb

MARTS_DIR = Path(__file__).resolve().parent / "marts"


def mart_files() -> list[Path]:
    return sorted(MARTS_DIR.glob("*.sql"))


def marts_exist(con: duckdb.DuckDBPyConnection) -> bool:
    names = {path.stem for path in mart_files()}
    found = {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_name = any(?)", [list(names)]
    ).fetchall()}
    return names <= found


def _fingerprints() -> dict[str, str]:
    return {path.stem: hashlib.sha256(path.read_bytes()).hexdigest() for path in mart_files()}


def marts_current(con: duckdb.DuckDBPyConnection) -> bool:
    """True when every mart exists and was built by the SQL now in data/marts/ (a store built by an
    older version of Tandem gets its marts rebuilt on open)."""
    if not marts_exist(con):
        return False
    con.execute("create table if not exists mart_builds (mart_name varchar primary key, sql_sha256 varchar)")
    built = dict(con.execute("select mart_name, sql_sha256 from mart_builds").fetchall())
    return all(built.get(name) == digest for name, digest in _fingerprints().items())


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every mart in one transaction, so readers never see a half-built one."""
    con.execute("begin transaction")
    try:
        for path in mart_files():
            con.execute(path.read_text())
        con.execute("create or replace table mart_builds (mart_name varchar primary key, sql_sha256 varchar)")
        con.executemany("insert into mart_builds values (?, ?)", list(_fingerprints().items()))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise


_CREATE = re.compile(r"create\s+or\s+replace\s+table\s+(\w+)\s+as\s+(.*?);?\s*$", re.S | re.I)

# Marts whose rows for a lead are built from that lead's rows alone (a lead's funnel, its MQL entries),
# so refresh_leads can rebuild them lead by lead. A mart that ranks or totals across leads
# (mart_opportunities numbers every deal) does not belong here.
LEAD_LOCAL_MARTS: tuple[str, ...] = ("mart_lead_funnel", "mart_lead_sales_feedback", "mart_mql_followup")


def _mart_query(path: Path) -> tuple[str, str]:
    """(table, the query that builds it) of one mart file."""
    match = _CREATE.search(path.read_text())
    if not match:
        raise ValueError(f"Mart file {path.name} does not hold one `create or replace table NAME as ...`.")
    return match.group(1), match.group(2)


def _lead_keyed_tables(cur) -> set[str]:
    rows = cur.execute("select table_name from duckdb_columns() where column_name = 'lead_id' "
                       "and schema_name = 'main' and database_name = current_database() and table_name in "
                       "(select table_name from duckdb_tables() where schema_name = 'main' "
                       "and database_name = current_database())").fetchall()
    return {row[0] for row in rows}


def refresh_leads(cur, lead_ids) -> None:
    """Rebuild these leads' rows in the LEAD_LOCAL_MARTS, in the caller's transaction.

    For writes that touch a few leads (a verdict writes one stage event): a full refresh rebuilds every
    lead, tens of seconds at a million leads; this takes about a tenth of a second. The mart's own SQL runs
    unchanged, with each table it reads that holds lead_id (raw tables, earlier marts) narrowed to
    these leads by a CTE of the same name. Other marts are left as they are: the caller must only
    change what they do not read (a stage event changes no opportunity).
    """
    ids = sorted({str(lead_id) for lead_id in lead_ids})
    if not ids:
        return
    keyed = _lead_keyed_tables(cur)
    for path in mart_files():
        name, query = _mart_query(path)
        if name not in LEAD_LOCAL_MARTS:
            continue
        read = [t for t in sorted(keyed - {name}) if re.search(rf"\b{t}\b", query)]
        narrowed = "".join(f"{t} as (select * from main.{t} where lead_id = any($ids)), " for t in read)
        cur.execute(f"delete from {name} where lead_id = any($ids)", {"ids": ids})
        # The outer filter is what keeps other leads out; the narrowing is what makes it fast.
        cur.execute(f"insert into {name} by name with {narrowed}built as (\n{query}\n) "
                    f"select * from built where lead_id = any($ids)", {"ids": ids})
