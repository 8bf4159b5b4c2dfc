"""The data-trust checks (metrics/trust.py) on the mini CRM export of tests/import_fixture.py; every
expected number is worked out in a comment from the fixture's story."""

from __future__ import annotations

from datetime import date

import pytest

from import_fixture import import_mini, new_store
from metrics import REGISTRY, get
from metrics.filters import Filters
from metrics.trust import CHECK_BY_NAME, CHECKS

JAN_FEB = Filters(date(2026, 1, 1), date(2026, 2, 28), as_of=date(2026, 2, 28))


@pytest.fixture(scope="module")
def cur(tmp_path_factory):
    con = new_store(tmp_path_factory.mktemp("trust") / "trust.duckdb")
    import_mini(con)
    cursor = con.cursor()
    yield cursor
    cursor.close()
    con.close()


def check(cur, name: str, f: Filters = JAN_FEB) -> dict:
    return get(name)(cur, f).iloc[0].to_dict()


def test_every_check_is_registered_as_a_shared_metric():
    for trust_check in CHECKS:
        metric = REGISTRY[trust_check.name]
        assert metric.owner == "shared" and metric.area == "trust" and metric.definition == trust_check.definition
        assert all(name in REGISTRY for name in trust_check.affects)


def test_leads_without_source_or_campaign(cur):
    # Leads created Jan-Feb: L1 L2 L3 L4 and D2's made-up lead = 5. With neither source nor campaign: L2 and
    # the made-up lead (L4 has no source but its campaign C2 gives it a channel) = 2 -> 40%.
    # No source: L2 and the made-up lead = 2; no campaign: L2, L3 and the made-up lead = 3.
    found = check(cur, "trust_unattributed_leads")
    assert (found["affected"], found["total"], found["no_source"], found["no_campaign"]) == (2, 5, 2, 3)
    assert found["share"] == pytest.approx(0.4) and found["status"] == "alert"  # 40% >= 20%


def test_opportunities_without_a_lead(cur):
    # Created Jan-Feb: D1 (lead L1) and D2 (made-up lead) -> 1 of 2.
    found = check(cur, "trust_orphan_opportunities")
    assert (found["affected"], found["total"], found["is_synthetic"]) == (1, 2, 1)
    # February alone: D2 only (D1 was created on 15 Jan) -> 1 of 1.
    feb = check(cur, "trust_orphan_opportunities", Filters(date(2026, 2, 1), date(2026, 2, 28)))
    assert (feb["affected"], feb["total"]) == (1, 1)


def test_deals_closed_before_they_were_created(tmp_path):
    # D1 closes on 10 Jan, five days before it was created; D3 closes on the day it was created, hours before
    # its creation time (a close date has no time): not counted.
    deals = ("id,lead,amount,created,closed,stage\nD1,L1,1000,2026-01-15,2026-01-10,Won\n"
             "D2,,500,2026-02-10,,Open\nD3,L3,200,2026-01-20 15:00,2026-01-20,Lost\n")
    con = new_store(tmp_path / "closed.duckdb")
    try:
        import_mini(con, deals=deals)
        cursor = con.cursor()
        # Closed Jan-Feb: D1 and D3 (D2 is open) -> 1 of 2.
        found = check(cursor, "trust_closed_before_created")
        assert (found["affected"], found["total"], found["status"]) == (1, 2, "alert")
        # From 15 Jan: D3 alone -> 0 of 1.
        later = check(cursor, "trust_closed_before_created", Filters(date(2026, 1, 15), date(2026, 2, 28)))
        assert (later["affected"], later["total"], later["status"]) == (0, 1, "ok")
    finally:
        con.close()


def test_checks_that_ignore_dimension_filters_say_so(cur):
    # The badge caches these on the date range alone (TrustCheck.scope): their numbers must not move with a
    # dimension filter, and every other check's must be free to.
    narrowed = Filters(JAN_FEB.start, JAN_FEB.end, segments=("SMB",), channels=("Email",), as_of=JAN_FEB.as_of)
    for trust_check in CHECKS:
        scoped = trust_check.scope(narrowed)
        if trust_check.uses_dimensions:
            assert scoped == narrowed
            continue
        assert scoped == JAN_FEB
        same = ["age_days"] if trust_check.unit == "days" else ["affected", "total"]
        assert [check(cur, trust_check.name, narrowed)[k] for k in same] == \
            pytest.approx([check(cur, trust_check.name)[k] for k in same], abs=1e-3)


def test_leads_with_a_skipped_stage(cur):
    # L1 reached opportunity with no SQL entry: 1 inferred. The made-up lead went lead -> opportunity: MQL,
    # SAL and SQL inferred = 3. L2, L3 (lead, MQL, SAL) and L4 (lead, disqualified) skip nothing.
    found = check(cur, "trust_skipped_stages")
    assert (found["affected"], found["total"], found["inferred_entries"]) == (2, 5, 4)


def test_leads_with_an_estimated_stage_time(cur):
    # L3's SAL and L4's disqualification come from statuses dated by the last change: 2 of the 5 leads,
    # one estimated entry each.
    found = check(cur, "trust_missing_timestamps")
    assert (found["affected"], found["total"], found["estimated_entries"]) == (2, 5, 2)
    # Enterprise is L3 alone -> 1 of 1.
    enterprise = check(cur, "trust_missing_timestamps", Filters(date(2026, 1, 1), date(2026, 2, 28),
                                                                 segments=("Enterprise",)))
    assert (enterprise["affected"], enterprise["total"]) == (1, 1)


def test_duplicate_leads_by_email(cur):
    # Addresses: L1 ann@, L2 BOB@, L3 bob@ (the same person, created after L2) -> 1 of the 3 with an address.
    found = check(cur, "trust_duplicate_leads")
    assert (found["affected"], found["total"]) == (1, 3)
    # 5-9 Jan holds L1 and L2 (L3 is created on 10 Jan); L2 is the first with its address -> 0 of 2.
    early = check(cur, "trust_duplicate_leads", Filters(date(2026, 1, 5), date(2026, 1, 9)))
    assert (early["affected"], early["total"]) == (0, 2)


def test_age_of_the_newest_load(cur):
    found = check(cur, "trust_newest_load_age")
    assert found["source_system"] == "mini" and found["loaded_by"] == "test"
    assert 0 <= found["age_days"] < 0.1 and found["status"] == "ok"


def test_no_load_logged_is_worth_a_look(tmp_path):
    con = new_store(tmp_path / "empty.duckdb")
    try:
        found = check(con.cursor(), "trust_newest_load_age")
    finally:
        con.close()
    assert found["loaded_at"] is None and found["status"] == "warn"


@pytest.mark.parametrize(("name", "value", "status"), [
    ("trust_unattributed_leads", 0.049, "ok"), ("trust_unattributed_leads", 0.05, "warn"),
    ("trust_unattributed_leads", 0.20, "alert"), ("trust_newest_load_age", 6.9, "ok"),
    ("trust_newest_load_age", 7.0, "warn"), ("trust_newest_load_age", 30.0, "alert"),
    ("trust_duplicate_leads", float("nan"), "ok"), ("trust_newest_load_age", None, "warn"),
])
def test_status_thresholds(name, value, status):
    assert CHECK_BY_NAME[name].status(value) == status
