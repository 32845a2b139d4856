"""The FastAGI server: one panoramisk Application whose routes are the menu files, run as a component.

The dial plan calls `AGI(agi://HOST:PORT/<menu name>)`. An unknown script name, a crash inside a
session or a malformed request ends that call politely and never the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from pathlib import Path

from panoramisk.fast_agi import Application

from ivr.agi.machine import Machine
from ivr.agi.menu import Menu
from ivr.agi.protocol import AgiChannel, AgiError, AgiHangup, parse_headers
from ivr.agi.services import IvrServices
from ivr.agi.session import CallSession, RecordingPlaces
from ticketing.bus import Bus

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0
HEADER_LIMIT = 64 * 1024
SORRY = 'EXEC Playback "im-sorry&goodbye"'  # core sounds: needs no prompt of ours
ROUND_TRIPS_KEPT = 200_000


class IvrApplication(Application):
    """panoramisk's FastAGI application with robust header reading and a polite end for unknown scripts."""

    def __init__(self) -> None:
        super().__init__(loop=asyncio.get_running_loop())
        self.round_trips: deque[float] = deque(maxlen=ROUND_TRIPS_KEPT)
        self.completed = 0
        self.failed = 0

    async def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one AGI connection from its header block to its close."""
        channel = None
        try:
            block = await asyncio.wait_for(reader.readuntil(b"\n\n"), HEADER_TIMEOUT)
            channel = AgiChannel(reader, writer, parse_headers(block), self.default_encoding)
            await self._dispatch(channel)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as err:
            log.error("malformed FastAGI request from %s: %s", writer.get_extra_info("peername"), err)
        finally:
            if channel is not None:
                self.round_trips.extend(channel.round_trips)
            writer.close()

    async def _dispatch(self, channel: AgiChannel) -> None:
        script = channel.headers.get("agi_network_script", "").split("?", 1)[0].strip("/")
        endpoint = self._route.get(script)
        if endpoint is None:
            log.error("AGI request for unknown script %r (known: %s); ending the call politely",
                      script, ", ".join(sorted(self._route)) or "none")
            await _end_politely(channel)
            self.failed += 1
            return
        try:
            await endpoint(channel)
            self.completed += 1
        except AgiHangup as err:
            log.info("call %s hung up: %s", channel.headers.get("agi_uniqueid"), err)
            self.completed += 1
        except Exception:
            log.exception("IVR session for %r failed; ending the call politely", script)
            self.failed += 1
            await _end_politely(channel)


async def _end_politely(channel: AgiChannel) -> None:
    try:
        await channel.send(SORRY, quick=False)
        await channel.send("HANGUP")
    except AgiError as err:
        log.debug("could not end the call politely: %s", err)


class IvrServer:
    """Component running the FastAGI server for a set of menus."""

    name = "ivr-fastagi"

    def __init__(self, menus: dict[str, Menu], services: IvrServices, bus: Bus, recordings: RecordingPlaces,
                 *, host: str = "127.0.0.1", port: int = 4573, queue_in_dialplan: bool = True,
                 before_start: Callable[[], None] | None = None, server: str = "default") -> None:
        self.menus, self.services, self.bus, self.recordings = menus, services, bus, recordings
        self.host, self.port, self.queue_in_dialplan = host, port, queue_in_dialplan
        # The Asterisk server whose calls this IVR answers (the AMI bridge's name for it, in one process):
        # its steps say so, so the bridge's reconciliation can close a call it never saw (AMI was down).
        self.server = server
        self.before_start = before_start  # blocking preparation (e.g. building prompts), run in a thread
        self.app: IvrApplication | None = None
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Listen for FastAGI connections; one route per menu."""
        if self.before_start is not None:
            await asyncio.to_thread(self.before_start)
        self.app = IvrApplication()
        for name, menu in self.menus.items():
            self.app.add_route(name, self._endpoint(menu, None))
            for entry in menu.entries:
                self.app.add_route(entry, self._endpoint(menu, entry))
        # reuse_port: several `hotline serve` workers share the AGI port; the kernel spreads the calls.
        self._server = await asyncio.start_server(self.app.handler, self.host, self.port, limit=HEADER_LIMIT,
                                                  reuse_port=True)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("FastAGI IVR listening on %s:%s with menus %s", self.host, self.port, ", ".join(self.menus))

    def _endpoint(self, menu: Menu, entry: str | None):
        machine = Machine(menu, self.services.case_prefix)

        async def serve_call(channel: AgiChannel) -> None:
            session = CallSession(channel, machine, self.services, self.bus, self.recordings, entry=entry,
                                  queue_in_dialplan=self.queue_in_dialplan, server=self.server)
            await session.run()

        return serve_call

    async def stop(self) -> None:
        """Stop accepting calls; calls in progress end when their sockets close."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


def load_menus(directory: Path) -> dict[str, Menu]:
    """Load every *.yaml menu of a directory, keyed by file name (the AGI script name)."""
    from ivr.agi.menu import load_menu

    return {path.stem: load_menu(path) for path in sorted(Path(directory).glob("*.yaml"))}
