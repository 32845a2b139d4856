"""One AMI connection on panoramisk: robust parsing, explicit login, actions with timeouts.

panoramisk's Manager reconnects by itself, pings without ever checking the answer and re-sends
pending actions after a reconnect (an originate sent twice is a second phone call). This subclass
turns all of that off: the bridge owns reconnection and liveness, and actions pending when the
connection drops fail at once with AmiNotConnected.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
from collections.abc import Callable

from panoramisk import actions as pm_actions
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

from ivr.ami.errors import AmiAuthError, AmiError, AmiNotConnected, AmiTimeout

log = logging.getLogger(__name__)

EOM = "\r\n\r\n"
MAX_BUFFER = 1_000_000  # bytes of unterminated input before we give up on the stream


class HotlineAmiProtocol(AMIProtocol):
    """AMI protocol that logs unparseable input and handler failures instead of dropping or dying."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self.buffer = ""
        # A character split across two TCP reads (a caller's Chinese name) must not become two U+FFFD.
        self._decoder = codecs.getincrementaldecoder(getattr(self, "encoding", "utf-8"))("replace")

    def data_received(self, data: bytes) -> None:
        self.buffer += self._decoder.decode(data)
        if self.version is None and self.buffer.startswith("Asterisk Call Manager/"):
            banner, _, self.buffer = self.buffer.partition("\r\n")
            self.version = banner.partition("/")[2].strip()
        blocks = self.buffer.split(EOM)
        self.buffer = blocks.pop()
        if len(self.buffer) > MAX_BUFFER:
            log.error("dropping %d bytes of AMI input without a message end", len(self.buffer))
            self.buffer = ""
        for block in blocks:
            self._handle_block(block.strip())

    def _handle_block(self, block: str) -> None:
        if not block:
            return
        message = Message.from_line(block)
        if message is None:
            log.warning("unparseable AMI message ignored: %r", block[:200])
            return
        try:
            self.handle_message(message)
        except Exception:
            log.exception("handling AMI message %r failed", block[:200])

    def close(self) -> None:
        """Fail every pending action (nothing is re-sent after a reconnect), then close."""
        for action in list(self.responses.values()):
            if not action.future.done():
                action.future.set_exception(AmiNotConnected("connection lost", action=action["action"]))
                action.future.exception()  # mark retrieved: the awaiting caller may have timed out
        self.responses.clear()
        if not self.closed:
            try:
                self.transport.close()
            finally:
                self.closed = True


class AmiConnection(Manager):
    """A single AMI session: open() connects and logs in; events go to `on_event`, loss to `on_lost`."""

    def __init__(self, *, on_event: Callable[[Message], None], on_lost: Callable[[object], None],
                 encoding: str = "utf-8") -> None:
        super().__init__(protocol_factory=HotlineAmiProtocol, encoding=encoding, ping_delay=3600)
        self._on_event = on_event
        self._on_lost = on_lost

    @property
    def connected(self) -> bool:
        """Whether the session is up and logged in."""
        return self._connected and self.authenticated and self.protocol is not None \
            and not self.protocol.closed

    async def open(self, host: str, port: int, username: str, secret: str, limit: float) -> None:
        """Connect and log in; raise AmiError (or OSError) when either fails."""
        self.loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(limit):
                transport, protocol = await self.loop.create_connection(HotlineAmiProtocol, host, port)
        except TimeoutError as err:
            raise AmiTimeout(f"connecting to AMI at {host}:{port} timed out", action="connect") from err
        ready = self.loop.create_future()
        ready.set_result((transport, protocol))
        self.connection_made(ready)  # panoramisk's wiring of the protocol (no login: no username in config)
        reply = await self.request({"Action": "Login", "Username": username, "Secret": secret,
                                    "Events": "on"}, limit, require_login=False)
        self.authenticated = True
        log.info("AMI logged in at %s:%s (protocol %s): %s", host, port, protocol.version,
                 reply.get("Message", ""))

    async def request(self, fields: dict, limit: float, *, as_list: bool | None = None,
                      require_login: bool = True):
        """Send an action and wait for its response(s); translate every failure into AmiError."""
        name = str(fields.get("Action", ""))
        if self.protocol is None or self.protocol.closed or (require_login and not self.connected):
            raise AmiNotConnected("not connected to Asterisk", action=name)
        klass = pm_actions.Command if "Command" in fields and name.lower() == "command" else pm_actions.Action
        action = klass(dict(fields), as_list=as_list)
        future = self.protocol.send(action, as_list=as_list)
        try:
            async with asyncio.timeout(limit):  # unlike wait_for, never swallows an outer cancel
                reply = await future
        except TimeoutError as err:
            self._forget(action)
            raise AmiTimeout(f"{name} got no response in {limit:.1f} s", action=name) from err
        first = reply[0] if isinstance(reply, list) else reply
        if not first.success:
            error = AmiAuthError if name.lower() == "login" else AmiError
            raise error(f"{name} failed: {first.get('Message') or first.get('Response')}", action=name)
        return reply

    def _forget(self, action) -> None:
        responses = getattr(self.protocol, "responses", {})
        responses.pop(action.id, None)
        if action.action_id:
            responses.pop(action.action_id, None)

    def abort(self) -> None:
        """Drop the connection at once (liveness check failed)."""
        if self.protocol is not None and not self.protocol.closed:
            self.protocol.transport.abort()

    # --- panoramisk hooks, turned into ours ---------------------------------------------------------
    def dispatch(self, event: Message) -> list:
        """Hand every event to the bridge (one callback, no pattern matching)."""
        event.manager = self
        self._on_event(event)
        return []

    def ping(self) -> None:
        """Disable panoramisk's unchecked ping: the bridge runs its own liveness check."""

    def connection_lost(self, exc) -> None:
        """Report the loss to the bridge instead of reconnecting behind its back."""
        was_connected = self._connected
        self._connected = False
        self.authenticated = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        if was_connected:
            self._on_lost(exc)

    def close(self) -> None:
        """Close the session without reconnecting."""
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        if self.protocol is not None:
            self.protocol.close()
        if self._connected:
            self.connection_lost(None)
