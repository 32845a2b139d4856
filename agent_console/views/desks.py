"""The dispatch desk (派单台) and the supervisor's case list: tabs, filters, keyset pages."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from agent_console.auth import Viewer
from agent_console.views.deps import Forbidden, require_roles
from agent_console.views.listing import list_page, notices_fragment

router = APIRouter()
DISPATCHERS = ("dispatcher", "supervisor", "admin")
SUPERVISORS = ("supervisor", "admin")
NOTICE_READERS = {"bureau": ("bureau",), "dispatch": DISPATCHERS, "supervisor": SUPERVISORS}


@router.get("/dispatch")
def dispatch_desk(request: Request, viewer: Viewer = Depends(require_roles(*DISPATCHERS))) -> Response:
    """Cases waiting for dispatch, returned with a reason, reopened, or that routing was unsure of."""
    return list_page(request, viewer, "dispatch", default_tab="new")


@router.get("/supervise")
def supervisor_cases(request: Request, viewer: Viewer = Depends(require_roles(*SUPERVISORS))) -> Response:
    """Every case, by tab (open, extensions to decide, near/over the deadline, 督办) and filters."""
    return list_page(request, viewer, "supervisor", default_tab="open")


@router.get("/notices")
def notices(request: Request, page: str = "dispatch",
            viewer: Viewer = Depends(require_roles("bureau", *DISPATCHERS))) -> Response:
    """The latest deadline notices of a list page (bureau, dispatch or supervisor) as an HTML fragment."""
    if viewer.role not in NOTICE_READERS.get(page, ()):
        raise Forbidden(viewer.role)
    return notices_fragment(request, viewer, page)
