"""Console login over real HTTP: repeated wrong passwords lock the account, the page says so in Chinese."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from tests.agent_console.support import ConsoleClient
from ticketing.user.models import LoginAttempt

pytestmark = pytest.mark.postgres


async def test_five_wrong_passwords_lock_the_console_login(make_app, serve, session_factory):
    app, _console, _bridge = make_app()
    base = await serve(app)
    client = ConsoleClient(base)
    try:
        reasons = []
        for _ in range(5):
            response = await client.login("agent2", "wrong-password")
            reasons.append(unquote(response.headers["location"]).split("reason=")[-1])
        assert reasons == ["login_failed"] * 4 + ["login_locked"]
        refused = await client.login("agent2", "agent-pass")  # locked: the right password waits too
        assert refused.headers["location"].endswith("reason=login_locked")
        page = await client.http.get(refused.headers["location"])
        message = re.search(r'data-testid="login-message">([^<]*)<', page.text).group(1)
        assert "账号已暂时锁定" in message
        other = await client.login("agent1", "agent-pass")  # another agent on the same address still can
        assert other.headers["location"] == "/console/"
    finally:
        await client.close()
    with session_factory() as session:
        rows = session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)).all()
    assert [(r.username, r.outcome) for r in rows] == [("agent2", "wrong-password")] * 5 + [
        ("agent2", "locked"), ("agent1", "ok")]
    assert {r.address for r in rows} == {"127.0.0.1"}
