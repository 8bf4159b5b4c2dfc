"""Importers: Salesforce and HubSpot exports and any CSV or Parquet through a mapping file.

    plan = prepare(cur, spec, files)        # read, map and check; nothing written
    result = load(con, plan, mode, principal)  # admins only; one transaction: everything or nothing

`spec` is `preset("salesforce")`, `preset("hubspot")` or `load_spec("my_mapping.toml")`; `files` are
`SourceFile`s (`from_paths([...])` on the command line, uploads on the Data page).
"""

from data.importers.plan import ImportPlan, prepare
from data.importers.read import SourceFile, expand_archives, from_paths
from data.importers.spec import PRESETS, ImportSpec, MappingError, load_spec, parse_spec, preset, preset_text
from data.importers.write import MODES, ImportRejected, LoadResult, load, preview_counts

__all__ = ["MODES", "PRESETS", "ImportPlan", "ImportRejected", "ImportSpec", "LoadResult", "MappingError",
           "SourceFile", "expand_archives", "from_paths", "load", "load_spec", "parse_spec", "prepare", "preset",
           "preset_text", "preview_counts"]
