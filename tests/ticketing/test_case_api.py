"""The /api/v1 HTTP API on SQLite and PostgreSQL: intake, actions, search, roles and bad input."""

from __future__ import annotations

import asyncio

import pytest
from fastapi.testclient import TestClient

from ticketing.api import create_api
from ticketing.bus import Streams, create_bus
from ticketing.bus.contract import CaseChanged, parse
from ticketing.config import Settings
from ticketing.outbox import Relay

LAMP = {
    "description": "小区门口路灯坏了一个星期，晚上很黑",
    "street": "futian",
    "caller_phone": "13800138000",
    "caller_name": "王先生",
}


def create(client, headers, **fields):
    response = client.post("/api/v1/cases", json={**LAMP, **fields}, headers=headers["agent"])
    assert response.status_code == 201, response.text
    return response.json()


def act(client, headers, number, action, role="agent", **payload):
    return client.post(f"/api/v1/cases/{number}/actions/{action}", json=payload, headers=headers[role])


def count_cases(client, headers) -> int:
    return client.get("/api/v1/cases", headers=headers["supervisor"]).json()["total"]


def test_health_and_docs(client):
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/cases",
        "/api/v1/cases/{number}/actions/{action}",
        "/api/v1/routing/preview",
        "/api/v1/callers/{phone}/history",
        "/api/v1/bureaus",
        "/api/v1/categories",
        "/api/v1/streets",
    ):
        assert path in paths


