"""Fixtures shared by every test: the real PostgreSQL and Redis, failing loudly when they are down."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

POSTGRES_URL = os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/hotline_test")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        address = (parsed.hostname or "127.0.0.1", parsed.port or default_port)
        with socket.create_connection(address, timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real test database; the run fails (not skips) when PostgreSQL is down."""
    if not _reachable(POSTGRES_URL, 5432):
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}: run scripts/services.sh", pytrace=False)
    return POSTGRES_URL


@pytest.fixture(scope="session")
def redis_url() -> str:
    """URL of the real Redis (database 15); the run fails when Redis is down."""
    if not _reachable(REDIS_URL, 6379):
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: run scripts/services.sh", pytrace=False)
    return REDIS_URL


@pytest.fixture
def unique() -> str:
    """A short unique token for names that must not collide between tests."""
    return uuid.uuid4().hex[:8]
