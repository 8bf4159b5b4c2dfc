"""Numbered, idempotent migrations, recorded in the database they were applied to.

A migration is `data/migrations/NNN_name.sql`. Each runs once, in its own transaction, and is
recorded in `schema_migrations`; a database built by an older version upgrades in place.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


def available() -> list[tuple[int, str, Path]]:
    """(version, name, path) of every migration file, in order."""
    found = []
    for path in MIGRATIONS_DIR.iterdir():
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), match.group(2), path))
    return sorted(found)


def applied(con: duckdb.DuckDBPyConnection) -> list[int]:
    con.execute(
        "create table if not exists schema_migrations ("
        " version integer primary key, name varchar not null,"
        " applied_at timestamp not null default current_timestamp)"
    )
    return [row[0] for row in con.execute("select version from schema_migrations order by 1").fetchall()]


def migrate(con: duckdb.DuckDBPyConnection, up_to: int | None = None) -> list[int]:
    """Apply every migration not yet applied (up to `up_to`); return the versions applied now."""
    done = set(applied(con))
    newly = []
    for version, name, path in available():
        if version in done or (up_to is not None and version > up_to):
            continue
        con.execute("begin transaction")
        try:
            con.execute(path.read_text())
            con.execute("insert into schema_migrations (version, name) values (?, ?)", [version, name])
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        newly.append(version)
    return newly


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    versions = applied(con)
    return versions[-1] if versions else 0
