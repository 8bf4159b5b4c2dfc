"""CSV downloads that a spreadsheet cannot mistake for formulas: the pages' name for data.export's, which
the command line writes its problem files with too."""

from data.export import safe_csv

__all__ = ["safe_csv"]
