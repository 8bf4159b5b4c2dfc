"""The demo company: a deterministic B2B SaaS sales-and-marketing history to explore Tandem with.

`build_demo(con)` fills an empty store with 24 months ending `today`: campaigns with daily spend,
leads with their stage events, touchpoints, sales activities, opportunities, sales feedback,
goals and SLA policies. The same seed and `today` give identical data. Everything is generated
as whole numpy arrays and bulk-loaded through Arrow, so a million leads build in under a minute.

Leads created up to a year before the window that are still being worked inside it are kept
too, so the first months of the window already have a pipeline instead of ramping up from zero.
Nothing happens at or after the start of `today`.

Stories a review meeting should find (the UI and the tests read the constants named here):

1. GIVEAWAY_CAMPAIGN, "Paid Social – Free Template Giveaway": the most leads and MQLs of any
   campaign, but sales rejects about 60% of its MQLs, mostly as student_or_job_seeker or
   wrong_persona.
2. CHEAP_LEAD_CHANNEL, "Paid Social": the lowest cost per lead of any channel and the highest
   cost per won deal.
3. SLOW_SDR_TEAM, "sdr-emea" (SDR EMEA): median first touch on MQLs far over the 15-minute SLA,
   many after more than an hour.
4. behind_quarter(today), the last complete quarter: won revenue about 25% below its target.
5. SLOW_STAGE, SQL -> opportunity: the median days between them roughly doubled for
   opportunities created in the last SLOWDOWN_DAYS days.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from data import db, marts, schema
from data.feedback import STANDARD_REASONS_BY
from data.stages import ALL_STAGES

GIVEAWAY_CAMPAIGN = "Paid Social – Free Template Giveaway"
CHEAP_LEAD_CHANNEL = "Paid Social"
SLOW_SDR_TEAM = "sdr-emea"
SLOW_STAGE = ("sql", "opportunity")
SLOWDOWN_DAYS = 90
BEHIND_RATIO = 0.75  # won revenue / target in the behind quarter

WINDOW_MONTHS = 24
BURN_IN_DAYS = 365  # simulated before the window so its first months start with a running pipeline
LOAD_SOURCE = "demo"

# Tables build_demo fills, in load order (references first).
TABLES = ("teams", "reps", "campaigns", "campaign_spend", "leads", "stage_events", "touchpoints",
          "opportunities", "sales_activities", "goals", "feedback_reasons", "sales_feedback",
          "sla_policy", "web_traffic", "acquisition_costs")

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
REGIONS = ("Americas", "EMEA", "APAC")
COMPANY_SIZES = ("1-49", "50-199", "200-999", "1,000-4,999", "5,000+")
# P(company size | segment)
SIZE_MIX = np.array([[0.55, 0.45, 0, 0, 0], [0, 0.1, 0.9, 0, 0], [0, 0, 0.05, 0.55, 0.4]])
SEGMENT_WIN = np.array([1.1, 1.0, 0.8])     # win-rate multiplier
SEGMENT_PACE = np.array([0.8, 1.0, 1.6])    # Enterprise moves slower between stages
CLOSE_DAYS = np.array([35.0, 60.0, 100.0])  # median days from opportunity to close
DEAL_MEDIAN = np.array([8_000.0, 30_000.0, 120_000.0])
DEAL_SIGMA = np.array([0.45, 0.5, 0.6])
LOST_REASONS = ("Chose a competitor", "No budget", "No decision", "Timing", "Price", "Missing feature")
LOST_MIX = np.array([0.28, 0.18, 0.22, 0.14, 0.1, 0.08])

# Seasonality: Q1 and September peaks, a summer dip and a December dip; quiet weekends.
MONTH_SEASON = np.array([1.10, 1.15, 1.20, 1.00, 0.97, 0.88, 0.72, 0.68, 1.18, 1.08, 1.00, 0.62])
WEEKDAY_SEASON = np.array([1.0, 1.05, 1.05, 1.0, 0.9, 0.25, 0.2])
GROWTH_PER_YEAR = 0.18

# Decisions sales makes on an MQL.
UNWORKED, ACCEPTED, REJECTED, RECYCLED = 0, 1, 2, 3


# --- the organisation ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Team:
    team_id: str
    name: str
    function: str
    region: str | None
    members: int  # besides the manager
    response_minutes: float = 0.0  # SDRs: median minutes to first touch on an MQL


TEAMS = (
    Team("demand-gen", "Demand Gen", "marketing", None, 5),
    Team("field-marketing", "Field Marketing", "marketing", None, 3),
    Team("sdr-americas", "SDR Americas", "sdr", "Americas", 6, 13.0),
    # Understaffed for its volume: the slow follow-up story.
    Team("sdr-emea", "SDR EMEA", "sdr", "EMEA", 4, 85.0),
    Team("sdr-apac", "SDR APAC", "sdr", "APAC", 3, 14.0),
    Team("ae-mid-market", "AE Mid-Market", "ae", None, 5),
    Team("ae-enterprise", "AE Enterprise", "ae", None, 4),
)
FIRST_NAMES = ("Ava", "Ben", "Chloe", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonas",
               "Kemi", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rafael", "Sofia", "Tom",
               "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Aaron", "Bianca", "Carlos", "Dana",
               "Emil", "Fiona", "Gustav", "Hana", "Ivan", "Julia")
LAST_NAMES = ("Okafor", "Schmidt", "Tanaka", "Garcia", "Novak", "Haddad", "Lindqvist", "Murphy",
              "Rossi", "Chen", "Dubois", "Kowalski", "Patel", "Silva", "Berg", "Nakamura", "Walsh",
              "Moreau", "Ivanova", "Brooks", "Fischer", "Costa", "Mensah", "Larsen", "Ortiz", "Kim",
              "Adeyemi", "Hughes", "Sato", "Romero", "Weber", "Ali", "Jensen", "Park", "Rahman", "Ng")


@dataclass(frozen=True)
class Org:
    """Reps as parallel arrays; index i is rep_ids[i]."""

    rep_ids: list[str]
    team_of: np.ndarray          # team index per rep
    managers: dict[str, int]     # team_id -> rep index of its manager
    members: dict[str, np.ndarray]

    def team_members(self, team_id: str) -> np.ndarray:
        return self.members[team_id]


def _org() -> tuple[Org, pa.Table, pa.Table]:
    rows, team_rows = [], []
    managers, members, team_of = {}, {}, []
    for t, team in enumerate(TEAMS):
        first = len(rows)
        for k in range(team.members + 1):
            i = len(rows)
            first_name, last_name = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
            role = "manager" if k == 0 else team.function
            rows.append((f"rep-{i + 1:03d}", f"{first_name} {last_name}",
                         f"{first_name}.{last_name}@tandem-demo.example".lower(), team.team_id, role,
                         team.region, None if k == 0 else f"rep-{first + 1:03d}"))
            team_of.append(t)
        managers[team.team_id] = first
        members[team.team_id] = np.arange(first + 1, len(rows))
        team_rows.append((team.team_id, team.name, team.function, team.region, f"rep-{first + 1:03d}"))
    reps = pa.table(list(map(list, zip(*rows))), names=["rep_id", "rep_name", "email", "team_id",
                                                       "rep_role", "region", "manager_rep_id"])
    teams = pa.table(list(map(list, zip(*team_rows))),
                     names=["team_id", "team_name", "team_function", "region", "manager_rep_id"])
    org = Org([r[0] for r in rows], np.array(team_of), managers, members)
    return org, teams, reps


# --- channels and campaigns ---------------------------------------------------------------------

@dataclass(frozen=True)
class Rates:
    """Per-step probabilities. reject/recycle are sales' other decisions on an MQL besides accept."""

    mql: float
    sal: float
    reject: float
    recycle: float
    sql: float
    opportunity: float
    win: float


@dataclass(frozen=True)
class Channel:
    name: str
    cost_per_lead: float
    rates: Rates
    segment_mix: tuple[float, float, float]
    first_touch: str
    touch_weight: float                      # how often it touches leads already in the funnel
    touch_mix: tuple[tuple[str, float], ...]  # touch types of its later touches


CHANNELS = (
    Channel("Paid Search", 62, Rates(0.17, 0.52, 0.25, 0.15, 0.62, 0.80, 0.32), (0.55, 0.32, 0.13),
            "form_fill", 1.0, (("ad_click", 0.8), ("demo_request", 0.2))),
    Channel("Paid Social", 30, Rates(0.14, 0.44, 0.33, 0.14, 0.50, 0.72, 0.10), (0.62, 0.28, 0.10),
            "form_fill", 1.2, (("ad_click", 0.75), ("content_download", 0.25))),
    Channel("Organic Search", 40, Rates(0.17, 0.54, 0.24, 0.14, 0.62, 0.82, 0.33), (0.55, 0.32, 0.13),
            "form_fill", 1.5, (("content_download", 0.6), ("form_fill", 0.2), ("demo_request", 0.2))),
    Channel("Email", 34, Rates(0.14, 0.50, 0.24, 0.18, 0.60, 0.80, 0.30), (0.5, 0.35, 0.15),
            "email_click", 3.0, (("email_click", 0.85), ("content_download", 0.15))),
    Channel("Events", 120, Rates(0.30, 0.58, 0.22, 0.13, 0.65, 0.85, 0.34), (0.25, 0.4, 0.35),
            "event_visit", 0.8, (("event_visit", 0.8), ("sales_meeting", 0.2))),
    Channel("Webinars", 72, Rates(0.22, 0.52, 0.24, 0.16, 0.60, 0.80, 0.31), (0.45, 0.37, 0.18),
            "form_fill", 1.5, (("webinar_attended", 0.9), ("content_download", 0.1))),
    Channel("Partners", 68, Rates(0.26, 0.60, 0.22, 0.12, 0.66, 0.85, 0.36), (0.35, 0.4, 0.25),
            "form_fill", 0.4, (("sales_meeting", 0.5), ("form_fill", 0.3), ("content_download", 0.2))),
    Channel("Content Syndication", 34, Rates(0.14, 0.45, 0.34, 0.15, 0.56, 0.80, 0.28), (0.5, 0.35, 0.15),
            "content_download", 0.4, (("content_download", 1.0),)),
)
CHANNEL_INDEX = {c.name: i for i, c in enumerate(CHANNELS)}
TOUCH_TYPES = ("ad_click", "form_fill", "email_click", "webinar_attended", "event_visit",
               "content_download", "demo_request", "sales_meeting")
