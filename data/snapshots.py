"""Snapshot storage: a meeting's frames as Parquet bytes, and reading them back unchanged.

A frame is written once (data/meetings.py `freeze`) and only ever read after that, so a snapshot shows
the same numbers however much data is loaded later. Parquet keeps each column's dtype (counts stay
integers, dates stay dates, missing values stay missing), so a reopened frame equals the frozen one.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


class SnapshotError(LookupError):
    """A snapshot, or a frame of it, is not in the store; the message names which."""


def encode(frame: pd.DataFrame) -> bytes:
    """Parquet bytes of the frame, index dropped (metric frames carry their keys as columns)."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer, compression="zstd")
    return buffer.getvalue()


def decode(content: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(content)).to_pandas()


def snapshot_row(cur, snapshot_id: int) -> dict:
    """The snapshot's own row (title, taken_at, taken_by, period, previous period, as_of, filters_json)."""
    result = cur.execute("select * from meeting_snapshots where snapshot_id = ?", [int(snapshot_id)])
    row = result.fetchone()
    if row is None:
        raise SnapshotError(f"No snapshot {snapshot_id} in the store.")
    return dict(zip([column[0] for column in result.description], row))


def read_frames(cur, snapshot_id: int, keys: tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """The snapshot's frames by key (all of them, or those named; a missing one is an error)."""
    snapshot_row(cur, snapshot_id)
    rows = cur.execute("select frame_key, content from meeting_snapshot_frames where snapshot_id = ? "
                       "order by frame_key", [int(snapshot_id)]).fetchall()
    stored = {key: content for key, content in rows}
    wanted = keys if keys is not None else tuple(stored)
    missing = [key for key in wanted if key not in stored]
    if missing:
        raise SnapshotError(f"Snapshot {snapshot_id} holds no {', '.join(missing)} frame (it holds: "
                            f"{', '.join(stored) or 'nothing'}).")
    return {key: decode(stored[key]) for key in wanted}
