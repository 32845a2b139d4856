"""The utterance decoder's noise check, fed real audio: espeak-ng speech, Mandarin speech, white noise."""

from __future__ import annotations

import random
from array import array
from pathlib import Path

import pytest

from ivr.speech.decoder import NoiseMeter, UtteranceDecoder, decode_pcm
from ivr.speech.results import ListenReason, SpeechResult
from tests.ivr.speech.audio import NO, YES, pcm_of

SHARED_SPEECH = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "speech"
MANDARIN = SHARED_SPEECH / "BAC009S0764W0121.wav"


def white_noise(amplitude: int, seconds: float = 3.0, rate: int = 8000, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return array("h", [rng.randint(-amplitude, amplitude) for _ in range(int(seconds * rate))]).tobytes()


def measured(pcm: bytes, rate: int) -> NoiseMeter:
    """A decoder that has measured the audio chunk by chunk (no recogniser needed for the measure)."""
    decoder = NoiseMeter()
    chunk = rate // 10 * 2
    for offset in range(0, len(pcm), chunk):
        decoder.measure(pcm[offset:offset + chunk])
    return decoder


HEARD = SpeechResult("네", 1.0, ListenReason.FINAL)


@pytest.mark.parametrize("amplitude", [1000, 3000, 20000])
@pytest.mark.parametrize("rate", [8000, 16000])
def test_white_noise_is_refused_as_low_confidence(amplitude, rate):
    decoder = measured(white_noise(amplitude, rate=rate), rate)
    assert decoder.noise_like
    assert decoder.judge(HEARD).reason is ListenReason.LOW_CONFIDENCE


@pytest.mark.parametrize("name", ["request", "request16k", "yes", "no"])
def test_speech_is_not_noise(speech_dir, name):
    pcm, rate = pcm_of(speech_dir / f"{name}.wav")
    decoder = measured(pcm, rate)
    assert decoder.loud_chunks and not decoder.noise_like
    assert decoder.judge(HEARD) == HEARD


def test_real_mandarin_speech_is_not_noise():
    if not MANDARIN.is_file():
        pytest.skip(f"{MANDARIN} is not there (shared test data)")
    pcm, rate = pcm_of(MANDARIN)
    assert not measured(pcm, rate).noise_like


def test_quiet_line_hiss_is_silence_not_noise():
    decoder = measured(white_noise(200), 8000)
    assert decoder.loud_chunks == 0 and not decoder.noise_like


def test_what_is_not_usable_anyway_keeps_its_reason():
    decoder = measured(white_noise(3000), 8000)
    hung_up = SpeechResult("네", 1.0, ListenReason.HANGUP)
    assert decoder.judge(hung_up) is hung_up


@pytest.mark.speech
@pytest.mark.parametrize(("name", "word"), [("yes", YES), ("no", NO)])
def test_offline_decode_with_a_grammar_hears_speech_and_refuses_noise(holder, speech_dir, name, word):
    pcm, rate = pcm_of(speech_dir / f"{name}.wav")
    spoken = decode_pcm(UtteranceDecoder(holder.recognizer(rate, [YES, NO]), rate), pcm, 1600)
    assert (spoken.text, spoken.reason) == (word, ListenReason.FINAL)
    noise = decode_pcm(UtteranceDecoder(holder.recognizer(8000, [YES, NO]), 8000), white_noise(3000), 1600)
    assert not noise.usable
