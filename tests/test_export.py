"""CSV downloads: text that starts like a spreadsheet formula is escaped, numbers are untouched."""

import io

import pandas as pd

from ui.export import safe_csv


def test_formula_like_cells_are_escaped_and_the_rest_kept():
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "Acme, Inc.", "plain"],
                          "amount": [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    back = pd.read_csv(io.BytesIO(safe_csv(frame)))
    assert back["name"].tolist() == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "Acme, Inc.", "plain"]
    assert back["amount"].tolist() == [-5.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # a negative number is not text