def test_a_chinese_description_is_routed_with_deadlines(client, headers):
    case = create(client, headers)
    assert case["number"].startswith("FT") and case["status"] == "new"
    assert (case["category"], case["bureau"], case["bureau_name"]) == (
        "street-lights",
        "urban-mgmt",
        "区城市管理和综合执法局",
    )
    assert case["routing_rule"] and "路灯" in case["routing_explanation"]
    assert case["dispatch_by"] and case["caller_phone"] == "+8613800138000"
    assert case["sla"]["stage"] == "dispatch" and "dispatch" in case["allowed_actions"]
    assert case["created_at"].endswith("+08:00") and case["dispatch_by"].endswith("+08:00")  # local time
    fetched = client.get(f"/api/v1/cases/{case['number']}", headers=headers["agent"]).json()
    assert fetched["dispatch_by"] == case["dispatch_by"] and fetched["created_at"] == case["created_at"]
    dispatched = create(client, headers, dispatch=True)
    assert dispatched["status"] == "dispatched" and dispatched["acknowledge_by"] and dispatched["resolve_by"]


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        (None, "missing bearer token"),
        ({"Authorization": "Bearer htl_not-a-real-token"}, "invalid or revoked token"),
        ({"Authorization": "Basic YWdlbnQxOnB3"}, "missing bearer token"),
    ],
)
def test_bad_tokens_are_refused(client, auth, message):
    response = client.get("/api/v1/cases", headers=auth or {})
    assert response.status_code == 401 and message in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ('{"description": "路灯坏了", ', 400, "malformed JSON"),
        ('["not", "an", "object"]', 422, "valid dictionary"),
        (
            {**LAMP, "description": "路" * 4001},
            422,
            "description: String should have at most 4000 characters",
        ),
        ({**LAMP, "description": ""}, 422, "description"),
        ({**LAMP, "caller_phone": "12345"}, 422, "phone number '12345' is not a valid number"),
        ({**LAMP, "caller_phone": "call me maybe"}, 422, "does not parse"),
        ({**LAMP, "category": "dragons"}, 422, "unknown category 'dragons'"),
        ({**LAMP, "street": "atlantis"}, 422, "unknown street 'atlantis'"),
        ({**LAMP, "bureau": "ministry"}, 422, "unknown bureau 'ministry'"),
        ({**LAMP, "channel": "pigeon"}, 422, "channel"),
        ({**LAMP, "latitude": 123}, 422, "latitude"),
        ({**LAMP, "colour": "blue"}, 422, "colour: Extra inputs are not permitted"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(client, headers, body, status, message):
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    response = client.post(
        "/api/v1/cases", headers={**headers["agent"], "Content-Type": "application/json"}, **kwargs
    )
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    assert count_cases(client, headers) == 0


def test_a_4000_character_description_is_accepted(client, headers):
    assert create(client, headers, description="路灯" * 2000)["description"] == "路灯" * 2000


def test_lifecycle_over_http(client, headers):
    number = create(client, headers, dispatch=True)["number"]
    assert act(client, headers, number, "acknowledge", "bureau").json()["status"] == "acknowledged"
    assert act(client, headers, number, "start", "bureau").json()["status"] == "in_progress"
    resolved = act(client, headers, number, "resolve", "bureau", reply="已更换灯泡").json()
    assert resolved["status"] == "resolved" and resolved["public_reply"] == "已更换灯泡"
    assert act(client, headers, number, "callback", rating="satisfied").json()["status"] == "closed"
    events = client.get(f"/api/v1/cases/{number}/events", headers=headers["supervisor"]).json()
    assert [e["action"] for e in events] == [
        "create",
        "dispatch",
        "acknowledge",
        "start",
        "resolve",
        "callback",
    ]
    assert events[4]["visibility"] == "public" and events[4]["note"] == "已更换灯泡"


def test_illegal_action_is_409_naming_state_and_action_and_writes_nothing(client, headers):
    number = create(client, headers)["number"]
    response = act(client, headers, number, "resolve", "supervisor", reply="done")
    assert response.status_code == 200
    response = act(client, headers, number, "acknowledge", "supervisor")
    assert response.status_code == 409
    assert "cannot acknowledge a case that is resolved" in response.json()["detail"]
    events = client.get(f"/api/v1/cases/{number}/events", headers=headers["supervisor"]).json()
    assert len(events) == 2
    assert client.get(f"/api/v1/cases/{number}", headers=headers["agent"]).json()["version"] == 2


@pytest.mark.parametrize(
    ("action", "payload", "status", "message"),
    [
        ("explode", {}, 422, "action"),
        ("return", {}, 422, "return needs a reason"),
        ("callback", {}, 409, "cannot callback a case that is dispatched"),
        ("acknowledge", {"expected_version": 1}, 409, "changed by someone else"),
        ("note", {"note": "x", "visibility": "secret"}, 422, "visibility"),
    ],
)
def test_action_errors(client, headers, action, payload, status, message):
    number = create(client, headers, dispatch=True)["number"]
    response = act(client, headers, number, action, "supervisor", **payload)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_unknown_case_is_404(client, headers):
    assert client.get("/api/v1/cases/FT20000101-0001", headers=headers["agent"]).status_code == 404
    assert act(client, headers, "FT20000101-0001", "dispatch").status_code == 404


def test_roles(client, headers):
    response = client.post("/api/v1/cases", json=LAMP, headers=headers["bureau"])
    assert response.status_code == 403 and "role 'bureau'" in response.json()["detail"]
    number = create(client, headers)["number"]
    assert act(client, headers, number, "dispatch", "bureau").status_code == 404  # not yet theirs to see
    assert act(client, headers, number, "dispatch").status_code == 200
    response = act(client, headers, number, "acknowledge")
    assert response.status_code == 403 and "may not acknowledge" in response.json()["detail"]
    assert act(client, headers, number, "acknowledge", "bureau-env").status_code == 404
    assert act(client, headers, number, "acknowledge", "bureau").status_code == 200
    request = act(client, headers, number, "request-extension", "bureau", days=5, note="材料未到")
    assert request.status_code == 200
    assert act(client, headers, number, "approve-extension", "bureau").status_code == 403
    approved = act(client, headers, number, "approve-extension", "supervisor").json()
    assert approved["extended_days"] == 5 and approved["status"] == "in_progress"


def test_bureau_users_only_see_their_dispatched_cases(client, headers):
    ours = create(client, headers, dispatch=True)["number"]
    create(client, headers)  # routed to urban-mgmt but not dispatched
    theirs = create(client, headers, description="工地夜间施工噪音扰民", street="lianhua", dispatch=True)
    assert theirs["bureau"] != "urban-mgmt"
    page = client.get("/api/v1/cases", headers=headers["bureau"]).json()
    assert [c["number"] for c in page["items"]] == [ours]
    assert client.get(f"/api/v1/cases/{theirs['number']}", headers=headers["bureau"]).status_code == 404
    assert (
        client.get(f"/api/v1/cases/{theirs['number']}/events", headers=headers["bureau"]).status_code == 404
    )
    assert client.get("/api/v1/callers/13800138000/history", headers=headers["bureau"]).status_code == 403


def test_search_filters_and_pagination(client, headers):
    create(client, headers)
    create(client, headers, description="工地夜间施工噪音扰民", street="lianhua", dispatch=True)
    create(client, headers, description="公司拖欠工资三个月", street="huafu", caller_phone="0755-83212345")
    sup = headers["supervisor"]

    def numbers(**params):
        body = client.get("/api/v1/cases", params=params, headers=sup).json()
        return body["total"], len(body["items"])

    assert numbers() == (3, 3)
    assert numbers(status="dispatched") == (1, 1)
    assert numbers(status="new,dispatched") == (3, 3)
    assert numbers(street="huafu") == (1, 1)
    assert numbers(category="street-lights") == (1, 1)
    assert numbers(bureau="urban-mgmt") == (1, 1)
    assert numbers(q="工资") == (1, 1)
    assert numbers(per_page=2, page=2) == (3, 1)
    assert numbers(**{"from": "2000-01-01", "to": "2000-01-02"}) == (0, 0)
    response = client.get("/api/v1/cases", params={"street": "atlantis"}, headers=sup)
    assert response.status_code == 422 and "unknown street" in response.json()["detail"]
    assert client.get("/api/v1/cases", params={"per_page": 1000}, headers=sup).status_code == 422
    response = client.get("/api/v1/cases", params={"status": "new,sleeping"}, headers=sup)
    assert response.status_code == 422 and "unknown status 'sleeping'" in response.json()["detail"]


def test_caller_history(client, headers):
    create(client, headers, caller_phone="0755-83212345")
    create(client, headers, caller_phone="+86 755 8321 2345")
    create(client, headers, caller_phone="13900000000")
    history = client.get("/api/v1/callers/075583212345/history", headers=headers["agent"]).json()
    assert history["phone"] == "+8675583212345" and len(history["cases"]) == 2
    response = client.get("/api/v1/callers/12345/history", headers=headers["agent"])
    assert response.status_code == 422 and "not a valid number" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "category", "bureau"),
    [
        ({"text": "楼下邻居天天吵架还摔东西", "street": "futian"}, "noise-neighbourhood", None),
        (
            {"text": "The street light outside my building is broken", "street": "meilin"},
            "street-lights",
            "urban-mgmt",
        ),
        ({"text": "asdfgh"}, None, "centre-triage"),
    ],
)
def test_routing_preview(client, headers, body, category, bureau):
    response = client.post("/api/v1/routing/preview", json=body, headers=headers["agent"])
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["category"] == category and result["explanation"] and result["rule"]
    if bureau:
        assert result["bureau"] == bureau


