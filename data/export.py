"""CSV files that a spreadsheet cannot mistake for formulas (the pages' downloads, the command line's problem files)."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # a leading quote makes Excel and Sheets show the cell as text
    return value


def unescape(text: str) -> str:
    """Undo the leading quote `safe_csv` puts before a formula-like cell, for a file read back in."""
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_STARTS else text


def safe_csv(frame: pd.DataFrame) -> bytes:
    """CSV bytes (UTF-8) with text cells that start like a formula escaped."""
    text_columns = frame.select_dtypes(include=["object", "string"]).columns
    safe = frame.copy()
    for column in text_columns:
        safe[column] = safe[column].map(_neutralise)
    return safe.to_csv(index=False).encode("utf-8")
