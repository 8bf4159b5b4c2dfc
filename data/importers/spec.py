"""Import specifications: which file goes to which table, and how its columns map onto Tandem's.

A spec is a TOML file (README, "Bring your own data"). The Salesforce and HubSpot presets are specs
shipped in data/importers/presets/; a user's mapping file is read by the same code.
"""

from __future__ import annotations

import codecs
import datetime as dt
import fnmatch
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from data.importers.tables import ENTITIES, KINDS
from data.stages import ALL_STAGES

PRESETS_DIR = Path(__file__).resolve().parent / "presets"
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
PRESETS = ("salesforce", "hubspot")
# Tried on every date cell before a spec's own formats (ISO 8601: 2024-01-31, 2024-01-31 09:30:00,
# 2024-01-31T09:30:00Z, with or without fractions and offsets).
ISO = "ISO8601"
WILDCARD = "*"
_SYSTEM = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_FILE_KEYS = {"match", "table", "columns", "values", "constants", "defaults", "stage_dates", "statuses",
              "skip_when", "keep_when", "date_formats", "delimiter", "encoding", "required"}
_TOP_KEYS = {"name", "source_system", "files", "lookups", "not_stored", "empty_values", "date_formats",
             "delimiter", "encoding"}


class MappingError(ValueError):
    """The spec itself is wrong; the message names the file, the section and the key."""


@dataclass(frozen=True)
class Source:
    """A field's value: the first non-empty cell among `columns` (alternative names are fine: a column
    missing from the file is skipped), optionally translated through a lookup file."""

    columns: tuple[str, ...]
    lookup: str | None = None


@dataclass(frozen=True)
class StatusRule:
    """A current-status column turned into a stage entry dated by another column (so, estimated)."""

    columns: tuple[str, ...]
    at: tuple[str, ...]
    values: dict[str, str]  # status -> stage, or "" for no stage entry


@dataclass(frozen=True)
class FileMapping:
    match: str
    table: str
    columns: dict[str, Source]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)
    stage_dates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    statuses: tuple[StatusRule, ...] = ()
    skip_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keep_when: dict[str, tuple[str, ...]] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    delimiter: str | None = None
    encoding: str = "utf-8"
    required: bool = True

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatch(Path(file_name).name.lower(), self.match.lower())

    @property
    def entity(self):
        return ENTITIES[self.table]


@dataclass(frozen=True)
class Lookup:
    """A file read only to translate an ID into a value (an opportunity's AccountId into a name)."""

    name: str
    match: str
    key: str
    value: str
    delimiter: str | None = None
    encoding: str = "utf-8"

    def matches(self, file_name: str) -> bool:
        return fnmatch.fnmatch(Path(file_name).name.lower(), self.match.lower())


@dataclass(frozen=True)
class ImportSpec:
    name: str
    source_system: str
    files: tuple[FileMapping, ...]
    lookups: tuple[Lookup, ...] = ()
    not_stored: dict[str, str] = field(default_factory=dict)  # file pattern -> why it is not stored
    empty_values: tuple[str, ...] = ()

    def not_stored_reason(self, file_name: str) -> str | None:
        for pattern, why in self.not_stored.items():
            if fnmatch.fnmatch(Path(file_name).name.lower(), pattern.lower()):
                return why
        return None

    def with_encoding(self, encoding: str) -> ImportSpec:
        """The same spec reading every file in `encoding` (the CLI's and the page's override)."""
        _check_encoding(encoding, "--encoding")
        files = tuple(FileMapping(**{**m.__dict__, "encoding": encoding}) for m in self.files)
        lookups = tuple(Lookup(**{**lk.__dict__, "encoding": encoding}) for lk in self.lookups)
        return ImportSpec(self.name, self.source_system, files, lookups, self.not_stored, self.empty_values)


def preset(name: str) -> ImportSpec:
    """A shipped preset: 'salesforce' or 'hubspot'."""
    if name not in PRESETS:
        raise MappingError(f"No preset named {name!r}; choose one of {', '.join(PRESETS)}, or pass a mapping file.")
    return load_spec(PRESETS_DIR / f"{name}.toml")


def preset_text(name: str) -> str:
    """A preset's TOML, to copy and adapt."""
    preset(name)  # validates the name
    return (PRESETS_DIR / f"{name}.toml").read_text()


