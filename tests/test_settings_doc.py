"""The configuration reference stays in step with the settings classes; `config show` hides secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.settings_doc import SETTINGS_CLASSES, describe, effective_values, reference_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def test_committed_reference_matches_the_code():
    expected = reference_markdown()
    assert DOC.read_text(encoding="utf-8") == expected, "run: hotline config doc > docs/configuration.md"


def test_every_setting_is_explained():
    undocumented = [d.env for cls in SETTINGS_CLASSES for d in describe(cls) if not d.help]
    assert undocumented == []


def test_show_masks_secrets_and_url_passwords(monkeypatch):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgresql://hotline:s3cret@db.example/hotline")
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://:hunter2@127.0.0.1:6379/0")
    values = dict(effective_values())
    assert values["HOTLINE_DATABASE_URL"] == "postgresql://hotline:***@db.example/hotline"
    assert values["HOTLINE_REDIS_URL"] == "********"
    printed = CliRunner().invoke(app, ["config", "show"]).output
    assert "s3cret" not in printed and "hunter2" not in printed


def test_one_model_reads_every_section_by_its_old_variable_names(monkeypatch, tmp_path):
    from hotline.settings import HotlineSettings, load

    for name, value in {"HOTLINE_CASE_PREFIX": "LH", "HOTLINE_AMI_PORT": "6038",
                        "HOTLINE_SPEECH_MAX_SECONDS": "9.5", "HOTLINE_CONSOLE_PREFIX": "/desk",
                        "HOTLINE_CONSOLE_WRAPUP_SECONDS": "45", "HOTLINE_VAR_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    settings = load()
    assert [name for name, _ in settings.sections()] == ["case", "ivr", "console"]
    assert (settings.case.case_prefix, settings.ivr.ami_port) == ("LH", 6038)
    assert settings.ivr.speech_max_seconds == 9.5
    assert (settings.console.prefix, settings.console.wrapup_seconds) == ("/desk", 45)
    assert settings.case.var_dir == settings.ivr.var_dir == tmp_path
    with pytest.raises(ValueError, match="HOTLINE_VAR_DIR differs"):
        HotlineSettings(case=settings.case, ivr=settings.ivr.model_copy(update={"var_dir": tmp_path / "x"}),
                        console=settings.console)


def test_the_reference_lists_each_variable_once():
    names = [d.env for cls in SETTINGS_CLASSES for d in describe(cls)]
    assert len(names) == len(set(names)) and "HOTLINE_VAR_DIR" in names
