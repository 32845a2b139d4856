"""Idempotency-Key on POST /cases: a retry returns the case already made, never a second one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.ticketing.test_concurrency import race, server  # noqa: F401 - fixture found by name
from ticketing.case.models import Case

BODY = {"description": "小区门口路灯坏了一个星期", "street": "futian", "caller_phone": "13800138000"}


def _count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_a_retry_with_the_same_key_returns_the_same_case(client, headers, session_factory):
    key = {"Idempotency-Key": "9b2f0c1e-retry-1", **headers["agent"]}
    first = client.post("/api/v1/cases", json=BODY, headers=key)
    again = client.post("/api/v1/cases", json=dict(reversed(BODY.items())), headers=key)  # same body
    assert first.status_code == again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _count(session_factory) == 1
    changed = client.post("/api/v1/cases", json={**BODY, "description": "另一件事"}, headers=key)
    assert changed.status_code == 422 and "different request" in changed.json()["detail"]
    assert _count(session_factory) == 1


def test_keys_belong_to_their_user_and_no_key_means_a_new_case(client, headers, session_factory):
    key = {"Idempotency-Key": "shared-key"}
    one = client.post("/api/v1/cases", json=BODY, headers={**key, **headers["agent"]}).json()["number"]
    two = client.post("/api/v1/cases", json=BODY, headers={**key, **headers["supervisor"]}).json()["number"]
    plain = [client.post("/api/v1/cases", json=BODY, headers=headers["agent"]).json()["number"]
             for _ in range(2)]
    assert len({one, two, *plain}) == 4 and _count(session_factory) == 4


@pytest.mark.parametrize("bad", ["has space", "x" * 201, "ключ"])
def test_unusable_keys_are_refused(client, headers, session_factory, bad):
    response = client.post("/api/v1/cases", json=BODY,
                           headers={"Idempotency-Key": bad.encode(), **headers["agent"]})
    assert response.status_code in (400, 422), response.text
    assert _count(session_factory) == 0


def test_a_refused_intake_does_not_use_up_the_key(client, headers, session_factory):
    key = {"Idempotency-Key": "retry-after-fix", **headers["agent"]}
    bad = client.post("/api/v1/cases", json={**BODY, "street": "atlantis"}, headers=key)
    assert bad.status_code == 422
    assert client.post("/api/v1/cases", json=BODY, headers=key).status_code == 201


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_ten_concurrent_retries_make_one_case(server, headers, session_factory):  # noqa: F811
    key = {"Idempotency-Key": "concurrent-1", **headers["agent"]}
    responses = race(server, [("/api/v1/cases", BODY, key)] * 10)
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses]
    assert len({r.json()["number"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
    assert _count(session_factory) == 1
