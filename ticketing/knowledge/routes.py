"""HTTP routes of the knowledge base: search, read, write (versions), and direct answers (直接答复)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy.orm import Session

from ticketing.case.permissions import CENTRE, Actor
from ticketing.case.routes import _commit as commit_case
from ticketing.case.routes import dataset_of
from ticketing.case.schemas import CaseRead
from ticketing.database.deps import get_db
from ticketing.database.types import utcnow
from ticketing.knowledge import service
from ticketing.knowledge.schemas import ArticleRead, ArticleWrite, DirectAnswer, VersionRead
from ticketing.user.deps import current_user, require_roles
from ticketing.user.models import User

router = APIRouter(tags=["knowledge"])
EDITORS = ("supervisor", "admin", "bureau")


@router.get("/knowledge/articles", response_model=list[ArticleRead])
def list_articles(
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(current_user),
    q: str | None = Query(None, max_length=500, description="A question in words: ranked valid articles."),
    limit: int = Query(5, ge=1, le=50),
) -> list[ArticleRead]:
    """Search valid articles by the words of a question, or list every article (bureau users: their own)."""
    if q:
        return service.search(session, dataset_of(request), q, utcnow().date(), limit)
    bureau_id = user.bureau_id if user.role == "bureau" else None
    return [service.to_read(a) for a in service.get_all(session, bureau_id)]


@router.get("/knowledge/articles/{code}", response_model=ArticleRead)
def get_article(code: str, session: Session = Depends(get_db),
                user: User = Depends(current_user)) -> ArticleRead:
    """Return one article."""
    return service.to_read(service.get_by_code(session, code))


@router.get("/knowledge/articles/{code}/versions", response_model=list[VersionRead])
def article_versions(code: str, session: Session = Depends(get_db),
                     user: User = Depends(current_user)) -> list[VersionRead]:
    """Return who changed the article, when and why, newest first, with the content of each version."""
    article = service.get_by_code(session, code)
    return [VersionRead.model_validate(v, from_attributes=True) for v in service.versions(session, article)]


@router.post("/knowledge/articles", status_code=status.HTTP_201_CREATED, response_model=ArticleRead)
def create_article(data: ArticleWrite, session: Session = Depends(get_db),
                   user: User = Depends(require_roles(*EDITORS))) -> ArticleRead:
    """Add an article: centre supervisors for any field, a bureau for its own."""
    article = service.save(session, data, Actor.of(user))
    session.commit()
    return service.to_read(article)


@router.put("/knowledge/articles/{code}", response_model=ArticleRead)
def update_article(code: str, data: ArticleWrite, session: Session = Depends(get_db),
                   user: User = Depends(require_roles(*EDITORS))) -> ArticleRead:
    """Replace an article's content (a new version; the code stays)."""
    article = service.save(session, data.model_copy(update={"code": code}), Actor.of(user), code=code)
    session.commit()
    return service.to_read(article)


@router.post("/knowledge/direct-answers", status_code=status.HTTP_201_CREATED, response_model=CaseRead)
def direct_answer(data: DirectAnswer, request: Request, session: Session = Depends(get_db),
                  user: User = Depends(require_roles(*CENTRE))) -> CaseRead:
    """Record a question answered from an article: a consultation case, closed, citing the article."""
    case = service.answer_directly(session, dataset_of(request), data, Actor.of(user))
    return commit_case(request, session, case, user)
