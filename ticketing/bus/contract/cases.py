"""Case events on Streams.CASES, keyed by the case number; written to the outbox with the change.

Two families: `CaseEvent` (a case's state after an action: created, changed, called back, reopened) and
`DeadlineNotice` (a step the deadline scheduler took: 临期提醒, 超期, 催办, 督办). Both carry what a live
list needs to decide who may see them (ticketing.case.permissions.sees).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ticketing.bus.contract.base import Event, register
from ticketing.bus.streams import Streams


@dataclass(frozen=True, kw_only=True)
class CaseEvent(Event):
    """A case's state after an action; enough for a live list to decide who may see it.

    `bureau_id` and `dispatched` follow ticketing.case.permissions.sees: a bureau user sees the case only
    when it is dispatched to their bureau. `case_version` is the case row's optimistic-lock version.
    """

    STREAM: ClassVar[str] = Streams.CASES

    number: str
    action: str
    actor: str
    status: str
    bureau: str | None = None  # bureau code
    bureau_id: int | None = None
    dispatched: bool = False
    category: str | None = None  # category code
    case_version: int = 1
    priority: str = "normal"  # "urgent": danger to life and the like (shorter deadlines, supervisors alerted)

    @property
    def key(self) -> str:
        return self.number


@register
@dataclass(frozen=True, kw_only=True)
class CaseCreated(CaseEvent):
    """A case was taken in (by an agent, the API, the IVR from a message or a spoken request)."""

    TYPE: ClassVar[str] = "case.created"


@register
@dataclass(frozen=True, kw_only=True)
class CaseChanged(CaseEvent):
    """A lifecycle action (dispatch, acknowledge, resolve, ...) changed a case."""

    TYPE: ClassVar[str] = "case.changed"


@register
@dataclass(frozen=True, kw_only=True)
class CaseCalledBack(CaseEvent):
    """The resident rated the handling (回访: `rating` satisfied / basically / unsatisfied).

    From the survey call (actor "survey") or an agent's callback; an unsatisfied rating reopens the case,
    which a `CaseReopened` follows.
    """

    TYPE: ClassVar[str] = "case.called_back"

    rating: str


@register
@dataclass(frozen=True, kw_only=True)
class CaseReopened(CaseEvent):
    """The case was reopened to be handled again (重办): `reason` is "unsatisfied" (after a callback) or
    "reopen" (a supervisor's decision)."""

    TYPE: ClassVar[str] = "case.reopened"

    reason: str


@dataclass(frozen=True, kw_only=True)
class DeadlineNotice(Event):
    """A step the deadline scheduler took on a case's running deadline; `KIND` names it.

    `stage` is the deadline's stage (dispatch, acknowledge, resolve, ...), `due` its instant (ISO-8601);
    `bureau_id` is the bureau the notice is for (None: the centre's own dispatch stage), so a bureau user
    sees notices of their bureau only. `order` is the supervision order a 督办 wrote.
    """

    STREAM: ClassVar[str] = Streams.CASES
    KIND: ClassVar[str] = ""

    number: str
    stage: str
    due: str
    bureau: str | None = None  # bureau code
    bureau_id: int | None = None
    order: int | None = None

    @property
    def key(self) -> str:
        return self.number

    @property
    def kind(self) -> str:
        """The notice kind as stored in case_notices (reminder, overdue, urge, supervise)."""
        return self.KIND

    def to_data(self) -> dict[str, Any]:
        return {**super().to_data(), "kind": self.KIND}


@register
@dataclass(frozen=True, kw_only=True)
class CaseReminded(DeadlineNotice):
    """The deadline is near (临期提醒)."""

    TYPE: ClassVar[str] = "case.reminder"
    KIND: ClassVar[str] = "reminder"


@register
@dataclass(frozen=True, kw_only=True)
class CaseOverdue(DeadlineNotice):
    """The deadline passed (超期)."""

    TYPE: ClassVar[str] = "case.overdue"
    KIND: ClassVar[str] = "overdue"


@register
@dataclass(frozen=True, kw_only=True)
class CaseUrged(DeadlineNotice):
    """Still not done some working hours after the deadline: the bureau is urged (催办)."""

    TYPE: ClassVar[str] = "case.urged"
    KIND: ClassVar[str] = "urge"


@register
@dataclass(frozen=True, kw_only=True)
class CaseSupervised(DeadlineNotice):
    """Put under supervision automatically (督办), with an order the bureau answers in writing."""

    TYPE: ClassVar[str] = "case.supervised"
    KIND: ClassVar[str] = "supervise"


@register
@dataclass(frozen=True, kw_only=True)
class CaseUrgent(DeadlineNotice):
    """An urgent case was taken in (紧急工单): supervisors and dispatchers are alerted; `due` is its (shorter)
    dispatch deadline. Raised by intake, not by the scheduler."""

    TYPE: ClassVar[str] = "case.urgent"
    KIND: ClassVar[str] = "urgent"


NOTICES: dict[str, type[DeadlineNotice]] = {
    cls.KIND: cls for cls in (CaseReminded, CaseOverdue, CaseUrged, CaseSupervised, CaseUrgent)
}
