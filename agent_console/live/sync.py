"""Keep agent presence in step with what Asterisk reports: calls offered/answered/ended, pauses, lost members.

Runs in one durable consumer group shared by every console process, so each fact is applied once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

from agent_console import agent_state as sm
from agent_console.presence import PresenceService, now_utc
from ticketing.bus import Bus, Envelope, Streams
from ticketing.bus import contract as ct

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
        event = _parse(envelope)
        if event is None:
            return
        at = _at(event)
        if isinstance(event, ct.CallOffered | ct.CallConnected):
            kind = sm.CallOffered if isinstance(event, ct.CallOffered) else sm.CallConnected
            await self._apply_where(lambda p: p.interface == event.agent and _on(p, event),
                                    kind(event.linkedid), at)
        elif isinstance(event, ct.AgentCompleted):
            # The agent's leg ended while the call may go on (a warm or blind transfer handed the caller
            # over): the agent goes to wrap-up now, not when the caller and the new party hang up.
            await self._apply_where(lambda p: p.interface == event.agent and _on(p, event),
                                    sm.CallEnded(event.linkedid), at)
        elif isinstance(event, ct.CallEnded | ct.CallAbandoned):
            linkedid = event.linkedid
            await self._apply_where(lambda p: p.linkedid == linkedid, sm.CallEnded(linkedid), at)

    async def on_agent(self, envelope: Envelope) -> None:
        """Follow pauses made from a phone and re-add members Asterisk lost."""
        event = _parse(envelope)
        if isinstance(event, ct.AgentStateChanged):
            at = _at(event)
            change = _member_event(event, at)
            if change is not None:
                await self._apply_where(lambda p: p.interface == event.interface and _on(p, event),
                                        change, at)
        elif isinstance(event, ct.QueueStats):
            await self._repush_if_short(event)

    async def _apply_where(self, match, event: sm.Event, at: datetime) -> None:
        online = await asyncio.to_thread(self._presence.online)
        for user_id, name, presence in online:
            if match(presence) and not (presence.since and at < presence.since - STALE):
                await self._presence.apply(user_id, name, event)

    async def _repush_if_short(self, stats: ct.QueueStats) -> None:
        queue = stats.queue
        online = await asyncio.to_thread(self._presence.online)
        members = [(uid, name) for uid, name, p in online if queue in p.queues and _on(p, stats)]
        if stats.logged_in >= len(members):
            return
        if time.monotonic() - self._last_repush.get(queue, -REPUSH_EVERY) < REPUSH_EVERY:
            return
        self._last_repush[queue] = time.monotonic()
        log.info("queue %s reports %s members, console has %d: re-adding", queue, stats.logged_in,
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


def _on(presence: sm.Presence, event: ct.TelephonyEvent) -> bool:
    """Whether the event comes from the server the agent's phone is on (unknown server: any)."""
    return not presence.server or presence.server == event.server


def _member_event(event: ct.AgentStateChanged, at: datetime) -> sm.Event | None:
    if event.state == "removed":
        return sm.MemberLost(event.queue)
    if event.state in ("unavailable", "unknown"):
        return None  # the phone, not the membership: shown to the agent by the hub
    return sm.PhonePaused(paused=event.paused, reason=event.paused_reason, at=at)


def _parse(envelope: Envelope) -> ct.Event | None:
    try:
        return ct.parse(envelope)
    except ct.UnknownEventType:
        return None
    except ValueError as err:
        log.warning("ignoring %s %s: %s", envelope.type, envelope.id, err)
        return None


def _at(event: ct.Event) -> datetime:
    try:
        at = datetime.fromisoformat(event.at)
    except (TypeError, ValueError):
        return now_utc()
    return at if at.tzinfo else at.replace(tzinfo=UTC)
