"""直接答复 from the knowledge base (issue 12) count in the direct-answer rate, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from ticketing.case import flows
from ticketing.case.permissions import Actor
from ticketing.case.schemas import CaseCreate
from ticketing.database.types import utcnow
from ticketing.knowledge import service as knowledge
from ticketing.knowledge.schemas import DirectAnswer
from ticketing.knowledge.seed import seed_articles
from ticketing.report import service
from ticketing.report.periods import period


def test_direct_answers_from_articles_count_in_the_rate(session, dataset):
    seed_articles(session, dataset.directory)
    agent1, agent2 = Actor("agent1", "agent"), Actor("agent2", "agent")
    for article in ("id-card-lost", "id-card-lost"):
        question = DirectAnswer(article=article, caller_phone="13800138000")
        knowledge.answer_directly(session, dataset, question, agent1)
    flows.intake(session, dataset, CaseCreate(description="福田街道路灯不亮，晚上很黑", street="futian",
                                              caller_phone="13900139000", dispatch=True), agent2)
    session.flush()
    today = dataset.calendar.local(utcnow()).date()
    span = period(today - timedelta(days=1), today + timedelta(days=1), dataset.calendar.timezone)
    now = utcnow()
    by_agent = {r["key"]: r for r in service.case_report(session, dataset.calendar, span, "agent", now).rows}
    assert (by_agent["agent1"]["received"], by_agent["agent1"]["direct_answer_pct"]) == (2, 100.0)
    assert (by_agent["agent2"]["received"], by_agent["agent2"]["direct_answer_pct"]) == (1, 0.0)
    table = service.case_report(session, dataset.calendar, span, "category", now)
    assert table.total["direct_answer_pct"] == 66.7  # 2 of the 3 received
    consultation = next(r for r in table.rows if r["key"] == "consultation")
    assert (consultation["direct_answer_pct"], consultation["dispatched"]) == (100.0, 0)
