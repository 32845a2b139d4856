"""Keep agent presence in step with what Asterisk reports: calls offered/answered/ended, pauses, lost members.

Runs in one durable consumer group shared by every console process, so each fact is applied once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from agent_console import agent_state as sm
from agent_console.presence import PresenceService, now_utc
from ticketing.bus import Bus, Envelope, Streams

log = logging.getLogger(__name__)

GROUP = "console.presence"
STALE = timedelta(seconds=5)  # events older than the presence (replays) are ignored
REPUSH_EVERY = 10.0


class PresenceSync:
    """Bus handlers turning telephony events into agent_state events."""

    def __init__(self, presence: PresenceService) -> None:
        self._presence = presence
        self._last_repush: dict[str, float] = {}

    def subscribe(self, bus: Bus) -> None:
        """Register the durable handlers on the bus."""
        bus.subscribe(Streams.CALLS, GROUP, self.on_call)
        bus.subscribe(Streams.AGENTS, GROUP, self.on_agent)

    async def on_call(self, envelope: Envelope) -> None:
        """Move the agent a call is offered to, answered by or ended for."""
        data, at = envelope.data, _at(envelope)
        if envelope.type in ("call.offered", "call.connected"):
            kind = sm.CallOffered if envelope.type == "call.offered" else sm.CallConnected
            event = kind(data["linkedid"])
            await self._apply_where(lambda p: p.interface == data.get("agent"), event, at)
        elif envelope.type in ("call.ended", "call.abandoned"):
            linkedid = data["linkedid"]
            await self._apply_where(lambda p: p.linkedid == linkedid, sm.CallEnded(linkedid), at)

    async def on_agent(self, envelope: Envelope) -> None:
        """Follow pauses made from a phone and re-add members Asterisk lost."""
        data, at = envelope.data, _at(envelope)
        if envelope.type == "agent.state_changed":
            event = _member_event(data, at)
            if event is not None:
                await self._apply_where(lambda p: p.interface == data.get("interface"), event, at)
        elif envelope.type == "queue.stats":
            await self._repush_if_short(data)

    async def _apply_where(self, match, event: sm.Event, at: datetime) -> None:
        online = await asyncio.to_thread(self._presence.online)
        for user_id, name, presence in online:
            if match(presence) and not (presence.since and at < presence.since - STALE):
                await self._presence.apply(user_id, name, event)

    async def _repush_if_short(self, data: dict[str, Any]) -> None:
        queue = data.get("queue", "")
        online = await asyncio.to_thread(self._presence.online)
        members = [(uid, name) for uid, name, p in online if queue in p.queues]
        if int(data.get("logged_in", 0)) >= len(members):
            return
        if time.monotonic() - self._last_repush.get(queue, -REPUSH_EVERY) < REPUSH_EVERY:
            return
        self._last_repush[queue] = time.monotonic()
        log.info("queue %s reports %s members, console has %d: re-adding", queue, data.get("logged_in"),
                 len(members))
        for user_id, name in members:
            await self._presence.apply(user_id, name, sm.MemberLost(queue))

    async def expire_wrapups(self) -> int:
        """End every wrap-up whose timer ran out; return how many."""
        now = now_utc()
        online = await asyncio.to_thread(self._presence.online)
        due = [(uid, name) for uid, name, p in online
               if p.state is sm.AgentState.WRAPUP and p.wrapup_until and p.wrapup_until <= now]
        for user_id, name in due:
            await self._presence.apply(user_id, name, sm.WrapupExpired())
        return len(due)


def _member_event(data: dict[str, Any], at: datetime) -> sm.Event | None:
    state = data.get("state", "")
    if state == "removed":
        return sm.MemberLost(data.get("queue", ""))
    if state in ("unavailable", "unknown"):
        return None  # the phone, not the membership: shown to the agent by the hub
    return sm.PhonePaused(paused=bool(data.get("paused")), reason=data.get("paused_reason", ""), at=at)


def _at(envelope: Envelope) -> datetime:
    raw = envelope.data.get("at") or envelope.occurred_at
    try:
        return datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return now_utc()
