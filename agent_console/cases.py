"""The console's use of the case service: routing proposal, intake, attach, bureau work, deadlines.

Every function takes an open session and flushes only; the view commits (the case flows put
the events in the outbox).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from agent_console.auth import Viewer
from ticketing.case import flows, idempotency, lists, service, states
from ticketing.case.errors import (
    AlreadyWithBureau,
    CaseError,
    CaseNotFound,
    ConcurrentUpdate,
    InvalidAction,
    NotPermitted,
    UnknownReference,
)
from ticketing.case.lists import ListCriteria
from ticketing.case.models import Case
from ticketing.case.permissions import Actor
from ticketing.case.phone import InvalidPhone, normalize_phone
from ticketing.case.reads import clock
from ticketing.case.schemas import ActionPayload, CaseCreate
from ticketing.case.states import IllegalTransition
from ticketing.dataset import Dataset
from ticketing.routing import RoutingError, RoutingRequest, describe, route, urgency_text
from ticketing.sla import intake_deadlines
from ticketing.sla.policy import Limit

BUREAU_ACTIONS = ("acknowledge", "start", "return", "resolve")
QUICK_ACTIONS = ("acknowledge", "start")  # offered in the workspace's rows; the rest on the case page
FORM_FIELDS = ("description", "caller_phone", "caller_name", "street", "address", "category", "bureau",
               "priority", "linkedid")


@dataclass(frozen=True)
class FieldError:
    """Why one field is wrong: a code the console translates, the service's own text, and its values."""

    code: str  # e.g. "required", "too_long", "invalid_phone", "unknown_reference", "invalid"
    message: str  # the case service's (English) text, shown as is in English
    params: dict[str, Any] = field(default_factory=dict)


class FormInvalid(Exception):
    """The case form has errors: field name -> FieldError."""

    def __init__(self, errors: dict[str, FieldError]) -> None:
        super().__init__("; ".join(f"{k}: {v.message}" for k, v in errors.items()))
        self.errors = errors


