"""End-of-utterance decision from what the recogniser and the clock say (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.speech.results import ListenReason


@dataclass(frozen=True)
class Limits:
    """How long a listen may run: total, before any speech, and of silence after speech."""

    max_seconds: float = 15.0
    no_input_seconds: float = 5.0
    trailing_silence_seconds: float = 1.2


@dataclass(frozen=True)
class Progress:
    """What is known about the utterance so far."""

    audio_seconds: float  # audio received (the caller's clock)
    speech_started: bool  # the recogniser has produced any word
    endpoint: bool  # vosk's endpointing closed an utterance with text
    quiet_seconds: float = 0.0  # wall-clock time without audio frames or without new words


def decide(progress: Progress, limits: Limits) -> ListenReason | None:
    """Return why the utterance is over, or None to keep listening."""
    if progress.endpoint:
        return ListenReason.FINAL
    if progress.audio_seconds >= limits.max_seconds:
        return ListenReason.TIMEOUT if progress.speech_started else ListenReason.SILENCE
    if not progress.speech_started and (progress.audio_seconds >= limits.no_input_seconds
                                         or progress.quiet_seconds >= limits.no_input_seconds):
        return ListenReason.SILENCE
    if progress.speech_started and progress.quiet_seconds >= limits.trailing_silence_seconds:
        return ListenReason.FINAL
    return None
