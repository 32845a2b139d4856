"""Typed, frozen telephony events published on the bus, keyed by the call's Linkedid.

A *call* is every channel sharing one Linkedid: it starts when the first of them appears and ends
when the last one hangs up. Each event class names its bus type (`TYPE`) and stream (`STREAM`);
`to_data()` gives the JSON-safe payload, `parse_event(envelope)` rebuilds the typed event on the
consumer side. Consumers must treat events as facts that may arrive twice (apply idempotently).

Version 1 of every type; a change that removes or renames a field bumps `VERSION` of that class.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from ticketing.bus.streams import Streams

LOST_DURING_OUTAGE = "lost during AMI outage"


def now_iso() -> str:
    """Return the current UTC time as an ISO-8601 string (the `at` of events)."""
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True, kw_only=True)
class TelephonyEvent:
    """Fields every event carries: what it is about (`key`), when, and which Asterisk reported it."""

    TYPE: ClassVar[str] = ""
    STREAM: ClassVar[str] = Streams.CALLS
    VERSION: ClassVar[int] = 1

    at: str = field(default_factory=now_iso)
    server: str = "default"

    @property
    def key(self) -> str:
        """Return the bus key (the Linkedid for call events)."""
        raise NotImplementedError

    def to_data(self) -> dict[str, Any]:
        """Return the JSON-safe payload put into the bus envelope."""
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class CallEvent(TelephonyEvent):
    """An event about one call, identified by its Linkedid."""

    linkedid: str

    @property
    def key(self) -> str:
        return self.linkedid


@dataclass(frozen=True, kw_only=True)
class CallStarted(CallEvent):
    """The first channel of a call appeared (a resident dialled in, or we originated a call)."""

    TYPE: ClassVar[str] = "call.started"

    uniqueid: str
    channel: str
    caller: str = ""  # CallerIDNum of the first channel ("" when withheld)
    caller_name: str = ""
    dialled: str = ""  # the extension dialled (Exten of the first channel)
    context: str = ""
    language: str = ""
    reconciled: bool = False  # True when found by reconciliation rather than a live Newchannel


@dataclass(frozen=True, kw_only=True)
class CallQueued(CallEvent):
    """The caller joined a queue (QueueCallerJoin)."""

    TYPE: ClassVar[str] = "call.queued"

    queue: str
    position: int
    waiting: int  # callers in the queue including this one
    uniqueid: str = ""
    caller: str = ""  # the caller's number as known when they joined ("" when withheld)
    caller_name: str = ""


@dataclass(frozen=True, kw_only=True)
class CallAbandoned(CallEvent):
    """The caller hung up while waiting in a queue (QueueCallerAbandon)."""

    TYPE: ClassVar[str] = "call.abandoned"

    queue: str
    position: int
    original_position: int
    hold_seconds: int


@dataclass(frozen=True, kw_only=True)
class CallOffered(CallEvent):
    """A queue rang an agent for this call (AgentCalled)."""

    TYPE: ClassVar[str] = "call.offered"

    queue: str
    agent: str  # the member's interface, e.g. PJSIP/1001
    agent_name: str = ""
    agent_channel: str = ""
    caller: str = ""  # the caller's number (for the screen pop; "" when withheld)
    caller_name: str = ""


@dataclass(frozen=True, kw_only=True)
class CallerIdChanged(CallEvent):
    """The caller's number became known or changed after call.started (NewCallerid on the first channel).

    Calls placed through Local channels (tests, `hotline call`, originates) get their caller id only after
    their Newchannel, so their call.started has caller "".
    """

    TYPE: ClassVar[str] = "call.caller_changed"

    caller: str
    caller_name: str = ""
    uniqueid: str = ""


@dataclass(frozen=True, kw_only=True)
class CallConnected(CallEvent):
    """An agent answered the call (AgentConnect)."""

    TYPE: ClassVar[str] = "call.connected"

    queue: str
    agent: str
    agent_name: str = ""
    agent_channel: str = ""
    hold_seconds: int = 0
    ring_seconds: int = 0


@dataclass(frozen=True, kw_only=True)
class CallTransferred(CallEvent):
    """The call was transferred (BlindTransfer / AttendedTransfer)."""

    TYPE: ClassVar[str] = "call.transferred"

    kind: str  # "blind" or "attended"
    target: str  # extension@context for blind transfers, the target channel for attended ones
    by_channel: str = ""
    result: str = ""  # Asterisk's Result header ("Success", "Fail", ...)


@dataclass(frozen=True, kw_only=True)
class CallEnded(CallEvent):
    """The last channel of the call hung up; `cause` is human-readable, `cause_code` Q.850 (0 if unknown)."""

    TYPE: ClassVar[str] = "call.ended"

    cause: str
    cause_code: int = 0
    channel: str = ""
    reconciled: bool = False  # True when synthesised by reconciliation (see LOST_DURING_OUTAGE)


@dataclass(frozen=True, kw_only=True)
class AgentStateChanged(TelephonyEvent):
    """A queue member's state changed (QueueMemberStatus/Added/Removed/Pause); keyed by interface."""

    TYPE: ClassVar[str] = "agent.state_changed"
    STREAM: ClassVar[str] = Streams.AGENTS

    interface: str  # e.g. PJSIP/1001
    queue: str
    state: str  # one of AGENT_STATES
    member_name: str = ""
    paused: bool = False
    paused_reason: str = ""
    in_call: bool = False
    calls_taken: int = 0

    @property
    def key(self) -> str:
        return self.interface


AGENT_STATES = ("idle", "ringing", "busy", "on_hold", "paused", "unavailable", "removed", "unknown")


@dataclass(frozen=True, kw_only=True)
class QueueStats(TelephonyEvent):
    """A snapshot of one queue (from QueueSummary/QueueParams); keyed by queue name."""

    TYPE: ClassVar[str] = "queue.stats"
    STREAM: ClassVar[str] = Streams.AGENTS

    queue: str
    waiting: int
    logged_in: int = 0
    available: int = 0
    longest_hold_seconds: int = 0
    hold_seconds_avg: int = 0
    talk_seconds_avg: int = 0
    completed: int = 0
    abandoned: int = 0

    @property
    def key(self) -> str:
        return self.queue


EVENT_TYPES: dict[str, type[TelephonyEvent]] = {
    cls.TYPE: cls
    for cls in (CallStarted, CallerIdChanged, CallQueued, CallAbandoned, CallOffered, CallConnected,
                CallTransferred, CallEnded, AgentStateChanged, QueueStats)
}


class UnknownEventType(ValueError):
    """An envelope's type is not a telephony event this module knows."""


def register_event_type(cls: type[TelephonyEvent]) -> type[TelephonyEvent]:
    """Make another package's event class (e.g. ivr.step) parseable by `parse_event`; usable as decorator."""
    EVENT_TYPES[cls.TYPE] = cls
    return cls


def parse_event(envelope_or_type, data: dict[str, Any] | None = None) -> TelephonyEvent:
    """Rebuild a typed event from a bus envelope (or a type and payload), ignoring unknown fields."""
    if data is None:
        type_, data = envelope_or_type.type, envelope_or_type.data
    else:
        type_ = envelope_or_type
    cls = EVENT_TYPES.get(type_)
    if cls is None:
        raise UnknownEventType(f"unknown telephony event type {type_!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    try:
        return cls(**{k: v for k, v in data.items() if k in names})
    except TypeError as err:
        raise ValueError(f"malformed {type_} event: {err}") from err