class ActionRefused(Exception):
    """The case service refused an action; `code` and `params` say why, the message in English."""

    def __init__(self, message: str, code: str = "refused", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


PYDANTIC_CODES = {"missing": "required", "string_too_short": "required", "string_too_long": "too_long",
                  "literal_error": "not_a_choice", "enum": "not_a_choice"}


@dataclass(frozen=True)
class Proposal:
    """What routing proposes for a description, with the deadlines the case would get."""

    category: str | None
    category_name: str
    bureau: str
    bureau_name: str
    explanation: str
    urgent: bool
    urgency: list[str]  # each danger sign found, with its words, in the page's language
    dispatch_by: datetime | None
    resolve_limit: Limit


def actor_of(viewer: Viewer) -> Actor:
    """Return the case-service actor of a console user."""
    return Actor(name=viewer.username, role=viewer.role, bureau_id=viewer.bureau_id)


def propose(dataset: Dataset, text: str, street: str | None, category: str | None, now: datetime,
            language: str = "zh") -> Proposal:
    """Ask the routing engine where a case with this text would go, and by when it is due."""
    try:
        decision = route(dataset, RoutingRequest(text=text, street=street or None, category=category or None,
                                                 at=now))
    except RoutingError as err:
        name, value = ("category", category) if category else ("street", street)
        raise FormInvalid({name: FieldError("unknown_reference", str(err), {"value": value})}) from err
    found = dataset.categories.get(decision.category or "")
    bureau = dataset.bureaus.get(decision.bureau)
    urgent = decision.urgent
    sla_class = "urgent" if urgent else (found.sla_class if found else "complaint")
    dispatch_by = intake_deadlines(dataset, found, now, urgent=urgent).dispatch_by if found else None
    return Proposal(category=decision.category, category_name=name_in(found, language),
                    bureau=decision.bureau, bureau_name=name_in(bureau, language) or decision.bureau,
                    explanation=describe(dataset, decision.reason, language) if decision.reason
                    else decision.explanation, urgent=urgent,
                    urgency=[urgency_text(sign, language) for sign in decision.urgency],
                    dispatch_by=dispatch_by, resolve_limit=dataset.sla.resolve_limit(sla_class))


def name_in(item: Any, language: str) -> str:
    """Return a bureau's or category's name in the page's language ("" for none)."""
    if item is None:
        return ""
    return item.name_en if language == "en" and item.name_en else item.name_zh


def parse_form(form: dict[str, Any]) -> CaseCreate:
    """Validate the console's case form into the service's CaseCreate; FormInvalid names each bad field."""
    values = {k: (str(form.get(k) or "").strip() or None) for k in FORM_FIELDS}
    values["description"] = values["description"] or ""
    values["priority"] = values["priority"] or "normal"
    values["caller_name"] = values["caller_name"] or ""
    values["address"] = values["address"] or ""
    errors: dict[str, FieldError] = {}
    if values["caller_phone"]:
        try:
            values["caller_phone"] = normalize_phone(values["caller_phone"])
        except InvalidPhone as err:
            errors["caller_phone"] = FieldError("invalid_phone", str(err), {"value": values["caller_phone"]})
    try:
        data = CaseCreate(channel="phone", dispatch=_checked(form.get("dispatch")), **values)
    except ValidationError as err:
        for problem in err.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "form"
            errors.setdefault(name, pydantic_error(problem))
        raise FormInvalid(errors) from err
    if errors:
        raise FormInvalid(errors)
    return data


def pydantic_error(problem: dict[str, Any]) -> FieldError:
    """Return the FieldError of one pydantic validation problem (its type becomes our code)."""
    code = PYDANTIC_CODES.get(problem.get("type", ""), "invalid")
    return FieldError(code, str(problem.get("msg", "")), dict(problem.get("ctx") or {}))


def _checked(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "on", "yes")


def create(session: Session, dataset: Dataset, form: dict[str, Any], viewer: Viewer) -> Case:
    """Take in a case from the form (dispatching it when asked); FormInvalid for bad fields.

    The form's `idempotency_key` (made by the page for each new case) makes a repeated save of the same
    form return the case already saved instead of a second one.
    """
    data = parse_form(form)
    key = str(form.get("idempotency_key") or "").strip() or None
    try:
        return idempotency.intake_once(session, dataset, data, actor_of(viewer), viewer.user_id, key)[0]
    except (idempotency.KeyReused, idempotency.KeyInFlight, idempotency.InvalidKey) as err:
        raise FormInvalid({"idempotency_key": FieldError("already_saved", str(err))}) from err
    except UnknownReference as err:
        error = FieldError("unknown_reference", str(err), {"value": err.code})
        raise FormInvalid({err.field: error}) from err
    except CaseError as err:
        raise FormInvalid({"form": FieldError("invalid", str(err))}) from err


def attach(session: Session, dataset: Dataset, number: str, linkedid: str, note: str, viewer: Viewer) -> Case:
    """Attach the call to an existing case, noting it in the case's trail."""
    case = service.get_by_number(session, number.strip())
    if case is None:
        raise FormInvalid({"number": FieldError("unknown_case", f"unknown case {number!r}",
                                                {"value": number.strip()})})
    if linkedid:
        service.link_call(session, case, linkedid)
    text = note.strip() or f"call {linkedid or '-'} attached from the console"
    try:
        return flows.apply_action(session, dataset, case.number, "note",
                                  ActionPayload(note=text, visibility="internal"), actor_of(viewer))
    except (CaseError, IllegalTransition) as err:
        raise FormInvalid({"number": FieldError("invalid", str(err))}) from err


def _row(case: Case, dataset: Dataset, now: datetime) -> dict[str, Any]:
    return {"number": case.number, "status": case.status, "description": case.description,
            "category": case.category.name_zh if case.category else "", "created_at": case.created_at,
            "street": case.street.name_zh if case.street else "", "address": case.address,
            "caller_phone": case.caller_phone or "", "sla": clock(case, dataset, now),
            "actions": [a for a in QUICK_ACTIONS if a in states.allowed_actions(case.status)]}


def act(session: Session, dataset: Dataset, number: str, action: str, note: str, viewer: Viewer) -> Case:
    """Acknowledge, return (with a reason) or resolve (with a reply) a case; ActionRefused says why not."""
    if action not in BUREAU_ACTIONS:
        raise ActionRefused(f"unknown action {action!r}", "unknown_action")
    payload = ActionPayload(note=note.strip(), reply=note.strip() or None, visibility="public")
    try:
        return flows.apply_action(session, dataset, number, action, payload, actor_of(viewer))
    except IllegalTransition as err:
        raise ActionRefused(str(err), "illegal_transition", status=err.status, action=action) from err
    except UnknownReference as err:
        raise unknown_reference(err, action) from err
    except (CaseError, ValidationError) as err:
        raise ActionRefused(str(err), REFUSAL_CODES.get(type(err), "refused"), action=action) from err


def unknown_reference(err: UnknownReference, action: str) -> ActionRefused:
    """Return the refusal of an action naming what the data set does not know (a hand-made bureau code)."""
    return ActionRefused(str(err), "unknown_reference", action=action, field=err.field, value=err.code[:60])


REFUSAL_CODES: dict[type, str] = {InvalidAction: "needs_input", AlreadyWithBureau: "already_with_bureau",
                                  NotPermitted: "not_permitted", CaseNotFound: "unknown_case",
                                  ConcurrentUpdate: "case_changed"}


def deadline_cases(session: Session, dataset: Dataset, now: datetime,
                   limit: int = 50) -> list[dict[str, Any]]:
    """Return open cases whose running deadline is near (reminder reached) or past, most urgent first.

    An indexed range query over every open case (the due instants the case service keeps), not a scan.
    """
    criteria = ListCriteria(statuses=tuple(sorted(states.OPEN_STATUSES)), deadline="near", order="due",
                            limit=limit)
    found = lists.page(session, criteria, now).items
    return [{**_row(case, dataset, now), "bureau": case.bureau.name_zh if case.bureau else "",
             "bureau_en": case.bureau.name_en if case.bureau else "",
             "supervised": case.supervised_at is not None} for case in found]


def dial_digits(e164: str) -> str:
    """Return what the dial plan dials for a stored number: national form for +86, digits otherwise."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if e164.startswith("+86"):
        national = digits[2:]
        return national if national.startswith("1") else "0" + national
    return ("00" + digits) if e164.startswith("+") else digits
