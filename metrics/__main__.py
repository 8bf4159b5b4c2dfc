"""Command line: `python -m metrics list` and `python -m metrics show NAME --db PATH ...`."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb

from data.db import StoreError, connect, resolve_db_path
from metrics import REGISTRY, Filters, get


def _split(values: list[str] | None) -> tuple[str, ...]:
    """--segment SMB --segment 'Mid-Market' or --segment SMB,Mid-Market."""
    return tuple(part.strip() for value in values or [] for part in value.split(",") if part.strip())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m metrics", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="every registered metric with its definition")
    listing.add_argument("--markdown", action="store_true", help="as the Markdown table the README carries")
    show = sub.add_parser("show", help="compute one metric and print it")
    show.add_argument("name", help="metric name, see `list`")
    show.add_argument("--db", help="database file (default: $TANDEM_DB or data/tandem.duckdb)")
    show.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD (default: 90 days ago)")
    show.add_argument("--end", type=date.fromisoformat, help="last day, inclusive (default: today)")
    show.add_argument("--as-of", type=date.fromisoformat, help="read the numbers as of this day (default: today)")
    for flag in ("segment", "region", "channel", "team"):
        show.add_argument(f"--{flag}", action="append", help=f"only this {flag} (repeat or comma-separate)")
    show.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                      help="a metric parameter, e.g. basis=cohort, window_days=60, dimension=campaign")
    show.add_argument("--format", choices=("csv", "json", "table"), default="table")
    return parser


def markdown_table() -> str:
    """The README's metric table, generated so the docs cannot drift from the registry."""
    lines = ["| Metric | Name | Owner | Grain | Definition |", "|---|---|---|---|---|"]
    for m in REGISTRY.values():
        definition = m.definition.replace("|", "\\|")
        lines.append(f"| {m.label} | `{m.name}` | {m.owner} | {m.grain} | {definition} |")
    return "\n".join(lines)


def _list(markdown: bool) -> None:
    if markdown:
        print(markdown_table())
        return
    for metric in REGISTRY.values():
        params = ", ".join(f"{p.name}={p.default}" for p in metric.params)
        print(f"{metric.name}  [{metric.area}, owner: {metric.owner}, format: {metric.format}]")
        print(f"    {metric.label}. {metric.definition}")
        print(f"    Grain: {metric.grain}." + (f" Parameters: {params}." if params else ""))


def _params(metric, pairs: list[str]) -> dict:
    declared = {p.name: p for p in metric.params}
    values = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in declared:
            known = ", ".join(declared) or "none"
            raise ValueError(f"--param {pair!r}: expected KEY=VALUE with KEY one of: {known}.")
        values[key] = declared[key].parse(text)
    return values


def _show(args) -> None:
    metric = get(args.name)
    end = args.end or date.today()
    filters = Filters(start=args.start or end - timedelta(days=90), end=end, segments=_split(args.segment),
                      regions=_split(args.region), channels=_split(args.channel), teams=_split(args.team),
                      as_of=args.as_of)
    params = _params(metric, args.param)
    path = Path(args.db).expanduser().resolve() if args.db else resolve_db_path()
    con = connect(path, read_only=True)
    try:
        frame = metric(con.cursor(), filters, **params)
    except duckdb.CatalogException as exc:
        reason = str(exc).splitlines()[0]
        raise StoreError(f"{path} is not a Tandem database ({reason}). Build one with "
                         "`python -m data demo --db PATH`.") from exc
    finally:
        con.close()
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", date_format="iso", indent=2))
    else:
        print(frame.to_string(index=False))


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _list(args.markdown) if args.command == "list" else _show(args)
    except (KeyError, ValueError, StoreError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
