"""Screen-pop latency: from the bridge's call.offered event to the pop arriving over each console's WebSocket.

Run: .venv/bin/python -m bench.screen_pop [--consoles 50] [--calls 500] [--rate 100]
Needs Redis (HOTLINE_TEST_REDIS_URL, default redis://127.0.0.1:6379/15). The console runs in a uvicorn
server thread with a throw-away SQLite database; 50 agents are logged in (sessions and presence written
directly) and connected. The publisher stamps each event's `at` as the bridge does; clients measure on
receipt. The baseline, run the same way side by side, is a bare relay: one Redis stream subscription and
a dict interface -> WebSocket, sending the event as it came (no presence, no call context, no history).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import tempfile
import threading
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import uvicorn
import websockets
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from agent_console import agent_state as sm
from agent_console.auth import session_id_for
from agent_console.config import ConsoleSettings
from agent_console.models import AgentPresenceRow
from ticketing.bus import Streams, create_bus
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.database.types import utcnow
from ticketing.dataset import load_dataset
from ticketing.seed import seed
from ticketing.user.models import ConsoleSession, User

REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BASELINE_STREAM = "bench.screen_pop.baseline"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_database(url: str, consoles: int) -> list[tuple[str, str]]:
    """Migrate, seed, and log in `consoles` available agents; return (cookie token, interface) per agent."""
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    agents = []
    with session_scope(factory) as session:
        seed(session, load_dataset(Settings().dataset_dir))
        for n in range(consoles):
            user = User(username=f"bench{n:03d}", display_name=f"坐席 {n}", role="agent", active=True)
            session.add(user)
            session.flush()
            token, interface = secrets.token_urlsafe(24), f"PJSIP/{2000 + n}"
            session.add(ConsoleSession(id=session_id_for(token), user_id=user.id, csrf_token="x",
                                       created_at=utcnow(), last_seen_at=utcnow(), data={},
                                       expires_at=utcnow().replace(year=2099)))
            presence = sm.Presence(interface=interface, member_name=user.display_name, queues=("general-zh",),
                                   state=sm.AgentState.AVAILABLE, since=utcnow())
            session.add(AgentPresenceRow(user_id=user.id, interface=interface, state="available",
                                         data=presence.to_json(), tab="", revision=1))
            agents.append((token, interface))
    engine.dispose()
    return agents


def console_app(url: str) -> FastAPI:
    """The hotline's API + console on a Redis bus, as `hotline serve` builds it (without telephony)."""
    from agent_console.app import mount
    from hotline.components import Services
    from ticketing.api import create_api

    settings = Settings(database_url=url, redis_url=REDIS_URL)
    engine = make_engine(url)
    services = Services(settings=settings, engine=engine, session_factory=make_session_factory(engine),
                        bus=create_bus(REDIS_URL))

    @asynccontextmanager
    async def lifespan(_app):
        await services.start()
        yield
        await services.stop()

    app = create_api(settings, session_factory=services.session_factory, bus=services.bus, lifespan=lifespan)
    mount(app, services, ConsoleSettings(command_timeout=1.0))
    return app


def baseline_app(interfaces: list[str]) -> FastAPI:
    """A bare relay: bus event -> the WebSocket registered for its interface, unchanged."""
    bus = create_bus(REDIS_URL)
    sockets: dict[str, WebSocket] = {}

    async def relay(envelope) -> None:
        ws = sockets.get(envelope.data.get("agent", ""))
        if ws is not None:
            await ws.send_text(json.dumps({"type": "pop", **envelope.data}, ensure_ascii=False))

    @asynccontextmanager
    async def lifespan(_app):
        bus.subscribe(BASELINE_STREAM, f"bench-{secrets.token_hex(4)}", relay, durable=False)
        await bus.start()
        yield
        await bus.close()

    app = FastAPI(lifespan=lifespan)

    @app.websocket("/ws")
    async def endpoint(websocket: WebSocket, agent: str) -> None:
        await websocket.accept()
        sockets[agent] = websocket
        await websocket.send_text(json.dumps({"type": "hello"}))
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            sockets.pop(agent, None)

    return app


def start_server(app: FastAPI) -> tuple[uvicorn.Server, int]:
    """Run an app in a uvicorn server on its own thread (its own event loop)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           ws="websockets-sansio"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, port


async def measure(urls: list[tuple[str, dict]], stream: str, interfaces: list[str], calls: int,
                  rate: float) -> list[float]:
    """Connect every client, publish `calls` offers round-robin, return the latencies in ms."""
    latencies: list[float] = []
    clients = [await websockets.connect(url, additional_headers=headers) for url, headers in urls]
    for client in clients:
        while json.loads(await client.recv())["type"] != "hello":
            pass
    done = asyncio.Event()

    async def listen(client) -> None:
        async for raw in client:
            message = json.loads(raw)
            if message.get("type") == "pop":
                sent = datetime.fromisoformat(message.get("offered_at") or message["at"])
                latencies.append((datetime.now(UTC) - sent).total_seconds() * 1000)
                if len(latencies) >= calls:
                    done.set()

    readers = [asyncio.create_task(listen(c)) for c in clients]
    bus = create_bus(REDIS_URL)
    run = secrets.token_hex(3)
    for n in range(calls):
        interface = interfaces[n % len(interfaces)]
        await bus.publish(stream, "call.offered", f"{run}-{n}", {
            "linkedid": f"{run}-{n}", "queue": "general-zh", "agent": interface, "agent_name": "",
            "agent_channel": f"{interface}-{n:08x}", "at": datetime.now(UTC).isoformat()})
        await asyncio.sleep(1 / rate)
    try:
        await asyncio.wait_for(done.wait(), 10)
    except TimeoutError:
        print(f"  warning: {calls - len(latencies)} pops missing")
    for task in readers:
        task.cancel()
    for client in clients:
        await client.close()
    await bus.close()
    return latencies


def figures(name: str, latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    p = {"p50": statistics.median(ordered), "p99": ordered[max(0, int(len(ordered) * 0.99) - 1)],
         "max": ordered[-1]}
    print(f"  {name:<22} n={len(ordered):4d}  p50 {p['p50']:6.1f} ms  p99 {p['p99']:6.1f} ms  "
          f"max {p['max']:6.1f} ms")
    return p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consoles", type=int, default=50)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="offers per second")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        agents = prepare_database(url, args.consoles)
        interfaces = [interface for _token, interface in agents]
        _console, console_port = start_server(console_app(url))
        _base, base_port = start_server(baseline_app(interfaces))
        console_urls = [(f"ws://127.0.0.1:{console_port}/console/ws?page=agent&tab=b{n}",
                         {"Cookie": f"hotline_console={token}"}) for n, (token, _i) in enumerate(agents)]
        base_urls = [(f"ws://127.0.0.1:{base_port}/ws?agent={interface}", {}) for interface in interfaces]
        print(f"screen pop, {args.consoles} consoles, {args.calls} offers at {args.rate:g}/s, Redis bus")
        base = figures("baseline relay", asyncio.run(measure(base_urls, BASELINE_STREAM, interfaces,
                                                             args.calls, args.rate)))
        pop = figures("console screen pop", asyncio.run(measure(console_urls, Streams.CALLS, interfaces,
                                                                args.calls, args.rate)))
        verdict = "met" if pop["p99"] < 100 else "NOT met"
        print(f"  ratio console/baseline: p50 x{pop['p50'] / base['p50']:.2f}, "
              f"p99 x{pop['p99'] / base['p99']:.2f}  (goal: console p99 < 100 ms: {verdict})")


if __name__ == "__main__":
    main()
