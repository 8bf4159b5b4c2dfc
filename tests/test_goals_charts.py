"""The Goals page's chart builders, from the goal metrics on the goals fixture: every chart titled, its axes
labelled, each goal in its owning team's colour, a missed period marked as missed."""

from __future__ import annotations

from datetime import date

import pytest

from data import db
from goals_fixture import build_goals_fixture
from metrics import get
from metrics.filters import Filters
from ui import goals_charts as charts
from ui.theme import MARKETING, SALES, SHARED

AS_OF = Filters(date(2026, 3, 15), date(2026, 3, 15), as_of=date(2026, 3, 15))
END_OF_Q1 = Filters(date(2026, 3, 31), date(2026, 3, 31), as_of=date(2026, 3, 31))


@pytest.fixture(scope="module")
def frames(tmp_path_factory):
    path = tmp_path_factory.mktemp("goals_charts") / "goals.duckdb"
    build_goals_fixture(path)
    con = db.connect(path, read_only=True)
    cur = con.cursor()
    out = {
        "progress": get("goal_progress")(cur, AS_OF, period="2026-Q1"),
        "pacing": get("goal_pacing")(cur, AS_OF, period="2026-Q1", goal_id="g-rev-q1"),
        "history": get("goal_history")(cur, END_OF_Q1, period="2026-Q1", periods=5),
        "sources": get("goal_revenue_sources")(cur, END_OF_Q1, period="2026-Q1"),
        "plan": get("goal_reverse_funnel")(cur, END_OF_Q1, period_type="month", period="2026-03", target=3500.0,
                                           trailing_days=90),
    }
    cur.close()
    con.close()
    return out


def test_bullet_chart(frames):
    fig = charts.bullet_chart(frames["progress"], "Q1 2026")
    assert fig.layout.title.text == "Attainment against target, Q1 2026"
    assert fig.layout.xaxis.title.text == "% of target"
    bars = fig.data[1]
    # Rows bottom-up: sales' cycle and win rate, marketing's MQLs and leads, then shared won revenue on top.
    assert list(bars.marker.color) == [SALES, SALES, MARKETING, MARKETING, MARKETING, SHARED]
    assert "✕ off track" in bars.y[-1] and "36%" in bars.y[-1]  # won revenue: 10,000 of 28,000
    # The projection diamond is for paced (additive) goals only: a rate's projection is its bar.
    projected = dict(zip(fig.data[3].y, fig.data[3].x))
    assert projected[bars.y[-1]] == pytest.approx(10000 / 74 * 90 / 28000)
    assert all(v != v for name, v in projected.items() if name.startswith(("Win rate", "Sales cycle")))


def test_pacing_chart(frames):
    goal = frames["progress"].iloc[0]
    fig = charts.pacing_chart(frames["pacing"], goal)
    assert fig.layout.title.text == "Won revenue, Q1 2026: cumulative actual against the target line"
    assert fig.layout.xaxis.title.text == "day of the period" and fig.layout.yaxis.title.text == "$ cumulative"
    assert [t.name for t in fig.data] == ["Target to date", "Actual", "Linear projection"]
    assert fig.data[1].line.color == SHARED
    assert fig.data[2].y[-1] == pytest.approx(10000 / 74 * 90)


def test_history_chart_marks_the_missed_periods(frames):
    fig = charts.history_chart(frames["history"])
    assert fig.layout.yaxis.title.text == "Won revenue ($)"
    # Q4 2025 and Q1 2026 missed their goals: outlined in red; the periods without one are not. Q1-Q3 2025 end
    # before the store's first record (Dec 15 2025): no bar, marked "no data", Q1 2025's 3,000 goal not "missed".
    outlines = dict(zip(fig.data[0].x, fig.data[0].marker.line.color))
    assert outlines["Q1 2026"] == charts.STATUS_COLOURS["off track"] == outlines["Q4 2025"]
    assert outlines["Q2 2025"] == SHARED == outlines["Q1 2025"]
    bars = dict(zip(fig.data[0].x, fig.data[0].y))
    assert all(bars[q] != bars[q] for q in ("Q1 2025", "Q2 2025", "Q3 2025")) and bars["Q4 2025"] == 0
    assert [(a.x, a.text) for a in fig.layout.annotations] == [
        ("Q1 2025", "no data"), ("Q2 2025", "no data"), ("Q3 2025", "no data"), ("Q4 2025", "0% ✕"),
        ("Q1 2026", "50% ✕")]


def test_sources_chart_never_adds_influence(frames):
    fig = charts.sources_chart(frames["sources"])
    stacked = [t for t in fig.data if t.y[0] == "Won revenue"]
    apart = [t for t in fig.data if t.y[0] != "Won revenue"]
    # Q1: 10,000 sourced by marketing + 4,000 by sales = the 14,000 won; influence (14,000) on its own bar.
    assert [(t.name, t.x[0]) for t in stacked] == [("Marketing-sourced", 10000), ("Sales-sourced", 4000)]
    assert [(t.name, t.x[0]) for t in apart] == [("Marketing-influenced", 14000)]
    assert [t.marker.color for t in stacked] == [MARKETING, SALES]


def test_reverse_funnel_chart_outlines_the_bottleneck(frames):
    fig = charts.reverse_funnel_chart(frames["plan"])
    bars = fig.data[0]
    outlined = [stage for stage, colour in zip(bars.y, bars.marker.line.color)
                if colour == charts.STATUS_COLOURS["off track"]]
    assert outlined == ["MQL"]
    assert "bottleneck" in dict(zip(bars.y, bars.text))["MQL"]
    assert fig.layout.xaxis.title.text.startswith("projected volume")
