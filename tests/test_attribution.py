"""Attribution models against the hand-made paths of tests/attribution_fixture.py; every expected credit is
worked out in a comment from the fixture's story. Then the exact-sum invariant over a whole demo company."""

from __future__ import annotations

import datetime as dt
import math
from datetime import date

import pandas as pd
import pytest

from attribution_fixture import build_attribution_fixture
from data import db, demo
from metrics import attribution
from metrics.filters import Filters

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("attribution") / "attribution.duckdb"
    build_attribution_fixture(path)
    connection = db.connect(path, read_only=True)
    yield connection
    connection.close()


def path_credits(con, deal: str, model: str, milestone: str = "won", **params) -> list[float]:
    """Credits in path order (touches outside the path included, at 0)."""
    path = attribution.attribution_path(con.cursor(), Q1, opportunity_id=deal, model=model, milestone=milestone,
                                        **params)
    assert path["credit"].sum() == pytest.approx(path["amount"].iloc[0]) or path["status"].ne("in the path").all()
    return [round(c, 2) for c in path["credit"]]


def by_campaign(con, model: str, milestone: str = "won", f: Filters = Q1) -> dict[str, float]:
    frame = attribution.attribution_credit(con.cursor(), f, model=model, milestone=milestone)
    return {row.campaign_name: round(row.credited_amount, 2) for row in frame.itertuples()}


# --- each model on paths of 1, 2, 3 and 5 touches (won milestone) -------------------------------------

def test_one_touch_gets_everything_under_every_model(con):
    # D1 has one touch: first, lead conversion, opportunity creation and close are all that touch.
    for model in attribution.MODELS:
        assert path_credits(con, "D1", model) == [1000.0], model


def test_two_touch_path(con):
    # D2, 2,000: [2] cA then [3] cB. The MQL happened at touch 3's moment, so touch 3 is lead conversion,
    # opportunity creation and close; touch 1 is the first touch. No touch lies between anchors.
    assert path_credits(con, "D2", "first_touch") == [2000.0, 0.0]
    assert path_credits(con, "D2", "last_touch") == [0.0, 2000.0]
    assert path_credits(con, "D2", "linear") == [1000.0, 1000.0]
    # U-shaped: 40 first, 40 lead conversion, no touch for the 20: anchors share by weight -> 50/50.
    assert path_credits(con, "D2", "u_shaped") == [1000.0, 1000.0]
    # W-shaped: touch 1 holds 30, touch 2 holds 30 + 30 -> 1/3 and 2/3: 666.666... -> 666.66 (rounded down),
    # 1,333.333... -> 1,333.33, and the cent left over goes to the last touch: 1,333.34.
    assert path_credits(con, "D2", "w_shaped") == [666.66, 1333.34]
    # Full path: 22.5 on touch 1, 67.5 on touch 2 -> 1/4 and 3/4.
    assert path_credits(con, "D2", "full_path") == [500.0, 1500.0]


def test_two_touch_time_decay_by_hand(con):
    # Won Feb 20. Touch 1 (Jan 1 10:00) is 49 days 14 hours before, touch 2 (Jan 5 12:00) 45.5 days.
    # Weights 2^(-49.5833/7) and 2^(-45.5/7); touch 1's share = 1 / (1 + 2^(4.0833/7)) = 0.40026.
    w1, w2 = 2 ** (-(49 + 14 / 24) / 7), 2 ** (-45.5 / 7)
    first = math.floor(200_000 * w1 / (w1 + w2)) / 100  # 800.51 (cents rounded down)
    assert path_credits(con, "D2", "time_decay") == [first, round(2000 - first, 2)]
    assert 800 < first < 801


