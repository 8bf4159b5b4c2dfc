"""The Filters value: windows, the previous period, the default window, dimension SQL."""

from datetime import date

import pytest

from metrics.filters import Filters, default_as_of, default_window


def test_previous_period_has_the_same_length_and_ends_the_day_before():
    # Q1 2026 is 90 days (31 + 28 + 31); the 90 days before it run Oct 3 - Dec 31 2025.
    previous = Filters(date(2026, 1, 1), date(2026, 3, 31), segments=("SMB",)).previous()
    assert (previous.start, previous.end) == (date(2025, 10, 3), date(2025, 12, 31))
    assert previous.segments == ("SMB",)


def test_default_window_is_six_calendar_months():
    assert default_window(date(2024, 1, 1), date(2026, 11, 26)) == (date(2026, 6, 1), date(2026, 11, 26))
    # Across a year boundary, and never before the data starts.
    assert default_window(date(2020, 1, 1), date(2026, 3, 31)) == (date(2025, 10, 1), date(2026, 3, 31))
    assert default_window(date(2026, 9, 15), date(2026, 11, 26)) == (date(2026, 9, 15), date(2026, 11, 26))


def test_default_as_of_follows_data_that_ends_before_today():
    # An export whose last record is 13 Oct 2018, read on 27 Nov 2026: as of its last day, not eight years on.
    assert default_as_of(date(2018, 10, 13), today=date(2026, 11, 27)) == date(2018, 10, 13)
    # Data running past today (a deal dated ahead) never moves the reading into the future.
    assert default_as_of(date(2026, 12, 31), today=date(2026, 11, 27)) == date(2026, 11, 27)


def test_dimension_values_are_sorted_so_equal_filters_hash_equal():
    assert Filters(date(2026, 1, 1), date(2026, 1, 2), channels=("b", "a")) == \
        Filters(date(2026, 1, 1), date(2026, 1, 2), channels=("a", "b"))


def test_dimension_sql_binds_values_as_parameters():
    clause, params = Filters(date(2026, 1, 1), date(2026, 1, 2), teams=("x'; drop table leads; --",)).dimension_sql()
    assert "drop" not in clause
    assert params == [["x'; drop table leads; --"], ["x'; drop table leads; --"]]


def test_spanning_covers_windows_that_differ_in_dates_only():
    march = Filters(date(2026, 3, 1), date(2026, 3, 31), ("SMB",))
    april = Filters(date(2026, 4, 1), date(2026, 4, 30), ("SMB",))
    assert Filters.spanning([april, march]) == Filters(date(2026, 3, 1), date(2026, 4, 30), ("SMB",))
    with pytest.raises(ValueError, match="dates only"):
        Filters.spanning([march, Filters(date(2026, 4, 1), date(2026, 4, 30))])
