"""The API of case media, uploads, duplicates and the deadline list, with its role matrix (both backends)."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from ticketing.api import create_api
from ticketing.call.models import Call, CaseCall
from ticketing.case import service
from ticketing.config import Settings
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

LAMP = {
    "description": "小区门口路灯坏了一个星期，晚上很黑",
    "street": "futian",
    "caller_phone": "13800138000",
    "caller_name": "王先生",
    "dispatch": True,
}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(200))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def api(backend, session_factory, dataset, tmp_path):
    settings = Settings(database_url=backend[1], var_dir=tmp_path, attachment_max_bytes=1000)
    with TestClient(create_api(settings, session_factory=session_factory, dataset=dataset)) as client:
        yield client


def created(api, headers) -> str:
    response = api.post("/api/v1/cases", json=LAMP, headers=headers["agent"])
    assert response.status_code == 201, response.text
    return response.json()["number"]


def test_bureau_users_read_the_caller_masked(api, headers):
    number = created(api, headers)
    mine = api.get(f"/api/v1/cases/{number}", headers=headers["bureau"]).json()
    assert (mine["caller_phone"], mine["caller_name"]) == ("138****8000", "王**")
    full = api.get(f"/api/v1/cases/{number}", headers=headers["supervisor"]).json()
    assert full["caller_phone"] == "+8613800138000"


def test_upload_then_play_with_ranges(api, headers, session_factory):
    number = created(api, headers)
    sent = api.post(
        f"/api/v1/cases/{number}/attachments",
        headers=headers["bureau"],
        files={"file": ("../../etc/留言.wav", WAV, "text/plain")},
    )
    assert sent.status_code == 201, sent.text
    body = sent.json()
    assert (body["name"], body["content_type"], body["size_bytes"]) == ("留言.wav", "audio/wav", len(WAV))
    url = f"/api/v1/cases/{number}/attachments/{body['id']}/content"
    whole = api.get(url, headers=headers["bureau"])
    assert whole.status_code == 200 and whole.content == WAV and whole.headers["accept-ranges"] == "bytes"
    part = api.get(url, headers={**headers["bureau"], "Range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == WAV[4:12]
    assert part.headers["content-range"] == f"bytes 4-11/{len(WAV)}"
    beyond = api.get(url, headers={**headers["bureau"], "Range": f"bytes={len(WAV)}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(WAV)}"
    from ticketing.audit.models import AccessRecord

    with session_scope(session_factory) as session:
        plays = session.query(AccessRecord).filter_by(case_number=number).all()
        assert [(p.username, p.action) for p in plays] == [
            ("urban1", "play-recording")
        ]  # ranges past 0: once


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        (b"MZ\x90\x00 not a photo", 422, "not accepted"),
        (PNG + b"\x00" * 2000, 422, "larger than"),
        (b"", 422, "empty"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(api, headers, tmp_path, data, status, words):
    number = created(api, headers)
    refused = api.post(
        f"/api/v1/cases/{number}/attachments",
        headers=headers["bureau"],
        files={"file": ("x.png", data, "image/png")},
    )
    assert refused.status_code == status and words in refused.json()["detail"]
    assert not any((tmp_path / "attachments").rglob("*")) if (tmp_path / "attachments").exists() else True


def test_recordings_outside_the_media_directories_are_not_served(api, headers, session_factory, tmp_path):
    number = created(api, headers)
    outside = tmp_path.parent / f"secret-{os.getpid()}.wav"
    outside.write_bytes(WAV)
    inside = tmp_path / "asterisk" / "call.wav"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(WAV)
    with session_scope(session_factory) as session:
        case = service.require(session, number)
        sneaky = service.add_attachment(session, case, "recording", path=str(tmp_path / ".." / outside.name))
        good, bad = (
            Call(linkedid="L-in", recording=str(inside), started_at=utcnow()),
            Call(linkedid="L-out", recording=str(outside), started_at=utcnow()),
        )
        session.add_all([good, bad])
        session.flush()
        session.add_all(
            [CaseCall(case_id=case.id, call_id=good.id), CaseCall(case_id=case.id, call_id=bad.id)]
        )
        ids = sneaky.id, good.id, bad.id
    boss = headers["supervisor"]
    assert api.get(f"/api/v1/cases/{number}/attachments/{ids[0]}/content", headers=boss).status_code == 404
    assert api.get(f"/api/v1/cases/{number}/calls/{ids[1]}/recording", headers=boss).content == WAV
    assert api.get(f"/api/v1/cases/{number}/calls/{ids[2]}/recording", headers=boss).status_code == 404
    outside.unlink()


# endpoint -> roles answered 200 (others: 403 for the role, 404 for another bureau's case)
MATRIX = [
    ("GET", "/api/v1/cases/{n}", {"agent", "supervisor", "admin", "bureau"}, {"bureau-env", "bureau-street"}),
    ("GET", "/api/v1/cases/{n}/duplicates", {"agent", "supervisor", "admin"}, set()),
    ("GET", "/api/v1/deadlines", {"supervisor", "admin"}, set()),
    (
        "GET",
        "/api/v1/cases/{n}/attachments/{a}/content",
        {"agent", "supervisor", "admin", "bureau"},
        {"bureau-env", "bureau-street"},
    ),
]
ROLES = ("agent", "supervisor", "admin", "bureau", "bureau-env", "bureau-street")


@pytest.mark.parametrize(("method", "path", "allowed", "hidden"), MATRIX)
def test_role_matrix(api, headers, method, path, allowed, hidden):
    number = created(api, headers)
    sent = api.post(
        f"/api/v1/cases/{number}/attachments",
        headers=headers["bureau"],
        files={"file": ("p.png", PNG, "image/png")},
    )
    url = path.format(n=number, a=sent.json()["id"])
    for role in ROLES:
        status = api.request(method, url, headers=headers[role]).status_code
        expected = 200 if role in allowed else 404 if role in hidden else 403
        assert status == expected, (role, url, status)
    assert api.request(method, url).status_code == 401


def test_duplicates_are_suggested_with_reasons(api, headers):
    first, second = created(api, headers), created(api, headers)
    found = api.get(f"/api/v1/cases/{second}/duplicates", headers=headers["agent"]).json()
    assert [d["number"] for d in found] == [first]
    assert set(found[0]["reasons"]) >= {"same_caller", "same_category_nearby"}
    merged = api.post(
        f"/api/v1/cases/{second}/actions/merge", json={"target": first}, headers=headers["agent"]
    )
    assert merged.status_code == 200
    back = api.post(f"/api/v1/cases/{first}/actions/merge", json={"target": second}, headers=headers["agent"])
    assert back.status_code == 422  # into a merged case: refused, no cycle can form


def test_deadline_list_pages_by_cursor(api, headers):
    numbers = {created(api, headers) for _ in range(3)}
    page = api.get("/api/v1/deadlines?state=near&limit=2", headers=headers["supervisor"]).json()
    assert page == {"items": [], "next": None}  # nothing is near yet: just dispatched
    bad = api.get("/api/v1/deadlines?state=near&after=zzz", headers=headers["supervisor"])
    assert bad.status_code in (200, 422)
    assert numbers
