"""What the import does to go fast at a million rows must not change what it reads or writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from data.importers import plan as plan_module
from data.importers import prepare
from data.importers.transform import parse_amounts
from import_fixture import SPEC, files, new_store


def test_prepare_allocates_arrow_memory_from_the_system_and_restores_the_pool(tmp_path, monkeypatch):
    con = new_store(tmp_path / "import.duckdb")
    before = pa.default_memory_pool().backend_name
    seen = []
    read_table = plan_module.read_table

    def spy(*args, **kwargs):
        seen.append(pa.default_memory_pool().backend_name)
        return read_table(*args, **kwargs)

    monkeypatch.setattr(plan_module, "read_table", spy)
    plan = prepare(con.cursor(), SPEC, files())
    con.close()
    assert set(seen) == {"system"} and len(plan.tables["leads"].frame) == 5
    assert pa.default_memory_pool().backend_name == before


@pytest.mark.parametrize("cells", [
    ["1000", "0", "-0", "12.50", "1e3", ".5", "+5", "Infinity", None],  # all numbers: Arrow reads them
    ["1000", "1,000", "1_000", "0x10", " 5", "€12", "nan", "-3", None],  # some are not: pandas reads them
])
def test_amounts_read_as_pandas_reads_them(cells):
    series = pd.Series(cells, dtype="str")
    pd.testing.assert_series_equal(parse_amounts(series), pd.to_numeric(series, errors="coerce").astype("float64"))


def rules_in_pandas(events: pd.DataFrame) -> pd.DataFrame:
    """plan._dedupe_events' rules, worked out row by row: an estimated entry goes when its lead has a dated
    one of the same stage; then one entry per lead and stage (and opportunity, and time for the stages
    that can recur), the dated before the estimated, the earliest first."""
    dated = set(zip(*events.loc[~events["is_estimated"], ["lead_id", "stage"]].to_numpy().T))
    redundant = [e and (lead, stage) in dated for lead, stage, e in
                 zip(events["lead_id"], events["stage"], events["is_estimated"])]
    kept = events[~pd.Series(redundant, index=events.index)].copy()
    once = kept["stage"].isin(plan_module._ONCE_PER_RECORD) | kept["is_estimated"]
    kept["moment"] = kept["entered_at"].where(~once)
    kept = kept.sort_values(["is_estimated", "entered_at"], kind="stable")
    return kept.drop_duplicates(["lead_id", "stage", "opportunity_id", "moment"]).drop(columns="moment")


def test_entries_are_deduplicated_by_the_rules(tmp_path):
    rng = np.random.default_rng(3)
    rows = 3000
    times = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 12, rows), unit="D")
    events = pd.DataFrame({
        # Few leads, stages, deals and days, so every rule meets many collisions; lead L0 stays alone.
        "lead_id": np.where(np.arange(rows) == 0, "L0", np.char.add("L", rng.integers(1, 40, rows).astype(str))),
        "stage": rng.choice(["lead", "mql", "sal", "opportunity", "won", "lost", "recycled"], rows),
        "entered_at": times.astype("datetime64[us]"),
        "opportunity_id": pd.Series(rng.choice(["D1", "D2", None], rows), dtype="str"),
        "moved_by_rep_id": "R1", "source_system": "test", "source_id": pd.Series(None, index=range(rows), dtype="str"),
        "is_estimated": rng.random(rows) < 0.3,
    })
    con = new_store(tmp_path / "dedupe.duckdb")
    got = plan_module._dedupe_events(con.cursor(), events)
    con.close()
    compared = ["lead_id", "stage", "entered_at", "opportunity_id", "is_estimated"]
    expected = rules_in_pandas(events)
    assert 300 < len(expected) < rows  # the rules dropped many entries and kept many
    key = compared[:4]
    pd.testing.assert_frame_equal(got[compared].sort_values(key).reset_index(drop=True),
                                  expected[compared].sort_values(key).reset_index(drop=True), check_dtype=False)
    assert (got["lead_id"] == "L0").sum() == 1
