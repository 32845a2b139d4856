"""One utterance through one vosk recogniser (blocking: call it from the decoding pool)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ivr.speech.results import ListenReason, SpeechResult, join_words


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

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio fed so far."""
        return self.samples / self.sample_rate

    def accept(self, pcm: bytes) -> Step:
        """Decode a chunk of 16-bit mono PCM."""
        self.samples += len(pcm) // 2
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


def decode_pcm(decoder: UtteranceDecoder, pcm: bytes, chunk_bytes: int = 3200,
               first_only: bool = True) -> SpeechResult:
    """Decode a whole buffer offline: the first utterance (as a live listen would) or all of it joined."""
    finals: list[SpeechResult] = []
    for offset in range(0, len(pcm), chunk_bytes):
        step = decoder.accept(pcm[offset:offset + chunk_bytes])
        if step.final:
            finals.append(step.final)
            if first_only:
                return step.final
    tail = decoder.finish(ListenReason.FINAL)
    if tail.text:
        finals.append(tail)
    return merge(finals)


def merge(results: list[SpeechResult]) -> SpeechResult:
    """Join consecutive utterances into one result (a message spoken with pauses)."""
    if not results:
        return SpeechResult.empty(ListenReason.SILENCE)
    words = tuple(w for r in results for w in r.words)
    confidence = sum(w.conf for w in words) / len(words) if words else results[0].confidence
    text = join_words([r.text for r in results])
    return SpeechResult(text, round(confidence, 4), ListenReason.FINAL, words)
