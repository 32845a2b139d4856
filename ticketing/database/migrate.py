"""Run the Alembic migrations from Python (CLI and tests), independent of the working directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

ALEMBIC_INI = Path(__file__).parent / "alembic.ini"


def alembic_config(url: str) -> Config:
    """Alembic config for this package's migrations pointed at the given database URL."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision`."""
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` down to `revision`."""
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> str | None:
    """Return the revision the database at `url` is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    from ticketing.database.core import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def heads() -> tuple[str, ...]:
    """Return the revision(s) this code's migrations end at (one, unless a merge is missing)."""
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def behind(url: str) -> str | None:
    """Say why the database at `url` cannot serve this code (its schema is older), None when it can.

    An unreachable database is not reported here: the server starts and answers 503 until it is back.
    """
    try:
        at = current(url)
    except Exception:  # unreachable now: the running server reports the outage per request
        return None
    wanted = heads()
    if at in wanted:
        return None
    return (f"the database schema is at {at or 'nothing (never migrated)'}, this version needs "
            f"{' + '.join(wanted)}: run `hotline db upgrade` first")
