"""One list page (dispatch desk, bureau workspace, supervisor list) from its query parameters."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from agent_console import caselists
from agent_console.auth import Viewer
from agent_console.caselists import TABS, Filters
from agent_console.views.deps import console_of, language, render
from ticketing.case.errors import InvalidAction
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.supervision import notices

DEADLINES = ("", "near", "overdue")


def filters_of(request: Request) -> Filters:
    """Read the filter bar from the query string (unknown values are ignored, never an error)."""
    q = request.query_params
    deadline = q.get("deadline", "")
    return Filters(
        status=q.get("status", "")[:32],
        bureau=q.get("bureau", "")[:64],
        street=q.get("street", "")[:64],
        category=q.get("category", "")[:64],
        deadline=deadline if deadline in DEADLINES else "",
        supervised=q.get("supervised") == "1",
        q=q.get("q", "")[:200],
    )


def list_page(request: Request, viewer: Viewer, page: str, default_tab: str, **extra: Any) -> Response:
    """Render a list page's tab, filtered and paged."""
    console, lang = console_of(request), language(request)
    tab = request.query_params.get("tab", default_tab)
    tab = tab if tab in TABS[page] else default_tab
    after = request.query_params.get("after", "")[:64]
    filters = filters_of(request)
    with session_scope(console.session_factory) as session:
        triage = caselists.triage_id(session, console.dataset)
        criteria = caselists.criteria(page, tab, filters, viewer, console.dataset, triage, after)
        try:
            rows, next_cursor = caselists.rows(
                session, console.dataset, criteria, utcnow(), lang, viewer, suggest=page == "dispatch"
            )
        except InvalidAction:  # a hand-edited cursor: show the first page
            rows, next_cursor = caselists.rows(
                session,
                console.dataset,
                criteria.__class__(**{**criteria.__dict__, "after": ""}),
                utcnow(),
                lang,
                viewer,
                suggest=page == "dispatch",
            )
        recent = _notices(session, viewer, page, lang)
    dataset = console.dataset
    choices = {
        "streets": [(s.code, caselists.name(s, lang)) for s in dataset.streets.values()],
        "categories": [(c.code, caselists.name(c, lang)) for c in dataset.leaf_categories().values()],
        "bureaus": [(b.code, caselists.name(b, lang)) for b in dataset.bureaus.values()],
    }
    return render(
        request,
        "caselist.html",
        viewer,
        page=page,
        tab=tab,
        tabs=TABS[page],
        rows=rows,
        next_cursor=next_cursor,
        after=after,
        filters=filters,
        choices=choices,
        notices=recent,
        timezone=console.timezone,
        **extra,
    )


def notices_fragment(request: Request, viewer: Viewer, page: str) -> Response:
    """Render a list page's latest deadline notices alone (its script redraws them on a live notice)."""
    console, lang = console_of(request), language(request)
    with session_scope(console.session_factory) as session:
        recent = _notices(session, viewer, page, lang)
    return render(request, "_notices.html", viewer, notices=recent)


def _notices(session, viewer: Viewer, page: str, lang: str) -> list[dict[str, Any]]:
    """Latest deadline notices for this page: the bureau's own, the centre's (dispatch stage), or all."""
    if page == "bureau":
        found = notices.recent(session, bureau_id=viewer.bureau_id or -1, limit=8)
    else:
        found = notices.recent(session, stage="dispatch" if page == "dispatch" else None, limit=8)
    return [
        {**n.__dict__, "bureau": n.bureau_en if lang == "en" and n.bureau_en else n.bureau_zh} for n in found
    ]
