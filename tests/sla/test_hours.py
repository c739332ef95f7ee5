"""Business-hours arithmetic: nights, weekends, holidays, time zones, clock changes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trellis.sla.hours import (
    Calendar,
    NoWorkingTime,
    add_business_minutes,
    business_minutes_between,
)

JAKARTA = ZoneInfo("Asia/Jakarta")
ROME = ZoneInfo("Europe/Rome")
OFFICE = Calendar.build(
    time_zone="Asia/Jakarta",
    weekdays=[0, 1, 2, 3, 4],
    start=dt.time(9),
    end=dt.time(17),
)


def jakarta(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in March 2026 in Jakarta (2 March is a Monday)."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=JAKARTA)


def test_minutes_inside_the_working_day_are_plain_minutes():
    assert add_business_minutes(jakarta(2, 10), 60, OFFICE) == jakarta(2, 11)


def test_the_result_is_in_utc():
    assert add_business_minutes(jakarta(2, 10), 60, OFFICE).tzinfo == dt.UTC


def test_time_left_at_closing_carries_over_the_night():
    assert add_business_minutes(jakarta(2, 16, 30), 60, OFFICE) == jakarta(3, 9, 30)


def test_a_target_ending_exactly_at_closing_is_due_at_closing():
    assert add_business_minutes(jakarta(2, 9), 3 * 8 * 60, OFFICE) == jakarta(4, 17)


def test_friday_afternoon_carries_over_the_weekend():
    assert add_business_minutes(jakarta(6, 16), 120, OFFICE) == jakarta(9, 10)


def test_a_case_opened_on_saturday_starts_counting_on_monday():
    assert add_business_minutes(jakarta(7, 12), 30, OFFICE) == jakarta(9, 9, 30)


def test_before_opening_the_clock_starts_at_opening():
    assert add_business_minutes(jakarta(2, 7), 60, OFFICE) == jakarta(2, 10)


def test_zero_minutes_at_night_is_the_next_opening():
    assert add_business_minutes(jakarta(2, 20), 0, OFFICE) == jakarta(3, 9)


def test_holidays_are_skipped():
    with_holiday = Calendar.build(
        time_zone="Asia/Jakarta",
        weekdays=[0, 1, 2, 3, 4],
        start=dt.time(9),
        end=dt.time(17),
        holidays=["2026-03-09"],
    )
    assert add_business_minutes(jakarta(6, 16), 120, with_holiday) == jakarta(10, 10)


def test_the_working_day_is_read_in_the_calendars_time_zone():
    sunday_night_utc = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)  # Monday 06:30 Jakarta
    assert add_business_minutes(sunday_night_utc, 60, OFFICE) == jakarta(2, 10)


def test_a_start_given_in_another_time_zone_is_the_same_moment():
    start = jakarta(2, 10).astimezone(ZoneInfo("America/New_York"))
    assert add_business_minutes(start, 60, OFFICE) == jakarta(2, 11)


def test_a_day_that_loses_an_hour_to_daylight_saving_holds_an_hour_less():
    nights = Calendar.build(
        time_zone="Europe/Rome", weekdays=range(7), start=dt.time(1), end=dt.time(4)
    )
    # 29 March 2026: Rome's clocks jump from 02:00 to 03:00, so 01:00-04:00 is 2 real hours.
    start = dt.datetime(2026, 3, 29, 1, 0, tzinfo=ROME)
    assert add_business_minutes(start, 150, nights) == dt.datetime(2026, 3, 30, 1, 30, tzinfo=ROME)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError):
        add_business_minutes(dt.datetime(2026, 3, 2, 10), 60, OFFICE)


def test_a_calendar_without_working_days_says_so():
    never = Calendar.build(time_zone="UTC", weekdays=[], start=dt.time(9), end=dt.time(17))
    with pytest.raises(NoWorkingTime):
        add_business_minutes(jakarta(2, 10), 60, never)


def test_working_minutes_between_skip_the_night_and_the_weekend():
    assert business_minutes_between(jakarta(6, 16), jakarta(9, 10), OFFICE) == 120


def test_working_minutes_between_are_zero_when_the_end_is_first():
    assert business_minutes_between(jakarta(9, 10), jakarta(6, 16), OFFICE) == 0


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        min_value=dt.datetime(2026, 1, 1),
        max_value=dt.datetime(2027, 12, 31),
        timezones=st.just(ROME),
    ),
    minutes=st.integers(min_value=0, max_value=20_000),
    weekdays=st.sets(st.integers(0, 6), min_size=1),
    start_hour=st.integers(0, 22),
    length=st.integers(1, 10),
)
def test_the_working_minutes_between_start_and_due_are_the_minutes_asked_for(
    start, minutes, weekdays, start_hour, length
):
    calendar = Calendar.build(
        time_zone="Europe/Rome",
        weekdays=weekdays,
        start=dt.time(start_hour),
        end=dt.time(min(start_hour + length, 23), 59 if start_hour + length > 23 else 0),
        holidays=["2026-12-25", "2027-01-01"],
    )
    due = add_business_minutes(start, minutes, calendar)
    assert due >= start
    assert business_minutes_between(start, due, calendar) == minutes
