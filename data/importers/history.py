"""Reading back what loads did: the load log, per-table counts and the quarantine (the Data page, CLI)."""

from __future__ import annotations

import pandas as pd


def loads(cur, limit: int = 200) -> pd.DataFrame:
    """One row per load, newest first: who, when, what, file hash, rows read and what changed."""
    return cur.execute(
        "select l.load_id, l.loaded_at, l.loaded_by, l.source_system, coalesce(l.preset, l.source_system) as preset, "
        "coalesce(l.mode, 'strict') as mode, l.description, l.file_names, l.file_hash, l.row_count, "
        "coalesce(l.quarantined_rows, 0) as quarantined_rows, "
        "coalesce(sum(t.inserted_count), 0)::bigint as inserted, coalesce(sum(t.updated_count), 0)::bigint as updated, "
        "coalesce(sum(t.removed_count), 0)::bigint as removed "
        "from data_loads as l left join data_load_tables as t using (load_id) "
        "group by all order by l.load_id desc limit ?", [limit]).df()


def load_tables(cur, load_id: int) -> pd.DataFrame:
    """What one load did per table."""
    return cur.execute(
        "select table_name, inserted_count as inserted, updated_count as updated, unchanged_count as unchanged, "
        "removed_count as removed from data_load_tables where load_id = ? order by table_name", [load_id]).df()


def quarantine(cur, load_id: int | None = None, limit: int = 5000) -> pd.DataFrame:
    """Problems of the rows loads kept out of the store, newest load first."""
    where, params = ("where load_id = ?", [load_id]) if load_id is not None else ("", [])
    return cur.execute(
        f"select load_id, file_name, row_number, column_name, cell_value, reason, record_json from data_quarantine "
        f"{where} order by load_id desc, file_name, row_number limit ?", params + [limit]).df()


def same_files_loaded(cur, file_hash: str) -> pd.DataFrame:
    """Earlier loads of exactly these files (same combined hash)."""
    return cur.execute("select load_id, loaded_at, loaded_by from data_loads where file_hash = ? "
                       "order by load_id desc", [file_hash]).df()
