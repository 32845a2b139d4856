"""Console over real HTTP and WebSocket (uvicorn on loopback, PostgreSQL, in-process bus, scripted bridge)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from urllib.parse import unquote

import pytest
import websockets
from sqlalchemy import update

from agent_console.models import AgentPresenceRow
from tests.agent_console.support import ConsoleClient, wait_for
from ticketing.bus import contract as ct
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.user.models import ConsoleSession

pytestmark = pytest.mark.postgres
LOGIN = {"extension": "1001", "queues": ["general-zh"]}
TWO_QUEUES = {"extension": "1001", "queues": ["general-zh", "urban-zh"]}


@pytest.fixture
async def running(make_app, serve):
    app, console, bridge = make_app()
    base = await serve(app)
    clients: list[ConsoleClient] = []

    async def client(username: str | None = None, password: str = "agent-pass") -> ConsoleClient:
        c = ConsoleClient(base)
        clients.append(c)
        if username:
            await c.login(username, password)
        return c

    yield base, console, bridge, client
    for c in clients:
        await c.close()


async def open_ws(base: str, client: ConsoleClient, page: str = "agent", tab: str | None = None):
    url = base.replace("http", "ws") + f"/console/ws?page={page}&tab={tab or client.tab}"
    ws = await websockets.connect(url, additional_headers={"Cookie": client.cookie_header(),
                                                             "Origin": base})
    return ws


async def next_of(ws, type_: str, within: float = 5.0) -> dict:
    async with asyncio.timeout(within):
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == type_:
                return message


async def test_login_pages_in_chinese_then_english(running):
    base, _console, _bridge, client = running
    c = await client()
    root = await c.http.get("/")  # the address README gives leads to the console, not to a bare 404
    assert (root.status_code, root.headers["location"]) == (307, "/console/")
    form = await c.http.get("/console/login")
    assert "登录" in form.text and 'lang="zh-CN"' in form.text
    wrong = await c.login("agent1", "nope")
    assert "reason=login_failed" in wrong.headers["location"]
    await c.login("agent1", "agent-pass")
    page = await c.http.get("/console/agent")
    assert page.status_code == 200 and "签入" in page.text
    assert c.http.cookies.get("hotline_console")
    await c.http.get("/console/lang/en?back=/console/agent")
    assert "Log in to queues" in (await c.http.get("/console/agent")).text


async def test_session_cookie_is_httponly_and_lax(running):
    base, _console, _bridge, client = running
    c = await client()
    response = await c.login("agent1", "agent-pass")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


async def test_missing_or_forged_csrf_is_refused_with_a_message(running):
    base, _console, bridge, client = running
    c = await client("agent1")
    for token in ("", "forged"):
        response = await c.post("/console/agent/presence/login", json={"extension": "1001",
                                                                        "queues": ["general-zh"]}, csrf=token)
        assert response.status_code == 403
        assert response.json()["error"] == "csrf_failed" and "安全校验失败" in response.json()["message"]
    assert bridge.commands == []
    form_post = await c.http.post("/console/logout", data={"csrf_token": "forged"})
    assert form_post.status_code == 403 and "安全校验失败" in form_post.text


async def test_expired_session_redirects_and_explains(running):
    base, console, _bridge, client = running
    c = await client("agent1")
    with session_scope(console.session_factory) as session:
        session.execute(update(ConsoleSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    page = await c.http.get("/console/agent")
    assert page.status_code == 303 and "reason=session_expired" in page.headers["location"]
    login = await c.http.get(page.headers["location"])
    assert "会话已过期" in login.text
    api = await c.post("/console/agent/presence/resume", json={})
    assert api.status_code == 401 and api.json()["error"] in ("session_expired", "not_logged_in")


async def test_role_pages_are_guarded(running):
    base, _console, _bridge, client = running
    c = await client("urban1", "bureau-pass")
    assert (await c.http.get("/console/agent")).status_code == 403
    assert (await c.http.get("/console/")).headers["location"] == "/console/bureau"


async def test_go_available_pause_and_leave_drive_asterisk(running):
    base, console, bridge, client = running
    c = await client("agent1")
    body = {"extension": "1001", "queues": ["general-zh", "urban-zh", "bogus"]}
    response = await c.post("/console/agent/presence/login", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["presence"]["state"] == "available"
    assert [a for a, _ in bridge.actions()] == ["queue_add", "queue_add"]
    assert bridge.actions()[0][1] == {"queue": "general-zh", "interface": "PJSIP/1001",
                                      "member_name": "话务员 李娜", "paused": False}
    paused = await c.post("/console/agent/presence/pause", json={"reason": "meal"})
    assert paused.json()["presence"]["reason"] == "meal"
    pause = {"interface": "PJSIP/1001", "paused": True, "queue": "", "reason": "meal"}
    assert bridge.actions()[-1] == ("queue_pause", pause)
    left = await c.post("/console/agent/presence/logout", json={})
    assert left.json()["presence"]["state"] == "offline"
    assert [a for a, _ in bridge.actions()[-2:]] == ["queue_remove", "queue_remove"]


async def test_unregistered_phone_is_refused_and_nothing_changes(running):
    base, console, bridge, client = running
    bridge.device_state = "unavailable"
    c = await client("agent1")
    response = await c.post("/console/agent/presence/login", json=LOGIN)
    assert response.status_code == 409 and response.json()["error"] == "phone_not_registered"
    assert "未注册" in response.json()["message"]
    assert [a for a, _ in bridge.actions()] == ["queue_add", "queue_remove"]
    assert console.presence.get(await _user_id(console, "agent1"))[0].state == "offline"


async def test_refused_queue_add_is_rolled_back(running):
    base, console, bridge, client = running
    c = await client("agent1")
    bridge.refuse_nth = {"queue_add": (2, "Unable to add interface to queue: Out of memory")}
    response = await c.post("/console/agent/presence/login", json=TWO_QUEUES)
    assert response.status_code == 409 and response.json()["error"] == "asterisk_refused"
    assert "Out of memory" in response.json()["detail"]
    assert bridge.actions()[-1] == ("queue_remove", {"queue": "general-zh", "interface": "PJSIP/1001"})
    assert console.presence.get(await _user_id(console, "agent1"))[0].state == "offline"


async def test_bridge_silent_means_clear_message_and_unchanged_state(running):
    base, console, bridge, client = running
    bridge.silent = True
    c = await client("agent1")
    response = await c.post("/console/agent/presence/login", json=LOGIN)
    assert response.status_code == 503 and "电话系统无响应" in response.json()["message"]
    assert console.presence.get(await _user_id(console, "agent1"))[0].state == "offline"


async def _user_id(console, username: str) -> int:
    from ticketing.user.service import get_by_username

    with session_scope(console.session_factory) as session:
        return get_by_username(session, username).id


async def test_two_tabs_newest_wins_and_old_tab_is_told(running):
    base, console, bridge, client = running
    c = await client("agent1")
    first = await open_ws(base, c, tab="tab-one")
    assert (await next_of(first, "hello"))["presence"]["state"] == "offline"
    second = await open_ws(base, c, tab="tab-two")
    await next_of(second, "hello")
    await next_of(first, "tab_taken")
    c.tab = "tab-one"
    stale = await c.post("/console/agent/presence/login", json=LOGIN)
    assert stale.status_code == 409 and stale.json()["error"] == "another_tab"
    c.tab = "tab-two"
    fresh = await c.post("/console/agent/presence/login", json=LOGIN)
    assert fresh.status_code == 200
    await first.close()
    await second.close()


async def test_extension_in_use_by_another_agent(running):
    base, console, bridge, client = running
    one, two = await client("agent1"), await client("agent2")
    assert (await one.post("/console/agent/presence/login", json=LOGIN)).status_code == 200
    taken = await two.post("/console/agent/presence/login", json=LOGIN)
    assert taken.status_code == 409 and taken.json()["error"] == "extension_taken"


async def test_call_pops_then_wrapup_then_available(running):
    base, console, bridge, client = running
    c = await client("agent1")
    ws = await open_ws(base, c)
    await next_of(ws, "hello")
    await c.post("/console/agent/presence/login", json=LOGIN)
    await next_of(ws, "presence")
    bus = console.bus
    await bus.publish_event(ct.CallStarted(linkedid="L1", uniqueid="L1", channel="PJSIP/inbound-1",
                                           caller="13800138001"))
    await bus.publish_event(ct.IvrStep(linkedid="L1", node="main", input="1", language="zh"))
    await bus.publish_event(ct.CallOffered(linkedid="L1", queue="general-zh", agent="PJSIP/1001",
                                           agent_channel="PJSIP/1001-1"))
    pop = await next_of(ws, "pop", within=1.0)
    assert pop["call"]["caller"] == "13800138001" and pop["call"]["ivr_path"][0]["node"] == "main"
    history = await next_of(ws, "history")
    assert any(case["description"].startswith("小区门口路灯") for case in history["cases"])
    await bus.publish_event(ct.TranscriptFinal(linkedid="L1", text="路灯坏了", stream_id="s", confidence=0.9,
                                               reason="silence", audio_seconds=1.2))
    update_ = await next_of(ws, "transcript.final")
    assert update_["call"]["transcript"][0]["text"] == "路灯坏了"
    await bus.publish_event(ct.CallConnected(linkedid="L1", queue="general-zh", agent="PJSIP/1001",
                                             hold_seconds=3))
    user_id = await _user_id(console, "agent1")
    await wait_for(lambda: console.presence.get(user_id)[0].state == "on_call")
    await bus.publish_event(ct.CallEnded(linkedid="L1", cause="Normal Clearing"))
    await wait_for(lambda: console.presence.get(user_id)[0].state == "wrapup")
    wrapup = {"interface": "PJSIP/1001", "paused": True, "queue": "", "reason": "wrapup"}
    await wait_for(lambda: ("queue_pause", wrapup) in bridge.actions())  # the command follows the state
    await wait_for(lambda: console.presence.get(user_id)[0].state == "available", within=6)
    await ws.close()


async def test_a_transfer_ends_the_agents_part_while_the_call_goes_on(running):
    base, console, bridge, client = running
    c = await client("agent1")
    await c.post("/console/agent/presence/login", json=LOGIN)
    user_id = await _user_id(console, "agent1")
    bus = console.bus
    await bus.publish_event(ct.CallOffered(linkedid="T1", queue="general-zh", agent="PJSIP/1001"))
    await bus.publish_event(ct.CallConnected(linkedid="T1", queue="general-zh", agent="PJSIP/1001"))
    await wait_for(lambda: console.presence.get(user_id)[0].state == "on_call")
    # Another agent's completion of the same call changes nothing for agent1.
    await bus.publish_event(ct.AgentCompleted(linkedid="T1", queue="general-zh", agent="PJSIP/1002",
                                              reason="transfer"))
    await bus.publish_event(ct.AgentCompleted(linkedid="T1", queue="general-zh", agent="PJSIP/1001",
                                              reason="transfer"))  # handed over: no call.ended yet
    await wait_for(lambda: console.presence.get(user_id)[0].state == "wrapup")
    await c.post("/console/agent/presence/end-wrapup")
    await bus.publish_event(ct.CallEnded(linkedid="T1", cause="Normal Clearing"))  # the others hang up
    await asyncio.sleep(0.3)
    assert console.presence.get(user_id)[0].state == "available"


async def test_phone_pause_and_lost_member_follow_asterisk(running):
    base, console, bridge, client = running
    c = await client("agent1")
    await c.post("/console/agent/presence/login", json=LOGIN)
    user_id = await _user_id(console, "agent1")
    with session_scope(console.session_factory) as session:  # the login happened a while ago
        row = session.get(AgentPresenceRow, user_id)
        row.data = {**row.data, "since": (utcnow() - timedelta(minutes=1)).isoformat()}
    await console.bus.publish_event(ct.AgentStateChanged(interface="PJSIP/1001", queue="general-zh",
                                                         state="paused", paused=True, paused_reason="phone"))
    await wait_for(lambda: console.presence.get(user_id)[0].state == "paused")
    before = len(bridge.commands)
    await console.bus.publish_event(ct.AgentStateChanged(interface="PJSIP/1001", queue="general-zh",
                                                         state="removed"))
    await wait_for(lambda: len(bridge.commands) > before)
    assert bridge.actions()[-1] == ("queue_add", {"queue": "general-zh", "interface": "PJSIP/1001",
                                                  "member_name": "话务员 李娜", "paused": True})


async def test_case_form_errors_then_created_and_listed_for_the_bureau(running):
    base, console, bridge, client = running
    agent = await client("agent1")
    bad = await agent.post("/console/agent/cases", data={"description": "", "caller_phone": "12",
                                                          "street": "nowhere", "dispatch": "on"})
    assert bad.status_code == 422
    fields = bad.json()["fields"]  # in the interface's language (zh), whatever the service said
    assert fields["description"] == "此项必填" and fields["caller_phone"].startswith("电话号码无效：12")
    proposal = await agent.post("/console/agent/route", json={"description": "路边垃圾堆积很久没人清理",
                                                              "street": "futian"})
    assert proposal.status_code == 200 and proposal.json()["proposal"]["bureau"] == "urban-mgmt"
    assert proposal.json()["proposal"]["dispatch_by"]
    assert proposal.json()["proposal"]["resolve_limit"].endswith("个工作日")
    created = await agent.post("/console/agent/cases", data={
        "description": "路边垃圾堆积很久没人清理", "caller_phone": "13800138001", "street": "futian",
        "dispatch": "on", "linkedid": "L-none"})
    assert created.status_code == 200, created.text
    number = created.json()["case"]["number"]
    clerk = await client("urban1", "bureau-pass")
    listing = await clerk.http.get("/console/bureau")
    assert number in listing.text
    done = await clerk.post(f"/console/bureau/cases/{number}/acknowledge", data={"csrf_token": clerk.csrf})
    assert done.status_code == 303 and "done=acknowledge" in done.headers["location"]
    again = await clerk.post(f"/console/bureau/cases/{number}/acknowledge", data={"csrf_token": clerk.csrf})
    assert "error=" in again.headers["location"]
    assert "工单当前状态为“已签收”，不能签收" in unquote(again.headers["location"])


async def test_bureau_sockets_only_hear_of_their_own_dispatched_cases(running):
    """Live case events follow the REST rule (ticketing.case.permissions.sees), delivered via the outbox."""
    base, console, bridge, client = running
    agent, urban, env = await client("agent1"), await client("urban1", "bureau-pass"), await client(
        "env1", "bureau-pass")
    urban_ws, env_ws = await open_ws(base, urban, "bureau"), await open_ws(base, env, "bureau")
    await wait_for(lambda: sum(c.page == "bureau" for c in console.hub._connections) == 2)  # both listening

    async def take_in(dispatch: bool) -> str:
        form = {"description": "路边垃圾堆积很久没人清理", "caller_phone": "13800138001", "street": "futian"}
        form.update({"dispatch": "on"} if dispatch else {})
        created = await agent.post("/console/agent/cases", data=form)
        assert created.status_code == 200, created.text
        return created.json()["case"]["number"]

    kept = await take_in(dispatch=False)  # not dispatched yet: no bureau may see it
    sent = await take_in(dispatch=True)  # dispatched to urban-mgmt
    heard = []
    async with asyncio.timeout(10):
        while sent not in [m["number"] for m in heard]:
            heard.append(await next_of(urban_ws, "case"))
    assert kept not in [m["number"] for m in heard]
    assert {(m["number"], m["event"]) for m in heard if m["number"] == sent} >= {(sent, "case.changed")}
    with pytest.raises(TimeoutError):  # environment's clerk hears of neither case
        await next_of(env_ws, "case", within=1.5)
    await urban_ws.close()
    await env_ws.close()


@pytest.fixture
def no_deadline_poll(monkeypatch):
    """Only a push can bring the wallboard's deadline lists in time (the fallback poll waits 10 minutes)."""
    monkeypatch.setattr("agent_console.app.DEADLINES_POLL", 600.0)


