"""The caller list page (恶意/骚扰来电名单): supervisors mark numbers with a reason and an expiry, end marks,
and see every change (who, when, why); the IVR warns a listed caller and the pop shows the mark."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from agent_console.auth import Viewer
from agent_console.views.deps import console_of, guarded, render, require_roles
from ticketing.caller import service as caller_list
from ticketing.caller.models import KINDS
from ticketing.caller.schemas import FlagCreate
from ticketing.case.phone import InvalidPhone, national_phone
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.validation import BIGINT_MAX

router = APIRouter(prefix="/callers")
KEEPERS = ("supervisor", "admin")
DEFAULT_DAYS = 30
FORM_FIELDS = ("phone", "kind", "reason", "until")


def _row(flag, tz, now: datetime) -> dict[str, Any]:
    local = lambda moment: moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""  # noqa: E731
    state = "active" if flag.holds(now) else "replaced" if flag.end_note == "replaced" else (
        "ended" if flag.ended_at else "lapsed")
    return {"id": flag.id, "phone": flag.phone, "shown": national_phone(flag.phone), "kind": flag.kind,
            "reason": flag.reason,
            "until": local(flag.expires_at), "by": flag.created_by, "at": local(flag.created_at),
            "ended_by": flag.ended_by or "", "ended_at": local(flag.ended_at), "note": flag.end_note,
            "state": state}


def _page(request: Request, viewer: Viewer, status_code: int = 200, **context: Any) -> Response:
    console = console_of(request)
    now = utcnow()
    with session_scope(console.session_factory) as session:
        flags = caller_list.get_all(session, now, with_ended=True)
        rows = [_row(flag, console.timezone, now) for flag in flags]
    default_until = (now.astimezone(console.timezone) + timedelta(days=DEFAULT_DAYS)).date().isoformat()
    form = {"phone": "", "kind": "", "reason": "", "until": default_until, **context.pop("form", {})}
    return render(request, "callers.html", viewer, status_code=status_code, kinds=KINDS,
                  active=[r for r in rows if r["state"] == "active"],
                  history=[r for r in rows if r["state"] != "active"], form=form,
                  done=request.query_params.get("done", "")[:20], **context)


@router.get("")
def caller_list_page(request: Request, viewer: Viewer = Depends(require_roles(*KEEPERS))) -> Response:
    """Show the numbers on the list now, the form to add one, and every earlier change."""
    return _page(request, viewer)


@router.post("")
async def add(request: Request, viewer: Viewer = Depends(guarded(*KEEPERS))) -> Response:
    """Put a number on the list until the end of the given day (a mark already there is replaced)."""
    console = console_of(request)
    raw = await request.form()
    form = {k: str(raw.get(k, "")).replace("\x00", "").strip()[:600] for k in FORM_FIELDS}
    now = utcnow()
    try:
        data = FlagCreate(phone=form["phone"][:40], kind=form["kind"], reason=form["reason"],
                          expires_at=_end_of(form["until"], console.timezone))
    except (ValueError, ValidationError) as err:
        return _page(request, viewer, 422, form=form, problem=_problem_of(err))
    try:
        with session_scope(console.session_factory) as session:
            caller_list.mark(session, data, viewer.username, now)
    except InvalidPhone:
        return _page(request, viewer, 422, form=form, problem="caller_flag_bad_phone")
    except caller_list.FlagRefused:
        return _page(request, viewer, 422, form=form, problem="caller_flag_bad_until")
    return RedirectResponse(f"{console.settings.prefix}/callers?done=saved", status_code=303)


@router.post("/{flag_id}/end")
async def end(request: Request, flag_id: int = Path(ge=1, le=BIGINT_MAX),
              viewer: Viewer = Depends(guarded(*KEEPERS))) -> Response:
    """Take a number off the list before its expiry, saying why."""
    console = console_of(request)
    note = str((await request.form()).get("note", "")).replace("\x00", "").strip()
    if not 2 <= len(note) <= 200:
        return _page(request, viewer, 422, problem="caller_flag_bad_note")
    try:
        with session_scope(console.session_factory) as session:
            caller_list.end(session, flag_id, viewer.username, note, utcnow())
    except (caller_list.FlagNotFound, caller_list.FlagEnded):
        return _page(request, viewer, 409, problem="caller_flag_gone")
    return RedirectResponse(f"{console.settings.prefix}/callers?done=removed", status_code=303)


def _end_of(text: str, tz) -> datetime:
    """The last second of a local day given as year-month-day (the mark holds through that whole day)."""
    try:
        day = date.fromisoformat(text)
    except ValueError as err:
        raise ValueError("until") from err
    if day.year > 2999:
        raise ValueError("until")
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def _problem_of(err: Exception) -> str:
    """The message key of the first field a form failed on."""
    if not isinstance(err, ValidationError):
        return "caller_flag_bad_until"
    field = str(err.errors()[0]["loc"][0]) if err.errors() and err.errors()[0]["loc"] else ""
    return {"phone": "caller_flag_bad_phone", "kind": "caller_flag_bad_kind",
            "reason": "caller_flag_bad_reason"}.get(field, "caller_flag_bad_until")
