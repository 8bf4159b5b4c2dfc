"""The demo company: shape, realism, the five stories, determinism and the build's guard rails.

One 20,000-lead demo is built per module; every number is recomputed here with SQL over the raw
tables, never read back from the generator.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from data import db, demo
from data.__main__ import main

TODAY = dt.date(2026, 2, 15)
N_LEADS = 20_000
WINDOW_START = dt.date(2024, 2, 1)  # first day of the 24 months before February 2026
TIMESTAMPS = {
    "leads": ["created_at"],
    "stage_events": ["entered_at"],
    "touchpoints": ["touched_at"],
    "opportunities": ["created_at", "closed_at"],
    "sales_activities": ["occurred_at"],
    "sales_feedback": ["created_at", "responded_at"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    counts = demo.build_demo_file(path, n_leads=N_LEADS, seed=7, today=TODAY)
    con = db.connect(path, read_only=True)
    yield path, counts, con
    con.close()


@pytest.fixture(scope="module")
def con(built) -> duckdb.DuckDBPyConnection:
    return built[2]


def one(con, sql: str, params=None):
    return con.execute(sql, params or []).fetchone()[0]


# --- the build ----------------------------------------------------------------------------------

def test_counts_returned_equal_rows_in_tables(built):
    _, counts, con = built
    assert set(counts) == set(demo.TABLES)
    for table, rows in counts.items():
        assert one(con, f"select count(*) from {table}") == rows, table


def test_load_is_logged(built):
    _, counts, con = built
    loads = con.execute("select loaded_by, source_system, description, row_count from data_loads").fetchall()
    assert len(loads) == 1
    loaded_by, source, description, rows = loads[0]
    assert (loaded_by, source, rows) == ("demo", "demo", sum(counts.values()))
    assert "seed 7" in description and "20,000" in description


def test_marts_are_built(con):
    assert one(con, "select count(*) from mart_lead_funnel") == one(con, "select count(*) from leads")


def test_record_ids_are_unique(con):
    # No index enforces it (data/migrations/009): the generator numbers its records.
    assert one(con, "select count(*) = count(distinct lead_id) from leads")
    assert one(con, "select count(*) = count(distinct opportunity_id) from opportunities")


def test_refuses_a_store_that_holds_data(built, tmp_path):
    path, _, _ = built
    with pytest.raises(demo.DemoError, match="not empty"):
        demo.build_demo_file(path, n_leads=2_000, today=TODAY)
    other = tmp_path / "other.duckdb"
    demo.build_demo_file(other, n_leads=2_000, today=TODAY)
    con = db.connect(other)
    try:
        with pytest.raises(demo.DemoError, match="already holds data"):
            demo.build_demo(con, n_leads=2_000, today=TODAY)
        assert one(con, "select count(*) from data_loads") == 1
    finally:
        con.close()


def test_replace_rebuilds_the_file(tmp_path):
    path = tmp_path / "again.duckdb"
    demo.build_demo_file(path, n_leads=2_000, seed=1, today=TODAY)
    counts = demo.build_demo_file(path, n_leads=3_000, seed=1, today=TODAY, replace=True)
    con = db.connect(path, read_only=True)
    try:
        assert one(con, "select count(*) from leads") == counts["leads"]
        assert one(con, "select count(*) from data_loads") == 1
        assert one(con, "select count(*) from leads where created_at >= ?", [WINDOW_START]) == 3_000
    finally:
        con.close()


def test_too_few_leads_is_refused(tmp_path):
    with pytest.raises(demo.DemoError, match="at least 1,000"):
        demo.build_demo_file(tmp_path / "tiny.duckdb", n_leads=10, today=TODAY)
    assert not (tmp_path / "tiny.duckdb").exists()


def test_cli_builds_and_prints_counts(tmp_path, capsys):
    path = tmp_path / "cli.duckdb"
    args = ["demo", "--db", str(path), "--leads", "2000", "--seed", "3", "--today", "2026-02-15"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "touchpoints" in out and "total" in out and "Built the demo company" in out
    assert main(args) == 1
    assert "--replace" in capsys.readouterr().err
    assert main(args + ["--replace"]) == 0


def _fingerprint(path) -> dict[str, str]:
    con = db.connect(path, read_only=True)
    try:
        return {t: one(con, f"select md5(string_agg(r::varchar, '|' order by r::varchar)) from {t} as r")
                for t in demo.TABLES}
    finally:
        con.close()


def test_same_seed_and_day_give_identical_data(tmp_path):
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        demo.build_demo_file(tmp_path / f"{name}.duckdb", n_leads=3_000, seed=seed, today=TODAY)
    first, second, other = (_fingerprint(tmp_path / f"{n}.duckdb") for n in "abc")
    assert first == second
    assert first["leads"] != other["leads"] and first["touchpoints"] != other["touchpoints"]


@pytest.mark.parametrize("today", [dt.date(2025, 1, 1), dt.date(2025, 12, 31)])
def test_any_day_of_the_year_builds(tmp_path, today):
    path = tmp_path / "edge.duckdb"
    demo.build_demo_file(path, n_leads=2_000, today=today)
    con = db.connect(path, read_only=True)
    try:
        assert one(con, "select max(entered_at) from stage_events") < dt.datetime.combine(today, dt.time())
        year = one(con, "select count(*) from goals where period_type = 'year' and period_start = ?",
                   [dt.date(today.year, 1, 1)])
        assert year == 6
    finally:
        con.close()


# --- shape --------------------------------------------------------------------------------------

def test_leads_cover_24_months_ending_today(con):
    assert one(con, "select count(*) from leads where created_at >= ?", [WINDOW_START]) == N_LEADS
    # Leads from before the window are only those still being worked inside it.
    stale = one(con, """select count(*) from leads as l where l.created_at < ? and not exists (
                            select 1 from stage_events as e where e.lead_id = l.lead_id and e.entered_at >= ?)""",
                [WINDOW_START, WINDOW_START])
    assert stale == 0
    assert one(con, "select min(spend_date) from campaign_spend") == WINDOW_START


def test_nothing_happens_after_today(con):
    start_of_today = dt.datetime.combine(TODAY, dt.time())
    for table, columns in TIMESTAMPS.items():
        for column in columns:
            assert one(con, f"select max({column}) from {table}") < start_of_today, f"{table}.{column}"
    assert one(con, "select max(spend_date) from campaign_spend") < TODAY


def test_channels_campaigns_and_daily_spend(con):
    assert one(con, "select count(distinct source_channel) from leads") >= 6
    assert one(con, "select count(*) from campaigns") >= 40
    no_spend = one(con, """select count(*) from campaigns as c
                           where not exists (select 1 from campaign_spend as s where s.campaign_id = c.campaign_id)""")
    assert no_spend == 0
    # Daily grain: an always-on campaign has a row for every day of the window.
    days = (TODAY - WINDOW_START).days
    assert one(con, "select max(n) from (select count(*) as n from campaign_spend group by campaign_id)") == days
    assert one(con, "select count(*) from leads where campaign_id not in (select campaign_id from campaigns)") == 0


def test_teams_and_reps(con):
    assert one(con, """select count(*) from reps as r join teams as t using (team_id)
                       where t.team_function in ('marketing', 'sdr', 'ae')""") >= 20
    functions = dict(con.execute("select team_function, count(*) from teams group by 1").fetchall())
    assert functions == {"marketing": 2, "sdr": 3, "ae": 2}
    misplaced_managers = one(con, """select count(*) from teams as t left join reps as r on r.rep_id = t.manager_rep_id
                                     where r.team_id is distinct from t.team_id or r.rep_role <> 'manager'""")
    assert misplaced_managers == 0


def test_leads_owned_by_an_sdr_of_their_region(con):
    wrong = one(con, """select count(*) from leads as l join reps as r on r.rep_id = l.owner_rep_id
                        join teams as t using (team_id)
                        where t.team_function <> 'sdr' or r.rep_role <> 'sdr' or t.region <> l.region""")
    assert wrong == 0
    assert one(con, "select count(*) from leads where owner_rep_id is null") == 0
    values = {c: {r[0] for r in con.execute(f"select distinct {c} from leads").fetchall()}
              for c in ("segment", "region")}
    assert values == {"segment": {"SMB", "Mid-Market", "Enterprise"}, "region": {"Americas", "EMEA", "APAC"}}
    assert one(con, "select min(score) >= 0 and max(score) <= 100 from leads")


def test_every_lead_enters_at_creation(con):
    assert one(con, """select count(*) from leads as l left join stage_events as e
                       on e.lead_id = l.lead_id and e.stage = 'lead' and e.entered_at = l.created_at
                       where e.lead_id is null""") == 0


# --- the funnel ---------------------------------------------------------------------------------

REACHED = """
with reached as (
    select lead_id,
        bool_or(stage in ('mql', 'sal', 'sql', 'opportunity', 'won', 'lost')) as mql,
        bool_or(stage in ('sal', 'sql', 'opportunity', 'won', 'lost')) as sal,
        bool_or(stage in ('sql', 'opportunity', 'won', 'lost')) as sql,
        bool_or(stage in ('opportunity', 'won', 'lost')) as opportunity,
        bool_or(stage = 'won') as won
    from stage_events
    group by lead_id
)
"""


def test_mature_cohort_converts_within_b2b_benchmarks(con):
    # Leads created in the window's first year have had a year to move; later stages are
    # counted as passing the skipped ones (the store's skipped-stage rule).
    lead_mql, mql_sal, sal_sql, sql_opp, sql_won = con.execute(REACHED + """
        select avg(mql::int), sum(sal::int) / sum(mql::int), sum(sql::int) / sum(sal::int),
               sum(opportunity::int) / sum(sql::int), sum(won::int) / sum(sql::int)
        from reached join leads using (lead_id)
        where created_at >= ? and created_at < ?""", [WINDOW_START, dt.date(2025, 2, 1)]).fetchone()
    assert 0.10 <= lead_mql <= 0.25
    assert 0.40 <= mql_sal <= 0.60
    assert 0.50 <= sal_sql <= 0.70
    assert 0.70 <= sql_opp <= 0.90
    assert 0.20 <= sql_won <= 0.30


def test_stage_times_are_realistic(con):
    median_days = dict(con.execute("""
        with firsts as (
            select l.segment, e.lead_id,
                min(entered_at) filter (where stage = 'opportunity') as opened,
                min(entered_at) filter (where stage in ('won', 'lost')) as closed
            from stage_events as e join leads as l using (lead_id) group by all)
        select segment, median(epoch(closed - opened) / 86400) from firsts where closed is not null group by 1
    """).fetchall())
    assert all(20 <= days <= 130 for days in median_days.values()), median_days
    assert median_days["Enterprise"] > median_days["Mid-Market"] > median_days["SMB"]
    amounts = dict(con.execute("""select l.segment, median(o.amount) from opportunities as o
                                  join leads as l using (lead_id) group by 1""").fetchall())
    assert amounts["SMB"] < amounts["Mid-Market"] < amounts["Enterprise"]


def test_skipped_and_repeated_stages_exist(con):
    sql_without_sal = one(con, """select avg((sals = 0)::int) from (
        select count_if(stage = 'sal') as sals from stage_events
        group by lead_id having count_if(stage = 'sql') > 0)""")
    assert 0.005 <= sql_without_sal <= 0.05
    requalified = one(con, """select count(*) from (
        select lead_id from stage_events group by lead_id
        having count(*) filter (where stage = 'mql') = 2
           and min(entered_at) filter (where stage = 'recycled') < max(entered_at) filter (where stage = 'mql'))""")
    assert requalified > 50
    detours = dict(con.execute("select stage, count(*) from stage_events group by 1").fetchall())
    assert all(detours.get(s, 0) > 100 for s in ("rejected", "recycled", "disqualified", "lost"))


def test_opportunities_match_their_stage_events(con):
    assert one(con, """select count(*) from opportunities as o left join stage_events as e
                       on e.opportunity_id = o.opportunity_id and e.stage = 'opportunity'
                          and e.entered_at = o.created_at and e.lead_id = o.lead_id
                       where e.lead_id is null""") == 0
    assert one(con, "select count(*) from stage_events where stage = 'opportunity'") == \
        one(con, "select count(*) from opportunities")
    # Closed deals have exactly the matching won or lost event, open ones neither.
    mismatched = one(con, """
        select count(*) from opportunities as o
        left join stage_events as e on e.opportunity_id = o.opportunity_id and e.stage in ('won', 'lost')
        where (o.is_closed and (e.stage is distinct from case when o.is_won then 'won' else 'lost' end
                                or e.entered_at <> o.closed_at))
           or (not o.is_closed and e.stage is not null)""")
    assert mismatched == 0
    assert one(con, "select count(*) from opportunities where is_closed and not is_won and lost_reason is null") == 0
    assert one(con, """select count(*) from opportunities as o join reps as r on r.rep_id = o.owner_rep_id
                       where r.rep_role <> 'ae'""") == 0
    assert one(con, """select count(*) from opportunities as o join leads as l using (lead_id)
                       where o.primary_campaign_id <> l.campaign_id""") == 0


def test_recent_records_are_still_open(con):
    # Deals close 30-120 days after opening, so the last few months' deals are still open.
    open_deals = one(con, "select count(*) from opportunities where not is_closed")
    assert open_deals > 0.03 * one(con, "select count(*) from opportunities")
    assert one(con, "select count(*) from opportunities where not is_closed and created_at < ? - interval 210 day",
               [TODAY]) == 0
    unclosed_recent = one(con, """select avg((current_stage not in ('won', 'lost', 'rejected', 'disqualified'))::int)
                                  from mart_lead_funnel where mql_at >= ? - interval 14 day""", [TODAY])
    assert unclosed_recent > 0.6


# --- touchpoints, activities, feedback, goals, SLAs ---------------------------------------------

def test_touchpoint_paths(con):
    per_lead = one(con, "select count(*) / count(distinct lead_id) from touchpoints")
    assert 8 <= per_lead <= 12
    assert one(con, "select count(*) = count(distinct touchpoint_id) from touchpoints")
    first_not_own = one(con, """
        select count(*) from (select lead_id, arg_min(campaign_id, touched_at) as campaign_id,
                                     min(touched_at) as touched_at from touchpoints group by 1) as f
        join leads as l using (lead_id)
        where f.campaign_id <> l.campaign_id or f.touched_at > l.created_at""")
    assert first_not_own == 0
    deep, shallow = con.execute("""
        with paths as (select lead_id, count(*) as n from touchpoints group by 1)
        select avg(n) filter (where opportunity_at is not null), avg(n) filter (where mql_at is null)
        from paths join mart_lead_funnel using (lead_id)""").fetchone()
    assert deep > 2 * shallow
    kinds = {r[0] for r in con.execute("select distinct touch_type from touchpoints").fetchall()}
    assert {"ad_click", "form_fill", "email_click", "webinar_attended", "event_visit", "content_download",
            "demo_request", "sales_meeting"} <= kinds
    assert one(con, "select count(*) from touchpoints where content_asset like 'Webinar: %'") > 0


def test_touches_come_from_running_campaigns(con):
    outside = one(con, """select count(*) from touchpoints as t join campaigns as c using (campaign_id)
                          where t.touched_at < c.start_date or t.touched_at >= c.end_date + interval 1 day""")
    assert outside == 0


FIRST_TOUCH = """
with mqls as (
    select e.lead_id, e.entered_at, l.owner_rep_id from stage_events as e join leads as l using (lead_id)
    where e.stage = 'mql' and isodow(e.entered_at) <= 5 and hour(e.entered_at) between 9 and 15
      and e.entered_at < ? - interval 3 day
),
first_touch as (
    select m.lead_id, m.entered_at, m.owner_rep_id,
        min(a.occurred_at) filter (where not a.is_automated) as touched_at
    from mqls as m join sales_activities as a on a.lead_id = m.lead_id and a.occurred_at >= m.entered_at
    group by all
)
"""


def test_sdrs_answer_mqls_in_minutes_and_auto_emails_are_flagged(con):
    # MQLs arriving in office hours, so wall-clock minutes are business minutes.
    median, untouched = con.execute(FIRST_TOUCH + """
        select median(epoch(touched_at - entered_at) / 60), avg((touched_at is null)::int) from first_touch""",
                                    [TODAY]).fetchone()
    assert 10 <= median <= 40
    assert untouched == 0
    assert one(con, "select bool_and(is_automated = (activity_type = 'auto_email')) from sales_activities")
    assert one(con, "select count(*) from sales_activities where is_automated") > 0


def test_feedback_follows_the_governed_reasons(con):
    assert one(con, "select count(*) from sales_feedback where verdict = 'reject' and reason_code is null") == 0
    assert one(con, """select count(*) from sales_feedback where reason_code is not null
                       and reason_code not in (select reason_code from feedback_reasons)""") == 0
    # Every rejection carries feedback with its reason.
    assert one(con, "select count(*) from sales_feedback where verdict = 'reject'") == \
        one(con, "select count(*) from stage_events where stage = 'rejected'")
    retired = one(con, """select max(f.created_at) from sales_feedback as f
                          join feedback_reasons as r using (reason_code) where not r.is_active""")
    assert retired < dt.datetime.combine(TODAY, dt.time()) - dt.timedelta(days=365)
    verdicts = {r[0] for r in con.execute("select distinct verdict from sales_feedback").fetchall()}
    assert verdicts == {"accept", "reject", "recycle", "rating"}
    assert one(con, "select count(*) from sales_feedback where verdict = 'rating' and campaign_id is null") == 0
    statuses = dict(con.execute("select status, count(*) from sales_feedback group by 1").fetchall())
    assert set(statuses) == {"open", "acknowledged", "action_planned", "resolved"}
    answered_badly = one(con, """select count(*) from sales_feedback where (status = 'open') <> (responded_at is null)
                                 or responded_at < created_at or (status <> 'open' and response_note is null)""")
    assert answered_badly == 0


def test_goals_cover_every_period_near_actuals(con):
    metrics = {"leads": "marketing", "mqls": "marketing", "sqls": "sales", "opportunities_created": "sales",
               "pipeline_created": "sales", "won_revenue": "shared"}
    owners = dict(con.execute("select distinct metric_name, owner_team from goals").fetchall())
    assert owners == metrics
    periods = dict(con.execute("select period_type, count(distinct period_start) from goals group by 1").fetchall())
    assert periods == {"month": 25, "quarter": 8, "year": 2}  # Feb 2024 - Feb 2026, Q2 2024 - Q1 2026, 2025 - 2026
    assert one(con, "select count(*) from goals where scope_type <> 'all'") == 0
    assert one(con, "select target from goals where goal_id = 'g-mqls-month-2026-01'") > 0
    assert one(con, "select count(*) from goals where goal_id = 'g-won_revenue-quarter-2026-Q1'") == 1
    attainment = [r[0] for r in con.execute("""
        select count(*) / any_value(g.target) from goals as g join leads as l
            on l.created_at >= g.period_start and l.created_at < g.period_start + interval 1 month
        where g.metric_name = 'leads' and g.period_type = 'month' and g.period_start < ?
        group by g.goal_id""", [dt.date(2026, 2, 1)]).fetchall()]
    assert len(attainment) == 24 and all(0.85 <= a <= 1.05 for a in attainment)


def test_sla_policies(con):
    policies = {r[0]: r[1:] for r in con.execute("select policy_id, side, threshold, unit from sla_policy").fetchall()}
    assert policies["sla-first-touch"] == ("sales", 15.0, "minutes")
    assert policies["sla-acceptance"] == ("marketing", 0.5, "ratio")
    side, threshold, unit = policies["sla-mql-volume"]
    assert (side, unit) == ("marketing", "count") and threshold > 0


# --- the five stories ---------------------------------------------------------------------------

def test_story_giveaway_campaign_is_rejected_most(con):
    rows = con.execute("""
        with per_lead as (
            select lead_id, bool_or(stage = 'mql') as mql, bool_or(stage = 'rejected') as rejected
            from stage_events group by 1)
        select c.campaign_name, count(*) as leads, count(*) filter (where mql) as mqls,
               avg(rejected::int) filter (where mql) as rejection_rate
        from per_lead join leads using (lead_id) join campaigns as c using (campaign_id)
        group by 1 having count(*) filter (where mql) >= 100 order by rejection_rate desc""").fetchall()
    name, leads, mqls, rate = rows[0]
    assert name == demo.GIVEAWAY_CAMPAIGN == "Paid Social – Free Template Giveaway"
    assert 0.5 <= rate <= 0.7 and rows[1][3] < rate - 0.1
    assert leads == max(r[1] for r in rows) and mqls == max(r[2] for r in rows)
    reasons = [r[0] for r in con.execute("""
        select reason_code from sales_feedback as f join leads as l using (lead_id)
        join campaigns as c on c.campaign_id = l.campaign_id
        where f.verdict = 'reject' and c.campaign_name = ? group by 1 order by count(*) desc limit 2""",
                                         [name]).fetchall()]
    assert set(reasons) == {"student_or_job_seeker", "wrong_persona"}


def test_story_paid_social_cheap_leads_expensive_wins(con):
    rows = con.execute("""
        with spend as (select c.channel, sum(s.spend_amount) as spend from campaign_spend as s
                       join campaigns as c using (campaign_id) group by 1),
             volume as (select l.source_channel as channel, count(*) as leads,
                               count(*) filter (where o.is_won) as won
                        from leads as l left join opportunities as o using (lead_id)
                        where l.created_at >= ? group by 1)
        select channel, spend / leads as cost_per_lead, spend / nullif(won, 0) as cost_per_win
        from spend join volume using (channel)""", [WINDOW_START]).fetchall()
    by_lead = min(rows, key=lambda r: r[1])
    by_win = max(rows, key=lambda r: r[2] or float("inf"))
    assert by_lead[0] == by_win[0] == demo.CHEAP_LEAD_CHANNEL == "Paid Social"
    assert len(rows) >= 6 and all(r[1] > 0 for r in rows)


def test_story_sdr_emea_breaches_the_first_touch_sla(con):
    rows = con.execute(FIRST_TOUCH + """
        select r.team_id, median(epoch(touched_at - entered_at) / 60) as median_minutes,
               avg((epoch(touched_at - entered_at) / 60 > 60)::int) as over_an_hour
        from first_touch join reps as r on r.rep_id = first_touch.owner_rep_id
        group by 1 order by median_minutes desc""", [TODAY]).fetchall()
    team, median, over_an_hour = rows[0]
    assert team == demo.SLOW_SDR_TEAM == "sdr-emea"
    assert median > 45 and over_an_hour > 0.4
    assert all(r[1] <= 20 for r in rows[1:])


def test_story_last_quarter_missed_its_revenue_target(con):
    quarter = demo.behind_quarter(TODAY)
    assert quarter == dt.date(2025, 10, 1)
    attainment = dict(con.execute("""
        select g.period_start, coalesce(sum(o.amount), 0) / any_value(g.target)
        from goals as g left join opportunities as o
            on o.is_won and o.closed_at >= g.period_start and o.closed_at < g.period_start + interval 3 month
        where g.metric_name = 'won_revenue' and g.period_type = 'quarter' and g.period_start < ?
        group by 1""", [dt.date(2026, 1, 1)]).fetchall())
    assert attainment[quarter] < 0.85
    assert all(a >= 0.9 for q, a in attainment.items() if q != quarter), attainment


def test_story_sql_to_opportunity_slowed_down(con):
    recent, earlier = con.execute("""
        with steps as (
            select lead_id, min(entered_at) filter (where stage = 'sql') as sql_at,
                   min(entered_at) filter (where stage = 'opportunity') as opportunity_at
            from stage_events group by 1)
        select median(epoch(opportunity_at - sql_at) / 86400) filter (where opportunity_at >= ? - interval 90 day),
               median(epoch(opportunity_at - sql_at) / 86400) filter (where opportunity_at < ? - interval 90 day)
        from steps where opportunity_at is not null""", [TODAY, TODAY]).fetchone()
    assert demo.SLOW_STAGE == ("sql", "opportunity")
    assert recent >= 1.5 * earlier
