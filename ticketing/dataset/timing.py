"""Parse sla.yaml (working hours and limits) and calendar/<year>.yaml (holidays, make-up working days)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ticketing.dataset.errors import DatasetError
from ticketing.dataset.reader import Fields
from ticketing.dataset.yamlio import read_yaml
from ticketing.sla import (
    DISPATCH_CLASSES,
    LIMIT_KINDS,
    SLA_CLASSES,
    CalendarError,
    Limit,
    SlaPolicy,
    WorkCalendar,
    WorkingPeriod,
)

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLA_KEYS = ("timezone", "working_hours", "dispatch", "acknowledge", "resolve", "callback",
            "reminder_fraction", "bulletin_overdue_working_days")


def read_sla(path: Path) -> tuple[SlaPolicy, ZoneInfo, tuple[WorkingPeriod, ...], frozenset[int]]:
    """Return the policy, the timezone, the daily working periods and the working weekdays."""
    top = Fields(path, read_yaml(path), "").only(*SLA_KEYS)
    zone = _zone(top)
    periods, weekdays = _working_hours(top.sub("working_hours"))
    fraction = top.number("reminder_fraction")
    if fraction >= 1:
        raise top.fail("reminder_fraction", f"must be below 1 (a share of the limit), got {fraction}")
    bulletin = top.number("bulletin_overdue_working_days")
    if not float(bulletin).is_integer():
        raise top.fail("bulletin_overdue_working_days", f"must be a whole number of days, got {bulletin}")
    policy = SlaPolicy(
        dispatch=_limits(top.sub("dispatch"), DISPATCH_CLASSES),
        acknowledge=_limit(top.sub("acknowledge")),
        resolve=_limits(top.sub("resolve"), SLA_CLASSES),
        callback=_limit(top.sub("callback")),
        reminder_fraction=float(fraction),
        bulletin_working_days=int(bulletin),
    )
    return policy, zone, periods, weekdays


def _zone(top: Fields) -> ZoneInfo:
    name = top.text("timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise top.fail("timezone", f"unknown timezone '{name}'") from None


def _working_hours(hours: Fields) -> tuple[tuple[WorkingPeriod, ...], frozenset[int]]:
    hours.only("weekdays", "periods")
    weekdays = set()
    for name in hours.strings("weekdays"):
        if name not in WEEKDAYS:
            raise hours.fail("weekdays", f"'{name}' is not one of {', '.join(WEEKDAYS)}")
        weekdays.add(WEEKDAYS.index(name))
    periods = []
    for item in hours.mappings("periods"):
        item.only("start", "end")
        period = WorkingPeriod(item.clock_time("start"), item.clock_time("end"))
        if period.end <= period.start:
            raise item.fail("end", "a working period must end after it starts")
        if periods and period.start < periods[-1].end:
            raise item.fail("start", "working periods must be in order and must not overlap")
        periods.append(period)
    if not periods:
        raise hours.fail("periods", "at least one working period is needed")
    return tuple(periods), frozenset(weekdays)


def _limits(section: Fields, classes: tuple[str, ...]) -> dict[str, Limit]:
    section.only(*classes)
    return {name: _limit(section.sub(name)) for name in classes}


def _limit(section: Fields) -> Limit:
    """Read one limit: `{clock_hours: 1}`, `{working_hours: 2}`, `{working_days: 3}`,
    `{same_working_day: true}` or `{next_working_day: true}`."""
    section.only(*LIMIT_KINDS)
    if len(section.node) != 1:
        raise section.fail(None, f"give exactly one of {', '.join(LIMIT_KINDS)}")
    (kind,) = section.node
    if kind in ("same_working_day", "next_working_day"):
        if section.flag(kind) is not True:
            raise section.fail(kind, "write `true` (remove the limit's other kinds instead of false)")
        return Limit(kind)
    amount = section.number(kind)
    if kind == "working_days" and not float(amount).is_integer():
        raise section.fail(kind, f"working days must be a whole number, got {amount}")
    return Limit(kind, amount)


def read_calendar(directory: Path, zone: ZoneInfo, periods: tuple[WorkingPeriod, ...],
                  weekdays: frozenset[int]) -> WorkCalendar:
    """Return the calendar built from every calendar/<year>.yaml file in DIRECTORY."""
    holidays: dict[date, str] = {}
    workdays: set[date] = set()
    years: set[int] = set()
    provisional: set[int] = set()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise DatasetError(directory, None, None, "no calendar/<year>.yaml file")
    for path in files:
        year, status = _read_year(path, weekdays, holidays, workdays)
        if year in years:
            raise DatasetError(path, None, "year", f"year {year} is described by two files")
        years.add(year)
        if status == "provisional":
            provisional.add(year)
    try:
        return WorkCalendar(zone, periods, weekdays, frozenset(holidays), frozenset(workdays),
                            frozenset(years), frozenset(provisional), holiday_names=holidays)
    except CalendarError as err:
        raise DatasetError(directory, None, None, str(err)) from err


def _read_year(path: Path, weekdays: frozenset[int], holidays: dict[date, str],
               workdays: set[date]) -> tuple[int, str]:
    """Add one year's holidays and make-up days; return the year and its status."""
    top = Fields(path, read_yaml(path), "").only("year", "status", "source", "holidays", "workdays")
    year = top.number("year")
    if not float(year).is_integer():
        raise top.fail("year", f"expected a year such as 2026, got {year}")
    year = int(year)
    if path.stem != str(year):
        raise top.fail("year", f"file {path.name} describes year {year}: name it {year}.yaml")
    status = top.choice("status", ("official", "provisional"))
    top.text("source")
    for item in top.mappings("holidays"):
        item.only("name", "from", "to")
        first, last = item.day("from"), item.day("to") if item.has("to") else item.day("from")
        if last < first:
            raise item.fail("to", f"ends ({last}) before it starts ({first})")
        if first.year != year or last.year != year:
            raise item.fail("from", f"dates must lie in {year}")
        for offset in range((last - first).days + 1):
            holidays[first + timedelta(days=offset)] = item.text("name")
    for item in top.mappings("workdays", []):
        item.only("date", "name")
        day = item.day("date")
        if day.year != year:
            raise item.fail("date", f"date must lie in {year}")
        if day in holidays:
            raise item.fail("date", f"{day} is also listed as a holiday")
        if day.weekday() in weekdays:
            raise item.fail("date", f"{day} is already a working weekday: a make-up day (调休) is a day off")
        item.text("name")
        workdays.add(day)
    return year, status
