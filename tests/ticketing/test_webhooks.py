"""Webhooks on SQLite and PostgreSQL: signing, the retry policy, the delivery queue, the admin API, and the
sender POSTing to a real HTTP receiver on loopback that fails before it accepts."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ticketing.bus import Streams
from ticketing.bus.memory import MemoryBus
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.webhook import service, signing
from ticketing.webhook.models import DELIVERED, FAILED, PENDING
from ticketing.webhook.worker import WebhookSender


def test_a_signature_verifies_only_for_its_body_secret_and_time():
    body = signing.body_of({"type": "case.created", "case": {"number": "FT20261202-0001"}})
    header = signing.sign("s3cret", 1_000_000, body)
    assert signing.verify("s3cret", header, body, now=1_000_100)
    assert not signing.verify("s3cret", header, body + b" ", now=1_000_100)
    assert not signing.verify("other", header, body, now=1_000_100)
    assert not signing.verify("s3cret", header, body, now=1_000_000 + signing.TOLERANCE + 1)
    assert not signing.verify("s3cret", "garbage", body, now=1_000_000)


@pytest.mark.parametrize(
    ("attempts", "status", "delay"),
    [
        (1, 500, 10),
        (2, None, 30),
        (3, 503, 60),
        (1, 429, 10),
        (1, 408, 10),
        (1, 404, None),
        (1, 410, None),
        (1, 400, None),
        (signing.MAX_ATTEMPTS - 1, 500, 3600),
        (signing.MAX_ATTEMPTS, 500, None),
    ],
)
def test_retry_policy(attempts, status, delay):
    assert signing.next_delay(attempts, status) == delay


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://city.example.org/hooks", True),
        ("http://127.0.0.1:9000/in", True),
        ("ftp://example.org/x", False),
        ("/relative", False),
        ("http://", False),
        ("http://a/\x00", False),
    ],
)
def test_receiver_urls_are_checked(url, ok):
    if ok:
        assert service.check_url(url) == url
    else:
        with pytest.raises(service.WebhookError):
            service.check_url(url)


def _owe(session, event_id="e1", event_type="case.created"):
    return service.enqueue(session, event_id, event_type, "FT20261202-0001", {"id": event_id})


def test_an_event_is_owed_once_to_each_receiver_that_wants_it(session_factory):
    with session_scope(session_factory) as session:
        service.register(session, "all", "http://127.0.0.1:1/a")
        service.register(session, "created-only", "http://127.0.0.1:1/b", ["case.created"])
        with pytest.raises(service.WebhookError, match="exists already"):
            service.register(session, "all", "http://127.0.0.1:1/c")
        with pytest.raises(service.WebhookError, match="unknown event types"):
            service.register(session, "x", "http://127.0.0.1:1/c", ["call.started"])
    with session_scope(session_factory) as session:
        assert _owe(session) == 2
        assert _owe(session) == 0  # the same event replayed by the bus
        assert _owe(session, "e2", "case.changed") == 1


def test_two_consumers_owing_the_same_event_at_once_owe_it_once(session_factory):
    """The bus may hand one event to two consumers at once (a redelivery while the first still works)."""
    with session_scope(session_factory) as session:
        service.register(session, "city", "http://127.0.0.1:1/a")
    second_owed: list[int] = []
    with session_factory() as first, session_factory() as second:
        assert _owe(first) == 1  # not committed yet: the second sees nothing owed
        racing = threading.Thread(target=lambda: second_owed.append(_owe(second)))
        racing.start()
        racing.join(0.3)  # the second waits on the first's row (PostgreSQL) or write lock (SQLite)
        first.commit()
        racing.join(30)
        second.commit()
    assert second_owed == [0]
    with session_scope(session_factory) as session:
        assert len(service.deliveries(session, service.get_by_name(session, "city").id)) == 1


def test_claims_lease_and_outcomes(session_factory):
    with session_scope(session_factory) as session:
        service.register(session, "city", "http://127.0.0.1:1/a")
        for n in range(3):
            _owe(session, f"e{n}")
    now = utcnow()
    with session_scope(session_factory) as session:
        claimed = service.claim_due(session, now)
        assert [a.event_id for a in claimed] == ["e0", "e1", "e2"]
    with session_scope(session_factory) as session:
        assert service.claim_due(session, now + timedelta(seconds=30)) == []  # leased to the first worker
        ok, retried, refused = (a.delivery_id for a in claimed)
        assert service.record(session, ok, 204, "", now) == DELIVERED
        assert service.record(session, retried, 502, "bad gateway", now) == PENDING
        assert service.record(session, refused, 410, "gone", now) == FAILED
        assert service.record(session, ok, 500, "late answer", now) == DELIVERED  # a lease's late twin
    with session_scope(session_factory) as session:
        again = service.claim_due(session, now + timedelta(seconds=11))
        assert [a.delivery_id for a in again] == [retried]
        log = service.deliveries(session, service.get_by_name(session, "city").id)
        assert [(d.status, d.attempts) for d in log] == [(FAILED, 1), (PENDING, 1), (DELIVERED, 1)]
        service.disable(session, service.get_by_name(session, "city"))
    with session_scope(session_factory) as session:
        assert service.claim_due(session, now + timedelta(hours=1)) == []
        assert _owe(session, "e9") == 0  # a disabled receiver is owed nothing new


def test_admin_api_registers_lists_and_logs(client, headers):
    body = {
        "name": "district-app",
        "url": "https://app.example.org/hotline",
        "event_types": ["case.changed"],
    }
    assert client.post("/api/v1/webhooks", json=body, headers=headers["agent"]).status_code == 403
    created = client.post("/api/v1/webhooks", json=body, headers=headers["admin"])
    assert created.status_code == 201 and len(created.json()["secret"]) == 64
    listed = client.get("/api/v1/webhooks", headers=headers["admin"]).json()
    assert [w["name"] for w in listed] == ["district-app"] and "secret" not in listed[0]
    bad = client.post(
        "/api/v1/webhooks", json={**body, "name": "b", "url": "ftp://x"}, headers=headers["admin"]
    )
    assert bad.status_code == 422 and "http" in bad.json()["detail"]
    webhook_id = created.json()["id"]
    assert client.get(f"/api/v1/webhooks/{webhook_id}/deliveries", headers=headers["admin"]).json() == []
    assert client.get(f"/api/v1/webhooks/{2**70}/deliveries", headers=headers["admin"]).status_code in (
        404,
        422,
    )
    disabled = client.post(f"/api/v1/webhooks/{webhook_id}/disable", headers=headers["admin"]).json()
    assert disabled["disabled_at"] is not None


class Receiver(BaseHTTPRequestHandler):
    """A receiving system: answers 503 to its first N posts, then 200; keeps what it accepted."""

    failures_left = 0
    accepted: list = []
    secret = ""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        signed = signing.verify(
            type(self).secret, self.headers["X-Hotline-Signature"], body, now=int(__import__("time").time())
        )
        if type(self).failures_left > 0 or not signed:
            type(self).failures_left -= 1
            self.send_response(503 if signed else 401)
        else:
            type(self).accepted.append((self.headers["X-Hotline-Delivery"], json.loads(body)))
            self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Receiver.accepted, Receiver.failures_left = [], 0
    yield f"http://127.0.0.1:{server.server_address[1]}/hotline"
    server.shutdown()


async def test_the_sender_delivers_each_case_event_once_after_the_receiver_recovers(
    session_factory, receiver
):
    with session_scope(session_factory) as session:
        Receiver.secret = service.register(session, "city", receiver).secret
        service.register(session, "nobody-listens", "http://127.0.0.1:9/closed", ["case.created"])
    Receiver.failures_left = 2
    bus = MemoryBus()
    # retries after 0.2 s instead of 10-30 s: the policy itself is the table test above
    sender = WebhookSender(session_factory, bus, poll=0.05, retry_delays=(0.2,) * 10)
    await sender.start()
    await bus.start()
    try:
        number = "FT20261202-0001"
        created = {
            "number": number,
            "action": "create",
            "actor": "agent1",
            "status": "new",
            "category": "litter",
            "bureau": None,
        }
        changed = {
            **created,
            "action": "dispatch",
            "status": "dispatched",
            "bureau": "urban-mgmt",
            "bureau_id": 3,
        }
        published = [
            await bus.publish(Streams.CASES, "case.created", number, created),
            await bus.publish(Streams.CASES, "case.changed", number, changed),
            await bus.publish(Streams.CASES, "case.created", number, created),
        ]
        await bus.publish(Streams.CASES, "call.started", "1234.5", {"linkedid": "1234.5"})  # not a case
        await sender.on_case_event(published[0])  # the bus delivering an entry twice: owed once
        await _until(lambda: _statuses(session_factory, "city") == [DELIVERED] * 3)
    finally:
        await sender.stop()
        await bus.close()
    ids = [delivery for delivery, _ in Receiver.accepted]
    assert sorted(ids) == sorted({p.id for p in published}) and len(ids) == 3
    first = next(body for delivery, body in Receiver.accepted if body["type"] == "case.changed")
    assert first["case"]["bureau"] == "urban-mgmt" and "bureau_id" not in first["case"]
    with session_scope(session_factory) as session:
        city = service.get_by_name(session, "city")
        assert {(d.status, d.attempts) for d in service.deliveries(session, city.id)} <= {
            (DELIVERED, 1),
            (DELIVERED, 2),
            (DELIVERED, 3),
        }
        closed = service.deliveries(session, service.get_by_name(session, "nobody-listens").id)
        assert {d.status for d in closed} == {PENDING} and all(d.last_error for d in closed)


async def test_an_event_no_receiver_wants_costs_no_query_and_a_new_receiver_gets_the_next(
    session_factory, monkeypatch
):
    from sqlalchemy import event, insert, select

    from ticketing.webhook.models import WebhookDelivery, WebhookSubscription

    engine = session_factory.kw["bind"]
    statements: list[str] = []
    record = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", record)
    bus = MemoryBus()
    sender = WebhookSender(session_factory, bus, poll=60)
    created = {"number": "FT20261202-0001", "action": "create", "actor": "agent1", "status": "new",
               "category": None, "bureau": None}

    async def owed(n: int, event_type="case.created"):
        entry = await bus.publish(Streams.CASES, event_type, created["number"], created)
        await sender.on_case_event(entry)
        with session_scope(session_factory) as session:
            rows = session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.event_id == entry.id))
            return len(list(rows)) == n

    try:
        assert await owed(0)  # no receiver at all: loads that
        statements.clear()
        assert await owed(0) and len(statements) == 1  # only the check's own query, none by the sender
        with session_scope(session_factory) as session:
            service.register(session, "changes-only", "http://127.0.0.1:9/x", ["case.changed"])
        assert await owed(0)  # loads what receivers want
        statements.clear()
        for _ in range(5):
            entry = await bus.publish(Streams.CASES, "case.created", created["number"], created)
            await sender.on_case_event(entry)
        assert statements == []  # nobody wants case.created: no transaction, no query
        with session_scope(session_factory) as session:  # registered in this process: the next event
            service.register(session, "city", "http://127.0.0.1:9/y")
        assert await owed(1)
        assert await owed(2, "case.changed")
        # Another process adds a receiver (no ORM flush here): seen once the kept answer is too old.
        with session_scope(session_factory) as session:
            service.disable(session, service.get_by_name(session, "city"))
        assert await owed(0)
        monkeypatch.setattr(service, "WANTED_REFRESH", 0.3)
        with engine.begin() as conn:
            conn.execute(insert(WebhookSubscription).values(name="elsewhere", url="http://127.0.0.1:9/z",
                                                            secret="s", event_types=[]))
        await asyncio.sleep(0.35)
        assert await owed(1)
    finally:
        event.remove(engine, "before_cursor_execute", record)
        await bus.close()


def _statuses(session_factory, name):
    with session_scope(session_factory) as session:
        return [d.status for d in service.deliveries(session, service.get_by_name(session, name).id)]


async def _until(condition, limit=30.0):
    deadline = asyncio.get_running_loop().time() + limit
    while not await asyncio.to_thread(condition):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_webhooks_commands_add_list_log_and_disable(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from hotline.cli import app as hotline

    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'hooks.db'}")
    runner = CliRunner()
    assert runner.invoke(hotline, ["db", "upgrade"]).exit_code == 0
    added = runner.invoke(hotline, ["webhooks", "add", "city", "https://city.example.org/in",
                                    "--event", "case.changed"])
    assert added.exit_code == 0, added.output
    assert len(added.output.strip().splitlines()[-1]) == 64  # the secret, shown once
    listed = runner.invoke(hotline, ["webhooks", "list"]).output
    assert "city" in listed and "case.changed" in listed and "active" in listed
    assert runner.invoke(hotline, ["webhooks", "log", "city"]).exit_code == 0
    refused = runner.invoke(hotline, ["webhooks", "add", "bad", "ftp://x"])
    assert refused.exit_code != 0 and "http" in refused.output
    assert runner.invoke(hotline, ["webhooks", "disable", "city"]).exit_code == 0
    assert "disabled" in runner.invoke(hotline, ["webhooks", "list"]).output


def test_receivers_get_each_case_event_types_public_fields():
    from ticketing.bus import contract as ct
    from ticketing.webhook.worker import payload_of

    rated = ct.CaseCalledBack(number="FT1", action="callback", actor="survey", status="closed",
                              bureau="urban-mgmt", bureau_id=3, dispatched=True, rating="satisfied")
    urged = ct.CaseUrged(number="FT1", stage="resolve", due="2026-12-02T12:00:00+08:00", bureau="urban-mgmt",
                         bureau_id=3)
    body = payload_of(rated.outgoing().envelope(), rated)
    assert body["type"] == "case.called_back" and body["case"]["rating"] == "satisfied"
    assert "bureau_id" not in body["case"]
    assert payload_of(urged.outgoing().envelope(), urged)["case"] == {
        "number": "FT1", "kind": "urge", "stage": "resolve", "due": "2026-12-02T12:00:00+08:00",
        "bureau": "urban-mgmt", "order": None}
    assert {"case.reopened", "case.supervised", "case.created"} <= set(service.CASE_EVENT_TYPES)
