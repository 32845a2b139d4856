"""One small handler per AMI event: raw message in, typed events out.

Each handler returns early on what it does not care about, is safe to run twice for the same
message (the registry and the last-published snapshots remember what was already said), never
touches SQL and never publishes itself: the bridge hands the returned events to its sender.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from ivr.ami.state import CallRegistry, ChannelInfo
from ticketing.bus.contract import (
    AgentCompleted,
    AgentStateChanged,
    CallAbandoned,
    CallConnected,
    CallOffered,
    CallQueued,
    CallTransferred,
    PhoneContact,
    QueueStats,
    TelephonyEvent,
)

log = logging.getLogger(__name__)

Message = Mapping[str, str]  # a panoramisk Message (case-insensitive) or any str -> str mapping
DEVICE_STATES = {"0": "unknown", "1": "idle", "2": "busy", "3": "busy", "4": "unavailable",
                 "5": "unavailable", "6": "ringing", "7": "ringing", "8": "on_hold"}
NO_CALLER = {"", "<unknown>", "unknown"}


@dataclass
class HandlerContext:
    """What handlers read and update: live calls, and the last agent/queue states published."""

    registry: CallRegistry
    agents: dict[tuple[str, str], AgentStateChanged] = field(default_factory=dict)
    contacts: dict[str, PhoneContact] = field(default_factory=dict)  # interface -> last registration said
    queues: dict[str, QueueStats] = field(default_factory=dict)
    unhandled: dict[str, int] = field(default_factory=dict)

    @property
    def server(self) -> str:
        """Name of the Asterisk server these events come from."""
        return self.registry.server


# --- small parsers ---------------------------------------------------------------------------------------
def event_time(msg: Message) -> str | None:
    """Return the event's Timestamp header (timestampevents=yes) as ISO-8601 UTC, None when absent."""
    raw = msg.get("Timestamp", "")
    try:
        return datetime.fromtimestamp(float(raw), UTC).isoformat() if raw else None
    except (ValueError, OverflowError, OSError):
        return None


def as_int(value: object, default: int = 0) -> int:
    """Parse an AMI number leniently (AMI sends "" or garbage now and then)."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def caller_number(value: str) -> str:
    """Return a caller id number, "" when Asterisk says it is unknown."""
    return "" if value.strip().lower() in NO_CALLER else value.strip()


def channel_info(msg: Message) -> ChannelInfo | None:
    """Build a ChannelInfo from any message carrying a channel snapshot (Newchannel, CoreShowChannel)."""
    uniqueid, linkedid = msg.get("Uniqueid", ""), msg.get("Linkedid", "")
    if not uniqueid or not linkedid:
        return None
    return ChannelInfo(uniqueid=uniqueid, linkedid=linkedid, name=msg.get("Channel", ""),
                       caller=caller_number(msg.get("CallerIDNum", "")),
                       caller_name=caller_number(msg.get("CallerIDName", "")),
                       exten=msg.get("Exten", ""), context=msg.get("Context", ""),
                       language=msg.get("Language", ""))


def agent_state(status: str, paused: bool) -> str:
    """Map a queue member's device Status and Paused flag to our agent state."""
    state = DEVICE_STATES.get(status, "unknown")
    return "paused" if paused and state == "idle" else state


