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
    """Insert a case with explicit timestamps and its 'create' event by AGENT."""
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
    return case


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
             status="dispatched")
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


def holiday_calls(session) -> None:
    """Three calls offered to general-zh in October (10 s and 20 s waits, one abandoned), one in November."""
    add_call(session, "r-1", queued=at(10, 8, 10), wait=10, agent="agent1")
    add_call(session, "r-2", queued=at(10, 8, 11), wait=20, agent="agent1")
    add_call(session, "r-3", queued=at(10, 9, 11))
    add_call(session, "r-4", queued=at(11, 2, 11), wait=5, agent="agent2")
