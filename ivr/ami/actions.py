"""AMI actions as a small API with a timeout on every call and our own errors.

Each method sends one action over the bridge's current connection and returns plain data; failures
raise AmiError (Asterisk said no), AmiTimeout (no answer in time) or AmiNotConnected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ivr.ami.connection import AmiConnection
from ivr.ami.errors import AmiError, AmiNotConnected


@dataclass(frozen=True)
class OriginateResult:
    """Outcome of an originate: queued only, or (wait=True) answered/failed with Asterisk's reason."""

    queued: bool
    answered: bool | None = None
    channel: str = ""
    uniqueid: str = ""
    reason: str = ""


class AmiActions:
    """Actions on the Asterisk the bridge is connected to."""

    def __init__(self, connection: Callable[[], AmiConnection | None], timeout: float = 5.0) -> None:
        self._connection = connection
        self.timeout = timeout

    async def send(self, fields: dict, *, limit: float | None = None, as_list: bool | None = False):
        """Send a raw action; return its response, or all messages (as_list=True) of an event-list action.

        as_list=False (the default) completes on the first response: panoramisk's guess of which
        actions answer with several messages is wrong for some (QueueAdd's "Added ... to queue").
        """
        connection = self._connection()
        if connection is None:
            raise AmiNotConnected("not connected to Asterisk", action=str(fields.get("Action", "")))
        return await connection.request(with_async(fields, as_list), limit or self.timeout, as_list=as_list)

    async def ping(self, limit: float | None = None) -> None:
        """Check the connection answers."""
        await self.send({"Action": "Ping"}, limit=limit)

    async def originate(self, channel: str, *, context: str = "", exten: str = "", priority: int = 1,
                        application: str = "", data: str = "", caller_id: str = "",
                        variables: dict[str, str] | None = None, ring_seconds: int = 30,
                        channel_id: str = "", other_channel_id: str = "",
                        wait: bool = False) -> OriginateResult:
        """Call `channel` and connect it to context/exten (or an application); wait=True awaits the answer.

        channel_id sets the new channel's Uniqueid, which is then also the call's Linkedid (the key of
        its events), so the caller can follow the call it placed.
        """
        if not (exten and context) and not application:
            raise AmiError("originate needs context and exten, or an application", action="Originate")
        fields = {"Action": "Originate", "Channel": channel, "Async": "true", "Timeout": ring_seconds * 1000}
        fields |= ({"Context": context, "Exten": exten, "Priority": priority} if exten
                   else {"Application": application, "Data": data})
        if caller_id:
            fields["CallerID"] = caller_id
        if channel_id:
            fields["ChannelId"] = channel_id
        if other_channel_id:  # the Local channel's other half (;2), e.g. a test resident
            fields["OtherChannelId"] = other_channel_id
        if variables:
            fields["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        if not wait:
            await self.send(fields, as_list=False)
            return OriginateResult(queued=True)
        replies = await self.send(fields, limit=ring_seconds + self.timeout, as_list=None)
        final = replies[-1] if isinstance(replies, list) else replies
        answered = final.get("Response") == "Success"
        return OriginateResult(queued=True, answered=answered, channel=final.get("Channel", ""),
                               uniqueid=final.get("Uniqueid", ""), reason=final.get("Reason", ""))

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1,
                       extra_channel: str = "") -> None:
        """Send a channel (and optionally its peer) elsewhere in the dial plan."""
        fields = {"Action": "Redirect", "Channel": channel, "Context": context, "Exten": exten,
                  "Priority": priority}
        if extra_channel:
            fields |= {"ExtraChannel": extra_channel, "ExtraContext": context, "ExtraExten": exten,
                       "ExtraPriority": priority}
        await self.send(fields)

    async def atxfer(self, channel: str, exten: str, context: str) -> None:
        """Start an attended transfer from `channel` (the agent); its peer waits on hold meanwhile."""
        await self.send({"Action": "Atxfer", "Channel": channel, "Exten": exten, "Context": context})

    async def hangup(self, channel: str, cause: int = 16) -> None:
        """Hang up a channel (cause 16 = normal clearing)."""
        await self.send({"Action": "Hangup", "Channel": channel, "Cause": cause})

    async def queue_add(self, queue: str, interface: str, *, member_name: str = "", penalty: int = 0,
                        paused: bool = False, state_interface: str = "") -> None:
        """Log an agent's phone into a queue."""
        fields = {"Action": "QueueAdd", "Queue": queue, "Interface": interface, "Penalty": penalty,
                  "Paused": "true" if paused else "false"}
        if member_name:
            fields["MemberName"] = member_name
        if state_interface:
            fields["StateInterface"] = state_interface
        await self.send(fields)

    async def queue_remove(self, queue: str, interface: str) -> None:
        """Log an agent's phone out of a queue."""
        await self.send({"Action": "QueueRemove", "Queue": queue, "Interface": interface})

    async def queue_pause(self, interface: str, paused: bool, *, queue: str = "", reason: str = "") -> None:
        """Pause or resume an agent in one queue, or in all queues when queue is ""."""
        fields = {"Action": "QueuePause", "Interface": interface, "Paused": "true" if paused else "false"}
        if queue:
            fields["Queue"] = queue
        if reason:
            fields["Reason"] = reason
        await self.send(fields)

    async def mixmonitor(self, channel: str, file: str, options: str = "") -> None:
        """Start recording a channel into `file` (relative to the recordings dir)."""
        fields = {"Action": "MixMonitor", "Channel": channel, "File": file}
        if options:
            fields["Options"] = options
        await self.send(fields)

    async def command(self, command: str) -> str:
        """Run a CLI command through AMI and return its output."""
        reply = await self.send({"Action": "Command", "Command": command})
        output = reply.get("Output", "")
        return "\n".join(output) if isinstance(output, list) else (output or reply.content)

    async def core_show_channels(self) -> list:
        """Return the CoreShowChannel entries (every live channel)."""
        return _entries(await self.send({"Action": "CoreShowChannels"}, as_list=True), "CoreShowChannel")

    async def queue_status(self) -> list:
        """Return QueueParams, QueueMember and QueueEntry entries of every queue."""
        return _entries(await self.send({"Action": "QueueStatus"}, as_list=True), "Queue")

    async def contacts(self) -> list:
        """Return the ContactList entries of PJSIPShowContacts (phones registered now; [] when none)."""
        # as_list=None: with no contact Asterisk answers a plain error, not an empty event list
        try:
            replies = await self.send({"Action": "PJSIPShowContacts"}, as_list=None)
        except AmiError as err:
            if "no contacts" in str(err).lower():
                return []
            raise
        return _entries(replies, "ContactList")

    async def queue_summary(self) -> list:
        """Return one QueueSummary entry per queue."""
        return _entries(await self.send({"Action": "QueueSummary"}, as_list=True), "QueueSummary")


def with_async(fields: dict, as_list: bool | None) -> dict:
    """Return the action's fields with an explicit Async when panoramisk will guess the reply's shape.

    With as_list=None panoramisk decides whether more messages follow from the first reply; a reply
    ending in "successfully queued" (PlayDTMF, a synchronous Originate) makes it read the action's Async
    field, which raises KeyError when absent: the action then never completes. "Async: false" is what
    Asterisk assumes anyway, and actions without that parameter ignore the header.
    """
    if as_list is not None or any(str(key).lower() == "async" for key in fields):
        return fields
    return {**fields, "Async": "false"}


def _entries(replies, prefix: str) -> list:
    """Keep the list's entries, dropping the opening response and the ...Complete event."""
    messages = replies if isinstance(replies, list) else [replies]
    return [m for m in messages
            if m.get("Event", "").startswith(prefix) and not m.get("Event", "").endswith("Complete")]
