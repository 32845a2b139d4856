"""A real Mandarin recording (AISHELL-1 BAC009S0764W0121) decoded by the configured Mandarin model."""

from pathlib import Path

import pytest

from ivr.config import IvrSettings
from ivr.speech.model import ModelHolder
from ivr.speech.transcribe import transcribe_file

RECORDING = Path(__file__).parents[3] / ".." / "shared" / "testdata" / "speech" / "BAC009S0764W0121.wav"
REFERENCE = "甚至出现交易几乎停滞的情况"


def test_mandarin_recording_is_transcribed_without_spaces():
    settings = IvrSettings()
    if settings.vosk_model is None or settings.speech_language != "zh":
        pytest.skip("no Mandarin model configured (set HOTLINE_VOSK_MODEL to vosk-model-small-cn-0.22)")
    if not RECORDING.is_file():
        pytest.skip(f"{RECORDING} not found: the shared speech test data is not mounted")
    holder = ModelHolder(settings.vosk_model, "zh")
    holder.load_now()
    text = transcribe_file(holder, RECORDING).text
    assert " " not in text
    assert sum(ch in REFERENCE for ch in text) >= len(REFERENCE) // 2, text
