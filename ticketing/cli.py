"""`hotline db|seed|users|tokens` commands of the case service."""

from __future__ import annotations

import typer

from ticketing.config import Settings

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply the schema migrations up to REVISION (default: the newest)."""
    from ticketing.database.migrate import current, upgrade

    url = Settings().sqlalchemy_url
    upgrade(url, revision)
    typer.echo(f"database at revision {current(url)}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from ticketing.database.migrate import current

    typer.echo(current(Settings().sqlalchemy_url) or "empty (never migrated)")


def register(app: typer.Typer) -> None:
    """Add the case-service command groups to the root command."""
    app.add_typer(db_app, name="db")
