"""Asterisk restarts during 20 live calls: the bridge reconnects, each call record closes, new calls work.

The session's Asterisk runs 20 calls that would stay up for two minutes; the AMI bridge (on a private Redis,
as in `hotline serve`) and the call recorder (on a private database) follow them. Asterisk is then killed
(SIGKILL: no Hangup reaches anyone, as in a crash) or stopped cleanly, and started again. Exact counts:
one call.ended per call (lost ones with the reconciliation's cause), 20 closed call records and nothing
left open, one new AMI login, and calls placed afterwards are recorded from start to end.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from ivr.ami.bridge import AmiBridge
from ivr.recorder import CallRecorder
from tests.ticketing.conftest import private_postgres_database
from ticketing.bus import Streams, create_bus
from ticketing.bus import contract as ct
from ticketing.call.models import Call
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.faults, pytest.mark.timeout(300)]
LIVE = 20


@pytest.fixture
def database(postgres_url):
    with private_postgres_database(postgres_url, "hotline_asterisk_faults") as url:
        upgrade(url)
        engine = make_engine(url)
        yield make_session_factory(engine)
        engine.dispose()


async def place(bridge: AmiBridge, hold: int) -> str:
    """Place a call that stays up `hold` seconds; return its Linkedid."""
    linkedid = f"fault-{uuid.uuid4().hex[:12]}"
    await bridge.actions.originate("Local/hold@hotline-test/n", application="Wait", data=str(hold),
                                   variables={"TEST_HOLD": str(hold)}, channel_id=linkedid)
    return linkedid


def records(factory, linkedids) -> dict[str, tuple[str, str | None]]:
    with session_scope(factory) as session:
        rows = session.execute(select(Call.linkedid, Call.status, Call.hangup_cause)
                               .where(Call.linkedid.in_(list(linkedids)))).all()
    return {linkedid: (status, cause) for linkedid, status, cause in rows}


async def until(predicate, within: float, what: str) -> None:
    """Poll a (database) predicate until it holds; fail with `what` after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await asyncio.to_thread(predicate):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("how", ["crash", "clean"])
async def test_asterisk_restart_during_twenty_live_calls(asterisk, private_redis, database, how):
    asterisk.start()  # a previous test may have stopped it
    await asyncio.to_thread(asterisk.cli, "channel request hangup all")  # calls other tests left behind
    bus = create_bus(private_redis.url)
    bridge = AmiBridge.from_settings(asterisk.settings(), bus)
    recorder = CallRecorder(bus, database)
    await bridge.start()
    await recorder.start()
    await bus.start()
    try:
        await bridge.wait_connected(15)
        live = [await place(bridge, 120) for _ in range(LIVE)]
        await until(lambda: len(records(database, live)) == LIVE, 30, "every call has a record")
        connects = bridge.connects
        # crash: SIGKILL, no Hangup reaches the bridge; clean: `core stop now` hangs the calls up first
        await asyncio.to_thread(asterisk.kill if how == "crash" else asterisk.stop)
        await asyncio.to_thread(asterisk.start)
        await bridge.wait_connected(30)

        def all_closed() -> bool:
            return all(status == "ended" for status, _cause in records(database, live).values())

        await until(all_closed, 60, "every call record closed")
        ends = [ct.parse(e) for e in await bus.read_all(Streams.CALLS) if e.type == "call.ended"]
        ended = [e for e in ends if e.linkedid in live]
        assert sorted(e.linkedid for e in ended) == sorted(live), "each call ended exactly once"
        if how == "crash":
            assert {e.cause for e in ended} == {ct.LOST_DURING_OUTAGE}
        closed = records(database, live)
        assert len(closed) == LIVE and {status for status, _ in closed.values()} == {"ended"}
        async with asyncio.timeout(15):
            while bridge.connects == connects:  # noqa: ASYNC110 - a counter
                await asyncio.sleep(0.1)
        assert bridge.connects == connects + 1 and bridge.ctx.registry.calls == {}

        fresh = [await place(bridge, 2) for _ in range(3)]
        await until(lambda: {s for s, _ in records(database, fresh).values()} == {"ended"}
                    and len(records(database, fresh)) == 3, 30, "calls after the restart are recorded")
        with session_scope(database) as session:
            still_open = session.scalars(select(Call.linkedid).where(Call.status != "ended")).all()
        assert still_open == []
        causes = sorted({str(cause) for _, cause in closed.values()})
        print(f"\n{how}: {LIVE} live calls, {len(ended)} call.ended, {len(closed)} records closed "
              f"(cause {causes}); 3 calls after the restart recorded")
    finally:
        await bridge.stop()
        await bus.close()
        await asyncio.to_thread(asterisk.start)
