"""What the IVR calls: `await speech.listen(agi, linkedid, ...) -> SpeechResult`.

Usage from a FastAGI coroutine (`agi` is the IVR's `ivr.agi.protocol.AgiChannel`):

    result = await speech.listen(agi, linkedid, grammar=None, language="zh", max_seconds=10)
    if result.usable: ... act on result.text ...
    else: ... DTMF menu (result.reason says why: silence, busy, no_model, low_confidence, hangup, error)

`listen` never raises for call-side problems: every failure becomes a reason, so the caller is never stuck.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ivr.agi.protocol import AgiError, AgiHangup, AgiReply
from ivr.speech.endpoint import Limits
from ivr.speech.engines import EngineSet
from ivr.speech.model import ModelHolder
from ivr.speech.pool import RecognizerPool
from ivr.speech.results import ListenReason, SpeechResult, Word
from ivr.speech.server import AudioSocketServer, new_stream_id
from ivr.speech.session import ListenRequest, Publish, StreamSession
from ivr.speech.speaker import Speaker, prompt_pcm

__all__ = ["AgiChannel", "ListenReason", "SpeechConfig", "SpeechResult", "SpeechService", "Word"]

log = logging.getLogger(__name__)

AFTER_EXEC_GRACE_SECONDS = 2.0


class AgiChannel(Protocol):
    """The part of the IVR's AGI channel the speech service uses (raises AgiHangup when the call is gone)."""

    async def send(self, command: str, *, quick: bool = True) -> AgiReply: ...


@dataclass(frozen=True)
class SpeechConfig:
    """Where the AudioSocket server listens and Asterisk reaches it, and the default limits of a listen."""

    host: str = "127.0.0.1"
    port: int = 9092  # 0 picks a free port (tests)
    advertise: str | None = None  # host:port as Asterisk must dial it; default host:port
    limits: Limits = Limits()
    min_confidence: float = 0.5
    audio_dir: Path | None = None  # keep each listen's audio here as WAV (review, tuning); None: not kept
    prompts_dir: Path | None = None  # <lang>/<prompt>.wav played inside the listen (barge-in); None: before


