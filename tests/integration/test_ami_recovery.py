"""The bridge recovers from AMI outages and Asterisk restarts without losing or leaving calls.

An outage is made with a small TCP proxy between the bridge and Asterisk's AMI, which the test can
cut and restore (Asterisk itself stays up and keeps handling calls meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest

from ivr.ami.bridge import AmiBridge
from ticketing.bus import Streams
from ticketing.bus.contract import LOST_DURING_OUTAGE

pytestmark = pytest.mark.asterisk


class AmiProxy:
    """Forward 127.0.0.1:<port> to Asterisk's AMI; cut() drops every connection and refuses new ones."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, up_writer}
        await asyncio.gather(_copy(reader, up_writer), _copy(up_reader, writer), return_exceptions=True)


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


async def hold_call(bridge: AmiBridge) -> str:
    """Place a call that stays up for two minutes; return its Linkedid."""
    linkedid = uuid.uuid4().hex
    await bridge.actions.originate("Local/hold@hotline-test/n", application="Wait", data="120",
                                   variables={"TEST_HOLD": "120"}, channel_id=linkedid)
    return linkedid


def kind_of(kind: str, linkedid: str):
    return lambda env: env.type == kind and env.key == linkedid


async def test_reconcile_after_an_ami_outage(asterisk, bus, wait_for_event):
    asterisk.start()
    proxy = AmiProxy((asterisk.address, 5038))
    await proxy.start()
    bridge = AmiBridge.from_settings(asterisk.settings(ami_host="127.0.0.1", ami_port=proxy.port), bus)
    await bridge.start()
    try:
        await bridge.wait_connected(10)
        ended_during_outage = await hold_call(bridge)
        started = await wait_for_event(bus, Streams.CALLS, kind_of("call.started", ended_during_outage))
        await proxy.cut()
        await asyncio.to_thread(asterisk.cli, f"channel request hangup {started.data['channel']}")
        await asyncio.to_thread(asterisk.cli,
                                "channel originate Local/hold@hotline-test/n application Wait 120")
        await proxy.start()  # the network is back: the bridge reconnects and reconciles
        ended = await wait_for_event(bus, Streams.CALLS, kind_of("call.ended", ended_during_outage),
                                     within=20)
        assert ended.data["cause"] == LOST_DURING_OUTAGE and ended.data["reconciled"]
        # Calls other tests left on the shared Asterisk are reconciled too: wait for this test's own.
        new = await wait_for_event(bus, Streams.CALLS,
                                   lambda e: e.type == "call.started" and e.data["reconciled"]
                                   and e.data["channel"].startswith("Local/hold@hotline-test"))
        assert new.data["channel"].startswith("Local/hold@hotline-test")
        await asyncio.to_thread(asterisk.cli, "channel request hangup all")
        await wait_for_event(bus, Streams.CALLS, kind_of("call.ended", new.key))
        assert bridge.connects == 2
        # "hangup all" also ends calls other tests left behind; their Hangup events may follow this one's.
        deadline = time.monotonic() + 10
        while bridge.ctx.registry.calls and time.monotonic() < deadline:  # noqa: ASYNC110 - a dict
            await asyncio.sleep(0.1)
        left = bridge.ctx.registry.calls
        seen = [(e.type, e.key, e.data.get("channel")) for e in await bus.read_all(Streams.CALLS)
                if e.key in left]
        assert left == {}, f"open after hangup all: {left}; their events: {seen}; this test's: {new.key}"
    finally:
        await bridge.stop()
        await proxy.cut()


@pytest.mark.parametrize("how", ["crash", "clean"])
async def test_asterisk_restart_during_ten_live_calls(asterisk, ami_bridge, bus, wait_for_event, how):
    linkedids = [await hold_call(ami_bridge) for _ in range(10)]
    for linkedid in linkedids:
        await wait_for_event(bus, Streams.CALLS, kind_of("call.started", linkedid))
    connects = ami_bridge.connects
    # crash: SIGKILL, no Hangup reaches the bridge; clean: `core stop now` hangs the calls up first
    await asyncio.to_thread(asterisk.kill if how == "crash" else asterisk.stop)
    await asyncio.to_thread(asterisk.start)
    for linkedid in linkedids:
        ended = await wait_for_event(bus, Streams.CALLS, kind_of("call.ended", linkedid), within=30)
        if how == "crash":
            assert ended.data["cause"] == LOST_DURING_OUTAGE
    deadline = time.monotonic() + 10  # clean: the calls ended before Asterisk stopped, the login may follow
    while ami_bridge.connects == connects and time.monotonic() < deadline:  # noqa: ASYNC110 - a counter
        await asyncio.sleep(0.1)
    assert ami_bridge.connects == connects + 1
    assert ami_bridge.ctx.registry.calls == {}
    ends = [e.key for e in await bus.read_all(Streams.CALLS) if e.type == "call.ended"]
    assert sorted(k for k in ends if k in linkedids) == sorted(linkedids)  # each ended exactly once
