"""The AMI connection and bridge against a peer that misbehaves.

These use a tiny AMI-speaking asyncio server instead of Asterisk, on purpose: a real Asterisk cannot be
made to stop answering mid-session or to send broken lines on demand (the real-Asterisk behaviour is
covered in tests/integration/test_ami_*.py).
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from ivr.ami.actions import AmiActions
from ivr.ami.bridge import AmiBridge
from ivr.ami.connection import AmiConnection
from ivr.ami.errors import AmiAuthError, AmiNotConnected, AmiTimeout
from ticketing.bus import Streams, create_bus

NEWCHANNEL = ("Event: Newchannel\r\nChannel: Local/a;1\r\nUniqueid: U1\r\nLinkedid: U1\r\n"
              "CallerIDNum: 100\r\n\r\n")


class FakeAmi:
    """An AMI peer: answers Login (if `accept`), then answers Ping only while `answering`."""

    def __init__(self, *, accept: bool = True, replies: dict[str, str] | None = None) -> None:
        self.accept = accept
        self.answering = True
        self.logins = 0
        self.replies = replies or {}  # action -> response headers (recorded from Asterisk 22)
        self.received: list[dict] = []
        self.ignored: set[str] = set()  # actions left unanswered (Asterisk still loading its modules)
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeAmi:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *_exc) -> None:
        for writer in self.writers:
            writer.close()
        self.server.close()

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    def send(self, text: str) -> None:
        for writer in self.writers:
            writer.write(text.encode())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        try:
            while block := await reader.readuntil(b"\r\n\r\n"):
                lines = block.decode().split("\r\n")
                self._answer(writer, dict(line.split(": ", 1) for line in lines if ": " in line))
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    def _answer(self, writer: asyncio.StreamWriter, action: dict) -> None:
        reply_to = f"ActionID: {action.get('ActionID', '')}\r\n"
        self.received.append(action)
        if action.get("Action") in self.replies:
            writer.write(f"{self.replies[action['Action']]}\r\n{reply_to}\r\n".encode())
        elif action.get("Action") == "Login":
            self.logins += 1
            status = "Success\r\nMessage: Authentication accepted" if self.accept else \
                "Error\r\nMessage: Authentication failed"
            writer.write(f"Response: {status}\r\n{reply_to}\r\n".encode())
        elif action.get("Action") in self.ignored:
            return
        elif self.answering and action.get("Action") in ("Ping", "CoreShowChannels", "QueueStatus",
                                                         "QueueSummary"):
            if action["Action"] == "Ping":
                writer.write(f"Response: Success\r\nPing: Pong\r\n{reply_to}\r\n".encode())
            else:
                done = f"Event: {action['Action']}Complete\r\nEventList: Complete\r\n{reply_to}\r\n"
                writer.write(f"Response: Success\r\nEventList: start\r\n{reply_to}\r\n{done}".encode())


async def connect(fake: FakeAmi, events: list | None = None) -> AmiConnection:
    conn = AmiConnection(on_event=(events if events is not None else []).append, on_lost=lambda _e: None)
    await conn.open("127.0.0.1", fake.port, "hotline", "secret", limit=2)
    return conn


async def test_action_without_answer_times_out_and_is_forgotten():
    async with FakeAmi() as fake:
        conn = await connect(fake)
        fake.answering = False
        started = time.monotonic()
        with pytest.raises(AmiTimeout):
            await conn.request({"Action": "Ping"}, 0.3)
        assert time.monotonic() - started < 1.0
        assert conn.protocol.responses == {}
        conn.close()


# What Asterisk 22 answers to PlayDTMF and to an Originate without Async (recorded).
QUEUED_REPLIES = {"PlayDTMF": "Response: Success\r\nMessage: DTMF successfully queued",
                  "Originate": "Response: Success\r\nMessage: Originate successfully queued"}


@pytest.mark.parametrize("fields", [
    {"Action": "PlayDTMF", "Channel": "Local/x;2", "Digit": "1", "Receive": "true"},
    {"Action": "Originate", "Channel": "Local/hold@hotline-test/n", "Application": "Wait", "Data": "1"},
])
async def test_a_successfully_queued_reply_completes_actions_without_async(fields):
    # panoramisk guesses the reply's shape (as_list=None) from the action's Async field and used to
    # raise KeyError on its absence, leaving the action to time out.
    async with FakeAmi(replies=QUEUED_REPLIES) as fake:
        conn = await connect(fake)
        actions = AmiActions(lambda: conn, timeout=1.0)
        reply = await actions.send(dict(fields), as_list=None)
        assert reply.get("Message", "").endswith("successfully queued")
        assert fake.received[-1]["Async"] == "false"
        as_sent = await actions.send({**fields, "Async": "true"}, as_list=False)  # the caller's value wins
        assert as_sent.success and fake.received[-1]["Async"] == "true"
        conn.close()


async def test_refused_login_raises_auth_error():
    async with FakeAmi(accept=False) as fake:
        with pytest.raises(AmiAuthError):
            await connect(fake)


async def test_pending_action_fails_at_once_when_the_connection_drops():
    async with FakeAmi() as fake:
        conn = await connect(fake)
        fake.answering = False
        pending = asyncio.ensure_future(conn.request({"Action": "Ping"}, 5))
        await asyncio.sleep(0.05)
        conn.abort()
        with pytest.raises(AmiNotConnected):
            await pending
        with pytest.raises(AmiNotConnected):
            await conn.request({"Action": "Ping"}, 1)


async def test_broken_lines_are_logged_and_the_stream_goes_on(caplog):
    events: list = []
    async with FakeAmi() as fake:
        conn = await connect(fake, events)
        with caplog.at_level(logging.WARNING, logger="ivr.ami.connection"):
            fake.send("garbage without colon\r\nmore garbage\r\n\r\n\x00\xff\r\n\r\n" + NEWCHANNEL[:30])
            await asyncio.sleep(0.05)
            fake.send(NEWCHANNEL[30:])
            await asyncio.sleep(0.1)
        assert [e.get("Event") for e in events] == ["Newchannel"]
        assert events[0].get("CallerIDNum") == "100"
        assert "unparseable AMI message" in caplog.text
        conn.close()


async def test_bridge_reconnects_when_pings_go_unanswered():
    bus = create_bus(None)
    async with FakeAmi() as fake:
        bridge = AmiBridge(bus, host="127.0.0.1", port=fake.port, username="u", secret="s",
                           action_timeout=0.3, ping_interval=0.2, ping_timeout=0.2, reconnect_min=0.1,
                           reconnect_max=0.2)
        await bridge.start()
        await bridge.wait_connected(2)
        fake.answering = False
        deadline = time.monotonic() + 5
        while fake.logins < 2 and time.monotonic() < deadline:  # noqa: ASYNC110 - polling a counter
            await asyncio.sleep(0.05)
        fake.answering = True
        assert fake.logins >= 2  # the silent session was dropped and a new one logged in
        await bridge.wait_connected(2)
        await bridge.stop()


async def test_fully_booted_during_a_stuck_reconciliation_reconciles_again():
    # After a restart the bridge may log in before Asterisk has loaded app_queue: its first reconciliation
    # then waits in vain, and the FullyBooted arriving meanwhile must not be dropped.
    bus = create_bus(None)
    async with FakeAmi() as fake:
        fake.ignored.add("QueueSummary")
        bridge = AmiBridge(bus, host="127.0.0.1", port=fake.port, username="u", secret="s",
                           action_timeout=0.4, ping_interval=5, reconnect_min=0.1, reconnect_max=0.2)
        await bridge.start()
        await bridge.wait_connected(2)
        await asyncio.sleep(0.1)
        fake.send("Event: FullyBooted\r\nStatus: Fully Booted\r\n\r\n")
        fake.ignored.clear()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if sum(a.get("Action") == "QueueStatus" for a in fake.received) >= 1:
                break
            await asyncio.sleep(0.05)
        shows = sum(a.get("Action") == "CoreShowChannels" for a in fake.received)
        await bridge.stop()
    assert shows == 2  # on connect, and again for FullyBooted once the first gave up


async def test_bridge_keeps_retrying_while_asterisk_is_down():
    bus = create_bus(None)
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()  # nothing listens on `port` now
    bridge = AmiBridge(bus, host="127.0.0.1", port=port, username="u", secret="s", reconnect_min=0.05,
                       reconnect_max=0.1)
    await bridge.start()
    await asyncio.sleep(0.4)
    assert not bridge.connected.is_set()
    assert bridge._task is not None and not bridge._task.done()
    await bridge.stop()
    assert await bus.read_all(Streams.CALLS) == []
