"""PostgreSQL stops for 10 s while residents leave messages in the IVR: every call is answered to the end.

A private PostgreSQL (tests/ticketing/private_postgres.py, never the shared server) holds the hotline's data;
the session's Asterisk, the AMI bridge, the FastAGI IVR, the call recorder and the outbox relay run in this
process on a private Redis, as `hotline serve` would. Residents call after hours and leave
a message (four residents, staggered, so messages end all through the outage); in the middle PostgreSQL is
stopped (immediate shutdown: every connection cut, crash recovery at the restart) for 10 s.

Exact counts afterwards: every call was answered and walked to a goodbye (none dropped); every message
became a case whose number the IVR read out (saving a message waits for the database: found here, when
three of ten residents were told their message could not be kept); each such case is stored once, and
nothing else is; every call has one closed call record; every
case's case.created reached an independent reader exactly once.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import select

from ivr.agi import prompts
from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock, usable_menus
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.ami.bridge import AmiBridge
from ivr.recorder import CallRecorder
from ivr.testcall import BusSteps, TestCaller, ensure_message_audio, parse_moves
from tests.faults.test_redis_faults import Reader
from tests.ticketing.private_postgres import PrivatePostgres
from ticketing.bureau.seed import sync_dataset
from ticketing.bus import create_bus
from ticketing.call.models import Call
from ticketing.case.models import Case
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.dataset import load_dataset
from ticketing.outbox import Relay

pytestmark = [pytest.mark.asterisk, pytest.mark.faults, pytest.mark.timeout(400)]

ROOT = Path(__file__).parents[2]
PROMPT_CACHE = ROOT / "var" / "test-cache" / "prompts-fast"
FAST = 260  # words per minute, as in tests/integration/test_ivr_calls.py (shared prompt cache)
SHANGHAI = ZoneInfo("Asia/Shanghai")
AFTER_HOURS = datetime(2026, 11, 26, 21, 0, tzinfo=SHANGHAI)
CALLERS = 4
STAGGER = 5.0  # seconds between the residents' first calls: messages end all through the outage
OUTAGE = 10.0
MESSAGE = ["1", "2", "@message", "x"]  # Mandarin, leave a message (after hours), speak it, hang up


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    server.start()
    yield server
    server.remove()


async def test_calls_are_answered_while_postgres_is_stopped(asterisk, private_postgres, private_redis,
                                                            caplog):
    asterisk.start()  # a previous test may have stopped it
    dataset = load_dataset(Settings().dataset_dir)
    menus = usable_menus(ROOT / "ivr/agi/menus", ROOT / "asterisk-config/queues.conf")
    jobs = prompts.plan(menus.values(), PROMPT_CACHE, ROOT / "prompts/overrides", dataset, speed=FAST)
    await asyncio.to_thread(prompts.build, jobs, PROMPT_CACHE)
    await asyncio.to_thread(shutil.copytree, PROMPT_CACHE, asterisk.prompts_dir, dirs_exist_ok=True)
    await asyncio.to_thread(ensure_message_audio, asterisk.test_audio_dir / "message.wav")

    with psycopg.connect(private_postgres.url, autocommit=True) as conn:
        conn.execute('CREATE DATABASE "hotline"')
    url = private_postgres.url.rsplit("/", 1)[0] + "/hotline"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        sync_dataset(session, dataset)

    bus = create_bus(private_redis.url)
    bridge = AmiBridge.from_settings(asterisk.settings(), bus)
    services = IvrServices(factory, dataset, case_prefix="FT", clock=fixed_clock(AFTER_HOURS, SHANGHAI))
    host, port = asterisk.agi
    ivr = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir),
                    host=host, port=port)
    recorder = CallRecorder(bus, factory, recordings_dir=asterisk.recordings_dir)
    relay = Relay(factory, bus, idle=0.2)
    steps = BusSteps(bus)
    reader = Reader(private_redis.url)
    components = [bridge, ivr, recorder, relay]
    for component in components:
        await component.start()
    await bus.start()
    await reader.start()
    await bridge.wait_connected(15)
    caller = TestCaller(bridge.actions, steps, menus["hotline"], prompts_dir=asterisk.prompts_dir,
                        test_audio_dir=asterisk.test_audio_dir)

    reports = []
    stop = asyncio.Event()

    async def resident(n: int) -> None:
        await asyncio.sleep(n * STAGGER)
        while not stop.is_set():
            reports.append(await caller.call(parse_moves(MESSAGE), caller_id=f"1380013{n:04d}", limit=120))

    try:
        load = [asyncio.create_task(resident(n)) for n in range(CALLERS)]
        await asyncio.sleep(25)
        outage_started = time.monotonic()
        await asyncio.to_thread(private_postgres.stop)
        await asyncio.sleep(OUTAGE)
        await asyncio.to_thread(private_postgres.start)
        outage = time.monotonic() - outage_started
        await asyncio.sleep(20)
        stop.set()
        await asyncio.gather(*load)

        ended = {r.linkedid for r in reports}
        acknowledged = [number for r in reports for number in r.cases]
        dropped = [r.lines() for r in reports if not r.ended or r.path[-1][0] not in ("goodbye",
                                                                                       "goodbye_no_message")]
        assert dropped == [], "every caller heard the IVR to its goodbye"
        async with asyncio.timeout(90):  # the recorder and the relay catch up after the outage
            while True:
                with session_scope(factory) as session:
                    stored = session.scalars(select(Case.number)).all()
                    records = session.execute(select(Call.linkedid, Call.status)).all()
                closed = {linkedid for linkedid, status in records if status == "ended"}
                if ended <= closed and set(reader.created) >= set(stored):
                    break
                await asyncio.sleep(0.5)
        waited = [r for r in caplog.records if "while saving the message of call" in r.getMessage()]
        lost_messages = sum(1 for r in reports if r.path[-1][0] == "goodbye_no_message")
        print(f"\n{len(reports)} calls ({outage:.1f} s outage): {len(acknowledged)} cases acknowledged, "
              f"{lost_messages} callers told their message could not be kept; {len(records)} call records; "
              f"the reader got {len(reader.created)} case.created ({reader.deliveries} handled)")
        assert len(acknowledged) == len(set(acknowledged)) and sorted(stored) == sorted(acknowledged)
        assert sorted(linkedid for linkedid, _status in records if linkedid in ended) == sorted(ended)
        assert set(reader.created) == set(stored) and reader.doubled == []
        assert lost_messages == 0 and len(acknowledged) == len(reports), "every message became a case"
        assert waited, "the outage hit a message being saved (else it proved nothing)"
    finally:
        stop.set()
        for component in reversed(components):
            await component.stop()
        await reader.bus.close()
        await bus.close()
        engine.dispose()
