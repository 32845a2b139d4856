"""The bridge's side of commands over the bus, so another process (the console) can act on Asterisk.

A command is a contract `AmiCommand` on Streams.AMI_COMMANDS naming its server; the bridge of that server
runs the action and answers with an `AmiReply` on Streams.AMI_REPLIES, keyed by the command id (clients:
ticketing/bus/commands.py). Commands older than the TTL when read are answered "expired" and not run: a
restarted bridge must not place yesterday's callbacks.
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


class CommandConsumer:
    """Run commands addressed to this bridge and publish their results."""

    def __init__(self, bus: Bus, actions, *, server: str, ttl: float) -> None:
        self.bus, self.actions, self.server, self.ttl = bus, actions, server, ttl
        self._done: OrderedDict[str, None] = OrderedDict()

    def subscribe(self) -> None:
        """Consume this server's commands in a durable group (resumes after a restart)."""
        self.bus.subscribe(Streams.AMI_COMMANDS, f"ami-bridge.{self.server}", self.handle)

    async def handle(self, envelope: Envelope) -> None:
        """Run one command once and queue its reply; ignore other servers' commands."""
        try:
            command = parse(envelope)
        except (UnknownEventType, ValueError) as err:
            log.error("skipping unreadable command %s: %s", envelope.key, err)
            return
        if not isinstance(command, AmiCommand) or not command.addressed_to(self.server):
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

