"""Outbox rows: stage events in a session, claim the oldest unsent ones, mark them sent, prune old ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from ticketing.bus.contract import Event, new_event_id
from ticketing.bus.core import Outgoing
from ticketing.database.types import utcnow
from ticketing.outbox.models import OutboxEntry

RELAY_LOCK = 0x686F746C696E65  # pg advisory lock key ("hotline"): one relay publishes at a time
WAKE_FLAG = "outbox.staged"  # session.info flag: this transaction staged events (the relay is woken)


INSERT = insert(OutboxEntry.__table__)


def add(session: Session, *events: Event) -> list[str]:
    """Stage events in the session's transaction (plain inserts, in order); they reach the bus once it
    commits. Return their event ids."""
    rows = [{"event_id": new_event_id(), "stream": e.STREAM, "type": e.TYPE, "key": str(e.key),
             "version": e.VERSION, "data": e.to_data(), "created_at": utcnow(), "attempts": 0}
            for e in events]
    for row in rows:  # one by one: the sequence orders them as staged
        session.connection().execute(INSERT, row)
    session.info[WAKE_FLAG] = True
    return [row["event_id"] for row in rows]


def claim(session: Session, limit: int) -> list[OutboxEntry] | None:
    """Lock and return the oldest unsent rows in order; None when another relay is publishing.

    On PostgreSQL a transaction-scoped advisory lock elects one relay at a time (so the order holds across
    server processes; a dead relay's lock goes with its connection) and the rows are read FOR UPDATE SKIP
    LOCKED. SQLite serialises writers itself.
    """
    query = select(OutboxEntry).where(OutboxEntry.sent_at.is_(None)).order_by(OutboxEntry.seq).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        if not session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": RELAY_LOCK}).scalar():
            return None
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def outgoing(row: OutboxEntry) -> Outgoing:
    """Return a row as the bus item it is published as (the row's event id is the envelope id)."""
    return Outgoing(row.stream, row.type, row.key, row.data, row.version, id=row.event_id,
                    occurred_at=row.created_at.isoformat())


def mark_sent(session: Session, rows: list[OutboxEntry], at: datetime) -> None:
    """Mark rows published."""
    session.execute(update(OutboxEntry).where(OutboxEntry.seq.in_([r.seq for r in rows]))
                    .values(sent_at=at, attempts=OutboxEntry.attempts + 1))


def mark_failed(session: Session, rows: list[OutboxEntry], error: str) -> None:
    """Count a failed publication attempt on rows (they stay unsent)."""
    session.execute(update(OutboxEntry).where(OutboxEntry.seq.in_([r.seq for r in rows]))
                    .values(attempts=OutboxEntry.attempts + 1, last_error=error[:2000]))


def unsend_recent(session: Session, window: timedelta, now: datetime | None = None) -> int:
    """Mark rows sent within `window` unsent again (the bus lost them); return how many."""
    cutoff = (now or utcnow()) - window
    result = session.execute(update(OutboxEntry).where(OutboxEntry.sent_at >= cutoff).values(sent_at=None))
    return result.rowcount or 0


def backlog(session: Session) -> int:
    """Return how many events wait for publication."""
    return session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.sent_at.is_(None)))


def prune(session: Session, older_than: timedelta, now: datetime | None = None) -> int:
    """Delete sent rows older than `older_than`; return how many."""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(delete(OutboxEntry).where(OutboxEntry.sent_at.is_not(None),
                                                       OutboxEntry.sent_at < cutoff))
    return result.rowcount or 0
