"""The screen pop in Chromium: words instead of codes, the repeat-caller flag, and its life cycle."""

from __future__ import annotations

import re
from datetime import timedelta

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
from tests.integration.browser import CHROMIUM_ARGS, SHOTS, browser, keep  # noqa: F401
from tests.integration.browser import shot as save_shot
from ticketing.bus import Streams
from ticketing.call.models import Call
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]
RAW_CODES = ("general-zh", "welcome", "speech:", "no_model", "PJSIP", "main [")


async def test_pop_speaks_words_flags_repeat_callers_and_clears_after_the_call(
        make_app, serve, browser, redis_url, session_factory):  # noqa: F811
    with session_scope(session_factory) as session:  # three earlier calls this week from the same number
        for n, hours in enumerate((1, 3, 50)):
            session.add(Call(linkedid=f"R-old-{n}", caller="+8613800138077", caller_raw="13800138077",
                             started_at=utcnow() - timedelta(hours=hours), status="ended"))
    app, console, _bridge = make_app(redis_url=redis_url)
    base = await serve(app)
    context = await browser.new_context(viewport={"width": 1500, "height": 950}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", "agent1")
    await page.fill("input[name=password]", "agent-pass")
    await page.click("button[type=submit]")
    await page.click("#btn-login")
    await expect(page.locator("#state")).to_have_text("空闲")

    publish = console.bus.publish
    started = {"linkedid": "R1", "uniqueid": "R1", "channel": "PJSIP/inbound-0007", "caller": "13800138077"}
    await publish(Streams.CALLS, "call.started", "R1", started)
    await publish(Streams.CALLS, "ivr.step", "R1", {"linkedid": "R1", "node": "welcome", "input": "1",
                                                    "language": "zh"})
    await publish(Streams.CALLS, "ivr.step", "R1", {"linkedid": "R1", "node": "request",
                                                    "input": "speech:no_model", "language": "zh"})
    await publish(Streams.CALLS, "ivr.step", "R1", {"linkedid": "R1", "node": "main", "input": "9"})
    offered = {"linkedid": "R1", "queue": "general-zh", "agent": "PJSIP/1001",
               "agent_channel": "PJSIP/1001-7"}
    await publish(Streams.CALLS, "call.offered", "R1", offered)
    pop = page.get_by_test_id("pop")
    await expect(page.get_by_test_id("pop-caller")).to_have_text("13800138077")
    await expect(page.locator("#pop-queue")).to_have_text("综合服务（普通话）")
    await expect(page.locator("#pop-language")).to_have_text("普通话")
    await expect(page.locator("#pop-ivr")).to_contain_text("主菜单（按键 9）")
    await expect(page.locator("#pop-ivr")).to_contain_text("语音描述诉求（无该语言识别模型，转按键菜单）")
    repeat = re.compile(r"重复来电：7 天内第 [34] 次来电")
    await expect(page.get_by_test_id("pop-repeat")).to_have_text(repeat)
    text = await pop.inner_text()
    assert not [code for code in RAW_CODES if code in text], text
    await page.screenshot(path=save_shot("pop-words-repeat.png"), full_page=True)
    keep("pop-words-repeat.png")

    await publish(Streams.CALLS, "call.ended", "R1", {"linkedid": "R1", "cause": "16"})
    await expect(page.locator("#pop-queue")).to_contain_text("通话已结束")
    await expect(page.locator("#btn-hangup")).to_be_disabled()
    await expect(page.locator("#btn-transfer")).to_be_disabled()
    await page.screenshot(path=save_shot("pop-ended.png"), full_page=True)
    keep("pop-ended.png")

    await page.reload()  # the ended call does not come back with live buttons after a reload
    await expect(page.locator("#pop-empty")).to_be_visible()
    await expect(page.locator("#pop-body")).to_be_hidden()

    await page.click("#attach-form button")  # 关联 with no call on screen says so instead of "linked"
    await expect(page.locator("#banner")).to_contain_text("当前没有通话")
