"""The store and the metrics stand without the app: nothing under data/ or metrics/ imports the UI or Streamlit
(the command line and the benchmarks run them without a page)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["data", "metrics"])
def test_no_ui_or_streamlit_below_the_pages(package):
    offending = {str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path)
                                                     if name.split(".")[0] in ("ui", "views", "streamlit"))
                 for path in sorted((ROOT / package).rglob("*.py"))}
    assert {path: names for path, names in offending.items() if names} == {}
