"""Deadlines of a case and how much of each limit is used: pure functions of a policy and a calendar."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from ticketing.sla.calendar import ZERO, CalendarError, WorkCalendar
from ticketing.sla.policy import SlaPolicy

SlaState = Literal["on_time", "reminder", "overdue"]


class SlaSource(Protocol):
    """Anything carrying a policy and a calendar: a loaded Dataset, or an SlaContext."""

    @property
    def sla(self) -> SlaPolicy: ...

    @property
    def calendar(self) -> WorkCalendar: ...


class Classified(Protocol):
    """Anything with the two SLA classes of a category (a dataset Category)."""

    @property
    def sla_class(self) -> str: ...

    @property
    def dispatch_class(self) -> str: ...


@dataclass(frozen=True)
class SlaContext:
    """A policy and calendar pair, for callers that have no whole Dataset at hand."""

    sla: SlaPolicy
    calendar: WorkCalendar


@dataclass(frozen=True)
class Deadlines:
    """Deadlines of one case; each stage fills the ones it starts."""

    dispatch_by: datetime | None = None
    acknowledge_by: datetime | None = None
    resolve_by: datetime | None = None


def intake_deadlines(source: SlaSource, category: Classified, received_at: datetime,
                     *, urgent: bool = False) -> Deadlines:
    """Return the dispatch deadline of a case taken in at RECEIVED_AT (urgent forces the urgent class)."""
    dispatch_class = "urgent" if urgent else category.dispatch_class
    limit = source.sla.dispatch_limit(dispatch_class)
    return Deadlines(dispatch_by=limit.due(source.calendar, received_at))


def dispatch_deadlines(source: SlaSource, category: Classified, dispatched_at: datetime,
                       *, urgent: bool = False) -> Deadlines:
    """Return the acknowledge and resolve deadlines of a case dispatched at DISPATCHED_AT."""
    sla_class = "urgent" if urgent else category.sla_class
    return Deadlines(
        acknowledge_by=source.sla.acknowledge.due(source.calendar, dispatched_at),
        resolve_by=source.sla.resolve_limit(sla_class).due(source.calendar, dispatched_at),
    )


def callback_deadline(source: SlaSource, resolved_at: datetime) -> datetime:
    """Return when the callback (回访) to the resident is due for a case resolved at RESOLVED_AT."""
    return source.sla.callback.due(source.calendar, resolved_at)


def extend(calendar: WorkCalendar, deadline: datetime, working_days: int) -> datetime:
    """Return DEADLINE moved by an approved extension of WORKING_DAYS (end of that working day)."""
    return calendar.add_working_days(deadline, working_days)


def shift(calendar: WorkCalendar, deadline: datetime, paused: timedelta) -> datetime:
    """Return DEADLINE pushed back by PAUSED working time (time spent waiting for the resident)."""
    if paused < ZERO:
        raise CalendarError(f"paused time cannot be negative, got {paused}")
    if paused == ZERO:
        return calendar.local(deadline)
    return calendar.add_working_time(deadline, paused)


def paused_working_time(calendar: WorkCalendar, pauses: Iterable[tuple[datetime, datetime | None]],
                        now: datetime) -> timedelta:
    """Return the working time covered by PAUSES; a pause with no end is still running at NOW."""
    total = ZERO
    for start, end in pauses:
        stop = now if end is None else end
        if stop < start:
            raise CalendarError(f"pause ends ({stop.isoformat()}) before it starts ({start.isoformat()})")
        total += calendar.working_time_between(start, stop)
    return total


def time_used(calendar: WorkCalendar, start: datetime, deadline: datetime, now: datetime,
              paused: timedelta = ZERO, *, clock: bool = False) -> float:
    """Return the fraction of the limit START→DEADLINE used at NOW, not counting PAUSED time.

    DEADLINE is the effective one (already shifted by the pauses); CLOCK measures wall-clock time
    (the dispatch limits) instead of working time.
    """
    if paused < ZERO:
        raise CalendarError(f"paused time cannot be negative, got {paused}")
    measure = _clock_between if clock else calendar.working_time_between
    limit = measure(start, deadline) - paused
    used = measure(start, now) - paused
    if limit <= ZERO:
        return 1.0 if now <= deadline else math.inf
    return max(used, ZERO) / limit


def _clock_between(a: datetime, b: datetime) -> timedelta:
    if a.tzinfo is None or b.tzinfo is None:
        raise CalendarError("datetimes must carry a timezone")
    return b - a


def sla_state(fraction: float, reminder_fraction: float = 0.8) -> SlaState:
    """Return on_time, reminder (催办, at REMINDER_FRACTION or more) or overdue (past the whole limit)."""
    if fraction > 1:
        return "overdue"
    if fraction >= reminder_fraction:
        return "reminder"
    return "on_time"


def overdue_working_days(calendar: WorkCalendar, deadline: datetime, now: datetime) -> int:
    """Return the whole working days (of the calendar's day length) elapsed past DEADLINE at NOW."""
    late = calendar.working_time_between(deadline, now)
    if late <= ZERO:
        return 0
    return late // calendar.day_length


def in_bulletin(source: SlaSource, deadline: datetime, now: datetime) -> bool:
    """Return whether a case due at DEADLINE is late enough at NOW for the monthly bulletin (效能通报)."""
    return overdue_working_days(source.calendar, deadline, now) >= source.sla.bulletin_working_days
