"""/healthz, /readyz and /metrics on the real databases (calls, cases and outbox counted at scrape)."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from ivr.ami.bridge import AmiBridge
from ticketing.api import create_api
from ticketing.bus.health import Check, WorkerHealth, worker_checks
from ticketing.bus.redis_streams import RedisBus
from ticketing.call.models import Call
from ticketing.case.models import Case
from ticketing.config import Settings
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.web.health import add_readiness

BODY = {"description": "小区门口路灯坏了一个星期", "street": "futian", "caller_phone": "13800138000"}


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the Prometheus text format (None when absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
            if found == labels:
                return float(line.rsplit(" ", 1)[1])
    return None


def scrape(app, address: str = "127.0.0.1", **headers: str):
    """GET /metrics as a client at ADDRESS (loopback: a Prometheus on this machine)."""
    return TestClient(app, client=(address, 40000)).get("/metrics", headers=headers)


def test_readyz_is_ready_with_database_and_no_outside_bus(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "failing": [], "checks": {"database": "ok", "bus": "ok"}}


def test_readyz_names_the_parts_that_are_not_ready(app, dataset):
    bridge = AmiBridge(None, host="127.0.0.1", port=9, username="x", secret="y", server="pbx2")
    add_readiness(app, bridge.readiness)  # never started: not connected
    workers = [WorkerHealth("consumer hotline.calls/call-recorder", True, True),
               WorkerHealth("outbox-relay", False, False, "boom")]
    add_readiness(app, lambda: worker_checks(workers))
    with TestClient(app) as http:
        response = http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["ami pbx2", "worker outbox-relay"]
    assert body["checks"]["ami pbx2"] == "not connected"
    assert body["checks"]["worker outbox-relay"] == "stopped"
    assert "boom" not in response.text


async def test_readyz_fails_when_redis_is_unreachable(backend, session_factory, dataset):
    bus = RedisBus("redis://127.0.0.1:9/0")
    app = create_api(Settings(database_url=backend[1]), session_factory=session_factory, dataset=dataset,
                     bus=bus)
    with TestClient(app) as http:
        response = http.get("/readyz")
    assert response.status_code == 503 and response.json()["failing"] == ["bus"]
    assert "Connect" not in response.text and "127.0.0.1" not in response.text  # no driver words
    await bus.close()


def test_anonymous_healthz_shows_no_driver_error(dataset):
    app = create_api(Settings(database_url="postgresql://postgres:secret@127.0.0.1:9/none"), dataset=dataset)
    with TestClient(app, raise_server_exceptions=False) as http:
        health, ready = http.get("/healthz"), http.get("/readyz")
    assert health.status_code == ready.status_code == 503
    assert health.json() == {"status": "unhealthy", "database": "unavailable"}
    assert ready.json()["checks"]["database"] == "unreachable"
    for text in (health.text, ready.text):
        assert "connection" not in text.lower() and "secret" not in text and "psycopg" not in text


def test_metrics_count_calls_cases_outbox_and_time_requests(client, headers, session_factory):
    numbers = [client.post("/api/v1/cases", json=BODY, headers=headers["agent"]).json()["number"]
               for _ in range(3)]
    client.get(f"/api/v1/cases/{numbers[0]}", headers=headers["agent"])
    now = utcnow()
    with session_scope(session_factory) as session:
        case = session.query(Case).filter_by(number=numbers[0]).one()
        case.sla_due_at = now - timedelta(hours=1)
        session.add_all([
            Call(linkedid="m-ivr", caller_raw="13800138000", started_at=now),
            Call(linkedid="m-wait", started_at=now, queue="general-zh",
                 queued_at=now - timedelta(seconds=40)),
            Call(linkedid="m-talk", started_at=now, queue="general-zh", queued_at=now, answered_at=now,
                 wait_seconds=12.0),
            Call(linkedid="m-gone", started_at=now, ended_at=now, status="ended", outcome="abandoned_queue",
                 queue="general-zh", wait_seconds=30.0),
        ])
    text = scrape(client.app).text
    assert sample(text, "hotline_calls_in_ivr") == 1
    assert sample(text, "hotline_calls_in_queue", queue="general-zh") == 1
    assert sample(text, "hotline_calls_talking", queue="general-zh") == 1
    assert sample(text, "hotline_queue_longest_wait_seconds", queue="general-zh") >= 40
    assert sample(text, "hotline_calls_abandoned_today") == 1
    assert sample(text, "hotline_calls_today", outcome="abandoned_queue") == 1
    assert sample(text, "hotline_queue_wait_seconds_today", stat="longest") == 30
    assert sample(text, "hotline_queue_wait_seconds_today", stat="average") == 21
    open_cases = {k: v for k, v in re.findall(r'hotline_open_cases\{([^}]*)\} (\S+)', text)}
    assert sum(float(v) for v in open_cases.values()) == 3
    assert sample(text, "hotline_overdue_cases", bureau="urban-mgmt") == 1
    assert sample(text, "hotline_outbox_backlog") == 3  # no relay runs in this app
    assert sample(text, "hotline_ready", part="database") == 1
    assert sample(text, "hotline_http_request_duration_seconds_count", method="POST", route="/api/v1/cases",
                  status="201") >= 3
    assert sample(text, "hotline_http_request_duration_seconds_count", method="GET",
                  route="/api/v1/cases/{number}", status="200") >= 1
    assert numbers[1] not in text and "13800138000" not in text  # no case numbers or phones as labels


def test_worker_checks_say_stalled_or_stopped():
    assert worker_checks([WorkerHealth("a", True, False), WorkerHealth("b", False, False)]) == [
        Check("worker a", False, "stalled"), Check("worker b", False, "stopped")]


def test_metrics_answer_loopback_and_refuse_other_networks_with_403(app):
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert scrape(app, address).status_code == 200, address
    for address in ("10.1.2.3", "192.168.1.20", "2001:db8::1", "testclient"):
        response = scrape(app, address)
        assert response.status_code == 403, address
        assert response.json() == {"detail": "metrics are served only to the configured networks"}
        assert "hotline_" not in response.text


def test_metrics_token_lets_a_scraper_in_from_anywhere_and_nobody_else(backend, session_factory, dataset):
    settings = Settings(database_url=backend[1], metrics_token="scrape-Secret-42",
                        metrics_networks=["10.20.0.0/16"])
    app = create_api(settings, session_factory=session_factory, dataset=dataset)
    allowed = scrape(app, "203.0.113.9", authorization="Bearer scrape-Secret-42")
    assert allowed.status_code == 200 and "hotline_ready" in allowed.text
    assert scrape(app, "10.20.3.4").status_code == 200  # the monitoring network needs no token
    for address, authorization in (("203.0.113.9", ""), ("203.0.113.9", "Bearer wrong"),
                                   ("127.0.0.1", ""),  # loopback is not in this install's networks
                                   ("203.0.113.9", "Basic c2NyYXBlLVNlY3JldC00Mg=="),
                                   ("203.0.113.9", "Bearer scrape-secret-42"),  # case matters
                                   ("203.0.113.9", "Bearer"), ("203.0.113.9", "Bearer 令牌".encode())):
        response = scrape(app, address, **({"authorization": authorization} if authorization else {}))
        assert response.status_code == 401, (address, authorization)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "scrape-Secret-42" not in response.text and "hotline_" not in response.text
