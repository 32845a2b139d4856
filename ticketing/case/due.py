"""Keep a case's due-instant columns (sla_*) in step with its running stage, so that deadline lists and the
supervision scheduler are indexed range queries over all open cases (issue 14, item 4).

`stamp` runs after every change of a case (intake, each action); `advance` after the scheduler took a step.
"""

from __future__ import annotations

from datetime import datetime

from ticketing.case import states
from ticketing.case.actions import classification
from ticketing.case.models import Case
from ticketing.dataset import Dataset
from ticketing.sla.escalation import StageClock, deadline_key, instant_of, next_step, schedule

BUREAU_WORK = (states.ACKNOWLEDGED, states.IN_PROGRESS, states.EXTENSION_REQUESTED)
# The statuses in which a clock can run: any other status has no due instants (stamp clears them).
CLOCK_STATUSES = frozenset((states.NEW, states.DISPATCHED, *BUREAU_WORK))


def stage_clock(case: Case, dataset: Dataset) -> StageClock | None:
    """Return the case's running stage (dispatch, acknowledge or resolve), None when no clock runs."""
    if case.status == states.NEW and case.dispatch_by:
        urgent = case.priority == "urgent"
        dispatch_class = "urgent" if urgent else classification(dataset, case).dispatch_class
        wall = dataset.sla.dispatch_limit(dispatch_class).clock
        return StageClock("dispatch", case.created_at, case.dispatch_by, wall)
    if case.status == states.DISPATCHED and case.acknowledge_by and case.dispatched_at:
        return StageClock("acknowledge", case.dispatched_at, case.acknowledge_by)
    if case.status in BUREAU_WORK and case.resolve_by and case.dispatched_at:
        return StageClock("resolve", case.dispatched_at, case.resolve_by)
    return None


def stamp(case: Case, dataset: Dataset) -> None:
    """Set the stage, deadline key, reminder/due instants and the next due step from the case's fields.

    The same deadline keeps the steps already taken; a new deadline (another stage, an extension, time
    paused) starts them again. A paused clock has no next step.
    """
    clock = stage_clock(case, dataset)
    if clock is None:
        _clear(case)
        return
    steps = schedule(dataset.escalation, clock, dataset.calendar)
    key = deadline_key(clock)
    if key != case.sla_key:
        case.sla_key, case.sla_stage = key, clock.stage
        first = next_step(steps, None)
        case.sla_next_kind = first[0] if first else None
    case.sla_remind_at = instant_of(steps, "reminder") or clock.deadline
    case.sla_due_at = clock.deadline
    upcoming = next((at for kind, at in steps if kind == case.sla_next_kind), None)
    case.sla_next_at = None if case.paused_at is not None else upcoming


def advance(case: Case, dataset: Dataset, taken: str) -> tuple[str | None, datetime | None]:
    """Return the step after TAKEN for the case's running stage: (kind, instant) or (None, None)."""
    clock = stage_clock(case, dataset)
    if clock is None:
        return None, None
    following = next_step(schedule(dataset.escalation, clock, dataset.calendar), taken)
    return following if following else (None, None)


def _clear(case: Case) -> None:
    case.sla_stage = case.sla_key = case.sla_next_kind = None
    case.sla_remind_at = case.sla_due_at = case.sla_next_at = None
