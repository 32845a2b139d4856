"""SLA engine: working-time calendar, per-class limits and case deadlines, all pure."""

from ticketing.sla.calendar import CalendarError, WorkCalendar, WorkingPeriod
from ticketing.sla.deadlines import (
    Deadlines,
    SlaContext,
    SlaSource,
    SlaState,
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
from ticketing.sla.policy import DISPATCH_CLASSES, LIMIT_KINDS, SLA_CLASSES, Limit, SlaPolicy

__all__ = [
    "DISPATCH_CLASSES",
    "LIMIT_KINDS",
    "SLA_CLASSES",
    "CalendarError",
    "Deadlines",
    "Limit",
    "SlaContext",
    "SlaPolicy",
    "SlaSource",
    "SlaState",
    "WorkCalendar",
    "WorkingPeriod",
    "callback_deadline",
    "dispatch_deadlines",
    "extend",
    "in_bulletin",
    "intake_deadlines",
    "overdue_working_days",
    "paused_working_time",
    "shift",
    "sla_state",
    "time_used",
]
