"""What the import does to go fast at a million rows must not change what it reads or writes."""

from __future__ import annotations

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