@pytest.mark.parametrize(("query", "accept", "language"), [
    ("?lang=zh", None, "zh"),
    ("?lang=en", "zh-CN,zh;q=0.9", "en"),  # the parameter wins over the header
    ("", "zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("", "fr-FR, en-GB;q=0.7, zh;q=0.3", "en"),
    ("", "en;q=0.2, zh-TW;q=0.9", "zh"),
    ("", "fr, de;q=oops", "en"),  # nothing we write: English, as without a header
    ("", None, "en"),
])
def test_routing_preview_answers_in_the_language_asked(client, headers, query, accept, language):
    """The console explains routing in the page's language; the API does too, by lang= or Accept-Language."""
    extra = {"Accept-Language": accept} if accept else {}
    body = {"text": "井盖丢了，很危险", "street": "futian"}
    response = client.post(f"/api/v1/routing/preview{query}", json=body,
                           headers={**headers["agent"], **extra})
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["language"], response.headers["content-language"]) == (language, language)
    assert result["urgent"] is True and result["urgency"]
    if language == "zh":
        assert "分派至" in result["explanation"] and "紧急：" in result["explanation"]
        assert result["bureau_name"].startswith("区") and "（“" in result["urgency"][0]
    else:
        assert "sent to" in result["explanation"] and "urgent:" in result["explanation"]
        assert "分派" not in result["explanation"] and result["bureau_name"].isascii()


