"""Working-time calendar: daily working periods, weekdays, public holidays and make-up working days."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A deadline search never walks further than this: a calendar with no working day would loop forever.
MAX_SEARCH_DAYS = 3660
ZERO = timedelta(0)


class CalendarError(ValueError):
    """A working-time computation was asked something it cannot answer (naive datetime, amount <= 0)."""


@dataclass(frozen=True)
class WorkingPeriod:
    """One working period of a working day, start inclusive, end exclusive (e.g. 09:00–12:00)."""

    start: time
    end: time

    @property
    def length(self) -> timedelta:
        """Return the period's duration."""
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)


@dataclass(frozen=True)
class WorkCalendar:
    """Working time of one district; every result is an aware datetime in the calendar's timezone.

    A date is a working day when it is a make-up working day (调休), or when its weekday is a working
    weekday and it is not a public holiday. Years without a calendar file follow the weekday rule only.
    """

    timezone: ZoneInfo
    periods: tuple[WorkingPeriod, ...]
    weekdays: frozenset[int] = frozenset(range(5))  # 0 = Monday
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    years: frozenset[int] = frozenset()
    provisional_years: frozenset[int] = frozenset()  # years whose file awaits the official notice
    holiday_names: Mapping[date, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not self.periods or not self.weekdays:
            raise CalendarError("a calendar needs at least one working period and one working weekday")
        for earlier, later in zip(self.periods, self.periods[1:], strict=False):
            if later.start < earlier.end:
                raise CalendarError(f"working periods overlap or are unordered: {earlier} and {later}")
        if any(p.end <= p.start for p in self.periods):
            raise CalendarError("a working period must end after it starts")
        if self.holidays & self.workdays:
            both = sorted(self.holidays & self.workdays)
            raise CalendarError(f"dates both holiday and make-up working day: {both}")

    # -- days -------------------------------------------------------------------------------------------
    @property
    def day_length(self) -> timedelta:
        """Return the working time of one full working day (7 h for 09–12 + 14–18)."""
        return sum((p.length for p in self.periods), ZERO)

    def local(self, dt: datetime) -> datetime:
        """Return DT in the calendar's timezone; naive datetimes are refused."""
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise CalendarError(f"datetime {dt.isoformat()} has no timezone")
        return dt.astimezone(self.timezone)

    def covers(self, day: date) -> bool:
        """Return whether DAY's year has a calendar file (otherwise only the weekday rule applies)."""
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        """Return whether DAY is a working day."""
        if day in self.workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def day_periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """Return the working periods of DAY as aware (start, end) pairs, empty on a day off."""
        if not self.is_working_day(day):
            return []
        tz = self.timezone
        return [(datetime.combine(day, p.start, tz), datetime.combine(day, p.end, tz)) for p in self.periods]

    def day_end(self, day: date) -> datetime:
        """Return the end of the last working period on DAY."""
        return datetime.combine(day, self.periods[-1].end, self.timezone)

    def working_days_after(self, day: date) -> Iterator[date]:
        """Yield the working days strictly after DAY, in order (bounded by MAX_SEARCH_DAYS)."""
        for offset in range(1, MAX_SEARCH_DAYS + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                yield candidate
        raise CalendarError(f"no working day within {MAX_SEARCH_DAYS} days after {day}")

    # -- instants -----------------------------------------------------------------------------------------
    def is_working_time(self, dt: datetime) -> bool:
        """Return whether DT falls inside a working period (start inclusive, end exclusive)."""
        at = self.local(dt)
        return any(start <= at < end for start, end in self.day_periods(at.date()))

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """Return the instant at which AMOUNT (> 0) of working time has elapsed after START.

        A deadline that falls exactly on the end of a period stays there (11:00 + 1 h = 12:00, not 14:00).
        """
        if amount <= ZERO:
            raise CalendarError(f"working time to add must be positive, got {amount}")
        cursor = self.local(start)
        remaining = amount
        day = cursor.date()
        for _ in range(MAX_SEARCH_DAYS):
            for period_start, period_end in self.day_periods(day):
                begin = max(period_start, cursor)
                if begin >= period_end:
                    continue
                if remaining <= period_end - begin:
                    return begin + remaining
                remaining -= period_end - begin
            day += timedelta(days=1)
        raise CalendarError(f"no working time found within {MAX_SEARCH_DAYS} days after {start}")

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Return the working time from A to B (negative when B is before A).

        The first and last days are walked period by period; the whole days between count a full working
        day each (working days counted arithmetically), so a case three years overdue costs what one does.
        """
        first, last = self.local(a), self.local(b)
        if last < first:
            return -self.working_time_between(b, a)
        total = ZERO
        for day in {first.date(), last.date()}:
            for period_start, period_end in self.day_periods(day):
                overlap = min(period_end, last) - max(period_start, first)
                if overlap > ZERO:
                    total += overlap
        between = self.working_days_between(first.date() + timedelta(days=1), last.date() - timedelta(days=1))
        return total + self.day_length * between

    def working_days_between(self, start: date, end: date) -> int:
        """Return how many working days there are from START to END, both included (0 when END < START)."""
        span = (end - start).days + 1
        if span <= 0:
            return 0
        weeks, rest = divmod(span, 7)
        count = weeks * len(self.weekdays)
        count += sum((start.weekday() + offset) % 7 in self.weekdays for offset in range(rest))
        count -= sum(1 for d in self.holidays if start <= d <= end and d.weekday() in self.weekdays)
        count += sum(1 for d in self.workdays if start <= d <= end and d.weekday() not in self.weekdays)
        return count

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Return the end of the DAYS-th working day after START's date (START's own day is not counted)."""
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise CalendarError(f"working days to add must be a positive integer, got {days!r}")
        day = self.local(start).date()
        for count, working_day in enumerate(self.working_days_after(day), start=1):
            if count == days:
                return self.day_end(working_day)
        raise AssertionError("unreachable: working_days_after raises when exhausted")

    def end_of_working_day(self, dt: datetime) -> datetime:
        """Return the end of DT's working day, or of the next working day when DT is after hours or off."""
        at = self.local(dt)
        if self.is_working_day(at.date()) and at < self.day_end(at.date()):
            return self.day_end(at.date())
        return self.next_working_day_end(at)

    def next_working_day_end(self, dt: datetime) -> datetime:
        """Return the end of the first working day strictly after DT's date."""
        return self.day_end(next(self.working_days_after(self.local(dt).date())))
