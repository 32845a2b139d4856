"""Every supervisor monitoring (listen, whisper, barge) is in the access audit trail; refusals are not.
Supervisors read the monitoring part of the trail, administrators all of it.

Real HTTP (uvicorn), PostgreSQL, the in-process bus and the scripted bridge of support.py (no Asterisk
here: tests/integration/test_supervisor_monitor.py monitors a real call and reads the same trail).
"""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from tests.agent_console.support import ConsoleClient, wait_for
from ticketing.audit import service as audit
from ticketing.audit.models import AccessRecord
from ticketing.bus import contract as ct
from ticketing.database.core import session_scope
from ticketing.user.service import get_by_username

pytestmark = pytest.mark.postgres


def trail(console) -> list[tuple[str, str, str, str]]:
    with session_scope(console.session_factory) as session:
        rows = session.scalars(select(AccessRecord).where(AccessRecord.action.like("monitor-%"))
                               .order_by(AccessRecord.id))
        return [(r.username, r.action, r.target, r.detail) for r in rows]


def audit_table(page) -> str:
    return page.text.split('data-testid="audit"', 1)[1].split("</table>", 1)[0]


async def test_monitoring_is_audited_and_shown_to_supervisors_and_the_administrator(make_app, serve):
    app, console, bridge = make_app()
    base = await serve(app)
    with session_scope(console.session_factory) as session:
        session.execute(delete(AccessRecord).where(AccessRecord.action.like("monitor-%")))
        agent_id = get_by_username(session, "agent1").id
    agent, boss, admin = ConsoleClient(base), ConsoleClient(base), ConsoleClient(base)
    try:
        await agent.login("agent1", "agent-pass")
        await boss.login("supervisor1", "supervisor-pass")
        await admin.login("admin", "admin-pass")
        ask = {"interface": "PJSIP/1001", "mode": "listen", "extension": "1020", "phone": "desk"}

        refused = await boss.post("/console/monitor", json=ask)  # agent1 is not on a call: nothing to audit
        assert refused.status_code == 409 and refused.json()["message"] == "该话务员当前没有通话"
        assert (await agent.post("/console/monitor", json=ask)).status_code == 403  # agents may not monitor

        login = {"extension": "1001", "queues": ["general-zh"]}
        await agent.post("/console/agent/presence/login", json=login)
        call = {"linkedid": "M1", "queue": "general-zh", "agent": "PJSIP/1001"}
        await console.bus.publish_event(ct.CallOffered(**call))
        await console.bus.publish_event(ct.CallConnected(**call))
        await wait_for(lambda: console.presence.get(agent_id)[0].state == "on_call")
        for mode, phone in (("listen", "desk"), ("whisper", "browser"), ("barge", "desk")):
            answer = await boss.post("/console/monitor", json={**ask, "mode": mode, "phone": phone})
            assert answer.status_code == 200, answer.text
        originates = [c.args for c in bridge.commands if c.action == "originate"]
        assert len(originates) == 3
        assert trail(console) == [
            ("supervisor1", "monitor-listen", "话务员 李娜（分机 1001）", "桌面话机 分机 1020"),
            ("supervisor1", "monitor-whisper", "话务员 李娜（分机 1001）", "浏览器话机 分机 1020"),
            ("supervisor1", "monitor-barge", "话务员 李娜（分机 1001）", "桌面话机 分机 1020"),
        ]

        with session_scope(console.session_factory) as session:  # other accesses of the same supervisor
            audit.record(session, "supervisor1", "supervisor", "unmask", None, target="来电号码 13800138000")
            audit.record(session, "supervisor1", "supervisor", "play-recording", None, target="录音 R-77")

        page = await admin.http.get("/console/audit?user=supervisor1")
        assert page.status_code == 200
        table = audit_table(page)
        for words in ("监听通话", "耳语通话", "强插通话", "话务员 李娜（分机 1001）", "浏览器话机 分机 1020",
                      "查看完整号码和姓名", "播放录音"):
            assert words in table
        assert "monitor-" not in table and "PJSIP" not in table  # in words, never codes

        # the supervisors' monitoring log: the same three uses, in words, and nothing else of the trail
        page = await boss.http.get("/console/audit")
        assert page.status_code == 200 and "监听记录" in page.text and 'href="/console/audit"' in page.text
        table = audit_table(page)
        assert [table.count(words) for words in ("监听通话", "耳语通话", "强插通话")] == [1, 1, 1]
        assert "查看完整号码和姓名" not in table and "播放录音" not in table and "13800138000" not in table
        assert "<h1>监听记录</h1>" in page.text  # not called the administrator's 访问审计
        paged = await boss.http.get("/console/audit?user=supervisor1&before=999999999")
        assert audit_table(paged).count("<tr>") == 4  # header + three uses, even filtered and paged
        assert (await agent.http.get("/console/audit")).status_code in (302, 303, 403)
    finally:
        for client in (agent, boss, admin):
            await client.close()
