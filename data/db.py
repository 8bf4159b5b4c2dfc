"""The one place that opens the store. Views and metrics get a cursor from here, never a file."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from data import marts, schema

ENV_VAR = "TANDEM_DB"
DEFAULT_DB_PATH = Path(__file__).resolve().parent / "tandem.duckdb"

# Only parquet, json and icu are built in; fail fast instead of trying to download others.
_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
# The Streamlit server's cap on DuckDB's memory. A full mart rebuild at 1M leads peaks at 1.3 GB
# uncapped; capped, DuckDB spills to disk and the server stays under its 1 GB budget. Metric queries
# need far less.
SERVER_MEMORY_LIMIT = "600MB"


class StoreError(RuntimeError):
    """The database file can't be used; the message names the file and what to do."""


def resolve_db_path(configured: str | os.PathLike | None = None) -> Path:
    """The store's path: $TANDEM_DB, else the configured value (Streamlit secrets), else data/."""
    chosen = os.environ.get(ENV_VAR) or configured or DEFAULT_DB_PATH
    return Path(chosen).expanduser().resolve()


def connect(path: str | os.PathLike, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the DuckDB file, translating DuckDB's errors into ones a user can act on."""
    path = Path(path)
    if read_only and not path.exists():
        raise StoreError(f"Database file {path} does not exist. Build one with "
                         f"`python -m data demo --db {path}` or set {ENV_VAR}.")
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=_CONFIG)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreError(
                f"Database file {path} is locked by another process (an import, a benchmark or a "
                f"second Tandem app). Stop that process and try again, or set {ENV_VAR} to "
                f"another file."
            ) from exc
        raise StoreError(_unreadable(path, text)) from exc
    except duckdb.Error as exc:
        raise StoreError(_unreadable(path, str(exc))) from exc
    # Long queries would otherwise print progress bars into the server's log.
    con.execute("set enable_progress_bar = false")
    return con


def _unreadable(path: Path, reason: str) -> str:
    return (f"Database file {path} is not a readable Tandem database ({reason}). Move it aside "
            f"(Tandem then builds a fresh demo) or set {ENV_VAR} to a valid file.")


def open_store(path: str | os.PathLike, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open read-write, bring the schema up to date and make sure the marts exist. `memory_limit` (e.g.
    SERVER_MEMORY_LIMIT) caps DuckDB from the start, the migration and any mart rebuild included."""
    con = connect(path)
    if memory_limit:
        con.execute("set memory_limit = ?", [memory_limit])
    try:
        schema.migrate(con)
        if not marts.marts_current(con):
            marts.refresh(con)
    except duckdb.Error as exc:
        con.close()
        raise StoreError(
            f"Database file {path} could not be brought up to this version of Tandem's schema ({exc}). "
            f"Nothing was changed by the failed step; keep the file, and report this error."
        ) from exc
    return con
