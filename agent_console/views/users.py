"""User administration for administrators: who can log in, lockouts, passwords (the same rules as the API)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from agent_console.auth import Viewer
from agent_console.views.deps import console_of, guarded, language, render, require_roles
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.user import accounts
from ticketing.user import service as users

router = APIRouter(prefix="/users")
CHANGES = ("unlock", "deactivate", "activate", "password")


@router.get("")
def users_page(request: Request, viewer: Viewer = Depends(require_roles("admin")),
               done: str = "", name: str = "", error: str = "") -> Response:
    """List every user with their state and the actions an administrator may take."""
    console = console_of(request)
    now = utcnow()
    english = language(request) == "en"
    with session_scope(console.session_factory) as session:
        rows = [{"username": u.username, "display_name": u.display_name, "role": u.role,
                 "bureau": (u.bureau.name_en if english else u.bureau.name_zh) if u.bureau else "",
                 "extension": u.extension or "",
                 "active": u.active, "locked_until": u.locked_until if u.locked_until and u.locked_until > now
                 else None, "self": u.id == viewer.user_id} for u in users.get_all(session)]
    return render(request, "users.html", viewer, rows=rows, done=done if done in CHANGES else "",
                  name=name[:64], error=error[:40])


@router.post("/{username}/{change}")
def change_user(request: Request, username: str, change: str, password: str = Form(""),
                viewer: Viewer = Depends(guarded("admin"))) -> Response:
    """Unlock, (de)activate or set the password of a user; audited like the API's account changes."""
    target = f"{console_of(request).settings.prefix}/users"
    if change not in CHANGES:
        return RedirectResponse(f"{target}?error=unknown_change", status_code=303)
    with session_scope(console_of(request).session_factory) as session:
        user = users.get_by_username(session, username)
        if user is None:
            return RedirectResponse(f"{target}?error=unknown_user", status_code=303)
        error = _apply(session, user, change, password, viewer)
    if error:
        return RedirectResponse(f"{target}?error={error}&name={quote(username)}", status_code=303)
    return RedirectResponse(f"{target}?done={change}&name={quote(username)}", status_code=303)


def _apply(session, user, change: str, password: str, viewer: Viewer) -> str:
    """Make the change; return an error message key, or '' when done."""
    actor, now = (viewer.username, viewer.role), utcnow()
    if change == "unlock":
        accounts.unlock(session, user, now, actor=actor)
    elif change == "password":
        if len(password) < accounts.MIN_PASSWORD:
            return "password_too_short"
        accounts.change_password(session, user, password, now, actor=actor)
    elif change == "deactivate" and user.id == viewer.user_id:
        return "cannot_deactivate_self"
    else:
        accounts.set_active(session, user, change == "activate", now, actor=actor)
    return ""
