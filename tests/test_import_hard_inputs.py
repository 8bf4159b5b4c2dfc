"""Hard inputs, each a test: empty and header-only files, delimiters, BOM, CRLF, bytes that are not
UTF-8, quoted commas and line breaks, dates in several formats, formula-like cells (kept as text,
escaped in every CSV the app exports), a file that fails part-way, Parquet and ZIP."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data.access import shell_principal
from data.importers import ImportRejected, SourceFile, history, load, parse_spec, prepare
from import_fixture import files as mini_files
from import_fixture import new_store, one, snapshot
from metrics import get
from metrics.filters import Filters
from ui.export import safe_csv

ADMIN = shell_principal("test")  # imports are admins' (the command line acts as one)

MAPPING = """
name = "Hard inputs"
source_system = "hard"
date_formats = ["%d/%m/%Y", "%m/%d/%Y %I:%M %p", "%d.%m.%Y"]
{extra}
[[files]]
match = "*"
table = "leads"
[files.columns]
lead_id = "id"
created_at = "created"
account_name = "company"
source_channel = "source"
"""
HEADER = "id,created,company,source\n"


def spec(extra: str = ""):
    return parse_spec(MAPPING.format(extra=extra), "hard.toml")


@pytest.fixture
def con(tmp_path):
    connection = new_store(tmp_path / "hard.duckdb")
    yield connection
    connection.close()


def plan_for(con, data: bytes, name: str = "people.csv", the_spec=None):
    return prepare(con.cursor(), the_spec or spec(), [SourceFile(name, data)])


def stored(con, column: str) -> list:
    return [row[0] for row in con.execute(f"select {column} from leads order by source_id").fetchall()]


def test_an_empty_file_is_refused_and_says_so(con):
    plan = plan_for(con, b"")
    assert plan.blocked
    assert plan.problems.iloc[0]["reason"] == "the file is empty: there is no header row"
    with pytest.raises(ImportRejected):
        load(con, plan, "quarantine", ADMIN)


def test_a_header_only_file_has_no_rows_and_no_problems(con):
    plan = plan_for(con, HEADER.encode())
    assert plan.problems.empty and plan.summary["rows"].tolist() == [0]
    with pytest.raises(ImportRejected, match="hold no rows to load"):
        load(con, plan, "strict", ADMIN)
    # Beside a file with rows it is simply empty (Salesforce exports carry several such files).
    both = prepare(con.cursor(), spec(), [SourceFile("a.csv", HEADER.encode()),
                                          SourceFile("b.csv", (HEADER + "1,2026-01-02,Acme,Web\n").encode())])
    load(con, both, "strict", ADMIN)
    assert stored(con, "source_id") == ["1"]


def test_a_semicolon_delimited_file_is_recognised(con):
    load(con, plan_for(con, b"id;created;company;source\n1;2026-01-02;Acme, Inc.;Web\n"), "strict", ADMIN)
    assert stored(con, "account_name") == ["Acme, Inc."]


def test_an_unknown_delimiter_is_named_as_the_likely_cause(con):
    data = b"id:created:company:source\n1:2026-01-02:Acme:Web\n"
    plan = plan_for(con, data)
    assert plan.blocked
    reason = plan.problems.iloc[0]["reason"]
    assert "column 'id' not found" in reason and "another delimiter" in reason
    # The mapping can say which delimiter the file uses.
    load(con, plan_for(con, data, the_spec=spec('delimiter = ":"')), "strict", ADMIN)
    assert stored(con, "account_name") == ["Acme"]


def test_a_utf8_bom_does_not_end_up_in_the_first_column_name(con):
    load(con, plan_for(con, b"\xef\xbb\xbf" + (HEADER + "7,2026-01-02,Acme,Web\n").encode()), "strict", ADMIN)
    assert stored(con, "source_id") == ["7"]


def test_crlf_line_endings_leave_no_carriage_returns(con):
    data = (HEADER + "1,2026-01-02,Acme,Web\n2,2026-01-03,Beta,Events\n").replace("\n", "\r\n").encode()
    load(con, plan_for(con, data), "strict", ADMIN)
    assert stored(con, "source_channel") == ["Web", "Events"]


def test_bytes_that_are_not_utf8_are_located_and_the_fix_named(con):
    data = (HEADER + "1,2026-01-02,Acme,Web\n2,2026-01-03,Café Olé,Events\n").encode("cp1252")
    plan = plan_for(con, data)
    assert plan.blocked
    problem = plan.problems.iloc[0]
    assert problem["file"] == "people.csv" and pd.isna(problem["row"])
    assert problem["reason"].startswith("line 3: byte 0xE9 is not valid utf-8 text")
    assert "encoding cp1252" in problem["reason"] and "Caf" in problem["value"]
    load(con, plan_for(con, data, the_spec=spec().with_encoding("cp1252")), "strict", ADMIN)
    assert stored(con, "account_name") == ["Acme", "Café Olé"]


def test_quoted_commas_and_line_breaks_stay_inside_their_field(con):
    data = (HEADER + '1,2026-01-02,"Acme, Inc.\nLondon office",Web\n2,not a date,Beta,Events\n').encode()
    plan = plan_for(con, data)
    # The record with the line break is row 2; the bad date is in row 3, as a spreadsheet numbers them.
    assert plan.problems[["row", "column", "value"]].values.tolist() == [[3, "created", "not a date"]]
    load(con, plan, "quarantine", ADMIN)
    assert stored(con, "account_name") == ["Acme, Inc.\nLondon office"]


def test_dates_in_several_formats(con):
    rows = ["1,2026-01-31,a,x", "2,2026-01-31T09:30:00Z,b,x", "3,2026-01-31 09:30:00+02:00,c,x",
            "4,31/01/2026,d,x", "5,01/31/2026 09:30 PM,e,x", "6,31.01.2026,f,x", "7,2026-01-31 09:30,g,x"]
    load(con, plan_for(con, (HEADER + "\n".join(rows) + "\n").encode()), "strict", ADMIN)
    assert stored(con, "created_at") == [
        datetime(2026, 1, 31), datetime(2026, 1, 31, 9, 30), datetime(2026, 1, 31, 7, 30),  # offsets become UTC
        datetime(2026, 1, 31), datetime(2026, 1, 31, 21, 30), datetime(2026, 1, 31), datetime(2026, 1, 31, 9, 30)]
    plan = plan_for(con, (HEADER + "8,31/31/2026,h,x\n").encode())
    assert plan.problems.iloc[0]["reason"] == ("not a date in any of: ISO 8601 (2024-01-31 or 2024-01-31 "
                                               "09:30:00), %d/%m/%Y, %m/%d/%Y %I:%M %p, %d.%m.%Y")


def test_formula_like_cells_are_kept_as_text_and_escaped_in_every_export(con):
    formulas = ["=cmd|' /C calc'!A0", "+1 555 0100", "-2", "@SUM(A1)"]
    rows = [f'{i},2026-01-0{i},"{text}","{text}"' for i, text in enumerate(formulas, start=1)]
    bad = '9,never,"=HYPERLINK(""http://x"")",Web'
    load(con, plan_for(con, (HEADER + "\n".join(rows + [bad]) + "\n").encode()), "quarantine", ADMIN)
    assert stored(con, "account_name") == formulas and stored(con, "source_channel") == formulas
    # The records behind a stage (Funnel > Records) carry the channel; their download escapes it.
    records = get("funnel_records")(con.cursor(), Filters(datetime(2026, 1, 1).date(), datetime(2026, 1, 31).date()),
                                    stage="lead")
    exported = pd.read_csv(io.BytesIO(safe_csv(records)), dtype=str)
    assert sorted(exported["channel"]) == sorted("'" + text for text in formulas)
    # The quarantine download (Data page) escapes the kept cell; the JSON of the row starts with '{'.
    quarantined = pd.read_csv(io.BytesIO(safe_csv(history.quarantine(con.cursor()))), dtype=str)
    assert quarantined["cell_value"].tolist() == ["never"]
    assert json.loads(quarantined["record_json"].iloc[0])["company"] == '=HYPERLINK("http://x")'
    formula_date = plan_for(con, (HEADER + bad.replace("never", "=1+1")).encode())
    problems = pd.read_csv(io.BytesIO(safe_csv(formula_date.problems)), dtype=str)
    assert problems["value"].tolist() == ["'=1+1"]


def test_a_file_that_fails_part_way_changes_nothing(con):
    load(con, prepare(con.cursor(), parse_spec(MAPPING.format(extra=""), "hard.toml"),
                      [SourceFile("people.csv", (HEADER + "0,2026-01-01,Zero,Web\n").encode())]), "strict", ADMIN)
    before = snapshot(con)
    rows = [f"{i},2026-01-{i % 28 + 1:02d},Company {i},Web" for i in range(1, 1001)]
    rows[699] = "700,2026-02-30,Company 700,Web"  # row 701 of the file: 30 February
    plan = plan_for(con, (HEADER + "\n".join(rows) + "\n").encode())
    assert plan.problems[["row", "column", "value"]].values.tolist() == [[701, "created", "2026-02-30"]]
    with pytest.raises(ImportRejected):
        load(con, plan, "strict", ADMIN)
    assert snapshot(con) == before


def test_a_row_with_too_many_fields_is_located(con):
    plan = plan_for(con, (HEADER + "1,2026-01-02,Acme,Web\n2,2026-01-03,Acme, Inc.,Web\n").encode())
    assert plan.blocked
    assert plan.problems.iloc[0]["reason"].startswith("line 3: this row has 5 fields where the header has 4")


def test_parquet_files_load_with_their_own_types(con):
    table = pa.table({"id": pa.array([1, 2]), "created": pa.array([datetime(2026, 1, 2, 8), datetime(2026, 1, 3)]),
                      "company": ["Acme", None], "source": ["Web", "Events"]})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    load(con, plan_for(con, buffer.getvalue(), "people.parquet"), "strict", ADMIN)
    assert stored(con, "created_at") == [datetime(2026, 1, 2, 8), datetime(2026, 1, 3)]
    assert stored(con, "account_name") == ["Acme", None]


def test_a_zip_archive_is_opened(con):
    from import_fixture import SPEC

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for source in mini_files():
            archive.writestr(f"export/{source.name}", source.data)
    from data.importers import expand_archives

    plan = prepare(con.cursor(), SPEC, expand_archives([SourceFile("export.zip", buffer.getvalue())]))
    load(con, plan, "strict", ADMIN)
    assert one(con, "select count(*) from leads") == 5
