"""Command line for the store: `python -m data <command>`. Each command is one subparser."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from data import auth, db, demo, goals
from data.importers import cli as import_cli


def _demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        counts = demo.build_demo_file(args.db, n_leads=args.leads, seed=args.seed, today=args.today,
                                      replace=args.replace)
    except (demo.DemoError, db.StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(format_counts(counts))
    print(f"Built the demo company into {args.db} in {elapsed:.1f} s.")
    return 0


def _init(args: argparse.Namespace) -> int:
    if Path(args.db).exists():
        print(f"error: {args.db} already exists; `init` only creates a new, empty store.", file=sys.stderr)
        return 1
    try:
        db.open_store(args.db).close()
    except db.StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Created an empty store in {args.db}. Start the app on it with TANDEM_DB={args.db} and import on "
          f"the Data page, or run `python -m data import --db {args.db} ...`.")
    return 0


def format_counts(counts: dict[str, int]) -> str:
    """Row counts as a two-column text table with a total."""
    width = max(map(len, counts)) + 2
    lines = [f"{'table':<{width}}{'rows':>12}"]
    lines += [f"{name:<{width}}{rows:>12,}" for name, rows in counts.items()]
    lines.append(f"{'total':<{width}}{sum(counts.values()):>12,}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data", description="Build and load Tandem's store.")
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("demo", help="build the demo company into a new database file")
    build.add_argument("--db", required=True, help="database file to create")
    build.add_argument("--leads", type=int, default=50_000, help="leads created in the 24 months (default 50,000)")
    build.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    build.add_argument("--today", type=dt.date.fromisoformat, default=None,
                       help="last day of the data, YYYY-MM-DD (default: today)")
    build.add_argument("--replace", action="store_true", help="delete the file first if it exists")
    build.set_defaults(run=_demo)
    init = commands.add_parser("init", help="create an empty store (the schema, no data) to import your own into")
    init.add_argument("--db", required=True, help="database file to create")
    init.set_defaults(run=_init)
    goals.add_commands(commands)
    auth.add_commands(commands)
    import_cli.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
