"""Working time inside SQL: a table of days built from the SLA calendar, and W(t) as an SQL expression.

W(t) is the working time from the table's first day up to instant t, so the working time between two
instants is W(b) - W(a), which SQL can average over a million cases in one pass. The table is built by
ticketing.sla's calendar (holidays, make-up working days), so SQL and the deadline arithmetic agree:
W(b) - W(a) == calendar.working_time_between(a, b) for every a, b inside the table's range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Integer, case, column, literal, literal_column, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Float

from ticketing.sla import WorkCalendar

EPOCH = date(1970, 1, 1)
DAY_SECONDS = 86400


@dataclass(frozen=True)
class DayTable:
    """Rows (day number since 1970-01-01, working seconds before that day, 1 if working) for a date range."""

    first: date
    rows: tuple[tuple[int, int, int], ...]
    offset: int | None = None  # the zone's UTC offset in seconds when it is the same on every day


def fixed_offset(calendar: WorkCalendar, first: date, last: date) -> int | None:
    """Return the zone's UTC offset (seconds) when it never changes from FIRST to LAST (no DST), else None."""
    offsets, day = set(), first
    while day <= last and len(offsets) < 2:
        for hour in (0, 12):
            offsets.add(datetime.combine(day, time(hour), calendar.timezone).utcoffset())
        day += timedelta(days=1)
    return int(offsets.pop().total_seconds()) if len(offsets) == 1 else None


def day_table(calendar: WorkCalendar, first: date, last: date) -> DayTable:
    """Return the day rows from FIRST to LAST inclusive, counted with the calendar's working days."""
    length = int(calendar.day_length.total_seconds())
    rows, before, day = [], 0, first
    while day <= last:
        working = calendar.is_working_day(day)
        rows.append(((day - EPOCH).days, before, int(working)))
        before += length if working else 0
        day += timedelta(days=1)
    return DayTable(first, tuple(rows), fixed_offset(calendar, first, last))


def days_clause(table: DayTable, name: str):
    """Return the day table as a subquery named NAME (columns d, base, working) over literal VALUES.

    The rows are integers we computed, written inline: thousands of bound parameters would be slower, and
    VALUES columns are called column1..3 by both SQLite and PostgreSQL, which the outer SELECT renames.
    """
    rows = ", ".join(f"({int(d)}, {int(base)}, {int(w)})" for d, base, w in table.rows)
    sql = f"SELECT column1 AS d, column2 AS base, column3 AS working FROM (VALUES {rows}) AS v"
    cols = (column("d", Integer), column("base", Integer), column("working", Integer))
    return text(sql).columns(*cols).subquery(name)


class local_day(FunctionElement):
    """Day number (since 1970-01-01) of a UTC timestamp's local date: (timestamp, zone, fixed offset or -1).

    With a fixed offset PostgreSQL computes it from the epoch (no time-zone lookup per row: 10x cheaper).
    """

    type = Integer()
    inherit_cache = True


class local_seconds(FunctionElement):
    """Seconds since local midnight of a UTC timestamp: (timestamp, zone, fixed offset or -1)."""

    type = Float()
    inherit_cache = True


def _pg_local_epoch(element, compiler, **kw) -> str | None:
    """Return the SQL of the local epoch when the offset is fixed, else None."""
    ts, _tz, offset = list(element.clauses)
    if int(offset.name) < 0:
        return None
    return f"(date_part('epoch', {compiler.process(ts, **kw)}) + {int(offset.name)})"


@compiles(local_day, "postgresql")
def _pg_local_day(element, compiler, **kw):
    epoch = _pg_local_epoch(element, compiler, **kw)
    if epoch is not None:
        return f"CAST(floor({epoch} / {DAY_SECONDS}) AS INTEGER)"
    ts, tz, _offset = list(element.clauses)
    return (f"(CAST(timezone({compiler.process(tz, **kw)}, {compiler.process(ts, **kw)}) AS DATE)"
            " - DATE '1970-01-01')")


@compiles(local_seconds, "postgresql")
def _pg_local_seconds(element, compiler, **kw):
    epoch = _pg_local_epoch(element, compiler, **kw)
    if epoch is not None:
        return f"({epoch} - {DAY_SECONDS} * floor({epoch} / {DAY_SECONDS}))"
    ts, tz, _offset = list(element.clauses)
    return (f"EXTRACT(EPOCH FROM CAST(timezone({compiler.process(tz, **kw)}, "
            f"{compiler.process(ts, **kw)}) AS TIME))")


@compiles(local_day, "sqlite")
def _sqlite_local_day(element, compiler, **kw):
    ts, tz, _offset = list(element.clauses)
    return f"hotline_local_day({compiler.process(ts, **kw)}, {compiler.process(tz, **kw)})"


@compiles(local_seconds, "sqlite")
def _sqlite_local_seconds(element, compiler, **kw):
    ts, tz, _offset = list(element.clauses)
    return f"hotline_local_seconds({compiler.process(ts, **kw)}, {compiler.process(tz, **kw)})"


def _sqlite_local(value: str | None, tz: str) -> datetime | None:
    from zoneinfo import ZoneInfo

    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def _sqlite_day(value: str | None, tz: str) -> int | None:
    local = _sqlite_local(value, tz)
    return None if local is None else (local.date() - EPOCH).days


def _sqlite_seconds(value: str | None, tz: str) -> float | None:
    local = _sqlite_local(value, tz)
    if local is None:
        return None
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def register_sqlite_functions(dbapi_connection) -> None:
    """Teach one SQLite connection the two functions (SQLite has no time zones of its own)."""
    dbapi_connection.create_function("hotline_local_day", 2, _sqlite_day, deterministic=True)
    dbapi_connection.create_function("hotline_local_seconds", 2, _sqlite_seconds, deterministic=True)


def within_day(calendar: WorkCalendar, seconds: ColumnElement) -> ColumnElement:
    """Return the SQL working seconds of a working day elapsed at local time SECONDS after midnight."""
    total = literal(0.0)
    for period in calendar.periods:
        start = period.start.hour * 3600 + period.start.minute * 60 + period.start.second
        end = period.end.hour * 3600 + period.end.minute * 60 + period.end.second
        total = total + case((seconds <= start, 0.0), (seconds >= end, float(end - start)),
                             else_=seconds - start)
    return total


def _zone(calendar: WorkCalendar, table: DayTable) -> tuple:
    offset = -1 if table.offset is None else table.offset
    return literal_column(repr(calendar.timezone.key).replace('"', "'")), literal_column(str(offset))


def working_epoch(calendar: WorkCalendar, table: DayTable, days, ts: ColumnElement) -> ColumnElement:
    """Return W(ts): working seconds from the day table's first day to TS (joined on days.d)."""
    return days.c.base + days.c.working * within_day(calendar, local_seconds(ts, *_zone(calendar, table)))


def day_of(calendar: WorkCalendar, table: DayTable, ts: ColumnElement) -> ColumnElement:
    """Return the SQL local day number of TS (join key into the day table)."""
    return local_day(ts, *_zone(calendar, table))
