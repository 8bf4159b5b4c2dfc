"""Re-take the README's screenshot of the Funnel page: the app served over a demo store, in Chromium.

    python docs/screenshot.py [--db data/tandem.duckdb] [--out docs/funnel.png]

The store is built first if the file does not exist (the app's first-start demo, 50,000 leads). Uses the
browser tests' helpers (tests/browser_support.py): Debian's /usr/bin/chromium, open demo mode.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import launch_browser, new_page, serve, wait_until_idle  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "tandem.duckdb")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "funnel.png")
    args = parser.parse_args()
    if not args.db.exists():
        from data import demo
        from ui.store import DEMO_LEADS, DEMO_SEED

        demo.build_demo_file(args.db, n_leads=DEMO_LEADS, seed=DEMO_SEED)
    with serve(args.db) as url, launch_browser() as browser, new_page(browser, height=1250) as page:
        page.goto(url)
        page.get_by_role("heading", name="Funnel").wait_for()
        page.locator(".js-plotly-plot .main-svg").first.wait_for()
        wait_until_idle(page)
        page.screenshot(path=str(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
