"""The one client for AMI bridge commands: publish an `AmiCommand`, await its `AmiReply`.

Used by the console (agent_console/live/commands.py translates its AMI actions) and by tools and tests.
Replies reach every process through a private fan-out group; each client resolves only its own.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from ticketing.bus.contract import AmiCommand, AmiReply, UnknownEventType, parse
from ticketing.bus.core import Bus, Envelope
from ticketing.bus.streams import Streams

log = logging.getLogger(__name__)


class NoReply(Exception):
    """No bridge answered in time, or the bus refused the command (Redis, Asterisk or the bridge is down)."""


class CommandClient:
    """Send commands to the bridge of a server and wait for the reply."""

    def __init__(self, bus: Bus, *, timeout: float = 15.0) -> None:
        self.bus, self.timeout = bus, timeout
        self._pending: dict[str, asyncio.Future[AmiReply]] = {}
        self._subscribed = False

    def subscribe(self) -> None:
        """Listen for replies in a private group (from now on); call before bus.start() or a request."""
        if not self._subscribed:
            self.bus.subscribe(Streams.AMI_REPLIES, f"ami-client-{uuid.uuid4().hex[:8]}", self.on_reply,
                               durable=False)
            self._subscribed = True

    async def on_reply(self, envelope: Envelope) -> None:
        """Resolve the waiting command a reply belongs to (replies to other processes are ignored)."""
        future = self._pending.get(envelope.key)
        if future is None or future.done():
            return
        try:
            reply = parse(envelope)
        except (UnknownEventType, ValueError) as err:
            log.warning("unreadable reply to command %s: %s", envelope.key, err)
            return
        if isinstance(reply, AmiReply):
            future.set_result(reply)

    async def send(self, action: str, args: dict[str, Any] | None = None, *, server: str = "",
                   limit: float | None = None) -> AmiReply:
        """Run `action` on the bridge of `server` ("" = any one bridge); raise NoReply when none comes."""
        command = AmiCommand(action=action, args=dict(args or {}), server=server)
        limit = self.timeout if limit is None else limit
        future: asyncio.Future[AmiReply] = asyncio.get_running_loop().create_future()
        self._pending[command.id] = future
        try:
            async with asyncio.timeout(limit):
                await self.bus.publish_event(command)
                return await future
        except TimeoutError as err:
            raise NoReply(f"no reply to {action} from the AMI bridge {server or ''} in {limit:g} s") from err
        except Exception as err:  # the bus itself is down: the same for the caller
            raise NoReply(f"cannot send {action} to the AMI bridge: {err}") from err
        finally:
            self._pending.pop(command.id, None)
