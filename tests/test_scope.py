"""Row scope: a user limited to a region (or segment) reads, through every registered metric, exactly what an
unscoped user reads with that region picked, and never a row outside it, whatever else they pick. Checked
on a small demo company, and against counts made by hand from the raw tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from data import db, demo
from metrics import REGISTRY, get
from metrics.filters import Filters

TODAY = dt.date(2026, 2, 15)
WINDOW = Filters(dt.date(2025, 8, 1), dt.date(2026, 1, 31), as_of=TODAY)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("scope") / "demo.duckdb"
    demo.build_demo_file(path, n_leads=3_000, seed=5, today=TODAY)
    connection = db.open_store(path)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def region(con) -> str:
    """The second-largest region: a real slice, not nearly everything."""
    return con.execute("select region from leads group by 1 order by count(*) desc limit 1 offset 1").fetchall()[0][0]


def read(con, name: str, f: Filters) -> pd.DataFrame:
    cur = con.cursor()
    try:
        return get(name)(cur, f)
    finally:
        cur.close()


# Goal metrics ignore the sidebar's filters (a goal has its own scope) but not the row scope: a scoped reader
# gets only the goals set inside their scope (test_a_scoped_reader_sees_only_goals_set_for_their_scope).
FILTERED_METRICS = sorted(name for name, m in REGISTRY.items() if m.area != "goals")


@pytest.mark.parametrize("name", FILTERED_METRICS)
def test_every_metric_scoped_equals_the_same_metric_filtered(con, region, name):
    scoped = read(con, name, replace(WINDOW, scope_regions=(region,)))
    filtered = read(con, name, replace(WINDOW, regions=(region,)))
    clock = [c for c in ("age_days",) if c in scoped]  # read against now(), a moment apart
    pd.testing.assert_frame_equal(scoped.drop(columns=clock), filtered.drop(columns=clock))


def test_segment_scope_equals_the_segment_filter(con):
    for name in ("funnel_stage_volume", "won_revenue", "campaign_roi", "rejection_rate", "sla_first_touch"):
        pd.testing.assert_frame_equal(read(con, name, replace(WINDOW, scope_segments=("Enterprise",))),
                                      read(con, name, replace(WINDOW, segments=("Enterprise",))))


def test_scoped_counts_match_the_raw_tables_by_hand(con, region):
    leads = con.execute("select lead_id, created_at, region from leads").df()
    in_window = leads["created_at"].between(pd.Timestamp(WINDOW.start), pd.Timestamp(WINDOW.end_exclusive),
                                            inclusive="left")
    by_hand = int((in_window & (leads["region"] == region)).sum())
    volume = read(con, "funnel_stage_volume", replace(WINDOW, scope_regions=(region,))).set_index("stage")
    assert volume.loc["lead", "volume"] == by_hand
    assert 0 < by_hand < int(in_window.sum())  # the scope really narrows

    deals = con.execute("select o.amount, o.closed_at, o.is_won, l.region from opportunities as o "
                        "join leads as l using (lead_id)").df()
    won = deals[deals["is_won"] & (deals["region"] == region)
                & deals["closed_at"].between(pd.Timestamp(WINDOW.start), pd.Timestamp(WINDOW.end_exclusive),
                                             inclusive="left")]
    revenue = read(con, "won_revenue", replace(WINDOW, scope_regions=(region,)))["value"].iloc[0]
    assert revenue == pytest.approx(float(won["amount"].sum()))


def test_picking_a_region_outside_the_scope_shows_nothing_of_it(con, region):
    other = con.execute("select region from leads where region <> ? group by 1 order by count(*) desc limit 1",
                        [region]).fetchall()[0][0]
    volume = read(con, "funnel_stage_volume", replace(WINDOW, scope_regions=(region,), regions=(other,)))
    assert volume["volume"].sum() == 0
    records = read(con, "funnel_records", replace(WINDOW, scope_regions=(region,)))
    assert set(records["region"]) == {region}


def test_the_previous_period_keeps_the_scope():
    scoped = replace(WINDOW, scope_regions=("EMEA",), scope_segments=("SMB",))
    assert (scoped.previous().scope_regions, scoped.previous().scope_segments) == (("EMEA",), ("SMB",))
    mine = Filters(dt.date(2026, 1, 1), dt.date(2026, 1, 31)).within(scoped)
    assert (mine.scope_regions, mine.scope_segments) == (("EMEA",), ("SMB",))


@pytest.fixture(scope="module")
def goals_con(tmp_path_factory):
    from goals_fixture import build_goals_fixture

    path = tmp_path_factory.mktemp("scope_goals") / "goals.duckdb"
    build_goals_fixture(path)
    connection = db.open_store(path)
    yield connection
    connection.close()


def test_a_scoped_reader_sees_only_goals_set_for_their_scope(goals_con):
    """The fixture's Q1 goals: company-wide ones and one for the Enterprise segment (leads, target 4)."""
    march = Filters(dt.date(2026, 3, 15), dt.date(2026, 3, 15), as_of=dt.date(2026, 3, 15))
    enterprise = replace(march, scope_segments=("Enterprise",))
    assert set(read(goals_con, "goal_list", enterprise)["goal_id"]) == {"g-leads-q1-ent"}
    assert read(goals_con, "goal_list", replace(march, scope_regions=("EMEA",))).empty
    cur = goals_con.cursor()
    scoped = get("goal_progress")(cur, enterprise, period_type="quarter", period="2026-Q1")
    whole = get("goal_progress")(cur, march, period_type="quarter", period="2026-Q1").set_index("goal_id")
    assert scoped["goal_id"].tolist() == ["g-leads-q1-ent"]
    assert scoped["actual"].iloc[0] == whole.loc["g-leads-q1-ent", "actual"]  # the same Enterprise leads
    # Company-wide numbers on the Goals page (revenue sources, the reverse funnel) read inside the scope.
    sources = get("goal_revenue_sources")(cur, enterprise, period_type="quarter", period="2026-Q1")
    by_hand = get("won_revenue")(cur, Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 15), segments=("Enterprise",),
                                              as_of=dt.date(2026, 3, 15)))["value"].iloc[0]
    assert sources[sources["is_part_of_total"]]["won_amount"].sum() == pytest.approx(by_hand)
    assert by_hand < get("won_revenue")(cur, Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 15)))["value"].iloc[0]