def test_three_touch_path(con):
    # D3, 3,000: [4] cA Jan 1, [5] cB Jan 3, [6] cC Jan 8. MQL Jan 2 -> lead conversion is touch 1 (the last
    # at or before it); opportunity Jan 9 -> opportunity creation is touch 3; close is touch 3.
    assert path_credits(con, "D3", "first_touch") == [3000.0, 0.0, 0.0]
    assert path_credits(con, "D3", "last_touch") == [0.0, 0.0, 3000.0]
    assert path_credits(con, "D3", "linear") == [1000.0, 1000.0, 1000.0]
    # U: touch 1 = 40 + 40; the 20 spread over touches 2 and 3 -> 2,400, 300, 300.
    assert path_credits(con, "D3", "u_shaped") == [2400.0, 300.0, 300.0]
    # W: touch 1 = 30 + 30, touch 3 = 30, touch 2 takes the 10 -> 1,800, 300, 900.
    assert path_credits(con, "D3", "w_shaped") == [1800.0, 300.0, 900.0]
    # Full path: touch 1 = 22.5 + 22.5, touch 3 = 22.5 + 22.5, touch 2 the 10 -> 1,350, 300, 1,350.
    assert path_credits(con, "D3", "full_path") == [1350.0, 300.0, 1350.0]


def test_five_touch_path(con):
    # D4, 10,000: [7] cA, [8] cB, [9] cC (MQL at its moment), [10] cB (opportunity at its moment), [11] cA.
    # Anchors: first 1, lead conversion 3, opportunity creation 4, close 5.
    assert path_credits(con, "D4", "first_touch") == [10000.0, 0, 0, 0, 0]
    assert path_credits(con, "D4", "last_touch") == [0, 0, 0, 0, 10000.0]
    assert path_credits(con, "D4", "linear") == [2000.0] * 5
    # U: 4,000 to touches 1 and 3; 20% over touches 2, 4, 5 = 666.666... each, rounded down to 666.66; the
    # 2 cents left over go to the last touch: 666.68.
    assert path_credits(con, "D4", "u_shaped") == [4000.0, 666.66, 4000.0, 666.66, 666.68]
    # W: 3,000 to touches 1, 3, 4; 10% over touches 2 and 5 -> 500 each.
    assert path_credits(con, "D4", "w_shaped") == [3000.0, 500.0, 3000.0, 3000.0, 500.0]
    # Full path: 2,250 to touches 1, 3, 4, 5; the 10% all to touch 2.
    assert path_credits(con, "D4", "full_path") == [2250.0, 1000.0, 2250.0, 2250.0, 2250.0]
    decay = path_credits(con, "D4", "time_decay")
    assert decay == sorted(decay) and sum(decay) == pytest.approx(10000)  # newer touches weigh more


def test_touches_after_the_milestone_are_ignored(con):
    # Opportunity-created milestone for D4 (Jan 6 09:00): touch 11 (Jan 8) comes after it. The path is
    # touches 7-10: first 1, lead conversion 3, opportunity creation = close = 4; W gives touch 2 the 10%.
    path = attribution.attribution_path(con.cursor(), Q1, opportunity_id="D4", model="w_shaped",
                                        milestone="opportunity_created")
    assert [round(c, 2) for c in path["credit"]] == [3000.0, 1000.0, 3000.0, 3000.0, 0.0]
    assert path["status"].iloc[-1] == "after the milestone: ignored"
    assert path["roles"].tolist()[:4] == ["First touch", "", "Lead conversion", "Opportunity creation"]
    # Touch 12 (Mar 5) came after D4 closed on Mar 1: it is in no path at all.
    assert 12 not in path["touchpoint_id"].tolist()


def test_equal_timestamps_are_ordered_by_touchpoint_id(con):
    # D5, 500: touches 51 (cA) and 50 (cB) at the same moment; 50 was recorded first, so it is the first touch.
    path = attribution.attribution_path(con.cursor(), Q1, opportunity_id="D5", model="first_touch")
    assert path["touchpoint_id"].tolist() == [50, 51]
    assert path_credits(con, "D5", "first_touch") == [500.0, 0.0]
    assert path_credits(con, "D5", "last_touch") == [0.0, 500.0]
    # The MQL is at that same moment: both touches are at or before it, the later-recorded one (51) is lead
    # conversion, so U-shaped has two distinct anchors and no middle: 50/50. Equal ages: equal decay weights.
    assert path_credits(con, "D5", "u_shaped") == [250.0, 250.0]
    assert path_credits(con, "D5", "time_decay") == [250.0, 250.0]


