"""Reconcile the bridge's view with Asterisk after every (re)connect and FullyBooted.

Calls that started during an outage get a (reconciled) call.started, calls that ended get a
call.ended with cause "lost during AMI outage"; queue positions, agents and queue figures are
re-read so the console shows the truth again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ivr.ami.actions import AmiActions
from ivr.ami.errors import AmiError
from ivr.ami.handlers import HandlerContext, as_int, channel_info, handle
from ivr.ami.state import ChannelInfo
from ticketing.bus.contract import CallQueued, CallsReconciled, TelephonyEvent, now_iso

log = logging.getLogger(__name__)


def live_channels(entries: list) -> list[ChannelInfo]:
    """Turn CoreShowChannel entries into ChannelInfo, skipping malformed ones."""
    infos = [channel_info(entry) for entry in entries]
    return [info for info in infos if info is not None]


def queued_callers(ctx: HandlerContext, entries: list) -> list[TelephonyEvent]:
    """Return call.queued for callers waiting in a queue that the bridge did not know were queued."""
    events: list[TelephonyEvent] = []
    for entry in entries:
        if entry.get("Event") != "QueueEntry":
            continue
        call = ctx.registry.call_of(entry.get("Uniqueid", ""))
        queue = entry.get("Queue", "")
        if call is None or not queue or call.queue == queue:
            continue
        call.queue = queue
        events.append(CallQueued(linkedid=call.linkedid, queue=queue, position=as_int(entry.get("Position")),
                                 waiting=0, uniqueid=entry.get("Uniqueid", ""), server=ctx.server))
    return events


async def reconcile(ctx: HandlerContext, actions: AmiActions,
                    emit: Callable[[list[TelephonyEvent]], None]) -> None:
    """Read channels, then queues and queue figures, from Asterisk; emit the events the differences imply.

    The channel snapshot's events are emitted before the queues are read: the snapshot has already
    updated the registry, so losing its events to a later failure would leave ended calls open for good.
    """
    since = now_iso()
    ctx.registry.begin_reconcile()
    try:
        channels = await actions.core_show_channels()
    except BaseException:
        ctx.registry.apply_snapshot_cancelled()
        raise
    call_events = ctx.registry.apply_snapshot(live_channels(channels))
    # Calls that ended while no bridge watched (this one was killed) are closed by the recorder from this.
    emit([*call_events, CallsReconciled(since=since, live=tuple(sorted(ctx.registry.calls)),
                                        server=ctx.server)])
    queue_events = await refresh_queues(ctx, actions)
    emit(queue_events)
    try:
        emit(await registered_phones(ctx, actions))
    except AmiError as err:  # calls and queues are reconciled; phones say so again when they re-register
        log.warning("reading the registered phones failed: %s", err)
    log.info("reconciled with Asterisk: %d live channels, %d calls, %d events", len(channels),
             len(ctx.registry.calls), len(call_events) + len(queue_events))


async def registered_phones(ctx: HandlerContext, actions: AmiActions) -> list[TelephonyEvent]:
    """Say which phones are registered here now (and which left while the bridge was away)."""
    events: list[TelephonyEvent] = []
    here = set()
    for entry in await actions.contacts():
        events += handle(ctx, entry)
        endpoint = entry.get("Endpoint") or entry.get("ObjectName", "").split(";", 1)[0]
        here.add(f"PJSIP/{endpoint}")
    for interface, known in list(ctx.contacts.items()):
        if known.registered and interface not in here:
            events += handle(ctx, {"Event": "ContactStatus", "EndpointName": interface.split("/", 1)[1],
                                   "ContactStatus": "Removed"})
    return events


async def refresh_queues(ctx: HandlerContext, actions: AmiActions) -> list[TelephonyEvent]:
    """Re-read queue figures, agents and waiting callers; return what changed."""
    events: list[TelephonyEvent] = []
    for entry in await actions.queue_summary():
        events += handle(ctx, entry)
    status = await actions.queue_status()
    for entry in status:
        if entry.get("Event") in ("QueueMember", "QueueParams"):
            events += handle(ctx, entry)
    return events + queued_callers(ctx, status)
