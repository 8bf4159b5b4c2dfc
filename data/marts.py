"""Marts: tables at a declared grain, rebuilt from the raw tables after every load.

Each mart is one SQL file in data/marts/ whose header states its grain. Metrics read marts only.
"""

from __future__ import annotations

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


def refresh(con: duckdb.DuckDBPyConnection) -> None:
    """Rebuild every mart in one transaction, so readers never see a half-built one."""
    con.execute("begin transaction")
    try:
        for path in mart_files():
            con.execute(path.read_text())
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
