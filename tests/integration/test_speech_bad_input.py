"""Bad input on a Mandarin call through the real Asterisk: never a dropped call, keys always offered.

The product menu and Futian's data set with Whisper for zh, as `make run` serves them. A resident who talks
over the "say your request" prompt stops it and is heard; silence, noise and music are asked again, then
get the DTMF menu; speech still going at the node's 12 s limit is cut there, told so, and read back with the
keys; a model that is missing, truncated or fails its pinned hash leaves speech off and every caller goes
straight to the DTMF menu. Each call ends in a queue the resident chose by key (or confirmed), then hangs up.
"""

from __future__ import annotations

import asyncio
import subprocess

import numpy as np
import pytest

from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.recorder import CallRecorder
from ivr.speech.check import MANDARIN_RECORDING, MANDARIN_REFERENCE, cer
from ivr.speech.component import build_speech
from ivr.speech.install import install
from ivr.speech.whisper_files import ModelFilesError, verify_dir
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
from tests.ivr.speech.test_whisper_files import same_sizes
from ticketing.bus import Streams
from ticketing.bus.contract import RequestConfirmed, TranscriptFinal

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.speech, pytest.mark.timeout(300)]

SPEECH_TO_KEYS = ["5", "x"]  # at the DTMF menu: key 5 (consumer queue), then hang up in the queue


class _Services:
    def __init__(self, bus, session_factory) -> None:
        self.bus = bus
        self.session_factory = session_factory


class BargingCaller(TestCaller):
    """A resident who starts talking while the "say your request" prompt is still playing."""

    barge_after = 0.8  # seconds after the IVR starts the prompt (3.3 s long)

    def prompt_seconds(self, language: str, *prompts: str | None) -> float:
        if prompts == (self.menu.nodes["request"].get("prompt"),):
            return self.barge_after - 0.4  # TestCaller adds its 0.4 s margin
        return super().prompt_seconds(language, *prompts)


class KeyingCaller(TestCaller):
    """A resident who presses a key while the "say your request" prompt is still playing."""

    async def _answer_speech(self, linkedid: str, node, step, moves) -> None:
        if step.input == "open":
            await asyncio.sleep(0.8)
            await self.press(linkedid, "3")


@pytest.fixture
async def hotline(asterisk, ami_bridge, bus, database, dataset, menus, sounds, tmp_path):  # noqa: F811
    """Build the IVR, speech (Whisper for zh) and recorder with settings overridden; stopped after."""
    running = []

    async def make(caller_class=TestCaller, **overrides):
        # No call transcripts here (test_speech_mandarin.py has them): an earlier test's would still be
        # decoding on these two shared cores while the next call listens.
        values = {"speech_engines": "zh=whisper,en=whisper", "speech_trailing_silence": 0.8,
                  "speech_no_input_seconds": 3.0, "qa_transcribe_workers": 0}
        settings = asterisk.settings(**{**values, **overrides})
        speech = build_speech(settings, _Services(bus, database))
        services = IvrServices(database, dataset, case_prefix="FT", clock=fixed_clock(WORKING, SHANGHAI),
                               speech=speech.service)
        host, port = asterisk.agi
        places = RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir)
        server = IvrServer(menus, services, bus, places, host=host, port=port)
        recorder = CallRecorder(bus, database, recordings_dir=asterisk.recordings_dir)
        for component in (speech, server, recorder):
            await component.start()
            running.append(component)
        return speech, caller_class(ami_bridge.actions, BusSteps(bus), menus["hotline"],
                                    prompts_dir=asterisk.prompts_dir, test_audio_dir=asterisk.test_audio_dir)

    yield make
    for component in reversed(running):
        if hasattr(component, "stop"):
            await component.stop()


@pytest.fixture(scope="module")
def model_installed():
    if not MANDARIN_RECORDING.is_file():
        pytest.skip(f"{MANDARIN_RECORDING} is not there (shared test data)")
    from ivr.config import IvrSettings

    install(IvrSettings().whisper_model)  # what `make test` did already: fast


def write_8k(path, samples: np.ndarray) -> str:
    """Write int16 samples as an 8 kHz WAV in Asterisk's test audio; return its sound name."""
    import wave

    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return path.stem


