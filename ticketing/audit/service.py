"""Write and read the access audit trail. Functions flush only; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.audit.models import AUDIT_ACTIONS, AccessRecord
from ticketing.database.types import utcnow


def record(session: Session, username: str, role: str, action: str, case_number: str | None,
           target: str = "", detail: str = "", at: datetime | None = None) -> AccessRecord:
    """Append one access to the trail (unmask, play-recording, open-attachment, monitor-*)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}: use one of {', '.join(AUDIT_ACTIONS)}")
    row = AccessRecord(username=username, role=role, action=action, case_number=case_number,
                       target=target[:500], detail=detail, at=at or utcnow())
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class AuditPage:
    """Newest-first page of the trail; `next_before` is the id to continue from (None: no more)."""

    items: list[AccessRecord]
    next_before: int | None


def page(session: Session, *, before: int | None = None, username: str | None = None,
         case_number: str | None = None, actions: tuple[str, ...] | None = None,
         limit: int = 50) -> AuditPage:
    """Return up to LIMIT records older than id BEFORE, optionally of one user, case or actions (keyset)."""
    query = select(AccessRecord)
    if actions is not None:
        query = query.where(AccessRecord.action.in_(actions))
    if before is not None:
        query = query.where(AccessRecord.id < before)
    if username:
        query = query.where(AccessRecord.username == username)
    if case_number:
        query = query.where(AccessRecord.case_number == case_number)
    rows = list(session.scalars(query.order_by(AccessRecord.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more and rows else None)
