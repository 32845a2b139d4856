"""SQLAlchemy engine and session handling: one session per request or job, committed at the edge."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table of the hotline."""

    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine; SQLite gets its directory, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    from ticketing.config import get_settings

    settings = get_settings()
    kwargs.setdefault("pool_size", settings.db_pool_size)  # per process: size it with max_connections
    kwargs.setdefault("max_overflow", settings.db_max_overflow)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _refuse_closed_by_server)
    return engine


def _refuse_closed_by_server(dbapi_connection, _record, _proxy) -> None:
    """Refuse a pooled connection the server has closed (restarted, terminated it): the pool reconnects.

    An idle connection has nothing to read unless its server ended it (PostgreSQL sends its FATAL notice,
    or just closes the socket at an immediate shutdown), so a look at the socket, without waiting, tells
    what SQLAlchemy's pre-ping learnt with a `SELECT 1` round trip on every checkout (~2 % of a case
    intake's CPU). The pool then connects that slot again, so the first request after a database restart
    still succeeds (tests/ticketing/test_database_outage.py).
    """
    # poll(), not select(): select() refuses descriptors past 1023, which a console serving many
    # WebSockets reaches, and then every checkout would have reconnected.
    poller = select.poll()
    try:
        poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
        events = poller.poll(0)
    except Exception as err:  # no socket to look at (closed locally): do not trust the connection
        raise exc.DisconnectionError(str(err)) from err
    if events:
        raise exc.DisconnectionError("the database server closed this connection")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    # The reports' local-time functions: registered here, before any statement of the connection is open
    # (SQLite refuses to add a function while a cursor is still reading).
    from ticketing.report.working import register_sqlite_functions

    register_sqlite_functions(dbapi_connection)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory that keeps loaded objects usable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Run a unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def command_session(url: str) -> Iterator[Session]:
    """A unit of work for one command-line command: its own engine, disposed when the command is done."""
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
