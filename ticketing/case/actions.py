"""What each lifecycle action does to a case besides changing its status (fields, deadlines, checks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ticketing.bureau import service as bureaus
from ticketing.case import service, states
from ticketing.case.errors import InvalidAction, UnknownReference
from ticketing.case.models import Case
from ticketing.case.schemas import ActionPayload
from ticketing.dataset import Dataset
from ticketing.sla import dispatch_deadlines, extend, shift


@dataclass
class Step:
    """One action being applied: the inputs and what the audit entry will say."""

    session: Session
    dataset: Dataset
    case: Case
    payload: ActionPayload
    now: datetime
    note: str = ""
    visibility: str = "internal"
    data: dict[str, Any] = field(default_factory=dict)


def _required(value: str | None, what: str, action: str) -> str:
    if not value or not value.strip():
        raise InvalidAction(f"{action} needs {what}")
    return value


def dispatch(step: Step) -> None:
    """Send the case to the chosen (or routed) bureau and start the acknowledge/resolve clocks."""
    case, payload = step.case, step.payload
    if payload.bureau:
        bureau = bureaus.get_bureau(step.session, payload.bureau)
        if bureau is None:
            raise UnknownReference("bureau", payload.bureau)
        case.bureau = bureau
    if case.bureau is None:
        raise InvalidAction("dispatch needs a bureau: the case has no routed bureau, name one")
    set_dispatch_deadlines(step.dataset, case, step.now)
    step.data["bureau"] = case.bureau.code


def set_dispatch_deadlines(dataset: Dataset, case: Case, now: datetime) -> None:
    """Stamp the dispatch time and the acknowledge/resolve deadlines that start with it."""
    deadlines = dispatch_deadlines(
        dataset, classification(dataset, case), now, urgent=case.priority == "urgent"
    )
    case.dispatched_at = now
    case.acknowledge_by = deadlines.acknowledge_by
    case.resolve_by = deadlines.resolve_by
    case.extended_days = 0
    case.extension_requested_days = None
    case.paused_seconds = 0
    case.paused_at = None


def acknowledge(step: Step) -> None:
    """Record that the bureau has taken the case (签收)."""
    step.case.acknowledged_at = step.now


def return_case(step: Step) -> None:
    """Hand a misrouted case back to the centre with the bureau's reason (退回)."""
    step.note = _required(step.payload.note, "a reason (note)", "return")
    step.case.returned_at = step.now


def start(step: Step) -> None:
    """Record that the bureau is handling the case."""
    step.case.started_at = step.now


def request_extension(step: Step) -> None:
    """Ask the centre for more working days (延期申请)."""
    if not step.payload.days:
        raise InvalidAction("request-extension needs days (working days, 1-60)")
    step.note = _required(step.payload.note, "a reason (note)", "request-extension")
    step.case.extension_requested_days = step.payload.days
    step.data["days"] = step.payload.days


def approve_extension(step: Step) -> None:
    """Grant the requested (or a different) number of working days and move the resolve deadline."""
    case = step.case
    days = step.payload.days or case.extension_requested_days or 0
    if days < 1:
        raise InvalidAction("approve-extension needs days")
    if case.resolve_by is not None:
        case.resolve_by = extend(step.dataset.calendar, case.resolve_by, days)
    case.extended_days += days
    case.extension_requested_days = None
    step.data.update(days=days, resolve_by=case.resolve_by.isoformat() if case.resolve_by else None)


def refuse_extension(step: Step) -> None:
    """Refuse the extension; the deadline stays."""
    step.data["days"] = step.case.extension_requested_days
    step.case.extension_requested_days = None


def resolve(step: Step) -> None:
    """Record the result and the public reply to the resident (办结)."""
    reply = _required(step.payload.reply, "a reply to the resident (reply)", "resolve")
    step.case.public_reply = reply
    step.case.resolved_at = step.now
    step.note, step.visibility = reply, "public"


def close(step: Step) -> None:
    """Archive the case (归档)."""
    step.case.closed_at = step.now


def callback(step: Step) -> None:
    """Record the resident's rating after the callback (回访); unsatisfied reopens."""
    step.case.satisfaction = step.payload.rating
    step.case.callback_at = step.now
    if step.payload.rating == "satisfied":
        step.case.closed_at = step.now
    else:
        step.case.reopened_at = step.now
    step.data["rating"] = step.payload.rating


def reopen(step: Step) -> None:
    """Reopen a resolved case so that it is dispatched again."""
    step.case.reopened_at = step.now


def merge(step: Step) -> None:
    """Mark the case as a duplicate of another (合并)."""
    number = _required(step.payload.target, "the number of the case it duplicates (target)", "merge")
    target = service.get_by_number(step.session, number)
    if target is None:
        raise UnknownReference("case", number)
    if target.id == step.case.id or target.status == states.MERGED:
        raise InvalidAction(f"cannot merge into {number}: it is this case or itself merged")
    step.case.merged_into_id = target.id
    step.case.merged_at = step.now
    step.data["into"] = number
    service.add_event(
        step.session,
        target,
        "system",
        "merge-in",
        target.status,
        note=f"duplicate {step.case.number} merged into this case",
        data={"from": step.case.number},
    )


def note(step: Step) -> None:
    """Add a remark to the audit trail without changing anything."""
    step.note = _required(step.payload.note, "text (note)", "note")
    step.visibility = step.payload.visibility


def pause(step: Step) -> None:
    """Stop the resolve clock while the bureau waits for the resident (reason required)."""
    step.note = _required(step.payload.note, "what the bureau is waiting for (note)", "pause")
    step.case.paused_at = step.now


def resume(step: Step) -> None:
    """Restart the resolve clock; the deadline moves by the working time spent paused."""
    end_pause(step)


def end_pause(step: Step) -> None:
    """Close a running pause: count its working time and push the resolve deadline back by it."""
    case = step.case
    if case.paused_at is None:
        return
    paused = step.dataset.calendar.working_time_between(case.paused_at, step.now)
    paused = max(paused, timedelta(0))
    if case.resolve_by is not None:
        case.resolve_by = shift(step.dataset.calendar, case.resolve_by, paused)
    case.paused_seconds += int(paused.total_seconds())
    case.paused_at = None
    step.data["paused_seconds"] = int(paused.total_seconds())


def classification(dataset: Dataset, case: Case):
    """Return the dataset category that sets the case's SLA classes (a neutral one when uncategorised)."""
    code = case.category.code if case.category else None
    found = dataset.categories.get(code) if code else None
    return found or UNCLASSIFIED


@dataclass(frozen=True)
class _Unclassified:
    sla_class: str = "complaint"
    dispatch_class: str = "general"


UNCLASSIFIED = _Unclassified()

HANDLERS: dict[str, Callable[[Step], None]] = {
    "dispatch": dispatch,
    "acknowledge": acknowledge,
    "return": return_case,
    "start": start,
    "request-extension": request_extension,
    "approve-extension": approve_extension,
    "refuse-extension": refuse_extension,
    "resolve": resolve,
    "close": close,
    "callback": callback,
    "reopen": reopen,
    "merge": merge,
    "note": note,
    "pause": pause,
    "resume": resume,
}
