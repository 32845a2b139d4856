"""The speech component of a hotline process: model, AudioSocket server, message transcription."""

from __future__ import annotations

import logging
import os

from ivr.config import IvrSettings
from ivr.speech.api import SpeechConfig, SpeechService
from ivr.speech.call_transcripts import CallTranscriber
from ivr.speech.endpoint import Limits
from ivr.speech.engines import build_engines
from ivr.speech.messages import MessageTranscriber
from ivr.speech.pool import RecognizerPool
from ticketing.bus import Bus, Streams
from ticketing.bus.contract import Event
from ticketing.bus.health import Check

log = logging.getLogger(__name__)


def speech_config(settings: IvrSettings) -> SpeechConfig:
    """Listen settings from the telephony settings."""
    limits = Limits(max_seconds=settings.speech_max_seconds,
                    no_input_seconds=settings.speech_no_input_seconds,
                    trailing_silence_seconds=settings.speech_trailing_silence)
    return SpeechConfig(host=settings.audiosocket_host, port=settings.audiosocket_port,
                        advertise=settings.audiosocket_advertise, limits=limits,
                        min_confidence=settings.speech_min_confidence, audio_dir=settings.speech_audio_dir,
                        prompts_dir=settings.prompts_path if settings.speech_barge_in else None)


class SpeechComponent:
    """Load the model, serve AudioSocket streams, transcribe recorded messages onto their cases."""

    name = "speech"

    def __init__(self, settings: IvrSettings, bus: Bus, session_factory=None) -> None:
        self.engines = build_engines(settings)  # engine per language (docs/speech.md)
        self.holder = self.engines.by_language.get((settings.speech_language or "zh").split("-")[0])
        streams = settings.speech_max_streams or 2 * (os.cpu_count() or 1)
        # one thread per core, plus one per Whisper decode that may wait its turn without stalling the rest
        self.pool = RecognizerPool(max_streams=streams,
                                   workers=(os.cpu_count() or 1) + settings.whisper_max_decodes)
        self.bus = bus
        self.service = SpeechService(speech_config(settings), self.engines, self.pool, self.publish)
        self.calls = (CallTranscriber(self.engines, session_factory, workers=settings.qa_transcribe_workers)
                      if session_factory is not None and settings.qa_transcribe_workers > 0 else None)
        self.messages = (MessageTranscriber(self.engines, session_factory, self.publish)
                         if session_factory is not None else None)

    async def publish(self, event: Event) -> None:
        """Queue a speech event for the bus (never blocks or fails the call)."""
        self.bus.emit(event)

    async def start(self) -> None:
        """Load the model (DTMF-only on failure), open the server, follow recorded messages."""
        await self.engines.load()
        await self.service.start()
        if self.messages is not None:
            self.bus.subscribe(Streams.CALLS, "speech-messages", self.messages.on_call_event)
        if self.calls is not None:
            self.bus.subscribe(Streams.CALLS, "speech-call-transcripts", self.calls.on_call_event)

    def readiness(self) -> list[Check]:
        """Whether each configured language's speech engine is loaded (for /readyz)."""
        return [Check(f"speech {language}", engine.ready, "model not loaded")
                for language, engine in sorted(self.engines.by_language.items())]

    async def stop(self) -> None:
        """Close the server and the decoding threads."""
        await self.service.stop()
        if self.calls is not None:
            await self.calls.stop()
        self.pool.close()


def build_speech(settings: IvrSettings, services) -> SpeechComponent | None:
    """Return the speech component for this process, or None when speech is disabled.

    The node type and its commands are registered statically (ivr.agi.menu / ivr.agi.session import
    them), so menus using it load and fall back to DTMF either way.
    """
    if not settings.speech_enabled:
        return None
    return SpeechComponent(settings, services.bus, services.session_factory)
