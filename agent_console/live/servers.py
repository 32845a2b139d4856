"""Which Asterisk server owns a call, a channel or an agent's phone, learnt from the events bridges publish.

With several Asterisk servers (one AMI bridge each, named by HOTLINE_AMI_SERVER), a console command must go
to the server that owns what it acts on: a hang-up to the server of the call, a queue change to the server
the agent's phone is registered with, a click-to-call to the server of the agent's phone. Every telephony
event names its server; this directory remembers the latest owner of each call, channel and interface.
"""

from __future__ import annotations

from collections import OrderedDict

from ticketing.bus import contract as ct

LIMIT = 20_000  # calls and channels remembered (the oldest are forgotten first)


class ServerDirectory:
    """Maps linkedid, channel and member interface to the server that reported them."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.servers: set[str] = set()
        self._calls: OrderedDict[str, str] = OrderedDict()
        self._channels: OrderedDict[str, str] = OrderedDict()
        self._interfaces: dict[str, str] = {}
        self._limit = limit

    def note(self, event: ct.Event) -> None:
        """Learn from one bus event (anything but a telephony event is ignored)."""
        if not isinstance(event, ct.TelephonyEvent) or not event.server:
            return
        server = event.server
        self.servers.add(server)
        if isinstance(event, ct.PhoneContact):
            if event.registered:
                self._interfaces[event.interface] = server
            elif self._interfaces.get(event.interface) == server:
                del self._interfaces[event.interface]
            return
        if isinstance(event, ct.AgentStateChanged):
            if event.state not in ("unavailable", "unknown") or event.interface not in self._interfaces:
                self._interfaces[event.interface] = server
            return
        if isinstance(event, ct.CallEvent):
            self._remember(self._calls, event.linkedid, server)
            for channel in _channels(event):
                self._remember(self._channels, channel, server)
            agent = getattr(event, "agent", "")
            if agent:
                self._interfaces[agent] = server

    def _remember(self, book: OrderedDict[str, str], key: str, server: str) -> None:
        if not key:
            return
        book[key] = server
        book.move_to_end(key)
        while len(book) > self._limit:
            book.popitem(last=False)

    def of_interface(self, interface: str) -> str:
        """The server the phone behind a member interface is registered with ("" when unknown)."""
        return self._interfaces.get(interface, "")

    def of_call(self, linkedid: str = "", channel: str = "") -> str:
        """The server of a call (by linkedid) or of one of its channels ("" when unknown)."""
        return self._calls.get(linkedid, "") or self._channels.get(channel, "")

    def sole(self) -> str:
        """The only server seen so far, or "" (none, or several: a command then needs its owner)."""
        return next(iter(self.servers)) if len(self.servers) == 1 else ""


def _channels(event: ct.CallEvent) -> list[str]:
    names = [getattr(event, "channel", ""), getattr(event, "agent_channel", "")]
    return [name for name in names if name]
