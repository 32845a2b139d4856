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
from ivr.testcall import BusSteps, TestCaller, ensure_message_audio, parse_moves, summarise
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
from ticketing.outbox import Relay

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(120)]

ROOT = Path(__file__).parents[2]
PROMPT_CACHE = ROOT / "var" / "test-cache" / "prompts-fast"
FAST = 260  # words per minute: the flows are under test, not the diction; keeps the suite short
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
    jobs = prompts.plan(menus.values(), PROMPT_CACHE, ROOT / "prompts/overrides", dataset, speed=FAST)
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
    relay = Relay(database, bus)  # cases the IVR opens announce themselves through the outbox
    steps = BusSteps(bus)
    await server.start()
    await recorder.start()
    await relay.start()
    caller = TestCaller(ami_bridge.actions, steps, menus["hotline"], prompts_dir=asterisk.prompts_dir,
                        test_audio_dir=asterisk.test_audio_dir)
    yield services, caller
    await server.stop()
    await relay.stop()


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


async def test_status_lookup_of_an_existing_case(hotline, database, dataset, menus):
    _services, caller = hotline
    with session_scope(database) as session:
        case = intake(session, dataset, CaseCreate(description="路灯坏了，晚上很黑", caller_phone=RESIDENT,
                                                   category=None), "agent", now=WORKING)
        number = case.number
        bureau_zh = case.bureau.name_zh
    digits = number[2:].replace("-", "")
    report = await caller.call(parse_moves(["2", "1", digits + "#", "x"]), caller_id="13700001111")
    call, _cases = await ended_record(database, report.linkedid)
    assert nodes(call)[:5] == ["welcome", "hours", "request", "main", "case_status"]  # no model: keys
    assert call.ivr_path[5] == {**call.ivr_path[5], "node": "after_status", "input": f"{number}:found"}
    assert call.language == "en"
    assert call.outcome == "self_service"  # the caller was told the status: not an abandoned call
    summary = "\n".join(summarise(report, database, menus["hotline"]).lines())
    assert "outcome self_service" in summary
    assert f"case status told: {number} 已受理，等待派单 (has been received and is waiting for dispatch); " \
           f"bureau {bureau_zh} (" in summary


async def test_a_caller_hears_their_latest_case_and_presses_1_for_its_status(hotline, database, dataset):
    _services, caller = hotline
    phone = "137" + str(uuid.uuid4().int)[:8]
    with session_scope(database) as session:
        for text in ("楼下餐馆油烟很大", "小区门口路灯坏了"):
            number = intake(session, dataset, CaseCreate(description=text, caller_phone=phone), "agent",
                            now=WORKING).number
    report = await caller.call(parse_moves(["1", "1", "1", "x"]), caller_id=phone)
    call, _cases = await ended_record(database, report.linkedid)
    assert nodes(call)[:6] == ["welcome", "hours", "request", "main", "case_status", "after_status"]
    assert call.ivr_path[5]["input"] == f"{number}:found"  # the newest of the caller's own cases, exactly
    assert call.outcome == "self_service"


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
        # no language code, and no number a bureau could read unmasked: the number is the caller field's
        assert case.description == "热线留言（普通话），请听录音。" and RESIDENT not in case.description
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
    assert nodes(call) == ["welcome", "hours", "request", "main", "queue_urban"]
    assert (call.queue, call.outcome) == ("urban-zh", "answered")
    assert call.agent and call.answered_at is not None and call.wait_seconds is not None


async def test_garbage_and_silence_go_to_the_operator_then_a_message(hotline, database):
    _services, caller = hotline
    # welcome allows one attempt (silence: Mandarin); the main menu: garbage three times -> the operator
    # queue, where nobody is logged in: the dial plan hands the caller back to the IVR ("message" entry).
    # (no speech model here: the "say your request" node hands over to the main menu at once)
    moves = parse_moves(["-", "8", "8", "8", "@message", "x"])
    report = await caller.call(moves, caller_id=RESIDENT, limit=90)
    call, linked = await ended_record(database, report.linkedid)
    assert nodes(call) == ["welcome", "hours", "request", "main", "main", "main", "operator", "queue_full",
                           "message", "goodbye"]
    inputs = [step["input"] for step in call.ivr_path[1:7]]
    assert inputs == ["timeout:gave-up", "open", "speech:no_model", "8", "8", "8:gave-up"]
    assert call.outcome == "message" and len(linked) == 1


