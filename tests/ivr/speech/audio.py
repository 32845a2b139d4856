"""Test audio: Korean speech synthesised with espeak-ng and resampled with sox, cached per session."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

# Phrases the packaged Korean model decodes to usable words from espeak-ng's voice (decoding is
# reproducible: ivr/speech/dither.py; the audio too: sox -D).
REQUEST_PHRASE = "우리 동네 공사 소음이 너무 심해요"  # "construction noise in our neighbourhood is too loud"
YES = "네"
NO = "아니요"


def synthesise(text: str, directory: Path, name: str, rate: int = 8000, pad: float = 1.0,
               voice: str = "ko") -> Path:
    """Write `name`.wav: `text` in espeak-ng's `voice` (Korean) at `rate` Hz, `pad` s of silence after."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        raise RuntimeError("espeak-ng and sox are needed to make test speech (scripts/system-deps.sh)")
    raw = directory / f"{name}.raw.wav"
    out = directory / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer",
                    str(out), "pad", "0.2", str(pad)], check=True)
    return out


def pcm_of(path: Path) -> tuple[bytes, int]:
    """Return a WAV file's 16-bit mono samples and sample rate."""
    with wave.open(str(path)) as wav:
        return wav.readframes(wav.getnframes()), wav.getframerate()


def assert_heard_as_played(heard: Path, played: Path, *, whole: bool) -> None:
    """The recogniser heard the file Asterisk played sample for sample, from its start.

    `whole`: up to its end, less the last partial 20 ms frame (Playback sends whole frames only);
    otherwise a prefix (vosk's endpoint closed the listen before the file ended).
    """
    heard_pcm, heard_rate = pcm_of(heard)
    played_pcm, played_rate = pcm_of(played)
    assert heard_rate == played_rate
    assert heard_pcm and played_pcm.startswith(heard_pcm), "the audio changed on its way to the recogniser"
    frame = played_rate // 50 * 2
    if whole:
        assert len(played_pcm) - len(heard_pcm) < frame, f"{len(heard_pcm)} of {len(played_pcm)} bytes heard"
