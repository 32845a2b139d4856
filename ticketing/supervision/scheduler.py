"""Take the due steps of running deadlines (临期提醒, 超期, 催办, 督办), each exactly once.

Safe with several server processes: due cases are claimed with FOR UPDATE SKIP LOCKED (PostgreSQL), and
the notice row's unique (case, deadline key, kind) makes a step that another process already took a no-op.
The case row is updated with a plain UPDATE that leaves its version alone, so a clerk working on the case
at that moment is not told that someone else changed it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from ticketing import outbox
from ticketing.case import due, service
from ticketing.case.models import Case
from ticketing.database.core import session_scope
from ticketing.dataset import Dataset
from ticketing.supervision import notify, orders
from ticketing.supervision.models import CaseNotice

log = logging.getLogger(__name__)
SYSTEM = "system"
EVENT_ACTIONS = {"reminder": "sla-reminder", "overdue": "sla-overdue", "urge": "urge",
                 "supervise": "supervise"}
AUTO_REASON = "超期未办结，系统自动督办 / overdue: put under supervision automatically"


@dataclass(frozen=True)
class Raised:
    """One step taken: what happened to which case (announced by notify.notice through the outbox)."""

    number: str
    kind: str
    stage: str
    bureau: str | None
    due_at: datetime
    at: datetime
    order_id: int | None = None
    bureau_id: int | None = None


def claim_due(session: Session, now: datetime, limit: int) -> list[int]:
    """Return ids of cases whose next step is due, locked for this transaction (others skip them)."""
    query = select(Case.id).where(Case.sla_next_at <= now).order_by(Case.sla_next_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def take_step(session: Session, dataset: Dataset, case: Case, now: datetime) -> Raised | None:
    """Take the case's due step once and move its next-step columns on; return what was raised."""
    kind, stage, key, deadline = case.sla_next_kind, case.sla_stage, case.sla_key, case.sla_due_at
    if kind is None or stage is None or key is None or deadline is None:
        _set_next(session, case.id, None, None)
        return None
    bureau_id = None if stage == "dispatch" else case.bureau_id
    raised = None
    if _insert_notice(session, case.id, bureau_id, stage, key, kind, deadline, now):
        order_id = _record(session, dataset, case, kind, stage, deadline, now)
        bureau = case.bureau.code if case.bureau and bureau_id else None
        raised = Raised(case.number, kind, stage, bureau, deadline, now, order_id, bureau_id)
        outbox.add(session, notify.notice(raised))
    following, at = due.advance(case, dataset, kind)
    at = None if case.paused_at is not None else at
    supervised = now if raised and raised.order_id else None
    _set_next(session, case.id, following, at, supervised=supervised)
    # Keep the loaded copy in step without marking it changed (the UPDATE above wrote it).
    set_committed_value(case, "sla_next_kind", following)
    set_committed_value(case, "sla_next_at", at)
    if supervised is not None:
        set_committed_value(case, "supervised_at", supervised)
    return raised


def _insert_notice(session: Session, case_id: int, bureau_id: int | None, stage: str, key: str, kind: str,
                   deadline: datetime, now: datetime) -> bool:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(CaseNotice).values(case_id=case_id, bureau_id=bureau_id, stage=stage, sla_key=key,
                                          kind=kind, due_at=deadline, created_at=now)
    result = session.execute(statement.on_conflict_do_nothing())
    return bool(result.rowcount)


def _record(session: Session, dataset: Dataset, case: Case, kind: str, stage: str, deadline: datetime,
            now: datetime) -> int | None:
    """Write the step into the case's trail; 督办 also writes its order (unless one is still open)."""
    order_id = None
    data: dict[str, object] = {"stage": stage, "due": deadline.isoformat()}
    if kind == "supervise":
        if orders.open_order(session, case.id) is not None:
            return None
        row = orders.new_order(session, dataset, case, SYSTEM, now, AUTO_REASON, automatic=True)
        order_id = row.id
        data.update(order=row.id, answer_by=row.answer_by.isoformat(), automatic=True)
    session.add(service.new_event(case, SYSTEM, EVENT_ACTIONS[kind], case.status, data=data, at=now,
                                  note=AUTO_REASON if kind == "supervise" else ""))
    return order_id


def _set_next(session: Session, case_id: int, kind: str | None, at: datetime | None,
              supervised: datetime | None = None) -> None:
    values: dict[str, object] = {"sla_next_kind": kind, "sla_next_at": at}
    if supervised is not None:
        values["supervised_at"] = supervised
    session.execute(update(Case).where(Case.id == case_id).values(**values)
                    .execution_options(synchronize_session=False))


def run_due(factory: sessionmaker[Session], dataset: Dataset, now: datetime, batch: int = 100,
            max_batches: int = 50) -> list[Raised]:
    """Take every step due at NOW, a batch per transaction; return what was raised."""
    raised: list[Raised] = []
    for _ in range(max_batches):
        with session_scope(factory) as session:
            ids = claim_due(session, now, batch)
            for case_id in ids:
                raised.extend(_catch_up(session, dataset, session.get(Case, case_id), now))
        if len(ids) < batch:
            break
    if raised:
        log.info("supervision: %d step(s) taken at %s", len(raised), now.isoformat())
    return raised


def _catch_up(session: Session, dataset: Dataset, case: Case | None, now: datetime) -> list[Raised]:
    """Take every step of the case due by NOW (a scheduler that was down catches up in order)."""
    raised: list[Raised] = []
    for _ in range(len(EVENT_ACTIONS) + 1):
        if case is None or case.sla_next_at is None or case.sla_next_at > now:
            break
        step = take_step(session, dataset, case, now)
        raised.extend([step] if step else [])
    return raised


def backfill(factory: sessionmaker[Session], dataset: Dataset, batch: int = 500) -> int:
    """Stamp the due columns of open cases that have none yet (written before the columns existed)."""
    from ticketing.case import states

    done = 0
    while True:
        with session_scope(factory) as session:
            query = select(Case).where(Case.sla_key.is_(None), Case.status.in_(states.OPEN_STATUSES),
                                       Case.id > done).order_by(Case.id).limit(batch)
            cases = list(session.scalars(query).unique())
            for case in cases:
                due.stamp(case, dataset)
                done = case.id
        if len(cases) < batch:
            return done
