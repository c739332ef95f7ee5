"""Business-hours arithmetic: when is "N working minutes after this moment"?

Pure functions over a `Calendar` (a plain description of the working week), so they are
easy to test for nights, weekends, holidays, time zones and daylight-saving changes.
Minutes are counted in real elapsed time: a working day that loses an hour to a clock
change holds an hour less.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

# A calendar without a single working day ahead would loop forever; ten years of days is
# far past any real target, so running out means the calendar is unusable.
MAX_DAYS = 3660


class NoWorkingTime(ValueError):
    """The calendar has no working time in the next ten years."""


@dataclass(frozen=True)
class Calendar:
    time_zone: str
    weekdays: frozenset[int]  # 0 = Monday
    start: dt.time
    end: dt.time
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def build(
        cls,
        *,
        time_zone: str,
        weekdays: Iterable[int],
        start: dt.time,
        end: dt.time,
        holidays: Iterable[str | dt.date] = (),
    ) -> Calendar:
        return cls(
            time_zone=time_zone,
            weekdays=frozenset(int(day) for day in weekdays),
            start=start,
            end=end,
            holidays=frozenset(
                day if isinstance(day, dt.date) else dt.date.fromisoformat(day) for day in holidays
            ),
        )

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The working hours of `day` as two aware instants (in UTC)."""
        zone = ZoneInfo(self.time_zone)
        opens = dt.datetime.combine(day, self.start, tzinfo=zone)
        closes = dt.datetime.combine(day, self.end, tzinfo=zone)
        return opens.astimezone(dt.UTC), closes.astimezone(dt.UTC)


def add_business_minutes(start: dt.datetime, minutes: int, calendar: Calendar) -> dt.datetime:
    """The moment `minutes` of working time after `start` (an aware datetime), in UTC.

    Zero minutes from outside working hours is the next opening: the clock has not
    started yet."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    remaining = dt.timedelta(minutes=minutes)
    cursor = start.astimezone(dt.UTC)
    day = cursor.astimezone(ZoneInfo(calendar.time_zone)).date()
    for _ in range(MAX_DAYS):
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            begin = max(cursor, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += dt.timedelta(days=1)
    raise NoWorkingTime("the business calendar has no working time ahead")


def business_minutes_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> int:
    """Whole working minutes from `start` to `end` (0 when `end` is not after `start`)."""
    if end <= start:
        return 0
    total = dt.timedelta()
    day = start.astimezone(ZoneInfo(calendar.time_zone)).date()
    last = end.astimezone(ZoneInfo(calendar.time_zone)).date()
    while day <= last:
        if calendar.is_working_day(day):
            opens, closes = calendar.window(day)
            begin, finish = max(start, opens), min(end, closes)
            if begin < finish:
                total += finish - begin
        day += dt.timedelta(days=1)
    return int(total.total_seconds() // 60)
