"""Build what clients read about a case: its fields, the actions it allows and where its clock stands."""

from __future__ import annotations

from datetime import datetime, timedelta

from ticketing.case import states
from ticketing.case.actions import classification
from ticketing.case.models import Case
from ticketing.case.schemas import CaseRead
from ticketing.dataset import Dataset
from ticketing.sla import shift, sla_state, time_used


def to_read(case: Case, dataset: Dataset, now: datetime) -> CaseRead:
    """Return the full read model of a case at `now`."""
    return CaseRead(
        number=case.number,
        status=case.status,
        channel=case.channel,
        category=case.category.code if case.category else None,
        category_name=case.category.name_zh if case.category else None,
        bureau=case.bureau.code if case.bureau else None,
        bureau_name=case.bureau.name_zh if case.bureau else None,
        street=case.street.code if case.street else None,
        community=case.community.code if case.community else None,
        description=case.description,
        created_at=case.created_at,
        resolve_by=case.resolve_by,
        caller_phone=case.caller_phone,
        caller_name=case.caller_name,
        address=case.address,
        latitude=case.latitude,
        longitude=case.longitude,
        priority=case.priority,
        routing_rule=case.routing_rule,
        routing_explanation=case.routing_explanation,
        dispatch_by=case.dispatch_by,
        acknowledge_by=case.acknowledge_by,
        extended_days=case.extended_days,
        extension_requested_days=case.extension_requested_days,
        paused_seconds=case.paused_seconds,
        public_reply=case.public_reply,
        satisfaction=case.satisfaction,
        merged_into=case.merged_into.number if case.merged_into_id else None,
        updated_at=case.updated_at,
        dispatched_at=case.dispatched_at,
        acknowledged_at=case.acknowledged_at,
        started_at=case.started_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        version=case.version,
        allowed_actions=states.allowed_actions(case.status, case.paused_at is not None),
        sla=clock(case, dataset, now),
    )


def clock(case: Case, dataset: Dataset, now: datetime) -> dict[str, object]:
    """Return the running stage's deadline, the fraction of its limit used and its state."""
    stage = _stage(case)
    if stage is None:
        return {}
    name, start, deadline = stage
    wall_clock = name == "dispatch" and dataset.sla.dispatch_limit(_dispatch_class(case, dataset)).clock
    paused = running = timedelta(0)
    if name == "resolve":
        # resolve_by already includes finished pauses; a running one moves it further as it lasts.
        paused = timedelta(seconds=case.paused_seconds)
        if case.paused_at is not None:
            running = max(dataset.calendar.working_time_between(case.paused_at, now), timedelta(0))
            deadline = shift(dataset.calendar, deadline, running)
    used = time_used(dataset.calendar, start, deadline, now, paused + running, clock=wall_clock)
    return {
        "stage": name,
        "paused": case.paused_at is not None,
        "due": dataset.calendar.local(deadline).isoformat(),
        "used": round(used, 3) if used != float("inf") else None,
        "state": sla_state(used, dataset.sla.reminder_fraction),
    }


def _dispatch_class(case: Case, dataset: Dataset) -> str:
    return "urgent" if case.priority == "urgent" else classification(dataset, case).dispatch_class


def _stage(case: Case) -> tuple[str, datetime, datetime] | None:
    if case.status == states.NEW and case.dispatch_by:
        return "dispatch", case.created_at, case.dispatch_by
    if case.status == states.DISPATCHED and case.acknowledge_by and case.dispatched_at:
        return "acknowledge", case.dispatched_at, case.acknowledge_by
    open_work = (states.ACKNOWLEDGED, states.IN_PROGRESS, states.EXTENSION_REQUESTED)
    if case.status in open_work and case.resolve_by and case.dispatched_at:
        return "resolve", case.dispatched_at, case.resolve_by
    return None


__all__ = ["classification", "clock", "to_read"]
