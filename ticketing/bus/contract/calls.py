"""Telephony events: calls, IVR steps, queue members and queues, keyed by Linkedid, interface or queue.

A *call* is every channel sharing one Linkedid: it starts when the first of them appears and ends
when the last one hangs up. Consumers treat events as facts that may arrive twice (apply idempotently).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ticketing.bus.contract.base import Event, register
from ticketing.bus.streams import Streams

LOST_DURING_OUTAGE = "lost during AMI outage"


@dataclass(frozen=True, kw_only=True)
class TelephonyEvent(Event):
    """An event one Asterisk server reported (`server` names it; commands go back to that server)."""

    STREAM: ClassVar[str] = Streams.CALLS

    server: str = "default"


@dataclass(frozen=True, kw_only=True)
class CallEvent(TelephonyEvent):
    """An event about one call, identified by its Linkedid."""

    linkedid: str

    @property
    def key(self) -> str:
        return self.linkedid


@register
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


@register
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
    language: str = ""  # the caller's channel language when they joined (what the IVR set)


@register
@dataclass(frozen=True, kw_only=True)
class CallAbandoned(CallEvent):
    """The caller hung up while waiting in a queue (QueueCallerAbandon)."""

    TYPE: ClassVar[str] = "call.abandoned"

    queue: str
    position: int
    original_position: int
    hold_seconds: int


@register
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
    language: str = ""  # the caller's channel language (what the IVR set; the pop shows it)


@register
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


@register
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


@register
@dataclass(frozen=True, kw_only=True)
class CallTransferred(CallEvent):
    """The call was transferred (BlindTransfer / AttendedTransfer)."""

    TYPE: ClassVar[str] = "call.transferred"

    kind: str  # "blind" or "attended"
    target: str  # extension@context for blind transfers, the target channel for attended ones
    by_channel: str = ""
    result: str = ""  # Asterisk's Result header ("Success", "Fail", ...)


@register
@dataclass(frozen=True, kw_only=True)
class AgentCompleted(CallEvent):
    """An agent's part of a queue call is over (AgentComplete), while the call itself may go on.

    `reason` is Asterisk's: "caller" or "agent" hung up, or "transfer" (the agent handed the caller to a
    queue, another agent or an outside number, blind or after consulting).
    """

    TYPE: ClassVar[str] = "call.agent_completed"

    queue: str
    agent: str  # the member's interface, e.g. PJSIP/webrtc-1001
    agent_name: str = ""
    agent_channel: str = ""
    reason: str = ""
    talk_seconds: int = 0


@register
@dataclass(frozen=True, kw_only=True)
class CallEnded(CallEvent):
    """The last channel of the call hung up; `cause` is human-readable, `cause_code` Q.850 (0 if unknown)."""

    TYPE: ClassVar[str] = "call.ended"

    cause: str
    cause_code: int = 0
    channel: str = ""
    reconciled: bool = False  # True when synthesised by reconciliation (see LOST_DURING_OUTAGE)


@register
@dataclass(frozen=True, kw_only=True)
class CallsReconciled(TelephonyEvent):
    """After a reconciliation: the calls live on this server now; keyed by server.

    A call whose record is still open, that started before `since` (when the snapshot was asked for) and
    is not in `live` ended while no bridge was watching (a bridge killed, restarted later): the recorder
    closes it with cause LOST_DURING_OUTAGE.
    """

    TYPE: ClassVar[str] = "calls.reconciled"

    since: str  # ISO time the snapshot was requested
    live: tuple[str, ...] = ()  # Linkedids of the calls live now

    @property
    def key(self) -> str:
        return self.server

    @classmethod
    def from_data(cls, data: dict) -> CallsReconciled:
        names = {"server", "at", "since"}
        return cls(live=tuple(str(x) for x in data.get("live") or ()),
                   **{k: v for k, v in data.items() if k in names})


@register
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


@register
@dataclass(frozen=True, kw_only=True)
class PhoneContact(TelephonyEvent):
    """A phone registered with this server or left it (PJSIP ContactStatus); keyed by interface.

    The console learns from it which server an agent's phone is on, so presence commands go there.
    """

    TYPE: ClassVar[str] = "phone.contact"
    STREAM: ClassVar[str] = Streams.AGENTS

    interface: str  # e.g. PJSIP/1001 (the endpoint's dial string, as queue members name it)
    registered: bool
    status: str = ""  # Asterisk's ContactStatus (Created, Reachable, Removed, ...)

    @property
    def key(self) -> str:
        return self.interface


AGENT_STATES = ("idle", "ringing", "busy", "on_hold", "paused", "unavailable", "removed", "unknown")


@register
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


@register
@dataclass(frozen=True, kw_only=True)
class IvrStep(CallEvent):
    """The caller reached a menu node; `input` is the key(s) or outcome that led there."""

    TYPE: ClassVar[str] = "ivr.step"

    node: str
    input: str = ""
    language: str = ""
    menu: str = ""
    uniqueid: str = ""
    caller: str = ""
    dialled: str = ""
    recording: str = ""  # the call's recording (MixMonitor) on the first step of a session
    heard: str = ""  # the transcript of what the caller said, on a speech node's `heard:<category>` step


@register
@dataclass(frozen=True, kw_only=True)
class IvrCaseOpened(CallEvent):
    """The IVR opened a case for this call (a message); the recorder links it to the call."""

    TYPE: ClassVar[str] = "ivr.case_opened"

    case_number: str
    recording: str = ""
    caller: str = ""
    language: str = ""
