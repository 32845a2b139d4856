"""The AGI wire protocol: send one command line, read and parse its reply, notice hang-ups.

panoramisk's `Request.send_command` drops the `(timeout)` marker of GET DATA, chokes on a closed
socket and cannot tell a dead channel from other errors, so replies are parsed here.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

REPLY = re.compile(r"^(?P<code>\d{3})(?P<sep>[ -])(?P<rest>.*)$")
RESULT = re.compile(r"^result=(?P<result>\S*)\s*(?:\((?P<data>[^)]*)\))?\s*(?P<extra>.*)$")


class AgiError(RuntimeError):
    """Asterisk refused a command or answered something unreadable."""


class AgiHangup(AgiError):
    """The caller hung up, or the AGI connection closed."""


@dataclass(frozen=True)
class AgiReply:
    """A parsed `200 result=...` reply."""

    result: str
    data: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def timed_out(self) -> bool:
        """Whether the reply is marked `(timeout)`."""
        return self.data == "timeout"


def parse_reply(line: str) -> AgiReply:
    """Parse one reply line; raise AgiHangup for a dead channel, AgiError for other failures."""
    match = REPLY.match(line)
    if match is None:
        raise AgiError(f"unreadable AGI reply {line!r}")
    code, rest = match.group("code"), match.group("rest")
    if code == "511":
        raise AgiHangup(f"channel is gone: {rest}")
    if code != "200":
        raise AgiError(f"AGI error {code}: {rest}")
    result = RESULT.match(rest)
    if result is None:
        raise AgiError(f"unreadable AGI result {line!r}")
    extra = dict(re.findall(r"(\w+)=(\S+)", result.group("extra") or ""))
    return AgiReply(result.group("result"), result.group("data") or "", extra)


def parse_headers(block: bytes, encoding: str = "utf-8") -> dict[str, str]:
    """Parse the `agi_name: value` header block Asterisk sends first."""
    headers = {}
    for line in block.decode(encoding, "replace").splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            headers[name.strip()] = value.strip()
    return headers


class AgiChannel:
    """One FastAGI connection: commands out, replies in, with the time of each round trip kept."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 headers: dict[str, str], encoding: str = "utf-8") -> None:
        self.reader, self.writer, self.headers, self.encoding = reader, writer, headers, encoding
        self.hung_up = False
        self.round_trips: list[float] = []  # seconds, for commands that answer at once

    async def send(self, command: str, *, quick: bool = True) -> AgiReply:
        """Send a command and return its reply; `quick` commands have their round trip timed."""
        if self.writer.is_closing():
            raise AgiHangup("AGI connection closed")
        started = time.perf_counter()
        try:
            self.writer.write(command.encode(self.encoding) + b"\n")
            await self.writer.drain()
            reply = await self._read_reply()
        except (ConnectionError, asyncio.IncompleteReadError) as err:
            raise AgiHangup(f"AGI connection lost: {err}") from err
        if quick:
            self.round_trips.append(time.perf_counter() - started)
        return reply

    async def _read_reply(self) -> AgiReply:
        while True:
            raw = await self.reader.readline()
            if not raw:
                raise AgiHangup("AGI connection closed by Asterisk")
            line = raw.decode(self.encoding, "replace").rstrip("\r\n")
            if line == "HANGUP":  # SIGHUP notice; the command's own reply still follows
                self.hung_up = True
                continue
            if line.startswith("100 "):
                continue
            if line.startswith("520-"):
                await self._skip_usage()
                raise AgiError(f"AGI usage error: {line[4:]}")
            return parse_reply(line)

    async def _skip_usage(self) -> None:
        while True:
            raw = await self.reader.readline()
            if not raw or raw.startswith(b"520 "):
                return

    async def close(self) -> None:
        """Close the connection; Asterisk continues the dial plan."""
        self.writer.close()
        try:
            await self.writer.wait_closed()
        except (ConnectionError, OSError):
            log.debug("AGI socket already closed")
