"""The console with the real Asterisk and AMI bridge: a resident's Local-channel call is queued, rung on the
agent's member interface (a Local channel that answers, standing in for the phone) and pops in the page."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright, expect

from agent_console.config import ConsoleSettings
from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.browser import saved_case_number
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.postgres]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
CALLER = "13900139007"


def earlier_case(session_factory, dataset) -> str:  # noqa: F811 - the fixtures, passed on
    """File a case for CALLER (what the pop's history must show) and return its number."""
    with session_scope(session_factory) as session:
        case = intake(session, dataset, CaseCreate(description="楼道灯坏了一个月没人修（早前来电）",
                                                   caller_phone=CALLER, street="futian"), "agent1")
        return case.number


async def test_queued_call_pops_and_case_reaches_bureau(make_app, serve, asterisk, ami_bridge, bus,  # noqa: F811
                                                       session_factory, dataset):  # noqa: F811
    earlier = earlier_case(session_factory, dataset)
    settings = ConsoleSettings(interface_template="Local/agent@hotline-test/n", check_registration=False,
                               queues=["general-zh"], command_timeout=10, wrapup_seconds=5)
    app, console, _none = make_app(bus=bus, with_bridge=False, settings_=settings)
    base = await serve(app)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = await (await browser.new_context(viewport={"width": 1366, "height": 900})).new_page()
        await page.goto(f"{base}/console/login")
        await page.fill("input[name=username]", "agent1")
        await page.fill("input[name=password]", "agent-pass")
        await page.click("button[type=submit]")
        await page.click("#btn-login")
        await expect(page.locator("#state")).to_have_text("空闲", timeout=15000)
        assert "Local/agent@hotline-test/n" in asterisk.cli("queue show general-zh")
        await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                           exten="general-zh", caller_id=f"{CALLER} <{CALLER}>",
                                           variables={"TEST_HOLD": "20"})
        # A Local channel's caller id is set after its Newchannel: the pop gets it from call.offered.
        # the queue by its name, never its code
        await expect(page.locator("#pop-queue")).to_contain_text("综合服务（普通话）", timeout=20000)
        await expect(page.get_by_test_id("pop-caller")).to_have_text(CALLER, timeout=5000)
        await expect(page.get_by_test_id("pop-history")).to_contain_text(earlier, timeout=5000)
        await expect(page.get_by_test_id("pop-history")).to_contain_text("楼道灯坏了一个月")
        await expect(page.locator("#case-phone")).to_have_value(CALLER)
        await expect(page.locator("#state")).to_have_text("通话中", timeout=10000)
        await page.screenshot(path="test-artifacts/screenshots/asterisk-agent-pop.png", full_page=True)
        await page.fill("#case-description", "小区路灯不亮，晚上很黑，请尽快维修")
        await page.select_option("#case-street", "futian")
        await page.click("#btn-save")
        await expect(page.get_by_test_id("case-result")).to_contain_text("工单已创建")
        number = await saved_case_number(page)
        await page.screenshot(path="test-artifacts/screenshots/asterisk-agent-case.png", full_page=True)
        clerk = await (await browser.new_context()).new_page()
        await clerk.goto(f"{base}/console/login")
        await clerk.fill("input[name=username]", "urban1")
        await clerk.fill("input[name=password]", "bureau-pass")
        await clerk.click("button[type=submit]")
        await expect(clerk.get_by_test_id("bureau-cases")).to_contain_text(number)
        await clerk.screenshot(path="test-artifacts/screenshots/asterisk-bureau-list.png", full_page=True)
        await page.click("#btn-leave")
        await browser.close()
