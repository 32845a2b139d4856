"""The bureau workspace: tabs of the bureau's cases with filters and paging, quick actions in the rows."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from agent_console import cases, i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, guarded, language, require_roles
from agent_console.views.listing import list_page
from ticketing.database.core import session_scope

router = APIRouter(prefix="/bureau")
BUREAU = ("bureau",)


@router.get("")
def bureau_page(
    request: Request,
    done: str = "",
    error: str = "",
    number: str = "",
    viewer: Viewer = Depends(require_roles(*BUREAU)),
) -> Response:
    """Show a tab of the bureau's cases (待签收 first) with the result of the last quick action."""
    console = console_of(request)
    name = ""
    with session_scope(console.session_factory) as session:
        from ticketing.bureau.models import Bureau

        bureau = session.get(Bureau, viewer.bureau_id) if viewer.bureau_id else None
        if bureau is not None:
            name = bureau.name_en if language(request) == "en" and bureau.name_en else bureau.name_zh
    return list_page(
        request,
        viewer,
        "bureau",
        default_tab="pending",
        bureau_name=name,
        done=done[:40],
        error=error[:300],
        number=number[:32],
    )


@router.post("/cases/{number}/{action}")
async def act(
    request: Request,
    number: str,
    action: str,
    note: str = Form("", max_length=4000),
    viewer: Viewer = Depends(guarded(*BUREAU)),
) -> Response:
    """Apply a quick action from the list and come back to it with its result."""
    console = console_of(request)
    target = f"{console.settings.prefix}/bureau"
    tab = request.query_params.get("tab", "")
    suffix = f"&tab={quote(tab)}" if tab else ""
    try:
        await asyncio.to_thread(_act, console, number, action, note, viewer)
    except cases.ActionRefused as err:
        error = i18n.refusal(err.code, err.params, str(err), language(request))
        return RedirectResponse(
            f"{target}?error={quote(error)}&number={quote(number)}{suffix}", status_code=303
        )
    return RedirectResponse(f"{target}?done={quote(action)}&number={quote(number)}{suffix}", status_code=303)


def _act(console, number: str, action: str, note: str, viewer: Viewer) -> None:
    with session_scope(console.session_factory) as session:
        cases.act(session, console.dataset, number, action, note, viewer)
