"""Case events on Streams.CASES, keyed by the case number; written to the outbox by the case flows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

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
