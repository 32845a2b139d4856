"""`hotline asterisk|ivr|prompts|call|models` commands."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the telephony command groups to the root command."""
