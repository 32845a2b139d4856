"""`hotline prompts build`: every prompt of the menus as an 8 kHz mono WAV, synthesised or recorded.

Output: <out>/<lang>/<id>.wav (Asterisk plays them as hotline/<lang>/<id>) and <out>/<sound>.wav for
the dial plan's own prompts (all languages one after the other). A file <overrides>/<lang>/<id>.wav
(or <overrides>/<sound>.wav) wins over synthesis. A manifest of text hashes means only what changed
is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ivr.agi.menu import Menu
from ticketing.dataset import Dataset

log = logging.getLogger(__name__)

VOICES = {"zh": "cmn", "en": "en"}
SPEED = 150  # words per minute (espeak-ng -s)
MANIFEST = ".manifest.json"
ZH_DIGITS = "零一二三四五六七八九"
EN_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
           "sixteen seventeen eighteen nineteen").split()
EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
NO_BUREAU = {"zh": "尚未确定", "en": "not yet assigned"}


class PromptError(RuntimeError):
    """A prompt could not be synthesised or converted."""


@dataclass(frozen=True)
class PromptJob:
    """One sound file to produce: its texts (spoken in order), or a recorded override."""

    target: Path
    parts: tuple[tuple[str, str], ...]  # (language, text)
    override: Path | None = None
    speed: int = SPEED

    def digest(self) -> str:
        """Return the hash that decides whether the file must be rebuilt."""
        if self.override:
            return hashlib.sha256(self.override.read_bytes()).hexdigest()
        source = json.dumps([self.parts, self.speed]).encode()
        return hashlib.sha256(source).hexdigest()


def builtin_texts(language: str) -> dict[str, str]:
    """Return the digit and number prompts (digit_0..9, number_0..99) of a language."""
    texts = {}
    for n in range(10):
        texts[f"digit_{n}"] = ZH_DIGITS[n] if language == "zh" else EN_ONES[n]
    for n in range(100):
        texts[f"number_{n}"] = _zh_number(n) if language == "zh" else _en_number(n)
    return texts


def _zh_number(n: int) -> str:
    if n < 10:
        return ZH_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else ZH_DIGITS[tens]) + "十" + (ZH_DIGITS[ones] if ones else "")


def _en_number(n: int) -> str:
    if n < 20:
        return EN_ONES[n]
    tens, ones = divmod(n, 10)
    return EN_TENS[tens] + (f"-{EN_ONES[ones]}" if ones else "")


def bureau_texts(dataset: Dataset | None, language: str) -> dict[str, str]:
    """Return the spoken names of the bureaus (bureau_<code>), for case status answers."""
    texts = {"bureau_none": NO_BUREAU.get(language, NO_BUREAU["en"])}
    for code, bureau in (dataset.bureaus.items() if dataset else ()):
        texts[f"bureau_{code}"] = bureau.name_zh if language == "zh" else bureau.name_en
    return texts


def category_texts(dataset: Dataset | None, language: str) -> dict[str, str]:
    """Return the spoken names of the categories (category_<code>), for the speech node's read-back."""
    return {f"category_{code}": category.name_zh if language == "zh" else category.name_en
            for code, category in (dataset.categories.items() if dataset else ())}


def plan(menus: Iterable[Menu], out: Path, overrides: Path, dataset: Dataset | None,
         speed: int = SPEED) -> list[PromptJob]:
    """List every sound file the menus need (speed: espeak-ng words per minute)."""
    jobs: dict[Path, PromptJob] = {}
    for menu in menus:
        for language in menu.languages:
            texts = {**builtin_texts(language), **bureau_texts(dataset, language),
                     **category_texts(dataset, language),
                     **{pid: t[language] for pid, t in menu.prompts.items() if t.get(language)}}
            for pid, text in texts.items():
                target = out / language / f"{pid}.wav"
                override = _existing(overrides / language / f"{pid}.wav")
                jobs[target] = PromptJob(target, ((language, text),), override, speed)
        for sound, pid in menu.dialplan_prompts.items():
            texts = menu.prompts.get(pid, {})
            parts = tuple((lang, texts[lang]) for lang in menu.languages if texts.get(lang))
            target = out / f"{sound}.wav"
            jobs[target] = PromptJob(target, parts, _existing(overrides / f"{sound}.wav"), speed)
    return list(jobs.values())


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


Progress = Callable[[int, int, PromptJob], None]  # (done, to do, the job just built)


def build(jobs: list[PromptJob], out: Path, *, workers: int = 2,
          progress: Progress | None = None) -> tuple[int, int]:
    """Produce the files whose source changed; return (built, unchanged). Raises PromptError.

    PROGRESS, when given, hears of every file as it is written (a fresh build takes a while).
    """
    _require_tools()
    manifest_path = out / MANIFEST
    manifest = _read_manifest(manifest_path)
    todo = [job for job in jobs if manifest.get(str(job.target)) != job.digest() or not job.target.exists()]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done, (job, digest) in enumerate(zip(todo, pool.map(_produce, todo), strict=True), start=1):
            manifest[str(job.target)] = digest
            if progress is not None:
                progress(done, len(todo), job)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=0, sort_keys=True), encoding="utf-8")
    return len(todo), len(jobs) - len(todo)


def _produce(job: PromptJob) -> str:
    job.target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="prompt-") as tmp:
        if job.override:
            sources = [job.override]
        else:
            sources = [_speak(lang, text, Path(tmp) / f"part{i}.wav", job.speed)
                       for i, (lang, text) in enumerate(job.parts)]
        partial = job.target.with_suffix(".tmp.wav")
        _run(["sox", *map(str, sources), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
              str(partial)])
        partial.replace(job.target)  # atomic: Asterisk never plays a half-written file
    return job.digest()


def _speak(language: str, text: str, target: Path, speed: int) -> Path:
    _run(["espeak-ng", "-v", VOICES.get(language, language), "-s", str(speed), "-w", str(target), text])
    return target


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
    except subprocess.CalledProcessError as err:
        raise PromptError(f"{argv[0]} failed: {err.stderr.decode(errors='replace').strip()}") from err
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PromptError(f"{argv[0]} could not run: {err}") from err


def _require_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise PromptError(f"missing {', '.join(missing)}: install them (scripts/system-deps.sh)")


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
