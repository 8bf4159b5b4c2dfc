"""metrics.parallel.side_by_side: independent reads at the same time, each on its own cursor of one store."""

from __future__ import annotations

import threading

import duckdb
import pytest

from metrics.parallel import side_by_side


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute("create table t as select range as n from range(10)")
    yield connection
    connection.close()


def test_results_come_back_in_order_and_the_first_read_uses_the_callers_cursor(con):
    cur = con.cursor()
    seen = []

    def read(k):
        def run(c):
            seen.append((k, c is cur, threading.current_thread() is threading.main_thread()))
            return c.execute("select sum(n) + ? from t", [k]).fetchone()[0]
        return run

    assert side_by_side(cur, [read(k) for k in range(4)]) == [45, 46, 47, 48]
    assert sorted(seen) == [(0, True, True), (1, False, False), (2, False, False), (3, False, False)]


def test_each_other_read_gets_a_cursor_of_its_own_closed_afterwards(con):
    cur = con.cursor()
    cursors = []

    def keep(c):
        cursors.append(c)
        return c.execute("select count(*) from t").fetchone()[0]

    assert side_by_side(cur, [keep, keep, keep]) == [10, 10, 10]
    own = [c for c in cursors if c is not cur]
    assert len(own) == 2 and own[0] is not own[1]
    for c in own:
        with pytest.raises(duckdb.ConnectionException):
            c.execute("select 1")
    assert cur.execute("select 1").fetchone() == (1,)  # the caller's cursor stays open


def test_a_failing_read_raises_in_the_caller(con):
    with pytest.raises(duckdb.CatalogException, match="no_such_table"):
        side_by_side(con.cursor(), [lambda c: 1, lambda c: c.execute("select * from no_such_table").fetchall()])


def test_one_read_runs_on_the_callers_cursor_without_threads(con):
    cur = con.cursor()
    assert side_by_side(cur, [lambda c: c is cur]) == [True]
