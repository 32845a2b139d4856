"""The access audit trail for administrators: who saw which resident's data or recording, when."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from agent_console import i18n
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, language, render, require_roles
from ticketing.audit import service as audit
from ticketing.database.core import session_scope

router = APIRouter(prefix="/audit")


@router.get("")
def audit_page(request: Request, viewer: Viewer = Depends(require_roles("admin"))) -> Response:
    """List the trail newest first, by user or case, a keyset page at a time."""
    console = console_of(request)
    q = request.query_params
    before = q.get("before", "")
    username, number = q.get("user", "")[:64].strip(), q.get("case", "")[:32].strip()
    with session_scope(console.session_factory) as session:
        found = audit.page(session, before=int(before) if before.isdigit() else None,
                           username=username or None, case_number=number or None)
        lang = language(request)
        rows = [{"at": r.at, "username": r.username, "role": r.role, "action": r.action,
                 "case": r.case_number or "", "target": target_words(r.target, lang),
                 "detail": detail_words(r.action, r.detail, lang)} for r in found.items]
    return render(request, "audit.html", viewer, rows=rows, next_before=found.next_before, user=username,
                  number=number, timezone=console.timezone)


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