def test_lookback_window_cuts_the_path(con):
    # D4 won Mar 1 with a 55-day lookback: only touches on or after Jan 5 count, touches 10 and 11. Lead
    # conversion (Jan 4 09:00) and opportunity creation (Jan 6 09:00) both fall on the path's first touch,
    # which holds 30 + 30 + 30; touch 11 takes the 10.
    assert path_credits(con, "D4", "w_shaped", lookback_days=55) == [0, 0, 0, 9000.0, 1000.0]
    path = attribution.attribution_path(con.cursor(), Q1, opportunity_id="D4", lookback_days=55)
    assert path["status"].iloc[0].endswith("outside the lookback")


def test_open_deal_has_no_won_path(con):
    path = attribution.attribution_path(con.cursor(), Q1, opportunity_id="D7", model="linear")
    assert path["status"].tolist() == ["no milestone yet"] and path["credit"].sum() == 0


# --- per campaign ------------------------------------------------------------------------------------

def test_revenue_by_campaign_under_each_model(con):
    # Won in Q1: D1 1,000, D2 2,000, D3 3,000, D4 10,000, D5 500 and D9 700 (no touch at all).
    unattributed = attribution.UNATTRIBUTED
    # First touch: D1-D4 to cA (16,000), D5 to cB (touch 50).
    assert by_campaign(con, "first_touch") == {"Search ads": 16000.0, "Spring webinar": 500.0,
                                               "Nurture emails": 0.0, unattributed: 700.0}
    # Last touch: D1 cA, D2 cB, D3 cC, D4 cA (touch 11), D5 cA (touch 51).
    assert by_campaign(con, "last_touch") == {"Search ads": 11500.0, "Nurture emails": 3000.0,
                                              "Spring webinar": 2000.0, unattributed: 700.0}
    # Linear: cA 1,000 + 1,000 + 1,000 + 4,000 + 250; cB 1,000 + 1,000 + 4,000 + 250; cC 1,000 + 2,000.
    assert by_campaign(con, "linear") == {"Search ads": 7250.0, "Spring webinar": 6250.0, "Nurture emails": 3000.0,
                                          unattributed: 700.0}
    # W: cA 1,000 + 666.66 + 1,800 + 3,500 + 333.34 (D5: touch 51 holds lead conversion and opportunity
    # creation: 2/3 of 500, with the left-over cent); cB 1,333.34 + 300 + 3,500 + 166.66; cC 900 + 3,000.
    assert by_campaign(con, "w_shaped") == {"Search ads": 7300.0, "Spring webinar": 5300.0, "Nurture emails": 3900.0,
                                            unattributed: 700.0}


def test_pipeline_uses_the_opportunity_created_milestone(con):
    # Created in Q1: D1-D5, D7 4,000 (open), D8 6,000 (lost), D9 700 (no touch). First touch: cA D1-D4 =
    # 16,000; cB D5 + D7 = 4,500; cC D8 = 6,000.
    credited = by_campaign(con, "first_touch", milestone="opportunity_created")
    assert credited == {"Search ads": 16000.0, "Nurture emails": 6000.0, "Spring webinar": 4500.0,
                        attribution.UNATTRIBUTED: 700.0}
    assert sum(credited.values()) == 27200.0


def test_credited_deals_and_touches(con):
    frame = attribution.attribution_credit(con.cursor(), Q1, model="first_touch").set_index("campaign_name")
    # cA's touches sit in the won paths of D1-D5 (5 deals, 6 touches: D4 has two); it is first in four.
    assert frame.loc["Search ads", ["credited_deals", "deals_touched", "touches"]].tolist() == [4.0, 5, 6]
    assert frame.loc["Search ads", "share_of_credited"] == pytest.approx(16000 / 16500)
    assert frame.loc["Search ads", "model_label"] == "First touch"


def test_channel_filter_hides_rows_without_changing_credit(con):
    # Under W, Webinars earns 5,300 whether or not the other channels are shown.
    only = attribution.attribution_credit(con.cursor(), Filters(Q1.start, Q1.end, channels=("Webinars",)),
                                          model="w_shaped", level="channel")
    assert only["channel"].tolist() == ["Webinars"] and only["credited_amount"].iloc[0] == pytest.approx(5300.0)


