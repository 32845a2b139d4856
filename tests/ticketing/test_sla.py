"""SLA engine: working-time arithmetic on a synthetic calendar and on the real Futian 2026/2027 files."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ticketing.config import PACKAGE_DATA
from ticketing.dataset import load_dataset
from ticketing.sla import (
    CalendarError,
    Deadlines,
    Limit,
    SlaContext,
    SlaPolicy,
    WorkCalendar,
    WorkingPeriod,
    callback_deadline,
    dispatch_deadlines,
    extend,
    in_bulletin,
    intake_deadlines,
    overdue_working_days,
    paused_working_time,
    shift,
    sla_state,
    time_used,
)

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
M = timedelta(minutes=1)

# Synthetic calendar: 09–12 and 14–18 Mon–Fri; Wed 2030-01-09 to Fri 01-11 off, Sat 01-12 worked (调休).
# 2030-01-14 starts an ordinary week (Mon 14 … Fri 18, Sat 19, Sun 20, Mon 21).
SYNTHETIC = WorkCalendar(
    timezone=SH,
    periods=(WorkingPeriod(time(9), time(12)), WorkingPeriod(time(14), time(18))),
    holidays=frozenset({date(2030, 1, 9), date(2030, 1, 10), date(2030, 1, 11)}),
    workdays=frozenset({date(2030, 1, 12)}),
    years=frozenset({2030}),
)


def t(text: str) -> datetime:
    """Return the Shanghai datetime written 'YYYY-MM-DD HH:MM[:SS[.ffffff]]'."""
    return datetime.fromisoformat(text).replace(tzinfo=SH)


class _Cat:
    def __init__(self, sla_class: str, dispatch_class: str) -> None:
        self.sla_class, self.dispatch_class = sla_class, dispatch_class


POLICY = SlaPolicy(
    dispatch={"urgent": Limit("clock_hours", 1), "utilities": Limit("clock_hours", 2),
              "general": Limit("clock_hours", 24)},
    acknowledge=Limit("working_hours", 2),
    resolve={"urgent": Limit("same_working_day"), "help": Limit("working_days", 3),
             "complaint": Limit("working_days", 13)},
    callback=Limit("next_working_day"),
)
CONTEXT = SlaContext(POLICY, SYNTHETIC)


@pytest.fixture(scope="module")
def futian():
    """The Futian sample with the real 2026 and provisional 2027 calendar files."""
    return load_dataset(PACKAGE_DATA / "futian")


# ---- is_working_time ----------------------------------------------------------------------------------
@pytest.mark.parametrize("at, expected", [
    ("2030-01-14 09:00", True), ("2030-01-14 08:59:59.999999", False), ("2030-01-14 11:59:59", True),
    ("2030-01-14 12:00", False), ("2030-01-14 13:59", False), ("2030-01-14 14:00", True),
    ("2030-01-14 17:59:59", True), ("2030-01-14 18:00", False), ("2030-01-19 10:00", False),
    ("2030-01-09 10:00", False), ("2030-01-12 10:00", True), ("2030-01-13 10:00", False),
])
def test_is_working_time(at, expected):
    assert SYNTHETIC.is_working_time(t(at)) is expected


# ---- add_working_time ---------------------------------------------------------------------------------
@pytest.mark.parametrize("start, amount, expected", [
    ("2030-01-14 10:00", H, "2030-01-14 11:00"),
    ("2030-01-14 11:00", H, "2030-01-14 12:00"),  # ends exactly at lunch: stays at 12:00
    ("2030-01-14 11:30", H, "2030-01-14 14:30"),  # across lunch
    ("2030-01-14 12:00", H, "2030-01-14 15:00"),  # starts exactly at 12:00
    ("2030-01-14 12:30", 30 * M, "2030-01-14 14:30"),  # starts in the lunch break
    ("2030-01-14 17:00", H, "2030-01-14 18:00"),  # ends exactly at 18:00
    ("2030-01-14 18:00", H, "2030-01-15 10:00"),  # starts exactly at 18:00
    ("2030-01-14 17:30", H, "2030-01-15 09:30"),  # across the night
    ("2030-01-14 07:00", H, "2030-01-14 10:00"),  # starts before hours
    ("2030-01-14 09:00", 7 * H, "2030-01-14 18:00"),  # one full working day
    ("2030-01-14 09:00", 7 * H + M, "2030-01-15 09:01"),
    ("2030-01-18 17:00", 2 * H, "2030-01-21 10:00"),  # Friday over the weekend
    ("2030-01-19 10:00", 2 * H, "2030-01-21 11:00"),  # starts on Saturday
    ("2030-01-08 17:00", 2 * H, "2030-01-12 10:00"),  # holiday block, then the make-up Saturday
    ("2030-01-12 17:00", 2 * H, "2030-01-14 10:00"),  # make-up Saturday to Monday
    ("2030-01-14 11:59:59.500000", timedelta(seconds=1), "2030-01-14 14:00:00.500000"),
    ("2030-01-14 10:00", 35 * H, "2030-01-21 10:00"),  # one working week
])
def test_add_working_time(start, amount, expected):
    assert SYNTHETIC.add_working_time(t(start), amount) == t(expected)


def test_add_working_time_converts_other_timezones():
    result = SYNTHETIC.add_working_time(datetime(2030, 1, 14, 1, 0, tzinfo=ZoneInfo("UTC")), H)
    assert result == t("2030-01-14 10:00") and result.tzinfo == SH


@pytest.mark.parametrize("amount", [timedelta(0), -H, -M])
def test_add_working_time_refuses_zero_and_negative(amount):
    with pytest.raises(CalendarError, match="positive"):
        SYNTHETIC.add_working_time(t("2030-01-14 10:00"), amount)


def test_naive_datetimes_are_refused():
    with pytest.raises(CalendarError, match="timezone"):
        SYNTHETIC.is_working_time(datetime(2030, 1, 14, 10))


# ---- working_time_between -----------------------------------------------------------------------------
@pytest.mark.parametrize("a, b, expected", [
    ("2030-01-14 10:00", "2030-01-14 10:00", timedelta(0)),
    ("2030-01-14 11:00", "2030-01-14 15:00", 2 * H),
    ("2030-01-14 12:00", "2030-01-14 14:00", timedelta(0)),
    ("2030-01-14 08:00", "2030-01-14 20:00", 7 * H),
    ("2030-01-18 17:00", "2030-01-21 10:00", 2 * H),
    ("2030-01-08 17:00", "2030-01-12 10:00", 2 * H),
    ("2030-01-14 15:00", "2030-01-14 11:00", -2 * H),
    ("2030-01-14 09:00", "2030-01-21 09:00", 35 * H),
])
def test_working_time_between(a, b, expected):
    assert SYNTHETIC.working_time_between(t(a), t(b)) == expected


@pytest.mark.parametrize("start, amount", [
    ("2030-01-14 10:17", 13 * M), ("2030-01-08 11:45", 9 * H), ("2030-01-18 17:59", 50 * H),
])
def test_between_inverts_add(start, amount):
    end = SYNTHETIC.add_working_time(t(start), amount)
    assert SYNTHETIC.working_time_between(t(start), end) == amount


def _walked(calendar: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time from A to B (A <= B) summed period by period over every day: the plain definition."""
    total, day = timedelta(0), a.date()
    while day <= b.date():
        for start, end in calendar.day_periods(day):
            total += max(min(end, b) - max(start, a), timedelta(0))
        day += timedelta(days=1)
    return total


