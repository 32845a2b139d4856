"""Hand-computed report fixtures around the 2026 National Day holiday (1–7 Oct off, Sat 10 Oct worked).

Working hours 09:00–12:00 and 14:00–18:00, Asia/Shanghai. Case A: dispatched Wed 30 Sep 10:00, resolved
Thu 8 Oct 10:00 = 2 h + 4 h on 30 Sep, nothing 1–7 Oct, 1 h on 8 Oct = 7 working hours. Case B:
dispatched Fri 9 Oct 17:00, resolved Tue 13 Oct 11:00 = 1 h + 7 h (make-up Saturday) + 0 (Sunday) + 7 h +
2 h = 17 working hours.
"""

from __future__ import annotations

from datetime import datetime
from itertools import count
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ticketing.bureau.models import Bureau, Category, Street
from ticketing.call.models import Call
from ticketing.case.models import Case, CaseEvent
from ticketing.qa.models import QaScore
from ticketing.supervision.models import CaseNotice, SupervisionOrder

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 11, 15, 12, 0, tzinfo=TZ)
_numbers = count(1)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """Return a 2026 local instant."""
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def _ref(session, model, code):
    return session.scalars(select(model).where(model.code == code)).one() if code else None


def add_case(session, *, bureau=None, street="futian", category="city-management", agent="agent1",
             merged=False, **fields) -> Case:
    """Insert a case with explicit timestamps and the events the workflow writes with them.

    Its 'create' event by AGENT; a 'dispatch' naming the bureau when dispatched; a 'return' at returned_at;
    an 'approve-extension' when extension days were granted (the reports read returns and extensions from
    these events, charged to the bureau that held the case).
    """
    created = fields.pop("created_at")
    fields.setdefault("status", "resolved")
    fields.setdefault("description", "报表测试")
    case = Case(number=f"FT-R{next(_numbers):05d}", channel="phone",
                bureau=_ref(session, Bureau, bureau), street=_ref(session, Street, street),
                category=_ref(session, Category, category), created_at=created, updated_at=created, **fields)
    session.add(case)
    session.flush()
    if merged:
        case.merged_into_id = case.id
    session.add(CaseEvent(case_id=case.id, actor=agent, at=created, action="create", to_status="new"))
    session.flush()
    if case.dispatched_at is not None:
        add_event(session, case, "dispatch", case.dispatched_at, bureau=bureau)
    if case.returned_at is not None:
        add_event(session, case, "return", case.returned_at)
    if case.extended_days:
        add_event(session, case, "approve-extension", case.dispatched_at, days=case.extended_days)
    return case


def add_event(session, case: Case, action: str, when: datetime, actor: str = "clerk", **data) -> None:
    """Append one audit entry (in order: the reports read the last dispatch before a return)."""
    session.add(CaseEvent(case_id=case.id, actor=actor, at=when, action=action, to_status=case.status,
                          data=data))
    session.flush()


def holiday_cases(session) -> None:
    """Insert cases A–D (counted) and two that are not (next month, merged)."""
    add_case(session, bureau="urban-mgmt", created_at=at(9, 30, 9), dispatched_at=at(9, 30, 10),
             acknowledge_by=at(9, 30, 12), acknowledged_at=at(9, 30, 11), resolve_by=at(10, 9, 18),
             resolved_at=at(10, 8, 10), satisfaction="mostly_satisfied")
    add_case(session, bureau="urban-mgmt", created_at=at(10, 9, 16), dispatched_at=at(10, 9, 17),
             acknowledge_by=at(10, 10, 10), acknowledged_at=at(10, 12, 9, 30), resolve_by=at(10, 12, 18),
             resolved_at=at(10, 13, 11), returned_at=at(10, 9, 17, 30), extended_days=2,
             satisfaction="unsatisfied", reopened_at=at(10, 14, 9))
    add_case(session, bureau="environment", street="nanyuan", category="noise", created_at=at(10, 15, 9),
             dispatched_at=at(10, 15, 9, 30), acknowledge_by=at(10, 15, 11, 30), resolve_by=at(10, 20, 18),
             status="dispatched", sla_stage="acknowledge", sla_due_at=at(10, 15, 11, 30))
    add_case(session, bureau=None, created_at=at(10, 20, 10), resolved_at=at(10, 20, 10, 5),
             satisfaction="satisfied", agent="agent2")
    add_case(session, bureau="urban-mgmt", created_at=at(11, 1, 10))
    add_case(session, bureau="urban-mgmt", created_at=at(10, 21, 10), merged=True)


def add_call(session, linkedid, *, queued, wait=None, agent=None, queue="general-zh", ended=True) -> None:
    """Insert a queued call; answered after WAIT seconds by AGENT when given."""
    from datetime import timedelta

    answered = queued + timedelta(seconds=wait) if wait is not None else None
    session.add(Call(linkedid=linkedid, started_at=queued, queued_at=queued, queue=queue, agent=agent,
                     answered_at=answered, wait_seconds=wait, status="ended" if ended else "open",
                     outcome="answered" if answered else "abandoned_queue", ivr_path=[]))
    session.flush()


