"""Supervisor wallboard page; its figures arrive over the live WebSocket."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from agent_console.auth import Viewer
from agent_console.live.feeds import deadline_rows, notice_rows
from agent_console.views.deps import console_of, render, require_roles

router = APIRouter(prefix="/wallboard")
SUPERVISORS = ("supervisor", "admin")


@router.get("")
def wallboard_page(request: Request, viewer: Viewer = Depends(require_roles(*SUPERVISORS))) -> Response:
    """Show the wallboard with the current figures (then kept live)."""
    console = console_of(request)
    snapshot = console.hub.wallboard_snapshot(console.settings.service_level_seconds)
    return render(request, "wallboard.html", viewer, snapshot=snapshot, deadlines=deadline_rows(console),
                  notices=notice_rows(console), phone_extensions=console.settings.extensions,
                  browser_phone=console.phones is not None)
