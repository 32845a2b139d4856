"""`hotline db|seed|users|tokens` commands of the case service."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the case-service command groups to the root command."""
