"""Request helpers shared by the console's pages: the console, the viewer, CSRF checks, rendering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from agent_console import auth, i18n
from agent_console.auth import Viewer
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

if TYPE_CHECKING:
    from agent_console.app import Console

LANG_COOKIE = "console_lang"
CSRF_HEADER = "x-csrf-token"
# Links in the top bar, per role: (path under the prefix, message key).
NAV: dict[str, tuple[tuple[str, str], ...]] = {
    "dispatcher": (("/dispatch", "nav_dispatch"),),
    "supervisor": (("/wallboard", "nav_wallboard"), ("/supervise", "nav_supervise"),
                   ("/dispatch", "nav_dispatch"), ("/audit", "nav_monitor_audit"),
                   ("/callers", "nav_callers")),
    "admin": (("/wallboard", "nav_wallboard"), ("/supervise", "nav_supervise"), ("/dispatch", "nav_dispatch"),
              ("/audit", "nav_audit"), ("/users", "nav_users"), ("/callers", "nav_callers")),
    "bureau": (("/bureau", "nav_workspace"),),
}
TAB_HEADER = "x-console-tab"


class CsrfFailed(Exception):
    """A state-changing request came without the session's CSRF token."""


class Forbidden(Exception):
    """The viewer's role may not use this page or action."""


def console_of(request: Request) -> Console:
    """Return the console mounted on the app."""
    return request.app.state.console


def language(request: Request) -> str:
    """Return the interface language chosen by cookie (Chinese by default)."""
    console = console_of(request)
    return i18n.pick_language(request.cookies.get(LANG_COOKIE), console.settings.default_language)


def current_viewer(request: Request) -> Viewer:
    """Return the logged-in viewer; NotLoggedIn (expired or missing) otherwise."""
    console = console_of(request)
    token = request.cookies.get(console.settings.cookie_name)
    with session_scope(console.session_factory) as session:
        return auth.load(session, token, console.settings, utcnow())


def require_roles(*roles: str):
    """Dependency: the viewer, who must have one of `roles`."""

    def dependency(viewer: Viewer = Depends(current_viewer)) -> Viewer:
        if viewer.role not in roles:
            raise Forbidden(viewer.role)
        return viewer

    return dependency


async def check_csrf(request: Request, viewer: Viewer) -> None:
    """Refuse a POST whose CSRF token (header or form field) is not the session's."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and "form" in request.headers.get("content-type", ""):
        given = (await request.form()).get("csrf_token")
    if not auth.csrf_matches(viewer.csrf_token, str(given) if given is not None else None):
        raise CsrfFailed()


def wants_json(request: Request) -> bool:
    """Tell whether the caller is the page's script (JSON) rather than a browser navigation."""
    return "application/json" in request.headers.get("accept", "")


def render(request: Request, template: str, viewer: Viewer | None = None, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    """Render a page with the language, messages, viewer and CSRF token every template uses."""
    console = console_of(request)
    lang = language(request)
    return console.templates.TemplateResponse(request, template, {
        "lang": lang, "t": lambda key: i18n.translate(key, lang), "catalogue": i18n.catalogue(lang),
        "queue_name": lambda queue: i18n.queue_name(queue, lang),
        "colon": "：" if lang == "zh" else ": ",  # a label's colon in the page's punctuation
        "sep": "、" if lang == "zh" else ", ",  # between the items of a list of names
        "paren": lambda words: f"（{words}）" if lang == "zh" else f" ({words})",
        "viewer": viewer, "csrf_token": viewer.csrf_token if viewer else "",
        "prefix": console.settings.prefix, "nav": NAV.get(viewer.role, ()) if viewer else (),
        "local": lambda at: at.astimezone(console.timezone).strftime("%Y-%m-%d %H:%M") if at else "",
        **context}, status_code=status_code)


def guarded(*roles: str):
    """Dependency for state-changing requests: a viewer with one of `roles` and a valid CSRF token."""
    role_dependency = require_roles(*roles)

    async def dependency(request: Request, viewer: Viewer = Depends(role_dependency)) -> Viewer:
        await check_csrf(request, viewer)
        return viewer

    return dependency
