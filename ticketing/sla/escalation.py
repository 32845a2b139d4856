"""When a running deadline's due actions happen (临期提醒, 超期, 催办, 督办): rules as data, pure arithmetic.

Each stage (dispatch, acknowledge, resolve) has an ordered list of steps. A step fires at a share of the
stage's limit (0.8: the reminder; 1.0: overdue) or at a time past the deadline (催办 two working hours late,
督办 one working day late). The scheduler stores the next step's instant on the case, so finding what is
due is an indexed range query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ticketing.sla.calendar import WorkCalendar
from ticketing.sla.policy import Limit

STEP_KINDS: tuple[str, ...] = ("reminder", "overdue", "urge", "supervise")
STAGES: tuple[str, ...] = ("dispatch", "acknowledge", "resolve")


@dataclass(frozen=True)
class EscalationStep:
    """One due action of a stage: at SHARE of the limit, or AFTER_DUE past the deadline."""

    kind: str
    share: float | None = None
    after_due: Limit | None = None


@dataclass(frozen=True)
class EscalationRules:
    """The steps of every stage, and how long a bureau has to answer a supervision order in writing."""

    stages: dict[str, tuple[EscalationStep, ...]]
    answer_within: Limit

    def steps(self, stage: str) -> tuple[EscalationStep, ...]:
        """Return the steps of STAGE in the order they fire (none for an unknown stage)."""
        return self.stages.get(stage, ())


_PLAIN = (EscalationStep("reminder", share=0.8), EscalationStep("overdue", share=1.0))
DEFAULT_RULES = EscalationRules(stages={stage: _PLAIN for stage in STAGES},
                                answer_within=Limit("working_days", 2))


@dataclass(frozen=True)
class StageClock:
    """A running stage: its name, when its clock started, its deadline, and whether it runs 24 h a day."""

    stage: str
    start: datetime
    deadline: datetime
    wall_clock: bool = False


def step_instant(step: EscalationStep, clock: StageClock, calendar: WorkCalendar) -> datetime:
    """Return when STEP fires for CLOCK."""
    if step.after_due is not None:
        return step.after_due.due(calendar, clock.deadline)
    share = step.share if step.share is not None else 1.0
    if share >= 1:
        return calendar.local(clock.deadline)
    if clock.wall_clock:
        return calendar.local(clock.start + (clock.deadline - clock.start) * share)
    limit = max(calendar.working_time_between(clock.start, clock.deadline), timedelta(0))
    return calendar.add_working_time(clock.start, limit * share)


Steps = tuple[tuple[str, datetime], ...]


def schedule(rules: EscalationRules, clock: StageClock, calendar: WorkCalendar) -> Steps:
    """Return (kind, instant) of every step of the clock's stage, in firing order."""
    return tuple((step.kind, step_instant(step, clock, calendar)) for step in rules.steps(clock.stage))


def deadline_key(clock: StageClock) -> str:
    """Name one deadline of one stage; a new deadline (re-dispatch, extension) starts its steps again."""
    return f"{clock.stage}:{clock.deadline.astimezone(UTC).strftime('%Y%m%dT%H%M%S')}"


def next_step(steps: tuple[tuple[str, datetime], ...], after: str | None) -> tuple[str, datetime] | None:
    """Return the step following the one of kind AFTER (the first when AFTER is None), or None at the end."""
    if after is None:
        return steps[0] if steps else None
    kinds = [kind for kind, _ in steps]
    if after not in kinds:
        return steps[0] if steps else None
    index = kinds.index(after) + 1
    return steps[index] if index < len(steps) else None


def instant_of(steps: tuple[tuple[str, datetime], ...], kind: str) -> datetime | None:
    """Return the instant of the step of KIND, None when the stage has no such step."""
    return next((at for k, at in steps if k == kind), None)

