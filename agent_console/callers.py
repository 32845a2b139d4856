"""Who is calling: repeat callers and the order of their earlier cases on the pop (pure decisions)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from ticketing.case.states import OPEN_STATUSES


def open_first(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return CASES with the open ones first, each group keeping its (newest first) order."""
    return sorted(cases, key=lambda case: case.get("status") not in OPEN_STATUSES)


def repeat_caller(call_starts: Iterable[datetime], now: datetime, days: int,
                  calls: int) -> dict[str, int] | None:
    """Return {calls, days} when the number called at least CALLS times in the last DAYS days, else None.

    The call being answered counts: three calls within the window means two earlier ones and this one.
    """
    since = now - timedelta(days=days)
    recent = sum(1 for started in call_starts if started is not None and started >= since)
    return {"calls": recent, "days": days} if recent >= calls and calls > 0 else None
