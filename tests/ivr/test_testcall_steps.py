"""The test caller follows a call through contract events, from the bus or from the call record."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from ivr.testcall import BusSteps, RecordSteps
from ticketing.bus import Streams
from ticketing.bus import contract as ct
from ticketing.bus.memory import MemoryBus
from ticketing.call import service as calls
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade


async def collect(steps, linkedid: str) -> list[ct.Event]:
    async with asyncio.timeout(10):
        return [event async for event in steps.events(linkedid)]


async def test_bus_steps_yield_typed_events_and_skip_what_the_contract_refuses():
    bus = MemoryBus()
    steps = BusSteps(bus)
    steps.watch("L1")
    await bus.start()
    await asyncio.sleep(0.05)  # the private group starts at new entries once its task runs
    try:
        await bus.publish_event(ct.IvrStep(linkedid="L1", node="language", input="", language="zh"))
        await bus.publish(Streams.CALLS, "ivr.step", "L1", {"linkedid": "L1"})  # no node: malformed
        await bus.publish(Streams.CALLS, "ivr.unheard_of", "L1", {"linkedid": "L1"})  # not in the contract
        await bus.publish_event(ct.IvrStep(linkedid="L2", node="main"))  # another call
        await bus.publish_event(ct.CallQueued(linkedid="L1", queue="general-zh", position=1, waiting=1))
        await bus.publish_event(ct.IvrCaseOpened(linkedid="L1", case_number="FT20261202-0001"))
        await bus.publish_event(ct.CallEnded(linkedid="L1", cause="Normal Clearing", cause_code=16))
        events = await collect(steps, "L1")
    finally:
        await bus.close()
    assert [type(e) for e in events] == [ct.IvrStep, ct.IvrCaseOpened, ct.CallEnded]
    assert (events[0].node, events[0].language) == ("language", "zh")
    assert events[1].case_number == "FT20261202-0001"


async def test_record_steps_rebuild_the_same_events_from_the_call_record(tmp_path):
    url = f"sqlite:///{tmp_path / 'calls.db'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    with session_scope(factory) as session:
        calls.add_step(session, "L1", at, node="language", input="", language="zh")
        calls.add_step(session, "L1", at + timedelta(seconds=3), node="main", input="1", language="zh")
        calls.end(session, "L1", at + timedelta(seconds=9), cause="Normal Clearing")
    events = await collect(RecordSteps(factory, poll=0.01), "L1")
    assert [(type(e), getattr(e, "node", "")) for e in events] == [
        (ct.IvrStep, "language"), (ct.IvrStep, "main"), (ct.CallEnded, "")]
    assert events[1].input == "1" and events[1].at == (at + timedelta(seconds=3)).isoformat()


async def test_the_call_report_says_what_the_recogniser_heard_and_the_message_transcript(tmp_path):
    """`hotline call` prints each utterance the IVR heard (kept with its step in the call record) as it
    comes, and the transcript of a message left on the call once the background transcription is done."""
    from ivr.agi.menu import load_menu
    from ivr.config import IvrSettings
    from ivr.testcall import CallReport, TestCaller, summarise, wait_for_messages
    from tests.ticketing.report.fixtures import add_case
    from ticketing.case import service as cases

    url = f"sqlite:///{tmp_path / 'calls.db'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    said = "甚至出现交易几乎停制的情况"
    with session_scope(factory) as session:
        calls.add_step(session, "L1", at, node="request", input="open", language="zh")
        calls.add_step(session, "L1", at + timedelta(seconds=9), node="request", input="heard:general",
                       language="zh", heard=said)
        calls.end(session, "L1", at + timedelta(seconds=20), cause="Normal Clearing")
        number = add_case(session, street=None, category=None, created_at=at).number
        cases.add_attachment(session, number, "recording", path="/tmp/m.wav", actor="ivr")
    menu = load_menu(IvrSettings().menus_dir / "hotline.yaml")
    shown: list[str] = []
    caller = TestCaller(None, RecordSteps(factory, poll=0.01), menu, prompts_dir=tmp_path,
                        test_audio_dir=tmp_path, progress=shown.append)
    report = CallReport("L1", cases=[number])
    async with asyncio.timeout(10):
        await caller._follow("L1", [], report)
    assert shown == ["  IVR: request[open]", "  IVR: request[heard:general]", f"    heard: {said}"]

    await wait_for_messages(report, factory, 0.2, shown.append, poll=0.05)  # not transcribed: gives up
    assert shown[-1].startswith(f"waiting for the transcript of the message of {number}")
    lines = summarise(report, factory, menu).lines()
    assert f"heard at request: {said}" in lines
    assert f"message of {number}: not transcribed yet (the case page shows it when it is)" in lines
    with session_scope(factory) as session:
        cases.add_attachment(session, number, "transcript", path="/tmp/m.wav", transcript="路灯坏了",
                             actor="speech")
    await wait_for_messages(report, factory, 5, shown.append, poll=0.05)
    assert f"message of {number}: 路灯坏了" in summarise(report, factory, menu).lines()
