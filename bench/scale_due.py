"""Give the loaded open cases the deadlines and due instants (sla_*) the case service keeps.

The app sets a case's deadlines in working time at intake and dispatch, and stamps its running stage on
every change (ticketing.case.due.stamp); loaded rows never went through it. Here the same functions run
over every open case (a plain object stands in for the ORM row) and the results go back in one COPY and
one UPDATE, so the deadline lists are timed on what the app would have stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ticketing.case import due, states
from ticketing.case.actions import classification
from ticketing.dataset import Dataset
from ticketing.sla import dispatch_deadlines, intake_deadlines

COLUMNS = ("id", "status", "priority", "created_at", "dispatch_by", "dispatched_at", "acknowledge_by",
           "resolve_by", "paused_at")
STAMPED = ("dispatch_by", "acknowledge_by", "resolve_by", "sla_stage", "sla_key", "sla_remind_at",
           "sla_due_at", "sla_next_kind", "sla_next_at")
OPEN_SQL = f"""
SELECT {", ".join("c." + c for c in COLUMNS)}, k.code
  FROM cases c LEFT JOIN categories k ON k.id = c.category_id
 WHERE c.status = ANY(:open)
"""


def stamped(row, dataset: Dataset) -> tuple:
    """The deadlines and sla_* values the app gives a case taken in and dispatched when this one was."""
    case = SimpleNamespace(**dict(zip(COLUMNS, row[:-1], strict=True)),
                           category=SimpleNamespace(code=row[-1]) if row[-1] else None,
                           **dict.fromkeys(STAMPED[3:]))
    kind, urgent = classification(dataset, case), case.priority == "urgent"
    case.dispatch_by = intake_deadlines(dataset, kind, case.created_at, urgent=urgent).dispatch_by
    if case.dispatched_at is not None:
        later = dispatch_deadlines(dataset, kind, case.dispatched_at, urgent=urgent)
        case.acknowledge_by, case.resolve_by = later.acknowledge_by, later.resolve_by
    due.stamp(case, dataset)
    return (case.id, *(getattr(case, name) for name in STAMPED))


def fill(conn: Connection, dataset: Dataset, log: Callable[[str], None] = print) -> float:
    """Stamp every open case's running stage; return the seconds it took."""
    started = time.monotonic()
    rows = conn.execute(text(OPEN_SQL), {"open": sorted(states.OPEN_STATUSES)}).all()
    values = [stamped(row, dataset) for row in rows]
    conn.execute(text("CREATE TEMP TABLE due_fill (id int, dispatch_by timestamptz, "
                      "acknowledge_by timestamptz, resolve_by timestamptz, sla_stage text, sla_key text, "
                      "sla_remind_at timestamptz, sla_due_at timestamptz, sla_next_kind text, "
                      "sla_next_at timestamptz) ON COMMIT DROP"))
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY due_fill (id, {', '.join(STAMPED)}) FROM STDIN") as copy:
        for value in values:
            copy.write_row(value)
    conn.execute(text(f"UPDATE cases c SET {', '.join(f'{n} = f.{n}' for n in STAMPED)} "
                      "FROM due_fill f WHERE f.id = c.id"))
    conn.commit()
    elapsed = time.monotonic() - started
    running = sum(1 for v in values if v[4] is not None)
    log(f"  {'deadlines':12} {elapsed:7.1f} s ({running:,} of {len(values):,} open cases run a clock)")
    return elapsed
