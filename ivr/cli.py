"""`hotline asterisk|ivr|prompts|call|models` commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the telephony command groups to the root command."""
    from ivr.asterisk.cli import app as asterisk_app

    app.add_typer(asterisk_app, name="asterisk", help="Provision and run the hotline's Asterisk.")
    from ivr.agi.cli import register as register_agi  # ivr check, prompts build, call (IVR helper)
    register_agi(app)
    from ivr.speech.cli import app as models_app  # hotline models check (speech helper)
    app.add_typer(models_app, name="models", help="Speech recognition models (vosk).")
    from ivr.phone import command as phone_command  # hotline phone EXT (console follow-up F3)
    app.command("phone")(phone_command)
