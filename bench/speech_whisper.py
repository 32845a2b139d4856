"""Whisper base (faster-whisper, int8, CPU) through the speech pipeline against the raw engine, same run.

Run: .venv/bin/python -m bench.speech --engine whisper   (or -m bench.speech_whisper)
Audio: the AISHELL-1 Mandarin recording at 8 kHz plus 2 s of silence (the caller stops talking).
Raw: WhisperEngine.decode at 16 kHz, on N threads (the same bound of decodes at once), of the audio the
pipeline decodes (up to where the VAD ends the utterance: Whisper's cost grows with the audio, and
decoding the 2 s of trailing silence too made the raw engine look slower than the pipeline).
Raw and pipeline run in turns, three rounds each, and their medians are compared (the machine is shared).
Pipeline: SpeechService.listen over loopback AudioSocket from a child process (as Asterisk), VAD per
chunk, one decode at the end of speech. Figures: load time and memory of the engine; RTF per stream at
1, 2 and 4 callers (unpaced); end-of-speech-to-result latency p50/p95 at 1, 2 and 4 paced callers
(from the last sample of speech to the result, which includes the end-of-speech silence the VAD waits
for); pipeline/raw ratio; CER against the reference.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from bench.speech import RemoteAsterisk, _discard, interleaved, pipeline, rss_mb
from ivr.config import IvrSettings
from ivr.speech.api import SpeechConfig, SpeechService
from ivr.speech.check import MANDARIN_RECORDING, MANDARIN_REFERENCE, cer
from ivr.speech.endpoint import Limits
from ivr.speech.engines import EngineSet
from ivr.speech.pool import RecognizerPool
from ivr.speech.transcribe import read_wav
from ivr.speech.vad import VadLimits, speech_state, to_16k
from ivr.speech.whisper import WhisperEngine

END_SILENCE = 0.8
CALLERS = (1, 2, 4)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def speech_end(pcm: bytes) -> float:
    """Seconds into the audio where the last loud 20 ms ends (the caller's last word)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    frames = samples[: len(samples) // 160 * 160].reshape(-1, 160)
    loud = np.nonzero(np.sqrt((frames ** 2).mean(axis=1)) > 300)[0]
    return float((loud[-1] + 1) * 160 / 8000) if len(loud) else 0.0


def telephone_pcm() -> bytes:
    """The recording at 8 kHz (sox, no dither)."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "8k.wav"
        subprocess.run(["sox", "-D", str(MANDARIN_RECORDING), "-r", "8000", "-c", "1", "-b", "16", str(wav)],
                       check=True)
        return read_wav(wav)[0]


def heard_by_the_pipeline(engine: WhisperEngine, pcm: bytes) -> bytes:
    """The audio a listen hands to Whisper: up to where the VAD ends the utterance (100 ms chunks), so the
    raw engine decodes exactly what the pipeline decodes (Whisper's cost grows with the audio)."""
    decoder = engine.new_decoder(8000, None, "zh")
    chunk = 1600
    for offset in range(0, len(pcm), chunk):
        decoder.samples += len(pcm[offset:offset + chunk]) // 2
        decoder.vad.accept(pcm[offset:offset + chunk])
        if speech_state(decoder.vad.scores, engine.vad).ended:
            break
    return pcm[: decoder.samples * 2]


def raw_decode(engine: WhisperEngine, pcm: bytes, streams: int) -> tuple[float, str]:
    """The engine alone on `streams` threads: wall seconds and the text."""
    audio = to_16k(np.frombuffer(pcm, dtype="<i2"), 8000)
    with ThreadPoolExecutor(max_workers=streams) as threads:
        started = time.perf_counter()
        results = list(threads.map(lambda _: engine.decode(audio, "zh"), range(streams)))
    return time.perf_counter() - started, results[0].text


async def run() -> None:
    settings = IvrSettings()
    engine = WhisperEngine(settings.whisper_model, vad=VadLimits(end_silence_seconds=END_SILENCE))
    rss0 = rss_mb()
    engine.load_now()
    print(f"whisper {settings.whisper_model}: load {engine.load_seconds:.2f} s, "
          f"RSS +{rss_mb() - rss0:.0f} MB, {engine.cpu_threads} CTranslate2 threads, 1 decode at a time")
    pcm = telephone_pcm()
    ended = speech_end(pcm)
    pcm += bytes(8000 * 2 * 2)
    audio = len(pcm) / 16000
    limits = Limits(max_seconds=60, no_input_seconds=30, trailing_silence_seconds=END_SILENCE)
    service = SpeechService(SpeechConfig(port=0, min_confidence=0.0, limits=limits),
                            EngineSet({"zh": engine}), RecognizerPool(max_streams=16, workers=3), _discard)
    await service.start()
    remote = RemoteAsterisk(pcm)
    print(f"utterance {audio:.2f} s of 8 kHz audio, speech ends at {ended:.2f} s")
    try:
        await _rtf(service, remote, engine, pcm, audio)
        await _latency(service, remote, ended)
    finally:
        remote.close()
        await service.stop()


async def _rtf(service, remote, engine, pcm: bytes, audio: float) -> None:
    heard = heard_by_the_pipeline(engine, pcm)
    print(f"raw decodes the {len(heard) / 16000:.2f} s the VAD passes on; RTF = wall seconds / {audio:.2f} s")
    print(f"{'callers':>7} {'raw RTF':>8} {'pipe RTF':>9} {'pipe/raw':>9}")
    for streams in CALLERS:
        raw = partial(raw_decode, engine, heard, streams)
        raw_wall, pipe_wall, raw_text, results = await interleaved(
            raw, partial(pipeline, service, remote, streams, False))
        print(f"{streams:>7} {raw_wall / audio:>8.3f} {pipe_wall / audio:>9.3f} {pipe_wall / raw_wall:>9.2f}")
    text = results[0].text
    print(f"pipeline text {text!r} (raw {raw_text!r}); CER at 8 kHz {cer(MANDARIN_REFERENCE, text):.1%}")


async def _latency(service, remote, ended: float, rounds: int = 3) -> None:
    print("end-of-speech-to-result latency, paced real-time callers (includes the "
          f"{END_SILENCE} s of silence the VAD waits for):")
    for streams in CALLERS:
        lags: list[float] = []
        for _ in range(max(1, rounds // streams + (streams < 4))):
            started = time.perf_counter()
            results = await asyncio.gather(*(_timed(service, remote, i) for i in range(streams)))
            lags += [done - started - ended for done, _ in results]
        print(f"  {streams} callers: p50 {statistics.median(lags):.2f} s, p95 {percentile(lags, 95):.2f} s "
              f"({len(lags)} results)")


async def _timed(service, remote, index: int) -> tuple[float, object]:
    from bench.speech import Streamer

    result = await service.listen(Streamer(remote, True), f"lat-{index}", language="zh")
    return time.perf_counter(), result


def main() -> None:
    if not MANDARIN_RECORDING.is_file():
        raise SystemExit(f"{MANDARIN_RECORDING} not found (shared test data)")
    asyncio.run(run())


if __name__ == "__main__":
    main()
