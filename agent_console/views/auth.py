"""Login, logout, language switch and the landing redirect by role."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from agent_console import agent_state as sm
from agent_console import auth, i18n
from agent_console.auth import NotLoggedIn, Viewer
from agent_console.presence import Agent
from agent_console.views.deps import (
    LANG_COOKIE,
    CsrfFailed,
    check_csrf,
    console_of,
    current_viewer,
    render,
)
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

log = logging.getLogger(__name__)
router = APIRouter()
LOGIN_CSRF_COOKIE = "console_login_csrf"
HOME_BY_ROLE = {"agent": "/agent", "supervisor": "/wallboard", "admin": "/wallboard", "bureau": "/bureau",
                "qa": "/qa", "dispatcher": "/dispatch"}
REASONS = ("session_expired", "not_logged_in", "login_failed", "login_locked", "login_throttled")


@router.get("/")
def home(request: Request) -> Response:
    """Send a logged-in user to their page, others to the login form."""
    prefix = console_of(request).settings.prefix
    try:
        viewer = current_viewer(request)
    except NotLoggedIn:
        return RedirectResponse(f"{prefix}/login", status_code=303)
    return RedirectResponse(prefix + HOME_BY_ROLE.get(viewer.role, "/login"), status_code=303)


@router.get("/login")
def login_form(request: Request, reason: str | None = None) -> Response:
    """Show the login form with a fresh login CSRF token (double-submit cookie)."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, login_csrf=token,
                      reason=reason if reason in REASONS else None)
    settings = console_of(request).settings
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path=settings.prefix)
    return response


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""),
          csrf_token: str = Form("")) -> Response:
    """Check the credentials and open a session; on failure show the form again with the reason."""
    console = console_of(request)
    settings = console.settings
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        raise CsrfFailed()
    address = request.client.host if request.client else "-"
    policy = request.app.state.settings.login_policy
    with session_scope(console.session_factory) as session:  # a refused attempt is committed too
        try:
            token = auth.login(session, username, password, settings, utcnow(), address, policy)
        except auth.LoginFailed as failed:
            return RedirectResponse(f"{settings.prefix}/login?reason={failed.reason}", status_code=303)
    response = RedirectResponse(f"{settings.prefix}/", status_code=303)
    response.set_cookie(settings.cookie_name, token, httponly=True, samesite="lax",
                        secure=settings.cookie_secure, path="/", max_age=int(settings.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=settings.prefix)
    return response


@router.post("/logout")
async def logout(request: Request, viewer: Viewer = Depends(current_viewer)) -> Response:
    """Close the session; an agent also leaves the queues (unless on a call, which ends normally)."""
    await check_csrf(request, viewer)
    console = console_of(request)
    if viewer.role == "agent":
        try:
            await console.presence.act(Agent(viewer.user_id, viewer.display_name), sm.Logout())
        except Exception as err:  # the session closes anyway; the agent page showed the state
            log.warning("agent %s logged out without leaving the queues: %s", viewer.username, err)
    await asyncio.to_thread(_close_session, console, request.cookies.get(console.settings.cookie_name))
    response = RedirectResponse(f"{console.settings.prefix}/login", status_code=303)
    response.delete_cookie(console.settings.cookie_name, path="/")
    return response


def _close_session(console, token: str | None) -> None:
    with session_scope(console.session_factory) as session:
        auth.logout(session, token)


@router.get("/lang/{code}")
def switch_language(request: Request, code: str, back: str = "") -> Response:
    """Remember the interface language and go back to the page (only console pages are allowed back)."""
    settings = console_of(request).settings
    target = back if back.startswith(settings.prefix + "/") and "//" not in back else f"{settings.prefix}/"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(LANG_COOKIE, i18n.pick_language(code), samesite="lax", path="/",
                        max_age=365 * 86400)
    return response
