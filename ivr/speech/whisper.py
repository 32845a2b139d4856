"""The Whisper engine (faster-whisper, CTranslate2, int8 on the CPU): utterance-level, VAD-endpointed.

Whisper is not a streaming model: it decodes a whole utterance. A listen therefore feeds the streaming
Silero VAD (`vad.py`) chunk by chunk; when the caller has spoken and then been quiet for the end-of-speech
silence, the utterance so far (at 16 kHz) is decoded once. There are no partial results: the console's
live transcript shows the finished utterance. Decodes are bounded (`max_decodes` at a time) and run in
the caller's decoding thread, never on the event loop. The model is loaded from its local directory
only (a path, never a hub name: nothing is fetched at run time) after its files pass their pinned hashes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
import unicodedata
from pathlib import Path

import numpy as np

from ivr.speech.decoder import NoiseMeter, Step
from ivr.speech.model import ModelUnavailable
from ivr.speech.results import ListenReason, SpeechResult, join_words
from ivr.speech.vad import StreamingVad, VadLimits, speech_onset, speech_state
from ivr.speech.whisper_files import ModelFilesError, verify_dir

log = logging.getLogger(__name__)

# Audio kept before the first speech window: the onset of the first word (Silero scores a window as speech
# a little after the word starts). What came earlier is not decoded: Whisper greedy-decodes 30 s windows,
# and seconds of line silence before the words (a recording of the whole call, the caller thinking before
# speaking) changed its reading of the first word (扇制 for 甚至 in a call's recording, measured).
PRE_ROLL_SECONDS = 0.5
# Whisper's own test of a failed decode (openai-whisper's default): text that gzips more than 2.4 times is a
# repetition loop, not speech. Greedy decoding has no temperature fallback to retry it, so such a segment is
# dropped: synthetic IVR prompts on a call's recording came out as 我以為是一位人 forty times (ratio 15.8,
# real speech 0.8), shown to reviewers as the call's transcript and cut off mid-character.
MAX_COMPRESSION_RATIO = 2.4

_loaded: dict[tuple[str, int, int], object] = {}  # one WhisperModel per directory, threads and workers
_loaded_lock = threading.Lock()


def load_whisper(path: Path, cpu_threads: int, workers: int = 1):
    """Load (once per process) the CTranslate2 Whisper model in `path` on the CPU, int8.

    `workers`: decodes CTranslate2 runs side by side (its default, 1, queues every caller behind the one
    running: a call transcript would hold up a live listen). The weights are shared: measured 354 MB
    resident with 1 and with 2 workers.
    """
    key = (str(path.resolve()), cpu_threads, workers)
    with _loaded_lock:
        if key not in _loaded:
            from faster_whisper import WhisperModel

            _loaded[key] = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=cpu_threads,
                                        num_workers=workers, local_files_only=True)
        return _loaded[key]


def clean_text(text: str) -> str:
    """Whisper's text without punctuation, CJK words joined, Latin words lower case (like vosk's output)."""
    kept = "".join(" " if unicodedata.category(ch).startswith("P") and ch not in "'-" else ch for ch in text)
    return join_words(kept.lower().split())


_to_simplified = None
_to_simplified_lock = threading.Lock()


def simplified(text: str) -> str:
    """Mandarin in simplified characters, as the district writes it: Whisper, trained on both scripts,
    sometimes answers in traditional ones (貨物 for 货物), which neither keywords nor a search would find."""
    global _to_simplified
    with _to_simplified_lock:
        if _to_simplified is None:
            import opencc

            _to_simplified = opencc.OpenCC("t2s")
    return _to_simplified.convert(text)


def speech_segments(segments) -> list:
    """Keep the decoded segments that are not repetition loops (MAX_COMPRESSION_RATIO)."""
    return [s for s in segments if s.compression_ratio <= MAX_COMPRESSION_RATIO]


class WhisperEngine:
    """Faster-whisper in one local directory, serving the languages it is configured for."""

    name = "whisper"

    def __init__(self, path: Path | None, *, cpu_threads: int = 0, max_decodes: int = 1,
                 vad: VadLimits = VadLimits(), min_confidence: float = 0.3) -> None:
        self.path = path
        self.cpu_threads = cpu_threads or os.cpu_count() or 1  # CTranslate2's own default is 4 threads
        self.min_confidence = min_confidence  # its scale: exp(mean token log-probability), not vosk's
        self.vad = vad
        self.model = None
        self.load_seconds: float | None = None
        self.error: str | None = None if path else "no Whisper model directory configured"
        self.max_decodes = max(1, max_decodes)
        self._decodes = threading.BoundedSemaphore(self.max_decodes)  # live listens
        self._background = threading.BoundedSemaphore(1)  # recordings after the fact, one at a time

    @property
    def ready(self) -> bool:
        """Whether utterances can be decoded."""
        return self.model is not None

    async def load(self) -> None:
        """Load in a thread; on failure log one clear line (callers of its languages get DTMF)."""
        try:
            await asyncio.to_thread(self.load_now)
        except ModelUnavailable as err:
            log.error("Whisper speech disabled: %s; callers get DTMF menus", err)

    def load_now(self) -> None:
        """Verify the files and load the model (blocking); raise ModelUnavailable on any failure."""
        if self.path is None:
            raise ModelUnavailable(self.error)
        started = time.perf_counter()
        try:
            verify_dir(self.path)
            self.model = load_whisper(self.path, self.cpu_threads, self.max_decodes + 1)
        except ModelFilesError as err:
            self.error = str(err)
            raise ModelUnavailable(self.error) from err
        except Exception as err:  # CTranslate2 raises RuntimeError/ValueError for a broken model
            self.error = f"faster-whisper could not load {self.path}: {err}"
            raise ModelUnavailable(self.error) from err
        self.load_seconds = time.perf_counter() - started
        self.error = None
        log.info("Whisper model %s loaded in %.2f s", self.path, self.load_seconds)

    def new_decoder(self, sample_rate: int, grammar: list[str] | None = None,
                    language: str | None = None) -> WhisperDecoder:
        """A decoder for one utterance in `language` (grammars are not used by Whisper)."""
        if self.model is None:
            raise ModelUnavailable(self.error or "Whisper model not loaded")
        return WhisperDecoder(self, sample_rate, (language or "zh").split("-")[0])

    def decode(self, audio: np.ndarray, language: str, background: bool = False) -> SpeechResult:
        """Decode one utterance of 16 kHz float audio (blocking; at most `max_decodes` live at once, plus
        one in the background lane)."""
        with self._background if background else self._decodes:
            segments, _ = self.model.transcribe(audio, language=language, beam_size=1, temperature=0.0,
                                                condition_on_previous_text=False, without_timestamps=True,
                                                vad_filter=False)
            segments = speech_segments(segments)
        text = clean_text(" ".join(s.text for s in segments))
        if language == "zh":
            text = simplified(text)
        if not text:
            return SpeechResult.empty(ListenReason.FINAL)
        logprob = sum(s.avg_logprob for s in segments) / len(segments)
        return SpeechResult(text, round(math.exp(logprob), 4), ListenReason.FINAL)


class WhisperDecoder:
    """One utterance: VAD per chunk, one Whisper decode at the end of speech (the UtteranceDecoder API)."""

    def __init__(self, engine: WhisperEngine, sample_rate: int, language: str) -> None:
        self.engine = engine
        self.sample_rate = sample_rate
        self.language = language
        self.vad = StreamingVad(sample_rate)
        self.noise = NoiseMeter()
        self.samples = 0
        self.speech_started = False
        self.background = False  # decoded in the engine's background lane (transcribe_pcm sets it)

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio fed so far."""
        return self.samples / self.sample_rate

    def accept(self, pcm: bytes) -> Step:
        """Score a chunk; decode the utterance when the caller has stopped speaking."""
        self.samples += len(pcm) // 2
        self.noise.measure(pcm)
        self.vad.accept(pcm)
        state = speech_state(self.vad.scores, self.engine.vad)
        self.speech_started = self.speech_started or state.started
        if not state.ended:
            return Step("")
        result = self._decode(ListenReason.FINAL)
        self.vad = StreamingVad(self.sample_rate)  # the next utterance (a message) starts afresh
        return Step(result.text, result)

    def accept_chunks(self, pcm: bytes, chunk_bytes: int) -> Step:
        """Accept fixed-size chunks in order up to the end of speech (the same cuts live and offline)."""
        step = Step("")
        for offset in range(0, len(pcm), chunk_bytes):
            step = self.accept(pcm[offset:offset + chunk_bytes])
            if step.final:
                break
        return step

    def finish(self, reason: ListenReason) -> SpeechResult:
        """Decode what was heard (nothing when the VAD heard no speech)."""
        return self._decode(reason)

    def judge(self, result: SpeechResult) -> SpeechResult:
        """Refuse words heard in broadband noise as low confidence."""
        return self.noise.judge(result)

    def _decode(self, reason: ListenReason) -> SpeechResult:
        if not speech_state(self.vad.scores, self.engine.vad).started:
            return SpeechResult.empty(reason)
        onset = speech_onset(self.vad.scores, self.engine.vad) or 0.0
        audio = self.vad.audio_16k(onset - PRE_ROLL_SECONDS)
        result = self.engine.decode(audio, self.language, self.background)
        return result.with_reason(reason)