class SpeechService:
    """Run listens: reserve a recogniser, stream the call's audio through AudioSocket, return the result."""

    def __init__(self, config: SpeechConfig, holder: EngineSet | ModelHolder, pool: RecognizerPool,
                 publish: Publish) -> None:
        self.config = config
        self.holder = holder
        self.pool = pool
        self.publish = publish
        self.server = AudioSocketServer(config.host, config.port, self.handle_stream)

    @property
    def address(self) -> str:
        """host:port Asterisk dials for this server."""
        return self.config.advertise or f"{self.config.host}:{self.server.port}"

    async def start(self) -> None:
        """Open the AudioSocket server."""
        await self.server.start()

    async def stop(self) -> None:
        """Close the server and end running streams."""
        await self.server.stop()

    @property
    def available(self) -> bool:
        """Whether speech can be offered at all (a model is loaded); menus may skip the prompt if not."""
        return self.holder.ready

    def serves(self, language: str | None) -> bool:
        """Whether a listen in this language can run (a model for it is loaded)."""
        return self._refusal(language) is None

    def prompt_audio(self, language: str, prompt: str) -> bytes | None:
        """The prompt's 8 kHz samples to play inside the listen, or None (play it before listening)."""
        if self.config.prompts_dir is None:
            return None
        return prompt_pcm(self.config.prompts_dir / language / f"{prompt}.wav")

    async def listen(self, agi: AgiChannel, linkedid: str, *, grammar: list[str] | None = None,
                     language: str | None = None, max_seconds: float | None = None,
                     prompt: bytes = b"") -> SpeechResult:
        """Listen to the caller once (playing `prompt` first, stopped by speech or a key); return the
        recognised text or the reason to fall back to DTMF (KEYED with the key pressed)."""
        refusal = self._refusal(language)
        if refusal:
            log.info("call %s: no speech (%s), DTMF instead", linkedid, refusal.value)
            return SpeechResult.empty(refusal)
        lease = self.pool.try_acquire()
        if lease is None:
            log.warning("call %s: all %d recognisers busy, DTMF instead", linkedid, self.pool.max_streams)
            return SpeechResult.empty(ListenReason.BUSY)
        request = ListenRequest(stream_id=new_stream_id(), linkedid=linkedid, lease=lease,
                                limits=self._limits(max_seconds), grammar=grammar, language=language,
                                prompt=prompt)
        self.server.expect(request)
        result = await self._stream(agi, request)
        return self._judge(linkedid, result, grammar, language)

    async def handle_stream(self, request: ListenRequest, reader: asyncio.StreamReader,
                            speaker: Speaker | None = None) -> SpeechResult:
        """Decode one connected stream (the AudioSocket server's handler)."""
        return await StreamSession(request, self.holder, self.pool, self.publish,
                                   audio_dir=self.config.audio_dir).run(reader, speaker)

    def _refusal(self, language: str | None) -> ListenReason | None:
        if not self.holder.ready or not self.holder.supports(language):
            return ListenReason.NO_MODEL
        return None

    def _limits(self, max_seconds: float | None) -> Limits:
        limits = self.config.limits
        if max_seconds is None:
            return limits
        return Limits(max_seconds=max_seconds, no_input_seconds=min(limits.no_input_seconds, max_seconds),
                      trailing_silence_seconds=limits.trailing_silence_seconds)

    async def _stream(self, agi: AgiChannel, request: ListenRequest) -> SpeechResult:
        """Ask Asterisk to stream the call to us; the command returns when our server closes the socket."""
        command = f"EXEC AudioSocket {request.stream_id},{self.address}"
        reply = None
        try:
            reply = await agi.send(command, quick=False)
            log.debug("call %s: %s -> %s", request.linkedid, command, reply)
            return await asyncio.wait_for(asyncio.shield(request.result), AFTER_EXEC_GRACE_SECONDS)
        except AgiHangup as err:
            log.info("call %s hung up while listening: %s", request.linkedid, err)
            return SpeechResult.empty(ListenReason.HANGUP)
        except AgiError as err:
            log.error("call %s: %s failed: %s", request.linkedid, command, err)
            return SpeechResult.empty(ListenReason.ERROR)
        except TimeoutError:
            log.error("call %s: AudioSocket stream %s never connected (EXEC replied %s)", request.linkedid,
                      request.stream_id, reply)
            return SpeechResult.empty(ListenReason.ERROR)
        finally:
            if self.server.forget(request.stream_id):
                request.resolve(SpeechResult.empty(ListenReason.ERROR))

    def _min_confidence(self, language: str | None) -> float:
        """The engine's own threshold (confidences are on each engine's scale), else the configured one."""
        engine = self.holder.engine(language) if hasattr(self.holder, "engine") else None
        return getattr(engine, "min_confidence", None) or self.config.min_confidence

    def _judge(self, linkedid: str, result: SpeechResult, grammar: list[str] | None,
               language: str | None = None) -> SpeechResult:
        """Turn a recognised but doubtful utterance into a low-confidence fallback."""
        if result.usable and grammar and result.text not in grammar:
            # A grammar forces every sound onto its phrases; a string of several is noise, not an answer.
            log.info("call %s: %r is not one of the expected answers, DTMF instead", linkedid, result.text)
            return result.with_reason(ListenReason.LOW_CONFIDENCE)
        threshold = self._min_confidence(language)
        if result.usable and result.confidence < threshold:
            log.info("call %s: %r at confidence %.2f < %.2f, DTMF instead", linkedid, result.text,
                     result.confidence, threshold)
            return result.with_reason(ListenReason.LOW_CONFIDENCE)
        log.info("call %s: heard %r (%s, confidence %.2f)", linkedid, result.text, result.reason.value,
                 result.confidence)
        return result
