"""An AudioSocket client playing PCM the way Asterisk does (benchmarks, tests, `hotline speech` tools)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

from ivr.speech.frames import Kind, encode, read_frame, uuid_frame

FRAME_MS = 20
RATE_KINDS = {8000: Kind.AUDIO, 16000: Kind.AUDIO_16K, 48000: Kind.AUDIO_48K}


def split_frames(pcm: bytes, sample_rate: int = 8000, frame_ms: int = FRAME_MS) -> list[bytes]:
    """Cut 16-bit mono PCM into AudioSocket-sized frames (20 ms, as Asterisk sends)."""
    size = sample_rate * 2 * frame_ms // 1000
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


async def stream_pcm(address: str, stream_id: str, pcm: bytes, *, sample_rate: int = 8000,
                     paced: bool = True, hangup_after: bool = False, tail_silence: float = 0.0) -> float:
    """Connect, send the UUID then audio frames (in real time when paced); return seconds until closed.

    Stops sending when the server closes the stream (end of utterance), like Asterisk does.
    """
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    kind = RATE_KINDS[sample_rate]
    started = time.perf_counter()
    closed = asyncio.create_task(_until_closed(reader))
    try:
        writer.write(uuid_frame(uuid.UUID(stream_id)))
        silence = bytes(int(sample_rate * tail_silence) * 2)
        for index, frame in enumerate(split_frames(pcm + silence, sample_rate)):
            if closed.done():
                break
            writer.write(encode(kind, frame))
            await writer.drain()
            if paced:
                await _sleep_until(started + (index + 1) * FRAME_MS / 1000)
        if hangup_after and not closed.done():
            writer.write(encode(Kind.HANGUP))
            await writer.drain()
        await closed
    except (ConnectionError, OSError):
        pass  # the server closed first: that is how a listen ends
    finally:
        closed.cancel()
        writer.close()
        with contextlib.suppress(OSError, ConnectionError):
            await writer.wait_closed()
    return time.perf_counter() - started


async def _until_closed(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(Exception):
        while await read_frame(reader) is not None:
            pass


async def _sleep_until(deadline: float) -> None:
    delay = deadline - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)
