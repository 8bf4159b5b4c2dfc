"""What the import does to go fast at a million rows must not change what it reads or writes."""

from __future__ import annotations

import pyarrow as pa

from data.importers import plan as plan_module
from data.importers import prepare
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
