"""The browser phone's account endpoint and signing in with it (real HTTP, PostgreSQL, scripted bridge)."""

from __future__ import annotations

import pytest

from agent_console.views.phone import choose_extension
from tests.agent_console.support import ConsoleClient

pytestmark = pytest.mark.postgres


class Accounts:
    """The directory the hotline wires from the Asterisk instance (ivr.asterisk.webrtc.BrowserPhones)."""

    def account(self, extension: str) -> dict | None:
        if extension not in {"1001", "1002"}:
            return None
        return {"username": f"webrtc-{extension}", "password": "pw-" + extension,
                "websocket": "wss://127.0.0.1:8089/ws", "domain": "127.0.0.1",
                "certificate_page": "https://127.0.0.1:8089/httpstatus"}


@pytest.fixture
async def running(make_app, serve):
    app, console, bridge = make_app()
    console.phones = Accounts()
    base = await serve(app)
    clients: list[ConsoleClient] = []

    async def client(username: str, password: str) -> ConsoleClient:
        c = ConsoleClient(base)
        clients.append(c)
        await c.login(username, password)
        return c

    yield console, bridge, client
    for c in clients:
        await c.close()


@pytest.mark.parametrize(("asked", "own", "expected"), [
    ("", "1001", "1001"), ("1002", "1001", "1002"), ("", None, None), ("9999", "1001", None),
    ("1001", None, "1001")])
def test_choose_extension(asked, own, expected):
    assert choose_extension(asked, own, ["1001", "1002"]) == expected


async def test_agent_gets_own_extension_account_and_bad_requests_are_refused(running):
    console, _bridge, client = running
    agent = await client("agent1", "agent-pass")
    own = await agent.post("/console/phone/account", json={})
    assert own.status_code == 200
    assert own.json()["username"] == "webrtc-1001" and own.json()["extension"] == "1001"
    assert own.json()["expires"] == console.settings.phone_register_expires
    unknown = await agent.post("/console/phone/account", json={"extension": "9999"})
    assert unknown.status_code == 422 and unknown.json()["message"] == "未知分机"
    forged = await agent.post("/console/phone/account", json={}, csrf="nope")
    assert forged.status_code == 403
    anonymous = ConsoleClient(agent.base_url)
    assert (await anonymous.post("/console/phone/account", json={})).status_code == 401
    await anonymous.close()
    clerk = await client("urban1", "bureau-pass")
    assert (await clerk.post("/console/phone/account", json={})).status_code == 403


async def test_no_directory_means_a_clear_message(running):
    console, _bridge, client = running
    console.phones = None
    agent = await client("agent1", "agent-pass")
    response = await agent.post("/console/phone/account", json={})
    assert response.status_code == 404 and "桌面话机" in response.json()["message"]


async def test_signing_in_with_the_browser_phone_adds_its_interface(running):
    _console, bridge, client = running
    agent = await client("agent1", "agent-pass")
    response = await agent.post("/console/agent/presence/login",
                                json={"extension": "1001", "queues": ["general-zh"], "phone": "browser"})
    assert response.status_code == 200
    assert response.json()["presence"]["interface"] == "PJSIP/webrtc-1001"
    assert ("queue_add", "PJSIP/webrtc-1001") in [(a, args["interface"]) for a, args in bridge.actions()]
    wrong = await agent.post("/console/agent/presence/login",
                             json={"extension": "1001", "queues": ["general-zh"], "phone": "fax"})
    assert wrong.status_code == 422
