"""ROI, ROAS, CAC, sales' verdict, content and traffic against tests/attribution_fixture.py; every number is
worked out in a comment from the fixture's story."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from attribution_fixture import build_attribution_fixture
from data import db, marts
from metrics import attribution, content, roi, traffic
from metrics.filters import Filters
from metrics.stats import wilson_interval

Q1 = Filters(date(2026, 1, 1), date(2026, 3, 31), as_of=date(2026, 3, 31))


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("roi") / "roi.duckdb"
    build_attribution_fixture(path)
    connection = db.connect(path, read_only=True)
    yield connection
    connection.close()


def campaigns(con, model: str = "first_touch", f: Filters = Q1, **params) -> pd.DataFrame:
    return roi.campaign_roi(con.cursor(), f, model=model, **params).set_index("campaign_name")


def test_spend_is_counted_once_per_campaign_whatever_its_deals(con):
    # cA spent 100 a day Jan 1-10 = 1,000 in Q1 (the 500 on Dec 31 is outside) and has four won deals under
    # first touch (D1-D4): its spend stays 1,000, not 4 x 1,000.
    table = campaigns(con)
    assert table.loc["Search ads", "spend"] == 1000.0
    assert table.loc["Search ads", "won_deals_credited"] == 4.0
    assert table["spend"].sum() == 1000 + 500 + 50


def test_roi_roas_and_cac_by_hand(con):
    table = campaigns(con)
    # First touch: cA earns D1-D4 = 16,000 on 1,000 of spend -> ROI (16,000 - 1,000) / 1,000 = 15,
    # ROAS 16, CAC 1,000 / 4 won deals = 250.
    assert table.loc["Search ads", ["won_revenue", "roi", "roas", "cac"]].tolist() == [16000.0, 15.0, 16.0, 250.0]
    # cB earns D5 = 500 on 500 of spend: ROI 0, ROAS 1, CAC 500. cC earns nothing on 50: ROI -1, no CAC.
    assert table.loc["Spring webinar", ["won_revenue", "roi", "roas", "cac"]].tolist() == [500.0, 0.0, 1.0, 500.0]
    assert table.loc["Nurture emails", "roi"] == -1.0 and pd.isna(table.loc["Nurture emails", "cac"])
    assert (table["model_label"] == "First touch").all()


def test_roi_follows_the_model(con):
    # W-shaped: cA 7,300 (see test_attribution) -> ROI 6.3, ROAS 7.3; cB 5,300 on 500 -> ROI 9.6.
    table = campaigns(con, "w_shaped")
    assert table.loc["Search ads", "roi"] == pytest.approx(6.3)
    assert table.loc["Search ads", "roas"] == pytest.approx(7.3)
    assert table.loc["Spring webinar", "roi"] == pytest.approx(9.6)
    # Pipeline (created in Q1) under W: cA 1,000 + 666.66 + 1,800 + 3,000 (D4's path stops at creation: touch 1)
    # + 333.34 = 6,800.
    assert table.loc["Search ads", "pipeline"] == pytest.approx(6800.0)


def test_cost_per_lead_mql_and_opportunity(con):
    table = campaigns(con)
    # cA's own leads created in Q1: A1, A2, A4, A9, A10 = 5 (A3 was created in December) -> 1,000 / 5 = 200.
    # MQLs in Q1: those five + A3 (Jan 2) = 6 -> 166.67. Opportunities created in Q1: A1-A4 = 4 -> 250.
    assert table.loc["Search ads", ["leads", "mqls", "sqls", "opportunities"]].tolist() == [5, 6, 4, 4]
    assert table.loc["Search ads", "cost_per_lead"] == 200.0
    assert table.loc["Search ads", "cost_per_mql"] == pytest.approx(1000 / 6)
    assert table.loc["Search ads", "cost_per_opportunity"] == 250.0


def test_small_samples_are_flagged(con):
    # Won deals with a cA touch in the path: D1-D5 = 5; cB: D2-D5 = 4; cC: D3, D4 = 2. Minimum 5 by default.
    table = campaigns(con)
    assert table["is_small_sample"].to_dict() == {"Search ads": False, "Spring webinar": True, "Nurture emails": True}
    assert not campaigns(con, min_won_deals=2)["is_small_sample"].any()


def test_sales_verdict_beside_the_money(con):
    table = campaigns(con)
    row = table.loc["Search ads"]
    # cA's MQLs in Q1: A1-A4 (accepted: they became opportunities), A9 (rejected), A10 (accepted) -> 5 of 6
    # accepted; 1 of 6 worked rejected.
    assert (row["accepted"], row["rejected"], row["worked"]) == (5, 1, 6)
    assert row["acceptance_rate"] == pytest.approx(5 / 6)
    low, high = wilson_interval(pd.Series([1]), pd.Series([6]))
    assert (row["rejection_ci_low"], row["rejection_ci_high"]) == (pytest.approx(low[0]), pytest.approx(high[0]))
    # Feedback in Q1 on cA or its leads: A9 rejected as wrong persona (rating 1), A10 accepted (4), the
    # manager's campaign rating 3 -> average 8 / 3.
    assert row["top_rejection_reasons"] == "Wrong persona 100%"
    assert (row["avg_rating"], row["ratings"]) == (pytest.approx(8 / 3), 3)
    # The rejection of A7 (cC) was given in December: outside Q1.
    assert pd.isna(table.loc["Nurture emails", "top_rejection_reasons"])


def test_channel_level_adds_campaigns_up(con):
    table = roi.campaign_roi(con.cursor(), Q1, model="linear", level="channel").set_index("channel")
    # One campaign per channel here, so the channel rows equal the campaign rows; linear revenue from
    # test_attribution: Paid Search 7,250 -> ROI 6.25.
    assert table.loc["Paid Search", ["spend", "won_revenue", "roi"]].tolist() == [1000.0, 7250.0, 6.25]
    assert table["campaign_name"].isna().all()


def test_channel_filter_keeps_that_channel(con):
    only = roi.campaign_roi(con.cursor(), Filters(Q1.start, Q1.end, channels=("Webinars",)), model="first_touch")
    assert only["campaign_name"].tolist() == ["Spring webinar"]
    assert only.loc[0, ["spend", "leads", "won_revenue"]].tolist() == [500.0, 2, 500.0]


def test_acquisition_cost_summary_by_hand(con):
    row = roi.acquisition_cost_summary(con.cursor(), Q1, model="first_touch").iloc[0]
    # Spend 1,550; other costs 3 x 3,000 marketing + 3 x 9,000 sales = 36,000; total 37,550.
    # New customers: D1, D2, D3, D4, D5, D9 = 6 -> blended CAC 37,550 / 6; program CAC 1,550 / 6.
    assert (row["campaign_spend"], row["other_marketing_cost"], row["sales_cost"]) == (1550, 9000, 27000)
    assert row["new_customers"] == 6
    assert row["blended_cac"] == pytest.approx(37550 / 6)
    assert row["program_cac"] == pytest.approx(1550 / 6)
    # Attributed revenue leaves D9 (no touch) out: 16,500 -> ROI (16,500 - 1,550) / 1,550.
    assert row["attributed_won_revenue"] == 16500 and row["won_revenue"] == 17200
    assert row["roi"] == pytest.approx((16500 - 1550) / 1550)


@pytest.mark.parametrize("model", list(attribution.MODELS))
def test_attributed_revenue_is_every_channel_s_credit_under_each_model(con, model):
    # Read as the amount of the won deals with a path; each model's credits per channel, summed, must agree.
    for f in (Q1, Filters(date(2026, 1, 1), date(2026, 1, 31)), Filters(Q1.start, Q1.end, segments=("SMB",))):
        credited = attribution.credit_by(con.cursor(), f, "won", (model,), "channel", 365, 7.0)
        row = roi.acquisition_cost_summary(con.cursor(), f, model=model).iloc[0]
        assert row["attributed_won_revenue"] == pytest.approx(credited[f"credited_{model}"].sum(), rel=1e-12)


def test_monthly_costs_count_for_their_days_in_the_range(con):
    # Jan 1-15: 15 of January's 31 days -> marketing 3,000 x 15 / 31, sales 9,000 x 15 / 31.
    half = roi.acquisition_cost_summary(con.cursor(), Filters(date(2026, 1, 1), date(2026, 1, 15))).iloc[0]
    assert half["other_marketing_cost"] == pytest.approx(3000 * 15 / 31)
    assert half["sales_cost"] == pytest.approx(9000 * 15 / 31)
    assert half["campaign_spend"] == 1000 + 300 + 50


def test_trend_by_channel_and_month(con):
    trend = roi.roi_trend(con.cursor(), Q1, model="first_touch").set_index(["channel", "month"])
    # Paid Search: January spend 1,000 and pipeline 16,000 (D1-D4 created in January); revenue by month won:
    # February D1 + D2 + D3 = 6,000, March D4 = 10,000.
    paid = trend.loc["Paid Search"]
    assert paid["spend"].tolist() == [1000.0, 0.0, 0.0]
    assert paid["pipeline"].tolist() == [16000.0, 0.0, 0.0]
    assert paid["won_revenue"].tolist() == [0.0, 6000.0, 10000.0]
    assert trend.loc[("Webinars", pd.Timestamp("2026-02-01")), "spend"] == 200.0


def test_drill_down_to_leads_and_deals(con):
    leads = roi.campaign_leads(con.cursor(), Q1, campaign_id="cA")
    assert leads["lead_id"].tolist() == ["A10", "A9", "A1", "A2", "A4"]  # newest first; A3 is from December
    deals = roi.campaign_opportunities(con.cursor(), Q1, campaign_id="cA", model="w_shaped")
    # cA's W credit per won deal: D4 3,500, D3 1,800, D1 1,000, D2 666.66, D5 333.34 (sums to 7,300).
    assert deals["opportunity_id"].tolist() == ["D4", "D3", "D1", "D2", "D5"]
    assert deals["credit"].round(2).tolist() == [3500.0, 1800.0, 1000.0, 666.66, 333.34]
    assert deals.loc[0, "touches"] == 2 and deals.loc[0, "path_length"] == 5


def test_content_in_won_and_lost_paths(con):
    table = content.content_in_won_paths(con.cursor(), Q1).set_index("content_asset")
    # Closed in Q1: won D1, D2, D3, D4, D5, D9 (6); lost D8 (1). "Webinar: Spring" is in D2, D3, D4;
    # "Case study: Acme" in D3, D4 (won) and D8 (lost); "Whitepaper: Playbook" in D4 and D8.
    assert table.loc["Webinar: Spring", ["won_deals", "lost_deals"]].tolist() == [3, 0]
    assert table.loc["Webinar: Spring", "pct_of_won"] == pytest.approx(3 / 6)
    assert table.loc["Case study: Acme", "win_rate_with"] == pytest.approx(2 / 3)
    assert table.loc["Whitepaper: Playbook", ["pct_of_won", "pct_of_lost"]].tolist() == [pytest.approx(1 / 6), 1.0]
    assert table.loc["Case study: Acme", "asset_type"] == "Case study"
    # Revenue of the won deals it appears in: D2 2,000 + D3 3,000 + D4 10,000.
    assert table.loc["Webinar: Spring", "won_revenue_with"] == 15000.0


def test_content_sales_uses_late(con):
    table = content.content_late_in_cycle(con.cursor(), Q1).set_index("content_asset")
    # After the opportunity was created: touch 11 (D4, Jan 8 > Jan 6 09:00) and touch 15 (D8, Jan 25 > Jan 20),
    # both "Case study: Acme"; its early touch is 6 (D3). Touch 10 at the very moment of creation is early.
    assert table.loc["Case study: Acme", ["early_touches", "late_touches"]].tolist() == [1, 2]
    assert table.loc["Case study: Acme", ["deals_with_late_touch", "won_deals_with_late_touch"]].tolist() == [2, 1]
    assert table.index[0] == "Case study: Acme"
    assert table.loc["Webinar: Spring", "late_touches"] == 0


def test_traffic_to_lead_to_mql(con):
    table = traffic.traffic_conversion(con.cursor(), Q1).set_index("channel")
    # Paid Search: 3 days x 100 sessions = 300, 240 visitors, 120 engaged; leads created in Q1 with source
    # Paid Search: A1, A2, A4, A9, A10 = 5, all MQLs -> 5 / 300 sessions, 5 / 5 leads.
    paid = table.loc["Paid Search"]
    assert paid[["sessions", "visitors", "engaged_sessions", "leads", "mqls"]].tolist() == [300, 240, 120, 5, 5]
    assert paid["session_to_lead"] == pytest.approx(5 / 300)
    assert paid["engagement_rate"] == pytest.approx(0.4)
    low, high = wilson_interval(pd.Series([5]), pd.Series([300]))
    assert paid["session_to_lead_ci_low"] == pytest.approx(low[0])
    # Email has leads but no recorded traffic: no rate rather than an infinite one.
    assert table.loc["Email", "sessions"] == 0 and pd.isna(table.loc["Email", "session_to_lead"])
    assert table.index[0] == traffic.ALL_CHANNELS and table.iloc[0]["sessions"] == 350


def test_daily_traffic(con):
    daily = traffic.web_traffic_daily(con.cursor(), Filters(date(2026, 1, 1), date(2026, 1, 3)))
    paid = daily[daily["channel"] == "Paid Search"]
    assert paid["sessions"].tolist() == [100, 100, 100]
    assert paid["leads"].tolist() == [3, 0, 0]  # A1, A2 and A4 were created on Jan 1 (A3 in December)


def test_costs_by_window_match_each_window_alone(con):
    # Q1, the quarter before it (no deals) and January alone, each read as acquisition_cost_summary reads it.
    windows = [Q1, Q1.previous(), Filters(date(2026, 1, 1), date(2026, 1, 31), as_of=Q1.as_of)]
    rows = roi.acquisition_costs_by_window(con.cursor(), windows, model="first_touch")
    for k, f in enumerate(windows):
        alone = roi.acquisition_cost_summary(con.cursor(), f, model="first_touch")
        pd.testing.assert_frame_equal(rows.iloc[[k]].reset_index(drop=True), alone)


def _rows(frame: pd.DataFrame) -> set[tuple]:
    return {tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)}


_DIMENSIONS = ["segment", "region", "sdr_team_id", "ae_team_id"]


def test_campaign_mart_holds_each_campaigns_first_lead_per_dimension(con):
    # Worked out again in pandas from the per-lead mart: the earliest lead_at per campaign, channel and dimensions.
    leads = con.cursor().execute("select * from mart_lead_funnel").df()
    keys = ["campaign_id", "channel"] + _DIMENSIONS
    expected = leads.groupby(keys, dropna=False, as_index=False)["lead_at"].min()
    mart = con.cursor().execute(f"select {', '.join(keys)}, first_lead_at from mart_lead_funnel_campaigns").df()
    assert len(mart) == len(expected) > 3
    assert _rows(mart) == _rows(expected)


@pytest.mark.parametrize("narrow", [
    {}, {"segments": ("Enterprise",)}, {"regions": ("EMEA",)}, {"teams": ("SDR-B",)},
    {"scope_regions": ("Americas",), "scope_segments": ("SMB",)},
    {"start": date(2025, 12, 1), "end": date(2025, 12, 31)},
])
def test_volumes_keep_every_campaign_with_a_lead_before_the_end(con, narrow):
    # Each campaign (and channel) with a lead of the filtered dimensions created before the range ends has a row,
    # moved or not: checked against the leads themselves.
    f = replace(Q1, **narrow)
    leads = con.cursor().execute("select * from mart_lead_funnel").df()
    kept = leads["lead_at"] < pd.Timestamp(f.end_exclusive)
    for values, columns in ((f.segments, ["segment"]), (f.regions, ["region"]),
                            (f.teams, ["sdr_team_id", "ae_team_id"]), (f.scope_regions, ["region"]),
                            (f.scope_segments, ["segment"])):
        if values:
            kept &= leads[columns].isin(values).any(axis=1)
    expected = _rows(leads.loc[kept, ["channel", "campaign_id"]].drop_duplicates())
    volumes = roi.volumes_by(con.cursor(), f, "campaign")
    assert _rows(volumes[["channel", "campaign_id"]]) == expected and expected


@pytest.mark.parametrize("level", ["campaign", "channel"])
def test_a_range_with_nothing_in_it_gives_an_empty_table(con, level):
    # No campaign had a lead, spend, deal or feedback by then: no row, every column still there.
    table = roi.campaign_roi(con.cursor(), Filters(date(1990, 1, 1), date(1990, 1, 31)), level=level)
    assert table.empty and list(table.columns) == list(roi.ROI_COLUMNS)
    assert table["spend"].dtype == "float64" and table["leads"].dtype == "int64"


# --- sales' verdict and blended CAC on a store like an import without marketing stages or costs ----------------
#
# January 2026. Campaigns cV "Mixed verdicts" (Events, spent 300 on Jan 5), cW "Awaiting sales" (Webinars) and
# cD "Deals only" (Partner). Stage entries:
#   V1 (cV) MQL Jan 5, SAL Jan 6: accepted          V2 (cV) MQL Jan 7, rejected Jan 8
#   V3 (cV) MQL Jan 9, recycled Jan 10              V4 (cV) MQL Jan 11, SQL Jan 15: accepted (SAL skipped)
#   V5 (cV) MQL Jan 12, no verdict yet              W1 (cW) MQL Jan 5, no verdict yet
#   P1 (cD) opportunity Jan 10, won Jan 20 (1,000): a deal with no MQL entry, its MQL and SAL only inferred
# Every lead was created on Jan 2. No acquisition costs.
VERDICT_LEADS = {"V1": "cV", "V2": "cV", "V3": "cV", "V4": "cV", "V5": "cV", "W1": "cW", "P1": "cD"}
VERDICT_EVENTS = [("V1", "mql", 5), ("V1", "sal", 6), ("V2", "mql", 7), ("V2", "rejected", 8), ("V3", "mql", 9),
                  ("V3", "recycled", 10), ("V4", "mql", 11), ("V4", "sql", 15), ("V5", "mql", 12), ("W1", "mql", 5),
                  ("P1", "opportunity", 10), ("P1", "won", 20)]
JANUARY = Filters(date(2026, 1, 1), date(2026, 1, 31), as_of=date(2026, 1, 31))


def build_verdict_store(path):
    con = db.open_store(path)
    con.execute("insert into campaigns (campaign_id, campaign_name, channel) values ('cV', 'Mixed verdicts', "
                "'Events'), ('cW', 'Awaiting sales', 'Webinars'), ('cD', 'Deals only', 'Partner')")
    con.execute("insert into campaign_spend (campaign_id, spend_date, spend_amount) values ('cV', '2026-01-05', 300)")
    for lead_id, campaign in VERDICT_LEADS.items():
        con.execute("insert into leads (lead_id, created_at, campaign_id) values (?, '2026-01-02', ?)",
                    [lead_id, campaign])
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, 'lead', '2026-01-02')",
                    [lead_id])
    for lead_id, stage, day in VERDICT_EVENTS:
        con.execute("insert into stage_events (lead_id, stage, entered_at) values (?, ?, ?)",
                    [lead_id, stage, date(2026, 1, day)])
    con.execute("insert into opportunities (opportunity_id, lead_id, amount, created_at, closed_at, is_closed, "
                "is_won) values ('O1', 'P1', 1000, '2026-01-10', '2026-01-20', true, true)")
    marts.refresh(con)
    return con


@pytest.fixture
def verdict_store(tmp_path):
    con = build_verdict_store(tmp_path / "verdicts.duckdb")
    yield con
    con.close()


def test_verdict_shares_are_of_the_mqls_sales_gave_a_verdict_on(verdict_store):
    table = roi.campaign_roi(verdict_store.cursor(), JANUARY).set_index("campaign_name")
    mixed = table.loc["Mixed verdicts"]
    # cV: 5 MQLs, 4 with a verdict (V5 awaits): 2 accepted (V1, V4), 1 rejected (V2), 1 recycled (V3) -> accepted
    # 2 / 4 = 50%, rejected 1 / 4 = 25%; V5 is in neither share (by MQLs it would read 2 / 5 = 40%).
    assert (mixed["mqls"], mixed["worked"], mixed["accepted"], mixed["rejected"]) == (5, 4, 2, 1)
    assert (mixed["acceptance_rate"], mixed["rejection_rate"]) == (0.5, 0.25)
    for counted, rate in (("acceptance", 2), ("rejection", 1)):
        low, high = wilson_interval(pd.Series([rate]), pd.Series([4]))
        assert (mixed[f"{counted}_ci_low"], mixed[f"{counted}_ci_high"]) == (low[0], high[0])
    # cW: one MQL, no verdict yet; cD: its MQL and SAL are only inferred from the deal, no verdict was given.
    # Neither has a share to show (before: cW 0% accepted, cD 100% accepted and 0% rejected).
    for name in ("Awaiting sales", "Deals only"):
        row = table.loc[name]
        assert (row["mqls"], row["worked"]) == (1, 0)
        assert row[["acceptance_rate", "rejection_rate", "acceptance_ci_low", "rejection_ci_low"]].isna().all()


def test_verdicts_follow_the_channel_filter_and_level(verdict_store):
    # By channel: Events holds cV's four verdicts; the channel filter keeps only it.
    only = roi.campaign_roi(verdict_store.cursor(), replace(JANUARY, channels=("Events",)), level="channel")
    assert only[["channel", "worked", "accepted", "rejected"]].values.tolist() == [["Events", 4, 2, 1]]


def test_blended_cac_needs_both_sides_costs(verdict_store):
    def summary():
        return roi.acquisition_cost_summary(verdict_store.cursor(), JANUARY).iloc[0]

    # One new customer (O1, won Jan 20) on 300 of spend: program CAC 300. No other cost is loaded, so a
    # "blended" CAC would be the same 300 under a name that promises every cost: it stays empty.
    row = summary()
    assert (row["new_customers"], row["program_cac"]) == (1, 300.0)
    assert pd.isna(row["blended_cac"]) and not row["has_marketing_cost"] and not row["has_sales_cost"]
    # Marketing's January people cost alone: still half a blend.
    verdict_store.execute("insert into acquisition_costs (cost_month, side, category, amount) values "
                          "('2026-01-01', 'marketing', 'people', 3100)")
    row = summary()
    assert pd.isna(row["blended_cac"]) and row["has_marketing_cost"] and not row["has_sales_cost"]
    # With sales' 6,200 too: (300 + 3,100 + 6,200) / 1 = 9,600.
    verdict_store.execute("insert into acquisition_costs (cost_month, side, category, amount) values "
                          "('2026-01-01', 'sales', 'people', 6200)")
    assert summary()["blended_cac"] == 9600.0
