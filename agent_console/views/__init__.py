"""Console pages: login, agent desk, bureau list, supervisor wallboard."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from agent_console import i18n
from agent_console.auth import NotLoggedIn
from agent_console.views.deps import CsrfFailed, Forbidden, console_of, language, render, wants_json


def routers() -> list[APIRouter]:
    """Return the console's routers (mounted under the console prefix)."""
    from agent_console.views import (
        agent,
        audit,
        auth,
        bureau,
        callbacks,
        callers,
        casepage,
        desks,
        knowledge,
        monitor,
        phone,
        qa,
        reports,
        search,
        transfer,
        users,
        wallboard,
    )

    return [auth.router, agent.router, bureau.router, wallboard.router, reports.router, qa.router,
            casepage.router, desks.router, audit.router, callbacks.router, knowledge.router, phone.router,
            monitor.router, transfer.router, search.router, callers.router, users.router]


def register_error_handlers(app: FastAPI) -> None:
    """Show expired sessions, forged requests and forbidden pages as clear messages."""
    app.add_exception_handler(NotLoggedIn, _not_logged_in)
    app.add_exception_handler(CsrfFailed, _refused("csrf_failed", 403))
    app.add_exception_handler(Forbidden, _refused("forbidden", 403))


async def _not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
    code = "session_expired" if exc.expired else "not_logged_in"
    if wants_json(request):
        message = i18n.translate(code, language(request))
        return JSONResponse({"error": code, "message": message}, status_code=401)
    prefix = console_of(request).settings.prefix
    return RedirectResponse(f"{prefix}/login?reason={code}", status_code=303)


def _refused(code: str, status_code: int):
    async def handle(request: Request, _exc: Exception) -> Response:
        message = i18n.translate(code, language(request))
        if wants_json(request):
            return JSONResponse({"error": code, "message": message}, status_code=status_code)
        return render(request, "message.html", None, status_code=status_code, message=message)

    return handle
