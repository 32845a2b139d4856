"""Fan-out of bus events to the browsers connected to this process (WebSocket), filtered per user.

Each process subscribes with private groups (durable=False), so every console worker sees every event and
delivers it to its own sockets. A slow browser gets its own bounded queue and is dropped when it falls behind.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent_console import wallboard as wb
from agent_console.live.calls import CallContexts
from agent_console.live.servers import ServerDirectory
from ticketing.bus import Bus, Envelope, Streams
from ticketing.bus import contract as ct
from ticketing.case.permissions import Actor, sees

log = logging.getLogger(__name__)

QUEUE_LIMIT = 500


@dataclass(eq=False)
class Connection:
    """One browser tab: who it is, which page, and its outgoing queue."""

    send_text: Callable[[str], Awaitable[None]]
    user_id: int
    role: str
    page: str  # "agent", "wallboard", "bureau" or "desk" (dispatch desk, supervisor list)
    tab: str = ""
    bureau_id: int | None = None
    outbox: asyncio.Queue[str | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_LIMIT))

    def sees(self, event: ct.CaseEvent) -> bool:
        """Tell whether this tab's user may see the case (the REST API's rule, ticketing.case.permissions)."""
        actor = Actor(name=str(self.user_id), role=self.role, bureau_id=self.bureau_id)
        return sees(actor, event.bureau_id, event.dispatched)

    def sees_notice(self, notice: ct.DeadlineNotice) -> bool:
        """Tell whether this tab's user may see a deadline notice: a bureau user only their bureau's."""
        return self.role != "bureau" or (notice.bureau_id is not None and notice.bureau_id == self.bureau_id)

    def push(self, message: dict[str, Any]) -> bool:
        """Queue a message; False when the browser is too far behind (the caller drops it)."""
        try:
            self.outbox.put_nowait(json.dumps(message, ensure_ascii=False, default=str))
        except asyncio.QueueFull:
            return False
        return True

    async def pump(self) -> None:
        """Send queued messages until closed (a None in the queue)."""
        while (text := await self.outbox.get()) is not None:
            await self.send_text(text)


PopListener = Callable[[int, dict[str, Any]], Awaitable[None]]
NOTICE_PAGES = ("bureau", "desk", "wallboard")


class Hub:
    """Routes call, transcript, agent and case events to agent pages, bureau lists and wallboards."""

    def __init__(self, tz: ZoneInfo, servers: ServerDirectory | None = None) -> None:
        self.calls = CallContexts()
        self.servers = servers or ServerDirectory()
        self.board = wb.Wallboard(tz=tz)
        self._connections: set[Connection] = set()
        self._by_user: dict[int, set[Connection]] = {}
        self._interfaces: dict[str, int] = {}  # member interface -> user id, from presence events
        self._linkedid_of: dict[int, str] = {}  # user id -> call on screen
        self.on_pop: PopListener | None = None  # fetches caller history after the pop went out
        self.on_device: Callable[[str, str], None] | None = None  # phone state reports (registration)
        self.on_notice: Callable[[ct.DeadlineNotice], None] | None = None  # wallboards redraw their lists

    # -- connections ----------------------------------------------------------------------------------

    def add(self, connection: Connection) -> None:
        """Start delivering to a browser tab."""
        self._connections.add(connection)
        self._by_user.setdefault(connection.user_id, set()).add(connection)

    def remove(self, connection: Connection) -> None:
        """Stop delivering to a browser tab."""
        self._connections.discard(connection)
        self._by_user.get(connection.user_id, set()).discard(connection)
        while connection.outbox.full():  # a dropped laggard: its backlog is worthless now
            connection.outbox.get_nowait()
        connection.outbox.put_nowait(None)

    def track(self, user_id: int, interface: str, linkedid: str = "") -> None:
        """Remember which phone an agent uses (and the call on their screen)."""
        for known, uid in list(self._interfaces.items()):
            if uid == user_id and known != interface:
                del self._interfaces[known]
        if interface:
            self._interfaces[interface] = user_id
        if linkedid:
            self._linkedid_of[user_id] = linkedid

    def send_user(self, user_id: int, message: dict[str, Any], page: str | None = "agent") -> int:
        """Queue a message for a user's tabs (of one page kind); return how many got it."""
        sent = 0
        for connection in list(self._by_user.get(user_id, ())):
            if page is None or connection.page == page:
                sent += self._push(connection, message)
        return sent

    def broadcast(self, page: str, message: dict[str, Any]) -> None:
        """Queue a message for every tab showing one page kind."""
        for connection in list(self._connections):
            if connection.page == page:
                self._push(connection, message)

    def _push(self, connection: Connection, message: dict[str, Any]) -> int:
        if connection.push(message):
            return 1
        log.warning("dropping console tab of user %s: %d messages behind", connection.user_id, QUEUE_LIMIT)
        self.remove(connection)
        return 0

    def subscribe(self, bus: Bus, on_reply: Callable[[Envelope], Awaitable[None]]) -> None:
        """Register this process's private fan-out groups."""
        for stream, handler in ((Streams.CALLS, self.on_call), (Streams.TRANSCRIPTS, self.on_call),
                                (Streams.AGENTS, self.on_agent), (Streams.CASES, self.on_case),
                                (Streams.AMI_REPLIES, on_reply)):
            bus.subscribe(stream, f"console.live.{stream}", handler, durable=False)

    # -- bus handlers ---------------------------------------------------------------------------------

    async def on_call(self, envelope: Envelope) -> None:
        """Keep call context and the wallboard current; pop the call on the agent it is offered to."""
        event = _parse(envelope)
        if event is None:
            return
        self.servers.note(event)
        context = self.calls.apply(event)
        wb.fold(self.board, event, _at(event, envelope))
        if isinstance(event, ct.CallOffered):
            await self._pop(event)
        elif isinstance(event, ct.AgentCompleted):
            self._agent_done(event)
        elif context is not None:
            message = {"type": event.TYPE, "linkedid": context.linkedid, "call": context.to_json()}
            viewers = self._to_viewers(context.linkedid, message)
            if isinstance(event, ct.CallerIdChanged) and self.on_pop is not None:
                for user_id in viewers:  # the number came after the pop: fetch the history now
                    await self.on_pop(user_id, message)

    async def _pop(self, event: ct.CallOffered) -> None:
        user_id = self._interfaces.get(event.agent)
        if user_id is None:
            return
        context = self.calls.ensure(event.linkedid)
        self._linkedid_of[user_id] = context.linkedid
        message = {"type": "pop", "linkedid": context.linkedid, "queue": event.queue,
                   "call": context.to_json(), "offered_at": event.at}
        if self.send_user(user_id, message) and self.on_pop is not None:
            await self.on_pop(user_id, message)

    def _agent_done(self, event: ct.AgentCompleted) -> None:
        """The agent's part is over (a transfer handed the caller on): their pop ends, the call goes on."""
        user_id = self._interfaces.get(event.agent)
        context = self.calls.get(event.linkedid)
        if user_id is None or context is None or self._linkedid_of.get(user_id) != event.linkedid:
            return
        call = {**context.to_json(), "ended": True}
        self.send_user(user_id, {"type": "call.ended", "linkedid": event.linkedid, "call": call})

    def _to_viewers(self, linkedid: str, message: dict[str, Any]) -> list[int]:
        viewers = []
        for user_id, shown in list(self._linkedid_of.items()):
            if shown == linkedid and self.send_user(user_id, message):
                viewers.append(user_id)
        return viewers

    async def on_agent(self, envelope: Envelope) -> None:
        """Deliver presence changes, tab take-overs and phone status to agents; feed the wallboard."""
        event = _parse(envelope)
        if event is None:
            return
        self.servers.note(event)
        wb.fold(self.board, event, _at(event, envelope))
        if isinstance(event, ct.AgentPresence):
            presence = event.presence
            self.track(event.user_id, presence.interface, presence.linkedid)
            self.send_user(event.user_id, {"type": "presence", "presence": dataclasses.asdict(presence)})
        elif isinstance(event, ct.TabClaimed):
            for connection in list(self._by_user.get(event.user_id, ())):
                if connection.page == "agent" and connection.tab != event.tab:
                    self._push(connection, {"type": "tab_taken"})
        elif isinstance(event, ct.AgentStateChanged):
            if self.on_device is not None and event.state != "removed":
                self.on_device(event.interface, event.state)
            user_id = self._interfaces.get(event.interface)
            if user_id is not None:
                self.send_user(user_id, {"type": "phone", "state": event.state, "queue": event.queue})

    async def on_case(self, envelope: Envelope) -> None:
        """Tell bureau lists and wallboards that a case changed, only where the user may see the case."""
        event = _parse(envelope)
        if isinstance(event, ct.DeadlineNotice):
            self._notice(event)
            return
        if not isinstance(event, ct.CaseEvent):
            return
        message = {"type": "case", "event": event.TYPE, "number": event.number}
        for connection in list(self._connections):
            if connection.page in ("bureau", "wallboard") and connection.sees(event):
                self._push(connection, message)

    def _notice(self, event: ct.DeadlineNotice) -> None:
        """Tell case lists and wallboards of a deadline notice (临期提醒, 超期, 催办, 督办) if seen there."""
        message = {"type": "notice", "kind": event.kind, "number": event.number, "stage": event.stage,
                   "due": event.due, "due_local": _local_time(event.due, self.board.tz)}
        for connection in list(self._connections):
            if connection.page in NOTICE_PAGES and connection.sees_notice(event):
                self._push(connection, message)
        if self.on_notice is not None:
            self.on_notice(event)

    def wallboard_snapshot(self, sl_seconds: int) -> dict[str, Any]:
        """Return the wallboard figures now."""
        return wb.snapshot(self.board, datetime.now(UTC), sl_seconds)

    def has_page(self, page: str) -> bool:
        """Tell whether any tab of this page kind is connected here."""
        return any(c.page == page for c in self._connections)


def _parse(envelope: Envelope) -> ct.Event | None:
    """Return the typed event of an envelope, None (logged) for types and payloads the contract refuses."""
    try:
        return ct.parse(envelope)
    except ct.UnknownEventType:
        return None
    except ValueError as err:
        log.warning("ignoring %s %s: %s", envelope.type, envelope.id, err)
        return None


def _at(event: ct.Event, envelope: Envelope) -> datetime:
    try:
        at = datetime.fromisoformat(event.at or envelope.occurred_at)
    except (TypeError, ValueError):
        return datetime.now(UTC)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _local_time(moment: str, tz: ZoneInfo) -> str:
    """HH:MM of an ISO instant in the centre's timezone ("" when it is not one)."""
    try:
        at = datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return ""
    return at.astimezone(tz).strftime("%H:%M") if at.tzinfo else ""
