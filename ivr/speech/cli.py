"""`hotline models` commands."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Speech recognition models (vosk).", no_args_is_help=True)


@app.command("check")
def check(directory: Path = typer.Argument(None, help="Model directory (default: HOTLINE_VOSK_MODEL)."),
          audio: Path = typer.Option(None, help="A 16-bit mono WAV to decode (default: espeak-ng sample)."),
          language: str = typer.Option(None, help="Sample language: zh, en, ko.")) -> None:
    """Verify a model: sample rate, size on disk, load time, and the decode of a test utterance."""
    from ivr.config import get_ivr_settings
    from ivr.speech.check import CheckError, check_model, resolve_model_dir
    from ivr.speech.transcribe import AudioFileError

    settings = get_ivr_settings()
    try:
        path = resolve_model_dir(directory, settings.vosk_model)
        lang = language or ("ko" if directory is None and settings.vosk_model is None
                            else settings.speech_language or "en")
        report = check_model(path, audio, lang)
    except (CheckError, AudioFileError) as err:
        typer.echo(f"model check failed: {err}", err=True)
        raise typer.Exit(1) from err
    for line in report.lines():
        typer.echo(line)
