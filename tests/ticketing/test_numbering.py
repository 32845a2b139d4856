"""Case numbers per day: a sequence per day on PostgreSQL (intakes never wait), a counter on SQLite."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select, text

from ticketing.case import flows, service
from ticketing.case.models import Case
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope


def test_a_day_continues_after_the_numbers_it_has_and_a_failed_intake_leaves_a_gap(session_factory):
    prefix = "T" + uuid.uuid4().hex[:4].upper()  # a day nobody numbered yet
    day = date(2031, 5, 5)
    with session_scope(session_factory) as session:
        session.execute(text("INSERT INTO case_number_counters (key, last) VALUES (:k, 41)"),
                        {"k": f"{prefix}20310505"})
    with session_scope(session_factory) as session:
        first = service.next_number(session, prefix, day)
    assert first == f"{prefix}20310505-0042"
    with session_factory() as session:
        taken = service.next_number(session, prefix, day)
        session.rollback()
    with session_scope(session_factory) as session:
        after = service.next_number(session, prefix, day)
    postgres = session_factory.kw["bind"].dialect.name == "postgresql"
    # PostgreSQL's sequence never hands a number out twice, even one whose intake rolled back; SQLite's
    # counter row rolls back with it.
    assert taken == f"{prefix}20310505-0043"
    assert after == f"{prefix}20310505-{'0044' if postgres else '0043'}"
    with session_scope(session_factory) as session:
        assert service.next_number(session, prefix, date(2031, 5, 6)) == f"{prefix}20310506-0001"


def test_intake_numbers_its_case_as_next_number_would(session_factory, dataset):
    """Intake takes the number in its insert (PostgreSQL): the same day key, 4 digits and more past 9999."""
    prefix = "N" + uuid.uuid4().hex[:4].upper()
    now = datetime(2031, 5, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shenzhen, 2031-05-07
    data = CaseCreate(description="路灯不亮", street="futian")
    with session_scope(session_factory) as session:
        session.execute(text("INSERT INTO case_number_counters (key, last) VALUES (:k, 9998)"),
                        {"k": f"{prefix}20310507"})
    numbers = []
    for _ in range(2):
        with session_scope(session_factory) as session:
            case = flows.intake(session, dataset, data, "agent1", now=now, prefix=prefix)
            numbers.append(case.number)
    assert numbers == [f"{prefix}20310507-9999", f"{prefix}20310507-10000"]
    with session_scope(session_factory) as session:
        stored = session.scalars(select(Case.number).where(Case.number.like(f"{prefix}%"))).all()
        assert sorted(stored) == sorted(numbers)
        assert service.next_number(session, prefix, date(2031, 5, 7)) == f"{prefix}20310507-10001"
