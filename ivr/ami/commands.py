"""Commands for the bridge over the bus, so another process (the console) can act on Asterisk.

A command is an envelope of type "ami.command" on Streams.AMI_COMMANDS with data
{id, action, args, server}; the bridge of that server (any bridge when server is "") runs the action
and publishes {id, ok, result | error, server} as "ami.reply" on Streams.AMI_REPLIES, keyed by id.
Commands older than the TTL when read are answered "expired" and not run: a restarted bridge must
not place yesterday's callbacks.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
import uuid
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from ivr.ami.errors import AmiError, AmiTimeout
from ticketing.bus import Bus, Envelope, Streams

log = logging.getLogger(__name__)

COMMAND_TYPE = "ami.command"
REPLY_TYPE = "ami.reply"
ACTIONS = frozenset({"originate", "redirect", "hangup", "queue_add", "queue_remove", "queue_pause",
                     "mixmonitor", "ping", "atxfer"})
REMEMBERED = 5_000


def command_age(envelope: Envelope, now: datetime | None = None) -> float:
    """Seconds since the command was published (0 when its timestamp is unreadable)."""
    try:
        sent = datetime.fromisoformat(envelope.occurred_at)
    except (TypeError, ValueError):
        return 0.0
    return ((now or datetime.now(UTC)) - sent).total_seconds()


class CommandConsumer:
    """Run commands addressed to this bridge and publish their results."""

    def __init__(self, bus: Bus, actions, *, server: str, ttl: float) -> None:
        self.bus, self.actions, self.server, self.ttl = bus, actions, server, ttl
        self._done: OrderedDict[str, None] = OrderedDict()

    def subscribe(self) -> None:
        """Consume this server's commands in a durable group (resumes after a restart)."""
        self.bus.subscribe(Streams.AMI_COMMANDS, f"ami-bridge.{self.server}", self.handle)

    async def handle(self, envelope: Envelope) -> None:
        """Run one command once and publish its reply; ignore other servers' commands."""
        if envelope.type != COMMAND_TYPE:
            return
        data = envelope.data
        command_id = str(data.get("id") or envelope.key)
        if data.get("server") and data["server"] != self.server or command_id in self._done:
            return
        reply = await self.execute(envelope, command_id)
        await self.bus.publish(Streams.AMI_REPLIES, REPLY_TYPE, command_id, reply)
        self._remember(command_id)

    async def execute(self, envelope: Envelope, command_id: str) -> dict[str, Any]:
        """Validate and run a command; return the reply payload (never raises for bad input)."""
        data = envelope.data
        action, args = data.get("action"), data.get("args") or {}
        base = {"id": command_id, "action": action, "server": self.server}
        if command_age(envelope) > self.ttl:
            return {**base, "ok": False, "error": f"expired: older than {self.ttl:.0f} s"}
        if action not in ACTIONS or not isinstance(args, dict):
            return {**base, "ok": False, "error": f"unknown action {action!r} or args not an object"}
        method = getattr(self.actions, action)
        try:
            inspect.signature(method).bind(**args)
        except TypeError as err:
            return {**base, "ok": False, "error": f"bad arguments for {action}: {err}"}
        try:
            result = await method(**args)
        except AmiError as err:
            log.warning("command %s (%s) failed: %s", command_id, action, err)
            return {**base, "ok": False, "error": str(err), "error_type": type(err).__name__}
        return {**base, "ok": True, "result": _plain(result)}

    def _remember(self, command_id: str) -> None:
        self._done[command_id] = None
        while len(self._done) > REMEMBERED:
            self._done.popitem(last=False)


def _plain(result: Any) -> Any:
    return dataclasses.asdict(result) if dataclasses.is_dataclass(result) else result


class AmiCommandClient:
    """Send commands to a bridge over the bus and await their replies (for the console and tools)."""

    def __init__(self, bus: Bus, *, server: str = "") -> None:
        self.bus, self.server = bus, server
        self._pending: dict[str, asyncio.Future] = {}
        self._subscribed = False

    def subscribe(self) -> None:
        """Listen for replies (a private group from now on); call before bus.start() or any request."""
        if not self._subscribed:
            self.bus.subscribe(Streams.AMI_REPLIES, f"ami-client-{uuid.uuid4().hex[:8]}", self._on_reply,
                               durable=False)
            self._subscribed = True

    async def request(self, action: str, *, limit: float = 15.0, **args: Any) -> Any:
        """Run an action on the bridge; return its result or raise AmiError/AmiTimeout."""
        self.subscribe()
        command_id = uuid.uuid4().hex
        future = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        try:
            await self.bus.publish(Streams.AMI_COMMANDS, COMMAND_TYPE, command_id,
                                   {"id": command_id, "action": action, "args": args, "server": self.server})
            async with asyncio.timeout(limit):
                reply = await future
        except TimeoutError as err:
            raise AmiTimeout(f"no reply to {action} from the AMI bridge in {limit:.0f} s",
                             action=action) from err
        finally:
            self._pending.pop(command_id, None)
        if not reply.get("ok"):
            raise AmiError(reply.get("error", "failed"), action=action)
        return reply.get("result")

    async def _on_reply(self, envelope: Envelope) -> None:
        future = self._pending.get(envelope.key)
        if envelope.type == REPLY_TYPE and future is not None and not future.done():
            future.set_result(envelope.data)
