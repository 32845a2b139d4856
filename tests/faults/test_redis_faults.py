"""Redis fails while 20 clients file cases over HTTP: nothing acknowledged is lost, nothing is doubled.

A private redis-server is shut down for a while (data saved), killed and restarted empty, and frozen
(SIGSTOP) while the clients post cases to the real API (uvicorn, PostgreSQL, outbox relay). An independent
reader (its own RedisBus and consumer group, de-duplicating by event id as every consumer does) must end
up with exactly one case.created per case in the database, and every acknowledged case must be there once.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import func, select

from tests.agent_console.support import serve  # noqa: F401 - fixture found by name
from ticketing.api import create_api
from ticketing.bus import Envelope, Streams, create_bus
from ticketing.bus.contract import CaseCreated, parse
from ticketing.case.models import Case
from ticketing.config import Settings
from ticketing.database.core import session_scope
from ticketing.outbox import Relay

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.faults]
CLIENTS = 20
OUTAGE = 5.0  # seconds of each fault (the 10 s, halved to keep the suite short)
BODY = {"description": "小区门口路灯坏了一个星期，晚上很黑", "street": "futian",
        "caller_phone": "13800138000"}


class Reader:
    """An independent consumer of hotline.cases: counts deliveries and distinct events."""

    def __init__(self, url: str) -> None:
        self.bus = create_bus(url)
        self.deliveries = 0  # after the bus's de-duplication by event id
        self.created: dict[str, str] = {}  # case number -> event id
        self.doubled: list[str] = []  # cases announced by two different events

    async def handle(self, envelope: Envelope) -> None:
        self.deliveries += 1
        event = parse(envelope)
        if not isinstance(event, CaseCreated):
            return
        if self.created.setdefault(event.number, envelope.id) != envelope.id:
            self.doubled.append(event.number)

    async def start(self) -> None:
        self.bus.subscribe(Streams.CASES, "fault-reader", self.handle)
        await self.bus.start()


async def file_cases(base: str, token: str, stop: asyncio.Event) -> tuple[list[str], list[int], float]:
    """Post cases from CLIENTS workers until `stop`; return numbers acknowledged, refusals, worst latency."""
    numbers, refused, worst = [], [], 0.0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                 timeout=60) as client:

        async def worker() -> None:
            nonlocal worst
            while not stop.is_set():
                started = time.monotonic()
                response = await client.post("/api/v1/cases", json=BODY)
                worst = max(worst, time.monotonic() - started)
                if response.status_code == 201:
                    numbers.append(response.json()["number"])
                else:
                    refused.append(response.status_code)

        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return numbers, refused, worst


async def test_cases_survive_redis_stopped_emptied_and_hung(private_redis, seeded_database, serve):  # noqa: F811
    url, factory, token = seeded_database
    bus = create_bus(private_redis.url)
    relay = Relay(factory, bus, idle=0.2)

    @asynccontextmanager
    async def lifespan(_app):
        await bus.start()
        await relay.start()
        yield
        await relay.stop()
        await bus.close()

    app = create_api(Settings(database_url=url), session_factory=factory, bus=bus, lifespan=lifespan)
    base = await serve(app)
    reader = Reader(private_redis.url)
    await reader.start()
    stop = asyncio.Event()
    load = asyncio.create_task(file_cases(base, token, stop))
    faults = [("stopped (data kept)", private_redis.stop, private_redis.start),
              ("killed, restarted empty", private_redis.kill, private_redis.start),
              ("hung (SIGSTOP)", private_redis.hang, private_redis.resume)]
    for _name, fail, recover in faults:
        await asyncio.sleep(1.5)
        await asyncio.to_thread(fail)
        await asyncio.sleep(OUTAGE)
        await asyncio.to_thread(recover)
    await asyncio.sleep(1.5)
    stop.set()
    numbers, refused, worst = await load

    with session_scope(factory) as session:
        stored = session.scalars(select(Case.number)).all()
        backlog_rows = session.scalar(select(func.count()).select_from(Case))
    assert refused == [], "a bus outage never fails a request"
    assert sorted(stored) == sorted(numbers) and len(set(numbers)) == len(numbers) == backlog_rows
    async with asyncio.timeout(90):
        while True:
            if set(reader.created) == set(numbers):
                break
            await asyncio.sleep(0.2)
    print(f"\n{len(numbers)} cases acknowledged and stored; the reader got {len(reader.created)} distinct "
          f"case.created ({reader.deliveries} events handled); the relay published "
          f"{relay.replayed} again after Redis came back empty; slowest request {worst:.2f} s")
    assert len(reader.created) == len(numbers) and reader.doubled == []
    assert relay.replayed > 0, "the empty restart was noticed and recent events were published again"
    await reader.bus.close()