# --- channels and calls ---------------------------------------------------------------------------------
def on_newchannel(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """Newchannel: a channel appeared; the first of its Linkedid starts a call."""
    info = channel_info(msg)
    if info is None:
        return []
    return ctx.registry.add_channel(info, at=event_time(msg))


def on_hangup(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """Hangup: a channel left; the last of its call ends the call with the originating channel's cause."""
    uniqueid = msg.get("Uniqueid", "")
    if not uniqueid:
        return []
    return ctx.registry.remove_channel(uniqueid, cause=msg.get("Cause-txt", "") or "unknown",
                                       cause_code=as_int(msg.get("Cause")), at=event_time(msg))


def on_new_callerid(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """NewCallerid: a channel's caller id was set or changed (Local channels: after their Newchannel)."""
    return ctx.registry.set_caller(msg.get("Uniqueid", ""), caller_number(msg.get("CallerIDNum", "")),
                                   caller_number(msg.get("CallerIDName", "")), at=event_time(msg))


def on_channel_update(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """Newstate/BridgeEnter/...: follow a channel whose Linkedid changed when it was bridged."""
    return ctx.registry.follow_linkedid(msg.get("Uniqueid", ""), msg.get("Linkedid", ""), at=event_time(msg))


# --- queues -----------------------------------------------------------------------------------------------
def _call_linkedid(ctx: HandlerContext, msg: Message) -> str:
    """Return the Linkedid of the call the message's channel belongs to; "" for a hung-up channel."""
    uniqueid = msg.get("Uniqueid", "")
    call = ctx.registry.call_of(uniqueid)
    if call is not None:
        return call.linkedid
    return "" if ctx.registry.is_gone(uniqueid) else msg.get("Linkedid", "")


def on_queue_caller_join(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """QueueCallerJoin: the caller waits in a queue (once per queue while they wait)."""
    linkedid, queue = _call_linkedid(ctx, msg), msg.get("Queue", "")
    call = ctx.registry.calls.get(linkedid)
    if not linkedid or not queue or (call is not None and call.queue == queue):
        return []
    if call is not None:
        call.queue = queue
    return [CallQueued(linkedid=linkedid, queue=queue, position=as_int(msg.get("Position")),
                       waiting=as_int(msg.get("Count")), uniqueid=msg.get("Uniqueid", ""),
                       language=msg.get("Language", ""), server=ctx.server, **_caller(ctx, call, msg),
                       **_at(msg))]


def _caller(ctx: HandlerContext, call, msg: Message) -> dict[str, str]:
    """Return the caller's number and name for a queue event (its channel fields are the caller's)."""
    number, name = caller_number(msg.get("CallerIDNum", "")), caller_number(msg.get("CallerIDName", ""))
    if call is None:
        return {"caller": number, "caller_name": name}
    ctx.registry.learn_caller(call, msg.get("Uniqueid", ""), number, name)
    return {"caller": call.caller, "caller_name": call.caller_name}


def on_queue_caller_leave(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """QueueCallerLeave: no event (connect/abandon say why), just forget the queue."""
    call = ctx.registry.call_of(msg.get("Uniqueid", ""))
    if call is not None and call.queue == msg.get("Queue", ""):
        call.queue = ""
    return []


def on_queue_caller_abandon(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """QueueCallerAbandon: the caller hung up while waiting."""
    linkedid = _call_linkedid(ctx, msg)
    call = ctx.registry.calls.get(linkedid)
    if not linkedid or (call is not None and call.abandoned):
        return []
    if call is not None:
        call.abandoned = True
    return [CallAbandoned(linkedid=linkedid, queue=msg.get("Queue", ""), position=as_int(msg.get("Position")),
                          original_position=as_int(msg.get("OriginalPosition")),
                          hold_seconds=as_int(msg.get("HoldTime")), server=ctx.server, **_at(msg))]


def on_agent_called(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """AgentCalled: the queue rings an agent for this call."""
    linkedid, offer = _call_linkedid(ctx, msg), (msg.get("Queue", ""), msg.get("Interface", ""))
    call = ctx.registry.calls.get(linkedid)
    if not linkedid or (call is not None and offer in call.offers):
        return []
    if call is not None:
        call.offers.add(offer)
    return [CallOffered(linkedid=linkedid, queue=msg.get("Queue", ""), agent=msg.get("Interface", ""),
                        agent_name=msg.get("MemberName", ""), agent_channel=msg.get("DestChannel", ""),
                        language=msg.get("Language", ""), server=ctx.server, **_caller(ctx, call, msg),
                        **_at(msg))]


def on_agent_connect(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """AgentConnect: an agent answered the call."""
    linkedid = _call_linkedid(ctx, msg)
    call = ctx.registry.calls.get(linkedid)
    if not linkedid or (call is not None and call.agent == msg.get("Interface", "")):
        return []
    if call is not None:
        call.agent = msg.get("Interface", "")
    return [CallConnected(linkedid=linkedid, queue=msg.get("Queue", ""), agent=msg.get("Interface", ""),
                          agent_name=msg.get("MemberName", ""), agent_channel=msg.get("DestChannel", ""),
                          hold_seconds=as_int(msg.get("HoldTime")), ring_seconds=as_int(msg.get("RingTime")),
                          server=ctx.server, **_at(msg))]


def on_agent_complete(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """AgentComplete: the agent's part of the call is over (a hang-up, or handed over by a transfer)."""
    linkedid, agent = _call_linkedid(ctx, msg), msg.get("Interface", "")
    call = ctx.registry.calls.get(linkedid)
    if not linkedid or not agent or (call is not None and agent in call.completed):
        return []
    if call is not None:
        call.completed.add(agent)
    return [AgentCompleted(linkedid=linkedid, queue=msg.get("Queue", ""), agent=agent,
                           agent_name=msg.get("MemberName", ""), agent_channel=msg.get("DestChannel", ""),
                           reason=msg.get("Reason", "").lower(), talk_seconds=as_int(msg.get("TalkTime")),
                           server=ctx.server, **_at(msg))]


def on_blind_transfer(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """BlindTransfer: an agent sent the call to an extension."""
    linkedid = msg.get("TransfereeLinkedid") or msg.get("TransfererLinkedid", "")
    if not linkedid:
        return []
    target = f"{msg.get('Extension', '')}@{msg.get('Context', '')}"
    return [CallTransferred(linkedid=linkedid, kind="blind", target=target,
                            by_channel=msg.get("TransfererChannel", ""), result=msg.get("Result", ""),
                            server=ctx.server, **_at(msg))]


def on_attended_transfer(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """AttendedTransfer: an agent consulted someone, then joined the caller to them."""
    linkedid = msg.get("TransfereeLinkedid") or msg.get("OrigTransfererLinkedid", "")
    if not linkedid:
        return []
    target = msg.get("TransferTargetChannel") or msg.get("SecondTransfererChannel", "")
    return [CallTransferred(linkedid=linkedid, kind="attended", target=target,
                            by_channel=msg.get("OrigTransfererChannel", ""), result=msg.get("Result", ""),
                            server=ctx.server, **_at(msg))]


# --- agents and queue statistics -------------------------------------------------------------------------
def on_queue_member(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """QueueMember* (status, added, paused, a QueueStatus entry): publish the agent's state if changed."""
    interface, queue = msg.get("Interface") or msg.get("Location", ""), msg.get("Queue", "")
    if not interface or not queue:
        return []
    paused = msg.get("Paused", "0") == "1"
    removed = msg.get("Event", "") == "QueueMemberRemoved"
    name = msg.get("MemberName") or msg.get("Name", "")
    event = AgentStateChanged(interface=interface, queue=queue, member_name=name,
                              state="removed" if removed else agent_state(msg.get("Status", ""), paused),
                              paused=paused, paused_reason=msg.get("PausedReason", ""),
                              in_call=msg.get("InCall", "0") == "1",
                              calls_taken=as_int(msg.get("CallsTaken")),
                              server=ctx.server, **_at(msg))
    return _if_changed(ctx.agents, (interface, queue), event, forget=removed)


def on_contact(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """ContactStatus (live) or ContactList (PJSIPShowContacts): a phone registered here or left."""
    endpoint = msg.get("EndpointName") or msg.get("Endpoint") or msg.get("AOR") or msg.get("Aor", "")
    if not endpoint:
        endpoint = msg.get("ObjectName", "").split(";", 1)[0]
    if not endpoint:
        return []
    status = msg.get("ContactStatus") or msg.get("Status", "")
    interface = f"PJSIP/{endpoint}"
    event = PhoneContact(interface=interface, registered=status != "Removed", status=status,
                         server=ctx.server, **_at(msg))
    previous = ctx.contacts.get(interface)
    if previous is not None and previous.registered == event.registered:
        return []  # Reachable after Created, a qualify round: still here
    ctx.contacts[interface] = event
    return [event]


def on_queue_summary(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """QueueSummary (answer to the periodic poll): publish the queue's figures if they changed."""
    queue = msg.get("Queue", "")
    if not queue:
        return []
    event = QueueStats(queue=queue, waiting=as_int(msg.get("Callers")),
                       logged_in=as_int(msg.get("LoggedIn")), available=as_int(msg.get("Available")),
                       longest_hold_seconds=as_int(msg.get("LongestHoldTime")),
                       hold_seconds_avg=as_int(msg.get("HoldTime")),
                       talk_seconds_avg=as_int(msg.get("TalkTime")), server=ctx.server)
    return _if_changed(ctx.queues, queue, event)


def on_queue_params(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """QueueParams (from QueueStatus): add completed/abandoned counts to the queue's figures."""
    queue = msg.get("Queue", "")
    known = ctx.queues.get(queue)
    if known is None:
        return []
    event = replace(known, completed=as_int(msg.get("Completed")), abandoned=as_int(msg.get("Abandoned")))
    return _if_changed(ctx.queues, queue, event)


def _if_changed(book: dict, key, event: TelephonyEvent, *, forget: bool = False) -> list[TelephonyEvent]:
    previous = book.get(key)
    if previous is not None and replace(previous, at=event.at) == event:
        return []
    if forget:
        book.pop(key, None)
    else:
        book[key] = event
    return [event]


def _at(msg: Message) -> dict[str, str]:
    stamp = event_time(msg)
    return {"at": stamp} if stamp else {}


Handler = Callable[[HandlerContext, Message], list[TelephonyEvent]]

HANDLERS: dict[str, Handler] = {
    "Newchannel": on_newchannel,
    "Hangup": on_hangup,
    "NewCallerid": on_new_callerid,
    "Newstate": on_channel_update,
    "BridgeEnter": on_channel_update,
    "NewConnectedLine": on_channel_update,
    "QueueCallerJoin": on_queue_caller_join,
    "QueueCallerLeave": on_queue_caller_leave,
    "QueueCallerAbandon": on_queue_caller_abandon,
    "AgentCalled": on_agent_called,
    "AgentConnect": on_agent_connect,
    "AgentComplete": on_agent_complete,
    "BlindTransfer": on_blind_transfer,
    "AttendedTransfer": on_attended_transfer,
    "QueueMemberStatus": on_queue_member,
    "QueueMemberAdded": on_queue_member,
    "QueueMemberRemoved": on_queue_member,
    "QueueMemberPause": on_queue_member,
    "QueueMember": on_queue_member,
    "QueueSummary": on_queue_summary,
    "ContactStatus": on_contact,
    "ContactList": on_contact,
    "QueueParams": on_queue_params,
}


def handle(ctx: HandlerContext, msg: Message) -> list[TelephonyEvent]:
    """Run the handler for one AMI event; unknown events are counted (and logged once per name)."""
    name = msg.get("Event", "")
    handler = HANDLERS.get(name)
    if handler is None:
        seen = ctx.unhandled.get(name, 0)
        ctx.unhandled[name] = seen + 1
        if not seen:
            log.debug("no handler for AMI event %r (ignored from now on)", name)
        return []
    return handler(ctx, msg)
