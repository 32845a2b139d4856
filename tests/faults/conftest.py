"""Fault tests use the session's provisioned Asterisk like the integration tests (same fixtures), and a
private redis-server each (the shared one is never stopped)."""

import pytest

from tests.faults.private_redis import PrivateRedis
from tests.integration.conftest import asterisk, asterisk_install  # noqa: F401 - fixtures found by name
from tests.ticketing.conftest import private_postgres_database
from ticketing.bureau.seed import sync_dataset
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.dataset import load_dataset
from ticketing.user import service as users


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, on its own port, closed afterwards."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.close()


@pytest.fixture
def seeded_database(postgres_url, request):
    """A private database of this test's own, migrated, with Futian's bureaus and an agent: yields its URL,
    a session factory and the agent's API token; dropped afterwards."""
    prefix = "hotline_" + request.module.__name__.rsplit(".", 1)[-1]
    with private_postgres_database(postgres_url, prefix) as url:
        upgrade(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            sync_dataset(session, load_dataset(Settings().dataset_dir))
            token = users.create_token(session, users.create(session, "agent1", "agent"))
        yield url, factory, token
        engine.dispose()
