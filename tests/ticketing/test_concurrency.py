"""Real concurrent HTTP requests against a uvicorn server on PostgreSQL: exactly one action wins."""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from ticketing.api import create_api
from ticketing.config import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]
CLIENTS = 8


@pytest.fixture
def server(backend, session_factory, dataset) -> Iterator[str]:
    """Base URL of the API served by uvicorn on a loopback port, in a thread."""
    app = create_api(Settings(database_url=backend[1]), session_factory=session_factory, dataset=dataset)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def race(url: str, requests: list[tuple[str, dict, dict]]) -> list[httpx.Response]:
    """Fire the requests from separate threads released at the same instant."""
    barrier = threading.Barrier(len(requests))
    results: list[httpx.Response | None] = [None] * len(requests)

    def run(index: int, path: str, body: dict, headers: dict) -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            barrier.wait()
            results[index] = client.post(path, json=body, headers=headers)

    threads = [threading.Thread(target=run, args=(i, *request)) for i, request in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def new_dispatched_case(url: str, headers: dict) -> str:
    body = {"description": "小区路灯坏了", "street": "futian", "dispatch": True}
    response = httpx.post(f"{url}/api/v1/cases", json=body, headers=headers["agent"])
    assert response.status_code == 201, response.text
    return response.json()["number"]


@pytest.mark.parametrize("action", ["acknowledge", "return", "acknowledge"])
def test_exactly_one_of_concurrent_actions_wins(server, headers, action):
    number = new_dispatched_case(server, headers)
    actions = [action] * CLIENTS  # legal once: after it, the case is no longer dispatched
    requests = [
        (f"/api/v1/cases/{number}/actions/{action}", {"note": "不属于本单位"}, headers["bureau"])
        for action in actions
    ]
    responses = race(server, requests)
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 1, 409: CLIENTS - 1}, [r.text for r in responses]
    for response in responses:
        if response.status_code == 409:
            detail = response.json()["detail"]
            assert "changed by someone else" in detail or "cannot" in detail
    winner = next(r.json() for r in responses if r.status_code == 200)
    case = httpx.get(f"{server}/api/v1/cases/{number}", headers=headers["supervisor"]).json()
    assert case["status"] == winner["status"] and case["version"] == 3
    events = httpx.get(f"{server}/api/v1/cases/{number}/events", headers=headers["supervisor"]).json()
    assert [e["action"] for e in events][:2] == ["create", "dispatch"] and len(events) == 3


def test_concurrent_intake_hands_out_distinct_consecutive_numbers(server, headers):
    body = {"description": "公司拖欠工资", "street": "huafu"}
    responses = race(server, [("/api/v1/cases", body, headers["agent"])] * 12)
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    suffixes = sorted(int(r.json()["number"].rsplit("-", 1)[1]) for r in responses)
    assert suffixes == list(range(1, 13))
