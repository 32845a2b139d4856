"""Ask the AMI bridge to act (QueueAdd, QueuePause, Originate, ...) over the bus and wait for its reply.

The console speaks AMI actions (agent_state's commands); this module translates them into the bridge's
commands and sends them through the one command client (ticketing/bus/commands.py).
"""

from __future__ import annotations

import logging
from typing import Any

from agent_console.live.servers import ServerDirectory
from ticketing.bus import Bus, Envelope
from ticketing.bus.commands import CommandClient, NoReply
from ticketing.bus.contract import AmiReply

log = logging.getLogger(__name__)


class TelephonyUnavailable(Exception):
    """The bridge did not answer in time (Asterisk or the bridge is down)."""


class CommandFailed(Exception):
    """Asterisk refused the action; `message` is Asterisk's own text."""

    def __init__(self, action: str, message: str) -> None:
        super().__init__(f"{action} failed: {message}")
        self.action = action
        self.message = message


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
                             "data": a.get("Data", ""), "caller_id": a.get("CallerID", ""),
                             **_originate_extras(a)}),
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
    """Sends console actions to the bridge; replies arrive through `on_reply` (fan-out subscriber)."""

    def __init__(self, bus: Bus, timeout: float, servers: ServerDirectory | None = None) -> None:
        self.client = CommandClient(bus, timeout=timeout)
        self.servers = servers or ServerDirectory()

    async def on_reply(self, envelope: Envelope) -> None:
        """Resolve the waiting command a reply belongs to (replies of other processes are ignored)."""
        await self.client.on_reply(envelope)

    async def run(self, action: str, args: dict[str, Any], *, check: bool = True, server: str = "",
                  wait: float | None = None) -> AmiReply:
        """Send one action to the bridge of `server` and return its reply (within `wait` seconds if given).

        `server` names the Asterisk that owns the channel or member (ServerDirectory); "" means the only
        server seen so far, or, with several, any one of them (exactly one bridge runs it).
        Raises CommandFailed (when check and Asterisk refused) or TelephonyUnavailable (no reply in time).
        """
        name, kwargs = bridge_command(action, args)
        server = server or self.servers.sole()
        try:
            reply = await self.client.send(name, kwargs, server=server, limit=wait)
        except NoReply as err:
            raise TelephonyUnavailable(str(err)) from err
        if check and not reply.ok:
            raise CommandFailed(action, reply.error)
        log.debug("%s %s -> %s", action, args, reply)
        return reply
