"""The dispatch desk (派单台) and the supervisor's case list: tabs, filters, keyset pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from agent_console.auth import Viewer
from agent_console.views.deps import require_roles
from agent_console.views.listing import list_page

router = APIRouter()
DISPATCHERS = ("dispatcher", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")


@router.get("/dispatch")
def dispatch_desk(request: Request, viewer: Viewer = Depends(require_roles(*DISPATCHERS))) -> Response:
    """Cases waiting for dispatch, returned with a reason, reopened, or that routing was unsure of."""
    return list_page(request, viewer, "dispatch", default_tab="new")


@router.get("/supervise")
def supervisor_cases(request: Request, viewer: Viewer = Depends(require_roles(*SUPERVISORS))) -> Response:
    """Every case, by tab (open, extensions to decide, near/over the deadline, 督办) and filters."""
    return list_page(request, viewer, "supervisor", default_tab="open")
