"""Case figures per bureau, street, category or agent: one SQL aggregate over the period's cases.

Counts come from SQL (one GROUP BY pass, no case loaded into Python); rates are derived from the counts
by `rates`, a pure function, so the page, the JSON and the exports show the same numbers.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from ticketing.case.models import Case, CaseEvent
from ticketing.report import working
from ticketing.report.casework import CASEWORK_COUNTS, casework_counts
from ticketing.report.periods import Period
from ticketing.sla import WorkCalendar

DIMENSIONS = ("bureau", "street", "category", "agent")
SATISFIED = ("satisfied", "mostly_satisfied")
SQL_COUNTS = ("received", "dispatched", "ack_due", "ack_on_time", "resolve_due", "resolved_on_time",
              "resolved", "reopened", "rated", "satisfied", "direct", "handled", "handling_seconds",
              "overdue", "overdue_now")
COUNTS = (*SQL_COUNTS, *CASEWORK_COUNTS)
RUNNING_STAGES = ("acknowledge", "resolve")  # a bureau's deadlines (dispatch is the centre's)
# Cases resolved this long after the period still count their handling time (the day table reaches it).
HANDLING_HORIZON = timedelta(days=400)


class UnknownDimension(ValueError):
    """A report was asked to group by something it does not know."""


@dataclass(frozen=True)
class Group:
    """One row's key: what the figures belong to (None: cases without one, e.g. not dispatched)."""

    key: str | None
    name_zh: str
    name_en: str


def _flag(condition) -> Any:
    """Count the rows meeting CONDITION: count(*) FILTER (WHERE ...), cheaper than sum(CASE ...)."""
    return func.count().filter(condition)


def _aggregates(calendar: WorkCalendar, table, days_d, days_r, as_of: datetime) -> list:
    """Return the labelled SQL aggregates of SQL_COUNTS (one pass over the period's cases)."""
    c = Case
    dispatched = c.dispatched_at.is_not(None)
    acknowledged = and_(c.acknowledged_at.is_not(None), c.acknowledged_at >= c.dispatched_at)
    resolved_after_dispatch = and_(c.resolved_at.is_not(None), c.resolved_at >= c.dispatched_at)
    # Due: answered, or its deadline passed (a paused resolve clock is not due: resume moves the deadline).
    ack_due = and_(c.acknowledge_by.is_not(None), dispatched, acknowledged | (c.acknowledge_by < as_of))
    ack_on_time = and_(acknowledged, c.acknowledged_at <= c.acknowledge_by)
    resolve_due = and_(c.resolve_by.is_not(None), dispatched,
                       resolved_after_dispatch | and_(c.resolve_by < as_of, c.paused_at.is_(None)))
    resolved_on_time = and_(resolved_after_dispatch, c.resolved_at <= c.resolve_by)
    overdue = or_(and_(ack_due, ~ack_on_time), and_(resolve_due, ~resolved_on_time))
    # Overdue now: the running stage's stored due instant (cases.sla_due_at, kept by the workflow) passed.
    overdue_now = and_(c.sla_stage.in_(RUNNING_STAGES), c.sla_due_at < as_of, c.paused_at.is_(None))
    handled = and_(resolved_after_dispatch, days_d.c.d.is_not(None), days_r.c.d.is_not(None))
    handling = (working.working_epoch(calendar, table, days_r, c.resolved_at)
                - working.working_epoch(calendar, table, days_d, c.dispatched_at) - c.paused_seconds)
    return [
        func.count().label("received"),
        func.count(c.dispatched_at).label("dispatched"),
        _flag(ack_due).label("ack_due"),
        _flag(ack_on_time).label("ack_on_time"),
        _flag(resolve_due).label("resolve_due"),
        _flag(resolved_on_time).label("resolved_on_time"),
        func.count(c.resolved_at).label("resolved"),
        func.count(c.reopened_at).label("reopened"),
        func.count(c.satisfaction).label("rated"),
        _flag(c.satisfaction.in_(SATISFIED)).label("satisfied"),
        _flag(and_(c.dispatched_at.is_(None), c.resolved_at.is_not(None))).label("direct"),
        _flag(handled).label("handled"),
        func.sum(handling).filter(handled).label("handling_seconds"),
        _flag(overdue).label("overdue"),
        _flag(overdue_now).label("overdue_now"),
    ]


def _group_column(dimension: str):
    if dimension == "bureau":
        return Case.bureau_id
    if dimension == "street":
        return Case.street_id
    if dimension == "category":
        return Case.category_id
    if dimension == "agent":
        return CaseEvent.actor
    raise UnknownDimension(f"unknown grouping {dimension!r}: use one of {', '.join(DIMENSIONS)}")


def case_counts(session: Session, calendar: WorkCalendar, span: Period, dimension: str,
                as_of: datetime) -> dict[Any, dict[str, float]]:
    """Return {group id or actor (None: none): counts} for cases received in SPAN."""
    counts = {key: row for (key, _day), row in _sql_counts(session, calendar, span, dimension, as_of).items()}
    return merge_casework(counts, casework_counts(session, span, dimension))


