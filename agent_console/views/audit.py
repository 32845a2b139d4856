"""The access audit trail: who saw which resident's data or recording, or monitored which call, when.

Administrators see all of it. Supervisors (班长, 值班长) see its monitoring part: who listened to, whispered
to or barged into which agent's call, when, from which phone and for which case. They run the floor and
hand it over between shifts, so they must know who has been on whose calls; looking at residents' data,
recordings and account changes stays the administrator's (the centre's data-protection role) to review.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from agent_console import i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, language, render, require_roles
from ticketing.audit import service as audit
from ticketing.audit.models import MONITOR_ACTIONS
from ticketing.database.core import session_scope

router = APIRouter(prefix="/audit")


@router.get("")
def audit_page(request: Request, viewer: Viewer = Depends(require_roles("admin", "supervisor"))) -> Response:
    """List the trail (a supervisor: its monitoring part) newest first, by user or case, a page at a time."""
    console = console_of(request)
    q = request.query_params
    before = q.get("before", "")
    username, number = q.get("user", "")[:64].strip(), q.get("case", "")[:32].strip()
    with session_scope(console.session_factory) as session:
        found = audit.page(session, before=int(before) if before.isdigit() else None,
                           username=username or None, case_number=number or None,
                           actions=None if viewer.role == "admin" else MONITOR_ACTIONS)
        lang = language(request)
        rows = [{"at": r.at, "username": r.username, "role": r.role, "action": r.action,
                 "case": r.case_number or "", "target": target_words(r.target, lang),
                 "detail": detail_words(r.action, r.detail, lang)} for r in found.items]
    return render(request, "audit.html", viewer, rows=rows, next_before=found.next_before, user=username,
                  number=number, timezone=console.timezone, monitoring_only=viewer.role != "admin")


def target_words(target: str | None, lang: str) -> str:
    """Name what was opened in the page's words: the caller, a file, a call; others as stored."""
    kind, _, ident = (target or "").partition(":")
    if kind == "caller" and not ident:
        return i18n.translate("audit_target_caller", lang)
    if kind in ("attachment", "call") and ident:
        return i18n.translate(f"audit_target_{kind}", lang).format(id=ident)
    return target or ""


def detail_words(action: str, detail: str | None, lang: str) -> str:
    """Return the detail in the page's words where the trail stores a fixed sentence (unmask)."""
    if action == "unmask":
        return i18n.translate("audit_detail_unmask", lang)
    return detail or ""