TOUCH_INDEX = {t: i for i, t in enumerate(TOUCH_TYPES)}


@dataclass(frozen=True)
class CampaignSpec:
    name: str  # events and webinars: a template taking {year}
    channel: str
    share: float  # relative share of the window's leads
    kind: str = "always"  # always | flight | event | webinar
    start_month: int = 0  # months after the window start
    months: int | None = None  # flight length; None runs on
    region: str | None = None
    cost_per_lead: float | None = None
    rates: Rates | None = None
    segment_mix: tuple[float, float, float] | None = None
    asset: str | None = None  # what its content touches download or attend
    first_touch: str | None = None
    reject_mix: str = "standard"
    rating: float = 3.8  # how sales rates it, 1-5


CAMPAIGNS = (
    CampaignSpec("Paid Search – Brand Terms", "Paid Search", 0.055),
    CampaignSpec("Paid Search – Competitor Terms", "Paid Search", 0.03, rating=3.4),
    CampaignSpec("Paid Search – Category Keywords", "Paid Search", 0.045),
    CampaignSpec("Organic Search – Blog & SEO", "Organic Search", 0.09,
                 asset="Whitepaper: The Sales-Marketing SLA Playbook"),
    CampaignSpec("Organic Search – Product Pages", "Organic Search", 0.05, first_touch="demo_request"),
    CampaignSpec("Organic Search – Free Tools", "Organic Search", 0.02, asset="Checklist: Pipeline Review"),
    CampaignSpec("Email – Monthly Newsletter", "Email", 0.035),
    CampaignSpec("Email – Nurture Program", "Email", 0.045, asset="E-book: B2B Funnel Benchmarks"),
    CampaignSpec("Email – Product Updates", "Email", 0.02),
    CampaignSpec("Partners – Reseller Referrals", "Partners", 0.03, rating=4.3),
    CampaignSpec("Partners – Integration Marketplace", "Partners", 0.025, rating=4.1),
    CampaignSpec("Paid Social – LinkedIn Retargeting", "Paid Social", 0.03, rating=3.2),
    CampaignSpec(GIVEAWAY_CAMPAIGN, "Paid Social", 0.14, "flight", 5, None, cost_per_lead=12,
                 rates=Rates(0.26, 0.27, 0.60, 0.08, 0.36, 0.65, 0.06), segment_mix=(0.85, 0.13, 0.02),
                 asset="Template: Free Marketing Plan Template", first_touch="content_download",
                 reject_mix="giveaway", rating=1.6),
    CampaignSpec("Paid Social – LinkedIn Thought Leadership", "Paid Social", 0.02, "flight", 1, 5),
    CampaignSpec("Paid Social – Enterprise ABM", "Paid Social", 0.015, "flight", 8, 6,
                 cost_per_lead=55, segment_mix=(0.1, 0.35, 0.55), rating=3.9),
    CampaignSpec("Paid Social – Product Launch Video", "Paid Social", 0.015, "flight", 13, 3),
    CampaignSpec("Paid Social – Customer Story Carousel", "Paid Social", 0.015, "flight", 17, 4,
                 asset="Case study: Northwind Logistics"),
    CampaignSpec("Paid Social – Pipeline Calculator Promo", "Paid Social", 0.01, "flight", 21),
    CampaignSpec("Paid Search – EMEA Expansion", "Paid Search", 0.02, "flight", 6, 9, region="EMEA"),
    CampaignSpec("Paid Search – Product Launch Keywords", "Paid Search", 0.015, "flight", 12, 4),
    CampaignSpec("Paid Search – APAC Test", "Paid Search", 0.008, "flight", 16, 3, region="APAC", rating=3.2),
    CampaignSpec("Content Syndication – State of Alignment Report", "Content Syndication", 0.02, "flight", 2, 3,
                 asset="Report: State of Sales-Marketing Alignment", rating=3.0),
    CampaignSpec("Content Syndication – Analyst Guide", "Content Syndication", 0.015, "flight", 7, 3,
                 asset="Whitepaper: Analyst Guide to Revenue Platforms", rating=3.1),
    CampaignSpec("Content Syndication – Buyer's Guide", "Content Syndication", 0.02, "flight", 11, 4,
                 asset="E-book: The Revenue Platform Buyer's Guide", rating=3.0),
    CampaignSpec("Content Syndication – Benchmark Report", "Content Syndication", 0.015, "flight", 16, 3,
                 asset="E-book: B2B Funnel Benchmarks", rating=3.2),
    CampaignSpec("Content Syndication – RevOps Playbook", "Content Syndication", 0.015, "flight", 20,
                 asset="Whitepaper: The RevOps Playbook", rating=3.1),
    CampaignSpec("Partners – Co-marketing Fund", "Partners", 0.01, "flight", 10, 6, rating=4.0),
    CampaignSpec("Events – Regional Roadshow London {year}", "Events", 0.011, "event", 2, region="EMEA"),
    CampaignSpec("Events – SaaS Connect Austin {year}", "Events", 0.013, "event", 4, region="Americas"),
    CampaignSpec("Events – RevOps Summit {year}", "Events", 0.014, "event", 7),
    CampaignSpec("Events – B2B Marketing Expo Berlin {year}", "Events", 0.012, "event", 9, region="EMEA"),
    CampaignSpec("Events – Customer Summit {year}", "Events", 0.01, "event", 13, rating=4.6),
    CampaignSpec("Events – Pipeline Live Singapore {year}", "Events", 0.009, "event", 16, region="APAC"),
    CampaignSpec("Events – RevOps Summit Europe {year}", "Events", 0.013, "event", 19, region="EMEA"),
    CampaignSpec("Events – CMO Dinner Series {year}", "Events", 0.004, "event", 21,
                 segment_mix=(0.0, 0.3, 0.7), rating=4.7),
    CampaignSpec("Webinars – Pipeline Reviews That Work", "Webinars", 0.009, "webinar", 1),
    CampaignSpec("Webinars – Attribution Without Tears", "Webinars", 0.009, "webinar", 3),
    CampaignSpec("Webinars – Lead Scoring 101", "Webinars", 0.009, "webinar", 5),
    CampaignSpec("Webinars – SLAs Sales Actually Keeps", "Webinars", 0.009, "webinar", 8),
    CampaignSpec("Webinars – Forecasting for Marketers", "Webinars", 0.009, "webinar", 10),
    CampaignSpec("Webinars – From MQL to Revenue", "Webinars", 0.009, "webinar", 12),
    CampaignSpec("Webinars – ABM in Practice", "Webinars", 0.009, "webinar", 15),
    CampaignSpec("Webinars – Benchmarks Live {year}", "Webinars", 0.009, "webinar", 18),
    CampaignSpec("Webinars – RevOps Office Hours", "Webinars", 0.009, "webinar", 20),
    CampaignSpec("Webinars – Closing the Feedback Loop", "Webinars", 0.009, "webinar", 23),
)
REGION_MIX = np.array([0.5, 0.3, 0.2])
# Campaigns with a date: days running before and after the live days, and how many live days.
EVENT_SHAPE = (35, 14, 3)
WEBINAR_SHAPE = (21, 45, 1)
BURST_PART = {"event": 0.65, "webinar": 0.45}
BURST_TOUCH_LIFT = 8.0
OWNER_TEAM = {"Events": "field-marketing", "Partners": "field-marketing"}

GENERIC_ASSETS: dict[str, tuple[tuple[str | None, float], ...]] = {
    "ad_click": ((None, 0.85), ("Demo video", 0.15)),
    "form_fill": ((None, 0.6), ("Contact us form", 0.25), ("Pricing page", 0.15)),
    "email_click": ((None, 0.4), ("Newsletter", 0.35), ("Case study: Contoso Health", 0.25)),
    "webinar_attended": (("Webinar: Tandem Product Tour", 1.0),),
    "event_visit": ((None, 1.0),),
    "content_download": (("Whitepaper: The Sales-Marketing SLA Playbook", 0.25),
                         ("Whitepaper: Attribution for B2B", 0.2), ("E-book: B2B Funnel Benchmarks", 0.2),
                         ("Case study: Northwind Logistics", 0.15), ("Case study: Contoso Health", 0.1),
                         ("Checklist: Pipeline Review", 0.1)),
    "demo_request": (("Demo video", 0.6), ("Interactive product tour", 0.4)),
    "sales_meeting": ((None, 1.0),),
}


@dataclass(frozen=True)
class Campaigns:
    """The campaign plan resolved against the calendar, as arrays indexed by campaign."""

    ids: list[str]
    names: list[str]
    channel: np.ndarray
    cost_per_lead: np.ndarray
    rates: np.ndarray          # (campaign, step) in Rates field order
    segment_mix: np.ndarray    # (campaign, segment)
    region_mix: np.ndarray     # (campaign, region)
    first_touch: np.ndarray    # touch type index
    asset: list[str | None]
    reject_mix: np.ndarray     # index into REJECT_MIXES
    rating: np.ndarray
    owner: np.ndarray          # marketing rep index
    start_day: np.ndarray      # clock days, inclusive
    end_day: np.ndarray        # clock days, exclusive
    open_ended: np.ndarray     # no end date (runs on)
    active: np.ndarray         # (day, campaign) running
    burst: np.ndarray          # (day, campaign) live days of events and webinars
    burst_part: np.ndarray     # share of its leads a campaign gets on its live days
    touch_shape: np.ndarray    # (day, campaign) relative touch rate


