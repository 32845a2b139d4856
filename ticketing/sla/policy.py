"""Service-level limits per class, as read from a district's sla.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from ticketing.sla.calendar import WorkCalendar

LimitKind = Literal["clock_hours", "working_hours", "working_days", "same_working_day", "next_working_day"]
LIMIT_KINDS: tuple[str, ...] = (
    "clock_hours", "working_hours", "working_days", "same_working_day", "next_working_day",
)
SLA_CLASSES: tuple[str, ...] = ("urgent", "help", "complaint")
DISPATCH_CLASSES: tuple[str, ...] = ("urgent", "utilities", "general")


@dataclass(frozen=True)
class Limit:
    """One time limit: clock hours, working hours, working days, or the end of the (next) working day."""

    kind: LimitKind
    amount: float = 0

    @property
    def clock(self) -> bool:
        """Return whether the limit runs on the wall clock (24 h a day) rather than working time."""
        return self.kind == "clock_hours"

    def due(self, calendar: WorkCalendar, start: datetime) -> datetime:
        """Return the deadline of this limit for a clock started at START."""
        if self.kind == "clock_hours":
            return calendar.local(start) + timedelta(hours=self.amount)
        if self.kind == "working_hours":
            return calendar.add_working_time(start, timedelta(hours=self.amount))
        if self.kind == "working_days":
            return calendar.add_working_days(start, int(self.amount))
        if self.kind == "same_working_day":
            return calendar.end_of_working_day(start)
        return calendar.next_working_day_end(start)

    def describe(self) -> str:
        """Return the limit in words, e.g. '13 working days'."""
        if self.kind in ("same_working_day", "next_working_day"):
            return self.kind.replace("_", " ")
        unit = self.kind.replace("_", " ")
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount} {unit}" if amount != 1 else f"1 {unit[:-1]}"


@dataclass(frozen=True)
class SlaPolicy:
    """Per-class limits: dispatch by dispatch class, resolve by SLA class, plus acknowledge and callback."""

    dispatch: dict[str, Limit]
    acknowledge: Limit
    resolve: dict[str, Limit]
    callback: Limit
    reminder_fraction: float = 0.8
    bulletin_working_days: int = 5
    notes: dict[str, str] = field(default_factory=dict, compare=False)

    def dispatch_limit(self, dispatch_class: str) -> Limit:
        """Return the dispatch limit of DISPATCH_CLASS (KeyError names an unknown class)."""
        return self.dispatch[dispatch_class]

    def resolve_limit(self, sla_class: str) -> Limit:
        """Return the resolve limit of SLA_CLASS (KeyError names an unknown class)."""
        return self.resolve[sla_class]
