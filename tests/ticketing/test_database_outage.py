"""A database outage answers JSON 503 (never a 500 or a driver message), and the service recovers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.ticketing.private_postgres import PrivatePostgres
from ticketing.api import create_api
from ticketing.bureau.seed import sync_dataset
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.user import service as users

pytestmark = pytest.mark.postgres
DRIVER_WORDS = ("psycopg", "connection", "refused", "5432", "server")


@pytest.fixture
def cluster():
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.remove()


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "DatabaseUnavailable"
    assert response.headers["retry-after"]


def test_stopped_postgres_answers_503_and_recovers(cluster, dataset):
    url = Settings(database_url=cluster.url).sqlalchemy_url
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        sync_dataset(session, dataset)
        token = users.create_token(session, users.create(session, "agent1", "agent"))
    auth = {"Authorization": f"Bearer {token}"}
    app = create_api(Settings(database_url=cluster.url), session_factory=factory, dataset=dataset)
    with TestClient(app, raise_server_exceptions=False) as http:
        assert http.get("/api/v1/cases", headers=auth).status_code == 200
        cluster.stop()
        assert_unavailable(http.get("/api/v1/cases", headers=auth))
        assert_unavailable(http.post("/api/v1/cases", headers=auth, json={"description": "noise"}))
        health = http.get("/healthz")
        assert health.status_code == 503
        assert health.json() == {"status": "unhealthy", "database": "unavailable"}
        assert not any(word in health.text for word in DRIVER_WORDS)
        cluster.start()
        assert http.get("/api/v1/cases", headers=auth).status_code == 200
        assert http.get("/healthz").status_code == 200
    engine.dispose()


def test_a_closed_port_answers_503(dataset):
    with TestClient(create_api(Settings(database_url="postgresql://postgres@127.0.0.1:9/none"),
                               dataset=dataset), raise_server_exceptions=False) as http:
        assert_unavailable(http.get("/api/v1/cases", headers={"Authorization": "Bearer htl_x"}))
        assert http.get("/healthz").json() == {"status": "unhealthy", "database": "unavailable"}


def test_the_first_requests_after_a_restart_nobody_saw_succeed(cluster, dataset):
    """Pooled connections a restart closed are noticed at checkout and replaced, without a failed request.

    No request runs during the outage, so no error has emptied the pool: the pool holds only connections
    the stopped server closed (what the pre-ping, and now a look at the socket, are for).
    """
    url = Settings(database_url=cluster.url).sqlalchemy_url
    upgrade(url)
    engine = make_engine(url, pool_size=3)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        sync_dataset(session, dataset)
        token = users.create_token(session, users.create(session, "agent1", "agent"))
    auth = {"Authorization": f"Bearer {token}"}
    with session_scope(factory) as first, session_scope(factory) as second:  # two pooled connections
        first.execute(text("SELECT 1"))
        second.execute(text("SELECT 1"))
    app = create_api(Settings(database_url=cluster.url), session_factory=factory, dataset=dataset)
    with TestClient(app, raise_server_exceptions=False) as http:
        assert http.get("/api/v1/cases", headers=auth).status_code == 200
        cluster.stop()
        cluster.start()
        assert engine.pool.checkedin() >= 2
        for _ in range(3):
            assert http.get("/api/v1/cases", headers=auth).status_code == 200
        lamp = {"description": "路灯坏了", "street": "futian"}
        created = http.post("/api/v1/cases", headers=auth, json=lamp)
        assert created.status_code == 201, created.text
    engine.dispose()


def test_a_connection_on_a_high_descriptor_is_kept(scratch_postgres):
    """The checkout's look at the socket works past descriptor 1023 (a console with many WebSockets)."""
    import os
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1200:
        pytest.skip("needs 1,200 open files (ulimit -n)")
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    engine = make_engine(Settings(database_url=scratch_postgres).sqlalchemy_url, pool_size=1)
    try:
        pids = []
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.connection.dbapi_connection.fileno() > 1023
                pids.append(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
        assert len(set(pids)) == 1  # the same pooled connection each time, not a new one per checkout
    finally:
        engine.dispose()
        for fd in spare:
            os.close(fd)
