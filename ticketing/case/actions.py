"""What each lifecycle action does to a case besides changing its status (fields, deadlines, checks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ticketing.bureau import service as bureaus
from ticketing.case import assisting, merging, service, states
from ticketing.case.errors import AlreadyWithBureau, InvalidAction, UnknownReference
from ticketing.case.models import Case
from ticketing.case.schemas import ActionPayload
from ticketing.dataset import Dataset
from ticketing.sla import dispatch_deadlines, extend, shift
from ticketing.supervision import orders


@dataclass
class Step:
    """One action being applied: the inputs and what the audit entry will say."""

    session: Session
    dataset: Dataset
    case: Case
    payload: ActionPayload
    now: datetime
    actor: str = "system"
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
    holder = case.bureau if case.status in states.HELD_STATUSES else None
    if payload.bureau:
        bureau = bureaus.get_bureau(step.session, payload.bureau)
        if bureau is None:
            raise UnknownReference("bureau", payload.bureau)
        case.bureau = bureau
    if case.bureau is None:
        raise InvalidAction("dispatch needs a bureau: the case has no routed bureau, name one")
    if case.bureau.kind == "centre":
        raise InvalidAction("dispatch needs a bureau or street office, not the centre's own triage desk")
    if case.bureau is holder and (payload.assist is None or set(payload.assist) == {
            b.code for b in assisting.bureaus_of(step.session, case.id)}):
        raise AlreadyWithBureau(case.bureau.name_en or case.bureau.code)
    set_dispatch_deadlines(step.dataset, case, step.now)
    case.acknowledged_at = case.started_at = None
    case.assigned_community_id = None
    step.data["bureau"] = case.bureau.code
    if payload.assist is not None:
        step.data["assist"] = assisting.replace(step.session, case, payload.assist, step.actor, step.now)


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
    step.data["bureau"] = _holder(step.case)  # the reports charge the return to this bureau


def _holder(case: Case) -> str | None:
    return case.bureau.code if case.bureau else None


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
    step.data.update(days=days, resolve_by=case.resolve_by.isoformat() if case.resolve_by else None,
                     bureau=_holder(case))


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


def assign_community(step: Step) -> None:
    """Pass the case from a street office to a community (社区) of that street."""
    code = _required(step.payload.community, "a community (community)", "assign-community")
    community = bureaus.street_community(step.session, step.case.bureau_id, code)
    if community is None:
        raise InvalidAction(f"community {code!r} is not under the street office handling this case")
    step.case.assigned_community_id = community.id
    step.note = step.payload.note
    step.data["community"] = community.code


def recall_community(step: Step) -> None:
    """Take the case back from the community (the community has finished, or it was the wrong one)."""
    if step.case.assigned_community_id is None:
        raise InvalidAction("recall-community: no community holds this case")
    step.case.assigned_community_id = None
    step.note = step.payload.note


def supervise(step: Step) -> None:
    """Put the case under supervision (督办) with an order the bureau must answer in writing."""
    reason = _required(step.payload.note, "the reason of the supervision order (note)", "supervise")
    order = orders.open_order(step.session, step.case.id)
    if order is not None:
        raise InvalidAction("supervise: the case already has an unanswered supervision order")
    order = orders.order(step.session, step.dataset, step.case, step.actor, step.now, reason)
    step.note = reason
    step.data.update(order=order.id, answer_by=order.answer_by.isoformat())


def answer_supervision(step: Step) -> None:
    """Answer the open supervision order in writing; the case leaves supervision."""
    answer = _required(step.payload.note, "the written answer (note)", "answer-supervision")
    order = orders.open_order(step.session, step.case.id)
    if order is None:
        raise InvalidAction("answer-supervision: the case has no open supervision order")
    orders.answer(step.case, order, answer, step.actor, step.now)
    step.note = answer
    step.data["order"] = order.id


def close(step: Step) -> None:
    """Archive the case (归档), with the centre's remark if it gave one."""
    step.case.closed_at = step.now
    step.note = step.payload.note or ""


def callback(step: Step) -> None:
    """Record the resident's rating after the callback (回访); unsatisfied reopens."""
    step.case.satisfaction = step.payload.rating
    step.case.callback_at = step.now
    if states.CALLBACK_OUTCOME[step.payload.rating] == states.CLOSED:
        step.case.closed_at = step.now
    else:
        step.case.reopened_at = step.now
    step.data["rating"] = step.payload.rating
    step.note = step.payload.note or ""  # what the resident said (the agent's note): why 重办, for the bureau


def reopen(step: Step) -> None:
    """Reopen a resolved case so that it is dispatched again; the reason goes into the trail (重办原因)."""
    step.case.reopened_at = step.now
    step.note = step.payload.note or ""


def merge(step: Step) -> None:
    """Mark the case as a duplicate of another (合并)."""
    number = _required(step.payload.target, "the number of the case it duplicates (target)", "merge")
    target = service.get_by_number(step.session, number)
    if target is None:
        raise UnknownReference("case", number)
    if target.id == step.case.id or target.status == states.MERGED:
        raise InvalidAction(f"cannot merge into {number}: it is this case or itself merged")
    if merging.would_cycle(merging.chain(step.session, target), step.case.id):
        raise InvalidAction(f"cannot merge into {number}: it leads back to this case (a merge cycle)")
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
    "assign-community": assign_community,
    "recall-community": recall_community,
    "supervise": supervise,
    "answer-supervision": answer_supervision,
}
