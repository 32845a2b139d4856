"""The bridge's side of commands over the bus, so another process (the console) can act on Asterisk.

A command is a contract `AmiCommand` on Streams.AMI_COMMANDS naming its server; the bridge of that
server (read in its own group, `ami-bridge.<server>`) runs the action. A command naming no server (any
Asterisk can run it, e.g. a survey call) is read in the group every bridge shares (`ami-bridge`), so
exactly one bridge runs it, however many there are. The bridge answers with an `AmiReply` on
Streams.AMI_REPLIES, keyed by the command id (clients: ticketing/bus/commands.py). Commands older than
the TTL when read are answered "expired" and not run: a restarted bridge must not place yesterday's
callbacks.
"""

from __future__ import annotations

import inspect
import logging
from collections import OrderedDict

from ivr.ami.errors import AmiError
from ticketing.bus import Bus, Envelope, Streams
from ticketing.bus.contract import ACTIONS, AmiCommand, AmiReply, UnknownEventType, parse

log = logging.getLogger(__name__)

REMEMBERED = 5_000
SHARED_GROUP = "ami-bridge"  # one durable group of all bridges: each unaddressed command goes to one


class CommandConsumer:
    """Run commands addressed to this bridge and publish their results."""

    def __init__(self, bus: Bus, actions, *, server: str, ttl: float) -> None:
        self.bus, self.actions, self.server, self.ttl = bus, actions, server, ttl
        self._done: OrderedDict[str, None] = OrderedDict()

    def subscribe(self) -> None:
        """Consume this server's commands, and a share of the unaddressed ones, in durable groups."""
        self.bus.subscribe(Streams.AMI_COMMANDS, f"ami-bridge.{self.server}", self.handle)
        self.bus.subscribe(Streams.AMI_COMMANDS, SHARED_GROUP, self.handle_unaddressed)

    async def handle(self, envelope: Envelope) -> None:
        """Run one command addressed to this server once and queue its reply; ignore other servers'."""
        await self._handle(envelope, self.server)

    async def handle_unaddressed(self, envelope: Envelope) -> None:
        """Run a command that names no server (this bridge's share of them, through the shared group)."""
        await self._handle(envelope, "")

    async def _handle(self, envelope: Envelope, addressee: str) -> None:
        try:
            command = parse(envelope)
        except (UnknownEventType, ValueError) as err:
            log.error("skipping unreadable command %s: %s", envelope.key, err)
            return
        if not isinstance(command, AmiCommand) or command.server != addressee:
            return
        if command.id in self._done:
            return
        self.bus.emit(await self.execute(command))
        self._remember(command.id)

    async def execute(self, command: AmiCommand) -> AmiReply:
        """Validate and run a command; return the reply (never raises for bad input)."""
        action, args = command.action, command.args
        if command.age() > self.ttl:
            return AmiReply.of(command, self.server, error=f"expired: older than {self.ttl:.0f} s")
        if action not in ACTIONS or not isinstance(args, dict):
            return AmiReply.of(command, self.server, error=f"unknown action {action!r} or args not an object")
        method = getattr(self.actions, action)
        try:
            inspect.signature(method).bind(**args)
        except TypeError as err:
            return AmiReply.of(command, self.server, error=f"bad arguments for {action}: {err}")
        try:
            result = await method(**args)
        except AmiError as err:
            log.warning("command %s (%s) failed: %s", command.id, action, err)
            return AmiReply.of(command, self.server, error=str(err) or type(err).__name__,
                               error_type=type(err).__name__)
        return AmiReply.of(command, self.server, result=result)

    def _remember(self, command_id: str) -> None:
        self._done[command_id] = None
        while len(self._done) > REMEMBERED:
            self._done.popitem(last=False)

