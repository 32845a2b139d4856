"""The report and bulletin pages in Debian's Chromium: figures, charts, and both exports read back.

Runs against the real server and PostgreSQL with the hand-computed fixture cases of
tests/ticketing/report/fixtures.py. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from playwright.async_api import expect
from sqlalchemy import delete, select

from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.browser import SHOTS, browser, log_in  # noqa: F401
from tests.ticketing.report.fixtures import casework_cases, holiday_calls, holiday_cases
from ticketing.call.models import Call
from ticketing.case.models import Case, CaseEvent
from ticketing.database.core import session_scope
from ticketing.supervision.models import CaseNotice, SupervisionOrder

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
URBAN = "区城市管理和综合执法局"


@pytest.fixture
def report_cases(session_factory):  # noqa: F811
    """The fixture cases and calls, removed afterwards (the console database is shared by the run)."""
    with session_scope(session_factory) as session:
        holiday_cases(session)
        holiday_calls(session)
    yield
    with session_scope(session_factory) as session:
        ids = list(session.scalars(select(Case.id).where(Case.number.like("FT-R%"))))
        session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
        session.execute(delete(Case).where(Case.id.in_(ids)))
        session.execute(delete(Call).where(Call.linkedid.like("r-%")))


async def _supervisor(browser, base: str):  # noqa: F811
    return await log_in(browser, base, "supervisor1", "supervisor-pass",
                        viewport={"width": 1400, "height": 1000}, accept_downloads=True)


async def _download(page, test_id: str) -> bytes:
    async with page.expect_download() as info:
        await page.get_by_test_id(test_id).click()
    download = await info.value
    path = await download.path()
    with open(path, "rb") as file:  # noqa: ASYNC230 - a small local file in a test
        return file.read()


async def test_report_page_charts_and_exports(make_app, serve, browser, report_cases):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await _supervisor(browser, base)
    await page.goto(f"{base}/console/reports?by=bureau&first=2026-09-01&last=2026-10-31")
    table = page.get_by_test_id("table-bureau")
    urban = table.locator("tr", has_text=URBAN)
    await expect(urban).to_contain_text("12.0")  # average working hours across the National Day holiday
    await expect(table.locator("tfoot")).to_contain_text("合计")
    assert await page.locator("[data-testid=charts] svg").count() == 5
    await expect(page.locator("[data-testid=charts] svg").first).to_contain_text(URBAN)
    await expect(page.get_by_test_id("table-queue")).to_contain_text("33.3")
    await page.screenshot(path=str(SHOTS / "reports-bureau.png"), full_page=True)

    text = (await _download(page, "csv-bureau")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][2] == "受理量 / Received"
    assert next(r for r in rows if r[0] == URBAN)[2:4] == ["2", "2"]
    workbook = openpyxl.load_workbook(io.BytesIO(await _download(page, "xlsx-bureau")))
    values = list(workbook.active.iter_rows(values_only=True))
    urban_row = dict(zip(values[1], next(v for v in values if v[0] == URBAN), strict=True))
    assert urban_row["受理量 / Received"] == 2
    assert urban_row["平均办理时长 (工作小时) / Average handling time (working hours)"] == 12.0
    assert urban_row["满意率 (%) / Satisfaction (%)"] == 50.0
    assert urban_row["超期件数 / Missed a deadline"] == 1
    assert values[-1][0] == "合计"


@pytest.fixture
def casework_report_cases(session_factory, report_cases):  # noqa: F811
    """The fixture cases with October's returns, extensions, 催办 and 督办 (fixtures.casework_cases)."""
    with session_scope(session_factory) as session:
        casework_cases(session)
    yield
    with session_scope(session_factory) as session:
        ids = select(Case.id).where(Case.number.like("FT-R%"))
        session.execute(delete(CaseNotice).where(CaseNotice.case_id.in_(ids)))
        session.execute(delete(SupervisionOrder).where(SupervisionOrder.case_id.in_(ids)))