def daily_counts(session: Session, calendar: WorkCalendar, window: Period, dimension: str,
                 as_of: datetime) -> dict[tuple[Any, int], dict[str, float]]:
    """Return {(group, local day number): counts} of the cases received in WINDOW (no casework counts).

    One pass serves a page that shows a period and a 12-month trend: fold the days of each (see `fold`).
    """
    return _sql_counts(session, calendar, window, dimension, as_of, by_day=True)


def fold(daily: dict[tuple[Any, int], dict[str, float]], first: int, last: int) -> dict[Any, dict]:
    """Return the daily counts of days FIRST..LAST (day numbers, inclusive) added up per group."""
    folded: dict[Any, dict[str, float]] = {}
    for (key, day), row in daily.items():
        if first <= day <= last:
            target = folded.setdefault(key, dict.fromkeys(SQL_COUNTS, 0.0))
            for name in SQL_COUNTS:
                target[name] += row[name]
    return folded


def _sql_counts(session: Session, calendar: WorkCalendar, span: Period, dimension: str, as_of: datetime,
                by_day: bool = False) -> dict[tuple[Any, int | None], dict[str, float]]:
    """Run the one-pass aggregate: per group, or per group and local day of receipt (BY_DAY)."""
    group = _group_column(dimension)
    table = working.day_table(calendar, span.first - timedelta(days=1), span.last + HANDLING_HORIZON)
    days_d, days_r = working.days_clause(table, "days_d"), working.days_clause(table, "days_r")
    keys = [group.label("group_key")]
    if by_day:
        keys.append(working.day_of(calendar, table, Case.created_at).label("day"))
    query = (select(*keys, *_aggregates(calendar, table, days_d, days_r, as_of))
             .select_from(Case)
             .outerjoin(days_d, days_d.c.d == working.day_of(calendar, table, Case.dispatched_at))
             .outerjoin(days_r, days_r.c.d == working.day_of(calendar, table, Case.resolved_at))
             .where(Case.created_at >= span.start, Case.created_at < span.end, Case.merged_into_id.is_(None))
             .group_by(*(k.element for k in keys)))
    if dimension == "agent":
        query = query.join(CaseEvent, and_(CaseEvent.case_id == Case.id, CaseEvent.action == "create"))
    prepare(session)
    return {(row.group_key, row.day if by_day else None): {name: float(getattr(row, name) or 0)
                                                             for name in SQL_COUNTS}
            for row in session.execute(query)}


def merge_casework(counts: dict[Any, dict[str, float]], extra: dict[Any, dict[str, float]]) -> dict:
    """Add the casework counts to the rows (a bureau that only returned cases gets a row of its own)."""
    for row in counts.values():
        row.update(dict.fromkeys(CASEWORK_COUNTS, 0.0))
    for key, more in extra.items():
        row = counts.setdefault(key, {**dict.fromkeys(COUNTS, 0.0)})
        for name in CASEWORK_COUNTS:
            row[name] = more[name]
        row["dispatched"] += more["dispatched_elsewhere"]
    return counts


def prepare(session: Session) -> None:
    """Give a SQLite connection the time-zone functions the report's SQL uses.

    make_engine registers them on connect; this covers connections made otherwise, when no statement of
    the connection is open (SQLite cannot add a function under an open cursor).
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        dbapi = connection.connection.dbapi_connection
        try:
            dbapi.execute("SELECT hotline_local_day(NULL, 'UTC')").close()
        except sqlite3.OperationalError:
            working.register_sqlite_functions(dbapi)


def _percent(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def rates(counts: dict[str, float]) -> dict[str, Any]:
    """Return the published figures of one row from its counts (None where nothing can be measured)."""
    handled = counts["handled"]
    return {
        "received": int(counts["received"]),
        "dispatched": int(counts["dispatched"]),
        "acknowledged_on_time_pct": _percent(counts["ack_on_time"], counts["ack_due"]),
        "resolved_on_time_pct": _percent(counts["resolved_on_time"], counts["resolve_due"]),
        "returned_pct": _percent(counts["returned"], counts["dispatched"]),
        "extended_pct": _percent(counts["extended"], counts["dispatched"]),
        "resolved": int(counts["resolved"]),
        "reopened_pct": _percent(counts["reopened"], counts["resolved"]),
        "avg_handling_hours": round(counts["handling_seconds"] / handled / 3600, 2) if handled else None,
        "overdue": int(counts["overdue"]),
        "overdue_now": int(counts["overdue_now"]),
        "urged": int(counts["urged"]),
        "supervised": int(counts["supervised"]),
        "satisfaction_pct": _percent(counts["satisfied"], counts["rated"]),
        "rated": int(counts["rated"]),
        "direct_answer_pct": _percent(counts["direct"], counts["received"]),
    }


def total(counts: list[dict[str, float]], names: tuple[str, ...] = COUNTS) -> dict[str, float]:
    """Return the counts (NAMES) of several rows added up (the report's total line)."""
    return {name: sum(row[name] for row in counts) for name in names}
