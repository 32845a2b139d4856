"""The agent desk's case save carries a key per new case: saving the same form twice makes one case."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.agent_console.support import ConsoleClient
from ticketing.case.models import Case

pytestmark = pytest.mark.postgres
FORM = {"description": "楼道灯坏了很久没人修", "caller_phone": "13800138002", "street": "futian",
        "dispatch": "on", "idempotency_key": "desk-key-0001"}


async def test_saving_the_same_form_twice_makes_one_case(make_app, serve, session_factory):
    app, _console, _bridge = make_app()
    base = await serve(app)
    agent = ConsoleClient(base)
    try:
        await agent.login("agent1", "agent-pass")
        page = await agent.http.get("/console/agent")
        assert 'name="idempotency_key" id="case-key"' in page.text
        with session_factory() as session:
            before = session.scalar(select(func.count()).select_from(Case))
        first = await agent.post("/console/agent/cases", data=FORM)
        again = await agent.post("/console/agent/cases", data=FORM)  # a retry after a timeout
        assert first.status_code == again.status_code == 200, again.text
        assert first.json()["case"]["number"] == again.json()["case"]["number"]
        changed = await agent.post("/console/agent/cases", data={**FORM, "description": "另一件事：路面塌陷"})
        assert changed.status_code == 422
        assert changed.json()["fields"]["idempotency_key"].startswith("这张工单可能已经保存过")
        with session_factory() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == before + 1
    finally:
        await agent.close()