async def _laptop(browser, base: str, lang: str):  # noqa: F811
    """A supervisor on a 1366 x 768 laptop screen, the console in LANG."""
    page = await log_in(browser, base, "supervisor1", "supervisor-pass",
                        viewport={"width": 1366, "height": 768},
                        locale="zh-CN" if lang == "zh" else "en-US", accept_downloads=True)
    if lang == "en":
        await page.context.add_cookies([{"name": "console_lang", "value": "en", "url": base}])
    return page


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_monthly_trend_shows_casework_and_the_wide_table_reads_on_a_laptop(
        make_app, serve, browser, casework_report_cases, lang):  # noqa: F811
    """退回, 延期, 催办 and 督办 per month in the charts, the trend table and its Excel; the 18 columns of the
    bureau table under grouped headings, the bureau's name kept in view when they scroll sideways."""
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await _laptop(browser, base, lang)
    await page.goto(f"{base}/console/reports?by=bureau&first=2026-10-01&last=2026-10-31")
    words = {"zh": ("近12个月催办次数与督办件数", "超期与督办", "退回率", "名称"),
             "en": ("Urged and under supervision, last 12 months", "Overdue and supervision", "Returned",
                    "Name")}[lang]
    chasing = page.locator("[data-testid=charts] svg").nth(4)
    await expect(chasing).to_contain_text(words[0])
    assert await chasing.locator("polyline").count() == 2
    october = page.get_by_test_id("table-trend").locator("tbody tr", has_text="2026-10")
    # received, dispatched, on time, satisfaction, returned %, extended %, urged, supervised
    await expect(october.locator("td")).to_have_text(["2026-10", "6", "6", "25.0", "50.0", "33.3", "33.3",
                                                      "2", "1"])
    table = page.get_by_test_id("table-bureau")
    await expect(table.locator("thead th.group", has_text=words[1])).to_have_attribute("colspan", "4")
    await expect(table.locator("thead tr").first).to_contain_text(words[3])
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1366  # only the table scrolls
    await page.screenshot(path=str(SHOTS / f"reports-1366-{lang}.png"))
    await table.scroll_into_view_if_needed()
    await page.screenshot(path=str(SHOTS / f"reports-1366-table-{lang}.png"))
    name = table.locator("tbody tr").first.locator("td").first
    before = await name.bounding_box()
    await table.locator(".table-scroll").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    after = await name.bounding_box()
    assert before is not None and after is not None and after["x"] == before["x"]
    last = table.locator("thead th").last
    assert (await last.bounding_box())["x"] + 5 < 1366  # the last column scrolled into view
    await page.screenshot(path=str(SHOTS / f"reports-1366-table-scrolled-{lang}.png"))

    workbook = openpyxl.load_workbook(io.BytesIO(await _download(page, "xlsx-trend")))
    values = list(workbook.active.iter_rows(values_only=True))
    assert values[1][0] == "月份 / Month" and len(values) == 2 + 12
    row = dict(zip(values[1], next(v for v in values if v[0] == "2026-10"), strict=True))
    assert (row["退回率 (%) / Returned (%)"], row["延期率 (%) / Extended (%)"]) == (33.3, 33.3)
    assert (row["催办次数 / Urged"], row["督办件数 / Under supervision"]) == (2, 1)
    await page.goto(f"{base}/console/reports?by=agent&first=2026-10-01&last=2026-10-31")  # + 质检 columns
    assert await page.evaluate("document.documentElement.scrollWidth") <= 1366
    await page.screenshot(path=str(SHOTS / f"reports-1366-agents-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_date_filters_show_and_take_days_as_2026_12_02(make_app, serve, browser, lang):  # noqa: F811
    """The browser's date field showed 10/01/2026 in a Chinese page; every date filter reads 2026-10-01."""
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await _laptop(browser, base, lang)
    await page.goto(f"{base}/console/reports?by=bureau&first=2026-10-01&last=2026-10-31")
    first, last = page.locator("input[name=first]"), page.locator("input[name=last]")
    await expect(first).to_have_value("2026-10-01")
    await expect(first).to_have_attribute("type", "text")
    await first.fill("2026/9/1")  # typed as people write it: put in the one form on submit
    await last.fill("2026年9月30日")
    await last.press("Enter")
    await expect(page).to_have_url(f"{base}/console/reports?by=bureau&first=2026-09-01&last=2026-09-30")
    await expect(page.get_by_test_id("table-bureau")).to_contain_text("2026-09-01 – 2026-09-30")
    await page.locator("input[name=first] + .date-pick").click()  # the browser's own calendar, fed the day
    await expect(page.locator("input[name=first] ~ input.date-native")).to_have_value("2026-09-01")
    await page.locator("input[name=first] ~ input.date-native").fill("2026-08-03")
    await expect(first).to_have_value("2026-08-03")
    await page.locator(".report-form").screenshot(path=str(SHOTS / f"date-filters-{lang}.png"))
    await first.fill("09/01/2026")  # the old field's American form is refused before it is sent
    assert not await first.evaluate("field => field.checkValidity()")

    await page.goto(f"{base}/console/reports/bulletin?month=2026-10")
    await expect(page.locator("input[name=month]")).to_have_value("2026-10")
    await page.locator("input[name=month]").fill("2026/9")
    await page.locator("input[name=month]").press("Enter")
    await expect(page).to_have_url(f"{base}/console/reports/bulletin?month=2026-09")
    await page.goto(f"{base}/console/search?from=2026-10-01")
    await expect(page.locator("input[name=from]")).to_have_value("2026-10-01")
    await expect(page.locator("input[name=to]")).to_have_attribute("placeholder", "YYYY-MM-DD")


@pytest.fixture
def month_of_cases(session_factory, report_cases):  # noqa: F811
    """Six more October cases each for 城管 (on time, satisfied) and 环境 (late, unsatisfied): both graded."""
    from tests.ticketing.report.fixtures import add_case, at

    with session_scope(session_factory) as session:
        for day in range(12, 18):
            add_case(session, bureau="urban-mgmt", created_at=at(10, day, 9),
                     dispatched_at=at(10, day, 9, 30), acknowledge_by=at(10, day, 11, 30),
                     acknowledged_at=at(10, day, 10), resolve_by=at(10, day + 3, 18),
                     resolved_at=at(10, day + 1, 16), satisfaction="satisfied")
            add_case(session, bureau="environment", category="noise", created_at=at(10, day, 9),
                     dispatched_at=at(10, day, 9, 30), acknowledge_by=at(10, day, 11, 30),
                     acknowledged_at=at(10, day, 15), resolve_by=at(10, day + 3, 18),
                     resolved_at=at(10, day + 6, 16), satisfaction="unsatisfied",
                     reopened_at=at(10, day + 7, 9))


async def test_bulletin_ranks_bureaus_with_grades(make_app, serve, browser, month_of_cases):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await _supervisor(browser, base)
    await page.goto(f"{base}/console/reports/bulletin?month=2026-10")
    ranking = page.get_by_test_id("table-assessment")
    await expect(ranking.locator("tbody tr").first).to_contain_text(URBAN)
    await expect(ranking.locator("tbody tr").first).to_contain_text("良好 B")  # 87.5, see the fixture
    await expect(ranking.locator("tbody tr").nth(1)).to_contain_text("不合格 D")
    await expect(page.locator("[data-testid=charts] svg")).to_have_count(1)
    await expect(page.locator("[data-testid=charts] svg rect")).to_have_count(2)
    await page.screenshot(path=str(SHOTS / "bulletin.png"), full_page=True)
    workbook = openpyxl.load_workbook(io.BytesIO(await _download(page, "xlsx-assessment")))
    values = list(workbook.active.iter_rows(values_only=True))
    assert values[1][0] == "排名 / Rank" and values[2][1] == URBAN


async def test_a_wrong_period_is_a_clear_page(make_app, serve, browser):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await _supervisor(browser, base)
    answer = await page.goto(f"{base}/console/reports?first=2026-10-31&last=2026-10-01")
    assert answer.status == 400
    await expect(page.locator("main")).to_contain_text("统计期间有误")


@pytest.fixture
def unanswered_callback(session_factory, dataset):  # noqa: F811
    """A resolved case whose survey calls all went unanswered (its task is on the agents' list)."""
    from tests.ticketing.callback.support import resolved_case
    from ticketing.callback import service as callbacks
    from ticketing.callback.models import CallbackTask

    with session_scope(session_factory) as session:
        case = resolved_case(session, dataset, phone="13700137000")
        (task,) = [t for t in callbacks.schedule(session, dataset, case.resolved_at) if t.case_id == case.id]
        task.status, task.attempts, task.last_result = "agent", 3, "no_answer"
        number, case_id = case.number, case.id
    yield number
    with session_scope(session_factory) as session:
        session.execute(delete(CallbackTask).where(CallbackTask.case_id == case_id))
        session.execute(delete(CaseEvent).where(CaseEvent.case_id == case_id))
        session.execute(delete(Case).where(Case.id == case_id))


async def test_agent_rates_an_unanswered_callback(make_app, serve, browser, unanswered_callback,  # noqa: F811
                                                  session_factory):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", "agent1")
    await page.fill("input[name=password]", "agent-pass")
    await page.click("button[type=submit]")
    await page.goto(f"{base}/console/callbacks")
    row = page.get_by_test_id(f"callback-{unanswered_callback}")
    await expect(row).to_contain_text("无人接听")
    await expect(row).to_contain_text("路灯已修复")
    await expect(row).to_contain_text("137 0013 7000")  # written as at home, not +8613700137000
    await expect(row).to_contain_text("已超期")  # its callback was due on 27 November
    await page.screenshot(path=str(SHOTS / "callbacks.png"), full_page=True)
    await row.get_by_label("不满意").check()
    await row.locator("input[name=note]").fill("路灯晚上仍然不亮")
    await row.get_by_role("button", name="保存评价").click()
    await expect(page.get_by_test_id("rated")).to_contain_text(unanswered_callback)
    await expect(page.get_by_test_id(f"callback-{unanswered_callback}")).to_have_count(0)
    with session_scope(session_factory) as session:
        case = session.scalars(select(Case).where(Case.number == unanswered_callback)).one()
        assert (case.status, case.satisfaction) == ("dispatched", "unsatisfied")
        assert case.bureau.code == "urban-mgmt"
    # the case's trail says what the resident rated and said: why the bureau does it again (重办)
    await page.goto(f"{base}/console/cases/{unanswered_callback}")
    callback = page.locator("[data-testid=timeline] tr[data-action=callback]")
    await expect(callback).to_contain_text("回访：不满意")
    await expect(callback).to_contain_text("路灯晚上仍然不亮")


@pytest.fixture
def topic_cases(session_factory):  # noqa: F811
    """A week with six night-construction noise cases in 南园 (none the weeks before), removed afterwards."""
    from tests.ticketing.report.fixtures import add_case, at

    with session_scope(session_factory) as session:
        for day in (19, 20, 21, 22, 23, 24):
            add_case(session, bureau="environment", street="nanyuan", category="noise",
                     created_at=at(10, day, 22), description="工地夜间施工噪音扰民")
        add_case(session, bureau="urban-mgmt", street="futian", category="street-lights",
                 created_at=at(10, 20, 10), description="路灯不亮")
    yield
    with session_scope(session_factory) as session:
        ids = list(session.scalars(select(Case.id).where(Case.number.like("FT-R%"))))
        session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
        session.execute(delete(Case).where(Case.id.in_(ids)))


async def test_hot_topics_page_alerts_and_exports(make_app, serve, browser, topic_cases):  # noqa: F811
    app, _console, _bridge = make_app()
    base = await serve(app)
    page = await _supervisor(browser, base)
    await page.goto(f"{base}/console/reports/topics?week=2026-10-21")
    await expect(page.get_by_test_id("spike-alert")).to_contain_text("噪声扰民")
    await expect(page.get_by_test_id("table-topics-words")).to_contain_text("施工")
    assert await page.locator("[data-testid=charts] svg").count() == 2
    await expect(page.locator("[data-testid=charts] svg").nth(1)).to_contain_text("南园")
    await page.screenshot(path=str(SHOTS / "hot-topics.png"), full_page=True)
    workbook = openpyxl.load_workbook(io.BytesIO(await _download(page, "xlsx-topics-heat")))
    values = list(workbook.active.iter_rows(values_only=True))
    assert values[1][2].startswith("噪声扰民")
    assert any(v[0].startswith("南园") and v[2] == 6 for v in values[2:])
