"""Ask the AMI bridge to act (QueueAdd, QueuePause, Originate, ...) over the bus and wait for its reply."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from ticketing.bus import Bus, Envelope, Streams

log = logging.getLogger(__name__)

COMMAND_TYPE = "ami.command"


class TelephonyUnavailable(Exception):
    """The bridge did not answer in time (Asterisk or the bridge is down)."""


class CommandFailed(Exception):
    """Asterisk refused the action; `message` is Asterisk's own text."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action} failed: {message}")
        self.action = action
        self.message = message


@dataclass(frozen=True)
class Reply:
    """The bridge's answer to one command."""

    ok: bool
    message: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


def parse_reply(data: dict[str, Any]) -> Reply:
    """Read a reply payload: {id, ok, message, fields}; `response: Success` is accepted for ok."""
    ok = data.get("ok")
    if ok is None:
        ok = str(data.get("response", "")).lower() == "success"
    fields = data.get("fields") or data.get("result") or {}
    if not isinstance(fields, dict):
        fields = {"value": fields}
    return Reply(ok=bool(ok), message=str(data.get("message") or data.get("error") or ""), fields=fields)


class AmiCommands:
    """Publishes commands on Streams.AMI_COMMANDS; replies arrive through `on_reply` (fan-out subscriber)."""

    def __init__(self, bus: Bus, timeout: float) -> None:
        self._bus = bus
        self._timeout = timeout
        self._pending: dict[str, asyncio.Future[Reply]] = {}

    async def on_reply(self, envelope: Envelope) -> None:
        """Resolve the waiting command a reply belongs to (replies of other processes are ignored)."""
        command_id = str(envelope.data.get("id") or envelope.key)
        future = self._pending.get(command_id)
        if future is not None and not future.done():
            future.set_result(parse_reply(envelope.data))

    async def run(self, action: str, args: dict[str, str], *, check: bool = True) -> Reply:
        """Send one action and return its reply; raise CommandFailed (when check) or TelephonyUnavailable."""
        command_id = uuid.uuid4().hex
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        try:
            await self._bus.publish(Streams.AMI_COMMANDS, COMMAND_TYPE, command_id,
                                    {"id": command_id, "action": action, "args": args})
            reply = await asyncio.wait_for(future, self._timeout)
        except TimeoutError as err:
            raise TelephonyUnavailable(f"no reply to {action} within {self._timeout:g} s") from err
        finally:
            self._pending.pop(command_id, None)
        if check and not reply.ok:
            raise CommandFailed(action, reply.message)
        log.debug("%s %s -> %s", action, args, reply)
        return reply
