"""What the speech server sends back down an AudioSocket stream: the listen's prompt, then keep-alive silence.

The prompt plays inside the listen (not before it with STREAM FILE), so the caller is heard from the first
moment: speech during the prompt stops it (barge-in) and is part of the utterance, and a key arrives as a
DTMF frame. Frames go out at the call's pace, a little ahead (LEAD_SECONDS), so a busy event loop never
starves the caller's ear and a stop cuts the prompt within that lead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import wave
from functools import lru_cache
from pathlib import Path

from ivr.speech.frames import Kind, encode

log = logging.getLogger(__name__)

RATE = 8000
FRAME_BYTES = RATE * 2 * 20 // 1000  # 20 ms of 8 kHz 16-bit mono, as Asterisk sends
FRAME_SECONDS = 0.02
LEAD_SECONDS = 0.1
# Asterisk's AudioSocket gives up after 2 s without traffic either way; a caller who says nothing sends no
# frames over a Local channel, so after the prompt the server sends a frame of silence this often.
KEEPALIVE_SECONDS = 0.5
KEEPALIVE_FRAME = encode(Kind.AUDIO, bytes(FRAME_BYTES))


def prompt_pcm(path: Path) -> bytes | None:
    """The samples of a prompt file if it is 8 kHz 16-bit mono WAV (what `hotline prompts build` writes),
    else None (the IVR then plays it with STREAM FILE before listening)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_prompt(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=256)
def _read_prompt(path: str, _mtime_ns: int, _size: int) -> bytes | None:
    try:
        with wave.open(path) as wav:
            if (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) != (RATE, 2, 1):
                log.info("prompt %s is not 8 kHz 16-bit mono: played before listening", path)
                return None
            return wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, OSError) as err:
        log.warning("prompt %s unreadable (%s): played before listening", path, err)
        return None


class Speaker:
    """Play one prompt down the stream (stoppable), then keep the stream alive with silence."""

    def __init__(self, writer: asyncio.StreamWriter, prompt: bytes = b"") -> None:
        self.writer = writer
        self.prompt = prompt
        self.sent = 0  # prompt bytes written so far
        self.stopped_at: float | None = None  # seconds into the prompt a stop() cut it
        self.ended = asyncio.Event()  # the prompt is over (played out or stopped)
        if not prompt:
            self.ended.set()
        self._stop = asyncio.Event()

    @property
    def playing(self) -> bool:
        """Whether the prompt is still playing."""
        return not self.ended.is_set()

    @property
    def prompt_seconds(self) -> float:
        """Length of the whole prompt."""
        return len(self.prompt) / (RATE * 2)

    def stop(self) -> None:
        """Cut the prompt now (barge-in); what is already sent (at most LEAD_SECONDS ahead) still plays."""
        if self.playing:
            self.stopped_at = round(self.sent / (RATE * 2), 3)
            self._stop.set()
            self.ended.set()

    async def run(self) -> None:
        """Send the prompt, then silence now and then, until the stream closes (run as a task)."""
        with contextlib.suppress(OSError, ConnectionError):
            await self._play()
            self.ended.set()
            while not self.writer.is_closing():
                await asyncio.sleep(KEEPALIVE_SECONDS)
                self.writer.write(KEEPALIVE_FRAME)
                await self.writer.drain()

    async def _play(self) -> None:
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(self.prompt), FRAME_BYTES)):
            if self._stop.is_set() or self.writer.is_closing():
                return
            delay = started + index * FRAME_SECONDS - LEAD_SECONDS - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # a stop is seen within one frame
                if self._stop.is_set():
                    return
            frame = self.prompt[offset:offset + FRAME_BYTES]
            self.writer.write(encode(Kind.AUDIO, frame.ljust(FRAME_BYTES, b"\0")))
            self.sent = offset + len(frame)
            await self.writer.drain()
        # the prompt is written; it is over for the caller once the lead has played out
        await asyncio.sleep(max(0.0, started + len(self.prompt) / (RATE * 2) - time.monotonic()))
