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
    """Read the bridge's reply payload {id, ok, result | error} (ivr/ami/commands.py)."""
    fields = data.get("result") or data.get("fields") or {}
    if not isinstance(fields, dict):
        fields = {"value": fields}
    return Reply(ok=bool(data.get("ok")), message=str(data.get("error") or data.get("message") or ""),
                 fields=fields)


def _flag(value: str) -> bool:
    return str(value).lower() == "true"


# AMI action (as agent_state speaks it) -> the bridge's command name and keyword arguments.
BRIDGE_COMMANDS = {
    "QueueAdd": lambda a: ("queue_add", {"queue": a["Queue"], "interface": a["Interface"],
                                         "member_name": a.get("MemberName", ""),
                                         "paused": _flag(a.get("Paused", "false"))}),
    "QueueRemove": lambda a: ("queue_remove", {"queue": a["Queue"], "interface": a["Interface"]}),
    "QueuePause": lambda a: ("queue_pause", {"interface": a["Interface"], "paused": _flag(a["Paused"]),
                                             "queue": a.get("Queue", ""), "reason": a.get("Reason", "")}),
    "Hangup": lambda a: ("hangup", {"channel": a["Channel"]}),
    "Atxfer": lambda a: ("atxfer", {"channel": a["Channel"], "exten": a["Exten"], "context": a["Context"]}),
    "Redirect": lambda a: ("redirect", {"channel": a["Channel"], "context": a["Context"],
                                        "exten": a["Exten"]}),
    "Originate": lambda a: ("originate", {"channel": a["Channel"], "context": a["Context"],
                                          "exten": a["Exten"], "caller_id": a.get("CallerID", ""),
                                          **_originate_extras(a)}
                            if "Exten" in a else
                            {"channel": a["Channel"], "application": a["Application"],
                             "data": a.get("Data", ""), "caller_id": a.get("CallerID", "")}),
}


def _originate_extras(args: dict[str, Any]) -> dict[str, Any]:
    """Optional originate arguments: channel variables, the call's id, waiting for the answer (surveys)."""
    extras: dict[str, Any] = {}
    if args.get("Variable"):
        extras["variables"] = dict(args["Variable"])
    if args.get("ChannelId"):
        extras["channel_id"] = args["ChannelId"]
    if args.get("OtherChannelId"):
        extras["other_channel_id"] = args["OtherChannelId"]
    if args.get("Wait"):
        extras["wait"], extras["ring_seconds"] = True, int(args.get("RingSeconds", 30))
    return extras


def bridge_command(action: str, args: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Translate an AMI action and its headers into the bridge's command and arguments."""
    try:
        return BRIDGE_COMMANDS[action](args)
    except KeyError as err:
        raise CommandFailed(action, f"the console cannot send {action} ({err})") from err


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

    async def run(self, action: str, args: dict[str, Any], *, check: bool = True,
                  wait: float | None = None) -> Reply:
        """Send one action and return its reply; raise CommandFailed (when check) or TelephonyUnavailable."""
        name, kwargs = bridge_command(action, args)
        command_id = uuid.uuid4().hex
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        try:
            await self._bus.publish(Streams.AMI_COMMANDS, COMMAND_TYPE, command_id,
                                    {"id": command_id, "action": name, "args": kwargs, "server": ""})
            reply = await asyncio.wait_for(future, wait or self._timeout)
        except TimeoutError as err:
            raise TelephonyUnavailable(f"no reply to {action} within {wait or self._timeout:g} s") from err
        finally:
            self._pending.pop(command_id, None)
        if check and not reply.ok:
            raise CommandFailed(action, reply.message)
        log.debug("%s %s -> %s", action, args, reply)
        return reply
