"""The real Whisper base model, installed as `make test` does (idempotent), loaded once per session."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ivr.config import IvrSettings
from ivr.speech.check import MANDARIN_RECORDING
from ivr.speech.install import install
from ivr.speech.whisper import WhisperEngine


@pytest.fixture(scope="session")
def whisper() -> WhisperEngine:
    """The Whisper engine on the model `hotline models install` placed where HOTLINE_WHISPER_MODEL points."""
    target = IvrSettings().whisper_model
    install(target)
    engine = WhisperEngine(target)
    engine.load_now()
    return engine


@pytest.fixture(scope="session")
def mandarin_8k(tmp_path_factory) -> Path:
    """The AISHELL-1 recording at 8 kHz (sox, no dither), as a caller's line carries it."""
    if not MANDARIN_RECORDING.is_file():
        pytest.skip(f"{MANDARIN_RECORDING} is not there (shared test data)")
    out = tmp_path_factory.mktemp("mandarin") / "BAC009S0764W0121-8k.wav"
    subprocess.run(["sox", "-D", str(MANDARIN_RECORDING), "-r", "8000", "-c", "1", "-b", "16", str(out)],
                   check=True)
    return out