# ---- a real SIP call: sipp (in the Asterisk root) with RFC 2833 digits and a spoken message ----------
SIPP_SCENARIO = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="hotline message">
  <send retrans="500"><![CDATA[
INVITE sip:12345@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:12345@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=resident 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:12345@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:12345@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
{media}
  <send retrans="500"><![CDATA[
BYE sip:12345@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:12345@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: <sip:{caller}@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""
SIPP_SHARE = "/usr/share/sip-tester"
PCAP_NAMES = {"#": "pound", "*": "star"}


def sipp_media(steps: list[tuple[float, str]]) -> str:
    """Scenario lines: for each (pause seconds, what) pause, then play a DTMF digit or the g711a voice."""
    lines = []
    for pause, what in steps:
        lines.append(f'  <pause milliseconds="{int(pause * 1000)}"/>')
        pcap = "g711a" if what == "voice" else f"dtmf_2833_{PCAP_NAMES.get(what, what)}"
        lines.append(f'  <nop><action><exec play_pcap_audio="{SIPP_SHARE}/{pcap}.pcap"/></action></nop>')
    return "\n".join(lines)


def wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path), "rb") as audio:
        return audio.getnframes() / audio.getframerate()


async def test_real_sip_call_with_rfc2833_digits_leaves_a_message(hotline, asterisk, database):
    services, _caller = hotline
    services.clock = fixed_clock(AFTER_HOURS, SHANGHAI)
    zh = asterisk.prompts_dir / "zh"
    notice = await asyncio.to_thread(wav_seconds, asterisk.prompts_dir / "recording-notice.wav")
    leave = await asyncio.to_thread(wav_seconds, zh / "leave_message.wav")
    # the dial plan's recording notice, then: 1 (Mandarin) in the welcome menu, 2 (message) after hours,
    # the voice after the message prompt and beep, # to finish, then hang up once the case is taken.
    media = sipp_media([(notice + 2.0, "1"), (2.0, "2"), (leave + 1.5, "voice"), (7.5, "#"), (4.0, "#")])
    scenario = SIPP_SCENARIO.format(caller=RESIDENT, media=media)
    inside = f"/tmp/hotline-sipp-{uuid.uuid4().hex[:8]}.xml"
    root = asterisk.install.root
    host_file = root / inside.lstrip("/")
    await asyncio.to_thread(host_file.write_text, scenario)
    before = await asyncio.to_thread(_message_cases, database)
    try:
        proc = await asyncio.create_subprocess_exec(
            "chroot", str(root), "sipp", "-sf", inside, "-i", "127.0.0.1", "-p", "0", "-mi", "127.0.0.1",
            "-m", "1", "-timeout", "60s", "-timeout_error", "-nostdin",
            f"{asterisk.address}:{asterisk.instance.sip_port}",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output, _ = await asyncio.wait_for(proc.communicate(), 90)
    finally:
        await asyncio.to_thread(host_file.unlink, True)
    assert proc.returncode == 0, output.decode(errors="replace")[-2000:]
    created = await _wait_new_message_case(database, before)
    with database() as session:
        case = cases.get_by_number(session, created)
        record = session.scalars(select(CaseAttachment).where(CaseAttachment.case_id == case.id)).one()
        assert case.caller_phone == "+86" + RESIDENT and record.kind == "recording"
    call = await _call_of_case(database, created)
    assert nodes(call) == ["welcome", "hours", "after_hours", "message", "goodbye"]
    assert call.outcome == "message" and call.ivr_path[2]["input"] == "closed"
    assert call.caller == "+86" + RESIDENT and call.dialled == "12345"


def _message_cases(factory) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(CaseAttachment.case_id)))


async def _wait_new_message_case(factory, before: set, within: float = 10.0) -> str:
    from ticketing.case.models import Case

    for _ in range(int(within / 0.1)):
        with factory() as session:
            ids = set(session.scalars(select(CaseAttachment.case_id))) - before
            if ids:
                return session.get(Case, ids.pop()).number
        await asyncio.sleep(0.1)
    raise AssertionError("the SIP call left no message case")


async def _call_of_case(factory, number: str, within: float = 10.0):
    from ticketing.call.models import CaseCall
    from ticketing.case.models import Case

    for _ in range(int(within / 0.1)):
        with factory() as session:
            call_ids = session.scalars(select(CaseCall.call_id).join(Case, Case.id == CaseCall.case_id)
                                       .where(Case.number == number)).all()
            for call_id in call_ids:
                call = calls.get(session, call_id)
                if call.status == "ended":
                    return call
        await asyncio.sleep(0.1)
    raise AssertionError(f"no ended call linked to case {number}")
