"""Callback tasks: schedule one per resolution, claim due ones for survey calls, record attempts and ratings.

Functions flush only; the job or request that calls them commits. A rating goes through the case flows
(the `callback` action), so 不满意 reopens the case and this module dispatches it again to the same bureau
with new deadlines (重办), counted against that bureau.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from ticketing.callback.models import CallbackTask, DoNotCall
from ticketing.callback.policy import CallbackPolicy, after_failed_attempt
from ticketing.case import flows, states
from ticketing.case.models import Case, CaseAttachment
from ticketing.case.permissions import Actor
from ticketing.case.phone import InvalidPhone, normalize_phone
from ticketing.dataset import Dataset
from ticketing.sla import callback_deadline

SURVEY = "survey"  # the actor of ratings keyed in the survey call
# Only cases resolved this recently get a callback: a first start on an old database calls nobody about
# last year's cases.
SCHEDULE_WINDOW = timedelta(days=7)


class TaskNotFound(LookupError):
    """No callback task has this id."""


class TaskClosed(ValueError):
    """The task was already rated or skipped."""


@dataclass(frozen=True)
class SurveyCall:
    """A survey call to place: the task, the case, the number to ring and the call's id."""

    task_id: int
    case_number: str
    phone: str
    linkedid: str


def e164(phone: str | None) -> str | None:
    """Return the number in E.164, None when it cannot be read."""
    if not phone:
        return None
    try:
        return normalize_phone(phone)
    except InvalidPhone:
        return None


def opted_out(session: Session, phone: str | None) -> bool:
    """Tell whether the resident asked not to be called."""
    number = e164(phone)
    return number is not None and session.get(DoNotCall, number) is not None


def add_do_not_call(session: Session, phone: str, note: str = "") -> DoNotCall:
    """Put a number on the do-not-call list (once); InvalidPhone when it is not a number."""
    number = normalize_phone(phone)
    entry = session.get(DoNotCall, number) or DoNotCall(phone=number, note=note[:200])
    session.add(entry)
    session.flush()
    return entry


def schedule(session: Session, dataset: Dataset, now: datetime, limit: int = 500) -> list[CallbackTask]:
    """Create the task of every resolved case that has none for its latest resolution."""
    has_task = exists().where(and_(CallbackTask.case_id == Case.id,
                                   CallbackTask.resolved_at == Case.resolved_at))
    query = (select(Case).where(Case.status == states.RESOLVED, Case.resolved_at >= now - SCHEDULE_WINDOW,
                                ~has_task)
             .order_by(Case.resolved_at).limit(limit))
    created = []
    for case in session.scalars(query):
        skip = "no_phone" if e164(case.caller_phone) is None else "do_not_call" \
            if opted_out(session, case.caller_phone) else ""
        task = CallbackTask(case_id=case.id, resolved_at=case.resolved_at,
                            due_at=callback_deadline(dataset, case.resolved_at),
                            status="skipped" if skip else "pending", last_result=skip,
                            next_attempt_at=None if skip else now, attempts=0)
        session.add(task)
        created.append(task)
    session.flush()
    return created


def claim(session: Session, now: datetime, limit: int) -> list[SurveyCall]:
    """Mark up to LIMIT due tasks as calling (one more attempt each) and return the calls to place."""
    query = (select(CallbackTask).where(CallbackTask.status == "pending", CallbackTask.next_attempt_at <= now)
             .order_by(CallbackTask.next_attempt_at).limit(limit)
             .with_for_update(skip_locked=True, of=CallbackTask))
    calls = []
    for task in session.scalars(query):
        task.status, task.attempts, task.linkedid = "calling", task.attempts + 1, f"survey-{uuid.uuid4().hex}"
        task.next_attempt_at = None
        calls.append(SurveyCall(task.id, task.case.number, e164(task.case.caller_phone) or "", task.linkedid))
    session.flush()
    return calls


def get(session: Session, task_id: int) -> CallbackTask:
    """Return a task or raise TaskNotFound."""
    task = session.get(CallbackTask, task_id)
    if task is None:
        raise TaskNotFound(f"callback task {task_id} not found")
    return task


def attempt_failed(session: Session, policy: CallbackPolicy, task_id: int, result: str,
                   now: datetime) -> CallbackTask:
    """Record an unanswered survey call: try again later, or hand the task to the agents."""
    task = get(session, task_id)
    if task.status != "calling":
        return task
    outcome = after_failed_attempt(policy, task.attempts, now)
    task.status, task.next_attempt_at, task.last_result = outcome.status, outcome.next_attempt_at, result
    session.flush()
    return task


def attempt_answered(session: Session, task_id: int) -> CallbackTask:
    """Record that the resident picked up the survey call (the IVR asks for the rating)."""
    task = get(session, task_id)
    task.last_result = "answered"
    session.flush()
    return task


def rate(session: Session, dataset: Dataset, task_id: int, rating: str, actor: Actor | str, now: datetime,
         comment_path: str = "", note: str = "") -> CallbackTask:
    """Record the resident's rating on the case (回访); 不满意 sends it back to the same bureau (重办)."""
    task = get(session, task_id)
    if task.status in ("done", "skipped"):
        raise TaskClosed(f"callback task {task_id} is already {task.status}")
    case = task.case
    payload = {"rating": rating, **({"note": note} if note else {})}
    flows.apply_action(session, dataset, case.number, "callback", payload, actor, now=now)
    if rating == "unsatisfied" and case.bureau is not None:
        again = {"bureau": case.bureau.code}  # 重办: back to the same bureau, new deadlines
        flows.apply_action(session, dataset, case.number, "dispatch", again, actor, now=now)
    task.status, task.rating, task.next_attempt_at = "done", rating, None
    task.rated_by = actor if isinstance(actor, str) else actor.name
    if comment_path:
        attach_comment(session, task, comment_path)
    session.flush()
    return task


def attach_comment(session: Session, task: CallbackTask, path: str) -> None:
    """Keep the resident's spoken comment on the task and as a recording of the case."""
    task.comment_path = path
    session.add(CaseAttachment(case_id=task.case_id, kind="recording", path=path))
    session.flush()


def store_comment_transcript(session: Session, task: CallbackTask, text: str) -> None:
    """Keep the transcript of the spoken comment on the task and under the comment's audio on the case."""
    task.comment_text = text
    attachment = session.scalars(select(CaseAttachment).where(
        CaseAttachment.case_id == task.case_id, CaseAttachment.kind == "recording",
        CaseAttachment.path == task.comment_path)).first()
    if attachment is not None:
        attachment.transcript = text
    session.flush()


def agent_list(session: Session, limit: int = 200) -> list[CallbackTask]:
    """Return the tasks handed to the agents (unanswered survey calls), oldest due first."""
    query = select(CallbackTask).where(CallbackTask.status == "agent").order_by(CallbackTask.due_at)
    return list(session.scalars(query.limit(limit)))


def task_of_linkedid(session: Session, linkedid: str) -> CallbackTask | None:
    """Return the task whose survey call has this id."""
    return session.scalars(select(CallbackTask).where(CallbackTask.linkedid == linkedid)).first()
