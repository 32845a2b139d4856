"""Speech events on Streams.TRANSCRIPTS, keyed by the call's Linkedid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ticketing.bus.contract.base import Event, register
from ticketing.bus.streams import Streams


@dataclass(frozen=True, kw_only=True)
class SpeechEvent(Event):
    """A speech result about one call."""

    STREAM: ClassVar[str] = Streams.TRANSCRIPTS

    linkedid: str

    @property
    def key(self) -> str:
        return self.linkedid


@register
@dataclass(frozen=True, kw_only=True)
class TranscriptPartial(SpeechEvent):
    """The recogniser's current guess while the caller speaks."""

    TYPE: ClassVar[str] = "transcript.partial"

    stream_id: str
    text: str


@register
@dataclass(frozen=True, kw_only=True)
class TranscriptFinal(SpeechEvent):
    """The utterance's final text and why it ended."""

    TYPE: ClassVar[str] = "transcript.final"

    stream_id: str
    text: str
    confidence: float
    reason: str
    audio_seconds: float
    prompt_stopped_at: float | None = None  # seconds into the prompt the caller's speech stopped it


@register
@dataclass(frozen=True, kw_only=True)
class MessageTranscribed(SpeechEvent):
    """A recorded message's transcript, attached to its case."""

    TYPE: ClassVar[str] = "transcript.message"

    case_number: str
    path: str
    text: str
    confidence: float


@register
@dataclass(frozen=True, kw_only=True)
class RequestConfirmed(SpeechEvent):
    """The caller confirmed the category of a spoken request ."""

    TYPE: ClassVar[str] = "transcript.request_confirmed"

    category: str
    text: str = ""