def load_spec(path: str | Path) -> ImportSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"Cannot read the mapping file {path}: {exc.strerror}.") from exc
    return parse_spec(text, path.name)


def parse_spec(text: str, origin: str = "mapping") -> ImportSpec:
    """Parse and check a spec; every mistake names `origin`, the section and the key."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{origin} is not valid TOML: {exc}.") from exc
    _unknown_keys(raw, _TOP_KEYS, origin)
    system = str(raw.get("source_system", "")).strip().lower()
    if not _SYSTEM.match(system):
        raise MappingError(f"{origin}: source_system must be a short lowercase name such as 'salesforce' or "
                           f"'maven' (letters, digits, - and _); got {raw.get('source_system')!r}.")
    files = raw.get("files")
    if not isinstance(files, list) or not files:
        raise MappingError(f"{origin}: needs at least one [[files]] section saying which file goes to which table.")
    shared = {k: raw[k] for k in ("date_formats", "delimiter", "encoding") if k in raw}
    mappings = tuple(_file_mapping({**shared, **entry}, f"{origin} [[files]] #{i}")
                     for i, entry in enumerate(files, start=1))
    lookups = tuple(_lookup(entry, f"{origin} [[lookups]] #{i}", shared)
                    for i, entry in enumerate(raw.get("lookups", []), start=1))
    _check_lookup_names(mappings, lookups, origin)
    return ImportSpec(
        name=str(raw.get("name") or origin), source_system=system, files=mappings, lookups=lookups,
        not_stored={str(k): str(v) for k, v in raw.get("not_stored", {}).items()},
        empty_values=tuple(_text(v) for v in raw.get("empty_values", [])),
    )


def _file_mapping(entry: dict, where: str) -> FileMapping:
    _unknown_keys(entry, _FILE_KEYS, where)
    table = entry.get("table")
    if table not in ENTITIES:
        raise MappingError(f"{where}: table must be one of {', '.join(ENTITIES)}; got {table!r}.")
    if not entry.get("match"):
        raise MappingError(f"{where}: match (the file name or a pattern such as '*deals*.csv') is missing.")
    entity = ENTITIES[table]
    columns = {name: _source(value, f"{where} columns.{name}") for name, value in entry.get("columns", {}).items()}
    constants = {k: _text(v) for k, v in entry.get("constants", {}).items()}
    defaults = {k: _text(v) for k, v in entry.get("defaults", {}).items()}
    values = {k: {str(a): _text(b) for a, b in v.items()} for k, v in entry.get("values", {}).items()}
    for section, names in (("columns", columns), ("constants", constants), ("defaults", defaults),
                           ("values", values)):
        for name in names:
            if name not in entity.names:
                raise MappingError(f"{where}: {section}.{name} is not a field of {table}; its fields are "
                                   f"{', '.join(entity.names)}.")
    for name, mapping in values.items():
        if entity.field(name).kind == "stage":
            _check_stages(mapping, f"{where} values.{name}", allow_none=False)
    mapped = set(columns) | set(constants) | set(defaults)
    missing = [f.name for f in entity.fields if f.required and f.name not in mapped]
    if table == "stage_events" and not mapped & {"lead_id", "opportunity_id"}:
        missing.append("lead_id or opportunity_id")
    if missing:
        raise MappingError(f"{where}: {table} needs {', '.join(missing)}; map a column to each under "
                           f"[files.columns] (or give a constant).")
    stage_dates = {}
    for stage, value in entry.get("stage_dates", {}).items():
        if stage not in ALL_STAGES:
            raise MappingError(f"{where}: stage_dates.{stage} is not a stage; stages are {', '.join(ALL_STAGES)}.")
        stage_dates[stage] = _columns(value, f"{where} stage_dates.{stage}")
    if stage_dates and table != "leads":
        raise MappingError(f"{where}: stage_dates belong to a leads file (one date column per stage).")
    statuses = tuple(_status(rule, f"{where} statuses #{i}") for i, rule in enumerate(entry.get("statuses", []), 1))
    if statuses and table != "leads":
        raise MappingError(f"{where}: statuses belong to a leads file.")
    encoding = str(entry.get("encoding", "utf-8"))
    _check_encoding(encoding, where)
    return FileMapping(
        match=str(entry["match"]), table=table, columns=columns, values=values, constants=constants,
        defaults=defaults, stage_dates=stage_dates, statuses=statuses,
        skip_when=_conditions(entry.get("skip_when", {}), f"{where} skip_when"),
        keep_when=_conditions(entry.get("keep_when", {}), f"{where} keep_when"),
        date_formats=tuple(str(f) for f in entry.get("date_formats", ())),
        delimiter=_delimiter(entry.get("delimiter"), where), encoding=encoding,
        required=bool(entry.get("required", True)),
    )


def _source(value: Any, where: str) -> Source:
    if isinstance(value, dict):
        _unknown_keys(value, {"column", "lookup"}, where)
        if "column" not in value:
            raise MappingError(f"{where}: a table value needs column = \"...\" (and optionally lookup).")
        return Source(_columns(value["column"], where), str(value["lookup"]) if "lookup" in value else None)
    return Source(_columns(value, where))


def _columns(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise MappingError(f"{where}: expected a column name or a list of column names; got {value!r}.")


def _status(rule: dict, where: str) -> StatusRule:
    _unknown_keys(rule, {"column", "at", "values"}, where)
    if not {"column", "at", "values"} <= set(rule):
        raise MappingError(f"{where}: a status rule needs column, at (the column that dates it) and values.")
    values = {str(k): _text(v) for k, v in rule["values"].items()}
    _check_stages(values, f"{where} values", allow_none=True)
    return StatusRule(_columns(rule["column"], where), _columns(rule["at"], where), values)


def _lookup(entry: dict, where: str, shared: dict) -> Lookup:
    _unknown_keys(entry, {"name", "match", "key", "value", "delimiter", "encoding"}, where)
    if not {"name", "match", "key", "value"} <= set(entry):
        raise MappingError(f"{where}: a lookup needs name, match, key and value.")
    encoding = str(entry.get("encoding", shared.get("encoding", "utf-8")))
    _check_encoding(encoding, where)
    return Lookup(str(entry["name"]), str(entry["match"]), str(entry["key"]), str(entry["value"]),
                  _delimiter(entry.get("delimiter", shared.get("delimiter")), where), encoding)


def _check_lookup_names(mappings: tuple[FileMapping, ...], lookups: tuple[Lookup, ...], origin: str) -> None:
    known = {lookup.name for lookup in lookups}
    for mapping in mappings:
        for name, source in mapping.columns.items():
            if source.lookup and source.lookup not in known:
                raise MappingError(f"{origin}: columns.{name} of {mapping.match} uses lookup {source.lookup!r}, "
                                   f"but no [[lookups]] section is named so.")


def _check_stages(mapping: dict[str, str], where: str, allow_none: bool) -> None:
    allowed = set(ALL_STAGES) | ({""} if allow_none else set())
    for source_value, stage in mapping.items():
        if stage not in allowed:
            hint = ' or "" for no stage entry' if allow_none else ""
            raise MappingError(f"{where}: {source_value!r} maps to {stage!r}, which is not a stage; use one of "
                               f"{', '.join(ALL_STAGES)}{hint}.")


def _conditions(raw: dict, where: str) -> dict[str, tuple[str, ...]]:
    out = {}
    for column, values in raw.items():
        values = values if isinstance(values, list) else [values]
        out[str(column)] = tuple(_text(v) for v in values)
    return out


def _delimiter(value: Any, where: str) -> str | None:
    if value is None:
        return None
    text = "\t" if value in ("tab", "\\t") else str(value)
    if len(text) != 1:
        raise MappingError(f"{where}: delimiter must be one character (or \"tab\"); got {value!r}.")
    return text


def _check_encoding(encoding: str, where: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise MappingError(f"{where}: unknown encoding {encoding!r} (try utf-8, cp1252 or latin-1).") from None


def _text(value: Any) -> str:
    """TOML gives dates, numbers and booleans their own types; a spec's values are cell text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _unknown_keys(raw: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}.")


def field_help() -> dict[str, list[tuple[str, str, str]]]:
    """table -> (field, kind, help) rows, for the README and the Data page."""
    return {name: [(f.name, KINDS[f.kind], f.help + (" (required)" if f.required else ""))
                   for f in entity.fields] for name, entity in ENTITIES.items()}
