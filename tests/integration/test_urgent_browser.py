"""Urgent cases (紧急工单) in Chromium: filing one alerts the supervisor's wallboard at once and puts it on
the dispatch desk's notices, with its shorter dispatch deadline; a normal case raises nothing."""

from __future__ import annotations

from datetime import timedelta

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
    wait_for,
)
from tests.integration.browser import browser, keep, log_in, saved_case_number, shot  # noqa: F401
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope
from ticketing.supervision.models import CaseNotice

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]


def file_case(factory, data_set, text: str):
    with session_scope(factory) as session:
        case = intake(session, data_set, CaseCreate(description=text, caller_phone="13800138000"), "agent1")
        notices = session.scalars(select(CaseNotice.kind).where(CaseNotice.case_id == case.id)).all()
        return case.number, case.priority, case.dispatch_by - case.created_at, notices


async def test_an_urgent_case_alerts_supervisors_with_a_shorter_deadline(
        make_app, serve, browser, redis_url, session_factory, dataset):  # noqa: F811
    app, console, _bridge = make_app(redis_url=redis_url)
    base = await serve(app)
    boss = await log_in(browser, base, "supervisor1", "supervisor-pass")
    await expect(boss.locator("h1")).to_have_text("监控大屏")
    await wait_for(lambda: console.hub.has_page("wallboard"), within=15)  # the live socket is up

    normal, priority, window, notices = file_case(session_factory, dataset, "小区门口路灯坏了一个星期")
    assert (priority, notices) == ("normal", [])
    number, priority, urgent_window, notices = file_case(session_factory, dataset, "井盖丢了，很危险")
    assert (priority, notices) == ("urgent", ["urgent"])
    assert urgent_window == timedelta(hours=1) and urgent_window < window

    alerts = boss.get_by_test_id("urgent-alerts")
    await expect(alerts).to_contain_text(number)
    await expect(alerts).to_contain_text("紧急工单")
    await expect(alerts).not_to_contain_text(normal)
    await expect(boss.locator("#banner")).to_contain_text(f"紧急工单 {number} 已受理，须在 ")
    await expect(boss.get_by_test_id("wallboard-notices")).to_contain_text(number)
    await boss.screenshot(path=shot("urgent-alert.png"), full_page=True)
    keep("urgent-alert.png")
    await alerts.get_by_role("link", name=number).click()
    await expect(boss).to_have_url(f"{base}/console/cases/{number}")

    desk = await log_in(browser, base, "dispatcher1", "dispatcher-pass")
    await expect(desk.get_by_test_id("notices")).to_contain_text(number)
    await expect(desk.get_by_test_id("notices")).to_contain_text("紧急工单")


async def test_the_agent_filing_an_urgent_case_sees_it_and_so_does_the_pop_of_the_next_call(
        make_app, serve, browser, redis_url, session_factory):  # noqa: F811
    """The agent's page (issue 12): the suggestion says why it is urgent and sets 紧急; the saved case says
    it was taken in as urgent with its dispatch deadline; the caller's next call shows it tagged 紧急."""
    from ticketing.bus import contract as ct

    app, console, _bridge = make_app(redis_url=redis_url)
    base = await serve(app)
    agent = await log_in(browser, base, "agent1", "agent-pass")
    await agent.fill("#case-phone", "13800138077")
    await agent.fill("#case-description", "小区门口的井盖丢了，很危险，晚上有人差点掉下去")
    await agent.click("#btn-suggest")
    note = agent.get_by_test_id("urgent-note")
    await expect(note).to_be_visible()
    await expect(note).to_contain_text("紧急工单")
    await expect(note).to_contain_text("井盖")
    await expect(note).to_contain_text("前派单")
    await expect(agent.locator("#case-priority")).to_have_value("urgent")
    await expect(agent.locator("#suggestion")).to_contain_text("建议：")  # Chinese punctuation in Chinese
    await expect(agent.locator("#deadlines")).to_contain_text("派单时限：")
    await expect(agent.locator("#deadlines")).to_contain_text("当日（工作日）内")
    await agent.screenshot(path=shot("agent-urgent-suggested.png"), full_page=True)
    keep("agent-urgent-suggested.png")
    await agent.click("#btn-save")
    result = agent.get_by_test_id("case-result")
    await expect(result).to_contain_text("紧急工单")
    await expect(agent.locator("#banner")).to_contain_text("已受理，须在 ")
    await expect(note).to_be_hidden()
    await expect(agent.locator("#case-priority")).to_have_value("normal")  # the next case starts normal
    number = await saved_case_number(agent)
    with session_scope(session_factory) as session:
        from ticketing.case.models import Case
        assert session.scalar(select(Case.priority).where(Case.number == number)) == "urgent"

    await agent.click("#btn-login")
    await expect(agent.locator("#state")).to_have_text("空闲")
    await console.bus.publish_event(ct.CallStarted(linkedid="U1", uniqueid="U1", channel="PJSIP/inbound-0077",
                                                   caller="13800138077"))
    await console.bus.publish_event(ct.CallOffered(linkedid="U1", queue="general-zh", agent="PJSIP/1001",
                                                   agent_channel="PJSIP/1001-0077"))
    earlier = agent.get_by_test_id("pop-history").locator("li", has_text=number)
    await expect(earlier.locator(".tag.err")).to_have_text("紧急")
    await agent.screenshot(path=shot("agent-urgent-history.png"), full_page=True)
    keep("agent-urgent-history.png")
    await agent.goto(f"{base}/console/cases/{number}")
    await expect(agent.locator("main")).to_contain_text("紧急")