def test_routing_preview_refuses_an_unknown_language(client, headers):
    response = client.post("/api/v1/routing/preview?lang=fr", json={"text": "路灯"}, headers=headers["agent"])
    assert response.status_code == 422 and "lang" in response.text


def test_routing_preview_bad_input(client, headers):
    response = client.post(
        "/api/v1/routing/preview", json={"text": "路灯", "street": "x"}, headers=headers["agent"]
    )
    assert response.status_code == 422 and "unknown street 'x'" in response.json()["detail"]
    response = client.post(
        "/api/v1/routing/preview",
        json={"text": "路灯", "at": "2026-11-26T10:00:00"},
        headers=headers["agent"],
    )
    assert response.status_code == 422 and "timezone" in response.json()["detail"]


def test_reference_lists(client, headers):
    bureaus = client.get("/api/v1/bureaus", headers=headers["bureau"]).json()
    assert {"civil-affairs", "street-futian", "centre-triage"} <= {b["code"] for b in bureaus}
    streets = client.get("/api/v1/streets", headers=headers["agent"]).json()
    assert len(streets) == 10 and all(s["bureau"] == f"street-{s['code']}" for s in streets)
    assert any(s["communities"] for s in streets)
    categories = client.get("/api/v1/categories", headers=headers["agent"]).json()
    assert len(categories) >= 20 and all(c["sla_class"] for c in categories)
    assert client.get("/api/v1/bureaus").status_code == 401


def test_users_and_tokens(client, headers):
    body = {"username": "clerk", "role": "bureau", "bureau": "water", "password": "longenough"}
    assert client.post("/api/v1/users", json=body, headers=headers["supervisor"]).status_code == 403
    assert client.post("/api/v1/users", json=body, headers=headers["admin"]).status_code == 201
    assert client.post("/api/v1/users", json=body, headers=headers["admin"]).status_code == 422
    bad = {**body, "username": "clerk2", "bureau": "nowhere"}
    response = client.post("/api/v1/users", json=bad, headers=headers["admin"])
    assert response.status_code == 422 and "unknown bureau 'nowhere'" in response.json()["detail"]
    token = client.post("/api/v1/users/clerk/tokens", json={"name": "t"}, headers=headers["admin"]).json()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"}).json()
    assert (me["username"], me["role"], me["bureau"]) == ("clerk", "bureau", "water")


def test_changes_are_published_on_the_bus(backend, session_factory, dataset, headers):
    """Flows stage their events in the outbox with the change; the relay publishes them in order."""
    bus = create_bus(None)
    app = create_api(
        Settings(database_url=backend[1]), session_factory=session_factory, bus=bus, dataset=dataset
    )
    with TestClient(app) as client:
        number = create(client, headers, dispatch=False)["number"]
        act(client, headers, number, "dispatch")
        act(client, headers, number, "acknowledge", "agent")  # refused: nothing staged
    assert asyncio.run(bus.read_all(Streams.CASES)) == [], "nothing is published before the relay runs"

    async def relay() -> int:
        return await Relay(session_factory, bus).drain()

    assert asyncio.run(relay()) == 2
    assert asyncio.run(relay()) == 0, "sent rows are not published again"
    entries = asyncio.run(bus.read_all(Streams.CASES))
    assert [(e.type, e.key, e.data["action"]) for e in entries] == [
        ("case.created", number, "create"),
        ("case.changed", number, "dispatch"),
    ]
    assert entries[1].data["status"] == "dispatched" and entries[1].data["bureau"] == "urban-mgmt"
    changed = parse(entries[1])
    assert isinstance(changed, CaseChanged) and changed.dispatched and changed.bureau_id is not None