@pytest.mark.parametrize("a, b", [
    ("2030-01-01 00:00", "2030-03-01 00:00"), ("2030-01-08 17:30", "2030-01-12 09:30"),
    ("2029-12-30 13:00", "2033-02-11 16:45"), ("2030-01-09 10:00", "2030-01-13 23:00"),
    ("2030-01-12 11:00", "2030-01-12 15:00"), ("2030-01-13 18:00", "2031-01-13 08:59"),
])
def test_between_long_spans_equal_the_walk(a, b):
    assert SYNTHETIC.working_time_between(t(a), t(b)) == _walked(SYNTHETIC, t(a), t(b))


def test_between_on_the_real_calendar_equals_the_walk():
    calendar = load_dataset(PACKAGE_DATA / "futian").calendar
    start = t("2025-12-20 10:15")
    for days in (0, 1, 3, 8, 31, 40, 100, 400, 800):
        end = start + timedelta(days=days, hours=5, minutes=7)
        assert calendar.working_time_between(start, end) == _walked(calendar, start, end)


# ---- working days -------------------------------------------------------------------------------------
@pytest.mark.parametrize("start, days, expected", [
    ("2030-01-14 10:00", 1, "2030-01-15 18:00"),
    ("2030-01-14 20:00", 1, "2030-01-15 18:00"),
    ("2030-01-18 10:00", 1, "2030-01-21 18:00"),
    ("2030-01-19 10:00", 1, "2030-01-21 18:00"),
    ("2030-01-08 10:00", 1, "2030-01-12 18:00"),  # holiday block, make-up Saturday counts
    ("2030-01-08 10:00", 2, "2030-01-14 18:00"),
    ("2030-01-14 10:00", 5, "2030-01-21 18:00"),
])
def test_add_working_days(start, days, expected):
    assert SYNTHETIC.add_working_days(t(start), days) == t(expected)


