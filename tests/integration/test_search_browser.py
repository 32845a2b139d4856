"""Case search (工单查询) in Chromium: an agent finds earlier cases by phone, number, name, address, words,
dates and state, pages through them by cursor, and opens one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from playwright.async_api import expect

from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    ConsoleClient,
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.browser import browser, keep, log_in, shot  # noqa: F401
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
SPRING = datetime(2026, 3, 17, 2, 30, tzinfo=UTC)  # 10:30 in Shenzhen


def file_cases(factory, data_set, phone: str, count: int) -> list[str]:
    with session_scope(factory) as session:
        return [intake(session, data_set, CaseCreate(description=f"小区门口路灯坏了，第{n + 1}次反映",
                                                    caller_phone=phone), "agent1").number
                for n in range(count)]


async def test_an_agent_finds_earlier_cases_and_pages_through_them(
        make_app, serve, browser, session_factory, dataset):  # noqa: F811
    phone = "139" + str(uuid.uuid4().int)[:8]
    many = file_cases(session_factory, dataset, phone, 53)
    with session_scope(session_factory) as session:
        spring = intake(session, dataset, CaseCreate(
            description="工地挖掘机夜间施工，噪音扰民", caller_phone=phone, caller_name="欧阳娜娜",
            address="福华三路88号"), "agent1", now=SPRING).number
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await log_in(browser, base, "agent1", "agent-pass")
    await page.get_by_test_id("nav-search").click()
    await expect(page.locator("h1")).to_have_text("工单查询")

    await page.fill("input[name=phone]", phone)
    await page.get_by_test_id("search-submit").click()
    await expect(page.get_by_test_id("search-count")).to_have_text("找到 54 件工单")
    rows = page.get_by_test_id("search-results").locator("tbody tr")
    await expect(rows).to_have_count(50)
    first = await rows.evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert first == many[::-1][:50]  # newest first
    await page.screenshot(path=shot("search-by-phone.png"), full_page=True)
    keep("search-by-phone.png")
    await page.get_by_test_id("next-page").click()
    await expect(rows).to_have_count(4)
    rest = await rows.evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert rest == [*many[::-1][50:], spring] and "after=" in page.url
    await expect(page.get_by_test_id("next-page")).to_have_count(0)

    await page.goto(f"{base}/console/search")
    await page.fill("input[name=name]", "欧阳")
    await page.fill("input[name=address]", "三路88")
    await page.fill("input[name=words]", "挖掘机")
    await page.fill("input[name=from]", "2026-03-17")
    await page.fill("input[name=to]", "2026-03-17")
    await page.select_option("select[name=status]", "new")
    await page.get_by_test_id("search-submit").click()
    await expect(rows).to_have_count(1)
    row = rows.first
    await expect(row).to_contain_text("欧阳娜娜")
    await expect(row).to_contain_text("待派单")
    await expect(row).to_contain_text("2026-03-17 10:30")
    await page.screenshot(path=shot("search-by-words.png"), full_page=True)
    keep("search-by-words.png")
    await page.fill("input[name=from]", "2026-03-18")
    await page.fill("input[name=to]", "")
    await page.get_by_test_id("search-submit").click()
    await expect(page.get_by_test_id("search-empty")).to_be_visible()

    await page.goto(f"{base}/console/search")
    await page.fill("input[name=number]", many[7].lower())
    await page.get_by_test_id("search-submit").click()
    await expect(rows).to_have_count(1)
    await rows.first.get_by_role("link", name=many[7]).click()
    await expect(page).to_have_url(f"{base}/console/cases/{many[7]}")

    await page.goto(f"{base}/console/search")
    await page.fill("input[name=phone]", "12")
    await page.get_by_test_id("search-submit").click()
    await expect(page.get_by_test_id("search-problem")).to_contain_text("电话号码无效")
    await expect(page.locator("input[name=phone]")).to_have_value("12")


async def test_the_search_page_refuses_what_it_cannot_search_with_a_4xx(make_app, serve):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    client = ConsoleClient(base)
    await client.login("supervisor1", "supervisor-pass")
    for params in ({"number": "FT2026"}, {"from": "2026-02-30"}, {"from": "0001-01-01"}, {"status": "lost"},
                   {"from": "2026-03-02", "to": "2026-03-01"}, {"phone": "abc"}):
        response = await client.http.get("/console/search", params=params)
        assert response.status_code == 422, (params, response.status_code)
    assert (await client.http.get("/console/search", params={"words": "a\x00b"})).status_code == 400
    for params in ({"after": "nonsense", "phone": "13800138000"}, {"page": "-3", "words": "灯"},
                   {"words": "x" * 5000}):
        response = await client.http.get("/console/search", params=params)
        assert response.status_code == 200, (params, response.status_code)
    bureau = ConsoleClient(base)
    await bureau.login("urban1", "bureau-pass")
    assert (await bureau.http.get("/console/search", params={"words": "灯"})).status_code == 403
    await client.http.aclose()
    await bureau.http.aclose()
