"""The console in Debian's Chromium (Playwright) against the real server, PostgreSQL and Redis.

Calls are driven by publishing the bridge's events on the bus (the Asterisk-backed journey is in
test_console_asterisk.py). Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import time

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
from tests.integration.browser import CHROMIUM_ARGS, SHOTS, browser, log_in, saved_case_number  # noqa: F401
from ticketing.bus import contract as ct

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]


async def test_agent_takes_a_call_files_a_case_the_bureau_sees_it(make_app, serve, browser, redis_url):  # noqa: F811
    app, console, bridge = make_app(redis_url=redis_url)
    base = await serve(app)
    agent = await log_in(browser, base, "agent1", "agent-pass")
    await expect(agent.locator("#state")).to_have_text("离线")
    await agent.screenshot(path=str(SHOTS / "agent-offline.png"), full_page=True)

    await agent.click("#btn-login")
    await expect(agent.locator("#state")).to_have_text("空闲")
    assert [a["queue"] for _, a in bridge.actions()] == ["general-zh", "general-en"]

    bus = console.bus
    await bus.publish_event(ct.CallStarted(linkedid="B1", uniqueid="B1", channel="PJSIP/inbound-0001",
                                           caller="13800138001"))
    await bus.publish_event(ct.IvrStep(linkedid="B1", node="language", input="1", language="zh"))
    await bus.publish_event(ct.TranscriptFinal(linkedid="B1", text="我们小区门口的路灯又坏了", stream_id="s1",
                                               confidence=0.9, reason="silence", audio_seconds=2.0))
    offered = time.monotonic()
    await bus.publish_event(ct.CallOffered(linkedid="B1", queue="general-zh", agent="PJSIP/1001",
                                           agent_channel="PJSIP/1001-0001"))
    await expect(agent.get_by_test_id("pop-caller")).to_have_text("13800138001", timeout=1000)
    pop_seconds = time.monotonic() - offered
    await expect(agent.get_by_test_id("pop-history")).to_contain_text("小区门口路灯")
    await expect(agent.get_by_test_id("pop-transcript")).to_contain_text("路灯又坏了")
    await expect(agent.locator("#state")).to_have_text("振铃")
    await bus.publish_event(ct.CallConnected(linkedid="B1", queue="general-zh", agent="PJSIP/1001",
                                             hold_seconds=4))
    await expect(agent.locator("#state")).to_have_text("通话中")

    await agent.click("#btn-save")  # empty form: clear message, nothing created
    await expect(agent.locator("#banner")).to_contain_text("表单有误")
    await expect(agent.locator("#case-description")).to_have_class("invalid")
    await expect(agent.locator("#case-form .field-error").first).to_have_text("此项必填")

    await agent.fill("#case-description", "福田街道岗厦村路灯不亮已经三天，晚上很危险")
    await agent.select_option("#case-street", "futian")
    await agent.click("#btn-suggest")
    await expect(agent.get_by_test_id("suggestion")).to_contain_text("城市管理")
    await expect(agent.get_by_test_id("deadlines")).to_contain_text("派单时限")
    await expect(agent.get_by_test_id("deadlines")).to_contain_text("个工作日")  # not "working days"
    await agent.screenshot(path=str(SHOTS / "agent-pop-and-form.png"), full_page=True)
    await agent.keyboard.press("Alt+S")
    await expect(agent.get_by_test_id("case-result")).to_contain_text("工单已创建")
    number = await saved_case_number(agent)
    await agent.screenshot(path=str(SHOTS / "agent-case-created.png"), full_page=True)
    # the next case of the same caller starts from routing again, not from this case's category and bureau
    await expect(agent.locator("#case-category")).to_have_value("")
    await expect(agent.locator("#case-bureau")).to_have_value("")
    await expect(agent.get_by_test_id("suggestion")).to_have_text("")
    await expect(agent.locator("#case-street")).to_have_value("futian")

    clerk = await log_in(browser, base, "urban1", "bureau-pass")
    await expect(clerk.get_by_test_id("bureau-cases")).to_contain_text(number)
    await clerk.screenshot(path=str(SHOTS / "bureau-list.png"), full_page=True)
    await clerk.locator(f"tr[data-number='{number}'] button[data-action=acknowledge]").click()
    await expect(clerk.get_by_test_id("bureau-done")).to_contain_text(number)

    boss = await log_in(browser, base, "supervisor1", "supervisor-pass")
    await expect(boss.get_by_test_id("agents")).to_contain_text("话务员 李娜")
    await bus.publish_event(ct.CallQueued(linkedid="B2", queue="general-zh", position=1, waiting=1))
    await expect(boss.get_by_test_id("queues")).to_contain_text("综合服务（普通话）")
    await expect(boss.get_by_test_id("queue-server")).to_have_count(0)  # one Asterisk server: no split
    # a second Asterisk server runs the same queue: one row summing both, then each server's share
    await bus.publish_event(ct.CallQueued(server="pbx2", linkedid="C2", queue="general-zh", position=1,
                                          waiting=1))
    await bus.publish_event(ct.QueueStats(server="pbx2", queue="general-zh", waiting=1, logged_in=2,
                                          available=1))
    shares = boss.get_by_test_id("queue-server")
    await expect(shares).to_have_count(2)
    await expect(shares.nth(0)).to_contain_text("服务器 默认")  # the unnamed server, in words
    await expect(shares.nth(1)).to_contain_text("服务器 pbx2：坐席 2，空闲 1")
    await expect(boss.locator("#queue-rows tr").first.locator("td").nth(1)).to_have_text("2")  # waiting
    await boss.screenshot(path=str(SHOTS / "wallboard.png"), full_page=True)
    await boss.click("a.lang[href*='/lang/']")  # the header's other links (reports, QA) share the class
    await expect(boss.locator("h1")).to_have_text("Wallboard")
    await expect(boss.get_by_test_id("queue-server").nth(1)).to_contain_text("Server pbx2: 2 agents, 1 free")
    await boss.screenshot(path=str(SHOTS / "wallboard-en.png"), full_page=True)
    print(f"screen pop shown {pop_seconds * 1000:.0f} ms after call.offered was published")
    assert pop_seconds < 1.0


async def test_second_tab_takes_over_and_expiry_is_explained(make_app, serve, browser, redis_url):  # noqa: F811
    app, console, _bridge = make_app(redis_url=redis_url)
    base = await serve(app)
    first = await log_in(browser, base, "agent2", "agent-pass")
    second = await first.context.new_page()
    await second.goto(f"{base}/console/agent")
    await expect(first.locator("#banner")).to_contain_text("另一个窗口")
    await first.screenshot(path=str(SHOTS / "agent-other-tab.png"))
    from sqlalchemy import delete

    from ticketing.database.core import session_scope
    from ticketing.user.models import ConsoleSession

    with session_scope(console.session_factory) as session:
        session.execute(delete(ConsoleSession))
    await second.click("#btn-login")
    await expect(second.locator("#banner")).to_contain_text("请先登录")
    await second.reload()
    await expect(second.get_by_test_id("login-message")).to_contain_text("请先登录")