def agents(session) -> None:
    """The sample's two agents with their extensions (unless seeded already)."""
    from ticketing.user import service as users
    from ticketing.user.models import User

    for name, extension, shown in (("agent1", "1001", "话务员 李娜"), ("agent2", "1002", "话务员 陈刚")):
        if session.scalar(select(User.id).where(User.username == name)) is None:
            users.create(session, name, "agent", display_name=shown, extension=extension)


def holiday_calls(session) -> None:
    """Three calls offered to general-zh in October (10 s and 20 s waits, one abandoned), one in November.

    agent1 (extension 1001) answers one on the desk phone and one on the browser phone; both are reviewed
    (质检): 7 of 10 and 5 of 5 points, 12 of 15 = 80 %. agent2's November call scores 2 of 5.
    """
    agents(session)
    add_call(session, "r-1", queued=at(10, 8, 10), wait=10, agent="PJSIP/1001")
    add_call(session, "r-2", queued=at(10, 8, 11), wait=20, agent="PJSIP/webrtc-1001")
    add_call(session, "r-3", queued=at(10, 9, 11))
    add_call(session, "r-4", queued=at(11, 2, 11), wait=5, agent="PJSIP/1002")
    for linkedid, agent, scores in (("r-1", "PJSIP/1001", {"greeting": (4, 5), "closing": (3, 5)}),
                                    ("r-2", "PJSIP/webrtc-1001", {"greeting": (5, 5)}),
                                    ("r-4", "PJSIP/1002", {"greeting": (2, 5)})):
        call_id = session.scalars(select(Call.id).where(Call.linkedid == linkedid)).one()
        for item, (score, most) in scores.items():
            session.add(QaScore(call_id=call_id, agent=agent, item=item, score=score, max_score=most,
                                reviewer="qa1"))
    session.flush()


def casework_cases(session) -> None:
    """October cases of the bureau workflow (the figures are worked out in test_casework_figures).

    E: sent to 环境局, returned by it (退回), re-dispatched to 城管局, acknowledged on time, never resolved:
       its resolve deadline (Fri 23 Oct 18:00, the stored sla_due_at) has passed; 催办 twice (once against
       each bureau), and two 督办单 against 城管局.
    F: 城管局, on time, 3 days' extension granted, resolved on time.
    G: 城管局, acknowledged, waiting for the resident (paused) since before its resolve deadline: not due.
    """
    e = add_case(session, bureau="urban-mgmt", created_at=at(10, 19, 9), status="acknowledged")
    add_event(session, e, "dispatch", at(10, 19, 9, 30), bureau="environment")
    add_event(session, e, "return", at(10, 19, 10))
    add_event(session, e, "dispatch", at(10, 19, 11), bureau="urban-mgmt")
    e.dispatched_at, e.acknowledge_by, e.acknowledged_at = at(10, 19, 11), at(10, 19, 14, 30), at(10, 19, 14)
    e.resolve_by, e.returned_at = at(10, 23, 18), at(10, 19, 10)
    e.sla_stage, e.sla_key, e.sla_due_at = "resolve", "resolve:test", at(10, 23, 18)
    add_case(session, bureau="urban-mgmt", created_at=at(10, 20, 9), dispatched_at=at(10, 20, 9, 30),
             acknowledge_by=at(10, 20, 11, 30), acknowledged_at=at(10, 20, 10), resolve_by=at(10, 28, 18),
             extended_days=3, resolved_at=at(10, 27, 16))
    add_case(session, bureau="urban-mgmt", created_at=at(10, 21, 9), dispatched_at=at(10, 21, 9, 30),
             acknowledge_by=at(10, 21, 11, 30), acknowledged_at=at(10, 21, 10), resolve_by=at(10, 22, 18),
             paused_at=at(10, 22, 10), status="in_progress", sla_stage="resolve", sla_due_at=at(10, 22, 18))
    urban, environment = (_ref(session, Bureau, code).id for code in ("urban-mgmt", "environment"))
    for bureau_id, stage, when in ((environment, "acknowledge", at(10, 19, 10)),
                                   (urban, "resolve", at(10, 26, 10))):
        session.add(CaseNotice(case_id=e.id, bureau_id=bureau_id, stage=stage, sla_key=f"{stage}:test",
                               kind="urge", due_at=when, created_at=when))
    session.add(CaseNotice(case_id=e.id, bureau_id=urban, stage="resolve", sla_key="resolve:test",
                           kind="overdue", due_at=at(10, 23, 18), created_at=at(10, 23, 18)))
    for answered in (at(10, 28, 10), None):
        session.add(SupervisionOrder(case_id=e.id, bureau_id=urban, ordered_by="supervisor1",
                                     ordered_at=at(10, 27, 9), reason="超期未办结", answer_by=at(10, 29, 18),
                                     answered_at=answered))
    session.flush()
