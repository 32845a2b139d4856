"""Knowledge base: seed, search by words and synonyms, versions and who may edit, direct answers."""

from __future__ import annotations

from datetime import date

import pytest

from ticketing.case.permissions import Actor
from ticketing.case.states import CLOSED
from ticketing.knowledge import service
from ticketing.knowledge.schemas import ArticleWrite, DirectAnswer
from ticketing.knowledge.search import ArticleText, Index
from ticketing.knowledge.seed import seed_articles

TODAY = date(2026, 12, 2)


@pytest.fixture
def seeded(session, dataset):
    """The Futian sample's articles in the test database."""
    assert seed_articles(session, dataset.directory) >= 60
    session.flush()
    return session


@pytest.mark.parametrize("question, code", [
    ("身份证丢了怎么办", "id-card-lost"),
    ("二代证掉了去哪里补", "id-card-lost"),  # synonym of 身份证
    ("结婚登记要带什么", "marriage-registration-documents"),
    ("老板拖欠工资三个月了", "unpaid-wages-how"),
    ("想问一下低保怎么申请", "subsistence-allowance-apply"),
    ("孩子明年读小学学位怎么申请", "primary-school-enrolment"),
    ("图书馆周一开门吗", "library-hours"),
    ("家里闻到煤气味", "gas-leak-what-to-do"),
    ("开店要办营业执照", "business-licence-apply"),
])
def test_search_finds_the_article(seeded, dataset, question, code):
    found = service.search(seeded, dataset, question, TODAY)
    assert found and found[0].code == code, [(a.code, a.score, a.matched) for a in found]
    assert found[0].matched


def test_search_without_words_finds_nothing(seeded, dataset):
    assert service.search(seeded, dataset, "你好，请问", TODAY) == []


def test_ranking_is_by_words_not_characters():
    index = Index([ArticleText("a", "偷偷排放", "x"), ArticleText("b", "小偷", "y")], list, {})
    assert [m.code for m in index.rank("偷")] == []  # a word, not a character, must match


def test_articles_out_of_their_dates_are_not_offered(seeded, dataset):
    assert service.search(seeded, dataset, "春节放假上班吗", date(2026, 2, 1))
    assert not [a for a in service.search(seeded, dataset, "春节放假上班吗", date(2027, 2, 1))
                if a.code == "holiday-hours-2026"]


def test_every_save_is_a_version_with_who_and_why(seeded):
    supervisor = Actor("supervisor1", "supervisor")
    article = service.get_by_code(seeded, "library-hours")
    data = ArticleWrite(code=article.code, question=article.question,
                        answer="周一闭馆，周二至周日 9:00-21:00。", bureau="culture-sports",
                        note="开放时间调整")
    service.save(seeded, data, supervisor, code=article.code)
    versions = service.versions(seeded, article)
    assert [(v.version, v.changed_by, v.note) for v in versions][:2] == [
        (2, "supervisor1", "开放时间调整"), (1, "seed", "示例 sample")]
    assert versions[0].content["answer"].startswith("周一闭馆")


def test_a_bureau_edits_only_its_own_field(seeded):
    from sqlalchemy import select

    from ticketing.bureau.models import Bureau
    from ticketing.case.errors import NotPermitted

    culture = seeded.scalar(select(Bureau.id).where(Bureau.code == "culture-sports"))
    article = service.get_by_code(seeded, "library-hours")
    data = ArticleWrite(code=article.code, question=article.question, answer="新的答复内容",
                        bureau="culture-sports")
    service.save(seeded, data, Actor("culture1", "bureau", culture), code=article.code)
    with pytest.raises(NotPermitted):
        service.save(seeded, data, Actor("police1", "bureau", culture + 1000), code=article.code)
    with pytest.raises(NotPermitted):
        other_field = data.model_copy(update={"bureau": "police"})
        service.save(seeded, other_field, Actor("culture1", "bureau", culture), code=article.code)


def test_direct_answer_is_a_closed_consultation_case_citing_the_article(seeded, dataset):
    from ticketing.case import service as cases

    agent = Actor("agent1", "agent")
    question = DirectAnswer(article="id-card-lost", description="来电人询问身份证丢失如何补办",
                            caller_phone="13800138000")
    case = service.answer_directly(seeded, dataset, question, agent)
    assert case.status == CLOSED and case.dispatched_at is None and case.resolved_at is not None
    assert case.category.code == "consultation"
    assert case.public_reply == service.get_by_code(seeded, "id-card-lost").answer
    resolved = [e for e in cases.events(seeded, case) if e.action == "resolve"][0]
    assert resolved.data == {"direct_answer": True, "article": "id-card-lost", "article_version": 1}


def test_direct_answer_over_http_records_the_case_and_announces_it(client, headers, session_factory, dataset):
    from sqlalchemy import select

    from ticketing.bus.contract import CaseChanged, CaseCreated, parse
    from ticketing.database.core import session_scope
    from ticketing.outbox.models import OutboxEntry

    with session_scope(session_factory) as session:
        seed_articles(session, dataset.directory)
    answer = {"article": "id-card-lost", "description": "来电人询问身份证丢失如何补办",
              "caller_phone": "13800138000"}
    response = client.post("/api/v1/knowledge/direct-answers", json=answer, headers=headers["agent"])
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    assert response.json()["status"] == CLOSED
    with session_scope(session_factory) as session:
        rows = session.scalars(select(OutboxEntry).where(OutboxEntry.key == number).order_by(OutboxEntry.seq))
        events = [parse(r.type, r.data) for r in rows]
    assert isinstance(events[0], CaseCreated) and isinstance(events[-1], CaseChanged)
    assert events[-1].status == CLOSED
