"""Read the deadline notices the scheduler raised, newest first, for workspaces and the wallboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau
from ticketing.case.models import Case
from ticketing.supervision.models import CaseNotice


@dataclass(frozen=True)
class NoticeRow:
    """One notice as lists show it."""

    number: str
    status: str
    kind: str
    stage: str
    due: datetime
    at: datetime
    bureau_zh: str
    bureau_en: str


def recent(session: Session, *, bureau_id: int | None = None, stage: str | None = None,
           limit: int = 10) -> list[NoticeRow]:
    """Return the latest notices, of one bureau or of one stage (dispatch: the centre's own) when given."""
    query = (select(CaseNotice, Case.number, Case.status, Bureau.name_zh, Bureau.name_en)
             .join(Case, Case.id == CaseNotice.case_id)
             .outerjoin(Bureau, Bureau.id == CaseNotice.bureau_id))
    if bureau_id is not None:
        query = query.where(CaseNotice.bureau_id == bureau_id)
    if stage is not None:
        query = query.where(CaseNotice.stage == stage)
    found = session.execute(query.order_by(CaseNotice.id.desc()).limit(limit)).all()
    return [NoticeRow(number, status, n.kind, n.stage, n.due_at, n.created_at, zh or "", en or "")
            for n, number, status, zh, en in found]
