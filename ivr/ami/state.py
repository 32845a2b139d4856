"""What the bridge knows about live calls and agents: the memory that makes handlers idempotent.

A call is the set of channels sharing a Linkedid. Handlers add and remove channels; a call starts with
its first channel and ends with its last. Reconciliation replaces that knowledge with a snapshot from
Asterisk (CoreShowChannels), while protecting channels that appeared or hung up after the snapshot was
requested (`begin_reconcile` .. `apply_snapshot`), so a live event racing the snapshot is never undone.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from ticketing.bus.contract import LOST_DURING_OUTAGE, CallEnded, CallerIdChanged, CallStarted, TelephonyEvent

TOMBSTONES = 10_000  # recently hung-up channels remembered, so a late duplicate cannot resurrect them


@dataclass(frozen=True)
class ChannelInfo:
    """One channel as the bridge saw it (from Newchannel or a CoreShowChannel entry)."""

    uniqueid: str
    linkedid: str
    name: str
    caller: str = ""
    caller_name: str = ""
    exten: str = ""
    context: str = ""
    language: str = ""


@dataclass
class LiveCall:
    """A call in progress on this bridge's Asterisk: its channels and what the handlers learnt since.

    Memory of the bridge only; the call's record in the database is ticketing.call.models.Call, kept by the
    recorder from the events the bridge publishes.
    """

    linkedid: str
    channels: set[str] = field(default_factory=set)
    queue: str = ""
    cause: str = ""
    cause_code: int = 0
    offers: set[tuple[str, str]] = field(default_factory=set)  # (queue, agent) pairs already offered
    agent: str = ""  # the agent who answered, once connected
    completed: set[str] = field(default_factory=set)  # agents whose part ended (AgentComplete)
    abandoned: bool = False
    origin: str = ""  # Uniqueid of the channel that started the call (the caller's)
    caller: str = ""  # the caller's number as last known
    caller_name: str = ""


class CallRegistry:
    """Live channels and calls of one Asterisk server."""

    def __init__(self, server: str = "default") -> None:
        self.server = server
        self.channels: dict[str, ChannelInfo] = {}
        self.calls: dict[str, LiveCall] = {}
        self._tombstones: OrderedDict[str, None] = OrderedDict()
        self._touched: set[str] | None = None  # uniqueids changed since the pending snapshot was asked for

    # --- live changes (handlers) --------------------------------------------------------------------
    def add_channel(self, info: ChannelInfo, *, at: str | None = None, reconciled: bool = False,
                    ) -> list[TelephonyEvent]:
        """Record a new channel; return CallStarted when it is the call's first. Safe to repeat."""
        if info.uniqueid in self.channels or info.uniqueid in self._tombstones:
            return []
        self._touch(info.uniqueid)
        self.channels[info.uniqueid] = info
        call = self.calls.get(info.linkedid)
        if call is not None:
            call.channels.add(info.uniqueid)
            return []
        self.calls[info.linkedid] = LiveCall(linkedid=info.linkedid, channels={info.uniqueid},
                                         origin=info.uniqueid, caller=info.caller,
                                         caller_name=info.caller_name)
        return [self._started(info, at, reconciled)]

    def set_caller(self, uniqueid: str, number: str, name: str = "", *, at: str | None = None,
                   ) -> list[TelephonyEvent]:
        """Note a channel's new caller id; return CallerIdChanged when it is the caller's and news."""
        info = self.channels.get(uniqueid)
        if info is None:
            return []
        self.channels[uniqueid] = ChannelInfo(**{**info.__dict__, "caller": number, "caller_name": name})
        call = self.calls.get(info.linkedid)
        if call is None or call.origin != uniqueid or not number:
            return []  # another leg (an agent's), or a withheld number
        if (number, name) == (call.caller, call.caller_name):
            return []
        call.caller, call.caller_name = number, name
        return [CallerIdChanged(linkedid=call.linkedid, caller=number, caller_name=name, uniqueid=uniqueid,
                                server=self.server, **_at(at))]

    def learn_caller(self, call: LiveCall, uniqueid: str, number: str, name: str = "") -> None:
        """Take the caller's number from a queue event about the caller's channel, when still unknown."""
        if number and not call.caller and (not call.origin or uniqueid == call.origin):
            call.caller, call.caller_name = number, name

    def remove_channel(self, uniqueid: str, *, cause: str = "", cause_code: int = 0, at: str | None = None,
                       ) -> list[TelephonyEvent]:
        """Forget a hung-up channel; return CallEnded when it was the call's last. Safe to repeat."""
        info = self.channels.pop(uniqueid, None)
        self._bury(uniqueid)
        if info is None:
            return []
        self._touch(uniqueid)
        call = self.calls.get(info.linkedid)
        if call is None:
            return []
        call.channels.discard(uniqueid)
        if uniqueid == call.linkedid or not call.cause:
            call.cause, call.cause_code = cause, cause_code  # the originating channel's cause wins
        if call.channels:
            return []
        del self.calls[call.linkedid]
        return [CallEnded(linkedid=call.linkedid, cause=call.cause or "unknown", cause_code=call.cause_code,
                          channel=info.name, server=self.server, **_at(at))]

    def follow_linkedid(self, uniqueid: str, linkedid: str, *, at: str | None = None) -> list[TelephonyEvent]:
        """Move a channel whose Linkedid changed (bridged with an older call); end the call it left empty."""
        info = self.channels.get(uniqueid)
        if info is None or not linkedid or info.linkedid == linkedid:
            return []
        old = self.calls.get(info.linkedid)
        self.channels[uniqueid] = ChannelInfo(**{**info.__dict__, "linkedid": linkedid})
        self.calls.setdefault(linkedid, LiveCall(linkedid=linkedid)).channels.add(uniqueid)
        if old is None:
            return []
        old.channels.discard(uniqueid)
        if old.channels:
            return []
        del self.calls[old.linkedid]
        return [CallEnded(linkedid=old.linkedid, cause=f"merged into call {linkedid}", channel=info.name,
                          server=self.server, **_at(at))]

    def is_gone(self, uniqueid: str) -> bool:
        """Whether this channel already hung up (late or repeated events about it are ignored)."""
        return uniqueid in self._tombstones

    def call_of(self, uniqueid: str) -> LiveCall | None:
        """Return the live call a channel belongs to."""
        info = self.channels.get(uniqueid)
        return self.calls.get(info.linkedid) if info else None

    # --- reconciliation ---------------------------------------------------------------------------------
    def begin_reconcile(self) -> None:
        """Start recording channel changes that the coming snapshot may not include."""
        self._touched = set()

    def apply_snapshot_cancelled(self) -> None:
        """Stop recording changes: the snapshot could not be read."""
        self._touched = None

    def apply_snapshot(self, live: list[ChannelInfo], *, at: str | None = None) -> list[TelephonyEvent]:
        """Make the registry match Asterisk's channel list; return the events the difference implies."""
        touched = self._touched or set()
        self._touched = None
        live_ids = {info.uniqueid for info in live}
        events: list[TelephonyEvent] = []
        for uniqueid in [u for u in self.channels if u not in live_ids and u not in touched]:
            events += self._drop_silently(uniqueid)
        for info in sorted(live, key=lambda c: c.uniqueid != c.linkedid):  # originating channels first
            if info.uniqueid in touched:
                continue
            if info.uniqueid in self.channels:
                events += self.follow_linkedid(info.uniqueid, info.linkedid, at=at)
            else:
                events += self.add_channel(info, at=at, reconciled=True)
        return events + self._end_empty_calls(at)

    def _drop_silently(self, uniqueid: str) -> list[TelephonyEvent]:
        info = self.channels.pop(uniqueid)
        self._bury(uniqueid)
        call = self.calls.get(info.linkedid)
        if call is not None:
            call.channels.discard(uniqueid)
        return []

    def _end_empty_calls(self, at: str | None) -> list[TelephonyEvent]:
        events: list[TelephonyEvent] = []
        for linkedid in [lid for lid, call in self.calls.items() if not call.channels]:
            del self.calls[linkedid]
            events.append(CallEnded(linkedid=linkedid, cause=LOST_DURING_OUTAGE, reconciled=True,
                                    server=self.server, **_at(at)))
        return events

    # --- helpers -------------------------------------------------------------------------------------------
    def _started(self, info: ChannelInfo, at: str | None, reconciled: bool) -> CallStarted:
        return CallStarted(linkedid=info.linkedid, uniqueid=info.uniqueid, channel=info.name,
                           caller=info.caller, caller_name=info.caller_name, dialled=info.exten,
                           context=info.context, language=info.language, reconciled=reconciled,
                           server=self.server, **_at(at))

    def _touch(self, uniqueid: str) -> None:
        if self._touched is not None:
            self._touched.add(uniqueid)

    def _bury(self, uniqueid: str) -> None:
        self._tombstones[uniqueid] = None
        self._tombstones.move_to_end(uniqueid)
        while len(self._tombstones) > TOMBSTONES:
            self._tombstones.popitem(last=False)


def _at(at: str | None) -> dict[str, str]:
    return {"at": at} if at else {}
