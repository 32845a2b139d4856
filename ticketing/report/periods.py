"""Report periods: inclusive local dates turned into UTC instants, months, and their validation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366 + 1  # the longest period a report covers
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class InvalidPeriod(ValueError):
    """The requested period cannot be reported (reversed, too long, malformed)."""


@dataclass(frozen=True)
class Period:
    """From `first` to `last` local dates inclusive, in the district's time zone."""

    first: date
    last: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        """Return the UTC instant the period starts (local midnight of `first`)."""
        return datetime.combine(self.first, time(), self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Return the UTC instant the period ends, exclusive (local midnight after `last`)."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.tz).astimezone(UTC)

    @property
    def label(self) -> str:
        """Return the period as text, e.g. 2026-11-01 – 2026-11-30."""
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def period(first: date, last: date, tz: ZoneInfo) -> Period:
    """Return a checked period; InvalidPeriod when reversed or longer than MAX_DAYS."""
    if last < first:
        raise InvalidPeriod(f"the period ends ({last}) before it starts ({first})")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidPeriod(f"a report covers at most {MAX_DAYS} days; split {first} – {last}")
    return Period(first, last, tz)


def month(text: str, tz: ZoneInfo) -> Period:
    """Return the period of a month written YYYY-MM; InvalidPeriod otherwise."""
    found = MONTH.match(text or "")
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise InvalidPeriod(f"month must be written YYYY-MM, got {text!r}")
    first = date(int(found.group(1)), int(found.group(2)), 1)
    return Period(first, next_month(first) - timedelta(days=1), tz)


def next_month(first: date) -> date:
    """Return the first day of the month after FIRST's month."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: date) -> date:
    """Return the first day of the month before FIRST's month."""
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def months_back(last: Period, count: int) -> list[Period]:
    """Return COUNT monthly periods ending with the month of LAST's last day, oldest first."""
    firsts = [last.last.replace(day=1)]
    while len(firsts) < count:
        firsts.append(previous_month(firsts[-1]))
    return [Period(f, next_month(f) - timedelta(days=1), last.tz) for f in reversed(firsts)]
