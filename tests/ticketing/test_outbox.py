"""The transactional outbox and its relay, on SQLite and PostgreSQL, with the in-process bus.

The relay's behaviour against a real Redis that stops, restarts empty or hangs is in tests/faults/.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from ticketing import outbox
from ticketing.bus import Streams
from ticketing.bus.contract import CaseChanged, parse
from ticketing.bus.memory import MemoryBus
from ticketing.database.core import session_scope
from ticketing.outbox import Relay
from ticketing.outbox.models import OutboxEntry


class FlakyBus(MemoryBus):
    """The in-process bus, refusing to publish while `down` (a bus outage without Redis for unit tests)."""

    down = False

    async def _append_many(self, envelopes):
        if self.down:
            raise ConnectionError("bus down")
        return await super()._append_many(envelopes)


async def until(condition, within: float = 10.0) -> None:
    """Wait until condition() holds (polling), or fail after `within` seconds."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


def changed(n: int) -> CaseChanged:
    return CaseChanged(number=f"FT{n:04d}", action="note", actor="t", status="new")


def stage(session_factory, count: int, *, start: int = 0) -> None:
    with session_scope(session_factory) as session:
        outbox.add(session, *(changed(n) for n in range(start, start + count)))


def test_staged_events_go_out_in_order_once_and_rolled_back_ones_never(session_factory):
    stage(session_factory, 3)
    try:
        with session_scope(session_factory) as session:
            outbox.add(session, changed(99))
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    bus = MemoryBus()

    async def run() -> tuple[int, int]:
        relay = Relay(session_factory, bus)
        return await relay.drain(), await relay.drain()

    assert asyncio.run(run()) == (3, 0)
    entries = asyncio.run(bus.read_all(Streams.CASES))
    assert [parse(e).number for e in entries] == ["FT0000", "FT0001", "FT0002"]
    with session_scope(session_factory) as session:
        rows = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        assert [r.event_id for r in rows] == [e.id for e in entries]  # consumers de-duplicate by it
        assert all(r.sent_at is not None and r.attempts == 1 for r in rows)


def test_a_bus_outage_delays_events_and_the_relay_reports_it(session_factory):
    bus = FlakyBus()
    bus.down = True
    stage(session_factory, 5)

    async def run() -> None:
        relay = Relay(session_factory, bus, idle=0.05, retry_max=0.1)
        await relay.start()
        try:
            await until(lambda: relay.failing_since is not None and relay.backlog == 5)
            health = relay.health()
            assert health.running and health.backlog == 5 and "bus down" in health.detail
            bus.down = False
            stage(session_factory, 2, start=5)  # committed while down; goes out behind the first five
            await until(lambda: relay.published >= 7, within=20)
            assert relay.health().healthy and relay.failing_since is None
        finally:
            await relay.stop()

    asyncio.run(run())
    entries = asyncio.run(bus.read_all(Streams.CASES))
    assert [parse(e).number for e in entries] == [f"FT{n:04d}" for n in range(7)]
    with session_scope(session_factory) as session:
        rows = session.scalars(select(OutboxEntry)).all()
        assert all(r.sent_at is not None for r in rows) and max(r.attempts for r in rows) > 1


def test_several_relays_publish_each_event_once(session_factory):
    stage(session_factory, 300)
    bus = MemoryBus()

    async def run() -> list[int]:
        relays = [Relay(session_factory, bus, batch=20) for _ in range(4)]
        return await asyncio.gather(*(r.drain() for r in relays))

    counts = asyncio.run(run())
    entries = asyncio.run(bus.read_all(Streams.CASES))
    assert sum(counts) == len(entries) == 300
    assert len({e.id for e in entries}) == 300
    assert sorted(parse(e).number for e in entries) == [f"FT{n:04d}" for n in range(300)]


def test_a_commit_wakes_the_relay(session_factory):
    bus = MemoryBus()

    async def run() -> float:
        relay = Relay(session_factory, bus, idle=30)  # only the commit hook can wake it in time
        await relay.start()
        try:
            await asyncio.sleep(0.1)
            loop = asyncio.get_running_loop()
            started = loop.time()
            await asyncio.to_thread(stage, session_factory, 1)
            await until(lambda: relay.published >= 1, within=10)
            return loop.time() - started
        finally:
            await relay.stop()

    assert asyncio.run(run()) < 10
