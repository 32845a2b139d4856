"""Issue 10's "done when", walked as a new user: urban1 resolves a case in Chromium, the 回访 survey call
rings the resident through the real Asterisk (a Local channel that keys 3, 不满意), the rating is recorded
and the case goes back to 城管局 (重办); supervisor1 sees the bureau's figures, 考核 score and charts
change, and downloads the table as CSV and XLSX (read back with openpyxl).

Screenshots: test-artifacts/screenshots/walk/.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from playwright.async_api import expect

from agent_console.live.commands import AmiCommands
from agent_console.surveys import SurveyDialer
from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.testcall import BusSteps, TestCaller, parse_moves
from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.browser import browser, log_in  # noqa: F401
from tests.integration.test_ivr_calls import menus, sounds  # noqa: F401
from ticketing.bus import Streams
from ticketing.callback import service as callbacks
from ticketing.callback.policy import CallbackPolicy
from ticketing.case import flows
from ticketing.case import service as cases
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.report.assessment import rules_for, score

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.postgres, pytest.mark.timeout(300)]
SHOTS = Path("test-artifacts/screenshots/walk")
SHOTS.mkdir(parents=True, exist_ok=True)
SHANGHAI = ZoneInfo("Asia/Shanghai")
URBAN = "区城市管理和综合执法局"
RESIDENT = "Local/caller@hotline-test/n"  # the test dial plan's resident: answers, then keys what it is told
POLICY = CallbackPolicy(max_attempts=2, retry_after=(timedelta(minutes=30),), ring_seconds=10)


def _file(session, dataset, description: str, phone: str) -> str:  # noqa: F811
    case = flows.intake(session, dataset, CaseCreate(description=description, street="futian",
                                                     caller_phone=phone, dispatch=True), "agent1")
    assert case.bureau.code == "urban-mgmt", case.bureau.code
    return case.number


@pytest.fixture
def month_of_urban(session_factory, dataset):  # noqa: F811
    """This month's earlier 城管局 cases, resolved in time, two rated 满意 (a grade needs 5 cases)."""
    with session_scope(session_factory) as session:
        for n in range(4):
            number = _file(session, dataset, f"福田街道第{n + 1}处路灯不亮，晚上很黑", f"1370013710{n}")
            flows.apply_action(session, dataset, number, "acknowledge", {}, "urban1")
            flows.apply_action(session, dataset, number, "resolve", {"reply": "路灯已修复"}, "urban1")
            if n < 2:
                flows.apply_action(session, dataset, number, "callback", {"rating": "satisfied"}, "survey")
        walk = _file(session, dataset, "小区门口路灯坏了一个星期，晚上很黑，老人出门不安全", "13700137999")
    return walk


async def _figures(page, base: str) -> dict[str, str]:
    """Open this month's report by bureau; return 城管局's row as {heading: shown value}."""
    await page.goto(f"{base}/console/reports?by=bureau")
    table = page.get_by_test_id("table-bureau")
    headings = await table.locator("thead th:not(.group)").all_inner_texts()  # not 受理, 时效, ... above
    cells = await table.locator("tbody tr", has_text=URBAN).locator("td").all_inner_texts()
    return dict(zip(headings, cells, strict=True))


async def _ranking(page, base: str) -> tuple[str, str]:
    """Open this month's bulletin; return 城管局's (score, grade) as shown."""
    await page.goto(f"{base}/console/reports/bulletin")
    row = page.get_by_test_id("table-assessment").locator("tbody tr", has_text=URBAN)
    cells = await row.locator("td").all_inner_texts()
    return cells[-2], cells[-1]


async def _satisfaction_chart(page) -> str:
    return await page.locator("[data-testid=charts] svg").nth(1).inner_html()


async def _download(page, test_id: str) -> bytes:
    async with page.expect_download() as info:
        await page.get_by_test_id(test_id).click()
    path = await (await info.value).path()
    return await asyncio.to_thread(Path(path).read_bytes)