@pytest.mark.parametrize("days", [0, -1, 1.5, True])
def test_add_working_days_refuses_bad_counts(days):
    with pytest.raises(CalendarError):
        SYNTHETIC.add_working_days(t("2030-01-14 10:00"), days)


@pytest.mark.parametrize("at, expected", [
    ("2030-01-14 10:00", "2030-01-14 18:00"), ("2030-01-14 17:59", "2030-01-14 18:00"),
    ("2030-01-14 18:00", "2030-01-15 18:00"), ("2030-01-14 08:00", "2030-01-14 18:00"),
    ("2030-01-14 12:30", "2030-01-14 18:00"), ("2030-01-12 10:00", "2030-01-12 18:00"),
    ("2030-01-20 10:00", "2030-01-21 18:00"), ("2030-01-09 10:00", "2030-01-12 18:00"),
])
def test_end_of_working_day(at, expected):
    assert SYNTHETIC.end_of_working_day(t(at)) == t(expected)


@pytest.mark.parametrize("at, expected", [
    ("2030-01-14 10:00", "2030-01-15 18:00"), ("2030-01-18 20:00", "2030-01-21 18:00"),
    ("2030-01-08 09:00", "2030-01-12 18:00"),
])
def test_next_working_day_end(at, expected):
    assert SYNTHETIC.next_working_day_end(t(at)) == t(expected)


@pytest.mark.parametrize("kwargs, message", [
    ({"periods": ()}, "at least one"),
    ({"periods": (WorkingPeriod(time(9), time(12)), WorkingPeriod(time(11), time(18)))}, "overlap"),
    ({"periods": (WorkingPeriod(time(12), time(9)),)}, "end after"),
    ({"weekdays": frozenset()}, "at least one"),
    ({"holidays": frozenset({date(2030, 1, 12)}), "workdays": frozenset({date(2030, 1, 12)})}, "both"),
])
def test_calendar_refuses_inconsistent_definitions(kwargs, message):
    base = {"timezone": SH, "periods": SYNTHETIC.periods}
    with pytest.raises(CalendarError, match=message):
        WorkCalendar(**(base | kwargs))


def test_calendar_with_no_working_day_fails_instead_of_looping():
    never = WorkCalendar(SH, SYNTHETIC.periods, weekdays=frozenset({0}),
                         holidays=frozenset(date(2030, 1, 7) + timedelta(days=7 * i) for i in range(600)))
    with pytest.raises(CalendarError, match="within"):
        never.add_working_time(t("2030-01-07 10:00"), H)


# ---- deadlines ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("dispatch_class, received, expected", [
    ("urgent", "2030-01-19 23:30", "2030-01-20 00:30"),  # clock hours: weekend nights count
    ("utilities", "2030-01-14 17:30", "2030-01-14 19:30"),
    ("general", "2030-01-18 20:00", "2030-01-19 20:00"),
])
def test_intake_deadline_is_in_clock_hours(dispatch_class, received, expected):
    deadlines = intake_deadlines(CONTEXT, _Cat("help", dispatch_class), t(received))
    assert deadlines == Deadlines(dispatch_by=t(expected))


