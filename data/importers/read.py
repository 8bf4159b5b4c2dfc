"""Reading source files into tables of text, with every problem named by file, row and column.

CSV (any of , ; tab | as delimiter, sniffed from the header), UTF-8 with or without a BOM or any
encoding a spec names, LF or CRLF, quoted delimiters and line breaks inside fields; Parquet; and ZIP
archives of either (Salesforce's Data Export arrives as one). Every cell is read as text: the
mapping decides what a cell means, so a value like "=SUM(A1)" or "007" is kept exactly as written.
Rows are numbered as a spreadsheet shows them: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

DELIMITERS = (",", ";", "\t", "|")
BLOCK_SIZE = 16 << 20  # bytes Arrow parses per thread
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class SourceFile:
    """A file to import, as bytes: from disk (the CLI) or from an upload (the Data page)."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Problem:
    """Something wrong with a file, a row or a cell. `row` None: the whole file cannot be used (the reason
    then names the line, when there is one)."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str


class ReadError(ValueError):
    """The file cannot be read as a table at all; carries the problem to report."""

    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem


@contextlib.contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow allocates from the system allocator meanwhile. Its default pool (mimalloc) takes the memory for
    a process's first million-row columns fresh from the OS, which zeroes it: about 2 s more kernel time in
    the first prepare of a process (every `python -m data import`) than the system allocator, and no faster
    once warm."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def from_paths(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Files named on the command line: a directory stands for the files in it (not below)."""
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [SourceFile(p.name, p.read_bytes()) for p in sorted(path.iterdir()) if p.is_file()]
        elif path.is_file():
            found.append(SourceFile(path.name, path.read_bytes()))
        else:
            raise FileNotFoundError(f"{path} does not exist.")
    return expand_archives(found)


def expand_archives(files: Iterable[SourceFile]) -> list[SourceFile]:
    """ZIP archives replaced by the files inside them (folders inside are flattened)."""
    out = []
    for source in files:
        if not source.name.lower().endswith(".zip"):
            out.append(source)
            continue
        with zipfile.ZipFile(io.BytesIO(source.data)) as archive:
            for member in archive.infolist():
                if not member.is_dir() and not Path(member.filename).name.startswith("."):
                    out.append(SourceFile(Path(member.filename).name, archive.read(member)))
    return out


def read_table(source: SourceFile, delimiter: str | None = None, encoding: str = "utf-8") -> pd.DataFrame:
    """Every column as text ('' for an empty cell). Raises ReadError naming what is wrong and where."""
    if source.name.lower().endswith(".parquet"):
        return _read_parquet(source)
    data = _as_utf8(source, encoding)
    if not data.strip():
        raise ReadError(Problem(source.name, None, None, None, "the file is empty: there is no header row"))
    try:
        header_line, delimiter = _header(source, data, delimiter)
    except UnicodeDecodeError:
        raise ReadError(_locate_bad_bytes(source, encoding)) from None
    names = next(csv.reader([header_line], delimiter=delimiter))
    _check_header(source, names)
    bad_rows: list[str] = []

    def invalid(row) -> str:
        bad_rows.append(row.text)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                             invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
            read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):  # Arrow checks the text as it reads; locate the bytes for the message
            raise ReadError(_locate_bad_bytes(source, encoding)) from exc
        raise ReadError(Problem(source.name, None, None, None, f"not a readable CSV file ({exc})")) from exc
    if bad_rows:
        raise ReadError(_ragged(source, data, bad_rows, len(names), delimiter))
    return table.to_pandas()


def _read_parquet(source: SourceFile) -> pd.DataFrame:
    try:
        table = pq.read_table(pa.BufferReader(source.data))
    except (pa.ArrowInvalid, OSError) as exc:
        raise ReadError(Problem(source.name, None, None, None, f"not a readable Parquet file ({exc})")) from exc
    columns = {}
    for name, column in zip(table.column_names, table.columns):
        try:
            columns[name] = column.cast(pa.string()).fill_null("")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ReadError(Problem(source.name, None, name, None, f"column type {column.type} cannot be read "
                                    "as text (nested or binary data)")) from exc
    return pa.table(columns).to_pandas()


def _as_utf8(source: SourceFile, encoding: str) -> bytes:
    """The file's bytes as UTF-8 without a BOM (UTF-8 itself is checked by Arrow while it reads)."""
    data = source.data
    if codec_name(encoding) == "utf-8":
        return data[len(_BOM):] if data.startswith(_BOM) else data
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReadError(_undecodable(source, exc, encoding)) from exc


def _locate_bad_bytes(source: SourceFile, encoding: str) -> Problem:
    try:
        source.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _undecodable(source, exc, encoding)
    return Problem(source.name, None, None, None, "the file is not valid UTF-8 text")


def codec_name(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return "utf-8" if name in ("utf-8", "utf-8-sig") else name


def _undecodable(source: SourceFile, exc: UnicodeDecodeError, encoding: str) -> Problem:
    data = source.data
    line = data.count(b"\n", 0, exc.start) + 1
    start = data.rfind(b"\n", 0, exc.start) + 1
    end = data.find(b"\n", exc.start)
    snippet = data[start:end if end >= 0 else len(data)][:120].decode(encoding, errors="replace")
    bad = " ".join(f"0x{b:02X}" for b in data[exc.start:exc.end])
    return Problem(source.name, None, None, snippet.strip(),
                   f"line {line}: byte {bad} is not valid {encoding} text. The file was probably saved as Windows-1252 "
                   f"or Latin-1: save it as UTF-8, or import it with encoding cp1252 (mapping: encoding = "
                   f"\"cp1252\"; command line: --encoding cp1252)")


def _header(source: SourceFile, data: bytes, delimiter: str | None) -> tuple[str, str]:
    """The header line and the delimiter: the given one, else the candidate the header uses most."""
    first = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    if delimiter:
        return first, delimiter
    counts = {d: _count_outside_quotes(first, d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return first, best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _check_header(source: SourceFile, names: list[str]) -> None:
    seen = set()
    for name in names:
        if name in seen and name:
            raise ReadError(Problem(source.name, None, name, name, "this column name appears twice in the header"))
        seen.add(name)


def _ragged(source: SourceFile, data: bytes, bad_rows: list[str], width: int, delimiter: str) -> Problem:
    text = bad_rows[0]
    line = data[:data.find(text.encode("utf-8"))].count(b"\n") + 1 if text else None
    fields = len(next(csv.reader([text], delimiter=delimiter)))
    more = f" ({len(bad_rows) - 1:,} more rows like it)" if len(bad_rows) > 1 else ""
    where = f"line {line}: " if line else ""
    return Problem(source.name, None, None, text[:120],
                   f"{where}this row has {fields} fields where the header has {width}{more}: a delimiter inside an "
                   f"unquoted value, or a different delimiter than the header's")
