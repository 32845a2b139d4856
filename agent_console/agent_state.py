"""The agent state machine: pure decisions from the agent's presence and an event to the next presence and the
AMI commands that keep Asterisk's queue membership in step."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any


class AgentState(StrEnum):
    """Where an agent is, as the console and the wallboard show it."""

    OFFLINE = "offline"
    AVAILABLE = "available"
    PAUSED = "paused"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAPUP = "wrapup"


WRAPUP_REASON = "wrapup"
PHONE_REASON = "phone"
PAUSED_STATES = {AgentState.PAUSED, AgentState.WRAPUP}
# Asterisk reports that contradict a transition made less than this long ago are its echo of the old state.
ECHO_GRACE = timedelta(seconds=3)


class InvalidTransition(ValueError):
    """The event makes no sense in the agent's current state; `code` names the message to show."""

    def __init__(self, code: str, state: AgentState) -> None:
        super().__init__(f"{code} (state {state})")
        self.code = code
        self.state = state


@dataclass(frozen=True)
class Presence:
    """An agent's console presence: phone, queues, state and since when."""

    interface: str = ""
    member_name: str = ""
    queues: tuple[str, ...] = ()
    state: AgentState = AgentState.OFFLINE
    reason: str = ""
    since: datetime | None = None
    wrapup_until: datetime | None = None
    linkedid: str = ""
    server: str = ""  # the Asterisk server the phone is registered with (its queue commands go there)

    @property
    def paused(self) -> bool:
        """Whether Asterisk should hold calls back from this agent."""
        return self.state in PAUSED_STATES

    def to_json(self) -> dict[str, Any]:
        """Plain-data form for the database and the page."""
        return {"interface": self.interface, "member_name": self.member_name, "queues": list(self.queues),
                "state": str(self.state), "reason": self.reason,
                "since": self.since.isoformat() if self.since else None,
                "wrapup_until": self.wrapup_until.isoformat() if self.wrapup_until else None,
                "linkedid": self.linkedid, "server": self.server}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Presence:
        """Rebuild from to_json() output (an empty dict gives an offline agent)."""
        if not data:
            return cls()
        return cls(interface=data.get("interface", ""), member_name=data.get("member_name", ""),
                   queues=tuple(data.get("queues", ())), state=AgentState(data.get("state", "offline")),
                   reason=data.get("reason", ""), since=_parse_time(data.get("since")),
                   wrapup_until=_parse_time(data.get("wrapup_until")), linkedid=data.get("linkedid", ""),
                   server=data.get("server", ""))


@dataclass(frozen=True)
class Command:
    """One AMI action for the bridge to run."""

    action: str
    args: dict[str, str]


@dataclass(frozen=True)
class Decision:
    """The next presence and the commands that make Asterisk agree with it."""

    presence: Presence
    commands: tuple[Command, ...] = field(default=())


# -- events ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Login:
    interface: str
    member_name: str
    queues: tuple[str, ...]
    server: str = ""


@dataclass(frozen=True)
class Logout:
    pass


@dataclass(frozen=True)
class Pause:
    reason: str


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class WrapupExpired:
    pass


@dataclass(frozen=True)
class CallOffered:
    linkedid: str


@dataclass(frozen=True)
class CallConnected:
    linkedid: str


@dataclass(frozen=True)
class CallEnded:
    linkedid: str


@dataclass(frozen=True)
class PhonePaused:
    """Asterisk reports the member paused or unpaused (from a phone, the CLI, or our own command's echo)."""

    paused: bool
    reason: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class MemberLost:
    """Asterisk no longer has the member in a queue (removed, or Asterisk restarted)."""

    queue: str = ""  # empty: every queue (Asterisk restarted)


Event = (Login | Logout | Pause | Resume | WrapupExpired | CallOffered | CallConnected | CallEnded
         | PhonePaused | MemberLost)


def decide(presence: Presence, event: Event, now: datetime, wrapup_seconds: int) -> Decision:
    """Return the next presence and AMI commands; raise InvalidTransition when the event is not allowed."""
    match event:
        case Login():
            return _login(presence, event, now)
        case Logout():
            return _logout(presence, now)
        case Pause(reason=reason):
            return _pause(presence, reason, now)
        case Resume() | WrapupExpired():
            return _resume(presence, event, now)
        case CallOffered() | CallConnected() | CallEnded():
            return _call(presence, event, now, wrapup_seconds)
        case PhonePaused():
            return _phone_paused(presence, event, now)
        case MemberLost(queue=queue):
            return _member_lost(presence, queue)
    raise TypeError(f"unknown agent event {event!r}")


def _login(presence: Presence, event: Login, now: datetime) -> Decision:
    if presence.state is not AgentState.OFFLINE:
        raise InvalidTransition("already_logged_in", presence.state)
    if not event.queues:
        raise InvalidTransition("no_queue_chosen", presence.state)
    nxt = Presence(interface=event.interface, member_name=event.member_name, queues=tuple(event.queues),
                   state=AgentState.AVAILABLE, since=now, server=event.server)
    return Decision(nxt, queue_add_all(nxt))


