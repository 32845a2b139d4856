"""HTTP routes of cases: intake, search, lifecycle actions, events, caller history, routing preview."""

from __future__ import annotations

import asyncio
import logging
from contextvars import copy_context
from datetime import datetime, time, timedelta
from functools import partial
from typing import Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ticketing import logs
from ticketing.case import access, flows, idempotency, privacy, service, states
from ticketing.case.errors import UnknownReference
from ticketing.case.models import MAX_DESCRIPTION, Case
from ticketing.case.permissions import CENTRE, Actor
from ticketing.case.reads import to_read
from ticketing.case.schemas import ActionPayload, CallerHistory, CaseCreate, CasePage, CaseRead, EventRead
from ticketing.database.deps import get_db
from ticketing.database.types import utcnow
from ticketing.routing import RoutingRequest, describe, name_in, route, urgency_text
from ticketing.routing import language as languages
from ticketing.user.deps import current_user, require_roles
from ticketing.user.models import User
from ticketing.validation import MAX_PAGE, Day, Moment, Text

log = logging.getLogger(__name__)


async def _log_case_of_path(request: Request) -> None:
    """Log lines of a request about one case carry its number (async: the endpoint's thread inherits it)."""
    logs.bind_case(request.path_params.get("number"))


router = APIRouter(tags=["cases"], dependencies=[Depends(_log_case_of_path)])
ActionName = Literal[tuple(states.ACTIONS)]  # type: ignore[valid-type]


def dataset_of(request: Request):
    """Return the district data set loaded at start-up."""
    return request.app.state.dataset


@router.post("/cases", status_code=status.HTTP_201_CREATED, response_model=CaseRead)
async def create_case(
    data: CaseCreate,
    request: Request,
    response: Response,
    user: User = Depends(require_roles(*CENTRE)),
    idempotency_key: str | None = Header(
        None, max_length=200, description="Any unique string per new case (a UUID): a retry with the same "
        "key and body returns the case already made (Idempotent-Replayed: true) instead of a second one; "
        "the same key with another body is 422. Kept 24 hours."),
) -> CaseRead:
    """Take in a case: route it and set its deadlines; `dispatch: true` dispatches it at once.

    Async with the whole intake, its session included, in one call on the intake's own threads: a sync
    endpoint costs FastAPI a second hop to validate its answer, the `get_db` generator an exit stack and
    a shielded cancel scope per request, and anyio's thread pool a capacity limiter and cancel scopes per
    call (92 µs of CPU a hop against 37 µs); those were a large part of intake's CPU (docs/operations.md).
    """
    call = partial(copy_context().run, _create_case, data, request, response, user, idempotency_key)
    return await asyncio.get_running_loop().run_in_executor(request.app.state.intake_threads, call)


def _create_case(data: CaseCreate, request: Request, response: Response, user: User,
                 idempotency_key: str | None) -> CaseRead:
    with request.app.state.session_factory() as session:  # closing rolls back whatever did not commit
        case, replayed = idempotency.intake_once(session, dataset_of(request), data, Actor.of(user), user.id,
                                                 idempotency_key)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        logs.bind_case(case.number)
        return _commit(request, session, case, user)


@router.get("/cases", response_model=CasePage)
def list_cases(
    request: Request,
    session: Session = Depends(get_db),
    user: User = Depends(current_user),
    status_: str | None = Query(None, alias="status", description="One status or several, comma-separated."),
    bureau: str | None = None,
    category: str | None = None,
    street: str | None = None,
    created_from: Day | None = Query(None, alias="from", description="First day (local date)."),
    created_to: Day | None = Query(None, alias="to", description="Last day included (local date)."),
    name: Text | None = Query(None, max_length=100, description="Part of the caller's name."),
    address: Text | None = Query(None, max_length=200, description="Part of the address."),
    q: str | None = Query(
        None,
        max_length=200,
        description="Words in description, address, caller name, reply, notes, transcripts (ranked, "
        "Chinese by bigrams); or a case number (FT20261126-0042, or a day FT20261126); or a phone number.",
    ),
    cursor: str | None = Query(None, max_length=200, description="next_cursor of the previous page."),
    page: int = Query(1, ge=1, le=MAX_PAGE, description="Page number; prefer `cursor` past the first pages."),
    per_page: int = Query(50, ge=1, le=200),
) -> CasePage:
    """Search cases, newest first (best first for words); bureau users only see their bureau's cases."""
    _check_codes(request, bureau=bureau, category=category, street=street)
    unknown = [s for s in (status_ or "").split(",") if s and s not in states.STATUSES]
    if unknown:
        raise UnknownReference("status", ",".join(unknown))
    calendar = dataset_of(request).calendar
    criteria = service.CaseFilter(
        status=status_,
        bureau=bureau,
        category=category,
        street=street,
        q=q,
        caller_name=name,
        address=address,
        cursor=cursor,
        page=page,
        per_page=per_page,
        created_from=_day_start(calendar, created_from),
        created_to=_day_start(calendar, created_to, 1),
        bureau_id=user.bureau_id if user.role == "bureau" else None,
    )
    items, found = service.list_page(session, criteria)
    return CasePage(items=items, total=found.total, page=page, per_page=per_page,
                    total_capped=found.total_capped, next_cursor=found.next_cursor)