# --- the clock ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clock:
    """Simulation time is float days since `start`. Day indices are floor(time)."""

    today: dt.date
    start: dt.date           # burn-in start
    window_start: dt.date    # first day of the 24 months
    window_day: int
    as_of_day: int           # start of `today`: nothing happens at or after it
    horizon_day: int         # 1 January next year: simulated only so this year's goals are full-year

    @property
    def epoch_seconds(self) -> int:
        return int((dt.datetime.combine(self.start, dt.time()) - dt.datetime(1970, 1, 1)).total_seconds())

    def date_of(self, day: int | np.ndarray) -> np.datetime64 | np.ndarray:
        return np.datetime64(self.start, "D") + day

    def day_of(self, date: dt.date) -> int:
        return (date - self.start).days


def _add_months(date: dt.date, months: int) -> dt.date:
    index = date.year * 12 + date.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _clock(today: dt.date) -> Clock:
    window_start = _add_months(today.replace(day=1), -WINDOW_MONTHS)
    start = window_start - dt.timedelta(days=BURN_IN_DAYS)
    return Clock(today, start, window_start, BURN_IN_DAYS, (today - start).days,
                 (dt.date(today.year + 1, 1, 1) - start).days)


def _quarter_start(date: dt.date) -> dt.date:
    return dt.date(date.year, 3 * ((date.month - 1) // 3) + 1, 1)


def behind_quarter(today: dt.date) -> dt.date:
    """First day of the quarter whose won revenue falls short of target: the last complete one."""
    return _add_months(_quarter_start(today), -3)


def _day_season(clock: Clock) -> np.ndarray:
    dates = clock.date_of(np.arange(clock.horizon_day))
    month = dates.astype("datetime64[M]").astype(np.int64) % 12
    weekday = (dates.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    years_in = (np.arange(clock.horizon_day) - clock.window_day) / 365.0
    return MONTH_SEASON[month] * WEEKDAY_SEASON[weekday] * (1 + GROWTH_PER_YEAR) ** years_in


def _campaigns(clock: Clock, org: Org) -> Campaigns:
    n = len(CAMPAIGNS)
    days = np.arange(clock.horizon_day)[:, None]
    start, end = np.zeros(n, np.int64), np.zeros(n, np.int64)
    burst_start, burst_len = np.zeros(n, np.int64), np.zeros(n, np.int64)
    names, assets, open_ended = [], [], np.zeros(n, bool)
    for c, spec in enumerate(CAMPAIGNS):
        begin = clock.day_of(_add_months(clock.window_start, spec.start_month))
        if spec.kind == "always":
            start[c], end[c], open_ended[c] = 0, clock.horizon_day, True
        elif spec.kind == "flight":
            start[c] = begin
            if spec.months is None:
                end[c], open_ended[c] = clock.horizon_day, True
            else:
                end[c] = clock.day_of(_add_months(clock.window_start, spec.start_month + spec.months))
        else:
            before, after, length = EVENT_SHAPE if spec.kind == "event" else WEBINAR_SHAPE
            live = begin + (11 if spec.kind == "event" else 15)
            start[c], end[c] = live - before, live + length + after
            burst_start[c], burst_len[c] = live, length
        year = clock.date_of(burst_start[c] or start[c]).astype("datetime64[Y]").astype(int) + 1970
        names.append(spec.name.format(year=year))
        webinar = f"Webinar: {names[-1].split(' – ', 1)[1]}" if spec.kind == "webinar" else None
        assets.append(spec.asset or webinar)
    active = (days >= start) & (days < end)
    burst = (days >= burst_start) & (days < burst_start + burst_len)
    channel = np.array([CHANNEL_INDEX[s.channel] for s in CAMPAIGNS])
    touch_weight = np.array([CHANNELS[i].touch_weight for i in channel])
    # Campaigns of a channel share its touches; bursts (live days) draw the crowd.
    per_channel = np.bincount(channel, minlength=len(CHANNELS))[channel]
    touch_shape = active * touch_weight / per_channel * np.where(burst, BURST_TOUCH_LIFT, 1.0)
    return Campaigns(
        ids=[f"cmp-{c + 1:03d}" for c in range(n)],
        names=names,
        channel=channel,
        cost_per_lead=np.array([s.cost_per_lead or CHANNELS[CHANNEL_INDEX[s.channel]].cost_per_lead
                                for s in CAMPAIGNS], float),
        rates=np.array([list(vars(s.rates or CHANNELS[CHANNEL_INDEX[s.channel]].rates).values())
                        for s in CAMPAIGNS]),
        segment_mix=np.array([s.segment_mix or CHANNELS[CHANNEL_INDEX[s.channel]].segment_mix
                              for s in CAMPAIGNS]),
        region_mix=np.array([_region_mix(s.region) for s in CAMPAIGNS]),
        first_touch=np.array([TOUCH_INDEX[s.first_touch or CHANNELS[CHANNEL_INDEX[s.channel]].first_touch]
                              for s in CAMPAIGNS]),
        asset=assets,
        reject_mix=np.array([list(REJECT_MIXES).index(s.reject_mix) for s in CAMPAIGNS]),
        rating=np.array([s.rating for s in CAMPAIGNS]),
        owner=np.array([_owner(org, s, c) for c, s in enumerate(CAMPAIGNS)]),
        start_day=start,
        end_day=end,
        open_ended=open_ended,
        active=active,
        burst=burst,
        burst_part=np.array([BURST_PART.get(s.kind, 0.0) for s in CAMPAIGNS]),
        touch_shape=touch_shape,
    )


def _region_mix(region: str | None) -> np.ndarray:
    if region is None:
        return REGION_MIX
    mix = np.full(len(REGIONS), 0.05)
    mix[REGIONS.index(region)] = 0.9
    return mix


def _owner(org: Org, spec: CampaignSpec, index: int) -> int:
    team = org.team_members(OWNER_TEAM.get(spec.channel, "demand-gen"))
    return int(team[index % len(team)])


# --- random helpers -----------------------------------------------------------------------------

def _pick(cumulative: np.ndarray, rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Column chosen for each draw u in [0, 1) from row `rows` of a row-wise cumulative table.

    One searchsorted over the flattened table (each row shifted by its index) replaces a loop.
    """
    n_rows, n_cols = cumulative.shape
    flat = (cumulative + np.arange(n_rows)[:, None]).ravel()
    column = np.searchsorted(flat, rows + u, side="right") - rows * n_cols
    return np.minimum(column, n_cols - 1)


def _cumulative(weights: np.ndarray) -> np.ndarray:
    weights = np.atleast_2d(np.asarray(weights, float))
    return np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(n))


def _business_open(t: np.ndarray, clock: Clock) -> np.ndarray:
    """The first moment at or after t inside business hours (09:00-17:00, Monday-Friday)."""
    day = np.floor(np.nan_to_num(t))
    hour = (t - day) * 24
    weekday = (clock.date_of(day.astype(np.int64)).astype(np.int64) + 3) % 7
    workday = weekday < 5
    # After hours: Friday -> Monday is 3 days, Saturday -> Monday 2, any other day 1.
    skip = np.select([weekday == 4, weekday == 5], [3, 2], 1)
    opened = np.where(workday & (hour < 9), day, day + skip) + 9 / 24
    return np.where(np.isnan(t) | (workday & (hour >= 9) & (hour < 17)), t, opened)


def _office(rng: np.random.Generator, t: np.ndarray, clock: Clock) -> np.ndarray:
    """People act in office hours: a moment outside them moves into the next working morning."""
    opened = _business_open(t, clock)
    return np.where(opened > t, opened + rng.random(t.size) * 3 / 24, t)


# --- leads --------------------------------------------------------------------------------------

@dataclass
class Leads:
    """Every simulated lead, sorted by creation time; leads kept for the store are a subset."""

    t: np.ndarray
    campaign: np.ndarray
    segment: np.ndarray
    region: np.ndarray
    sdr: np.ndarray
    account: np.ndarray

    def take(self, index: np.ndarray) -> Leads:
        return Leads(*(getattr(self, f)[index] for f in self.__dataclass_fields__))


def _lead_rates(clock: Clock, plan: Campaigns, n_leads: int) -> np.ndarray:
    """Expected leads per (day, campaign), scaled so the window holds n_leads.

    The day's baseline follows the season and is split over the campaigns running that day, so
    volume stays smooth as campaigns come and go; event and webinar days add their crowd on top.
    """
    window = slice(clock.window_day, clock.as_of_day)
    season = _day_season(clock)[:, None]
    shares = np.array([s.share for s in CAMPAIGNS])
    shares = shares / shares.sum()
    steady = plan.active * (shares * (1 - plan.burst_part) / plan.active[window].sum(axis=0))
    base = season * steady / steady.sum(axis=1, keepdims=True)
    base *= (1 - (shares * plan.burst_part).sum()) / base[window].sum()
    crowd = plan.burst * season
    crowd *= shares * plan.burst_part / np.maximum(crowd[window].sum(axis=0), 1e-12)
    return (base + crowd) * n_leads


def _time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Fraction of the day people act at: mostly office hours, the rest at any time."""
    hour = np.where(rng.random(n) < 0.75, np.clip(rng.normal(13.5, 2.8, n), 0, 23.99), rng.random(n) * 24)
    return hour / 24


def _lead_times(rng: np.random.Generator, clock: Clock, rates: np.ndarray,
                n_leads: int) -> tuple[np.ndarray, np.ndarray]:
    """(creation time, campaign) of every lead: exactly n_leads in the window, others by rate."""
    n_campaigns = rates.shape[1]
    parts = []
    for lo, hi, count in ((0, clock.window_day, None), (clock.window_day, clock.as_of_day, n_leads),
                          (clock.as_of_day, clock.horizon_day, None)):
        cells = rates[lo:hi].ravel()
        total = int(round(cells.sum())) if count is None else count
        counts = rng.multinomial(total, cells / cells.sum())
        parts.append(np.repeat(np.arange(cells.size), counts) + lo * n_campaigns)
    cell = np.concatenate(parts)
    t = cell // n_campaigns + _time_of_day(rng, cell.size)
    order = np.argsort(t, kind="stable")
    return t[order], (cell % n_campaigns)[order]


def _leads(rng: np.random.Generator, clock: Clock, plan: Campaigns, org: Org, rates: np.ndarray,
           n_leads: int, n_accounts: int) -> Leads:
    t, campaign = _lead_times(rng, clock, rates, n_leads)
    n = t.size
    segment = _pick(_cumulative(plan.segment_mix), campaign, rng.random(n)).astype(np.int8)
    region = _pick(_cumulative(plan.region_mix), campaign, rng.random(n)).astype(np.int8)
    sdr_team_of = {team.region: team.team_id for team in TEAMS if team.function == "sdr"}
    sdr_of_region = [org.team_members(sdr_team_of[region]) for region in REGIONS]
    counts = np.array([len(m) for m in sdr_of_region])
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sdr_pool = np.concatenate(sdr_of_region)
    sdr = sdr_pool[offsets[region] + (rng.random(n) * counts[region]).astype(np.int64)]
    # Bigger companies are fewer: each segment draws from its own slice of the account pool.
    pool_share = np.array([0.7, 0.22, 0.08])
    pool_size = np.maximum((pool_share * n_accounts).astype(np.int64), 1)
    pool_start = np.concatenate([[0], np.cumsum(pool_size)[:-1]])
    account = pool_start[segment] + (rng.random(n) * pool_size[segment]).astype(np.int64)
    return Leads(t, campaign, segment, region, sdr.astype(np.int16), account)


ACCOUNT_WORDS = (
    ("North", "Blue", "Silver", "Bright", "Iron", "Cedar", "Summit", "Harbor", "Vertex", "Atlas", "Nova",
     "Pioneer", "Granite", "Crimson", "Lumen", "Evergreen", "Redwood", "Falcon", "Orbit", "Prairie"),
    ("wind", "stone", "field", "bridge", "point", "wave", "forge", "light", "path", "gate", "leaf",
     "peak", "river", "spark", "line", "core", "grid", "bay", "works", "loop"),
    ("Logistics", "Health", "Analytics", "Software", "Foods", "Energy", "Capital", "Robotics", "Media",
     "Labs", "Systems", "Retail", "Insurance", "Manufacturing", "Learning", "Mobility", "Security",
     "Consulting", "Biotech", "Travel"),
    ("Inc.", "Ltd", "GmbH", "LLC", "Group", "Co.", "AG", "Pty Ltd", "SA", "BV"),
)


def _account_names(rng: np.random.Generator, n_accounts: int) -> pa.Array:
    parts = [pa.array(words) for words in ACCOUNT_WORDS]
    sizes = [len(words) for words in ACCOUNT_WORDS]
    combo = rng.permutation(int(np.prod(sizes)))[:n_accounts]
    index = np.unravel_index(combo, sizes)
    first, second, third, suffix = (pc.take(p, pa.array(i)) for p, i in zip(parts, index))
    stem = pc.binary_join_element_wise(first, second, "")
    return pc.binary_join_element_wise(stem, third, suffix, " ")


# --- the funnel ---------------------------------------------------------------------------------

@dataclass
class Journey:
    """Stage times per lead (NaN: never reached, even ignoring `today`), before censoring."""

    mql: np.ndarray
    touch: np.ndarray       # SDR's first human touch on the MQL
    decision: np.ndarray    # UNWORKED, ACCEPTED, REJECTED or RECYCLED
    decided: np.ndarray
    mql2: np.ndarray        # recycled leads that qualify again
    touch2: np.ndarray
    decision2: np.ndarray
    decided2: np.ndarray
    sal: np.ndarray
    sal_skipped: np.ndarray  # SQLs recorded without their SAL entry
    sql: np.ndarray
    sal_exit: np.ndarray     # accepted but not qualified: disqualified or recycled
    sal_exit_recycled: np.ndarray
    opportunity: np.ndarray
    sql_exit: np.ndarray     # qualified but no opportunity: disqualified
    closed: np.ndarray
    won: np.ndarray
    amount: np.ndarray
    lost_reason: np.ndarray

    def take(self, index: np.ndarray) -> Journey:
        return Journey(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    def stage_times(self) -> list[np.ndarray]:
        return [self.mql, self.decided, self.mql2, self.decided2, self.sql, self.sal_exit,
                self.opportunity, self.sql_exit, self.closed]


def _response_minutes(rng: np.random.Generator, sdr: np.ndarray, org: Org) -> np.ndarray:
    median = np.array([TEAMS[t].response_minutes for t in org.team_of])[sdr]
    sigma = np.where(median > 30, 0.8, 1.1)
    return median * np.exp(sigma * rng.standard_normal(sdr.size))


def _sales_decision(rng: np.random.Generator, mql: np.ndarray, sdr: np.ndarray, org: Org, clock: Clock,
                    p_accept: np.ndarray, p_reject: np.ndarray,
                    p_recycle: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SDR's first touch on an MQL, then accept / reject / recycle a day or two later."""
    n = mql.size
    touch = _business_open(mql, clock) + _response_minutes(rng, sdr, org) / 1440
    u = rng.random(n)
    decision = np.select([u < p_accept, u < p_accept + p_reject, u < p_accept + p_reject + p_recycle],
                         [ACCEPTED, REJECTED, RECYCLED], UNWORKED).astype(np.int8)
    decision[np.isnan(mql)] = UNWORKED
    decided = _office(rng, touch + np.clip(_lognormal(rng, 1.5, 0.9, n), 0.02, 30), clock)
    return touch, decision, np.where(decision == UNWORKED, np.nan, decided)


def _journeys(rng: np.random.Generator, leads: Leads, plan: Campaigns, org: Org, clock: Clock) -> Journey:
    n = leads.t.size
    rates = plan.rates[leads.campaign]
    mql_rate, sal_rate, reject_rate, recycle_rate, sql_rate, opp_rate, win_rate = rates.T
    pace = SEGMENT_PACE[leads.segment]

    # High-intent leads (demo requests) qualify within the hour, the rest after days of nurture,
    # at the moment of the activity that tips their score: mostly in office hours.
    nurtured = np.floor(leads.t + np.clip(_lognormal(rng, 6, 1.0, n), 1, 120)) + _time_of_day(rng, n)
    instant = rng.random(n) < 0.35
    mql = np.where(instant, leads.t + rng.random(n) / 24, nurtured)
    mql = np.where(rng.random(n) < mql_rate, mql, np.nan)
    touch, decision, decided = _sales_decision(rng, mql, leads.sdr, org, clock, sal_rate, reject_rate,
                                               recycle_rate)
    # About a third of recycled leads come back as MQLs after months of nurture.
    back = (decision == RECYCLED) & (rng.random(n) < 0.35)
    mql2 = np.where(back, decided + rng.uniform(30, 150, n), np.nan)
    touch2, decision2, decided2 = _sales_decision(rng, mql2, leads.sdr, org, clock, np.full(n, 0.5),
                                                  np.full(n, 0.3), np.zeros(n))
    sal = np.where(decision == ACCEPTED, decided, np.where(decision2 == ACCEPTED, decided2, np.nan))

    to_sql = rng.random(n) < sql_rate
    moved = _office(rng, sal + np.clip(_lognormal(rng, 5 * pace, 0.7, n), 0.2, 90), clock)
    sql = np.where(to_sql, moved, np.nan)
    sal_exit = np.where(~to_sql, moved, np.nan)
    sal_exit_recycled = rng.random(n) < 0.3
    sal_skipped = ~np.isnan(sql) & (rng.random(n) < 0.02)

    to_opp = rng.random(n) < opp_rate
    # The slow-stage story: opportunities are opened much later since SLOWDOWN_DAYS ago.
    slow = sql >= clock.as_of_day - SLOWDOWN_DAYS - 15
    step = np.clip(_lognormal(rng, 6 * pace, 0.6, n) * np.where(slow, 2.3, 1.0), 0.5, 150)
    moved = _office(rng, sql + step, clock)
    opportunity = np.where(to_opp, moved, np.nan)
    sql_exit = np.where(~to_opp, moved, np.nan)

    won = (rng.random(n) < win_rate * SEGMENT_WIN[leads.segment]) & ~np.isnan(opportunity)
    closed = _office(rng, opportunity + np.clip(_lognormal(rng, CLOSE_DAYS[leads.segment], 0.35, n), 21, 200), clock)
    amount = np.round(DEAL_MEDIAN[leads.segment] * np.exp(DEAL_SIGMA[leads.segment] * rng.standard_normal(n)), -2)
    lost_reason = _pick(_cumulative(LOST_MIX), np.zeros(n, np.int64), rng.random(n)).astype(np.int8)
    return Journey(mql, touch, decision, decided, mql2, touch2, decision2, decided2, sal, sal_skipped, sql,
                   sal_exit, sal_exit_recycled, opportunity, sql_exit, closed, won, amount, lost_reason)


def _kept(leads: Leads, journey: Journey, clock: Clock) -> np.ndarray:
    """Leads in the store: created in the window, or created earlier and still worked inside it."""
    in_window = (leads.t >= clock.window_day) & (leads.t < clock.as_of_day)
    worked = np.zeros(leads.t.size, bool)
    for t in journey.stage_times():
        worked |= (t >= clock.window_day) & (t < clock.as_of_day)
    return np.flatnonzero(in_window | ((leads.t < clock.window_day) & worked))


def _account_executives(rng: np.random.Generator, segment: np.ndarray, org: Org) -> np.ndarray:
    """The AE an SQL is handed to: AE Enterprise for Enterprise, AE Mid-Market for the rest."""
    mid, ent = org.team_members("ae-mid-market"), org.team_members("ae-enterprise")
    u = rng.random(segment.size)
    return np.where(segment == SEGMENTS.index("Enterprise"), ent[(u * len(ent)).astype(np.int64)],
                    mid[(u * len(mid)).astype(np.int64)])


# --- Arrow columns ------------------------------------------------------------------------------

def _ids(prefix: str, n: int, width: int) -> pa.Array:
    numbers = pa.array(np.arange(1, n + 1)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, max(width, len(str(n))), "0"), "")


def _coded(index: np.ndarray, values, null: np.ndarray | None = None) -> pa.DictionaryArray:
    """Strings as indices into `values`, so millions of rows share a few distinct strings."""
    index = np.asarray(index, np.int32)
    if null is not None:
        index = np.where(null, 0, index)
    return pa.DictionaryArray.from_arrays(pa.array(index, mask=null), values)


def _timestamps(t: np.ndarray, clock: Clock, null: np.ndarray | None = None) -> pa.Array:
    seconds = np.floor(np.nan_to_num(t) * 86400).astype(np.int64) + clock.epoch_seconds
    return pa.array(seconds.astype("datetime64[s]"), mask=null)


def _constant(value: str, n: int) -> pa.DictionaryArray:
    return _coded(np.zeros(n, np.int32), [value])


def _before(t: np.ndarray, clock: Clock) -> np.ndarray:
    """Index of the entries that happened before `today` (NaN never happened)."""
    return np.flatnonzero(t < clock.as_of_day)


# --- tables -------------------------------------------------------------------------------------

def _campaign_table(plan: Campaigns, rates: np.ndarray, clock: Clock) -> pa.Table:
    n = len(plan.ids)
    planned = rates[clock.window_day:] * plan.cost_per_lead
    return pa.table({
        "campaign_id": plan.ids,
        "campaign_name": plan.names,
        "channel": [CHANNELS[c].name for c in plan.channel],
        "start_date": pa.array(clock.date_of(plan.start_day)),
        "end_date": pa.array(clock.date_of(plan.end_day - 1), mask=plan.open_ended),
        "budget_amount": np.round(planned.sum(axis=0), -3),
        "source_system": _constant(LOAD_SOURCE, n),
    })


def _spend_table(rng: np.random.Generator, plan: Campaigns, rates: np.ndarray, clock: Clock) -> pa.Table:
    """Daily spend per campaign, in proportion to the leads it was expected to buy that day."""
    expected = rates[clock.window_day:clock.as_of_day].T
    campaign, day = np.nonzero(plan.active[clock.window_day:clock.as_of_day].T)
    amount = expected[campaign, day] * plan.cost_per_lead[campaign] * np.exp(0.2 * rng.standard_normal(day.size))
    return pa.table({
        "campaign_id": _coded(campaign, plan.ids),
        "spend_date": pa.array(clock.date_of(day + clock.window_day)),
        "spend_amount": np.round(amount, 2),
    })


def _lead_table(rng: np.random.Generator, leads: Leads, journey: Journey, plan: Campaigns, org: Org,
                lead_ids: pa.Array, accounts: pa.Array, clock: Clock) -> pa.Table:
    n = leads.t.size
    size = _pick(_cumulative(SIZE_MIX), leads.segment, rng.random(n))
    # Scores track the funnel (MQLs high, SQLs higher), so the giveaway's rejected MQLs score high too.
    mean = 35 + 33 * ~np.isnan(journey.mql) + 8 * ~np.isnan(journey.sql)
    score = np.clip(np.round(rng.normal(mean, 11)), 0, 100).astype(np.int32)
    return pa.table({
        "lead_id": lead_ids,
        "created_at": _timestamps(leads.t, clock),
        "source_channel": _coded(plan.channel[leads.campaign], [c.name for c in CHANNELS]),
        "campaign_id": _coded(leads.campaign, plan.ids),
        "segment": _coded(leads.segment, SEGMENTS),
        "region": _coded(leads.region, REGIONS),
        "company_size": _coded(size, COMPANY_SIZES),
        "account_name": _coded(leads.account, accounts),
        "score": score,
        "owner_rep_id": _coded(leads.sdr, org.rep_ids),
        "source_system": _constant(LOAD_SOURCE, n),
    })


def _opportunity_index(journey: Journey, clock: Clock) -> tuple[np.ndarray, np.ndarray]:
    """(leads with an opportunity, ordered by its creation; opportunity number per lead or -1)."""
    has = _before(journey.opportunity, clock)
    order = has[np.argsort(journey.opportunity[has], kind="stable")]
    number = np.full(journey.opportunity.size, -1, np.int64)
    number[order] = np.arange(order.size)
    return order, number


def _opportunity_table(journey: Journey, leads: Leads, ae: np.ndarray, plan: Campaigns, org: Org,
                       lead_ids: pa.Array, accounts: pa.Array, opp_ids: pa.Array, order: np.ndarray,
                       clock: Clock) -> pa.Table:
    closed = journey.closed[order] < clock.as_of_day
    won = journey.won[order]
    return pa.table({
        "opportunity_id": opp_ids,
        "lead_id": pc.take(lead_ids, pa.array(order)),
        "account_name": _coded(leads.account[order], accounts),
        "amount": journey.amount[order],
        "created_at": _timestamps(journey.opportunity[order], clock),
        "closed_at": _timestamps(journey.closed[order], clock, null=~closed),
        "is_closed": closed,
        "is_won": closed & won,
        "lost_reason": _coded(journey.lost_reason[order], LOST_REASONS, null=~closed | won),
        "owner_rep_id": _coded(ae[order], org.rep_ids),
        "primary_campaign_id": _coded(leads.campaign[order], plan.ids),
        "source_system": _constant(LOAD_SOURCE, order.size),
    })


def _stage_event_table(journey: Journey, leads: Leads, ae: np.ndarray, plan: Campaigns, org: Org,
                       lead_ids: pa.Array, opp_ids: pa.Array, opp_number: np.ndarray, clock: Clock) -> pa.Table:
    j = journey
    marketer, sdr = plan.owner[leads.campaign], leads.sdr.astype(np.int64)
    nan = np.nan
    entries = (  # (stage, time or NaN, who moved it)
        ("lead", leads.t, marketer),
        ("mql", j.mql, marketer),
        ("sal", np.where(j.sal_skipped, nan, j.sal), sdr),
        ("rejected", np.where(j.decision == REJECTED, j.decided, nan), sdr),
        ("recycled", np.where(j.decision == RECYCLED, j.decided, nan), sdr),
        ("mql", j.mql2, marketer),
        ("rejected", np.where(j.decision2 == REJECTED, j.decided2, nan), sdr),
        ("sql", j.sql, sdr),
        ("disqualified", np.where(j.sal_exit_recycled, nan, j.sal_exit), sdr),
        ("recycled", np.where(j.sal_exit_recycled, j.sal_exit, nan), sdr),
        ("opportunity", j.opportunity, ae),
        ("disqualified", j.sql_exit, ae),
        ("won", np.where(j.won, j.closed, nan), ae),
        ("lost", np.where(j.won, nan, j.closed), ae),
    )
    lead, stage, t, rep = [], [], [], []
    for name, times, mover in entries:
        index = _before(times, clock)
        lead.append(index)
        stage.append(np.full(index.size, ALL_STAGES.index(name), np.int8))
        t.append(times[index])
        rep.append(mover[index])
    lead, stage, t, rep = (np.concatenate(x) for x in (lead, stage, t, rep))
    order = np.argsort(t, kind="stable")
    lead, stage, t, rep = lead[order], stage[order], t[order], rep[order]
    opp = opp_number[lead]
    on_opportunity = np.isin(stage, [ALL_STAGES.index(s) for s in ("opportunity", "won", "lost")])
    return pa.table({
        "lead_id": pc.take(lead_ids, pa.array(lead)),
        "stage": _coded(stage, ALL_STAGES),
        "entered_at": _timestamps(t, clock),
        "moved_by_rep_id": _coded(rep, org.rep_ids),
        "opportunity_id": _coded(opp, opp_ids, null=~on_opportunity),
        "source_system": _constant(LOAD_SOURCE, lead.size),
    })


ACTIVITY_TYPES = ("call", "email", "meeting", "auto_email")


def _activity_table(rng: np.random.Generator, journey: Journey, leads: Leads, ae: np.ndarray, org: Org,
                    lead_ids: pa.Array, clock: Clock) -> pa.Table:
    """Per MQL: an automated email a minute later (never counts for the SLA), the SDR's first call
    or email in business hours, a few follow-ups until the decision; meetings at SQL and opportunity."""
    j, n = journey, leads.t.size
    sdr = leads.sdr.astype(np.int64)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # lead, rep, type, time

    def add(times: np.ndarray, rep: np.ndarray, kind: np.ndarray | int) -> None:
        index = _before(times, clock)
        parts.append((index, rep[index], np.broadcast_to(kind, times.shape)[index], times[index]))

    for mql, touch, decided in ((j.mql, j.touch, j.decided), (j.mql2, j.touch2, j.decided2)):
        automated = rng.random(n) < 0.8
        add(np.where(automated, mql + (60 + 30 * rng.random(n)) / 86400, np.nan), sdr, 3)
        add(np.where(np.isnan(mql), np.nan, touch), sdr, np.where(rng.random(n) < 0.55, 0, 1))
        # Follow-ups between the first touch and the decision (or ten days of chasing).
        follow_ups = rng.poisson(1.4, n) * ~np.isnan(mql)
        owner = np.repeat(np.arange(n), follow_ups)
        span = np.where(np.isnan(decided), 10.0, decided - touch)[owner]
        times = _office(rng, touch[owner] + rng.random(owner.size) * span, clock)
        index = _before(times, clock)
        kinds = (rng.random(owner.size) < 0.5).astype(np.int64)
        parts.append((owner[index], sdr[owner[index]], kinds[index], times[index]))
    add(j.sql - 1 / 24, sdr, 2)
    add(_office(rng, j.opportunity - rng.uniform(0.1, 2, n), clock), ae, 2)
    lead, rep, kind, t = (np.concatenate(x) for x in zip(*parts))
    order = np.argsort(t, kind="stable")
    lead, rep, kind, t = lead[order], rep[order], kind[order], t[order]
    return pa.table({
        "activity_id": np.arange(1, t.size + 1, dtype=np.int64),
        "lead_id": pc.take(lead_ids, pa.array(lead)),
        "rep_id": _coded(rep, org.rep_ids),
        "activity_type": _coded(kind, ACTIVITY_TYPES),
        "is_automated": kind == 3,
        "occurred_at": _timestamps(t, clock),
    })


# Extra touches besides the first, by the furthest stage a lead reaches (lead ... opportunity).
EXTRA_TOUCHES = np.array([6.8, 14.0, 20.0, 26.0, 32.0])
PERSONAL_ASSET_TYPES = (TOUCH_INDEX["content_download"], TOUCH_INDEX["webinar_attended"])


def _asset_tables(plan: Campaigns) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """(asset names, per touch type cumulative odds, per type option -> asset or -1, per campaign asset or -1)."""
    names = sorted({a for options in GENERIC_ASSETS.values() for a, _ in options if a}
                   | {a for a in plan.asset if a})
    width = max(len(options) for options in GENERIC_ASSETS.values())
    odds, option = np.zeros((len(TOUCH_TYPES), width)), np.full((len(TOUCH_TYPES), width), -1)
    for t, kind in enumerate(TOUCH_TYPES):
        for k, (asset, p) in enumerate(GENERIC_ASSETS[kind]):
            odds[t, k] = p
            option[t, k] = names.index(asset) if asset else -1
    campaign_asset = np.array([names.index(a) if a else -1 for a in plan.asset])
    return names, _cumulative(odds), option, campaign_asset


def _touch_counts(rng: np.random.Generator, journey: Journey, t0: np.ndarray,
                  clock: Clock) -> tuple[np.ndarray, np.ndarray]:
    """(extra touches per lead, time its path ends): deeper leads have longer paths; paths stop at today."""
    j, n = journey, t0.size
    depth = np.select([~np.isnan(j.opportunity), ~np.isnan(j.sql), ~np.isnan(j.sal), ~np.isnan(j.mql)],
                      [4, 3, 2, 1], 0)
    last = functools.reduce(np.fmax, j.stage_times())
    natural_end = np.where(depth > 0, last + 5, t0 + _lognormal(rng, 45, 0.8, n))
    end = np.minimum(natural_end, clock.as_of_day - 1e-6)
    elapsed = np.clip((end - t0) / (natural_end - t0), 0, 1)
    return rng.poisson(EXTRA_TOUCHES[depth] * elapsed), end


def _sorted_fractions(rng: np.random.Generator, extra: np.ndarray, owner: np.ndarray) -> np.ndarray:
    """Per lead, `extra` sorted uniform fractions in (0, 1): normalised exponential spacings, no sort."""
    spacing = np.cumsum(rng.exponential(size=owner.size))
    bounds = np.concatenate([[0.0], spacing])
    group_end = np.cumsum(extra)
    base = bounds[group_end - extra]
    total = bounds[group_end] - base + rng.exponential(size=extra.size)
    return (spacing - base[owner]) / total[owner]


def _touchpoint_table(rng: np.random.Generator, journey: Journey, leads: Leads, plan: Campaigns,
                      lead_ids: pa.Array, clock: Clock) -> pa.Table:
    """Each lead's path: its own campaign's touch at (or just before) creation, then touches from
    campaigns running at the time, spread until its last stage or today."""
    n = leads.t.size
    extra, end = _touch_counts(rng, journey, leads.t, clock)
    owner = np.repeat(np.arange(n, dtype=np.int32), extra)
    later = leads.t[owner] + _sorted_fractions(rng, extra, owner) * (end - leads.t)[owner]
    later_campaign = _pick(_cumulative(plan.touch_shape), np.floor(later).astype(np.int64), rng.random(owner.size))
    channel_mix = np.zeros((len(CHANNELS), len(TOUCH_TYPES)))
    for c, channel in enumerate(CHANNELS):
        for kind, p in channel.touch_mix:
            channel_mix[c, TOUCH_INDEX[kind]] = p
    later_type = _pick(_cumulative(channel_mix), plan.channel[later_campaign], rng.random(owner.size))

    # Lay each lead's touches out together: first touch, then the later ones in time order.
    count = extra + 1
    first = np.cumsum(count) - count
    position = np.arange(owner.size) + np.repeat(np.arange(n) + 1, extra)
    total = int(count.sum())
    lead = np.repeat(np.arange(n, dtype=np.int32), count)
    t, campaign, kind = np.empty(total), np.empty(total, np.int16), np.empty(total, np.int8)
    # The converting touch, or the ad click minutes before it (never before the campaign's first day).
    t[first] = np.maximum(leads.t - np.where(rng.random(n) < 0.6, 0, rng.uniform(1, 90, n) / 1440),
                          np.floor(leads.t))
    t[position] = later
    campaign[first], campaign[position] = leads.campaign, later_campaign
    kind[first], kind[position] = plan.first_touch[leads.campaign], later_type

    names, odds, option, campaign_asset = _asset_tables(plan)
    generic = option[kind, _pick(odds, kind.astype(np.int64), rng.random(total))]
    own = campaign_asset[campaign]
    asset = np.where((own >= 0) & np.isin(kind, PERSONAL_ASSET_TYPES), own, generic)
    return pa.table({
        "touchpoint_id": np.arange(1, total + 1, dtype=np.int64),
        "lead_id": _coded(lead, lead_ids),
        "campaign_id": _coded(campaign, plan.ids),
        "channel": _coded(plan.channel[campaign], [c.name for c in CHANNELS]),
        "touch_type": _coded(kind, TOUCH_TYPES),
        "content_asset": _coded(asset, names, null=asset < 0),
        "touched_at": _timestamps(t, clock),
    })


# --- sales feedback -----------------------------------------------------------------------------

REASONS = (
    ("no_budget", "No budget", True),
    ("no_project", "No active project", True),
    ("wrong_persona", "Wrong persona (not a buyer)", True),
    ("student_or_job_seeker", "Student or job seeker", True),
    ("competitor", "Competitor or vendor", True),
    ("bad_contact_data", "Bad contact data", True),
    ("duplicate", "Duplicate of an existing lead", True),
    ("not_icp_company_size", "Company size outside our ICP", True),
    # Retired a year ago in favour of no_project; older feedback still uses it.
    ("bad_timing", "Bad timing", False),
)
REASON_CODES = tuple(r[0] for r in REASONS)
REJECT_MIXES = {
    "standard": {"no_budget": 0.2, "wrong_persona": 0.2, "no_project": 0.2, "not_icp_company_size": 0.14,
                 "bad_contact_data": 0.1, "duplicate": 0.09, "competitor": 0.07},
    "giveaway": {"student_or_job_seeker": 0.5, "wrong_persona": 0.32, "bad_contact_data": 0.1,
                 "not_icp_company_size": 0.08},
}
REASON_NOTES = ("No budget this year, maybe next fiscal.", "Liked the content, no project behind it.",
                "Individual contributor, not part of any buying decision.", "Student grabbing the free template.",
                "Works for a competitor.", "Phone and email bounce.", "Already in an open opportunity.",
                "Too small for our ICP.", "Not before next year.")
ACCEPT_NOTES = ("Good fit, discovery booked.", "Clear pain, budget owner on the call.", "Warm lead, asked for pricing.")
RECYCLE_NOTES = ("Not ready yet, back to nurture.", "Project starts next year.")
RATING_NOTES = ("Mostly students and job seekers; please stop routing these to SDRs.",
                "Few real buyers in this batch.", "Mixed quality.", "Solid leads, good conversations.",
                "Best leads we get, more please.")
NOTES = REASON_NOTES + ACCEPT_NOTES + RECYCLE_NOTES + RATING_NOTES
VERDICTS = ("accept", "reject", "recycle", "rating")
STATUSES = ("open", "acknowledged", "action_planned", "resolved")
# P(status) for feedback older than 45 days, 14-45 days, younger.
STATUS_MIX = np.array([[0.06, 0.2, 0.2, 0.54], [0.3, 0.4, 0.2, 0.1], [0.8, 0.2, 0.0, 0.0]])
RESPONSES = (None, "Thanks, looking into it.", "Tightening targeting and scoring for this source next sprint.",
             "Done: scoring rule and routing updated.")


@dataclass
class FeedbackRows:
    lead: np.ndarray      # -1: about a campaign
    campaign: np.ndarray  # -1: about a lead
    author: np.ndarray
    verdict: np.ndarray
    reason: np.ndarray    # -1: none
    rating: np.ndarray
    note: np.ndarray
    t: np.ndarray


def _lead_feedback(rng: np.random.Generator, journey: Journey, leads: Leads, plan: Campaigns,
                   clock: Clock) -> list[FeedbackRows]:
    """Every rejection with its reason; a third of acceptances; most recycles."""
    j, n = journey, leads.t.size
    nan = np.nan
    rejected = _before(np.concatenate([np.where(j.decision == REJECTED, j.decided, nan),
                                       np.where(j.decision2 == REJECTED, j.decided2, nan)]), clock)
    accepted = _before(np.where(rng.random(n) < 0.35, j.sal, nan), clock)
    recycled_at = np.concatenate([np.where(j.decision == RECYCLED, j.decided, nan),
                                  np.where(j.sal_exit_recycled, j.sal_exit, nan)])
    recycled = _before(np.where(rng.random(2 * n) < 0.6, recycled_at, nan), clock)
    reject_odds = _cumulative([[mix.get(code, 0) for code in REASON_CODES] for mix in REJECT_MIXES.values()])
    rows = []
    for index, times, verdict in ((rejected, np.concatenate([j.decided, j.decided2]), "reject"),
                                  (accepted, j.sal, "accept"),
                                  (recycled, np.concatenate([j.decided, j.sal_exit]), "recycle")):
        lead = index % n  # rejections and recycles index two passes laid end to end
        t = times[index] + rng.uniform(1, 30, index.size) / 1440
        u = rng.random(index.size)
        if verdict == "reject":
            reason = _pick(reject_odds, plan.reject_mix[leads.campaign[lead]], u)
            rating, note = 1 + (u < 0.35), reason
        elif verdict == "accept":
            reason = np.full(index.size, -1)
            rating, note = 3 + (u * 3).astype(np.int64), len(REASON_NOTES) + (u * 3).astype(np.int64)
        else:
            retired = t < clock.as_of_day - 365
            reason = np.where(retired, REASON_CODES.index("bad_timing"),
                              np.where(u < 0.5, REASON_CODES.index("no_project"), REASON_CODES.index("no_budget")))
            rating, note = 2 + (u < 0.5), len(REASON_NOTES) + len(ACCEPT_NOTES) + (u < 0.5)
        rows.append(FeedbackRows(lead, np.full(index.size, -1), leads.sdr[lead].astype(np.int64),
                                 np.full(index.size, VERDICTS.index(verdict)), reason, rating, note, t))
    return rows


def _campaign_ratings(rng: np.random.Generator, plan: Campaigns, org: Org, clock: Clock) -> FeedbackRows:
    """Now and then a sales manager rates a running campaign."""
    months = np.array([clock.day_of(_add_months(clock.window_start, m)) for m in range(WINDOW_MONTHS + 1)])
    campaign, month = (a.ravel() for a in np.meshgrid(np.arange(len(plan.ids)), months, indexing="ij"))
    t = month + rng.uniform(0, 28, month.size)
    running = (plan.start_day[campaign] <= t) & (t < plan.end_day[campaign])
    index = np.flatnonzero(running & (rng.random(month.size) < 0.35) & (t < clock.as_of_day))
    rating = np.clip(np.round(plan.rating[campaign[index]] + rng.normal(0, 0.5, index.size)), 1, 5).astype(np.int64)
    managers = np.array([org.managers[t.team_id] for t in TEAMS if t.function in ("sdr", "ae")])
    author = managers[rng.integers(0, managers.size, index.size)]
    return FeedbackRows(np.full(index.size, -1), campaign[index], author,
                        np.full(index.size, VERDICTS.index("rating")), np.full(index.size, -1), rating,
                        len(NOTES) - len(RATING_NOTES) + rating - 1, t[index])


def _feedback_table(rng: np.random.Generator, journey: Journey, leads: Leads, plan: Campaigns, org: Org,
                    lead_ids: pa.Array, clock: Clock) -> pa.Table:
    parts = _lead_feedback(rng, journey, leads, plan, clock) + [_campaign_ratings(rng, plan, org, clock)]
    f = FeedbackRows(*(np.concatenate([getattr(p, k) for p in parts]) for k in FeedbackRows.__dataclass_fields__))
    order = np.flatnonzero(f.t < clock.as_of_day)
    order = order[np.argsort(f.t[order], kind="stable")]
    f = FeedbackRows(*(getattr(f, k)[order] for k in FeedbackRows.__dataclass_fields__))
    n = f.t.size
    # Older feedback has been answered by the marketer who owns the campaign.
    age = clock.as_of_day - f.t
    status = _pick(_cumulative(STATUS_MIX), np.select([age > 45, age > 14], [0, 1], 2), rng.random(n))
    responded = f.t + rng.uniform(0.3, 10, n)
    status[responded >= clock.as_of_day] = 0
    unanswered = status == 0
    about = np.where(f.campaign >= 0, f.campaign, leads.campaign[np.maximum(f.lead, 0)])
    return pa.table({
        "feedback_id": _ids("fb-", n, 6),
        "created_at": _timestamps(f.t, clock),
        "author_rep_id": _coded(f.author, org.rep_ids),
        "lead_id": pc.take(lead_ids, pa.array(np.maximum(f.lead, 0), mask=f.lead < 0)),
        "campaign_id": _coded(f.campaign, plan.ids, null=f.campaign < 0),
        "verdict": _coded(f.verdict, VERDICTS),
        "reason_code": _coded(f.reason, REASON_CODES, null=f.reason < 0),
        "rating": f.rating.astype(np.int32),
        "note": _coded(f.note, NOTES),
        "status": _coded(status, STATUSES),
        "response_note": _coded(status - 1, RESPONSES[1:], null=unanswered),
        "responded_by_rep_id": _coded(plan.owner[about], org.rep_ids, null=unanswered),
        "responded_at": _timestamps(responded, clock, null=unanswered),
    })


def _reason_table() -> pa.Table:
    code, label, active = zip(*REASONS)
    return pa.table({"reason_code": list(code), "label": list(label), "is_active": list(active)})


# --- goals and SLAs -----------------------------------------------------------------------------

GOAL_METRICS = (("leads", "marketing"), ("mqls", "marketing"), ("sqls", "sales"),
                ("opportunities_created", "sales"), ("pipeline_created", "sales"), ("won_revenue", "shared"))
MONEY_METRICS = ("pipeline_created", "won_revenue")


def _month_number(date: dt.date) -> int:
    return date.year * 12 + date.month - 1


def _monthly_actuals(leads: Leads, journey: Journey, clock: Clock) -> np.ndarray:
    """(goal metric, month) from the window start to next December, as the simulation will have it.

    Reads the uncensored simulation, so the current and coming months have full-period values;
    definitions match metrics.kpis (first MQL, opportunity creation, close won).
    """
    j = journey
    first = _month_number(clock.window_start)
    n_months = (clock.today.year + 1) * 12 - first

    def per_month(t: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
        valid = np.flatnonzero(~np.isnan(t))
        month = clock.date_of(np.floor(t[valid]).astype(np.int64)).astype("datetime64[M]").astype(np.int64)
        month -= first - 1970 * 12
        inside = (month >= 0) & (month < n_months)
        w = None if weight is None else weight[valid][inside]
        return np.bincount(month[inside], weights=w, minlength=n_months).astype(float)

    won_at = np.where(j.won, j.closed, np.nan)
    return np.array([per_month(leads.t), per_month(j.mql), per_month(j.sql), per_month(j.opportunity),
                     per_month(j.opportunity, j.amount), per_month(won_at, j.amount)])


def _goal_table(rng: np.random.Generator, actual: np.ndarray, clock: Clock) -> pa.Table:
    """Targets a little above what happened, every month, quarter and year up to the current ones;
    the last complete quarter's revenue target is the one the company missed."""
    target = actual * rng.uniform(0.97, 1.10, actual.shape)
    won = [m for m, _ in GOAL_METRICS].index("won_revenue")
    behind = _month_number(behind_quarter(clock.today)) - _month_number(clock.window_start)
    target[won, behind:behind + 3] = actual[won, behind:behind + 3] / BEHIND_RATIO * rng.uniform(0.98, 1.02, 3)
    first, current = _month_number(clock.window_start), _month_number(clock.today)
    rows = []
    for period, length in (("month", 1), ("quarter", 3), ("year", 12)):
        for m in range(current - first + 1):
            number = first + m
            if number % length or m + length > actual.shape[1]:
                continue
            year, month = divmod(number, 12)
            label = {"month": f"{year}-{month + 1:02d}", "quarter": f"{year}-Q{month // 3 + 1}",
                     "year": f"{year}"}[period]
            for k, (metric, owner) in enumerate(GOAL_METRICS):
                value = target[k, m:m + length].sum()
                value = round(value, -3) if metric in MONEY_METRICS else max(round(value), 1)
                rows.append((f"g-{metric}-{period}-{label}", metric, period, dt.date(year, month + 1, 1),
                             "all", None, owner, float(value)))
    return pa.table(list(map(list, zip(*rows))), names=["goal_id", "metric_name", "period_type", "period_start",
                                                        "scope_type", "scope_value", "owner_team", "target"])


def _sla_table(actual: np.ndarray, clock: Clock) -> pa.Table:
    current = _month_number(clock.today) - _month_number(clock.window_start)
    mqls_per_month = float(np.round(np.median(actual[1, current - 6:current]) * 1.05, -1))
    rows = [
        ("sla-first-touch", "sales", "First touch on MQLs",
         "An SDR calls or emails every MQL within 15 business minutes; automated emails do not count.",
         15.0, "minutes"),
        ("sla-mql-volume", "marketing", "MQLs delivered per month",
         f"Marketing delivers at least {mqls_per_month:,.0f} MQLs every month.", mqls_per_month, "count"),
        ("sla-acceptance", "marketing", "MQL acceptance rate",
         "At least half of the MQLs marketing delivers are accepted by sales (SAL / MQL).", 0.5, "ratio"),
    ]
    table = pa.table(list(map(list, zip(*rows))), names=["policy_id", "side", "name", "description",
                                                         "threshold", "unit"])
    return table.append_column("effective_from", pa.array([clock.window_start] * len(rows)))


# --- build --------------------------------------------------------------------------------------

# --- web traffic and acquisition costs ----------------------------------------------------------

# Per channel: website sessions per lead it brings (1 / visit-to-lead rate), sessions per visitor, and the
# share of sessions that engage. Paid Social buys many visits that rarely engage or convert.
TRAFFIC_SHAPE = {
    "Paid Search": (45.0, 1.25, 0.55),
    "Paid Social": (90.0, 1.15, 0.30),
    "Organic Search": (60.0, 1.35, 0.62),
    "Email": (25.0, 1.5, 0.66),
    "Events": (12.0, 1.2, 0.70),
    "Webinars": (10.0, 1.3, 0.72),
    "Partners": (20.0, 1.3, 0.60),
    "Content Syndication": (8.0, 1.1, 0.45),
}
TRAFFIC_STREAM = 101  # traffic draws from its own random stream, so adding it changed no other table
# Costs no campaign carries, per month, as a multiple of that month's planned campaign spend.
OTHER_COSTS = (("marketing", "people", 0.6), ("marketing", "tools and agencies", 0.2),
               ("sales", "people", 1.6), ("sales", "tools", 0.1))


def _web_traffic_table(seed: int, plan: Campaigns, rates: np.ndarray, clock: Clock) -> pa.Table:
    """Sessions per channel per day of the window: the leads the channel was expected to bring that day
    times its sessions per lead, with day-to-day noise; visitors and engaged sessions follow."""
    rng = np.random.default_rng([seed, TRAFFIC_STREAM])
    expected = rates[clock.window_day:clock.as_of_day] @ np.eye(len(CHANNELS))[plan.channel]  # (day, channel)
    per_lead, per_visitor, engaged_share = np.array([TRAFFIC_SHAPE[c.name] for c in CHANNELS]).T
    sessions = rng.poisson(expected * per_lead * np.exp(0.15 * rng.standard_normal(expected.shape)))
    visitors = np.minimum(sessions, np.round(sessions / per_visitor)).astype(np.int64)
    engaged = rng.binomial(sessions, engaged_share)
    day, channel = (a.ravel() for a in np.indices(sessions.shape))
    return pa.table({
        "traffic_date": pa.array(clock.date_of(day + clock.window_day)),
        "channel": _coded(channel, [c.name for c in CHANNELS]),
        "sessions": sessions.ravel().astype(np.int64),
        "visitors": visitors.ravel(),
        "engaged_sessions": engaged.ravel().astype(np.int64),
        "source_system": _constant(LOAD_SOURCE, day.size),
    })


def _acquisition_cost_table(plan: Campaigns, rates: np.ndarray, clock: Clock) -> pa.Table:
    """People and tools on both sides, every month of the window up to the current one, in step with the
    month's planned campaign spend (the company grows its teams with its programs)."""
    days = np.arange(clock.window_day, clock.day_of(_add_months(clock.today.replace(day=1), 1)))  # whole months
    month = clock.date_of(days).astype("datetime64[M]")
    first, index = np.unique(month, return_inverse=True)
    planned = np.bincount(index, weights=(rates[days] * plan.cost_per_lead).sum(axis=1))
    rows = [(start, side, category, float(round(amount * ratio, -2)))
            for start, amount in zip(first.astype("datetime64[D]").tolist(), planned)
            for side, category, ratio in OTHER_COSTS]
    return pa.table(list(map(list, zip(*rows))), names=["cost_month", "side", "category", "amount"])


class DemoError(RuntimeError):
    """The demo can't be built where asked; the message says what to do instead."""


def _generate(n_leads: int, seed: int, today: dt.date) -> dict[str, pa.Table]:
    clock = _clock(today)
    org, teams, reps = _org()
    plan = _campaigns(clock, org)
    lead_rng, funnel_rng, touch_rng, activity_rng, feedback_rng, plan_rng = np.random.default_rng(seed).spawn(6)
    rates = _lead_rates(clock, plan, n_leads)
    n_accounts = min(80_000, max(500, n_leads // 4))
    simulated = _leads(lead_rng, clock, plan, org, rates, n_leads, n_accounts)
    journeys = _journeys(funnel_rng, simulated, plan, org, clock)
    actual = _monthly_actuals(simulated, journeys, clock)
    kept = _kept(simulated, journeys, clock)
    leads, journey = simulated.take(kept), journeys.take(kept)
    del simulated, journeys

    lead_ids = _ids("lead-", kept.size, 7)
    accounts = _account_names(lead_rng, n_accounts)
    ae = np.where(np.isnan(journey.sql), -1, _account_executives(funnel_rng, leads.segment, org))
    opp_order, opp_number = _opportunity_index(journey, clock)
    opp_ids = _ids("opp-", opp_order.size, 6)
    return {
        "teams": teams,
        "reps": reps,
        "campaigns": _campaign_table(plan, rates, clock),
        "campaign_spend": _spend_table(plan_rng, plan, rates, clock),
        "leads": _lead_table(lead_rng, leads, journey, plan, org, lead_ids, accounts, clock),
        "stage_events": _stage_event_table(journey, leads, ae, plan, org, lead_ids, opp_ids, opp_number, clock),
        "touchpoints": _touchpoint_table(touch_rng, journey, leads, plan, lead_ids, clock),
        "opportunities": _opportunity_table(journey, leads, ae, plan, org, lead_ids, accounts, opp_ids,
                                            opp_order, clock),
        "sales_activities": _activity_table(activity_rng, journey, leads, ae, org, lead_ids, clock),
        "goals": _goal_table(plan_rng, actual, clock),
        "feedback_reasons": _reason_table(),
        "sales_feedback": _feedback_table(feedback_rng, journey, leads, plan, org, lead_ids, clock),
        "sla_policy": _sla_table(actual, clock),
        "web_traffic": _web_traffic_table(seed, plan, rates, clock),
        "acquisition_costs": _acquisition_cost_table(plan, rates, clock),
    }


def _require_empty(con: duckdb.DuckDBPyConnection) -> None:
    filled = [t for t in TABLES if _holds_data(con, t)]
    if filled:
        raise DemoError(f"The database already holds data (in {', '.join(filled)}); the demo only builds "
                        f"into an empty one. Use a new file, or `python -m data demo --replace`.")


def _holds_data(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    if table == "feedback_reasons":  # the standard list migration 010 seeds does not count: the demo replaces it
        return con.execute("select exists (select 1 from feedback_reasons where added_by_rep_id is distinct from ?)",
                           [STANDARD_REASONS_BY]).fetchone()[0]
    return con.execute(f"select exists (select 1 from {table})").fetchone()[0]


def _load(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> dict[str, int]:
    """Insert every table in one transaction: a failed build leaves the store as it was. The demo's reasons
    replace the standard list (the same codes, and one the demo's story retired)."""
    con.execute("begin transaction")
    try:
        con.execute("delete from feedback_reasons where added_by_rep_id = ?", [STANDARD_REASONS_BY])
        for name in TABLES:
            columns = ", ".join(tables[name].column_names)
            con.register("demo_rows", tables[name])
            con.execute(f"insert into {name} ({columns}) select {columns} from demo_rows")
            con.unregister("demo_rows")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return {name: tables[name].num_rows for name in TABLES}


def build_demo(con: duckdb.DuckDBPyConnection, n_leads: int = 50_000, seed: int = 7,
               today: dt.date | None = None) -> dict[str, int]:
    """Fill an empty store with the demo company; return the rows loaded per table.

    Migrates the schema, refuses a store that already holds data, loads in one transaction,
    rebuilds the marts and logs the load in data_loads. n_leads counts the leads created in the
    24 months; leads created earlier and still worked inside them come on top.
    """
    if n_leads < 1_000:
        raise DemoError(f"The demo needs at least 1,000 leads to tell its stories; got {n_leads:,}.")
    today = today or dt.date.today()
    schema.migrate(con)
    _require_empty(con)
    counts = _load(con, _generate(n_leads, seed, today))
    marts.refresh(con)
    con.execute("insert into data_loads (loaded_by, source_system, description, row_count) values (?, ?, ?, ?)",
                [LOAD_SOURCE, LOAD_SOURCE, f"Demo company: seed {seed}, {n_leads:,} leads, as of {today}",
                 sum(counts.values())])
    return counts


def build_demo_file(path: str | os.PathLike, n_leads: int = 50_000, seed: int = 7,
                    today: dt.date | None = None, replace: bool = False) -> dict[str, int]:
    """Build the demo into a new database file; an existing non-empty file needs replace=True."""
    path = Path(path)
    wal = path.with_name(path.name + ".wal")
    if path.exists() and path.stat().st_size > 0 and not replace:
        raise DemoError(f"{path} already exists and is not empty. Choose another file, or replace it "
                        f"with `python -m data demo --db {path} --replace`.")
    path.unlink(missing_ok=True)
    wal.unlink(missing_ok=True)  # a stale log would be replayed into the new file
    con = db.connect(path)
    try:
        counts = build_demo(con, n_leads, seed, today)
    except BaseException:
        con.close()
        path.unlink(missing_ok=True)
        wal.unlink(missing_ok=True)
        raise
    con.close()
    return counts
