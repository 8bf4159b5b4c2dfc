"""Documentation is tested: the README carries every metric's definition, the two start commands,
and the test command CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from metrics.__main__ import markdown_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_metric_table_matches_the_registry():
    match = re.search(r"<!-- metrics-table:start -->\n(.*?)\n<!-- metrics-table:end -->", README, re.S)
    assert match, "README lost its metrics-table markers"
    assert match.group(1) == markdown_table(), "README's metric table is stale: python -m metrics list --markdown"


def test_readme_opens_with_the_two_commands():
    first_screen = README[:1500]
    assert "pip install -r requirements.txt && streamlit run app.py" in first_screen
    assert "bash .ci/run" in first_screen


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python -m pytest -q" in README
    assert re.search(r"^python -m pytest -q", ci, re.M), ".ci/run must run the README's test command"