@router.get("/cases/{number}", response_model=CaseRead)
def get_case(
    number: str, request: Request, session: Session = Depends(get_db), user: User = Depends(current_user)
) -> CaseRead:
    """Return one case with its deadlines, the actions it allows and its SLA clock (bureaus: masked)."""
    read = to_read(_visible(session, number, user), dataset_of(request), utcnow())
    return privacy.masked_for(user.role, read)


@router.post("/cases/{number}/actions/{action}", response_model=CaseRead)
def act(
    number: str,
    action: ActionName,
    request: Request,
    payload: ActionPayload | None = None,
    session: Session = Depends(get_db),
    user: User = Depends(current_user),
) -> CaseRead:
    """Apply a lifecycle action; 409 when the case's status does not allow it or someone else was faster."""
    case = flows.apply_action(session, dataset_of(request), number, action, payload, Actor.of(user))
    return _commit(request, session, case, user)


@router.get("/cases/{number}/events", response_model=list[EventRead])
def case_events(
    number: str, session: Session = Depends(get_db), user: User = Depends(current_user)
) -> list[EventRead]:
    """Return the case's audit trail, oldest first."""
    case = _visible(session, number, user)
    return [EventRead.model_validate(event) for event in service.events(session, case)]


@router.get("/callers/{phone}/history", response_model=CallerHistory)
def caller_history(
    phone: str, session: Session = Depends(get_db), user: User = Depends(require_roles(*CENTRE))
) -> CallerHistory:
    """Return the cases and calls of a phone number (any common form: 138..., 0755-..., +86...)."""
    return service.caller_history(session, phone)


class PreviewRequest(BaseModel):
    """Text (and optionally street, category) to route without creating a case."""

    text: str = Field(min_length=1, max_length=MAX_DESCRIPTION)
    street: str | None = None
    category: str | None = None
    at: Moment | None = Field(None, description="Time of the request (default: now); must carry a timezone.")


class PreviewResult(BaseModel):
    """Where a case with that text would go and why, in the language asked for."""

    category: str | None
    category_name: str | None = Field(description="The category's name in `language` (null: none found).")
    bureau: str
    bureau_name: str = Field(description="The bureau's name in `language`.")
    rule: str | None
    explanation: str = Field(description="Why, in one sentence in `language`, names in place of codes.")
    confidence: float
    urgent: bool = Field(description="A danger sign in the words (or an urgent rule): a shorter deadline.")
    urgency: list[str] = Field(description="Each urgency sign found, in `language`, with its words.")
    language: Literal["zh", "en"]


@router.post("/routing/preview", response_model=PreviewResult, tags=["routing"])
def routing_preview(
    body: PreviewRequest, request: Request, response: Response, user: User = Depends(current_user),
    lang: Literal["zh", "en"] | None = Query(
        None, description="Language of the explanation and names: zh or en. Without it the Accept-Language "
        "header decides (zh-CN, en-US, q-values), and English when it names neither."),
    accept_language: str | None = Header(None, max_length=500),
) -> PreviewResult:
    """Propose category and bureau for a description, with the deciding rule and an explanation."""
    _check_codes(request, street=body.street, category=body.category)
    at = body.at or utcnow()
    dataset = dataset_of(request)
    request_ = RoutingRequest(text=body.text, category=body.category, street=body.street, at=at)
    decision = route(dataset, request_)
    language = languages.pick(lang, accept_language)
    response.headers["Content-Language"] = language
    category = dataset.categories.get(decision.category) if decision.category else None
    return PreviewResult(
        category=decision.category,
        category_name=name_in(category, language, decision.category) if category else None,
        bureau=decision.bureau,
        bureau_name=name_in(dataset.bureaus.get(decision.bureau), language, decision.bureau),
        rule=decision.rule,
        explanation=describe(dataset, decision.reason, language) if decision.reason else decision.explanation,
        confidence=decision.confidence,
        urgent=decision.urgent,
        urgency=[urgency_text(sign, language) for sign in decision.urgency],
        language=language,
    )


def _visible(session: Session, number: str, user: User) -> Case:
    return access.require_visible(session, number, Actor.of(user))


def _check_codes(request: Request, **codes: str | None) -> None:
    dataset = dataset_of(request)
    known = {"bureau": dataset.bureaus, "category": dataset.categories, "street": dataset.streets}
    for field, code in codes.items():
        if code and code not in known[field]:
            raise UnknownReference(field, code)


def _day_start(calendar, day: Day | None, offset: int = 0) -> datetime | None:
    if day is None:
        return None
    return calendar.local(datetime.combine(day + timedelta(days=offset), time(), tzinfo=calendar.timezone))


def _commit(request: Request, session: Session, case: Case, user: User) -> CaseRead:
    """Commit the request's work (the flow staged its events in the outbox, published after the commit)."""
    session.commit()
    return privacy.masked_for(user.role, to_read(case, dataset_of(request), utcnow()))
