"""Reproducible dither: the same audio always decodes to the same words.

Kaldi adds Gaussian noise (standard deviation `--dither`, 1.0 unless the feature config says otherwise)
to every frame before computing features, so that digital silence has no log of zero. It draws that noise
from one generator per process: the same audio decodes differently from one utterance to the next, and a
misheard call cannot be reproduced from its recording. So the model is loaded with Kaldi's dither off and
each recogniser adds the same amount of noise itself, from a fixed sequence indexed by the sample's
position in the utterance: features as the model was trained with, and a transcript that depends on the
audio alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FEATURE_CONFS = ("conf/mfcc.conf", "conf/fbank.conf")  # the one vosk finds first sets the features
TABLE_SAMPLES = 1 << 16  # ~8 s at 8 kHz before the sequence repeats
_NOISE = np.rint(np.random.default_rng(20261126).normal(0.0, 1.0, TABLE_SAMPLES)).astype(np.int32)


def without_dither(path: Path, into: Path) -> Path:
    """Return the model directory vosk should load: PATH itself, or INTO with Kaldi's dither turned off.

    A model whose feature config sets --dither itself is loaded as it is (and gets no added noise);
    otherwise INTO becomes a tree of links to the model's files with that config copied plus --dither=0.
    """
    conf = next((path / name for name in FEATURE_CONFS if (path / name).is_file()), None)
    if conf is None:
        return path
    lines = conf.read_text(errors="replace").splitlines()
    if any(line.strip().startswith("--dither=") for line in lines):
        return path
    for source in path.rglob("*"):
        target = into / source.relative_to(path)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif source != conf:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source.resolve())
    (into / conf.relative_to(path)).write_text("\n".join([*lines, "--dither=0", ""]))
    return into


def dither(pcm: bytes, offset: int) -> bytes:
    """Add the fixed noise sequence to 16-bit little-endian PCM whose first sample is number OFFSET."""
    samples = np.frombuffer(pcm, dtype="<i2", count=len(pcm) // 2).astype(np.int32)
    noise = np.take(_NOISE, np.arange(offset, offset + len(samples)), mode="wrap")
    return np.clip(samples + noise, -32768, 32767).astype("<i2").tobytes()


class DitheredRecognizer:
    """A vosk KaldiRecognizer whose audio gets the reproducible dither (the rest passes through)."""

    def __init__(self, recognizer) -> None:
        self._recognizer = recognizer
        self._samples = 0

    def AcceptWaveform(self, pcm: bytes) -> bool:
        """Dither the chunk by its position in the utterance, then decode it."""
        noisy = dither(pcm, self._samples)
        self._samples += len(noisy) // 2
        return self._recognizer.AcceptWaveform(noisy)

    def __getattr__(self, name: str):
        return getattr(self._recognizer, name)
