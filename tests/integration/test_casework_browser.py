"""A case walked through every step in Chromium: agent intake, 派单, 签收, 办理中, 延期 approved, 办结,
and a second case put under 督办 by moving the scheduler's clock.

Screenshots go to test-artifacts/screenshots/casework/ (and HOTLINE_SCREENS_COPY when set).
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
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
from tests.integration.browser import CHROMIUM_ARGS, browser, log_in, saved_case_number  # noqa: F401
from ticketing.case import service
from ticketing.case.models import Case
from ticketing.database.core import session_scope
from ticketing.supervision.scheduler import run_due

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
SHOTS = Path("test-artifacts/screenshots/casework")
SHOTS.mkdir(parents=True, exist_ok=True)
COPY = Path(os.environ.get("HOTLINE_SCREENS_COPY", ""))  # also keep them here when set


async def shot(page, name: str) -> None:
    path = SHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    _keep(path)


def _keep(path: Path) -> None:
    if str(COPY) not in ("", "."):
        COPY.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, COPY / path.name)


def png() -> bytes:
    """A small real PNG (a grey square), as a photo a clerk attaches."""
    raw = b"".join(b"\x00" + b"\x80\x80\x80" * 16 for _ in range(16))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def wav(seconds: float = 1.0) -> bytes:
    """A short silent WAV (8 kHz mono), as the resident's voice message."""
    frames = b"\x00\x00" * int(8000 * seconds)
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(frames))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(frames))
        + frames
    )


async def act(page, action: str, **fields: str) -> None:
    form = page.locator(f"form[data-form='{action}']")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option(value)
        else:
            await field.fill(value)
    await form.locator("button[type=submit]").click()
    await page.wait_for_load_state("networkidle")


