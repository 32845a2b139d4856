"""Knowledge base in the console: search beside the pop, one-click direct answers, and the editors' page."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError

from agent_console import cases, casework, i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, guarded, language, render, require_roles
from ticketing.case.errors import NotPermitted, UnknownReference
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.knowledge import service
from ticketing.knowledge.schemas import ArticleWrite, DirectAnswer

router = APIRouter()
AGENTS = ("agent", "admin")
EDITORS = ("supervisor", "admin", "bureau")


class SearchBody(BaseModel):
    q: str = Field("", max_length=4000)


class AnswerBody(BaseModel):
    article: str = Field(min_length=1, max_length=64)
    description: str = Field("", max_length=4000)
    caller_phone: str = Field("", max_length=40)
    street: str = Field("", max_length=64)
    linkedid: str = Field("", max_length=64)


def _refused(request: Request, code: str, status_code: int, detail: str) -> JSONResponse:
    return JSONResponse({"error": code, "message": i18n.translate(code, language(request)), "detail": detail},
                        status_code=status_code)


@router.post("/agent/knowledge/search")
async def search(request: Request, body: SearchBody, viewer: Viewer = Depends(guarded(*AGENTS))) -> Response:
    """Return the articles that best answer the text (a typed question, the request or the transcript)."""
    console = console_of(request)

    def run() -> list[dict[str, Any]]:
        with session_scope(console.session_factory) as session:
            found = service.search(session, console.dataset, body.q[-1000:], utcnow().date())
            return [a.model_dump(mode="json") for a in found]

    return JSONResponse({"articles": await asyncio.to_thread(run)})


@router.post("/agent/knowledge/answer")
async def answer(request: Request, body: AnswerBody, viewer: Viewer = Depends(guarded(*AGENTS))) -> Response:
    """Record the resident's question as answered directly from an article (直接答复): a closed case."""
    console = console_of(request)
    try:
        data = DirectAnswer(article=body.article, description=body.description,
                            caller_phone=body.caller_phone or None, street=body.street or None,
                            linkedid=body.linkedid or None)
    except ValidationError as err:
        return _refused(request, "invalid_form", 422, "; ".join(e["msg"] for e in err.errors()))

    def run() -> dict[str, Any]:
        with session_scope(console.session_factory) as session:
            case = service.answer_directly(session, console.dataset, data, cases.actor_of(viewer))
            session.flush()
            return {"number": case.number}  # case.created goes out through the outbox (flows.intake)

    try:
        created = await asyncio.to_thread(run)
    except service.ArticleNotFound as err:
        return _refused(request, "kb_unknown_article", 404, str(err))
    except (UnknownReference, ValueError) as err:
        return _refused(request, "invalid_form", 422, str(err))
    return JSONResponse({"case": {"number": created["number"]}})


@router.get("/knowledge")
def knowledge_page(request: Request, viewer: Viewer = Depends(require_roles(*EDITORS, "agent"))) -> Response:
    """List the articles (a bureau: its own) with an editor for those the viewer may change."""
    console = console_of(request)
    with session_scope(console.session_factory) as session:
        bureau_id = viewer.bureau_id if viewer.role == "bureau" else None
        articles = [service.to_read(a).model_dump(mode="json") for a in service.get_all(session, bureau_id)]
        today = utcnow().date()
        for row, article in zip(articles, service.get_all(session, bureau_id), strict=True):
            row["valid"] = service.is_valid(article, today)
            row["due"] = bool(article.review_by and article.review_by <= today)
            row["editable"] = service.may_edit(cases.actor_of(viewer), article.bureau_id)
        names = casework.who(session, {row.get("updated_by") for row in articles}, language(request))
    dataset, lang = console.dataset, language(request)
    bureaus = [(b.code, b.name_en if lang == "en" else b.name_zh) for b in dataset.bureaus.values()
               if b.kind != "centre"]
    categories = [(c.code, c.name_en if lang == "en" else c.name_zh)
                  for c in dataset.leaf_categories().values()]
    return render(request, "knowledge.html", viewer, articles=articles, bureaus=bureaus,
                  bureau_names=dict(bureaus), categories=categories, can_edit=viewer.role in EDITORS,
                  who=names)


@router.get("/knowledge/{code}/versions")
def versions(request: Request, code: str,
             viewer: Viewer = Depends(require_roles(*EDITORS, "agent"))) -> Response:
    """Return who changed an article, when and why."""
    console = console_of(request)
    with session_scope(console.session_factory) as session:
        try:
            article = service.get_by_code(session, code)
        except service.ArticleNotFound as err:
            return _refused(request, "kb_unknown_article", 404, str(err))
        found = service.versions(session, article)
        names = casework.who(session, {v.changed_by for v in found}, language(request))
        rows = [{"version": v.version, "changed_by": names.get(v.changed_by, v.changed_by), "note": v.note,
                 "changed_at": v.changed_at.astimezone(console.timezone).strftime("%Y-%m-%d %H:%M"),
                 "answer": v.content.get("answer", "")} for v in found]
    return JSONResponse({"versions": rows})


@router.post("/knowledge/save")
async def save(request: Request, viewer: Viewer = Depends(guarded(*EDITORS))) -> Response:
    """Create or change an article (a new version each time); 422/403 with a clear message otherwise."""
    console = console_of(request)
    try:
        body = await request.json()
    except ValueError:  # not JSON at all
        body = None
    if not isinstance(body, dict):  # a list or a bare value was a 500
        return _refused(request, "invalid_form", 422, "the body must be a JSON object (the article)")
    existing = str(body.pop("existing", "") or "") or None
    try:
        data = ArticleWrite.model_validate({k: v for k, v in body.items() if v not in ("", None)})
    except ValidationError as err:
        fields = {".".join(str(p) for p in e["loc"]) or "form": e["msg"] for e in err.errors()}
        message = i18n.translate("invalid_form", language(request))
        return JSONResponse({"error": "invalid_form", "message": message, "fields": fields}, status_code=422)

    def run() -> dict[str, Any]:
        with session_scope(console.session_factory) as session:
            article = service.save(session, data, cases.actor_of(viewer), code=existing)
            return service.to_read(article).model_dump(mode="json")

    try:
        saved = await asyncio.to_thread(run)
    except NotPermitted as err:
        return _refused(request, "refused_not_permitted", 403, str(err))
    except (UnknownReference, service.ArticleNotFound) as err:
        return _refused(request, "invalid_form", 422, str(err))
    return JSONResponse({"article": saved})
