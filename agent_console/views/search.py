"""Case search (工单查询) for agents, dispatchers and supervisors: any earlier case by phone, number, name,
address, words, dates and state; the same search as GET /api/v1/cases (ticketing.case.listing)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from agent_console import caselists
from agent_console.auth import Viewer
from agent_console.views.deps import console_of, language, render, require_roles
from ticketing.case import search, service, states
from ticketing.case.errors import InvalidCursor
from ticketing.case.phone import InvalidPhone, normalize_phone
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.validation import MAX_PAGE, MAX_YEAR, MIN_YEAR

router = APIRouter()
SEARCHERS = ("agent", "dispatcher", "supervisor", "admin")
PER_PAGE = 50
LIMITS = {"phone": 40, "number": 40, "name": 100, "address": 200, "words": 200, "status": 32}


@dataclass(frozen=True)
class SearchForm:
    """What the search form asked, as typed (shown back in the form)."""

    phone: str = ""
    number: str = ""
    name: str = ""
    address: str = ""
    words: str = ""
    date_from: str = ""
    date_to: str = ""
    status: str = ""

    def asked(self) -> bool:
        """Tell whether anything at all was asked."""
        return any(self.__dict__.values())

    def query(self) -> dict[str, str]:
        """The form as query parameters (for paging links)."""
        names = {"date_from": "from", "date_to": "to"}
        return {names.get(k, k): v for k, v in self.__dict__.items() if v}


class FormProblem(ValueError):
    """A field of the search form that cannot be searched; `key` is its message."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def form_of(request: Request) -> SearchForm:
    """Read the form from the query string, each field cut to its limit and without NUL characters."""
    q = request.query_params

    def field(name: str, limit: int = 40) -> str:
        return q.get(name, "").replace("\x00", "").strip()[:limit]

    return SearchForm(**{k: field(k, n) for k, n in LIMITS.items()}, date_from=field("from"),
                      date_to=field("to"))


def criteria(form: SearchForm, calendar) -> service.CaseFilter:
    """Turn the form into the case search's criteria; FormProblem for a field that cannot be searched."""
    number = form.number.upper().replace(" ", "")
    if number and not search.NUMBER.match(number):
        raise FormProblem("search_bad_number")
    phone = None
    if form.phone:
        try:
            phone = normalize_phone(form.phone)
        except InvalidPhone as err:
            raise FormProblem("search_bad_phone") from err
    if form.status and form.status not in states.STATUSES:
        raise FormProblem("search_bad_status")
    first, last = _day(form.date_from), _day(form.date_to)
    if first and last and first > last:
        raise FormProblem("search_bad_range")
    return service.CaseFilter(
        status=form.status or None, caller_phone=phone, caller_name=form.name or None,
        address=form.address or None, q=number or form.words or None, per_page=PER_PAGE,
        created_from=_day_start(calendar, first), created_to=_day_start(calendar, last, 1))


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as err:
        raise FormProblem("search_bad_date") from err
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise FormProblem("search_bad_date")
    return day


def _day_start(calendar, day: date | None, offset: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=offset), time(), tzinfo=calendar.timezone)


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) >= 1 else 1


@router.get("/search")
def search_page(request: Request, viewer: Viewer = Depends(require_roles(*SEARCHERS))) -> Response:
    """Search every case; results link to the case page, paged by keyset (by page for ranked words)."""
    console, lang = console_of(request), language(request)
    form = form_of(request)
    context: dict[str, Any] = {"form": form, "rows": [], "searched": False, "problem": "",
                               "statuses": states.STATUSES, "page_no": 1, "next_cursor": None,
                               "next_page": None, "after": ""}
    if not form.asked():
        return render(request, "search.html", viewer, **context)
    try:
        found = criteria(form, console.dataset.calendar)
    except FormProblem as problem:
        return render(request, "search.html", viewer, status_code=422, **{**context, "problem": problem.key})
    after, page_no = request.query_params.get("after", "")[:200], _page_number(request)
    found = replace(found, cursor=after or None, page=page_no)
    with session_scope(console.session_factory) as session:
        try:
            cases, page = service.get_page(session, found)
        except InvalidCursor:  # a hand-edited cursor: the first page
            found, after = replace(found, cursor=None, page=1), ""
            cases, page = service.get_page(session, found)
        now = utcnow()
        rows = [caselists.row(case, console.dataset, now, lang, viewer) for case in cases]
    ranked = _ranked(found)
    more = ranked and len(rows) == PER_PAGE and page_no * PER_PAGE < page.total
    context.update(rows=rows, searched=True, total=page.total, total_capped=page.total_capped,
                   next_cursor=page.next_cursor, after=after, page_no=page_no, ranked=ranked,
                   next_page=page_no + 1 if more else None)
    return render(request, "search.html", viewer, **context)


def _ranked(found: service.CaseFilter) -> bool:
    """Tell whether the search ranks words (paged by number) rather than listing newest first (by cursor)."""
    if found.q and search.kind_of(found.q) != "words":
        return False
    return bool(found.q or found.caller_name or found.address)
