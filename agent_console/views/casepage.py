"""The case page of every role: facts, clock, timeline, recordings and files, orders, and the actions."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from agent_console import cases, casework, i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, guarded, language, render, require_roles
from ticketing.case import media, uploads
from ticketing.case.access import require_visible
from ticketing.case.errors import (
    CaseNotFound,
    MediaUnavailable,
    NotPermitted,
    RangeNotSatisfiable,
    UploadRefused,
)
from ticketing.case.media_routes import read_limited
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

log = logging.getLogger(__name__)
router = APIRouter(prefix="/cases")
VIEWERS = ("agent", "dispatcher", "supervisor", "admin", "bureau")


def _settings(request: Request):
    return request.app.state.settings


@router.get("/{number}")
def case_page(
    request: Request,
    number: str,
    done: str = "",
    error: str = "",
    reveal: int = 0,
    viewer: Viewer = Depends(require_roles(*VIEWERS)),
) -> Response:
    """Show one case: what it is, where its clock stands, who did what when, and what the viewer may do."""
    console, lang = console_of(request), language(request)
    try:
        with session_scope(console.session_factory) as session:
            context = casework.page(
                session,
                console.dataset,
                number,
                viewer,
                utcnow(),
                lang,
                bool(reveal),
                _settings(request).merge_window_days,
            )
            return render(
                request,
                "case.html",
                viewer,
                **context,
                done=done[:40],
                error=error[:300],
                timezone=console.timezone,
                may_download=media.may_download(viewer.role),
            )
    except CaseNotFound:
        return render(
            request, "message.html", viewer, status_code=404, message=i18n.translate("unknown_case", lang)
        )


@router.post("/{number}/actions/{action}")
async def act(
    request: Request, number: str, action: str, viewer: Viewer = Depends(guarded(*VIEWERS))
) -> Response:
    """Apply one action from the case page and come back to it with the result."""
    console = console_of(request)
    form = _form(await request.form())
    target = f"{console.settings.prefix}/cases/{quote(number)}"
    try:
        await asyncio.to_thread(_act, console, number, action, form, viewer)  # its events: outbox
    except cases.ActionRefused as err:
        message = i18n.refusal(err.code, err.params, str(err), language(request))
        return RedirectResponse(f"{target}?error={quote(message)}", status_code=303)
    return RedirectResponse(f"{target}?done={quote(action)}", status_code=303)


def _form(data: FormData) -> casework.Form:
    text = {
        key: str(data.get(key) or "")[:4000]
        for key in ("note", "reason", "reply", "answer", "days", "bureau", "community", "target")
    }
    assist = tuple(str(v)[:64] for v in data.getlist("assist"))[:10]
    return casework.Form(**text, assist=assist, public=data.get("public") == "1")


def _act(console, number: str, action: str, form: casework.Form, viewer: Viewer) -> None:
    with session_scope(console.session_factory) as session:
        casework.act(session, console.dataset, number, action, form, viewer)


@router.post("/{number}/attachments")
async def upload(
    request: Request, number: str, file: UploadFile, viewer: Viewer = Depends(guarded(*VIEWERS))
) -> Response:
    """Attach a photo or file to the case (type and size checked) and come back to the page."""
    console, settings = console_of(request), _settings(request)
    target = f"{console.settings.prefix}/cases/{quote(number)}"
    try:
        data = await read_limited(file, settings.attachment_max_bytes)
        await asyncio.to_thread(_store, console, settings, number, file.filename or "", data, viewer)
    except UploadRefused as err:
        message = i18n.upload_refusal(err.code, err.params, str(err), language(request))
        return RedirectResponse(f"{target}?error={quote(message)}", status_code=303)
    return RedirectResponse(f"{target}?done=attached", status_code=303)


def _store(console, settings, number: str, name: str, data: bytes, viewer: Viewer) -> None:
    with session_scope(console.session_factory) as session:
        case = require_visible(session, number, cases.actor_of(viewer))
        uploads.store(
            session,
            settings.attachments_dir,
            case,
            name,
            data,
            viewer.username,
            settings.attachment_max_bytes,
        )


@router.get("/{number}/attachments/{attachment_id}")
def attachment(
    request: Request,
    number: str,
    attachment_id: int,
    range_: str | None = Header(None, alias="Range"),
    download: bool = Query(False),
    viewer: Viewer = Depends(require_roles(*VIEWERS)),
) -> Response:
    """Serve a file or recording of the case with range requests; access-checked and audited."""
    return serve_media(
        request,
        viewer,
        range_,
        lambda s, a, roots, audited: media.open_attachment(
            s, a, number, attachment_id, roots, audited=audited, download=download
        ),
        download,
    )


@router.get("/{number}/calls/{call_id}/recording")
def call_recording(
    request: Request,
    number: str,
    call_id: int,
    range_: str | None = Header(None, alias="Range"),
    download: bool = Query(False),
    viewer: Viewer = Depends(require_roles(*VIEWERS)),
) -> Response:
    """Serve the recording of a call of the case with range requests; access-checked and audited."""
    return serve_media(
        request,
        viewer,
        range_,
        lambda s, a, roots, audited: media.open_call_recording(s, a, number, call_id, roots, audited=audited,
                                                               download=download),
        download,
    )


def serve_media(request: Request, viewer: Viewer, range_: str | None, opener,
                download: bool = False) -> Response:
    """Answer a media request: OPENER checks access and audits; 403/404 in words, 416 for a bad range."""
    console = console_of(request)
    try:
        with session_scope(console.session_factory) as session:
            found = opener(
                session, cases.actor_of(viewer), _settings(request).media_roots, media.starts_a_play(range_)
            )
        return media.media_response(found, range_, download=download)
    except NotPermitted:
        return Response(i18n.translate("download_refused", language(request)), status_code=403,
                        media_type="text/plain; charset=utf-8")
    except (CaseNotFound, MediaUnavailable):
        return Response(
            i18n.translate("media_unavailable", language(request)),
            status_code=404,
            media_type="text/plain; charset=utf-8",
        )
    except RangeNotSatisfiable as err:
        return media.unsatisfiable(err.size)
