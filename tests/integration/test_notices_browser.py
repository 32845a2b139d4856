"""Deadline notices arrive live in Chromium: the bureau workspace and the dispatch desk redraw their notice
lists when the scheduler raises a step (no reload, no poll), the other bureau's workspace does not.

Screenshots go to test-artifacts/screenshots/notices/.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.browser import CHROMIUM_ARGS, browser, log_in  # noqa: F401
from ticketing.case import flows, service
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope
from ticketing.supervision.scheduler import run_due

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
SHOTS = Path("test-artifacts/screenshots/notices")
SHOTS.mkdir(parents=True, exist_ok=True)


async def test_notices_are_pushed_to_the_workspaces_that_may_see_them(make_app, serve, browser):  # noqa: F811
    app, console, _bridge = make_app()
    base = await serve(app)
    with session_scope(console.session_factory) as session:
        data = CaseCreate(description="小区门口路灯坏了，晚上很黑", street="futian",
                          caller_phone="13800138000", dispatch=True)
        number = flows.intake(session, console.dataset, data, "agent1").number
        remind_at = service.require(session, number).sla_next_at

    urban = await log_in(browser, base, "urban1", "bureau-pass")
    env = await log_in(browser, base, "env1", "bureau-pass")
    boss = await log_in(browser, base, "supervisor1", "supervisor-pass")
    for page, path in ((urban, "/console/bureau"), (env, "/console/bureau"), (boss, "/console/supervise")):
        await page.goto(f"{base}{path}")
        await page.evaluate("window.sameLoad = true")  # gone if the page reloads
    await expect(urban.locator("#notices")).not_to_contain_text(number)
    await urban.wait_for_timeout(500)  # the live sockets are open

    raised = run_due(console.session_factory, console.dataset, remind_at + timedelta(seconds=1))
    assert (number, "reminder") in [(r.number, r.kind) for r in raised]

    notice = urban.locator(f"#notices li.notice-reminder:has-text('{number}')")
    await expect(notice).to_contain_text("临期提醒", timeout=5000)  # well inside the minute's fallback read
    await expect(boss.locator("#notices")).to_contain_text(number, timeout=5000)
    assert await urban.evaluate("window.sameLoad") and await boss.evaluate("window.sameLoad")
    await urban.screenshot(path=str(SHOTS / "01-bureau-notice-pushed.png"), full_page=True)
    await boss.screenshot(path=str(SHOTS / "02-supervisor-list-notice-pushed.png"), full_page=True)
    await env.wait_for_timeout(1500)
    await expect(env.locator("#notices")).not_to_contain_text(number)
