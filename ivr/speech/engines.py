"""One recogniser interface, several engines: which engine serves which language, and the set of them.

An engine (vosk's `ModelHolder`, `WhisperEngine`) has `name`, `ready`, `error`, `load()`, `load_now()`
and `new_decoder(rate, grammar, language)`; a decoder has `sample_rate`, `audio_seconds`,
`speech_started`, `accept_chunks(pcm, chunk_bytes) -> Step`, `finish(reason)` and `judge(result)`.
The listen, message transcription and `hotline models check` use only that.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ivr.speech.model import ModelHolder, ModelUnavailable
from ivr.speech.vad import VadLimits
from ivr.speech.whisper import WhisperEngine

log = logging.getLogger(__name__)

ENGINES = ("vosk", "whisper")
WHISPER_DEFAULT_LANGUAGES = ("zh", "en")


class Engine(Protocol):
    """What the speech service needs of an engine."""

    name: str
    error: str | None

    @property
    def ready(self) -> bool: ...

    async def load(self) -> None: ...

    def new_decoder(self, sample_rate: int, grammar: list[str] | None = None,
                    language: str | None = None): ...


class EngineConfigError(ValueError):
    """HOTLINE_SPEECH_ENGINES is not a list of language=engine."""


def parse_engines(text: str) -> dict[str, str]:
    """Parse "zh=whisper,en=whisper,ko=vosk" into {language: engine} (pure)."""
    plan: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        language, sep, engine = (s.strip() for s in item.partition("="))
        if not sep or not language or engine not in ENGINES:
            raise EngineConfigError(f"HOTLINE_SPEECH_ENGINES: {item!r} is not language=engine "
                                    f"(engines: {', '.join(ENGINES)}), e.g. zh=whisper,en=whisper")
        plan[language.split("-")[0]] = engine
    return plan


def engine_plan(engines: str | None, vosk_model: Path | None, speech_language: str | None) -> dict[str, str]:
    """Which engine serves each language (pure): the explicit list, else vosk for its language, Whisper
    for the other languages it serves by default."""
    if engines:
        return parse_engines(engines)
    plan = {language: "whisper" for language in WHISPER_DEFAULT_LANGUAGES}
    if vosk_model is not None:
        plan[(speech_language or "zh").split("-")[0]] = "vosk"
    return plan


@dataclass
class EngineSet:
    """The engines of a process by language; what SpeechService, messages and checks ask for decoders."""

    by_language: dict[str, Engine]

    @property
    def engines(self) -> list[Engine]:
        """Each distinct engine once."""
        return list({id(e): e for e in self.by_language.values()}.values())

    @property
    def ready(self) -> bool:
        """Whether any language can be heard."""
        return any(e.ready for e in self.engines)

    @property
    def error(self) -> str | None:
        """Why engines are unavailable (joined), or None."""
        errors = [f"{e.name}: {e.error}" for e in self.engines if e.error]
        return "; ".join(errors) or (None if self.ready else "no speech engine configured")

    def engine(self, language: str | None) -> Engine | None:
        """The engine for a language (None: the first ready one), whether or not it is loaded."""
        if language is None:
            return next((e for e in self.engines if e.ready), None)
        return self.by_language.get(language.split("-")[0])

    def supports(self, language: str | None) -> bool:
        """Whether a listen in this language can run now."""
        engine = self.engine(language)
        return engine is not None and engine.ready

    def new_decoder(self, sample_rate: int, grammar: list[str] | None = None, language: str | None = None):
        """A decoder of the language's engine."""
        engine = self.engine(language)
        if engine is None or not engine.ready:
            raise ModelUnavailable(f"no speech engine serves language {language!r}"
                                   + (f" ({engine.error})" if engine is not None and engine.error else ""))
        return engine.new_decoder(sample_rate, grammar, language)

    async def load(self) -> None:
        """Load every engine (each logs its own failure and leaves its languages to DTMF)."""
        for engine in self.engines:
            await engine.load()
        for language, engine in sorted(self.by_language.items()):
            log.info("speech in %s: %s (%s)", language, engine.name,
                     "ready" if engine.ready else f"unavailable: {engine.error}")


def build_engines(settings) -> EngineSet:
    """Engines for the telephony settings (not loaded yet)."""
    plan = engine_plan(settings.speech_engines, settings.vosk_model, settings.speech_language)
    made: dict[str, Engine] = {}
    if "vosk" in plan.values():
        vosk_language = next(lang for lang, name in plan.items() if name == "vosk")
        made["vosk"] = ModelHolder(settings.vosk_model, vosk_language)
    if "whisper" in plan.values():
        vad = VadLimits(end_silence_seconds=settings.speech_trailing_silence)
        made["whisper"] = WhisperEngine(settings.whisper_model, cpu_threads=settings.whisper_cpu_threads,
                                        max_decodes=settings.whisper_max_decodes, vad=vad,
                                        min_confidence=settings.whisper_min_confidence)
    return EngineSet({language: made[name] for language, name in plan.items()})