def noise(seconds: float = 3.0) -> np.ndarray:
    return np.random.default_rng(7).normal(0, 4000, int(8000 * seconds))


def music(seconds: float = 4.0) -> np.ndarray:
    """A tune: notes of 0.25 s with two harmonics, loud (hold music from another phone)."""
    notes = [262, 330, 392, 523, 392, 330] * 4
    t = np.arange(2000) / 8000
    harmonics = ((1, 6000), (2, 2500), (3, 1200))
    tune = np.concatenate([sum(a * np.sin(2 * np.pi * f * k * t) for k, a in harmonics) for f in notes])
    return tune[: int(8000 * seconds)]


async def finals_of(bus, linkedid: str) -> list[dict]:
    return [e.data for e in await bus.read_all(Streams.TRANSCRIPTS)
            if e.key == linkedid and e.type == TranscriptFinal.TYPE]


async def place(caller, bus, moves, limit=120):
    return await caller.call(parse_moves(moves), caller_id=RESIDENT, limit=limit)


async def _keys_offered(hotline, bus, database, asterisk, audio: str | None):  # noqa: F811
    """Call, say `audio` to the request node (each time it asks), then key 5 at the DTMF menu."""
    _speech, caller = await hotline()
    moves = ["1", f"say:{audio}"] if audio else ["1"]
    report = await caller.call(parse_moves([*moves, *SPEECH_TO_KEYS]), caller_id=RESIDENT, limit=150)
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call)[-2:] == ["main", "queue_consumer"], call.ivr_path  # the keys worked: not dropped
    return report, call, await finals_of(bus, report.linkedid)


async def test_speech_over_the_prompt_stops_it_and_is_heard(hotline, bus, database, asterisk,  # noqa: F811
                                                            model_installed):
    speech, caller = await hotline(caller_class=BargingCaller)
    name = await asyncio.to_thread(SpokenRequest(file=MANDARIN_RECORDING).prepare, asterisk.test_audio_dir)
    report = await caller.call(parse_moves(["1", f"say:{name}", "x"]), caller_id=RESIDENT, limit=120)
    finals = await finals_of(bus, report.linkedid)
    prompt = TestCaller.prompt_seconds(caller, "zh", "say_request")
    assert len(finals) == 1 and finals[0]["reason"] == "final", finals
    stopped = finals[0]["prompt_stopped_at"]
    assert stopped is not None and 0.8 < stopped < prompt - 0.3, f"{prompt:.1f} s prompt stopped at {stopped}"
    assert cer(MANDARIN_REFERENCE, finals[0]["text"]) <= 0.10, finals[0]["text"]
    confirmed = [e.data["category"] for e in await bus.read_all(Streams.TRANSCRIPTS)
                 if e.key == report.linkedid and e.type == RequestConfirmed.TYPE]
    assert confirmed == ["general"]
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call)[-1] == "operator"


async def test_a_key_during_the_prompt_stops_it_and_gives_the_keys(hotline, bus, database,  # noqa: F811
                                                                    model_installed):
    _speech, caller = await hotline(caller_class=KeyingCaller)
    report = await caller.call(parse_moves(["1", *SPEECH_TO_KEYS]), caller_id=RESIDENT, limit=120)
    finals = await finals_of(bus, report.linkedid)
    assert [(f["reason"], f["text"]) for f in finals] == [("keyed", "")], finals
    assert 0.5 < finals[0]["prompt_stopped_at"] < 3.0, finals
    call, _ = await ended_record(database, report.linkedid)
    assert [(s["node"], s.get("input")) for s in call.ivr_path][2:] == [
        ("request", "open"), ("main", "speech:keyed"), ("queue_consumer", "5")], call.ivr_path


async def test_silence_is_asked_again_then_gets_the_keys(hotline, bus, database, asterisk,  # noqa: F811
                                                         model_installed):
    _report, call, finals = await _keys_offered(hotline, bus, database, asterisk, None)
    assert [f["reason"] for f in finals] == ["silence", "silence"], finals
    assert [s.get("input") for s in call.ivr_path if s["node"] in ("request", "main")][-2:] \
        == ["speech:silence", "speech:silence:gave-up"], call.ivr_path


