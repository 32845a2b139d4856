"""Multi-step case work: intake (create, route, set deadlines, maybe dispatch) and lifecycle actions.

Flows flush only; the HTTP request, CLI command or bus consumer that calls them commits. Each flow
stages the events its change causes (`case.created`, `case.changed`, `case.called_back`,
`case.reopened`, built by `case_events`; a supervisor's 督办 is the notice `case.supervised`) in the
session's outbox, so they are committed with the change and published by the outbox relay afterwards:
nobody else publishes case events.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ticketing import outbox
from ticketing.bureau.models import Bureau, Category, Community, Street
from ticketing.bus.contract import (
    CaseCalledBack,
    CaseChanged,
    CaseCreated,
    CaseEvent,
    CaseReopened,
    CaseSupervised,
    CaseUrgent,
)
from ticketing.case import actions, assisting, due, permissions, references, service, states
from ticketing.case.errors import (
    CaseNotFound,
    ConcurrentUpdate,
    InvalidAction,
    NotPermitted,
    UnknownReference,
)
from ticketing.case.models import Case
from ticketing.case.permissions import Actor, as_actor
from ticketing.case.schemas import ActionPayload, CaseCreate
from ticketing.config import get_settings
from ticketing.database.types import utcnow
from ticketing.dataset import Dataset
from ticketing.routing import RoutingDecision, RoutingRequest, route
from ticketing.sla import intake_deadlines
from ticketing.supervision.models import CaseNotice

log = logging.getLogger(__name__)


def intake(
    session: Session,
    dataset: Dataset,
    data: CaseCreate,
    actor: Actor | str,
    *,
    now: datetime | None = None,
    prefix: str | None = None,
) -> Case:
    """Create a case (受理): resolve codes, route it, set its dispatch deadline, and dispatch if asked."""
    actor, now = as_actor(actor), now or utcnow()
    if not permissions.may(actor.role, "create", states.NEW):
        raise NotPermitted(permissions.refusal(actor.role, "create"))
    street, community = _place(session, data)
    chosen_category, chosen_bureau = _category(session, data.category), _bureau(session, data.bureau)
    decision = route(
        dataset,
        RoutingRequest(
            text=data.description, category=data.category, street=street.code if street else None, at=now
        ),
    )
    category = chosen_category or _category(session, decision.category)
    bureau = chosen_bureau or _bureau(session, decision.bureau)
    case = Case(
        channel=data.channel,
        caller_phone=data.caller_phone,
        caller_name=data.caller_name,
        street=street,
        community=community,
        address=data.address,
        latitude=data.latitude,
        longitude=data.longitude,
        description=data.description,
        category=category,
        priority=_priority(data, decision),
        status=states.NEW,
        bureau=bureau,
        routing_rule=decision.rule,
        routing_explanation=decision.explanation,
        created_at=now,
        updated_at=now,
    )
    case.dispatch_by = intake_deadlines(
        dataset, actions.classification(dataset, case), now, urgent=case.priority == "urgent"
    ).dispatch_by
    due.stamp(case, dataset)
    # Numbered by the insert (SQLite: the day's counter row stays locked until the commit). Plain inserts:
    # the ORM's unit of work cost a fifth of intake's CPU for two rows it knew nothing about.
    service.insert_new(session, case, actor.name, prefix=prefix or get_settings().case_prefix,
                       day=dataset.calendar.local(now).date(),
                       data={"rule": case.routing_rule, "bureau": bureau.code if bureau else None,
                             "confidence": decision.confidence})
    outbox.add(session, *case_events(case, "create", actor.name, now))
    if case.priority == "urgent":
        _alert_urgent(session, case, now)
    if data.linkedid:
        service.link_call(session, case, data.linkedid)
    # Routed to the centre's triage desk (or nowhere), it waits at the dispatch desk (待确认分派) instead.
    if data.dispatch and bureau is not None and bureau.kind != "centre":
        apply_action(session, dataset, case.number, "dispatch", ActionPayload(), actor, now=now)
    return case


def apply_action(
    session: Session,
    dataset: Dataset,
    number: str,
    action: str,
    payload: ActionPayload | dict | None,
    actor: Actor | str,
    *,
    now: datetime | None = None,
    event_data: dict | None = None,
) -> Case:
    """Apply one lifecycle action to a case; raises IllegalTransition, NotPermitted, InvalidAction...

    EVENT_DATA is added to the audit entry's data (a direct answer names the article it cites).
    """
    actor, now = as_actor(actor), now or utcnow()
    payload = payload if isinstance(payload, ActionPayload) else ActionPayload.model_validate(payload or {})
    case = _locked(session, number, action, payload)
    assists = assisting.bureau_ids(session, case.id) if actor.role == "bureau" else ()
    if not permissions.sees(actor, case.bureau_id, case.dispatched_at is not None, assists):
        raise CaseNotFound(number)
    if action in states.ACTIONS and not permissions.may(actor.role, action, case.status):
        raise NotPermitted(permissions.refusal(actor.role, action))
    if not permissions.leads(actor, case.bureau_id) and action not in permissions.ASSIST_ACTIONS:
        raise NotPermitted(f"an assisting bureau may only {', '.join(sorted(permissions.ASSIST_ACTIONS))}")
    if payload.expected_version is not None and payload.expected_version != case.version:
        raise ConcurrentUpdate(number)
    if action == "callback" and payload.rating is None and case.status == states.RESOLVED:
        raise InvalidAction("callback needs the resident's rating (satisfied or unsatisfied)")
    target = states.transition(case.status, action, rating=payload.rating, paused=case.paused_at is not None)
    step = actions.Step(
        session=session, dataset=dataset, case=case, payload=payload, now=now, actor=actor.name
    )
    actions.HANDLERS[action](step)
    step.data.update(event_data or {})
    if target != case.status:
        actions.end_pause(step)  # leaving in_progress (resolve, extension, merge...) ends a pause
    from_status, case.status, case.updated_at = case.status, target, now
    due.stamp(case, dataset)
    try:
        session.flush()
    except StaleDataError as err:
        raise ConcurrentUpdate(number) from err
    service.add_event(
        session,
        case,
        actor.name,
        action,
        from_status,
        note=step.note,
        visibility=step.visibility,
        data=step.data,
        at=now,
    )
    if action == "supervise":
        outbox.add(session, _supervision_notice(session, case, step.data["order"], now))
    else:
        outbox.add(session, *case_events(case, action, actor.name, now, rating=payload.rating))
    log.info("case %s: %s by %s, %s -> %s", number, action, actor.name, from_status, target)
    return case


def _locked(session: Session, number: str, action: str, payload: ActionPayload) -> Case:
    """Lock the case (and a merge's target) until the commit: concurrent actions queue, none is lost.

    Under the lock every check below sees the latest committed state, so 20 notes at once all land and
    two merges A->B and B->A at once cannot both pass the "target is itself merged" check.
    """
    numbers = {number} | ({payload.target} if action == "merge" and payload.target else set())
    cases = service.lock(session, numbers)
    if number not in cases:
        raise CaseNotFound(number)
    return cases[number]


def _alert_urgent(session: Session, case: Case, now: datetime) -> None:
    """Put an urgent case on the supervisors' and dispatchers' notice lists and alert them live (紧急工单)."""
    session.add(CaseNotice(case_id=case.id, stage="dispatch", sla_key="urgent", kind="urgent",
                           due_at=case.dispatch_by, created_at=now))
    outbox.add(session, CaseUrgent(number=case.number, stage="dispatch", due=case.dispatch_by.isoformat(),
                                   at=now.isoformat()))


def _supervision_notice(session: Session, case: Case, order_id: int, now: datetime) -> CaseSupervised:
    """Put a supervisor's 督办 on the bureau's notice list and announce it as `case.supervised`.

    The same notice the scheduler raises for an overdue case (its row keyed by the order, so a second order
    after the first is answered is listed too): the bureau's workspace shows it live.
    """
    stage = case.sla_stage or "resolve"
    due_at = case.sla_due_at or case.resolve_by or now
    session.add(CaseNotice(case_id=case.id, bureau_id=case.bureau_id, stage=stage,
                           sla_key=f"order-{order_id}", kind="supervise", due_at=due_at, created_at=now))
    return CaseSupervised(number=case.number, stage=stage, due=due_at.isoformat(),
                          bureau=case.bureau.code if case.bureau else None, bureau_id=case.bureau_id,
                          order=order_id, at=now.isoformat())


def case_events(case: Case, action: str, actor: str, at: datetime | None = None, *,
                rating: str | None = None) -> list[CaseEvent]:
    """Return the bus events announcing a case after `action` (the one builder of case events).

    A rated callback (回访) is `case.called_back`; when it, or a supervisor, reopens the case (重办),
    `case.reopened` follows; intake is `case.created`; every other action `case.changed`.
    """
    fields = dict(number=case.number, action=action, actor=actor, status=case.status,
                  bureau=case.bureau.code if case.bureau else None, bureau_id=case.bureau_id,
                  dispatched=case.dispatched_at is not None,
                  category=case.category.code if case.category else None, case_version=case.version,
                  priority=case.priority, at=(at or utcnow()).isoformat())
    if action == "create":
        return [CaseCreated(**fields)]
    if action == "reopen":
        return [CaseReopened(**fields, reason="reopen")]
    if action != "callback" or rating is None:
        return [CaseChanged(**fields)]
    events: list[CaseEvent] = [CaseCalledBack(**fields, rating=rating)]
    if case.status == states.REOPENED:
        events.append(CaseReopened(**fields, reason="unsatisfied"))
    return events


def _place(session: Session, data: CaseCreate) -> tuple[Street | None, Community | None]:
    street = references.lookup(session, Street, data.street) if data.street else None
    if data.street and street is None:
        raise UnknownReference("street", data.street)
    if not data.community:
        return street, None
    community = references.lookup(session, Community, data.community)
    if community is None or (street is not None and community.street_id != street.id):
        raise UnknownReference("community", data.community)
    return street or community.street, community


def _category(session: Session, code: str | None) -> Category | None:
    if not code:
        return None
    category = references.lookup(session, Category, code)
    if category is None:
        raise UnknownReference("category", code)
    return category


def _bureau(session: Session, code: str | None) -> Bureau | None:
    if not code:
        return None
    bureau = references.lookup(session, Bureau, code)
    if bureau is None:
        raise UnknownReference("bureau", code)
    return bureau


def _priority(data: CaseCreate, decision: RoutingDecision) -> str:
    return "urgent" if decision.urgent else data.priority
