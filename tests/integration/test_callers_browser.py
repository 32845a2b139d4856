"""The caller list in Chromium: a supervisor marks a number with a reason and an expiry, the agent's pop shows
the mark when that number calls, the supervisor takes it off again and the change stays on record."""

from __future__ import annotations

import uuid

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
from tests.integration.browser import browser, keep, log_in, shot  # noqa: F401
from ticketing.bus import contract as ct

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]


async def test_a_supervisor_marks_a_number_and_the_pop_shows_why(
        make_app, serve, browser, redis_url):  # noqa: F811
    phone = "137" + str(uuid.uuid4().int)[:8]
    app, console, _bridge = make_app(redis_url=redis_url)
    base = await serve(app)
    supervisor = await log_in(browser, base, "supervisor1", "supervisor-pass")
    await supervisor.get_by_test_id("nav").get_by_role("link", name="来电名单").click()
    await expect(supervisor.locator("h1")).to_have_text("恶意/骚扰来电名单")
    form = supervisor.get_by_test_id("caller-flag-form")
    await form.locator("input[name=phone]").fill("12")
    await form.locator("select[name=kind]").select_option("abusive")
    await form.locator("input[name=reason]").fill("多次辱骂话务员，已警告")
    await supervisor.get_by_test_id("caller-flag-add").click()
    await expect(supervisor.get_by_test_id("callers-problem")).to_have_text(
        "电话号码无效：请填写手机号或带区号的固定电话")
    await expect(form.locator("input[name=reason]")).to_have_value("多次辱骂话务员，已警告")
    await form.locator("input[name=phone]").fill(phone)
    await supervisor.get_by_test_id("caller-flag-add").click()
    await expect(supervisor.get_by_test_id("callers-done")).to_have_text("已加入名单")
    row = supervisor.locator(f"tr[data-phone='+86{phone}']")
    await expect(row).to_contain_text("辱骂骚扰")
    await expect(row).to_contain_text("多次辱骂话务员，已警告")
    await expect(row).to_contain_text("supervisor1")
    await supervisor.screenshot(path=shot("caller-list.png"), full_page=True)
    keep("caller-list.png")

    agent = await log_in(browser, base, "agent1", "agent-pass")
    await agent.click("#btn-login")
    await expect(agent.locator("#state")).to_have_text("空闲")
    linkedid = f"F{uuid.uuid4().hex[:8]}"
    await console.bus.publish_event(ct.CallStarted(linkedid=linkedid, uniqueid=linkedid,
                                                   channel="PJSIP/inbound-0011", caller=phone))
    warned = ct.IvrStep(linkedid=linkedid, node="welcome", input="caller-warning:abusive", language="zh",
                        menu="hotline")
    await console.bus.publish_event(warned)
    await console.bus.publish_event(ct.CallOffered(linkedid=linkedid, queue="general-zh", agent="PJSIP/1001",
                                                   agent_channel="PJSIP/1001-0011"))
    flag = agent.get_by_test_id("pop-flag")
    await expect(flag).to_contain_text("⚠ 辱骂骚扰：多次辱骂话务员，已警告（标记至 ")
    await expect(agent.locator("#pop-ivr")).to_contain_text("名单号码，已播放辱骂骚扰警示")
    await agent.screenshot(path=shot("pop-caller-flag.png"), full_page=True)
    keep("pop-caller-flag.png")

    await row.locator("input[name=note]").fill("来电人已道歉")
    await row.get_by_role("button", name="移出名单").click()
    await expect(supervisor.get_by_test_id("callers-done")).to_have_text("已移出名单")
    await expect(supervisor.locator(f"tr[data-phone='+86{phone}']")).to_have_count(0)
    history = supervisor.get_by_test_id("callers-history")
    await expect(history).to_contain_text("supervisor1 于 ")
    await expect(history).to_contain_text("移出：来电人已道歉")


async def test_agents_may_not_keep_the_list(make_app, serve):  # noqa: F811
    from tests.agent_console.support import ConsoleClient

    app, _console, _bridge = make_app()
    base = await serve(app)
    agent = ConsoleClient(base)
    await agent.login("agent1", "agent-pass")
    assert (await agent.http.get("/console/callers")).status_code == 403
    response = await agent.http.post("/console/callers", data={"phone": "13800138000", "kind": "prank",
                                                               "reason": "x" * 10, "until": "2027-01-01",
                                                               "csrf_token": agent.csrf})
    assert response.status_code == 403
    supervisor = ConsoleClient(base)
    await supervisor.login("supervisor1", "supervisor-pass")
    for form in ({"phone": "13800138000", "kind": "rude", "reason": "不文明", "until": "2027-01-01"},
                 {"phone": "13800138000", "kind": "prank", "reason": "不文明", "until": "2020-01-01"},
                 {"phone": "13800138000", "kind": "prank", "reason": "不文明", "until": "soon"},
                 {"phone": "13800138000", "kind": "prank", "reason": "x", "until": "2027-01-01"}):
        form = {**form, "csrf_token": supervisor.csrf}
        response = await supervisor.http.post("/console/callers", data=form)
        assert response.status_code == 422, form
    response = await supervisor.http.post("/console/callers/999999/end",
                                          data={"note": "test", "csrf_token": supervisor.csrf})
    assert response.status_code == 409
    unsigned = {"phone": "13800138000", "kind": "prank", "reason": "不文明来电", "until": "2027-01-01"}
    forged = await supervisor.http.post("/console/callers", data=unsigned)
    assert forged.status_code == 403  # no CSRF token
    await agent.http.aclose()
    await supervisor.http.aclose()
