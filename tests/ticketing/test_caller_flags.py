"""The caller list API: supervisors mark numbers abusive or prank with a reason and an expiry; every change
is kept (a replaced or ended marking stays as a row); agents read it; bad input is a 4xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ticketing.caller import service
from ticketing.database.core import session_scope

SOON = (datetime.now(UTC) + timedelta(days=30)).isoformat()


def mark(client, headers, role="supervisor", **fields):
    body = {"phone": "138-0013-8000", "kind": "abusive", "reason": "多次辱骂话务员", "expires_at": SOON,
            **fields}
    return client.post("/api/v1/caller-flags", json=body, headers=headers[role])


def test_a_supervisor_marks_a_number_and_agents_see_it(client, headers, session_factory):
    response = mark(client, headers)
    assert response.status_code == 201, response.text
    flag = response.json()
    assert (flag["phone"], flag["kind"], flag["created_by"], flag["active"]) == (
        "+8613800138000", "abusive", "super1", True)
    listed = client.get("/api/v1/caller-flags", headers=headers["agent"]).json()
    assert [f["id"] for f in listed] == [flag["id"]]
    with session_scope(session_factory) as session:
        found = service.active(session, "+86 138 0013 8000", datetime.now(UTC))
        assert found is not None and found.reason == "多次辱骂话务员"
        assert service.active(session, "13900000000", datetime.now(UTC)) is None
        assert service.active(session, "not a phone", datetime.now(UTC)) is None


def test_a_new_marking_replaces_the_old_and_an_ended_one_stays_on_record(client, headers, session_factory):
    first = mark(client, headers).json()
    second = mark(client, headers, kind="prank", reason="反复拨打后不说话").json()
    history = client.get("/api/v1/caller-flags", params={"phone": "13800138000"}, headers=headers["agent"])
    rows = history.json()
    assert [r["id"] for r in rows] == [second["id"], first["id"]]
    assert (rows[1]["active"], rows[1]["ended_by"], rows[1]["end_note"]) == (False, "super1", "replaced")
    ended = client.post(f"/api/v1/caller-flags/{second['id']}/end", json={"note": "来电人已道歉"},
                        headers=headers["admin"])
    assert ended.status_code == 200 and ended.json()["ended_by"] == "admin1"
    assert client.get("/api/v1/caller-flags", headers=headers["agent"]).json() == []
    every = client.get("/api/v1/caller-flags", params={"ended": "true"}, headers=headers["agent"]).json()
    assert len(every) == 2
    again = client.post(f"/api/v1/caller-flags/{second['id']}/end", json={"note": "again"},
                        headers=headers["admin"])
    assert again.status_code == 409


def test_a_marking_lapses_at_its_expiry(client, headers, session_factory):
    flag = mark(client, headers, expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()).json()
    with session_scope(session_factory) as session:
        later = datetime.now(UTC) + timedelta(hours=2)
        assert service.active(session, "13800138000", later) is None
        assert service.active(session, "13800138000", datetime.now(UTC)).id == flag["id"]


def test_only_supervisors_mark_and_bad_input_is_refused_with_a_4xx(client, headers):
    assert mark(client, headers, role="agent").status_code == 403
    assert client.get("/api/v1/caller-flags", headers=headers["bureau"]).status_code == 403
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    far = (datetime.now(UTC) + timedelta(days=400)).isoformat()
    for fields in ({"phone": "12"}, {"kind": "rude"}, {"reason": ""}, {"expires_at": past},
                   {"expires_at": far}, {"expires_at": "2026-12-31T00:00:00"}, {"expires_at": "tomorrow"},
                   {"reason": "a\x00b"}, {"color": "red"}):
        response = mark(client, headers, **fields)
        assert 400 <= response.status_code < 500, (fields, response.status_code)
    assert client.get("/api/v1/caller-flags", headers=headers["agent"]).json() == []
    for flag_id in ("99", str(2**70), "x"):
        response = client.post(f"/api/v1/caller-flags/{flag_id}/end", json={"note": "test"},
                               headers=headers["supervisor"])
        assert response.status_code in (404, 422), (flag_id, response.status_code)
    bad = client.get("/api/v1/caller-flags", params={"phone": "abc"}, headers=headers["agent"])
    assert bad.status_code == 422
