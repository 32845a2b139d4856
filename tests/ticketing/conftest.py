"""Case-service fixtures: one migrated database per backend (SQLite and PostgreSQL), emptied between tests."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ticketing.api import create_api
from ticketing.bureau.seed import sync_dataset
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.dataset import load_dataset
from ticketing.user import service as users

# Reference tables filled once per backend; everything else is emptied before each test.
KEEP = {"alembic_version", "bureaus", "streets", "communities", "categories", "routing_rules"}
BACKENDS = ["sqlite", "postgresql"]


def psycopg_url(url: str) -> str:
    """Return `url` with the psycopg 3 driver."""
    return Settings(database_url=url).sqlalchemy_url


@pytest.fixture(scope="session")
def dataset():
    """The Futian sample data set shipped with the package."""
    return load_dataset(Settings().dataset_dir)


@contextmanager
def private_postgres_database(postgres_url: str, prefix: str) -> Iterator[str]:
    """Create an empty PostgreSQL database of our own (others share hotline_test); drop it afterwards."""
    server = make_url(psycopg_url(postgres_url))
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    # NullPool: no idle connection to the server's "postgres" database is kept while the tests run.
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def scratch_postgres(postgres_url) -> Iterator[str]:
    """A private PostgreSQL database for this run, dropped at the end."""
    with private_postgres_database(postgres_url, "hotline_case") as url:
        yield url


@pytest.fixture(scope="session")
def make_private_database(postgres_url):
    """Factory of private, empty PostgreSQL databases (a context manager yielding the URL)."""
    return lambda prefix: private_postgres_database(postgres_url, prefix)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory, dataset) -> Iterator[tuple[str, str]]:
    """(name, URL) of a database migrated with Alembic and holding the data set's organisation."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'case.db'}"
    else:
        url = request.getfixturevalue("scratch_postgres")
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        sync_dataset(session, dataset)
    engine.dispose()
    yield request.param, url


@pytest.fixture(scope="session")
def engines() -> Iterator[dict]:
    """One engine per URL for the whole run."""
    cache: dict = {}
    yield cache
    for engine in cache.values():
        engine.dispose()


@pytest.fixture
def session_factory(backend, engines):
    """Session factory on an emptied database of the current backend."""
    name, url = backend
    engine = engines.get(url) or engines.setdefault(url, make_engine(url))
    _empty(engine)
    return make_session_factory(engine)


@pytest.fixture
def session(session_factory):
    """A session for a test; rolled back and closed afterwards."""
    with session_factory() as session:
        yield session
        session.rollback()


def _empty(engine) -> None:
    # FTS5 keeps its index in shadow tables (case_search_data...): emptying case_search empties them.
    names = inspect(engine).get_table_names()
    tables = [t for t in names if t not in KEEP and not t.startswith("case_search_")]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
            # The days' case-number sequences start again too (as the counter rows did).
            days = conn.execute(text("SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE "
                                     "'case_number_%'")).scalars().all()
            for name in days:
                conn.execute(text(f'DROP SEQUENCE "{name}"'))
            return
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))
        conn.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def app(backend, session_factory, dataset):
    """The API app on the test database."""
    return create_api(Settings(database_url=backend[1]), session_factory=session_factory, dataset=dataset)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    """HTTP client of the API app."""
    with TestClient(app) as client:
        yield client


ROLE_USERS = {
    "agent": ("agent1", None),
    "supervisor": ("super1", None),
    "admin": ("admin1", None),
    "bureau": ("urban1", "urban-mgmt"),
    "bureau-env": ("env1", "environment"),
    "bureau-street": ("futian1", "street-futian"),
}


@pytest.fixture
def headers(session_factory) -> dict[str, dict[str, str]]:
    """Authorization headers per role (bureau: urban-mgmt; bureau-env: environment; bureau-street: futian)."""
    result = {}
    with session_scope(session_factory) as session:
        for key, (username, bureau) in ROLE_USERS.items():
            role = key.split("-")[0]
            user = users.create(session, username, role, bureau_code=bureau)
            result[key] = {"Authorization": f"Bearer {users.create_token(session, user)}"}
    return result


@pytest.fixture
def data_dir() -> Path:
    """Directory of the shipped Futian data files."""
    return Settings().dataset_dir
