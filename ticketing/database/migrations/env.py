"""Alembic environment: the URL comes from the caller's config or from Settings, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from ticketing.database.core import make_engine
from ticketing.database.models import Base

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from ticketing.config import Settings

    return Settings().sqlalchemy_url


def run_migrations_offline() -> None:
    """Emit SQL to stdout without a database connection."""
    context.configure(url=_url(), target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection (an existing one when the caller passes it)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
