"""The agents' callback list (回访): survey calls nobody answered, click-to-call and the rating form."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from agent_console import i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, guarded, language, render, require_roles
from ticketing.callback import service as callbacks
from ticketing.case.errors import InvalidAction, NotPermitted
from ticketing.case.permissions import Actor
from ticketing.case.phone import national_phone
from ticketing.case.states import RATINGS, IllegalTransition
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

router = APIRouter(prefix="/callbacks")
CALLERS = ("agent", "supervisor", "admin")


def _row(task, tz, now=None) -> dict[str, Any]:
    case = task.case
    local = lambda moment: moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""  # noqa: E731
    late = task.due_at is not None and task.due_at < (now or utcnow())
    return {"id": task.id, "number": case.number, "phone": national_phone(case.caller_phone or ""),
            "late": late,
            "caller": case.caller_name, "description": case.description[:120],
            "category": case.category, "bureau": case.bureau, "resolved": local(task.resolved_at),
            "due": local(task.due_at), "attempts": task.attempts, "last_result": task.last_result,
            "reply": case.public_reply[:200]}


@router.get("")
def callback_list(request: Request, viewer: Viewer = Depends(require_roles(*CALLERS))) -> Response:
    """Show the callbacks handed to the agents, oldest due first."""
    console = console_of(request)
    with session_scope(console.session_factory) as session:
        rows = [_row(task, console.timezone) for task in callbacks.agent_list(session)]
    return render(request, "callbacks.html", viewer, rows=rows, ratings=RATINGS,
                  done=request.query_params.get("done", ""))


@router.post("/{task_id}/rating")
async def rate(request: Request, task_id: int, viewer: Viewer = Depends(guarded(*CALLERS))) -> Response:
    """Record the rating the resident gave the agent on the phone; 不满意 reopens the case (重办)."""
    console, lang = console_of(request), language(request)
    form = await request.form()
    rating, note = str(form.get("rating", "")), str(form.get("note", "")).strip()[:500]
    if rating not in RATINGS:
        return render(request, "message.html", viewer, status_code=422,
                      message=i18n.translate("callback_pick_rating", lang))
    actor = Actor(viewer.username, viewer.role, viewer.bureau_id)
    try:
        with session_scope(console.session_factory) as session:
            task = callbacks.rate(session, console.dataset, task_id, rating, actor, utcnow(), note=note)
            number = task.case.number
    except callbacks.TaskNotFound:
        return render(request, "message.html", viewer, status_code=404,
                      message=i18n.translate("callback_not_found", lang))
    except (callbacks.TaskClosed, IllegalTransition, NotPermitted, InvalidAction) as err:
        return render(request, "message.html", viewer, status_code=409,
                      message=f"{i18n.translate('callback_refused', lang)}: {err}")
    return RedirectResponse(f"{console.settings.prefix}/callbacks?done={number}", status_code=303)
