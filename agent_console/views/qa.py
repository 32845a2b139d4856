"""Quality review pages (质检): the calls to review, one call's transcripts beside its recording, scores."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import RedirectResponse, Response

from agent_console import i18n, phones
from agent_console.auth import Viewer
from agent_console.views.casepage import serve_media
from agent_console.views.deps import console_of, guarded, language, render, require_roles
from ticketing.case import media
from ticketing.config import get_settings
from ticketing.database.core import session_scope
from ticketing.qa import service
from ticketing.qa.checklist import ChecklistError, load_checklist

router = APIRouter(prefix="/qa")
REVIEWERS = ("qa", "supervisor", "admin")


def _checklist():
    return load_checklist(get_settings().dataset_dir)


@router.get("")
def sample(request: Request, q: str = Query("", max_length=100),
           viewer: Viewer = Depends(require_roles(*REVIEWERS))) -> Response:
    """The calls waiting for review, and a search over transcripts."""
    tz = console_of(request).timezone
    with session_scope(console_of(request).session_factory) as session:
        names = _agent_names(session)
        lang = language(request)
        calls = [_summary(c, names, tz, lang) for c in service.sample(session, 20)]
        hits = service.search(session, q) if q else []
        found = [{**_summary(c, names, tz, lang), "side": t.side, "text": t.text} for c, t in hits]
    return render(request, "qa.html", viewer, calls=calls, q=q, found=found)


@router.get("/{linkedid}")
def review(request: Request, linkedid: str, viewer: Viewer = Depends(require_roles(*REVIEWERS))) -> Response:
    """One call: the recording player, both sides' transcripts, the checklist form (or the saved review)."""
    tz = console_of(request).timezone
    with session_scope(console_of(request).session_factory) as session:
        names = _agent_names(session)
        try:
            call = service.call_by_linkedid(session, linkedid)
        except service.QaError:
            return _message(request, viewer, 404, "qa_unknown_call")
        summary = _summary(call, names, tz, language(request))
        transcripts = [(t.side, t.text) for t in service.transcripts_of(session, call)]
        saved = service.review_of(session, call)
    return render(request, "qa_review.html", viewer, call=summary, transcripts=transcripts,
                  items=_checklist(), review=saved)


@router.get("/{linkedid}/recording")
def recording(request: Request, linkedid: str, range_: str | None = Header(None, alias="Range"),
              download: bool = Query(False), viewer: Viewer = Depends(require_roles(*REVIEWERS))) -> Response:
    """The call's mixed recording for reviewers: range requests, media directories only, audited."""
    return serve_media(request, viewer, range_,
                       lambda s, a, roots, audited: media.open_review_recording(s, a, linkedid, roots,
                                                                                audited=audited,
                                                                                download=download),
                       download)


@router.post("/{linkedid}")
async def score(request: Request, linkedid: str, viewer: Viewer = Depends(guarded(*REVIEWERS))) -> Response:
    """Save the checklist scores of a call, then show the call again."""
    form = await request.form()
    items = _checklist()
    try:
        scores = {i.code: int(str(form.get(f"score_{i.code}", ""))) for i in items}
    except ValueError:
        return _message(request, viewer, 422, "qa_checklist")
    with session_scope(console_of(request).session_factory) as session:
        try:
            service.score_call(session, items, linkedid, viewer.username, scores, str(form.get("note", "")))
        except (ChecklistError, service.QaError):
            return _message(request, viewer, 422, "qa_checklist")
    prefix = console_of(request).settings.prefix
    return RedirectResponse(f"{prefix}/qa/{linkedid}", status_code=303)


def _agent_names(session) -> dict[str, str]:
    """The agents' names by extension: a call's PJSIP/1001 or PJSIP/webrtc-1001 is shown as its agent."""
    return phones.agent_names(session)


def _summary(call, names: dict[str, str], tz, lang: str) -> dict:
    agent = phones.agent_words(call.agent or "", names, lang)
    return {"linkedid": call.linkedid, "started_at": call.started_at.astimezone(tz), "agent": agent,
            "queue": call.queue or "", "language": call.language or "", "has_recording": bool(call.recording)}


def _message(request: Request, viewer: Viewer, status_code: int, key: str) -> Response:
    return render(request, "message.html", viewer, status_code=status_code,
                  message=i18n.translate(key, language(request)))