@pytest.mark.parametrize("sound", ["noise", "music"])
async def test_noise_and_music_are_not_acted_on(hotline, bus, database, asterisk, model_installed,  # noqa: F811
                                                sound):
    samples = noise() if sound == "noise" else music()
    name = write_8k(asterisk.test_audio_dir / f"bad-{sound}.wav", samples)
    _report, call, finals = await _keys_offered(hotline, bus, database, asterisk, name)
    assert len(finals) == 2 and not any(f["reason"] == "final" and f["text"] for f in finals), finals
    assert not [s for s in call.ivr_path if s.get("input", "").startswith("heard:")], call.ivr_path


async def test_clipped_speech_is_still_heard(hotline, bus, database, asterisk, model_installed):  # noqa: F811
    pcm = np.frombuffer(_pcm_8k(MANDARIN_RECORDING), dtype="<i2").astype(np.float64)
    name = write_8k(asterisk.test_audio_dir / "clipped.wav", np.clip(pcm * 8, -12000, 12000))
    _speech, caller = await hotline()
    report = await place(caller, bus, ["1", f"say:{name}", "x"])
    finals = await finals_of(bus, report.linkedid)
    assert finals[0]["reason"] == "final" and cer(MANDARIN_REFERENCE, finals[0]["text"]) <= 0.25, finals
    call, _ = await ended_record(database, report.linkedid)
    assert nodes(call)[-1] == "operator"


async def test_overlong_speech_is_cut_at_the_limit_told_and_read_back(hotline, bus, database,  # noqa: F811
                                                                      asterisk, model_installed):
    pcm = np.frombuffer(_pcm_8k(MANDARIN_RECORDING), dtype="<i2")
    loud = np.flatnonzero(np.abs(pcm) > 1000)
    said = pcm[loud[0]:loud[-1]]  # the words without the recording's own quiet start and end
    gap = np.zeros(1600, dtype="<i2")  # 0.2 s: shorter than the end-of-speech silence
    name = write_8k(asterisk.test_audio_dir / "overlong.wav", np.concatenate([said, gap] * 5))
    _speech, caller = await hotline()
    report = await place(caller, bus, ["1", f"say:{name}", "x"])
    finals = await finals_of(bus, report.linkedid)
    assert [f["reason"] for f in finals] == ["timeout"], finals
    assert 11.5 <= finals[0]["audio_seconds"] <= 13.5 and "交易" in finals[0]["text"], finals
    call, _ = await ended_record(database, report.linkedid)
    assert [s.get("input") for s in call.ivr_path if s["node"] == "request"][-1] == "heard:general"
    assert nodes(call)[-1] == "operator"


@pytest.mark.parametrize("damage", ["missing", "truncated", "wrong-hash"])
async def test_a_broken_model_leaves_every_caller_the_keys(hotline, bus, database, asterisk,  # noqa: F811
                                                           tmp_path, damage):
    model = tmp_path / "whisper-base"
    if damage != "missing":
        same_sizes(model)
        if damage == "truncated":
            with (model / "model.bin").open("r+b") as f:
                f.truncate(1 << 20)
    with pytest.raises(ModelFilesError):
        verify_dir(model)
    speech, caller = await hotline(whisper_model=model)
    assert not speech.engines.supports("zh") and speech.engines.error
    report = await caller.call(parse_moves(["1", *SPEECH_TO_KEYS]), caller_id=RESIDENT, limit=120)
    call, _ = await ended_record(database, report.linkedid)
    assert [(s["node"], s.get("input")) for s in call.ivr_path][2:] == [
        ("request", "open"), ("main", "speech:no_model"), ("queue_consumer", "5")], call.ivr_path
    assert await finals_of(bus, report.linkedid) == []  # nothing was streamed


def _pcm_8k(path) -> bytes:
    return subprocess.run(["sox", "-D", str(path), "-t", "raw", "-r", "8000", "-c", "1", "-b", "16",
                           "-e", "signed-integer", "-"], check=True, capture_output=True).stdout
