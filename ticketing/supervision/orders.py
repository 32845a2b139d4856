"""Supervision orders (督办单): ordered by a supervisor or the scheduler, answered by the bureau."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.case.models import Case
from ticketing.dataset import Dataset
from ticketing.supervision.models import SupervisionOrder


def open_order(session: Session, case_id: int) -> SupervisionOrder | None:
    """Return the case's unanswered supervision order, if any."""
    query = select(SupervisionOrder).where(
        SupervisionOrder.case_id == case_id, SupervisionOrder.answered_at.is_(None)
    )
    return session.scalars(query.order_by(SupervisionOrder.id.desc())).first()


def order(session: Session, dataset: Dataset, case: Case, actor: str, now: datetime, reason: str,
          *, automatic: bool = False) -> SupervisionOrder:
    """Write a supervision order for the case's bureau and put the case under supervision."""
    row = new_order(session, dataset, case, actor, now, reason, automatic=automatic)
    case.supervised_at = now
    return row


def new_order(session: Session, dataset: Dataset, case: Case, actor: str, now: datetime, reason: str,
              *, automatic: bool = False) -> SupervisionOrder:
    """Insert a supervision order, due for a written answer per supervision.yaml (the case is not touched)."""
    row = SupervisionOrder(
        case_id=case.id, bureau_id=case.bureau_id, ordered_by=actor, ordered_at=now, automatic=automatic,
        reason=reason, answer_by=dataset.escalation.answer_within.due(dataset.calendar, now),
    )
    session.add(row)
    session.flush()
    return row


def answer(case: Case, row: SupervisionOrder, text: str, actor: str, now: datetime) -> None:
    """Record the bureau's written answer; the case leaves supervision."""
    row.answer, row.answered_by, row.answered_at = text, actor, now
    case.supervised_at = None


def orders_of(session: Session, case_id: int) -> list[SupervisionOrder]:
    """Return every supervision order of a case, oldest first."""
    query = select(SupervisionOrder).where(SupervisionOrder.case_id == case_id)
    return list(session.scalars(query.order_by(SupervisionOrder.id)))