def test_segment_filter_selects_deals(con):
    # Enterprise holds only D3 (3,000): first touch cA.
    enterprise = Filters(Q1.start, Q1.end, segments=("Enterprise",))
    assert by_campaign(con, "first_touch", f=enterprise) == {"Search ads": 3000.0, "Spring webinar": 0.0,
                                                             "Nurture emails": 0.0}


def test_channel_level(con):
    frame = attribution.attribution_credit(con.cursor(), Q1, model="linear", level="channel")
    credited = dict(zip(frame["channel"], frame["credited_amount"]))
    assert credited == {"Paid Search": 7250.0, "Webinars": 6250.0, "Email": 3000.0, attribution.UNATTRIBUTED: 700.0}


def test_model_comparison_flags_the_widest_disagreement(con):
    table = attribution.attribution_comparison(con.cursor(), Q1, disputed=1).set_index("campaign_name")
    # cA's share of credited revenue: 16,000 / 16,500 = 97.0% under first touch, 6,926.17 / 16,500 = 42.0%
    # under time decay: 55.0 points apart, the widest; first touch is the model furthest from the others.
    assert table.loc["Search ads", "disagreement_pts"] == pytest.approx((16000 - 6926.17) / 16500 * 100, abs=0.01)
    assert table["is_disputed"].tolist() == [True, False, False]
    assert table.loc["Search ads", "outlier_model"] == "first_touch"
    assert table.loc["Spring webinar", "credited_linear"] == 6250.0
    assert table.loc["Nurture emails", ["min_credit", "max_credit"]].tolist() == [0.0, 4300.0]


def test_sourced_and_influenced_side_by_side(con):
    table = attribution.marketing_sourced_influenced(con.cursor(), Q1).set_index("channel")
    total = table.loc[attribution.ALL_CHANNELS]
    # Revenue won in Q1: 17,200. Sourced: D1, D2, D4 (first touch at lead creation) and D5 = 13,500; D3's lead
    # was created before its first touch, D9 has none. Influenced: every deal with a touch = 16,500.
    assert (total["sourced_revenue"], total["influenced_revenue"], total["total_revenue"]) == (13500, 16500, 17200)
    assert total["sourced_revenue_deals"] == 4 and total["influenced_revenue_deals"] == 5
    # By channel sourced adds up (Paid Search 13,000 + Webinars 500); influenced does not (a deal counts
    # under every channel that touched it: 16,500 + 15,500 + 13,000).
    assert table.loc[["Paid Search", "Webinars", "Email"], "sourced_revenue"].tolist() == [13000, 500, 0]
    assert table.loc[["Paid Search", "Webinars", "Email"], "influenced_revenue"].tolist() == [16500, 15500, 13000]
    # Pipeline created in Q1: 27,200; sourced = all but D3 and D9 = 23,500.
    assert (total["sourced_pipeline"], total["total_pipeline"]) == (23500, 27200)


def test_sourced_and_influenced_count_the_deals_in_scope_and_those_touched(con):
    # Created in Q1: D1-D5, D7, D8, D9 = 8, all touched at or before creation but D9 = 7. Won in Q1: D1-D5, D9
    # = 6, touched 5. A one-day lookback leaves no deal influenced (each deal's touches are weeks before its
    # milestone), but the touched counts ignore the lookback: touches exist, the window is what misses them.
    for lookback, influenced in ((365, 5), (1, 0)):
        total = attribution.marketing_sourced_influenced(con.cursor(), Q1, lookback_days=lookback).iloc[0]
        assert total["influenced_revenue_deals"] == influenced
        assert (total["total_pipeline_deals"], total["touched_pipeline_deals"]) == (8, 7)
        assert (total["total_revenue_deals"], total["touched_revenue_deals"]) == (6, 5)


@pytest.mark.parametrize("params, message", [
    ({"model": "best_guess"}, "model must be one of"),
    ({"milestone": "signed"}, "milestone must be one of"),
    ({"lookback_days": 0}, "lookback_days must be between 1 and 730; got 0"),
    ({"half_life_days": 0.5}, "half_life_days must be between 1 and 365; got 0.5"),
    ({"level": "rep"}, "level must be one of"),
])
def test_bad_parameters_say_what_and_which(con, params, message):
    with pytest.raises(ValueError, match=message):
        attribution.attribution_credit(con.cursor(), Q1, **params)


