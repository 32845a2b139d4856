"""Residents calling the real Asterisk through Local channels and walking the IVR; call records and cases.

Uses the session's Asterisk (tests/integration/conftest.py), a private PostgreSQL database, the
FastAGI IVR and the call recorder in this process. Keys are sent when the IVR reports it waits.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from ivr.agi import prompts
from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock, usable_menus
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.recorder import CallRecorder
from ivr.testcall import BusSteps, TestCaller, ensure_message_audio, parse_moves
from ticketing.bureau.seed import sync_dataset
from ticketing.call import service as calls
from ticketing.case import service as cases
from ticketing.case.flows import intake
from ticketing.case.models import CaseAttachment
from ticketing.case.schemas import CaseCreate
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.dataset import load_dataset

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(120)]

ROOT = Path(__file__).parents[2]
PROMPT_CACHE = ROOT / "var" / "test-cache" / "prompts"
SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKING = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)  # a Thursday morning
AFTER_HOURS = datetime(2026, 11, 26, 21, 0, tzinfo=SHANGHAI)
RESIDENT = "13800138000"


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(Settings().dataset_dir)


@pytest.fixture(scope="module")
def menus():
    return usable_menus(ROOT / "ivr/agi/menus", ROOT / "asterisk-config/queues.conf")


@pytest.fixture(scope="module")
def database(postgres_url, dataset):
    """A private, migrated PostgreSQL database holding the Futian organisation; dropped at the end."""
    server = make_url(Settings(database_url=postgres_url).sqlalchemy_url)
    name = f"hotline_ivr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        sync_dataset(session, dataset)
    yield factory
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def sounds(asterisk, menus, dataset):
    """Build the prompts (cached between runs) into the instance, and a spoken test message."""
    jobs = prompts.plan(menus.values(), PROMPT_CACHE, ROOT / "prompts/overrides", dataset)
    prompts.build(jobs, PROMPT_CACHE)
    shutil.copytree(PROMPT_CACHE, asterisk.prompts_dir, dirs_exist_ok=True)
    ensure_message_audio(asterisk.test_audio_dir / "message.wav")


@pytest.fixture
async def hotline(asterisk, ami_bridge, bus, database, dataset, menus, sounds):
    """IVR server and recorder in this process; returns (IvrServices, TestCaller)."""
    services = IvrServices(database, dataset, case_prefix="FT", clock=fixed_clock(WORKING, SHANGHAI))
    host, port = asterisk.agi
    server = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir),
                       host=host, port=port)
    recorder = CallRecorder(bus, database, recordings_dir=asterisk.recordings_dir)
    steps = BusSteps(bus)
    await server.start()
    await recorder.start()
    caller = TestCaller(ami_bridge.actions, steps, menus["hotline"], prompts_dir=asterisk.prompts_dir,
                        test_audio_dir=asterisk.test_audio_dir)
    yield services, caller
    await server.stop()


async def ended_record(factory, linkedid: str, within: float = 10.0):
    """Return the call record once the recorder has closed it."""
    for _ in range(int(within / 0.1)):
        with factory() as session:
            call = calls.get_by_linkedid(session, linkedid)
            if call is not None and call.status == "ended":
                return call, calls.case_numbers(session, call)
        await asyncio.sleep(0.1)
    raise AssertionError(f"call {linkedid} was not recorded as ended")


def nodes(call) -> list[str]:
    return [step["node"] for step in call.ivr_path]


async def test_status_lookup_of_an_existing_case(hotline, database, dataset):
    _services, caller = hotline
    with session_scope(database) as session:
        case = intake(session, dataset, CaseCreate(description="路灯坏了，晚上很黑", caller_phone=RESIDENT,
                                                   category=None), "agent", now=WORKING)
        number = case.number
        status, bureau = case.status, case.bureau.code
    digits = number[2:].replace("-", "")
    report = await caller.call(parse_moves(["2", "1", digits + "#", "x"]), caller_id=RESIDENT)
    call, _cases = await ended_record(database, report.linkedid)
    assert nodes(call)[:4] == ["welcome", "hours", "main", "case_status"]
    assert call.ivr_path[4] == {**call.ivr_path[4], "node": "after_status", "input": f"{number}:found"}
    assert call.language == "en"
    assert call.outcome == "abandoned_ivr"
    assert call.caller == "+86" + RESIDENT
    assert status and bureau  # the IVR read them; what it said is the machine's table test


async def test_message_after_hours_becomes_a_case_with_recording(hotline, database):
    services, caller = hotline
    services.clock = fixed_clock(AFTER_HOURS.replace(tzinfo=None), SHANGHAI)  # like HOTLINE_IVR_NOW
    report = await caller.call(parse_moves(["1", "2", "@message", "x"]), caller_id=RESIDENT)
    assert report.ended and len(report.cases) == 1
    call, linked = await ended_record(database, report.linkedid)
    assert nodes(call) == ["welcome", "hours", "after_hours", "message", "goodbye"]
    assert call.outcome == "message" and linked == report.cases
    with database() as session:
        case = cases.get_by_number(session, report.cases[0])
        assert (case.channel, case.caller_phone) == ("phone", "+86" + RESIDENT)
        recording = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)).one()
    size = await asyncio.to_thread(os.path.getsize, recording.path)
    assert recording.kind == "recording" and size > 8000


async def test_queue_answered_by_an_agent_phone(hotline, ami_bridge, database):
    _services, caller = hotline
    agent = "Local/agent@hotline-test/n"
    await ami_bridge.actions.queue_add("urban-zh", agent, member_name="test agent")
    try:
        report = await caller.call(parse_moves(["1", "2"]), caller_id=RESIDENT, limit=60)
    finally:
        await ami_bridge.actions.queue_remove("urban-zh", agent)
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call) == ["welcome", "hours", "main", "queue_urban"]
    assert (call.queue, call.outcome) == ("urban-zh", "answered")
    assert call.agent and call.answered_at is not None and call.wait_seconds is not None


async def test_garbage_and_silence_go_to_the_operator_then_a_message(hotline, database):
    _services, caller = hotline
    # welcome allows one attempt (silence: Mandarin); the main menu: garbage three times -> the operator
    # queue, where nobody is logged in: the dial plan hands the caller back to the IVR ("message" entry).
    moves = parse_moves(["-", "8", "7", "7", "@message", "x"])
    report = await caller.call(moves, caller_id=RESIDENT, limit=90)
    call, linked = await ended_record(database, report.linkedid)
    assert nodes(call) == ["welcome", "hours", "main", "main", "main", "operator", "queue_full", "message",
                           "goodbye"]
    inputs = [step["input"] for step in call.ivr_path[1:6]]
    assert inputs == ["timeout:gave-up", "open", "8", "7", "7:gave-up"]
    assert call.outcome == "message" and len(linked) == 1