async def test_a_case_through_every_step_and_a_second_under_supervision(
    make_app, serve, browser, monkeypatch, tmp_path, session_factory, dataset  # noqa: F811
):
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))
    app, console, _bridge = make_app()
    base = await serve(app)

    # 受理: the agent takes a vague request; routing cannot place it, so it waits at the dispatch desk.
    agent = await log_in(browser, base, "agent1", "agent-pass")
    await agent.fill("#case-phone", "13800138000")
    await agent.fill("input[name=caller_name]", "王先生")
    # 楼道, not 楼下: 楼下 reads as neighbours' noise, which the police take from 22:00 (a time rule)
    await agent.fill("#case-description", "楼道里有个东西坏了好几天了，一直没人管")
    await agent.fill("input[name=address]", "岗厦村东坊12栋")
    await agent.keyboard.press("Alt+S")
    await expect(agent.get_by_test_id("case-result")).to_contain_text("工单已创建")
    number = await saved_case_number(agent)
    await shot(agent, "01-agent-intake")
    with session_scope(console.session_factory) as session:
        case = service.require(session, number)
        assert case.status == "new"  # no street: routing fell back to the centre's triage desk
        service.add_attachment(
            session, case, "recording", path=str(_write(tmp_path / "voicemail.wav", wav()))
        )

    # 派单: the dispatcher sees it as unsure, reads the proposal, sends it to 城管局 with 环境局 assisting.
    desk = await log_in(browser, base, "dispatcher1", "dispatcher-pass")
    await desk.click("a[data-tab=unsure]")
    await expect(desk.get_by_test_id("dispatch-cases")).to_contain_text(number)
    await shot(desk, "02-dispatcher-desk-unsure")
    await desk.click(f"a[data-open='{number}']")
    await expect(desk.get_by_test_id("proposal")).to_be_visible()
    await expect(desk.get_by_test_id("caller-phone")).to_contain_text("138****8000")
    await shot(desk, "03-dispatcher-case-page")
    await desk.locator("form[data-form=dispatch] select[name=bureau]").select_option("urban-mgmt")
    await desk.locator("form[data-form=dispatch] select[name=assist]").select_option(["environment"])
    await desk.locator("form[data-form=dispatch] button").click()
    await expect(desk.get_by_test_id("case-done")).to_contain_text("派单")
    await expect(desk.get_by_test_id("assists")).to_contain_text("生态环境局")
    await shot(desk, "04-dispatcher-dispatched")

    # 签收 from the list, then 办理中, a photo, a progress note and an extension request on the case page.
    clerk = await log_in(browser, base, "urban1", "bureau-pass")
    await expect(clerk.get_by_test_id("bureau-cases")).to_contain_text(number)
    await shot(clerk, "05-urban-pending")
    await clerk.locator(f"tr[data-number='{number}'] button[data-action=acknowledge]").click()
    await expect(clerk.get_by_test_id("bureau-done")).to_contain_text(number)
    await clerk.click("a[data-tab=working]")
    await clerk.click(f"a[data-open='{number}']")
    await expect(clerk.get_by_test_id("caller-phone")).to_contain_text("138****8000")
    await expect(clerk.get_by_test_id("attachment-audio")).to_have_count(1)
    await act(clerk, "start")
    await clerk.set_input_files(
        "[data-testid=upload] input[type=file]",
        files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": png()}],
    )
    await clerk.click("[data-testid=upload] button")
    await expect(clerk.get_by_test_id("case-done")).to_be_visible()
    await act(clerk, "note", note="已派维修班组到现场查看，灯杆锈蚀需整根更换")
    await act(clerk, "request-extension", days="3", reason="整根灯杆需向厂家订货，预计三个工作日到货")
    await expect(clerk.get_by_test_id("case-done")).to_contain_text("申请延期")
    audio = await clerk.locator("[data-testid=attachment-audio]").get_attribute("src")
    played = await clerk.request.get(base + audio, headers={"Range": "bytes=0-"})  # as <audio> asks
    assert played.status == 206 and played.headers["content-range"].startswith("bytes 0-")
    assert played.headers["content-type"] == "audio/wav"
    await shot(clerk, "06-urban-case-extension-requested")

    # 延期 approved by the supervisor from the case list's tab.
    boss = await log_in(browser, base, "supervisor1", "supervisor-pass")
    await boss.goto(f"{base}/console/supervise?tab=extension")
    await expect(boss.get_by_test_id("supervisor-cases")).to_contain_text(number)
    await shot(boss, "07-supervisor-extensions")
    await boss.click(f"a[data-open='{number}']")
    await act(boss, "approve-extension", days="3")
    await expect(boss.get_by_test_id("case-done")).to_contain_text("批准延期")
    await shot(boss, "08-supervisor-approved")

    # 办结 needs the reply to the resident.
    await clerk.goto(f"{base}/console/cases/{number}")
    await act(clerk, "resolve", reply="已更换整根灯杆，路灯恢复照明。感谢您的反映。")
    await expect(clerk.get_by_test_id("public-reply")).to_contain_text("已更换整根灯杆")
    for step in ("受理", "派单", "签收", "开始办理", "添加附件", "办理进展", "申请延期", "批准延期", "办结"):
        await expect(clerk.get_by_test_id("timeline")).to_contain_text(step)
    await shot(clerk, "09-urban-resolved-timeline")

    # A second case: nobody acts, the clock moves on, the scheduler raises 临期提醒, 超期, 催办, then 督办.
    with session_scope(console.session_factory) as session:
        from ticketing.case import flows
        from ticketing.case.schemas import CaseCreate

        second = flows.intake(
            session,
            console.dataset,
            CaseCreate(
                description="小区门口路灯又坏了，晚上很黑，很危险",
                street="futian",
                caller_phone="13912345678",
                dispatch=True,
            ),
            "agent1",
        ).number
    due = _case(console, second).acknowledge_by
    raised = run_due(console.session_factory, console.dataset, due + timedelta(hours=1))
    assert [r.kind for r in raised if r.number == second][:2] == ["reminder", "overdue"]
    await clerk.goto(f"{base}/console/bureau?tab=pending")
    await clerk.locator(f"tr[data-number='{second}'] button[data-action=acknowledge]").click()
    resolve_by = _case(console, second).resolve_by
    raised = run_due(console.session_factory, console.dataset, resolve_by + timedelta(days=7))
    assert "supervise" in [r.kind for r in raised if r.number == second]
    await clerk.goto(f"{base}/console/bureau?tab=supervised")
    await expect(clerk.get_by_test_id("bureau-cases")).to_contain_text(second)
    await expect(clerk.get_by_test_id("notices")).to_contain_text("督办")
    await shot(clerk, "10-urban-supervised-tab")
    await boss.goto(f"{base}/console/wallboard")
    await expect(boss.get_by_test_id("wallboard-notices")).to_contain_text(second)
    # Each notice opens its case; its column says what the notice is (提醒类型), not 操作.
    link = boss.locator(f"[data-testid=wallboard-notices] a[href$='/cases/{second}']")
    await expect(link.first).to_be_visible()
    await expect(boss.locator("[data-testid=wallboard-notices] thead")).to_contain_text("提醒类型")
    await shot(boss, "11-supervisor-wallboard-notices")
    await clerk.goto(f"{base}/console/cases/{second}")
    await expect(clerk.get_by_test_id("orders")).to_contain_text("待回复")
    await act(clerk, "answer-supervision", answer="已连夜补装井盖并设置警示，明日上午办结")
    await expect(clerk.get_by_test_id("orders")).to_contain_text("已回复")
    await shot(clerk, "12-urban-answered-supervision")

    # The supervisor looks at the caller's full number; the administrator reads that in the audit trail.
    await boss.goto(f"{base}/console/cases/{second}")
    await boss.click("[data-testid=reveal]")
    await expect(boss.get_by_test_id("caller-phone")).to_contain_text("+8613912345678")
    admin = await log_in(browser, base, "admin", "admin-pass")
    await admin.goto(f"{base}/console/audit")
    await expect(admin.get_by_test_id("audit")).to_contain_text("supervisor1")
    await expect(admin.get_by_test_id("audit")).to_contain_text("播放录音")
    await shot(admin, "13-admin-audit-trail")


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _case(console, number: str) -> Case:
    with session_scope(console.session_factory) as session:
        case = service.require(session, number)
        session.expunge(case)
        return case