async def test_deadline_notices_are_pushed_to_the_lists_and_wallboards_that_may_see_them(no_deadline_poll,
                                                                                          running):
    """A step of the deadline scheduler reaches, through the outbox: the bureau it concerns (not another),
    the dispatch desk, and the wallboard's notice list at once (not at the next 15 s poll)."""
    from ticketing.case.models import Case
    from ticketing.supervision.scheduler import run_due

    base, console, _bridge, client = running
    agent, urban, env = await client("agent1"), await client("urban1", "bureau-pass"), await client(
        "env1", "bureau-pass")
    boss = await client("supervisor1", "supervisor-pass")
    desk = await client("dispatcher1", "dispatcher-pass")
    pages = (("urban", urban, "bureau"), ("env", env, "bureau"), ("desk", desk, "desk"),
             ("board", boss, "wallboard"))
    sockets = {name: await open_ws(base, c, page) for name, c, page in pages}
    await wait_for(lambda: len(console.hub._connections) == 4)
    await next_of(sockets["board"], "wallboard")  # its greeting
    created = await agent.post("/console/agent/cases", data={
        "description": "路边垃圾堆积很久没人清理", "caller_phone": "13800138001", "street": "futian",
        "dispatch": "on"})
    number = created.json()["case"]["number"]
    with session_scope(console.session_factory) as session:
        reminder_at = session.query(Case).filter_by(number=number).one().sla_next_at
    raised = await asyncio.to_thread(run_due, console.session_factory, console.dataset,
                                     reminder_at + timedelta(seconds=1))
    assert [r.kind for r in raised if r.number == number] == ["reminder"]  # (earlier tests' cases too)

    async def notice_of(ws, within: float = 10.0) -> dict:
        async with asyncio.timeout(within):
            while (message := await next_of(ws, "notice", within))["number"] != number:
                pass
        return message

    notice = await notice_of(sockets["urban"])
    assert (notice["kind"], notice["stage"]) == ("reminder", "acknowledge")
    assert (await notice_of(sockets["desk"]))["kind"] == "reminder"
    async with asyncio.timeout(5):  # pushed with the notice
        while number not in [n["number"] for n in (await next_of(sockets["board"], "deadlines"))["notices"]]:
            pass
    with pytest.raises(TimeoutError):  # environment's clerk hears nothing of urban-mgmt's notice
        await notice_of(sockets["env"], within=1.5)

    # The lists redraw their notices from this fragment (also every minute, should the socket be down).
    fragment = await urban.http.get("/console/notices?page=bureau")
    assert fragment.status_code == 200 and number in fragment.text and "临期提醒" in fragment.text
    assert number not in (await env.http.get("/console/notices?page=bureau")).text
    dispatch = await desk.http.get("/console/notices?page=dispatch")  # the centre's own (dispatch stage) only
    assert dispatch.status_code == 200 and number not in dispatch.text
    assert (await agent.http.get("/console/notices?page=bureau")).status_code == 403
    assert (await urban.http.get("/console/notices?page=supervisor")).status_code == 403
    for ws in sockets.values():
        await ws.close()


