"""The console's case lists: the dispatch desk, the bureau workspace and the supervisor's case list.

Each page is a set of tabs (a tab is a set of list criteria) plus the same filters; paging is by keyset
(ticketing.case.lists), so a page costs the same at any depth and no page counts the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console import i18n
from agent_console.auth import Viewer
from ticketing.bureau.models import Bureau
from ticketing.case import lists, privacy, states
from ticketing.case.lists import ListCriteria
from ticketing.case.models import Case, CaseEvent
from ticketing.case.reads import clock
from ticketing.dataset import Dataset
from ticketing.routing import RoutingDecision, RoutingError, RoutingRequest, describe, route

OPEN = tuple(sorted(states.OPEN_STATUSES))
BUREAU_OPEN = (states.DISPATCHED, states.ACKNOWLEDGED, states.IN_PROGRESS, states.EXTENSION_REQUESTED)

# page -> tab -> (label key, criteria of the tab)
TABS: dict[str, dict[str, tuple[str, ListCriteria]]] = {
    "dispatch": {
        "new": ("tab_to_dispatch", ListCriteria(statuses=(states.NEW,), order="due")),
        "unsure": ("tab_unsure", ListCriteria(statuses=(states.NEW,), unrouted=True)),
        "returned": ("tab_returned", ListCriteria(statuses=(states.RETURNED,))),
        "reopened": ("tab_reopened", ListCriteria(statuses=(states.REOPENED,))),
        "overdue": (
            "tab_dispatch_overdue",
            ListCriteria(statuses=(states.NEW,), deadline="overdue", order="due"),
        ),
    },
    "bureau": {
        "pending": ("tab_pending", ListCriteria(statuses=(states.DISPATCHED,))),
        "working": ("tab_working", ListCriteria(statuses=(states.ACKNOWLEDGED, states.IN_PROGRESS))),
        "extension": ("tab_extension", ListCriteria(statuses=(states.EXTENSION_REQUESTED,))),
        "resolved": ("tab_resolved", ListCriteria(statuses=(states.RESOLVED, states.CLOSED))),
        "returned": ("tab_returned", ListCriteria(statuses=(states.RETURNED,))),
        "overdue": ("tab_overdue", ListCriteria(statuses=BUREAU_OPEN, deadline="overdue", order="due")),
        "supervised": ("tab_supervised", ListCriteria(statuses=BUREAU_OPEN, supervised=True)),
        "assisting": ("tab_assisting", ListCriteria(statuses=OPEN)),
    },
    "supervisor": {
        "all": ("tab_all", ListCriteria()),
        "open": ("tab_open", ListCriteria(statuses=OPEN)),
        "extension": ("tab_extension", ListCriteria(statuses=(states.EXTENSION_REQUESTED,))),
        "near": ("tab_near", ListCriteria(statuses=OPEN, deadline="near", order="due")),
        "overdue": ("tab_overdue", ListCriteria(statuses=OPEN, deadline="overdue", order="due")),
        "supervised": ("tab_supervised", ListCriteria(statuses=OPEN, supervised=True)),
    },
}


@dataclass(frozen=True)
class Filters:
    """What the filter bar narrows a tab to."""

    status: str = ""
    bureau: str = ""
    street: str = ""
    category: str = ""
    deadline: str = ""
    supervised: bool = False
    q: str = ""

    def query(self) -> dict[str, str]:
        """Return the filters as query parameters (for paging links)."""
        values = {k: v for k, v in self.__dict__.items() if v and not isinstance(v, bool)}
        return {**values, **({"supervised": "1"} if self.supervised else {})}


def criteria(
    page: str,
    tab: str,
    filters: Filters,
    viewer: Viewer,
    dataset: Dataset,
    triage_id: int | None,
    after: str = "",
) -> ListCriteria:
    """Return the list criteria of a tab of a page for this viewer, narrowed by the filters."""
    _label, base = TABS[page][tab]
    found = replace(base, street=filters.street, category=filters.category, q=filters.q[:200], after=after)
    if filters.deadline in ("near", "overdue"):
        found = replace(found, deadline=filters.deadline)  # type: ignore[arg-type]
    if filters.supervised:
        found = replace(found, supervised=True)
    if page == "supervisor" and filters.status in states.STATUSES:
        found = replace(found, statuses=(filters.status,))
    if page != "bureau" and filters.bureau in dataset.bureaus:
        found = replace(found, bureau=filters.bureau)
    if page == "dispatch" and tab == "unsure":
        found = replace(found, bureaus=(triage_id,) if triage_id else ())
    if page == "bureau":
        found = _bureau_scope(found, tab, viewer)
    return found


def _bureau_scope(found: ListCriteria, tab: str, viewer: Viewer) -> ListCriteria:
    bureau_id = viewer.bureau_id if viewer.bureau_id is not None else -1
    if tab == "assisting":
        return replace(found, assisting_bureau_id=bureau_id, dispatched_only=True)
    return replace(found, bureau_id=bureau_id, dispatched_only=True)


def triage_id(session: Session, dataset: Dataset) -> int | None:
    """Return the id of the centre's triage desk (bureau)."""
    return session.scalar(select(Bureau.id).where(Bureau.code == dataset.triage_bureau))


