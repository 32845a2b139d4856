"""Knowledge articles: read, search, write with versions, and answer a resident directly from one."""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau, Category
from ticketing.case import flows
from ticketing.case.errors import NotPermitted, UnknownReference
from ticketing.case.models import Case
from ticketing.case.permissions import SUPERVISION, Actor
from ticketing.database.types import utcnow
from ticketing.dataset import Dataset
from ticketing.knowledge.models import Article, ArticleVersion
from ticketing.knowledge.schemas import ArticleRead, ArticleWrite, DirectAnswer
from ticketing.knowledge.search import ArticleText, Index, synonym_map
from ticketing.routing import segment

log = logging.getLogger(__name__)
DIRECT_ANSWER = "direct_answer"  # data key of the resolve event of a case answered from an article
_indexes: dict[tuple, Index] = {}


class ArticleNotFound(LookupError):
    """No article with that code."""


def get_by_code(session: Session, code: str) -> Article:
    """Return the article with CODE or raise ArticleNotFound."""
    article = session.scalar(select(Article).where(Article.code == code))
    if article is None:
        raise ArticleNotFound(code)
    return article


def get_all(session: Session, bureau_id: int | None = None) -> list[Article]:
    """Return every article (of one bureau when given), by code."""
    query = select(Article).order_by(Article.code)
    if bureau_id is not None:
        query = query.where(Article.bureau_id == bureau_id)
    return list(session.scalars(query))


def versions(session: Session, article: Article) -> list[ArticleVersion]:
    """Return an article's versions, newest first."""
    query = select(ArticleVersion).where(ArticleVersion.article_id == article.id)
    return list(session.scalars(query.order_by(ArticleVersion.version.desc())))


def is_valid(article: Article, today: date) -> bool:
    """Tell whether an article may be given to residents today."""
    if article.retired:
        return False
    return (article.valid_from is None or article.valid_from <= today) and (
        article.valid_to is None or today <= article.valid_to)


def search(session: Session, dataset: Dataset, query: str, today: date, limit: int = 5) -> list[ArticleRead]:
    """Return the valid articles best matching QUERY, best first."""
    articles = {a.code: a for a in get_all(session) if is_valid(a, today)}
    if not query.strip() or not articles:
        return []
    index = _index(dataset, articles.values())
    return [to_read(articles[m.code], m.score, list(m.words)) for m in index.rank(query, limit)]


def _index(dataset: Dataset, articles) -> Index:
    key = (id(dataset), tuple(sorted((a.code, a.version) for a in articles)))
    index = _indexes.get(key)
    if index is None:
        texts = [ArticleText(a.code, a.question, a.answer, tuple(a.keywords or ())) for a in articles]
        index = Index(texts, lambda text: _words(dataset, text), synonym_map(dataset.lexicon.synonyms))
        _indexes.clear()  # only the current set of versions is worth keeping
        _indexes[key] = index
    return index


def _words(dataset: Dataset, text: str) -> list[str]:
    """Return the words of TEXT and the dictionary words inside its long words (身份证 in 居民身份证)."""
    words = segment(dataset, text)
    folded = [w for w, _, _ in words.words]
    source = "".join(folded)
    folded += [source[start:end] for start, end in words.inner if end - start > 1]
    return folded


def may_edit(actor: Actor, bureau_id: int | None) -> bool:
    """Centre supervisors edit every article; a bureau user edits its own bureau's articles."""
    if actor.role in SUPERVISION:
        return True
    return actor.role == "bureau" and bureau_id is not None and bureau_id == actor.bureau_id


def save(session: Session, data: ArticleWrite, actor: Actor, code: str | None = None) -> Article:
    """Create an article (CODE None) or replace an article's content; every save is a new version."""
    bureau_id = _reference(session, Bureau, "bureau", data.bureau)
    category_id = _reference(session, Category, "category", data.category)
    if code is None:
        if session.scalar(select(func.count()).select_from(Article).where(Article.code == data.code)):
            raise UnknownReference("article", f"{data.code} exists already")
        article = Article(code=data.code, version=0)
        session.add(article)
    else:
        article = get_by_code(session, code)
        if not may_edit(actor, article.bureau_id):
            raise NotPermitted("only the centre's supervisors or the article's own bureau may change it")
    if not may_edit(actor, bureau_id):
        raise NotPermitted("a bureau keeps only the articles of its own field")
    article.question, article.answer, article.keywords = data.question, data.answer, list(data.keywords)
    article.bureau_id, article.category_id = bureau_id, category_id
    article.valid_from, article.valid_to, article.review_by = data.valid_from, data.valid_to, data.review_by
    article.retired, article.version = data.retired, article.version + 1
    article.updated_by, article.updated_at = actor.name, utcnow()
    session.flush()
    content = data.model_dump(mode="json", exclude={"note"})
    session.add(ArticleVersion(article_id=article.id, version=article.version, changed_by=actor.name,
                               changed_at=article.updated_at, note=data.note, content=content))
    session.flush()
    log.info("knowledge article %s saved by %s (version %s)", article.code, actor.name, article.version)
    return article


def _reference(session: Session, model, what: str, code: str | None) -> int | None:
    if not code:
        return None
    found = session.scalar(select(model.id).where(model.code == code))
    if found is None:
        raise UnknownReference(what, code)
    return found


def answer_directly(session: Session, dataset: Dataset, data: DirectAnswer, actor: Actor) -> Case:
    """Record a question answered from an article: a consultation case, resolved and closed at once.

    The case is never dispatched (reports count it as a direct answer); its resolve event names the
    article and version, and the article's answer is the reply to the resident.
    """
    article = get_by_code(session, data.article)
    if not is_valid(article, utcnow().date()):
        raise UnknownReference("article", f"{article.code} is retired or out of its validity dates")
    case = flows.intake(session, dataset, data.case(article.question), actor)
    cited = {DIRECT_ANSWER: True, "article": article.code, "article_version": article.version}
    flows.apply_action(session, dataset, case.number, "resolve",
                       {"reply": article.answer, "note": f"直接答复：知识库 {article.code}"}, actor,
                       event_data=cited)
    return flows.apply_action(session, dataset, case.number, "close", {}, actor, event_data=cited)


def to_read(article: Article, score: float | None = None, matched: list[str] | None = None) -> ArticleRead:
    """Return the article as the API shows it."""
    return ArticleRead(
        code=article.code, question=article.question, answer=article.answer,
        bureau=article.bureau.code if article.bureau else None,
        bureau_name=article.bureau.name_zh if article.bureau else None,
        bureau_name_en=article.bureau.name_en if article.bureau else None,
        category=article.category.code if article.category else None, keywords=list(article.keywords or ()),
        valid_from=article.valid_from, valid_to=article.valid_to, review_by=article.review_by,
        retired=article.retired, version=article.version, updated_by=article.updated_by,
        updated_at=article.updated_at, score=score, matched=matched or [],
    )
