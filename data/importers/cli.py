"""`python -m data import`: load exports into a store file from the command line.

    python -m data import --db PATH --preset salesforce DIR_OR_ZIP
    python -m data import --db PATH --preset hubspot contacts.csv deals.csv
    python -m data import --db PATH --mapping my_mapping.toml FILES... [--quarantine] [--dry-run]
    python -m data import --show-preset salesforce > my_mapping.toml

The command opens the store file itself: while the app (or anything else) holds the file it stops
with the store's 'locked' message and changes nothing; import through the app's Data page then.
Exit status: 0 loaded (or, with --dry-run, loadable), 1 not loaded, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data import db
from data.access import shell_principal
from data.export import safe_csv
from data.importers import history
from data.importers.plan import ImportPlan, prepare
from data.importers.read import from_paths
from data.importers.spec import PRESETS, ImportSpec, MappingError, load_spec, preset, preset_text
from data.importers.write import ImportRejected, check_loadable, load, preview_counts

SHOWN_PROBLEMS = 25


def add_parser(commands) -> None:
    """Register the `import` subcommand on `python -m data`'s subparsers."""
    parser = commands.add_parser("import", help="load Salesforce, HubSpot or mapped CSV/Parquet exports",
                                 description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files, folders or ZIP archives to load")
    parser.add_argument("--db", help="database file (created if missing)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--preset", choices=PRESETS, help="a shipped preset")
    source.add_argument("--mapping", type=Path, help="a mapping file (TOML; see the README)")
    source.add_argument("--show-preset", choices=PRESETS, help="print a preset's TOML, to copy and adapt")
    parser.add_argument("--quarantine", action="store_true",
                        help="load the good rows and keep the bad ones in the quarantine table "
                             "(default: any problem loads nothing)")
    parser.add_argument("--dry-run", action="store_true", help="read and check only; write nothing")
    parser.add_argument("--encoding", help="read every file in this encoding (e.g. cp1252)")
    parser.add_argument("--by", default=None, help="name the load log and audit trail record "
                        "(default: cli:<your login>); the command line acts as admin")
    parser.add_argument("--problems-csv", type=Path, help="write every problem found to this CSV file")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.show_preset:
        print(preset_text(args.show_preset), end="")
        return 0
    if not args.db or not args.paths:
        print("error: --db and at least one PATH are needed to import.", file=sys.stderr)
        return 2
    try:
        spec = _spec(args)
        files = from_paths(args.paths)
    except (MappingError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        con = db.open_store(args.db)
    except db.StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return _import(con, spec, files, args)
    finally:
        con.close()


def _spec(args: argparse.Namespace) -> ImportSpec:
    spec = preset(args.preset) if args.preset else load_spec(args.mapping)
    return spec.with_encoding(args.encoding) if args.encoding else spec


def _import(con, spec: ImportSpec, files, args: argparse.Namespace) -> int:
    mode = "quarantine" if args.quarantine else "strict"
    plan = prepare(con.cursor(), spec, files)
    print(f"{spec.name} import of {len(files)} files into {args.db}\n")
    print(plan.summary.to_string(index=False))
    _report_problems(plan, args.problems_csv)
    earlier = history.same_files_loaded(con.cursor(), plan.file_hash)
    if len(earlier):
        print(f"\nThese exact files were loaded before (load {earlier['load_id'].iloc[0]}); loading them again "
              "changes nothing.")
    try:
        check_loadable(plan, mode)
    except ImportRejected as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    if args.dry_run:
        print("\nDry run: nothing written. Loading would do:")
        print(preview_counts(con.cursor(), plan).to_string(index=False))
        return 0
    try:
        result = load(con, plan, mode, shell_principal(args.by))
    except ImportRejected as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    print(f"\nLoaded as load {result.load_id} in {result.seconds:.1f} s"
          + (f"; {result.quarantined_rows:,} bad rows kept in quarantine" if result.quarantined_rows else "") + ":")
    print(result.counts.to_string(index=False))
    return 0


def _report_problems(plan: ImportPlan, csv_path: Path | None) -> None:
    problems = plan.problems
    if problems.empty:
        print("\nNo problems found.")
        return
    print(f"\n{len(problems):,} problems in {plan.bad_rows:,} rows"
          + (" and in whole files" if plan.blocked else "") + ":")
    shown = problems.head(SHOWN_PROBLEMS).fillna({"column": "", "value": ""})
    print(shown.to_string(index=False, na_rep="(file)"))
    if len(problems) > SHOWN_PROBLEMS and not csv_path:
        print(f"... and {len(problems) - SHOWN_PROBLEMS:,} more: --problems-csv FILE writes them all.")
    if csv_path:
        csv_path.write_bytes(safe_csv(problems))
        print(f"All {len(problems):,} problems written to {csv_path}.")
