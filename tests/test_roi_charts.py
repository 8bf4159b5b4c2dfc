"""The Campaign ROI page's chart builders (ui/roi_charts.py): where the ROI chart prints its labels, and which
rows the cost-per-lead against rejection chart can place."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from attribution_fixture import build_attribution_fixture
from data import db
from metrics import roi
from metrics.filters import Filters
from ui import roi_charts

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))


@pytest.fixture(scope="module")
def campaigns(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("roi_charts") / "roi.duckdb"
    build_attribution_fixture(path)
    con = db.connect(path, read_only=True)
    yield roi.campaign_roi(con.cursor(), Q1, model="first_touch")
    con.close()


def test_roi_labels_start_right_of_the_bar_or_of_zero(campaigns):
    # First touch (test_roi.py): Search ads ROI 15, Spring webinar 0, Nurture emails -1; best on top, so bottom up
    # Nurture, Spring, Search. Axis from -1 x 1.05 to 15 + room 0.6 x 16 = 24.6; the gap 0.8% of 15 + 9.6 + 1.
    fig = roi_charts.roi_chart(campaigns)
    bars, labels = fig.data
    assert list(bars.y) == ["Nurture emails", "Spring webinar", "Search ads"] and bars.text is None
    gap = 25.6 * 0.008
    # Nurture's loss runs left towards its name: its label starts right of zero, not left of the bar's end.
    assert list(labels.x) == pytest.approx([0 + gap, 0 + gap, 15 + gap])
    assert labels.textposition == "middle right" and labels.text[2] == "15.0× · ROAS 16.0× · 5 won deals"
    assert list(fig.layout.xaxis.range) == pytest.approx([-1.05, 24.6])


def test_cost_against_rejection_places_only_rows_with_both_numbers():
    table = pd.DataFrame({
        "campaign_name": ["Both", "Free leads", "No verdict", "No leads"],
        "cost_per_lead": [40.0, 0.0, 25.0, float("nan")],  # a lead at no cost has no place on a log axis
        "rejection_rate": [0.25, 0.5, float("nan"), 0.1],
        "worked": [4, 2, 0, 10],
    })
    assert roi_charts.cost_vs_rejection_rows(table)["campaign_name"].tolist() == ["Both"]
