"""Transcript events published on Streams.TRANSCRIPTS, keyed by the call's Linkedid."""

from __future__ import annotations

from dataclasses import asdict, dataclass

TRANSCRIPT_PARTIAL = "transcript.partial"
TRANSCRIPT_FINAL = "transcript.final"
MESSAGE_TRANSCRIBED = "transcript.message"
REQUEST_CONFIRMED = "transcript.request_confirmed"  # caller confirmed the category of a spoken request


@dataclass(frozen=True)
class TranscriptPartial:
    """The recogniser's current guess while the caller speaks."""

    linkedid: str
    stream_id: str
    text: str

    def data(self) -> dict:
        """Event payload."""
        return asdict(self)


@dataclass(frozen=True)
class TranscriptFinal:
    """The utterance's final text and why it ended."""

    linkedid: str
    stream_id: str
    text: str
    confidence: float
    reason: str
    audio_seconds: float

    def data(self) -> dict:
        """Event payload."""
        return asdict(self)


@dataclass(frozen=True)
class MessageTranscribed:
    """A recorded message's transcript, attached to its case."""

    linkedid: str
    case_number: str
    path: str
    text: str
    confidence: float

    def data(self) -> dict:
        """Event payload."""
        return asdict(self)
