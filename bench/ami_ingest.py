"""AMI ingest: events per second through the bridge onto the bus, against a bare panoramisk Manager.

Run: .venv/bin/python -m bench.ami_ingest [--calls 2000] [--rounds 3] [--redis URL]
A recorded AMI conversation (tests/ivr/ami/data/queue_call.ami: a real queue call on our Asterisk) is
repeated CALLS times with fresh Uniqueid/Linkedid values and replayed over TCP by a tiny asyncio server
speaking AMI on loopback. The baseline is a bare panoramisk Manager whose only callback counts
events; the bridge parses, runs its handlers, tracks calls and publishes typed events on the bus
(in-process by default, Redis with --redis). Both read the same bytes in the same run, alternating.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from panoramisk import Manager

from ivr.ami.bridge import AmiBridge
from ticketing.bus import create_bus

RECORDED = Path(__file__).resolve().parent.parent / "tests" / "ivr" / "ami" / "data" / "queue_call.ami"
END_MARKER = "Event: UserEvent\r\nUserEvent: BenchEnd\r\n\r\n"
EMPTY_LIST = "Response: Success\r\nEventList: start\r\nActionID: {id}\r\n\r\n" \
             "Event: {name}Complete\r\nEventList: Complete\r\nActionID: {id}\r\n\r\n"


def recorded_events() -> list[str]:
    """Return the recording's event blocks (responses and FullyBooted dropped)."""
    blocks = RECORDED.read_bytes().decode("utf-8").split("\r\n\r\n")
    return [b for b in blocks if b.startswith("Event:") and "FullyBooted" not in b]


def build_stream(calls: int) -> tuple[bytes, int]:
    """Return CALLS copies of the recorded call with unique ids, and the number of events in it."""
    events = recorded_events()
    ids = sorted({line.split(": ", 1)[1] for b in events for line in b.split("\r\n")
                  if line.startswith(("Uniqueid: ", "Linkedid: "))})
    parts = []
    for n in range(calls):
        text = "\r\n\r\n".join(events) + "\r\n\r\n"
        for old in ids:
            text = text.replace(old, f"{old}-{n}")
        parts.append(text)
    return ("".join(parts) + END_MARKER).encode(), len(events) * calls + 1


class ReplayServer:
    """Speak just enough AMI: banner, Login, empty lists for reconciliation, Pong; then the stream."""

    def __init__(self, stream: bytes) -> None:
        self.stream = stream
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Asterisk Call Manager/11.0.0\r\n")
        try:
            while block := await reader.readuntil(b"\r\n\r\n"):
                fields = dict(line.split(": ", 1) for line in block.decode().split("\r\n") if ": " in line)
                await self._answer(writer, fields)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, fields: dict[str, str]) -> None:
        action, action_id = fields.get("Action", ""), fields.get("ActionID", "")
        if action == "Login":
            writer.write(f"Response: Success\r\nActionID: {action_id}\r\nMessage: Authentication accepted"
                         "\r\n\r\n".encode())
            for start in range(0, len(self.stream), 65536):
                writer.write(self.stream[start:start + 65536])
                await writer.drain()
        elif action in ("CoreShowChannels", "QueueStatus", "QueueSummary"):
            writer.write(EMPTY_LIST.format(id=action_id, name=action).encode())
        else:
            writer.write(f"Response: Success\r\nActionID: {action_id}\r\nPing: Pong\r\n\r\n".encode())


async def run_bare(port: int) -> float:
    """Return seconds a bare panoramisk Manager takes to receive the whole stream."""
    done = asyncio.get_running_loop().create_future()
    count = 0

    def on_event(_manager, message) -> None:
        nonlocal count
        count += 1
        if message.get("UserEvent") == "BenchEnd" and not done.done():
            done.set_result(time.perf_counter())

    manager = Manager(host="127.0.0.1", port=port, username="bench", secret="bench", ping_delay=3600)
    manager.register_event("*", on_event)
    started = time.perf_counter()
    manager.connect()
    finished = await asyncio.wait_for(done, 120)
    manager.close()
    return finished - started


async def run_bridge(port: int, redis_url: str | None) -> tuple[float, int]:
    """Return seconds the bridge takes to ingest the stream and publish its events, and how many."""
    bus = create_bus(redis_url)
    await bus.start()
    bridge = AmiBridge(bus, host="127.0.0.1", port=port, username="bench", secret="bench", ping_interval=3600)
    done = asyncio.get_running_loop().create_future()
    handle = bridge._on_event  # instrumentation only: see when the end marker went through the handlers

    def on_event(message) -> None:
        handle(message)
        if message.get("UserEvent") == "BenchEnd" and not done.done():
            done.set_result(None)

    bridge._on_event = on_event
    started = time.perf_counter()
    await bridge.start()
    await asyncio.wait_for(done, 120)
    await bridge.notifier.flush(120)
    elapsed = time.perf_counter() - started
    published = bridge.notifier.published
    await bridge.stop()
    await bus.close()
    return elapsed, published


async def main(calls: int, rounds: int, redis_url: str | None) -> None:
    stream, events = build_stream(calls)
    server = ReplayServer(stream)
    port = await server.start()
    bare, bridged, published = [], [], 0
    for _ in range(rounds):
        bare.append(await run_bare(port))
        seconds, published = await run_bridge(port, redis_url)
        bridged.append(seconds)
    await server.close()
    bare_rate = events / statistics.median(bare)
    bridge_rate = events / statistics.median(bridged)
    bus = "Redis" if redis_url else "in-process"
    print(f"AMI ingest: {events} AMI events ({calls} recorded queue calls, {len(stream) / 1e6:.1f} MB), "
          f"median of {rounds} rounds")
    print(f"  bare panoramisk Manager (count only): {bare_rate:10.0f} AMI events/s")
    print(f"  bridge -> {bus} bus:            {bridge_rate:10.0f} AMI events/s "
          f"({published} telephony events published, {published / statistics.median(bridged):.0f}/s)")
    print(f"  ratio bridge / bare: {bridge_rate / bare_rate:.2f}x (goal >= 0.5x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="copies of the recorded call")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--redis", default=None, help="publish to this Redis URL instead of in-process")
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.rounds, args.redis))