def _logout(presence: Presence, now: datetime) -> Decision:
    if presence.state is AgentState.OFFLINE:
        return Decision(presence)
    if presence.state in (AgentState.RINGING, AgentState.ON_CALL):
        raise InvalidTransition("busy_on_call", presence.state)
    commands = tuple(Command("QueueRemove", {"Queue": q, "Interface": presence.interface})
                     for q in presence.queues)
    return Decision(Presence(state=AgentState.OFFLINE, since=now), commands)


def _pause(presence: Presence, reason: str, now: datetime) -> Decision:
    if presence.state not in (AgentState.AVAILABLE, AgentState.PAUSED, AgentState.WRAPUP):
        raise InvalidTransition("cannot_pause", presence.state)
    if not reason:
        raise InvalidTransition("pause_reason_required", presence.state)
    if presence.state is AgentState.PAUSED and presence.reason == reason:
        return Decision(presence)
    nxt = replace(presence, state=AgentState.PAUSED, reason=reason, since=now, wrapup_until=None)
    return Decision(nxt, (queue_pause(presence.interface, True, reason),))


def _resume(presence: Presence, event: Event, now: datetime) -> Decision:
    if isinstance(event, WrapupExpired) and presence.state is not AgentState.WRAPUP:
        return Decision(presence)  # the agent already ended the wrap-up, or paused
    if presence.state is AgentState.AVAILABLE:
        return Decision(presence)
    if presence.state not in PAUSED_STATES:
        raise InvalidTransition("cannot_resume", presence.state)
    nxt = replace(presence, state=AgentState.AVAILABLE, reason="", since=now, wrapup_until=None)
    return Decision(nxt, (queue_pause(presence.interface, False, ""),))


def _call(presence: Presence, event: Event, now: datetime, wrapup_seconds: int) -> Decision:
    if presence.state is AgentState.OFFLINE:
        return Decision(presence)
    if isinstance(event, CallOffered):
        if presence.state in (AgentState.RINGING, AgentState.ON_CALL):
            return Decision(presence)
        return Decision(replace(presence, state=AgentState.RINGING, linkedid=event.linkedid, since=now))
    if event.linkedid != presence.linkedid:
        return Decision(presence)  # an event of another call (or a duplicate after wrap-up)
    if isinstance(event, CallConnected):
        if presence.state is AgentState.ON_CALL:
            return Decision(presence)
        return Decision(replace(presence, state=AgentState.ON_CALL, since=now))
    if presence.state is AgentState.RINGING:  # missed: back to waiting for the next call
        return Decision(replace(presence, state=AgentState.AVAILABLE, linkedid="", since=now))
    if presence.state is not AgentState.ON_CALL:
        return Decision(presence)
    nxt = replace(presence, state=AgentState.WRAPUP, reason=WRAPUP_REASON, since=now,
                  wrapup_until=now + timedelta(seconds=wrapup_seconds))
    return Decision(nxt, (queue_pause(presence.interface, True, WRAPUP_REASON),))


def _phone_paused(presence: Presence, event: PhonePaused, now: datetime) -> Decision:
    if presence.state is AgentState.OFFLINE or presence.paused == event.paused:
        return Decision(presence)  # our own command's echo, or an agent the console does not hold
    if presence.state in (AgentState.RINGING, AgentState.ON_CALL):
        return Decision(presence)  # pause during a call takes effect on the state we return to
    if event.at and presence.since and event.at < presence.since + ECHO_GRACE:
        return Decision(presence)
    if event.paused:
        reason = event.reason or PHONE_REASON
        paused = replace(presence, state=AgentState.PAUSED, reason=reason, since=now, wrapup_until=None)
        return Decision(paused)
    return Decision(replace(presence, state=AgentState.AVAILABLE, reason="", since=now, wrapup_until=None))


def _member_lost(presence: Presence, queue: str) -> Decision:
    if presence.state is AgentState.OFFLINE:
        return Decision(presence)
    queues = (queue,) if queue and queue in presence.queues else presence.queues if not queue else ()
    return Decision(presence, tuple(_queue_add(presence, q) for q in queues))


def queue_add_all(presence: Presence) -> tuple[Command, ...]:
    """Commands that (re)place the agent in every chosen queue, as at login."""
    return tuple(_queue_add(presence, q) for q in presence.queues)


def _queue_add(presence: Presence, queue: str) -> Command:
    args = {"Queue": queue, "Interface": presence.interface, "MemberName": presence.member_name,
            "Paused": "true" if presence.paused else "false"}
    if presence.paused:
        args["Reason"] = presence.reason
    return Command("QueueAdd", args)


def queue_pause(interface: str, paused: bool, reason: str) -> Command:
    """Pause or unpause the agent in every queue it belongs to."""
    args = {"Interface": interface, "Paused": "true" if paused else "false"}
    if reason:
        args["Reason"] = reason
    return Command("QueuePause", args)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