async def test_presence_changes_and_tab_claims_are_announced_through_the_outbox(running):
    """Each committed presence change is staged with its row (a stale write stages nothing)."""
    from sqlalchemy import select

    from agent_console import agent_state as sm
    from ticketing.outbox.models import OutboxEntry

    _base, console, _bridge, client = running
    from ticketing.user.models import User

    with session_scope(console.session_factory) as session:
        user_id = session.scalars(select(User.id).where(User.username == "agent1")).one()

    def staged() -> list[ct.Event]:
        with session_scope(console.session_factory) as session:
            rows = session.scalars(select(OutboxEntry).where(OutboxEntry.key == str(user_id))
                                   .order_by(OutboxEntry.seq)).all()
            return [ct.parse(r.type, r.data) for r in rows]

    before = len(staged())
    await asyncio.to_thread(console.presence.claim_tab, user_id, "tab-1")
    _current, _tab, revision = await asyncio.to_thread(console.presence._load, user_id)
    ready = sm.Presence(interface="PJSIP/1001", queues=("general-zh",), state=sm.AgentState.AVAILABLE)
    assert await asyncio.to_thread(console.presence._save, user_id, ready, revision, "agent1")
    assert not await asyncio.to_thread(console.presence._save, user_id, ready, revision, "agent1")  # stale
    events = staged()[before:]
    assert [type(e) for e in events] == [ct.TabClaimed, ct.AgentPresence]
    assert events[0].tab == "tab-1" and events[1].presence.state == "available"
    assert events[1].presence.interface == "PJSIP/1001"
