"""One utterance through one vosk recogniser (blocking: call it from the decoding pool)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import numpy as np

from ivr.speech.results import ListenReason, SpeechResult, join_words

log = logging.getLogger(__name__)

# Broadband noise is not speech: in a chunk loud enough to be someone talking, speech crosses zero at
# 0.05-0.25 of its samples (voiced sound is low-pitched; even fricatives average below 0.35 over a word),
# white noise at 0.5 whatever the sample rate. A grammar maps any sound onto its phrases ("yes" at
# confidence 1.0 for a hiss), so an utterance whose loud chunks cross zero this often is not acted on.
LOUD_RMS = 300.0  # chunk RMS (16-bit scale) above which a chunk counts as sound, not line silence
NOISE_ZERO_CROSSINGS = 0.35  # mean zero-crossing rate of the loud chunks from which it is noise


@dataclass(frozen=True)
class Step:
    """What the recogniser says after a chunk: its current partial text and the result if it endpointed."""

    partial: str
    final: SpeechResult | None = None


class UtteranceDecoder:
    """Feed PCM chunks, report partials and vosk's endpoint, produce the final result."""

    def __init__(self, recognizer, sample_rate: int) -> None:
        self.recognizer = recognizer
        self.sample_rate = sample_rate
        self.samples = 0
        self.speech_started = False
        self.noise = NoiseMeter()

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio fed so far."""
        return self.samples / self.sample_rate

    def accept(self, pcm: bytes) -> Step:
        """Decode a chunk of 16-bit mono PCM."""
        self.samples += len(pcm) // 2
        self.noise.measure(pcm)
        if self.recognizer.AcceptWaveform(pcm):
            result = SpeechResult.from_vosk(self.recognizer.Result(), ListenReason.FINAL)
            if result.text:
                self.speech_started = True
                return Step(result.text, result)
            return Step("")  # vosk closed a segment of silence: keep listening
        partial = json.loads(self.recognizer.PartialResult()).get("partial", "")
        self.speech_started = self.speech_started or bool(partial)
        return Step(partial)

    def accept_chunks(self, pcm: bytes, chunk_bytes: int) -> Step:
        """Decode fixed-size chunks in order up to vosk's endpoint (fixed chunks: reproducible results)."""
        step = Step("")
        for offset in range(0, len(pcm), chunk_bytes):
            step = self.accept(pcm[offset:offset + chunk_bytes])
            if step.final:
                break
        return step

    def finish(self, reason: ListenReason) -> SpeechResult:
        """Flush the recogniser and return what was said, ending for `reason`."""
        return SpeechResult.from_vosk(self.recognizer.FinalResult(), reason)

    def judge(self, result: SpeechResult) -> SpeechResult:
        """Refuse words heard in noise as low confidence (the caller gets the keys instead)."""
        return self.noise.judge(result)


class NoiseMeter:
    """The mean zero-crossing rate of an utterance's loud chunks: broadband noise or speech (any engine)."""

    def __init__(self) -> None:
        self.loud_chunks = 0
        self.loud_crossings = 0.0  # sum of the loud chunks' zero-crossing rates

    @property
    def noise_like(self) -> bool:
        """Whether the sound so far is broadband noise rather than speech."""
        return bool(self.loud_chunks) and self.loud_crossings / self.loud_chunks >= NOISE_ZERO_CROSSINGS

    def measure(self, pcm: bytes) -> None:
        """Count one chunk of 16-bit PCM if it is loud."""
        samples = np.frombuffer(pcm, dtype="<i2", count=len(pcm) // 2).astype(np.int64)
        if len(samples) < 2 or int(np.dot(samples, samples)) < LOUD_RMS ** 2 * len(samples):
            return
        negative = samples < 0
        self.loud_chunks += 1
        self.loud_crossings += int(np.count_nonzero(negative[1:] != negative[:-1])) / (len(samples) - 1)

    def judge(self, result: SpeechResult) -> SpeechResult:
        """Refuse words heard in noise as low confidence (the caller gets the keys instead)."""
        if result.text and result.usable and self.noise_like:
            log.info("%r heard in noise (zero-crossing rate %.2f), not speech", result.text,
                     self.loud_crossings / self.loud_chunks)
            return result.with_reason(ListenReason.LOW_CONFIDENCE)
        return result


def decode_pcm(decoder: UtteranceDecoder, pcm: bytes, chunk_bytes: int = 3200,
               first_only: bool = True) -> SpeechResult:
    """Decode a whole buffer offline: the first utterance (as a live listen would) or all of it joined."""
    finals: list[SpeechResult] = []
    for offset in range(0, len(pcm), chunk_bytes):
        step = decoder.accept(pcm[offset:offset + chunk_bytes])
        if step.final:
            finals.append(step.final)
            if first_only:
                return decoder.judge(step.final)
    tail = decoder.finish(ListenReason.FINAL)
    if tail.text:
        finals.append(tail)
    return decoder.judge(merge(finals))


def merge(results: list[SpeechResult]) -> SpeechResult:
    """Join consecutive utterances into one result (a message spoken with pauses)."""
    if not results:
        return SpeechResult.empty(ListenReason.SILENCE)
    words = tuple(w for r in results for w in r.words)
    confidence = (sum(w.conf for w in words) / len(words) if words  # utterance engines give no words
                  else sum(r.confidence for r in results) / len(results))
    text = join_words([r.text for r in results])
    return SpeechResult(text, round(confidence, 4), ListenReason.FINAL, words)
