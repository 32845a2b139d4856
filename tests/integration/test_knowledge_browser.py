"""Knowledge base in Chromium: suggested beside the pop, one-click direct answer, edited with versions."""

from __future__ import annotations

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.browser import SHOTS, browser, keep, log_in, saved_case_number, shot  # noqa: F401
from ticketing.bus import contract as ct
from ticketing.case.models import Case, CaseEvent
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]


async def test_agent_answers_a_question_from_the_knowledge_base_in_one_click(
        make_app, serve, browser, redis_url, session_factory):  # noqa: F811
    app, console, _bridge = make_app(redis_url=redis_url)
    base = await serve(app)
    agent = await log_in(browser, base, "agent1", "agent-pass")
    await agent.click("#btn-login")
    await expect(agent.locator("#state")).to_have_text("空闲")
    await console.bus.publish_event(ct.CallStarted(linkedid="K1", uniqueid="K1", channel="PJSIP/inbound-0009",
                                                   caller="13800138009"))
    await console.bus.publish_event(ct.CallOffered(linkedid="K1", queue="general-zh", agent="PJSIP/1001",
                                                   agent_channel="PJSIP/1001-0009"))
    await expect(agent.get_by_test_id("pop-caller")).to_have_text("13800138009")
    # nothing said yet: the box says so (the words are not a request the knowledge base searches for)
    await expect(agent.get_by_test_id("pop-transcript")).to_have_text("暂无转写（来电人说话后显示）")
    said = "你好，我的身份证丢了，想问一下去哪里补办"
    await console.bus.publish_event(ct.TranscriptFinal(linkedid="K1", text=said, stream_id="s1",
                                                       confidence=0.9, reason="silence", audio_seconds=3.0))

    await expect(agent.get_by_test_id("pop-transcript")).to_contain_text("身份证丢了")
    results = agent.get_by_test_id("kb-results")
    # The first search builds the word index (jieba's dictionary: seconds on a loaded machine).
    await expect(results.locator("li").first).to_have_attribute("data-code", "id-card-lost", timeout=30000)
    await expect(agent.locator("#kb-source")).to_have_text("根据实时转写推荐")
    await agent.screenshot(path=shot("kb-suggested-from-transcript.png"), full_page=True)
    keep("kb-suggested-from-transcript.png")

    await agent.fill("#case-description", "来电人询问身份证丢失后如何补办")
    await results.locator("li").first.get_by_role("button", name="直接答复").click()
    await expect(agent.get_by_test_id("case-result")).to_contain_text("已直接答复并办结，工单 FT")
    number = await saved_case_number(agent)
    await agent.screenshot(path=shot("kb-direct-answer.png"), full_page=True)
    keep("kb-direct-answer.png")

    with session_scope(session_factory) as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert (case.status, case.dispatched_at, case.caller_phone) == ("closed", None, "+8613800138009")
        assert case.description == "来电人询问身份证丢失后如何补办"
        resolve = session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                         CaseEvent.action == "resolve"))
        assert resolve.data["article"] == "id-card-lost" and resolve.data["direct_answer"] is True

    await agent.fill("#kb-query", "图书馆周一开门吗")
    await agent.click("#kb-search button")
    await expect(results.locator("li").first).to_have_attribute("data-code", "library-hours")
    meta = results.locator("li .meta").first
    await expect(meta).to_contain_text("维护单位：区文化广电旅游体育局 · 匹配词：")
    # the English page names the keeping bureau in English, with English punctuation
    await agent.goto(f"{base}/console/lang/en?back=/console/agent")
    await agent.fill("#kb-query", "图书馆周一开门吗")
    await agent.click("#kb-search button")
    await expect(meta).to_contain_text(
        "Kept by: District Culture, Tourism and Sports Bureau · Matched: ")


async def test_a_supervisor_edits_an_article_and_its_history_shows_who_and_why(
        make_app, serve, browser):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await log_in(browser, base, "supervisor1", "supervisor-pass")
    await page.goto(f"{base}/console/knowledge")
    row = page.locator("tr[data-code=library-hours]")
    await expect(row).to_contain_text("v1")
    await expect(row).to_contain_text("示例数据")  # who wrote it, in words (was the login "seed")
    await row.get_by_role("button", name="编辑").click()
    await expect(page.locator("#kb-code")).to_have_value("library-hours")
    await page.fill("#kb-answer", "福田区图书馆周二至周日 9:00-21:00 开放，周一闭馆。")
    await page.fill("#kb-note", "开放时间核实")
    await page.click("#kb-save")
    await expect(page.get_by_test_id("kb-result")).to_contain_text("已保存，版本 v2")
    await page.goto(f"{base}/console/knowledge")
    row = page.locator("tr[data-code=library-hours]")
    await expect(row).to_contain_text("v2")
    await expect(row).to_contain_text("值班长 王敏")
    await row.get_by_role("button", name="修改记录").click()
    await expect(row.locator(".kb-versions li").first).to_contain_text("值班长 王敏 · 开放时间核实")
    await page.screenshot(path=shot("kb-manage.png"), full_page=True)
    keep("kb-manage.png")

    await page.click("#kb-save")  # a new article without code or question: a clear message, nothing saved
    await expect(page.locator("#banner")).to_contain_text("表单有误")
