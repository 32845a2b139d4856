"""What one listen produced: text, confidence, words and why it ended (pure data, shared with the IVR)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum


class ListenReason(StrEnum):
    """Why a listen ended; everything except FINAL/SILENCE/TIMEOUT with text means "fall back to DTMF"."""

    FINAL = "final"  # the recogniser detected the end of the utterance
    SILENCE = "silence"  # nothing was said before the no-input limit
    TIMEOUT = "timeout"  # the caller was still talking at the maximum duration
    HANGUP = "hangup"  # the caller hung up mid-utterance
    BUSY = "busy"  # every recogniser was in use
    NO_MODEL = "no_model"  # no usable model for the language
    LOW_CONFIDENCE = "low_confidence"  # recognised, but below the confidence threshold
    ERROR = "error"  # the audio never arrived or broke (AudioSocket failure, malformed frames)
    KEYED = "keyed"  # the caller pressed a key (text: the key): they would rather use the DTMF menu


@dataclass(frozen=True)
class Word:
    """One recognised word with its timing (seconds from the start of the utterance) and confidence."""

    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class SpeechResult:
    """Outcome of one listen; `usable` says whether the IVR may act on `text`."""

    text: str
    confidence: float
    reason: ListenReason
    words: tuple[Word, ...] = field(default_factory=tuple)

    @property
    def usable(self) -> bool:
        """Whether the text is worth acting on (non-empty and not a fallback reason)."""
        return bool(self.text) and self.reason in (ListenReason.FINAL, ListenReason.TIMEOUT)

    def with_reason(self, reason: ListenReason) -> SpeechResult:
        """Return a copy ending for another reason."""
        return SpeechResult(self.text, self.confidence, reason, self.words)

    @classmethod
    def empty(cls, reason: ListenReason) -> SpeechResult:
        """A result with no text (busy, no model, silence, error)."""
        return cls("", 0.0, reason)

    @classmethod
    def from_vosk(cls, raw: str, reason: ListenReason) -> SpeechResult:
        """Build a result from a vosk Result()/FinalResult() JSON document."""
        doc = json.loads(raw or "{}")
        words = tuple(Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
                      for w in doc.get("result", ()))
        text = join_words([w.word for w in words]) if words else str(doc.get("text", "")).strip()
        confidence = sum(w.conf for w in words) / len(words) if words else (1.0 if text else 0.0)
        return cls(text, round(confidence, 4), reason, words)


def join_words(words: list[str]) -> str:
    """Join recognised words: no spaces between CJK words (vosk's Chinese output), spaces otherwise."""
    out = ""
    for word in words:
        if out and not (_is_cjk(out[-1]) and _is_cjk(word[0])):
            out += " "
        out += word
    return out


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"