async def test_resolve_survey_call_and_the_supervisors_figures(
        make_app, serve, browser, asterisk, ami_bridge, bus, sounds, menus, month_of_urban,  # noqa: F811
        session_factory, dataset):  # noqa: F811
    walk = month_of_urban
    app, console, _none = make_app(bus=bus, with_bridge=False)
    base = await serve(app)
    boss = await log_in(browser, base, "supervisor1", "supervisor-pass")
    before = await _figures(boss, base)
    chart_before = await _satisfaction_chart(boss)
    await boss.screenshot(path=str(SHOTS / "01-supervisor-report-before.png"), full_page=True)
    score_before, grade_before = await _ranking(boss, base)
    await boss.screenshot(path=str(SHOTS / "02-supervisor-bulletin-before.png"), full_page=True)

    # urban1 (new to the product) takes the case from the list and resolves it with a reply.
    clerk = await log_in(browser, base, "urban1", "bureau-pass")
    await expect(clerk.get_by_test_id("bureau-cases")).to_contain_text(walk)
    await clerk.locator(f"tr[data-number='{walk}'] button[data-action=acknowledge]").click()
    await expect(clerk.get_by_test_id("bureau-done")).to_contain_text(walk)
    await clerk.goto(f"{base}/console/cases/{walk}")
    form = clerk.locator("form[data-form='resolve']")
    await form.locator("[name=reply]").fill("已更换路灯灯泡并检修线路，路灯恢复照明。感谢您的反映。")
    await form.locator("button[type=submit]").click()
    await expect(clerk.get_by_test_id("public-reply")).to_contain_text("已更换路灯灯泡")
    await clerk.screenshot(path=str(SHOTS / "03-urban1-resolved.png"), full_page=True)

    # The survey call: the task is scheduled, claimed and placed through the bridge; the resident keys 3.
    services = IvrServices(console.session_factory, dataset, case_prefix="FT")  # real time
    host, port = asterisk.agi
    server = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir),
                       host=host, port=port)
    commands = AmiCommands(bus, 5.0)
    bus.subscribe(Streams.AMI_REPLIES, "walk-survey", commands.on_reply, durable=False)
    steps = BusSteps(bus)
    await server.start()
    try:
        resident = TestCaller(ami_bridge.actions, steps, menus["survey"], prompts_dir=asterisk.prompts_dir,
                              test_audio_dir=asterisk.test_audio_dir)
        dialer = SurveyDialer(console.session_factory, dataset, commands, POLICY, RESIDENT, SHANGHAI)
        now = utcnow()
        with session_scope(console.session_factory) as session:
            callbacks.schedule(session, dataset, now)
        with session_scope(console.session_factory) as session:
            (call,) = [c for c in callbacks.claim(session, now, 50) if c.case_number == walk]
        assert call.phone == "+8613700137999"
        steps.watch(call.linkedid)
        placed = asyncio.create_task(dialer.place(call))
        report = await resident.answer(call.linkedid, parse_moves(["3", "#"]), limit=90)
        assert await placed == "answered"
        assert "rate_unsatisfied" in [node for node, _ in report.path]
    finally:
        await server.stop()
    with session_scope(console.session_factory) as session:
        case = cases.get_by_number(session, walk)
        task = callbacks.get(session, call.task_id)
        assert (task.status, task.rating, case.satisfaction) == ("done", "unsatisfied", "unsatisfied")
        assert (case.status, case.bureau.code) == ("dispatched", "urban-mgmt")
        assert case.reopened_at is not None

    # 重办: the case is back in urban1's list.
    await clerk.goto(f"{base}/console/bureau")
    await expect(clerk.get_by_test_id("bureau-cases")).to_contain_text(walk)
    await clerk.screenshot(path=str(SHOTS / "04-urban1-reopened-case-back.png"), full_page=True)

    # supervisor1: the figures, the score and the charts changed.
    after = await _figures(boss, base)
    chart_after = await _satisfaction_chart(boss)
    await boss.screenshot(path=str(SHOTS / "05-supervisor-report-after.png"), full_page=True)
    assert int(after["回访量"]) == int(before["回访量"]) + 1
    assert int(after["办结量"]) == int(before["办结量"]) + 1
    assert float(after["满意率 (%)"]) < float(before["满意率 (%)"])
    assert float(after["重办率 (%)"]) > float(before["重办率 (%)"] if before["重办率 (%)"] != "—" else -1)
    satisfaction = float(after["满意率 (%)"])
    shown = f"{satisfaction:g}%" if satisfaction.is_integer() else f"{satisfaction:.1f}%"
    assert chart_after != chart_before and shown in chart_after
    score_after, grade_after = await _ranking(boss, base)
    await boss.screenshot(path=str(SHOTS / "06-supervisor-bulletin-after.png"), full_page=True)
    assert float(score_after) < float(score_before)
    rules = rules_for(console.dataset.directory)
    for points, grade in ((score_before, grade_before), (score_after, grade_after)):
        shown = next(g for g in rules.grades if float(points) >= g.min_score)
        assert grade == f"{shown.zh} {shown.grade}"
    # The score is the weighted figures the report shows (the sample's own cases of this month count too).
    weighted = {"acknowledged_on_time_pct": "按时签收率 (%)", "resolved_on_time_pct": "按时办结率 (%)",
                "satisfaction_pct": "满意率 (%)", "returned_pct": "退回率 (%)", "reopened_pct": "重办率 (%)"}
    shown_figures = {key: None if after[heading] == "—" else float(after[heading])
                     for key, heading in weighted.items()}
    assert float(score_after) == score(rules, shown_figures)

    # Both exports of the report, read back.
    await boss.goto(f"{base}/console/reports?by=bureau")
    text = (await _download(boss, "csv-bureau")).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    urban = dict(zip(rows[0], next(r for r in rows if r[0] == URBAN), strict=True))
    assert urban["回访量 / Rated"] == after["回访量"]
    assert urban["满意率 (%) / Satisfaction (%)"] == after["满意率 (%)"]
    book = openpyxl.load_workbook(io.BytesIO(await _download(boss, "xlsx-bureau")))
    values = list(book.active.iter_rows(values_only=True))
    assert re.match(r"承办单位效能报表 / Performance by bureau", values[0][0])
    urban = dict(zip(values[1], next(v for v in values if v[0] == URBAN), strict=True))
    assert urban["回访量 / Rated"] == int(after["回访量"])
    assert urban["满意率 (%) / Satisfaction (%)"] == float(after["满意率 (%)"])
    assert urban["重办率 (%) / Reopened (%)"] == float(after["重办率 (%)"])
