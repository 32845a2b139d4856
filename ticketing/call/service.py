"""Call records: each function applies one fact about a call and is safe to apply twice.

Calls are keyed by Asterisk's Linkedid; any fact may arrive first, so each one creates the row when
it is missing. Functions flush only; the caller (the recorder, one transaction per event) commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.call.models import Call, CaseCall
from ticketing.case.models import Case
from ticketing.case.phone import InvalidPhone, normalize_phone

OPEN, ENDED = "open", "ended"
IN_PROGRESS = "in_progress"


class CallNotFound(LookupError):
    """No call has this id."""


@dataclass(frozen=True)
class CallFilter:
    """Criteria of the call list."""

    caller: str | None = None
    outcome: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


def get(session: Session, call_id: int) -> Call:
    """Return a call by id or raise CallNotFound."""
    call = session.get(Call, call_id)
    if call is None:
        raise CallNotFound(f"call {call_id} not found")
    return call


def get_by_linkedid(session: Session, linkedid: str) -> Call | None:
    """Return the call with this Linkedid, if recorded."""
    return session.scalars(select(Call).where(Call.linkedid == linkedid)).first()


def get_all(session: Session, criteria: CallFilter) -> tuple[list[Call], int]:
    """Return one page of calls, newest first, and the total matching."""
    query = select(Call)
    if criteria.caller:
        query = query.where(Call.caller == _e164(criteria.caller))
    if criteria.outcome:
        query = query.where(Call.outcome == criteria.outcome)
    if criteria.status:
        query = query.where(Call.status == criteria.status)
    if criteria.since:
        query = query.where(Call.started_at >= criteria.since)
    if criteria.until:
        query = query.where(Call.started_at < criteria.until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Call.started_at.desc(), Call.id.desc())
                           .limit(criteria.limit).offset(criteria.offset))
    return list(page), total


def case_numbers(session: Session, call: Call) -> list[str]:
    """Return the numbers of the cases linked to a call."""
    query = select(Case.number).join(CaseCall, CaseCall.case_id == Case.id).where(CaseCall.call_id == call.id)
    return list(session.scalars(query.order_by(Case.number)))


def ensure(session: Session, linkedid: str, at: datetime) -> Call:
    """Return the call with this Linkedid, creating it (started at `at`) when missing."""
    call = get_by_linkedid(session, linkedid)
    if call is None:
        call = Call(linkedid=linkedid, started_at=at, ivr_path=[], outcome=IN_PROGRESS, status=OPEN)
        session.add(call)
        session.flush()
    elif at < call.started_at:
        call.started_at = at
    return call


def start(session: Session, linkedid: str, at: datetime, *, caller: str = "", dialled: str = "",
          server: str = "", language: str = "") -> Call:
    """Record who called which number, and when."""
    call = ensure(session, linkedid, at)
    if caller and not call.caller_raw:
        call.caller_raw, call.caller = caller[:64], _e164_or_none(caller)
    if dialled and not call.dialled:
        call.dialled = dialled[:64]
    call.server = call.server or server
    call.language = call.language or (language or None)
    session.flush()
    return call


def add_step(session: Session, linkedid: str, at: datetime, *, node: str, input: str, language: str,
             caller: str = "", dialled: str = "", heard: str = "", server: str = "") -> Call:
    """Append an IVR step to the call's path (once), keeping the path in time order.

    HEARD: what the speech recogniser heard at a listening node's step (kept with the step, so the call's
    record says what the caller said, e.g. for `hotline call`).
    """
    call = start(session, linkedid, at, caller=caller, server=server)
    if dialled:  # the dial plan's HOTLINE_DIALLED beats the first channel's extension (Local/test calls)
        call.dialled = dialled[:64]
    step = {"node": node, "input": input, "at": at.isoformat(), "language": language}
    if heard:
        step["heard"] = heard
    if step not in call.ivr_path:
        call.ivr_path = sorted([*call.ivr_path, step], key=lambda s: s["at"])
    call.language = language or call.language
    session.flush()
    return call


def queued(session: Session, linkedid: str, at: datetime, *, queue: str) -> Call:
    """Record that the caller joined a queue (the first join counts for the wait)."""
    call = ensure(session, linkedid, at)
    if call.queued_at is None:
        call.queue, call.queued_at = queue, at
    session.flush()
    return call


def connected(session: Session, linkedid: str, at: datetime, *, queue: str, agent: str,
              hold_seconds: float) -> Call:
    """Record that an agent answered."""
    call = ensure(session, linkedid, at)
    call.queue = call.queue or queue
    call.agent = agent
    call.answered_at = call.answered_at or at
    call.wait_seconds = float(hold_seconds)
    session.flush()
    return call


def abandoned(session: Session, linkedid: str, at: datetime, *, queue: str, hold_seconds: float) -> Call:
    """Record that the caller gave up waiting in a queue."""
    call = ensure(session, linkedid, at)
    call.queue = call.queue or queue
    call.wait_seconds = float(hold_seconds)
    session.flush()
    return call


def transferred(session: Session, linkedid: str, at: datetime) -> Call:
    """Record that the call was transferred on."""
    call = ensure(session, linkedid, at)
    call.outcome = "transferred"
    session.flush()
    return call


def end(session: Session, linkedid: str, at: datetime, *, cause: str, recording: str | None = None) -> Call:
    """Close the call and decide its outcome (the first end wins)."""
    call = ensure(session, linkedid, at)
    if call.status != ENDED:
        call.status, call.ended_at, call.hangup_cause = ENDED, at, cause[:64]
        if call.queued_at is not None and call.answered_at is None and call.wait_seconds is None:
            call.wait_seconds = max(0.0, (at - call.queued_at).total_seconds())
    call.recording = call.recording or recording
    message = bool(case_numbers(session, call))
    call.outcome = decide_outcome(call.outcome, answered=call.answered_at is not None, message=message,
                                  queued=call.queued_at is not None, ended=True, served=self_served(call))
    session.flush()
    return call


def close_lost(session: Session, server: str, since: datetime, live: set[str], at: datetime, *,
               cause: str) -> list[str]:
    """Close the open calls of `server` that started before `since` and are not `live`; return them.

    For calls that ended while no bridge was watching: the bridge's reconciliation says which are live.
    """
    query = select(Call.linkedid).where(Call.server == server, Call.status != ENDED, Call.started_at < since)
    lost = [linkedid for linkedid in session.scalars(query) if linkedid not in live]
    for linkedid in lost:
        end(session, linkedid, at, cause=cause)
    return lost


def link_case(session: Session, linkedid: str, case_number: str, at: datetime) -> Call | None:
    """Link a case to the call (once); a message left in the IVR makes the outcome "message"."""
    case = session.scalars(select(Case).where(Case.number == case_number)).first()
    if case is None:
        return None
    call = ensure(session, linkedid, at)
    if session.get(CaseCall, (case.id, call.id)) is None:
        session.add(CaseCall(case_id=case.id, call_id=call.id))
        session.flush()
    if call.status == ENDED:
        call.outcome = decide_outcome(call.outcome, answered=call.answered_at is not None, message=True,
                                      queued=call.queued_at is not None, ended=True, served=self_served(call))
    session.flush()
    return call


def decide_outcome(current: str, *, answered: bool, message: bool, queued: bool, ended: bool,
                   served: bool = False) -> str:
    """Return a call's outcome: transferred > answered > message > abandoned in queue > self-service (the
    IVR told the caller a case's status) > abandoned in the IVR."""
    if current == "transferred":
        return current
    if answered:
        return "answered"
    if message:
        return "message"
    if not ended:
        return IN_PROGRESS
    if queued:
        return "abandoned_queue"
    return "self_service" if served else "abandoned_ivr"


def self_served(call: Call) -> bool:
    """Tell whether the IVR found a case the caller asked about (a step `<number>:found`)."""
    return any(str(step.get("input", "")).endswith(":found") for step in call.ivr_path or ())


def status_lookups(call: Call) -> list[str]:
    """Return the case numbers the IVR found for the caller, in order."""
    found = (str(step.get("input", "")) for step in call.ivr_path or ())
    return [text.rsplit(":", 1)[0] for text in found if text.endswith(":found")]


def _e164(phone: str) -> str:
    return _e164_or_none(phone) or phone


def _e164_or_none(phone: str) -> str | None:
    try:
        return normalize_phone(phone)
    except InvalidPhone:
        return None
