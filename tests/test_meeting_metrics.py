"""Meeting metrics against the hand-made fixture (tests/meeting_fixture.py): KPI deltas and who moved them,
worked out by hand in the comments; the reviewed period; chart annotations and their drawing."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.subplots import make_subplots

from data import db
from meeting_fixture import FEB, Q1, build_meeting_fixture
from metrics import get
from metrics.filters import Filters
from metrics.meeting import (
    ADDITIVE_KPIS,
    BOARD_KEYS,
    board,
    contributions,
    kpi_deltas,
    meeting_window,
    review_as_of,
    top_contributors,
)
from ui import meeting_charts
from ui.annotations import annotate, events


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    path = tmp_path_factory.mktemp("meeting_metrics") / "meeting.duckdb"
    build_meeting_fixture(path)
    con = db.connect(path, read_only=True)
    cursor = con.cursor()
    yield cursor
    cursor.close()
    con.close()


def by_kpi(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("kpi")


def test_february_against_the_28_days_before(cur):
    # See meeting_fixture.py: Feb 1-28 against Jan 4-31.
    d = by_kpi(get("meeting_kpi_deltas")(cur, FEB))
    assert d.loc["leads", ["value", "previous_value", "change"]].tolist() == [2, 3, -1]
    assert d.loc["leads", "change_pct"] == pytest.approx(-1 / 3)
    assert d.loc["mqls", ["value", "previous_value"]].tolist() == [2, 3]  # L7's MQL (Jan 3) is before Jan 4
    assert d.loc["sals", ["value", "previous_value", "change"]].tolist() == [1, 3, -2]
    assert d.loc["sqls", "change"] == -1
    assert d.loc["pipeline_created", ["value", "previous_value", "change"]].tolist() == [5000, 10000, -5000]
    # Spend: Feb 500 + 1,000; Jan 4-31 c1's 1,000 on Jan 10. +500 is +50%, and spend has no better direction.
    assert d.loc["campaign_spend", ["value", "previous_value", "change"]].tolist() == [1500, 1000, 500]
    assert d.loc["campaign_spend", "change_pct"] == pytest.approx(0.5)
    assert pd.isna(d.loc["campaign_spend", "is_better"])
    # MQL acceptance: Feb verdicts L3 rejected, L4 accepted (inferred SAL) = 1/2; Jan 4-31 L1 L2 L7 accepted,
    # L8 recycled = 3/4. Down 25 points: worse.
    assert d.loc["mql_acceptance_rate", ["value", "previous_value"]].tolist() == [0.5, 0.75]
    assert d.loc["mql_acceptance_rate", "is_better"] == False  # noqa: E712  (a nullable boolean)
    assert d.loc["leads", "is_better"] == False  # noqa: E712
    # No deal won or closed in either: no change, no relative change, no verdict.
    assert d.loc["won_revenue", "change"] == 0 and math.isnan(d.loc["won_revenue", "change_pct"])
    assert pd.isna(d.loc["won_revenue", "is_better"])
    assert math.isnan(d.loc["win_rate", "value"]) and math.isnan(d.loc["win_rate", "change"])
    assert d.loc["mqls", "definition"] == get("mqls").definition
    assert set(d.index[d["has_contributors"]]) == set(ADDITIVE_KPIS)


def test_q1_against_the_quarter_before(cur):
    # Q1 (90 days) against Oct 3 - Dec 31 2025: only L7 (lead Dec 15) lies before. Leads 7 against 1 = +6.
    d = by_kpi(get("meeting_kpi_deltas")(cur, Q1))
    assert d.loc["leads", ["value", "previous_value", "change"]].tolist() == [7, 1, 6]
    assert d.loc["won_revenue", ["value", "previous_value"]].tolist() == [10000, 0]
    assert math.isnan(d.loc["won_revenue", "change_pct"])  # from zero there is no relative change
    assert d.loc["won_revenue", "is_better"] == True  # noqa: E712
    # Sales cycle is lower-is-better: with only a value now there is no change to judge.
    assert pd.isna(d.loc["sales_cycle_days", "is_better"])


def test_lower_is_better_reverses_the_verdict():
    now = pd.DataFrame({"kpi": ["sales_cycle_days", "leads"], "label": ["Sales cycle", "Leads"],
                        "source": ["sales_cycle_days", "leads"], "owner": ["sales", "marketing"],
                        "format": ["days", "count"], "direction": [-1, 1], "definition": ["", ""],
                        "value": [40.0, 10.0], "record_count": pd.array([4, 10], dtype="Int64")})
    before = now.assign(value=[50.0, 12.0])
    d = kpi_deltas(now, before).set_index("kpi")
    # Cycle 50 -> 40 days: -10 (-20%), better; leads 12 -> 10: -2, worse.
    assert d.loc["sales_cycle_days", "change"] == -10 and d.loc["sales_cycle_days", "change_pct"] == pytest.approx(-0.2)
    assert d.loc["sales_cycle_days", "is_better"] == True  # noqa: E712
    assert d.loc["leads", "is_better"] == False  # noqa: E712


def test_an_earlier_reading_is_matched_by_kpi_name():
    # A stored reading in another order, lacking a KPI added since: each KPI of now keeps its row and order,
    # the missing one has no previous value, count or verdict.
    now = pd.DataFrame({"kpi": ["leads", "mqls", "win_rate"], "label": ["Leads", "MQLs", "Win rate"],
                        "source": ["leads", "mqls", "win_rate"], "owner": ["marketing", "marketing", "sales"],
                        "format": ["count", "count", "percent"], "direction": [1, 1, 1], "definition": ["", "", ""],
                        "value": [10.0, 4.0, 0.5], "record_count": pd.array([10, 4, 8], dtype="Int64")})
    before = now.iloc[[2, 0]].assign(value=[0.25, 12.0], record_count=pd.array([4, 12], dtype="Int64"))
    d = kpi_deltas(now, before)
    assert d["kpi"].tolist() == ["leads", "mqls", "win_rate"] and d.index.tolist() == [0, 1, 2]
    assert d["previous_value"].tolist()[::2] == [12.0, 0.25] and math.isnan(d["previous_value"][1])
    assert d["previous_record_count"].tolist() == [12, pd.NA, 4]
    assert d["change_pct"].tolist()[::2] == [pytest.approx(-2 / 12), 1.0]
    assert d["is_better"].tolist() == [False, pd.NA, True]
    assert d["has_contributors"].tolist() == [True, True, False]


def test_who_moved_leads_by_campaign(cur):
    # Leads: Spring webinar (c1) Feb 0, Jan 4-31 L1 L2 = 2 -> -2; Brand search (c2) Feb L3 L4 = 2, Jan L8 = 1 -> +1.
    # Together -1, the KPI's change: c1 carries 200% of it, c2 -100%.
    c = get("meeting_kpi_contributors")(cur, FEB, kpi="leads", dimension="campaign")
    assert c["dimension_value"].tolist() == ["Spring webinar", "Brand search"]  # largest change first
    assert c["change"].tolist() == [-2, 1]
    assert c["share_of_change"].tolist() == [pytest.approx(2.0), pytest.approx(-1.0)]
    assert c["change"].sum() == by_kpi(get("meeting_kpi_deltas")(cur, FEB)).loc["leads", "change"]


def test_who_moved_pipeline_by_rep_and_top(cur):
    # Pipeline created: L2's 5,000 in Feb and L1's 10,000 in Jan, both Sam Sdr's leads: -5,000, all of it.
    c = get("meeting_kpi_contributors")(cur, FEB, kpi="pipeline_created", dimension="rep")
    assert c[["dimension_value", "value", "previous_value", "change"]].values.tolist() == [
        ["Sam Sdr", 5000, 10000, -5000]]
    assert c["share_of_change"].iloc[0] == pytest.approx(1.0)
    # SALs by segment: SMB Feb 0, Jan L1 L2 L7 = 3 -> -3; Enterprise Feb L4 = 1 -> +1. top=1 keeps SMB.
    top = get("meeting_kpi_contributors")(cur, FEB, kpi="sals", dimension="segment", top=1)
    assert top[["dimension_value", "change"]].values.tolist() == [["SMB", -3]]


def test_every_additive_kpi_adds_up(cur):
    deltas = by_kpi(get("meeting_kpi_deltas")(cur, Q1))
    for dimension in ("campaign", "rep", "segment"):
        split = get("meeting_kpi_contributors")(cur, Q1, dimension=dimension, top=0)
        sums = split.groupby("kpi")[["value", "previous_value"]].sum()
        for kpi in ADDITIVE_KPIS:
            assert sums.loc[kpi, "value"] == deltas.loc[kpi, "value"], (dimension, kpi)
            assert sums.loc[kpi, "previous_value"] == deltas.loc[kpi, "previous_value"], (dimension, kpi)


def test_contributions_count_a_missing_value_as_zero():
    now = pd.DataFrame({"kpi": ["leads"], "label": ["Leads"], "owner": ["marketing"], "format": ["count"],
                        "dimension": ["campaign"], "dimension_value": ["New"], "value": [4.0]})
    before = now.assign(dimension_value="Old", value=3.0)
    c = contributions(now, before).set_index("dimension_value")
    assert c.loc["New", ["value", "previous_value", "change"]].tolist() == [4, 0, 4]
    assert c.loc["Old", ["value", "previous_value", "change"]].tolist() == [0, 3, -3]
    assert top_contributors(c.reset_index(), "leads", 1)["dimension_value"].tolist() == ["New"]


@pytest.mark.parametrize("choice, start, end", [
    ("range", date(2026, 3, 2), date(2026, 3, 18)),
    # As of Wednesday 18 Mar 2026: the last complete week is Mon 9 - Sun 15 Mar.
    ("week", date(2026, 3, 9), date(2026, 3, 15)),
    ("four_weeks", date(2026, 2, 16), date(2026, 3, 15)),
    ("month", date(2026, 2, 1), date(2026, 2, 28)),
    ("quarter", date(2025, 10, 1), date(2025, 12, 31)),
])
def test_reviewed_period(choice, start, end):
    f = Filters(date(2026, 3, 2), date(2026, 3, 18), segments=("SMB",), as_of=date(2026, 3, 18))
    chosen = meeting_window(choice, f)
    assert (chosen.start, chosen.end) == (start, end)
    assert chosen.segments == ("SMB",) and chosen.as_of == f.as_of


@pytest.mark.parametrize("choice, last, today, as_of, period", [
    # An export ending Saturday 13 Oct 2018, read in 2026: periods end before 14 Oct 2018.
    ("month", date(2018, 10, 13), date(2026, 11, 27), date(2018, 10, 14), (date(2018, 9, 1), date(2018, 9, 30))),
    ("week", date(2018, 10, 13), date(2026, 11, 27), date(2018, 10, 14), (date(2018, 10, 1), date(2018, 10, 7))),
    # Data a little behind today keeps today's period: through Friday 6 Jun, read on Monday 9 Jun, the last
    # complete week is 2-8 Jun; through 29 Jun, read on 1 Jul, the last complete month is June.
    ("week", date(2025, 6, 6), date(2025, 6, 9), date(2025, 6, 9), (date(2025, 6, 2), date(2025, 6, 8))),
    ("month", date(2025, 6, 29), date(2025, 7, 1), date(2025, 7, 1), (date(2025, 6, 1), date(2025, 6, 30))),
])
def test_calendar_periods_follow_the_data(choice, last, today, as_of, period):
    sidebar = Filters(date(2016, 1, 1), last)
    assert review_as_of(choice, sidebar, last, today) == as_of
    chosen = meeting_window(choice, Filters(date(2016, 1, 1), last, as_of=as_of))
    assert (chosen.start, chosen.end) == period


def test_unknown_period_or_dimension_is_refused(cur):
    with pytest.raises(ValueError, match="period must be one of"):
        meeting_window("fortnight", FEB)
    with pytest.raises(ValueError, match="dimension must be one of campaign, rep, segment"):
        get("meeting_kpi_contributors")(cur, FEB, dimension="region")
    with pytest.raises(ValueError, match="kpi must be empty"):
        get("meeting_kpi_contributors")(cur, FEB, kpi="win_rate")


def test_board_holds_every_section(cur):
    frames = board(cur, FEB)
    assert tuple(frames) == BOARD_KEYS
    assert {"kpi_deltas", "goals", "funnel", "funnel_previous", "sla", "themes", "roi", "campaigns"} <= set(frames)
    # The funnel's previous frame is the previous period's: Jan 4-31 had 3 leads.
    assert frames["funnel_previous"].set_index("stage").loc["lead", "volume"] == 3


def test_launches_are_annotations(cur):
    # c1 launched Jan 2 (Webinars), c2 Feb 1 (Paid Search).
    q1 = get("chart_annotations")(cur, Q1)
    assert q1[["on_date", "kind", "label"]].values.tolist() == [
        [pd.Timestamp("2026-01-02"), "launch", "Spring webinar"],
        [pd.Timestamp("2026-02-01"), "launch", "Brand search"]]
    assert get("chart_annotations")(cur, FEB)["label"].tolist() == ["Brand search"]
    webinars = Filters(Q1.start, Q1.end, channels=("Webinars",), as_of=Q1.as_of)
    assert get("chart_annotations")(cur, webinars)["label"].tolist() == ["Spring webinar"]


def test_annotate_draws_a_line_per_panel_and_a_key():
    notes = pd.DataFrame({"on_date": pd.to_datetime(["2026-01-02", "2026-01-02", "2026-02-10"]),
                          "kind": ["launch", "launch", "definition"], "label": ["Spring webinar", "Brand search",
                                                                                "MQL threshold 50 -> 60"],
                          "detail": ["Webinars", None, None], "owner_team": ["marketing", "marketing", "shared"]})
    # Two launches on one day share a line: two events.
    marks = events(notes)
    assert marks["text"].tolist() == ["Launch: Spring webinar +1 more", "Definition changed: MQL threshold 50 -> 60"]
    assert "Brand search" in marks["hover"].iloc[0]
    grid = make_subplots(rows=1, cols=3)
    for col in (1, 2, 3):
        grid.add_trace(go.Scatter(x=pd.to_datetime(["2026-01-01", "2026-03-01"]), y=[1, 2]), row=1, col=col)
    grid.update_layout(height=300)
    annotate(grid, notes)
    assert len(grid.layout.shapes) == 2 * 3  # two events, three panels
    assert {shape.xref for shape in grid.layout.shapes} == {"x", "x2", "x3"}
    numbers = [a.text for a in grid.layout.annotations if a.text in ("<b>1</b>", "<b>2</b>")]
    assert numbers == ["<b>1</b>", "<b>2</b>"]  # numbered once, in the first panel
    key = grid.layout.annotations[-1].text
    assert "02 Jan · Launch: Spring webinar +1 more" in key and "10 Feb · Definition changed" in key
    assert grid.layout.height > 300  # the key gets room of its own
    plain = go.Figure(go.Scatter(x=[1, 2], y=[1, 2]))
    assert annotate(plain, notes.iloc[0:0]) is plain and not plain.layout.shapes


def test_charts_colour_by_team_and_hatch_the_worse(cur):
    deltas = get("meeting_kpi_deltas")(cur, FEB)
    fig = meeting_charts.kpi_change_chart(deltas)
    bars = fig.data[0]
    rows = deltas.iloc[::-1].reset_index(drop=True)
    leads = rows.index[rows["kpi"] == "leads"][0]
    assert bars.marker.color[leads] == "#D97706" and bars.marker.pattern.shape[leads] == "/"  # marketing, worse
    spend = rows.index[rows["kpi"] == "campaign_spend"][0]
    assert bars.marker.pattern.shape[spend] == ""  # no better direction: never hatched
    assert "−1 (3 → 2)" in bars.text[leads]
    movers = get("meeting_kpi_contributors")(cur, FEB, kpi="leads", dimension="campaign")
    chart = meeting_charts.contributors_chart(movers, "Campaign")
    assert chart.data[0].y[-1].startswith("Spring webinar") and "−2" in chart.data[0].y[-1]
    assert meeting_charts.change_text(0.04, "percent") == "+4.0 pts"
    assert meeting_charts.value_text(5.4, "times") == "5.4×"
