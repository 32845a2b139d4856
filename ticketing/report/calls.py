"""Call figures per queue or per agent from the call records: offered, answered, abandoned, service level.

The same definitions as the live wallboard: a call is offered to a queue when it joined it, answered when
an agent took it, abandoned when it ended unanswered; the service level is the share of offered calls
answered within the threshold (15 s by default).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from ticketing.call.models import Call
from ticketing.report.periods import Period

CALL_DIMENSIONS = ("queue", "agent")
CALL_COUNTS = ("offered", "answered", "abandoned", "within", "wait_seconds")


class UnknownCallDimension(ValueError):
    """Call figures were asked to group by something other than queue or agent."""


def call_counts(session: Session, span: Period, dimension: str, sl_seconds: int) -> dict[Any, dict]:
    """Return {queue or agent: counts} for calls that joined a queue in SPAN."""
    if dimension not in CALL_DIMENSIONS:
        known = ", ".join(CALL_DIMENSIONS)
        raise UnknownCallDimension(f"unknown grouping {dimension!r}: use one of {known}")
    answered = Call.answered_at.is_not(None)
    abandoned = and_(Call.answered_at.is_(None), Call.status == "ended")
    within = and_(answered, Call.wait_seconds <= sl_seconds)
    group = Call.queue if dimension == "queue" else Call.agent
    query = (select(group.label("group_key"),
                    func.count().label("offered"),
                    func.sum(case((answered, 1), else_=0)).label("answered"),
                    func.sum(case((abandoned, 1), else_=0)).label("abandoned"),
                    func.sum(case((within, 1), else_=0)).label("within"),
                    func.sum(case((answered, Call.wait_seconds), else_=None)).label("wait_seconds"))
             .where(Call.queue.is_not(None), Call.queued_at >= span.start, Call.queued_at < span.end)
             .group_by(group))
    if dimension == "agent":
        query = query.where(answered)
    return {row.group_key: {name: float(getattr(row, name) or 0) for name in CALL_COUNTS}
            for row in session.execute(query)}


def call_rates(counts: dict[str, float]) -> dict[str, Any]:
    """Return one row's published call figures from its counts."""
    settled = counts["answered"] + counts["abandoned"]
    return {
        "offered": int(counts["offered"]),
        "answered": int(counts["answered"]),
        "abandoned": int(counts["abandoned"]),
        "answer_pct": round(100.0 * counts["answered"] / settled, 1) if settled else None,
        "service_level_pct": round(100.0 * counts["within"] / settled, 1) if settled else None,
        "avg_wait_seconds": (round(counts["wait_seconds"] / counts["answered"], 1)
                             if counts["answered"] else None),
    }


def call_total(rows: list[dict[str, float]]) -> dict[str, float]:
    """Return the counts of several rows added up."""
    return {name: sum(row[name] for row in rows) for name in CALL_COUNTS}