def test_urgent_flag_overrides_the_category():
    assert intake_deadlines(CONTEXT, _Cat("help", "general"), t("2030-01-14 10:00"),
                            urgent=True).dispatch_by == t("2030-01-14 11:00")


@pytest.mark.parametrize("sla_class, dispatched, acknowledge, resolve", [
    ("urgent", "2030-01-14 10:00", "2030-01-14 12:00", "2030-01-14 18:00"),
    ("urgent", "2030-01-14 19:00", "2030-01-15 11:00", "2030-01-15 18:00"),
    ("help", "2030-01-14 11:30", "2030-01-14 15:30", "2030-01-17 18:00"),
    ("help", "2030-01-08 17:30", "2030-01-12 10:30", "2030-01-15 18:00"),
    ("complaint", "2030-01-14 10:30", "2030-01-14 14:30", "2030-01-31 18:00"),
])
def test_dispatch_deadlines(sla_class, dispatched, acknowledge, resolve):
    deadlines = dispatch_deadlines(CONTEXT, _Cat(sla_class, "general"), t(dispatched))
    assert (deadlines.acknowledge_by, deadlines.resolve_by) == (t(acknowledge), t(resolve))


def test_callback_by_the_next_working_day():
    assert callback_deadline(CONTEXT, t("2030-01-18 11:00")) == t("2030-01-21 18:00")


def test_extend_by_working_days():
    assert extend(SYNTHETIC, t("2030-01-18 18:00"), 3) == t("2030-01-23 18:00")
    with pytest.raises(CalendarError):
        extend(SYNTHETIC, t("2030-01-18 18:00"), 0)


def test_shift_by_paused_time():
    assert shift(SYNTHETIC, t("2030-01-14 18:00"), 2 * H) == t("2030-01-15 11:00")
    assert shift(SYNTHETIC, t("2030-01-14 18:00"), timedelta(0)) == t("2030-01-14 18:00")
    with pytest.raises(CalendarError):
        shift(SYNTHETIC, t("2030-01-14 18:00"), -H)


def test_paused_working_time_counts_only_working_time_and_running_pauses():
    pauses = [(t("2030-01-14 11:00"), t("2030-01-14 15:00")), (t("2030-01-18 17:00"), None)]
    assert paused_working_time(SYNTHETIC, pauses, now=t("2030-01-21 10:00")) == 2 * H + 2 * H
    with pytest.raises(CalendarError, match="before"):
        backwards = [(t("2030-01-14 11:00"), t("2030-01-14 10:00"))]
        paused_working_time(SYNTHETIC, backwards, t("2030-01-15 10:00"))


@pytest.mark.parametrize("now, paused, expected", [
    ("2030-01-14 09:00", timedelta(0), 0.0),
    ("2030-01-14 08:00", timedelta(0), 0.0),  # before the start
    ("2030-01-14 16:00", timedelta(0), 5 / 14),  # 09–12 and 14–16 of a 14-hour limit
    ("2030-01-15 18:00", timedelta(0), 1.0),
    ("2030-01-16 11:00", timedelta(0), 1.0 + 2 / 14),
])
def test_time_used(now, paused, expected):
    start, deadline = t("2030-01-14 09:00"), t("2030-01-15 18:00")  # 14 working hours
    assert time_used(SYNTHETIC, start, deadline, t(now), paused) == pytest.approx(expected)


def test_time_used_discounts_pauses_with_a_shifted_deadline():
    start = t("2030-01-14 09:00")
    deadline = shift(SYNTHETIC, t("2030-01-15 18:00"), 7 * H)  # paused one day: now Wed 18:00
    assert time_used(SYNTHETIC, start, deadline, t("2030-01-15 18:00"), paused=7 * H) == pytest.approx(0.5)
    assert time_used(SYNTHETIC, start, deadline, deadline, paused=7 * H) == pytest.approx(1.0)


def test_time_used_on_the_clock():
    start, deadline = t("2030-01-19 23:00"), t("2030-01-20 00:00")
    assert time_used(SYNTHETIC, start, deadline, t("2030-01-19 23:48"), clock=True) == pytest.approx(0.8)
    assert time_used(SYNTHETIC, start, deadline, t("2030-01-19 23:48")) == 1.0  # no working time in it


