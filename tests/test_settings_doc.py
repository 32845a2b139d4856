"""The configuration reference stays in step with the settings classes; `config show` hides secrets."""

from __future__ import annotations

from pathlib import Path

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
