"""Fault tests use the session's provisioned Asterisk like the integration tests (same fixtures), and a
private redis-server each (the shared one is never stopped)."""

import pytest

from tests.faults.private_redis import PrivateRedis
from tests.integration.conftest import asterisk, asterisk_install  # noqa: F401 - fixtures found by name


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, on its own port, closed afterwards."""
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.close()
