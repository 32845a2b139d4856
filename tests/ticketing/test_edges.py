"""Bad input at the HTTP edge is refused with 4xx, never 5xx, on SQLite and PostgreSQL alike.

Each of these answered 500 before (issue 8): NUL characters, times without a UTC offset, years 1 and
9999, numbers past 64 bits; a 200 MB body was read into memory.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ticketing.api import create_api
from ticketing.config import Settings


@pytest.fixture
def http(app):
    """A client that reports server errors as 500 answers instead of raising them."""
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


NUL_REQUESTS = [
    ("post", "/api/v1/cases", {"json": {"description": "noise\x00 at night"}}),
    ("post", "/api/v1/cases", {"json": {"description": "noise", "caller_name": "\x00"}}),
    ("get", "/api/v1/cases?q=a%00b", {}),
    ("get", "/api/v1/cases/FT%00x", {}),
    ("get", "/api/v1/cases?status=new%00", {}),
    ("get", "/api/v1/callers/138%0000/history", {}),
    ("post", "/api/v1/routing/preview", {"json": {"text": "a\x00"}}),
    ("post", "/api/v1/cases/FT1/actions/note", {"json": {"note": "x\x00"}}),
    ("post", "/api/v1/cases", {"content": b'{"description": "x\\u0000"}',
                               "headers": {"content-type": "application/json"}}),
]


@pytest.mark.parametrize(("method", "url", "kwargs"), NUL_REQUESTS)
def test_nul_characters_are_refused_with_400(http, headers, method, url, kwargs):
    kwargs = {**kwargs, "headers": {**headers["agent"], **kwargs.get("headers", {})}}
    response = getattr(http, method)(url, **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "NulCharacter"


def test_an_escaped_backslash_before_u0000_is_plain_text(http, headers):
    body = b'{"description": "path C:\\\\u0000 is text"}'
    response = http.post("/api/v1/cases", content=body,
                         headers={**headers["agent"], "content-type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "path C:\\u0000 is text"


BAD_QUERIES = [
    ("/api/v1/calls?since=2026-01-01T00:00:00", "since", "UTC offset"),
    ("/api/v1/calls?until=2026-01-01T08:00:00", "until", "UTC offset"),
    ("/api/v1/calls?since=0001-01-01T00:00:00%2B08:00", "since", "year 1 "),
    ("/api/v1/calls?until=9999-12-31T23:59:59-08:00", "until", "year 9999"),
    ("/api/v1/cases?from=0001-01-01", "from", "year 1 "),
    ("/api/v1/cases?to=9999-12-31", "to", "year 9999"),
    ("/api/v1/cases?page=99999999999999999999", "page", "less than or equal"),
    (f"/api/v1/cases?page={2**62}", "page", "less than or equal"),
    (f"/api/v1/calls?offset={2**64}", "offset", "less than or equal"),
    (f"/api/v1/calls/{2**64}", "call_id", "less than or equal"),
    ("/api/v1/calls/0", "call_id", "greater than or equal"),
]


@pytest.mark.parametrize(("url", "field", "words"), BAD_QUERIES)
def test_bad_times_and_numbers_are_refused_with_422_naming_the_field(http, headers, url, field, words):
    response = http.get(url, headers=headers["agent"])
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"] and words in response.json()["detail"]


def test_a_time_with_an_offset_is_accepted(http, headers):
    response = http.get("/api/v1/calls?since=2026-01-01T00:00:00Z&until=2999-12-31T00:00:00%2B08:00",
                        headers=headers["agent"])
    assert response.status_code == 200, response.text


def test_preview_at_year_one_is_refused(http, headers):
    response = http.post("/api/v1/routing/preview", headers=headers["agent"],
                         json={"text": "noise", "at": "0001-01-01T00:00:00+08:00"})
    assert response.status_code == 422, response.text
    assert "at" in response.json()["detail"]


def test_a_body_over_the_limit_is_refused_with_413(backend, session_factory, dataset, headers):
    app = create_api(Settings(database_url=backend[1], max_body_bytes=10_000),
                     session_factory=session_factory, dataset=dataset)
    with TestClient(app, raise_server_exceptions=False) as http:
        big = {"description": "x" * 20_000}
        response = http.post("/api/v1/cases", json=big, headers=headers["agent"])
        assert response.status_code == 413
        assert response.json()["error"] == "BodyTooLarge"

        def chunks():  # no Content-Length: the guard counts what arrives
            for _ in range(30):
                yield b"x" * 1000

        response = http.post("/api/v1/cases", content=chunks(),
                             headers={**headers["agent"], "content-type": "application/json"})
        assert response.status_code == 413
        assert http.post("/api/v1/cases", json={"description": "short"},
                         headers=headers["agent"]).status_code == 201


def test_every_response_carries_the_security_headers(http):
    response = http.get("/healthz")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