def rows(
    session: Session, dataset: Dataset, found: ListCriteria, now: datetime, lang: str, viewer: Viewer,
    suggest: bool = False,
) -> tuple[list[dict[str, Any]], str | None]:
    """Return the rows of one page and the cursor of the next (with routing suggestions when SUGGEST)."""
    result = lists.page(session, found, now)
    reasons = return_reasons(session, [c.id for c in result.items if c.status == states.RETURNED])
    reasons |= reopen_reasons(session, [c.id for c in result.items if c.status == states.REOPENED], lang)
    return [
        row(case, dataset, now, lang, viewer, reasons.get(case.id, ""), suggest) for case in result.items
    ], result.next_cursor


def name(item: Any, lang: str) -> str:
    """Return the display name of a bureau, street, category or community in the interface language."""
    if item is None:
        return ""
    return item.name_en if lang == "en" and getattr(item, "name_en", "") else item.name_zh


def row(
    case: Case, dataset: Dataset, now: datetime, lang: str, viewer: Viewer, reason: str = "",
    suggest: bool = False,
) -> dict[str, Any]:
    """Return what a list shows of one case (the resident's data masked for roles without the right)."""
    unmask = privacy.may_unmask(viewer.role)
    return {
        "number": case.number,
        "status": case.status,
        "description": case.description,
        "category": name(case.category, lang),
        "street": name(case.street, lang),
        "address": case.address,
        "bureau": name(case.bureau, lang),
        "bureau_code": case.bureau.code if case.bureau else "",
        "caller": privacy.mask_phone(case.caller_phone) if case.caller_phone else "",
        "caller_name": case.caller_name if unmask else privacy.mask_name(case.caller_name),
        "unmask": unmask,
        "created_at": case.created_at,
        "suggestion": suggestion(case, dataset, lang) if suggest else None,
        "sla": clock(case, dataset, now),
        "supervised": case.supervised_at is not None,
        "return_reason": reason,
        "priority": case.priority,
        "quick": _quick(case, viewer),
    }


def suggestion(case: Case, dataset: Dataset, lang: str) -> dict[str, str]:
    """Return where routing sends CASE and why, in LANG: one decision, so bureau and explanation agree.

    The decision is taken again from the case's words, street, current category and intake time (the
    category the words give when it is the case's own, so "recognised" stays "recognised"). A returned
    case's bureau is the one that returned it, shown apart as such (as is a reopened case's earlier one).
    Should the district's data no longer know the case's codes, the sentence stored at intake is shown
    as it was written.
    """
    decision = _decide(case, dataset)
    if decision is None and returned_by(case):  # routing knows no other bureau: the desk chooses one
        return {"bureau": "", "explanation": "", "previous": name(case.bureau, lang)}
    if decision is None or decision.reason is None:
        return {"bureau": name(case.bureau, lang), "explanation": case.routing_explanation, "previous": ""}
    bureau = dataset.bureaus.get(decision.bureau)
    suggested = name(bureau, lang) or decision.bureau
    current = name(case.bureau, lang)
    moved = current and (
        case.status == states.RETURNED or (case.status == states.REOPENED and current != suggested)
    )
    return {"bureau": suggested, "explanation": describe(dataset, decision.reason, lang),
            "previous": current if moved else ""}


def returned_by(case: Case) -> tuple[str, ...]:
    """Return the code of the bureau that returned CASE (退回), which routing must not propose again."""
    return (case.bureau.code,) if case.status == states.RETURNED and case.bureau is not None else ()


def _decide(case: Case, dataset: Dataset) -> RoutingDecision | None:
    street = case.street.code if case.street else None
    category = case.category.code if case.category else None
    avoid = returned_by(case)
    try:
        decision = route(dataset, RoutingRequest(case.description, None, street, case.created_at, avoid))
        if category is not None and decision.category != category:
            again = RoutingRequest(case.description, category, street, case.created_at, avoid)
            decision = route(dataset, again)
    except RoutingError:
        return None
    return decision


def _quick(case: Case, viewer: Viewer) -> list[str]:
    """Actions a bureau clerk may take right from the list (签收, 开始办理)."""
    if viewer.role != "bureau" or case.bureau_id != viewer.bureau_id:
        return []
    return [a for a in ("acknowledge", "start") if a in states.allowed_actions(case.status)]


def reopen_reasons(session: Session, case_ids: list[int], lang: str) -> dict[int, str]:
    """Return why each case is being handled again (重办): the supervisor's note or the unsatisfied rating."""
    if not case_ids:
        return {}
    query = (
        select(CaseEvent.case_id, CaseEvent.action, CaseEvent.note)
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action.in_(("reopen", "callback")))
        .order_by(CaseEvent.id)
    )
    unsatisfied = i18n.translate("rating_unsatisfied", lang)
    return {case_id: note or (unsatisfied if action == "callback" else "")
            for case_id, action, note in session.execute(query)}


def return_reasons(session: Session, case_ids: list[int]) -> dict[int, str]:
    """Return the latest return reason (退回原因) of each case."""
    if not case_ids:
        return {}
    query = (
        select(CaseEvent.case_id, CaseEvent.note)
        .where(CaseEvent.case_id.in_(case_ids), CaseEvent.action == "return")
        .order_by(CaseEvent.id)
    )
    return {case_id: note for case_id, note in session.execute(query)}