# --- the invariant over a whole demo company ---------------------------------------------------------

@pytest.fixture(scope="module")
def demo_con(tmp_path_factory):
    path = tmp_path_factory.mktemp("attribution_demo") / "demo.duckdb"
    demo.build_demo_file(path, n_leads=4_000, seed=3, today=dt.date(2026, 2, 15))
    connection = db.connect(path, read_only=True)
    yield connection
    connection.close()


@pytest.mark.parametrize("milestone", list(attribution.MILESTONES))
def test_credits_sum_to_each_deal_amount_over_the_demo(demo_con, milestone):
    everything = Filters(date(2000, 1, 1), date(2100, 1, 1))
    models = tuple(attribution.MODELS)
    ctes, params = attribution.credited_touches(everything, milestone, models, 365, 7.0)
    sums = ", ".join(f"sum(credit_{m}) as credit_{m}" for m in models)
    mins = " and ".join(f"min(credit_{m}) >= 0" for m in models)
    off = " or ".join(f"credit_{m} <> amount_cents" for m in models)
    deals, wrong, nonnegative = demo_con.execute(
        f"{ctes}, per_deal as (select deal_key, any_value(amount_cents) as amount_cents, {sums} from credited "
        f"group by deal_key) select count(*), count(*) filter (where {off}), "
        f"(select {mins} from credited) from per_deal", params).fetchone()
    assert deals > 30
    assert wrong == 0 and nonnegative


@pytest.mark.parametrize("milestone", list(attribution.MILESTONES))
@pytest.mark.parametrize("level", list(attribution.LEVELS))
def test_credits_per_campaign_and_channel_add_up_over_the_demo(demo_con, milestone, level):
    # The tables' totals: every model credits exactly the amount of the deals with a path, and deals touched
    # (counted from each touch's previous touch of the same key) is the number of distinct (deal, key) pairs.
    everything = Filters(date(2000, 1, 1), date(2100, 1, 1))
    models = tuple(attribution.MODELS)
    frame = attribution.credit_by(demo_con.cursor(), everything, milestone, models, level, 365, 7.0)
    key = attribution.LEVELS[level][0]
    column = attribution.MILESTONES[milestone]
    cents, pairs = demo_con.execute(f"""
        with path as (select deal_key, {key} as k, amount_cents from mart_opportunity_touches
                      where {column} is not null and touched_at <= {column} and touched_at >= {column} - to_days(365))
        select (select sum(amount_cents) from (select distinct deal_key, amount_cents from path)),
               (select count(*) from (select distinct deal_key, k from path))""").fetchall()[0]
    for m in models:
        assert round(frame[f"credited_{m}"].sum() * 100) == cents, m
    assert frame["deals_touched"].sum() == pairs


def test_marts_place_anchors_and_previous_touches_of_a_key(con):
    # D4: touches 7-11 (12 came after the close); MQL at touch 9's moment, opportunity at touch 10's, won after
    # touch 11. cA holds touches 1 and 5, cB 2 and 4, cC 3: each touch's previous one of its campaign (channel).
    anchors = "select conversion_touches, creation_touches, won_touches from mart_path_anchors as a " \
              "inner join mart_opportunities as o using (deal_key) where o.opportunity_id = ?"
    assert con.execute(anchors, ["D4"]).fetchall() == [(3, 4, 5)]
    moments = anchors.replace("conversion_touches, creation_touches, won_touches",
                              "creation_touched_at, won_touched_at")
    assert con.execute(moments, ["D4"]).fetchall() == [(dt.datetime(2026, 1, 6, 9), dt.datetime(2026, 1, 8))]
    assert con.execute(moments, ["D7"]).fetchall() == [(dt.datetime(2026, 2, 1), None)]
    rows = con.execute("select prev_campaign_touch, prev_channel_touch from mart_opportunity_touches "
                       "where opportunity_id = 'D4' order by touch_number").fetchall()
    assert rows == [(0, 0), (0, 0), (0, 0), (2, 2), (1, 1)]
    # D5: both touches at the MQL's moment. D7 is still open: no won path. D9 has no touch: no row.
    assert con.execute(anchors, ["D5"]).fetchall() == [(2, 2, 2)]
    assert con.execute(anchors, ["D7"]).fetchall() == [(1, 1, None)]
    assert con.execute(anchors, ["D9"]).fetchall() == []


