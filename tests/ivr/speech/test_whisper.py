"""The real Whisper base model on the real Mandarin recording (AISHELL-1) at the telephone's 8 kHz.

Few decodes on purpose (each takes 1-3 s of both cores): the CER, one live listen over loopback
AudioSocket against the offline decode of what it heard, and the inputs that must never reach Whisper.
"""

import random
import zlib

import pytest

from ivr.speech.api import SpeechConfig, SpeechService
from ivr.speech.check import MANDARIN_REFERENCE, cer
from ivr.speech.endpoint import Limits
from ivr.speech.engines import EngineSet
from ivr.speech.pool import RecognizerPool
from ivr.speech.results import ListenReason
from ivr.speech.session import utterance_path
from ivr.speech.transcribe import read_wav, transcribe_file, transcribe_pcm
from ivr.speech.whisper import MAX_COMPRESSION_RATIO
from tests.ivr.speech.audio import pcm_of, synthesise
from tests.ivr.speech.conftest import AsteriskLike
from tests.ivr.speech.whisper_fixtures import mandarin_8k, whisper  # noqa: F401  (fixtures)
from ticketing.bus.contract import TranscriptFinal, TranscriptPartial

pytestmark = [pytest.mark.speech, pytest.mark.timeout(240)]


def test_mandarin_recording_at_8k_has_a_cer_of_at_most_10_percent(whisper, mandarin_8k):  # noqa: F811
    result = transcribe_file(whisper, mandarin_8k, language="zh")
    assert cer(MANDARIN_REFERENCE, result.text) <= 0.10, result.text
    assert " " not in result.text and result.reason is ListenReason.FINAL
    assert result.confidence >= whisper.min_confidence


def test_line_silence_before_the_words_is_not_decoded(whisper, mandarin_8k):  # noqa: F811
    """A call's recording of the resident's side is digital silence while the IVR speaks: 8.4 s of it
    before these words in a call made greedy Whisper hear 扇制 for 甚至, and so did 12.6 s or 15.4 s
    before the recording alone. Decoded from just before the first speech window, they read right."""
    pcm, rate = read_wav(mandarin_8k)
    for seconds in (2.0, 8.4, 12.6, 15.4):
        result = transcribe_pcm(whisper, bytes(int(seconds * rate) * 2) + pcm, rate, language="zh")
        assert cer(MANDARIN_REFERENCE, result.text) <= 0.10, (seconds, result.text)


@pytest.fixture
async def service(whisper, published, tmp_path):  # noqa: F811
    """A speech service whose Mandarin is Whisper, keeping what it heard."""
    config = SpeechConfig(port=0, audio_dir=tmp_path,
                          limits=Limits(max_seconds=10, no_input_seconds=2, trailing_silence_seconds=0.8))
    pool = RecognizerPool(max_streams=2)
    running = SpeechService(config, EngineSet({"zh": whisper}), pool, published)
    await running.start()
    yield running
    await running.stop()
    pool.close()


async def test_live_listen_equals_the_offline_decode_of_what_was_heard(service, whisper, mandarin_8k,  # noqa: F811
                                                                       published, tmp_path):
    pcm, rate = pcm_of(mandarin_8k)
    trailing = bytes(rate * 2 * 2)  # the caller is quiet after speaking: the VAD ends the utterance
    result = await service.listen(AsteriskLike(pcm + trailing, paced=False), "call-zh", language="zh")
    assert result.reason is ListenReason.FINAL and cer(MANDARIN_REFERENCE, result.text) <= 0.10, result
    final = published.of(TranscriptFinal.TYPE)[0]
    assert (final["text"], final["reason"]) == (result.text, "final")
    assert published.of(TranscriptPartial.TYPE) == []  # utterance-level engine: the final is the transcript
    heard = utterance_path(tmp_path, "call-zh", final["stream_id"])
    heard_pcm, _ = pcm_of(heard)
    assert (pcm + trailing).startswith(heard_pcm) and len(heard_pcm) > len(pcm)  # ended in the quiet
    assert transcribe_file(whisper, heard, first_only=True, language="zh").text == result.text


async def test_silence_is_never_decoded(service, whisper):  # noqa: F811
    result = await service.listen(AsteriskLike(bytes(8000 * 2 * 3), paced=False), "call-quiet", language="zh")
    assert (result.text, result.reason) == ("", ListenReason.SILENCE)


async def test_white_noise_is_not_acted_on(service):
    rng = random.Random(7)
    noise = b"".join(rng.randint(-3000, 3000).to_bytes(2, "little", signed=True) for _ in range(8000 * 3))
    result = await service.listen(AsteriskLike(noise, paced=False), "call-noise", language="zh")
    assert not result.usable, result


async def test_a_language_without_an_engine_gets_the_keys(service):
    agi = AsteriskLike(b"")
    result = await service.listen(agi, "call-ko", language="ko")
    assert result.reason is ListenReason.NO_MODEL and agi.commands == []


def _chord(seconds: float = 3.0, rate: int = 8000) -> bytes:
    """A sustained two-tone chord, loud: hold music, not speech."""
    import numpy as np

    t = np.arange(int(seconds * rate)) / rate
    wave = 8000 * (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 660 * t))
    return wave.astype("<i2").tobytes()


async def test_music_is_not_speech(service):
    result = await service.listen(AsteriskLike(_chord(), paced=False), "call-music", language="zh")
    assert (result.text, result.reason) == ("", ListenReason.SILENCE)


async def test_overlong_speech_is_cut_at_the_limit_and_still_heard(service, mandarin_8k):  # noqa: F811
    pcm, _ = pcm_of(mandarin_8k)
    result = await service.listen(AsteriskLike(pcm, paced=False), "call-long", language="zh", max_seconds=2.5)
    assert result.reason is ListenReason.TIMEOUT and result.text.startswith("甚至"), result


def test_a_repetition_loop_is_not_taken_for_words(whisper, tmp_path):  # noqa: F811
    """espeak-ng's Mandarin (the sample's IVR prompts, on the resident-heard side of every call recording)
    made greedy Whisper loop on one phrase forty times; the review transcript showed it, cut mid-character."""
    prompt = synthesise("您好，这里是福田区一二三四五政务服务热线，为了保证服务质量，您的通话可能会被录音",
                        tmp_path, "prompt", voice="cmn")
    text = transcribe_file(whisper, prompt, language="zh", background=True).text.encode()
    assert len(text) <= MAX_COMPRESSION_RATIO * len(zlib.compress(text)), text.decode()
