"""End of speech for utterance-level engines: the Silero VAD shipped inside faster-whisper, streamed.

Audio arrives at the call's rate (8 kHz on the telephone); Silero wants 16 kHz windows of 512 samples
with 64 samples of context. The telephone audio is brought to 16 kHz by linear interpolation (`to_16k`),
and a window is scored once every sample it needs has arrived, carrying the model's state from window
to window, so the scores depend on the audio alone, never on how it was cut into frames: live equals
offline (measured: windows scored three at a time with the carried state equal one pass, to the bit).
The decision over the scores (`speech_state`) is pure.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

RATE = 16000
WINDOW = 512  # samples at 16 kHz (32 ms)
CONTEXT = 64
WINDOW_SECONDS = WINDOW / RATE


def to_16k(pcm: np.ndarray, rate: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Samples [start, stop) at 16 kHz of int16 audio at `rate`, scaled to [-1, 1] (linear interpolation).

    A sample past the last input sample holds its value (the same at any stop: chunk-independent).
    """
    total = samples_at_16k(len(pcm), rate)
    stop = total if stop is None else stop
    if rate == RATE:
        return pcm[start:stop].astype(np.float32) / 32768.0
    positions = np.arange(start, stop, dtype=np.float64) * rate / RATE
    if not len(positions):
        return np.zeros(0, dtype=np.float32)
    # Only the input samples around the wanted positions: a live listen asks for a few windows per chunk,
    # and interpolating over the whole utterance each time made it quadratic. Shifting by the integer
    # `low` is exact in float64, so the values are the same to the bit.
    low = int(positions[0])
    high = min(len(pcm), int(positions[-1]) + 2)
    near = pcm[low:high].astype(np.float32)
    return (np.interp(positions - low, np.arange(high - low), near) / 32768.0).astype(np.float32)


def samples_at_16k(count: int, rate: int) -> int:
    """How many 16 kHz samples `count` samples at `rate` make."""
    return count * RATE // rate


def settled_16k(count: int, rate: int) -> int:
    """16 kHz samples that later audio can no longer change (those before the last input sample)."""
    if count == 0:
        return 0
    return samples_at_16k(count, rate) if rate == RATE else (count - 1) * RATE // rate + 1


@dataclass(frozen=True)
class VadLimits:
    """How the scores become speech: Silero's thresholds, the shortest speech, the silence that ends it."""

    threshold: float = 0.5  # a window at or above is speech
    min_speech_seconds: float = 0.25  # speech windows needed before the caller "started talking"
    end_silence_seconds: float = 0.8  # windows below the threshold after speech that end the utterance


@dataclass(frozen=True)
class SpeechState:
    """What the scores say so far."""

    started: bool
    ended: bool
    speech_seconds: float


def speech_state(scores: list[float], limits: VadLimits) -> SpeechState:
    """Decide from window scores whether speech started and whether it has ended (pure)."""
    speech = [i for i, p in enumerate(scores) if p >= limits.threshold]
    speech_seconds = len(speech) * WINDOW_SECONDS
    started = speech_seconds >= limits.min_speech_seconds
    quiet = (len(scores) - 1 - speech[-1]) * WINDOW_SECONDS if speech else 0.0
    return SpeechState(started, started and quiet >= limits.end_silence_seconds, round(speech_seconds, 3))


def speech_onset(scores: list[float], limits: VadLimits) -> float | None:
    """Seconds into the utterance of its first speech window, or None before any (pure)."""
    return next((i * WINDOW_SECONDS for i, p in enumerate(scores) if p >= limits.threshold), None)


_model_lock = threading.Lock()
_model = None


def silero():
    """The Silero ONNX session of faster-whisper (loaded once per process, from the package's assets)."""
    global _model
    with _model_lock:
        if _model is None:
            from faster_whisper.vad import get_vad_model

            _model = get_vad_model()
        return _model


class StreamingVad:
    """Score each 32 ms window of a growing utterance once, in order, with the model's state carried."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.pcm = np.zeros(0, dtype=np.int16)
        self.scores: list[float] = []
        self._tail = np.zeros(CONTEXT, dtype=np.float32)  # the previous window's last 64 samples
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)

    def accept(self, pcm: bytes) -> None:
        """Add int16 audio and score every window it completes."""
        self.pcm = np.concatenate([self.pcm, np.frombuffer(pcm, dtype="<i2", count=len(pcm) // 2)])
        ready = settled_16k(len(self.pcm), self.rate) // WINDOW
        first = len(self.scores)
        if ready <= first:
            return
        audio = to_16k(self.pcm, self.rate, first * WINDOW, ready * WINDOW).reshape(-1, WINDOW)
        context = np.concatenate([self._tail[None, :], audio[:-1, -CONTEXT:]])
        batch = np.concatenate([context, audio], axis=1)
        out, self._h, self._c = silero().session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._tail = audio[-1, -CONTEXT:].copy()
        self.scores.extend(float(p) for p in np.asarray(out).reshape(-1))

    def audio_16k(self, start_seconds: float = 0.0) -> np.ndarray:
        """The utterance so far at 16 kHz from `start_seconds` on, for the recogniser."""
        return to_16k(self.pcm, self.rate, start=int(max(0.0, start_seconds) * RATE))