def test_deals_without_a_touch_in_the_lookback_stay_unattributed(con):
    # 30 days before each win: D3 (touch Jan 3, won Feb 1) and D5 (Jan 1 09:00, won Jan 31) keep a touch; D1's,
    # D2's and D4's last touches are 40, 46 and 52 days old, and D9 has none: 1,000 + 2,000 + 10,000 + 700.
    frame = attribution.attribution_credit(con.cursor(), Q1, model="linear", lookback_days=30)
    row = frame[frame["is_unattributed"]].iloc[0]
    assert (row["credited_amount"], row["deals_touched"]) == (13700.0, 4)
    assert frame.loc[~frame["is_unattributed"], "credited_amount"].sum() == 3500.0


def test_deals_touched_counts_only_touches_inside_the_lookback(con):
    # 55 days before each win: D4 keeps touches 10 (cB) and 11 (cA) only, whose earlier cB and cA touches fall
    # outside the window, so each still opens its campaign in D4. cA: D1-D5 one touch each; cB: D2-D5 but D1;
    # cC: D3 only (D4's touch 9 is 55 days 15 hours before the win).
    frame = attribution.attribution_credit(con.cursor(), Q1, model="linear", lookback_days=55)
    counted = {r.campaign_name: [r.deals_touched, r.touches] for r in frame.itertuples() if not r.is_unattributed}
    assert counted == {"Search ads": [5, 5], "Spring webinar": [4, 4], "Nurture emails": [1, 1]}


def test_demo_has_daily_traffic_and_monthly_costs(demo_con):
    # Every channel has a row for every day of the window (Feb 1 2024 - Feb 14 2026 = 745 days).
    days = (dt.date(2026, 2, 15) - dt.date(2024, 2, 1)).days
    assert demo_con.execute("select count(*), count(distinct channel) from web_traffic").fetchone() == (8 * days, 8)
    assert demo_con.execute("select bool_and(visitors <= sessions and engaged_sessions <= sessions) "
                            "from web_traffic").fetchone()[0]
    # Traffic converts to leads at a few percent, Paid Social worst (it buys visits that rarely convert).
    rates = dict(demo_con.execute("""
        select t.channel, l.leads / t.sessions from (select channel, sum(sessions) as sessions from web_traffic
        group by 1) as t join (select source_channel as channel, count(*) as leads from leads
        where created_at >= '2024-02-01' group by 1) as l using (channel)""").fetchall())
    assert all(0.005 < rate < 0.2 for rate in rates.values()), rates
    assert min(rates, key=rates.get) == demo.CHEAP_LEAD_CHANNEL
    # Four cost lines a month, February 2024 to February 2026.
    assert demo_con.execute("select count(*), count(distinct cost_month) from acquisition_costs").fetchone() == (
        4 * 25, 25)


@pytest.mark.parametrize("level", list(attribution.LEVELS))
@pytest.mark.parametrize("channels", [(), ("Paid Search", "Email")])
def test_milestones_read_together_equal_each_alone(demo_con, level, channels):
    # Campaign ROI reads pipeline and revenue in one statement: each frame is what its milestone gives alone.
    f = Filters(date(2025, 9, 1), date(2026, 2, 15), channels=channels)
    models = ("w_shaped", "time_decay")
    together = attribution.credit_by_milestones(demo_con.cursor(), f, tuple(attribution.MILESTONES), models, level,
                                                180, 14.0)
    assert list(together) == list(attribution.MILESTONES)
    for milestone, frame in together.items():
        alone = attribution.credit_by(demo_con.cursor(), f, milestone, models, level, 180, 14.0)
        assert len(alone) > 1
        pd.testing.assert_frame_equal(frame, alone)
