"""One call's audio stream: read AudioSocket frames, decode off the loop, decide the end, publish.

The listen's prompt plays down the same stream (`speaker.py`): the caller's audio is decoded from the
first frame, speech stops the prompt (barge-in), a key ends the listen (the caller wants the keys), and
the no-input and length limits count from the end of the prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ivr.speech.decoder import Step
from ivr.speech.endpoint import Limits, Progress, decide
from ivr.speech.engines import EngineSet
from ivr.speech.frames import Frame, FrameError, Kind, read_frame
from ivr.speech.model import ModelHolder, ModelUnavailable
from ivr.speech.pool import Lease, RecognizerPool
from ivr.speech.results import ListenReason, SpeechResult
from ivr.speech.speaker import Speaker
from ticketing.bus.contract import Event, TranscriptFinal, TranscriptPartial

log = logging.getLogger(__name__)

Publish = Callable[[Event], Awaitable[None]]
CHUNK_SECONDS = 0.1  # decode in 100 ms steps: few pool hops, partials still lively
TICK_SECONDS = 0.1


@dataclass
class ListenRequest:
    """A listen the IVR registered before asking Asterisk to connect (keyed by the stream UUID)."""

    stream_id: str
    linkedid: str
    limits: Limits
    lease: Lease
    grammar: list[str] | None = None
    language: str | None = None
    prompt: bytes = b""  # 8 kHz PCM played down the stream while listening (barge-in); b"": none
    result: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def resolve(self, result: SpeechResult) -> None:
        """Hand the result to the waiting IVR step (once) and free the recogniser slot."""
        self.lease.release()
        if not self.result.done():
            self.result.set_result(result)


def chunk_bytes(sample_rate: int) -> int:
    """Bytes of one decoding chunk at a sample rate (the same for live and offline decoding)."""
    return int(sample_rate * CHUNK_SECONDS) * 2


class StreamEnded(Exception):
    """The stream stopped before the utterance ended (hang-up, protocol error, or a key pressed)."""

    def __init__(self, reason: ListenReason, detail: str, key: str = "") -> None:
        super().__init__(detail)
        self.reason = reason
        self.key = key


class StreamSession:
    """Decode one listen's audio until the endpoint, a limit, a hang-up or a broken stream."""

    def __init__(self, request: ListenRequest, holder: EngineSet | ModelHolder, pool: RecognizerPool,
                 publish: Publish, audio_dir: Path | None = None) -> None:
        self.request = request
        self.holder = holder
        self.pool = pool
        self.publish = publish
        self.audio_dir = audio_dir
        self.decoder = None  # the engine's decoder (UtteranceDecoder, WhisperDecoder) from the first audio
        self.buffer = bytearray()
        self.heard = bytearray()  # the audio handed to the recogniser, in order (kept when audio_dir is set)
        self.last_partial = ""
        self.last_audio = time.monotonic()
        self.endpointed: SpeechResult | None = None
        self.speaker: Speaker | None = None
        self.opened: tuple[float, float] | None = None  # (audio seconds, clock) when the prompt was over

    async def run(self, reader: asyncio.StreamReader, speaker: Speaker | None = None) -> SpeechResult:
        """Consume the stream and return the result (also published as transcript.final)."""
        self.speaker = speaker
        try:
            result = await self._listen(reader)
        except StreamEnded as ended:
            log.info("listen %s (call %s) ended: %s", self.request.stream_id, self.request.linkedid, ended)
            keyed = ended.reason is ListenReason.KEYED
            result = SpeechResult(ended.key, 1.0, ended.reason) if keyed else await self._finish(ended.reason)
        except ModelUnavailable as err:
            log.error("listen %s: %s", self.request.stream_id, err)
            result = SpeechResult.empty(ListenReason.NO_MODEL)
        if speaker is not None:
            speaker.stop()
        await self._keep_audio()
        await self._publish_final(result)
        return result

    async def _listen(self, reader: asyncio.StreamReader) -> SpeechResult:
        """Read frames while the previous chunks decode, so a busy pool gets bigger batches, not a backlog."""
        read: asyncio.Task | None = None
        decoding: asyncio.Task | None = None
        try:
            while True:
                read = read or asyncio.create_task(read_frame(reader))
                if decoding is None and self._chunk_ready():
                    decoding = asyncio.create_task(self._decode_ready())
                waiting = {read, decoding} - {None}
                done, _ = await asyncio.wait(waiting, timeout=TICK_SECONDS,
                                             return_when=asyncio.FIRST_COMPLETED)
                if read in done:
                    frame = self._frame_of(read)
                    read = None
                    await self._take(frame)
                reason = None
                if decoding is not None and decoding.done():
                    reason, decoding = decoding.result(), None
                elif decoding is None:
                    reason = self._check_clock()
                if reason:
                    return await self._finish(reason)
        finally:
            if read:
                read.cancel()
            if decoding:  # never let _finish touch the recogniser while a chunk is still decoding
                with contextlib.suppress(Exception):
                    await decoding

    def _chunk_ready(self) -> bool:
        return self.decoder is not None and len(self.buffer) >= chunk_bytes(self.decoder.sample_rate)

    def _frame_of(self, task: asyncio.Task) -> Frame | None:
        """Return the frame a read produced, translating read failures into the end of the stream."""
        err = task.exception()
        if err is None:
            return task.result()
        if isinstance(err, FrameError):
            raise StreamEnded(ListenReason.ERROR, f"malformed AudioSocket frame: {err}") from err
        raise StreamEnded(ListenReason.HANGUP, f"socket error: {err}") from err

    async def _take(self, frame: Frame | None) -> None:
        """Handle one frame: buffer audio, end on hang-up or error."""
        if frame is None or frame.kind is Kind.HANGUP:
            raise StreamEnded(ListenReason.HANGUP, "caller hung up")
        if frame.kind is Kind.ERROR:
            raise StreamEnded(ListenReason.ERROR, f"Asterisk reported an error {frame.payload.hex()}")
        if frame.kind is Kind.DTMF:
            key = frame.payload[:1].decode("ascii", "replace")
            raise StreamEnded(ListenReason.KEYED, f"the caller pressed {key}", key)
        rate = frame.sample_rate
        if rate is None:
            return  # UUID repeated: nothing to decode
        if self.decoder is None:
            self.decoder = await self.pool.run(self._new_decoder, rate)
        elif rate != self.decoder.sample_rate:
            raise StreamEnded(ListenReason.ERROR, f"sample rate changed {self.decoder.sample_rate} → {rate}")
        self.buffer += frame.payload
        self.last_audio = time.monotonic()

    def _new_decoder(self, rate: int):
        if rate != 8000:
            log.info("listen %s: audio at %d Hz (the engine resamples)", self.request.stream_id, rate)
        return self.holder.new_decoder(rate, self.request.grammar, self.request.language)

    async def _decode_ready(self) -> ListenReason | None:
        """Decode the whole chunks buffered so far; return the endpoint decision."""
        if self.decoder is None:
            return None
        chunk = chunk_bytes(self.decoder.sample_rate)
        ready = len(self.buffer) - len(self.buffer) % chunk
        if not ready:
            return None
        pcm, self.buffer = bytes(self.buffer[:ready]), self.buffer[ready:]
        self._heard(pcm)
        step = await self.pool.run(self.decoder.accept_chunks, pcm, chunk)
        self.last_audio = time.monotonic()  # time spent decoding is not the caller's silence
        await self._publish_partial(step)
        if step.final:
            self.endpointed = step.final
        self._barge_in()
        return self._decide(endpoint=step.final is not None)

    def _barge_in(self) -> None:
        """Stop the prompt once the caller speaks over it."""
        speaker = self.speaker
        if speaker is not None and speaker.playing and self.decoder.speech_started:
            speaker.stop()
            log.info("listen %s (call %s): the caller spoke %.2f s into the %.2f s prompt: prompt stopped",
                     self.request.stream_id, self.request.linkedid, speaker.stopped_at,
                     speaker.prompt_seconds)

    def _check_clock(self) -> ListenReason | None:
        return self._decide(endpoint=False)

    def _decide(self, endpoint: bool) -> ListenReason | None:
        """The endpoint decision; the clock's limits only run once the prompt is over."""
        if not self._prompt_over():
            return ListenReason.FINAL if endpoint else None
        return decide(self._progress(endpoint), self.request.limits)

    def _prompt_over(self) -> bool:
        if self.opened is None and (self.speaker is None or not self.speaker.playing):
            self.opened = (self.decoder.audio_seconds if self.decoder else 0.0, time.monotonic())
        return self.opened is not None

    def _progress(self, endpoint: bool) -> Progress:
        decoder = self.decoder
        heard_before, opened_at = self.opened or (0.0, 0.0)
        return Progress(audio_seconds=(decoder.audio_seconds if decoder else 0.0) - heard_before,
                        speech_started=bool(decoder and decoder.speech_started), endpoint=endpoint,
                        quiet_seconds=time.monotonic() - max(self.last_audio, opened_at))

    async def _finish(self, reason: ListenReason) -> SpeechResult:
        """Decode what is left and return the utterance (vosk's endpoint result when it fired)."""
        if self.endpointed is not None:
            return self.decoder.judge(self.endpointed.with_reason(reason))
        if self.decoder is None:
            return SpeechResult.empty(ListenReason.SILENCE if reason is ListenReason.FINAL else reason)
        tail, self.buffer = bytes(self.buffer), bytearray()
        self._heard(tail)
        result = await self.pool.run(self._flush, tail, reason)
        if not result.text and reason is ListenReason.FINAL:
            return result.with_reason(ListenReason.SILENCE)
        return self.decoder.judge(result)

    def _flush(self, tail: bytes, reason: ListenReason) -> SpeechResult:
        if tail:
            step = self.decoder.accept_chunks(tail, chunk_bytes(self.decoder.sample_rate))
            if step.final:
                return step.final.with_reason(reason)
        return self.decoder.finish(reason)

    def _heard(self, pcm: bytes) -> None:
        if self.audio_dir is not None:
            self.heard += pcm

    async def _keep_audio(self) -> None:
        """Write the utterance as the recogniser heard it to audio_dir (for review); never fails the call."""
        if self.audio_dir is None or self.decoder is None or not self.heard:
            return
        path = utterance_path(self.audio_dir, self.request.linkedid, self.request.stream_id)
        try:
            await asyncio.to_thread(write_wav, path, bytes(self.heard), self.decoder.sample_rate)
        except OSError as err:
            log.error("listen %s (call %s): cannot keep the utterance audio in %s: %s",
                      self.request.stream_id, self.request.linkedid, path, err)

    async def _publish_partial(self, step: Step) -> None:
        if step.partial and step.partial != self.last_partial and not step.final:
            self.last_partial = step.partial
            request = self.request
            await self.publish(TranscriptPartial(linkedid=request.linkedid, stream_id=request.stream_id,
                                                 text=step.partial))

    async def _publish_final(self, result: SpeechResult) -> None:
        seconds = round(self.decoder.audio_seconds, 3) if self.decoder else 0.0
        stopped_at = self.speaker.stopped_at if self.speaker else None
        await self.publish(TranscriptFinal(linkedid=self.request.linkedid, stream_id=self.request.stream_id,
                                           text="" if result.reason is ListenReason.KEYED else result.text,
                                           confidence=result.confidence, reason=result.reason.value,
                                           audio_seconds=seconds,
                                           prompt_stopped_at=stopped_at))


def utterance_path(audio_dir: Path, linkedid: str, stream_id: str) -> Path:
    """Where a listen's audio is kept: AUDIO_DIR/<linkedid>_<stream id>.wav (unsafe characters as _)."""
    return audio_dir / f"{re.sub(r'[^A-Za-z0-9.-]', '_', linkedid)}_{stream_id}.wav"


def write_wav(path: Path, pcm: bytes, sample_rate: int) -> None:
    """Write 16-bit mono PCM as a WAV file in one step (a temporary file renamed: never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with wave.open(str(partial), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(pcm)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
