"""Mandarin out of the box: Whisper base hears the real AISHELL-1 recording through the real Asterisk.

The product menu and Futian's own data set, nothing stood in: the test caller of `hotline call --say`
plays the recording (8 kHz, through the Local channel) after the "say your request" prompt. Its words
(甚至出现交易几乎停滞的情况, "trading even came almost to a standstill") match no keyword of the data
set, so the node's fallback category reads back 综合事务 (general matters), key 1 confirms, and the call
goes to the general queue tagged with the transcript. English goes through the same engine (espeak-ng
`en-us`: "construction noise" is a keyword: the safety queue). After hours, the recording left as a
message becomes a case whose transcript is attached and searchable.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.recorder import CallRecorder
from ivr.speech.check import MANDARIN_RECORDING, MANDARIN_REFERENCE, cer
from ivr.speech.component import build_speech
from ivr.speech.install import install
from ivr.speech.session import utterance_path
from ivr.speech.transcribe import transcribe_file
from ivr.testcall import BusSteps, SpokenRequest, TestCaller, parse_moves, summarise, to_8k
from tests.integration.test_ivr_calls import (  # noqa: F401  (fixtures: migrated database, built prompts)
    AFTER_HOURS,
    RESIDENT,
    SHANGHAI,
    WORKING,
    database,
    dataset,
    ended_record,
    menus,
    nodes,
    sounds,
)
from tests.ivr.speech.audio import assert_heard_as_played
from ticketing.bus import Streams
from ticketing.bus.contract import MessageTranscribed, RequestConfirmed, TranscriptFinal
from ticketing.call import service as calls
from ticketing.case import service as cases
from ticketing.case.models import CaseAttachment
from ticketing.qa import service as qa

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.speech, pytest.mark.timeout(240)]

ENGLISH = "there is loud construction noise at night"


class _Services:
    """What build_speech reads from the process services."""

    def __init__(self, bus, session_factory) -> None:
        self.bus = bus
        self.session_factory = session_factory


@pytest.fixture
async def whisper_hotline(asterisk, ami_bridge, bus, database, dataset, menus, sounds,  # noqa: F811
                          tmp_path):
    """IVR (product menu, Futian data), speech (Whisper for zh and en, utterances kept), recorder."""
    if not MANDARIN_RECORDING.is_file():
        pytest.skip(f"{MANDARIN_RECORDING} is not there (shared test data)")
    settings = asterisk.settings(speech_engines="zh=whisper,en=whisper", speech_trailing_silence=0.8,
                                 speech_audio_dir=tmp_path / "utterances")
    await asyncio.to_thread(install, settings.whisper_model)  # what `make test` did already: fast
    speech = build_speech(settings, _Services(bus, database))
    services = IvrServices(database, dataset, case_prefix="FT", clock=fixed_clock(WORKING, SHANGHAI),
                           speech=speech.service)
    host, port = asterisk.agi
    server = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir),
                       host=host, port=port)
    recorder = CallRecorder(bus, database, recordings_dir=asterisk.recordings_dir)
    for component in (speech, server, recorder):
        await component.start()
    assert speech.engines.supports("zh") and speech.engines.supports("en"), speech.engines.error
    caller = TestCaller(ami_bridge.actions, BusSteps(bus), menus["hotline"], prompts_dir=asterisk.prompts_dir,
                        test_audio_dir=asterisk.test_audio_dir)
    yield services, speech, caller
    await server.stop()
    await speech.stop()


async def _spoken_call(whisper_hotline, asterisk, bus, spoken: SpokenRequest, language_key: str):
    """Place a call that says `spoken` to the request node and confirms; return what was heard."""
    _services, speech, caller = whisper_hotline
    name = await asyncio.to_thread(spoken.prepare, asterisk.test_audio_dir)
    played = asterisk.test_audio_dir / f"{name}.wav"
    report = await caller.call(parse_moves([language_key, f"say:{name}", "x"]), caller_id=RESIDENT, limit=120)
    events = [e for e in await bus.read_all(Streams.TRANSCRIPTS) if e.key == report.linkedid]
    finals = [e.data for e in events if e.type == TranscriptFinal.TYPE]
    confirmed = [(e.data["linkedid"], e.data["category"], e.data["text"])
                 for e in events if e.type == RequestConfirmed.TYPE]
    assert [f["reason"] for f in finals] == ["final"], finals
    heard = utterance_path(speech.service.config.audio_dir, report.linkedid, finals[0]["stream_id"])
    assert_heard_as_played(heard, played, whole=False)  # the VAD ended it in the file's trailing silence
    return report, finals[0], confirmed, heard


async def test_mandarin_recording_is_heard_read_back_and_queued(whisper_hotline, asterisk, bus,
                                                                database):  # noqa: F811
    _services, speech, _caller = whisper_hotline
    report, final, confirmed, heard = await _spoken_call(whisper_hotline, asterisk, bus,
                                                         SpokenRequest(file=MANDARIN_RECORDING), "1")
    offline = await asyncio.to_thread(transcribe_file, speech.engines, heard, first_only=True, language="zh")
    assert final["text"] == offline.text  # live equals the offline decode of the audio it heard
    assert cer(MANDARIN_REFERENCE, final["text"]) <= 0.10, final["text"]
    assert confirmed == [(report.linkedid, "general", final["text"])]
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call) == ["welcome", "hours", "request", "request", "operator"]
    assert [s["input"] for s in call.ivr_path[2:]] == ["open", "heard:general", "category:general"]
    # What the recogniser heard is kept with its step: `hotline call` prints it (it reads the call record).
    assert call.ivr_path[3]["heard"] == final["text"] and report.heard == [("request", final["text"])]
    assert f"heard at request: {final['text']}" in report.lines()
    assert call.language == "zh"
    # After the call, both sides are transcribed in the background for quality review, and searchable.
    sides = await _review_transcripts(database, report.linkedid)
    assert set(sides) == {"caller", "agent"}, sides
    assert cer(MANDARIN_REFERENCE, sides["caller"]) <= 0.10, sides
    with database() as session:
        assert report.linkedid in [c.linkedid for c, _t in qa.search(session, "交易")]


async def _review_transcripts(database, linkedid: str, within: float = 120.0) -> dict[str, str]:  # noqa: F811
    for _ in range(int(within / 0.5)):
        with database() as session:
            call = calls.get_by_linkedid(session, linkedid)
            found = {t.side: t.text for t in qa.transcripts_of(session, call)}
        if len(found) >= 2:
            return found
        await asyncio.sleep(0.5)
    raise AssertionError(f"call {linkedid} was not transcribed for review within {within} s: {found}")


async def test_english_speech_through_the_same_engine(whisper_hotline, asterisk, bus, database):  # noqa: F811
    _services, speech, _caller = whisper_hotline
    spoken = SpokenRequest(text=ENGLISH, voice="en-us", speed=160)
    report, final, confirmed, heard = await _spoken_call(whisper_hotline, asterisk, bus, spoken, "2")
    offline = await asyncio.to_thread(transcribe_file, speech.engines, heard, first_only=True, language="en")
    assert final["text"] == offline.text and "construction noise" in final["text"], final
    assert [category for _linkedid, category, _text in confirmed] == ["noise-construction"]
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call) == ["welcome", "hours", "request", "request", "queue_safety"]
    assert call.language == "en"


async def test_after_hours_mandarin_message_becomes_a_case_with_its_transcript(whisper_hotline, asterisk,
                                                                               bus, database):  # noqa: F811
    services, _speech, caller = whisper_hotline
    services.clock = fixed_clock(AFTER_HOURS.replace(tzinfo=None), SHANGHAI)
    await asyncio.to_thread(to_8k, MANDARIN_RECORDING, asterisk.test_audio_dir / "aishell-message.wav")
    report = await caller.call(parse_moves(["1", "2", "@aishell-message", "x"]), caller_id=RESIDENT)
    assert report.ended and len(report.cases) == 1
    number = report.cases[0]
    for _ in range(600):  # the transcription runs in the background after the call
        done = [e for e in await bus.read_all(Streams.TRANSCRIPTS)
                if e.type == MessageTranscribed.TYPE and e.data.get("case_number") == number]
        if done:
            break
        await asyncio.sleep(0.2)
    else:
        raise AssertionError(f"the message of case {number} was not transcribed within 120 s")
    with database() as session:
        case = cases.get_by_number(session, number)
        transcript = session.scalars(select(CaseAttachment).where(
            CaseAttachment.case_id == case.id, CaseAttachment.kind == "transcript")).one().transcript
        found, _total = cases.get_all(session, cases.CaseFilter(q="交易"))
    assert cer(MANDARIN_REFERENCE, transcript) <= 0.10, transcript
    assert number in [c.number for c in found]
    assert f"message of {number}: {transcript}" in summarise(report, database, caller.menu).lines()