def test_time_used_with_an_empty_limit():
    at = t("2030-01-19 10:00")
    assert time_used(SYNTHETIC, at, at, at) == 1.0
    assert time_used(SYNTHETIC, at, at, at + M) == math.inf


@pytest.mark.parametrize("fraction, state", [
    (0.0, "on_time"), (0.79, "on_time"), (0.8, "reminder"), (1.0, "reminder"), (1.0001, "overdue"),
    (math.inf, "overdue"),
])
def test_sla_state(fraction, state):
    assert sla_state(fraction) == state


@pytest.mark.parametrize("now, days", [
    ("2030-01-14 17:00", 0), ("2030-01-14 18:00", 0), ("2030-01-15 17:59", 0), ("2030-01-15 18:00", 1),
    ("2030-01-21 18:00", 5), ("2030-01-21 17:00", 4),
])
def test_overdue_working_days_and_bulletin(now, days):
    deadline = t("2030-01-14 18:00")
    assert overdue_working_days(SYNTHETIC, deadline, t(now)) == days
    assert in_bulletin(CONTEXT, deadline, t(now)) is (days >= 5)


# ---- the real Futian calendar -------------------------------------------------------------------------
def test_futian_2026_file_shape(futian):
    calendar = futian.calendar
    days_off_2026 = {d for d in calendar.holidays if d.year == 2026}
    assert len(days_off_2026) == 33 and calendar.years == {2026, 2027}
    assert calendar.provisional_years == {2027}
    assert all(d.weekday() >= 5 for d in calendar.workdays)
    assert calendar.holiday_names[date(2026, 2, 17)].startswith("春节")


@pytest.mark.parametrize("start, amount, expected", [
    ("2026-02-13 17:00", 2 * H, "2026-02-14 10:00"),  # make-up Saturday before the Spring Festival
    ("2026-02-14 17:00", 2 * H, "2026-02-24 10:00"),  # across the Spring Festival block
    ("2026-09-30 17:00", 2 * H, "2026-10-08 10:00"),  # across the National Day block
    ("2026-09-19 10:00", 2 * H, "2026-09-20 11:00"),  # from a Saturday to the make-up Sunday
    ("2026-12-31 17:00", 2 * H, "2027-01-04 10:00"),  # year end into the provisional 2027 file
    ("2026-01-01 10:00", H, "2026-01-04 10:00"),  # New Year: Sunday 4 January is worked
])
def test_futian_working_time(futian, start, amount, expected):
    assert futian.calendar.add_working_time(t(start), amount) == t(expected)


@pytest.mark.parametrize("start, days, expected", [
    ("2026-09-18 10:00", 13, "2026-10-13 18:00"),
    ("2026-04-30 10:00", 3, "2026-05-08 18:00"),
    ("2026-04-30 10:00", 4, "2026-05-09 18:00"),
    ("2026-12-30 10:00", 3, "2027-01-05 18:00"),
])
def test_futian_working_days(futian, start, days, expected):
    assert futian.calendar.add_working_days(t(start), days) == t(expected)


def test_futian_policy_figures(futian):
    category = futian.categories["flooding"]
    intake = intake_deadlines(futian, category, t("2026-06-20 22:00"))  # a holiday night
    dispatched = dispatch_deadlines(futian, futian.categories["property-management"], t("2026-09-18 11:00"))
    assert intake.dispatch_by == t("2026-06-21 00:00")
    assert dispatched == Deadlines(None, t("2026-09-18 15:00"), t("2026-10-13 18:00"))
    assert (futian.sla.reminder_fraction, futian.sla.bulletin_working_days) == (0.8, 5)


def test_coverage_of_calendar_years(futian):
    assert futian.calendar.covers(date(2027, 12, 31)) and not futian.calendar.covers(date(2028, 1, 3))
    # 2028 has no file: the weekday rule alone (Mon 3 January 2028 is worked, Sat 1 January is not)
    assert futian.calendar.add_working_time(t("2027-12-31 17:00"), 2 * H) == t("2028-01-03 10:00")
