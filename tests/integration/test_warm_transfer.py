"""Warm transfer from the browser phone to a bureau's hotline, a sipp phone answering as the other side.

Real Asterisk and Chromium: the agent answers a queued call, files a case, consults the urban-management
duty line from the transfer directory (Atxfer; without a trunk the number rings the demo resident account,
here a sipp phone registered as `resident`), then completes the transfer (*2). The caller stays connected
to the bureau, the agent's phone is free and the agent goes to wrap-up at once, and the case says who took
the call over.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import select

from ivr.config import IvrSettings
from ivr.phone import Phone, PhoneEvent, PhoneOptions
from ivr.recorder import CallRecorder
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
from tests.integration.test_browser_phone import BASE_ARGS, SHOTS, log_in, open_console
from ticketing.call.models import Call
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.postgres]


async def phone_event(phone: Phone, kind: str, within: float = 20.0) -> PhoneEvent:
    """Return the sipp phone's next event of `kind` (earlier other events are skipped)."""
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        event = await asyncio.to_thread(phone.next_event, min(left, 1.0))
        if event is not None and event.kind == kind:
            return event
    raise AssertionError(f"the bureau phone did not report {kind!r} within {within} s")


def channels(asterisk) -> str:
    return asterisk.cli("core show channels concise")


async def test_warm_transfer_to_a_bureau_hotline(make_app, serve, asterisk, ami_bridge, bus,  # noqa: F811
                                                 session_factory):  # noqa: F811
    recorder = CallRecorder(bus, session_factory, recordings_dir=asterisk.recordings_dir)
    await recorder.start()  # the call must be on record for the case to link it
    bureau = Phone(asterisk.instance, PhoneOptions("resident"), IvrSettings().asterisk_config_dir / "sipp")
    await asyncio.to_thread(bureau.start)
    shots = SHOTS / "browser-phone"
    shots.mkdir(parents=True, exist_ok=True)
    try:
        await phone_event(bureau, "registered", within=10)
        base = await open_console(make_app, serve, asterisk, bus)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                       args=[*BASE_ARGS, "--use-fake-ui-for-media-stream"])
            page = await log_in(browser, base)
            status = page.get_by_test_id("phone-status")
            await expect(status).to_have_attribute("data-state", "registered", timeout=20000)
            await page.click("#btn-login")
            await expect(page.locator("#state")).to_have_text("空闲", timeout=15000)

            await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                               exten="general-zh", caller_id="13800138000 <13800138000>",
                                               variables={"TEST_DELAY": "0", "TEST_HOLD": "60"})
            await expect(status).to_have_attribute("data-state", "ringing", timeout=20000)
            await page.click("#phone-answer")
            await expect(page.locator("#state")).to_have_text("通话中", timeout=10000)
            await page.fill("#case-description", "小区门口井盖缺失，晚上很危险，请城管尽快处理")
            await page.select_option("#case-street", "futian")
            await page.click("#btn-save")
            await expect(page.get_by_test_id("case-result")).to_contain_text("工单已创建", timeout=10000)
            number = await saved_case_number(page)

            # Consult the bureau's duty line: the caller waits on hold while the agent talks to it.
            await page.fill("#consult-target", "urban-duty")
            await page.click("#consult-start")
            await expect(page.locator("#banner")).to_contain_text("正在咨询 城管局值班电话", timeout=10000)
            await phone_event(bureau, "answered")
            await expect(page.locator("#consult-complete")).to_be_visible()
            await page.screenshot(path=str(shots / "consulting.png"), full_page=True)

            await page.click("#consult-complete")
            banner = page.locator("#banner")
            await expect(banner).to_contain_text("已记录：来电由 城管局值班电话", timeout=10000)
            await expect(banner).not_to_contain_text("urban-duty")
            # The agent's part is over at once: phone free, wrap-up (not 通话中 until the others hang up).
            await expect(status).to_have_attribute("data-state", "registered", timeout=15000)
            await expect(page.locator("#state")).to_have_text("话后处理", timeout=10000)
            await expect(page.locator("#pop-queue")).to_contain_text("通话已结束")  # for this agent
            await expect(page.locator("#btn-hangup")).to_be_disabled()
            live = channels(asterisk)
            assert "PJSIP/resident-" in live and "Local/caller@hotline-test" in live, live
            assert "PJSIP/webrtc-1001-" not in live, live
            await page.screenshot(path=str(shots / "transferred.png"), full_page=True)
            await page.click("#btn-leave")  # out of the queues (Asterisk keeps members when a page closes)
            await expect(page.locator("#state")).to_have_text("离线", timeout=10000)

            # The case says who took the call over, on its page.
            await page.goto(f"{base}/console/cases/{number}")
            await expect(page.locator("body")).to_contain_text(
                "来电转接给 城管局值班电话（示例号码）（075500000001）")
            await browser.close()

        # The caller and the bureau talk on; when they hang up the call is on record as transferred.
        for channel in [line.split("!", 1)[0] for line in channels(asterisk).splitlines()
                        if line.startswith("Local/caller@hotline-test")]:
            asterisk.cli(f"channel request hangup {channel}")
        await phone_event(bureau, "hungup")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with session_scope(session_factory) as session:
                outcome = session.scalars(select(Call.outcome).order_by(Call.id.desc())).first()
            if outcome == "transferred":
                break
            await asyncio.sleep(0.2)
        assert outcome == "transferred"
    finally:
        await asyncio.to_thread(bureau.stop)


async def test_back_to_the_caller_then_a_three_way_call_the_agent_leaves(make_app, serve, asterisk,  # noqa: F811
                                                                        ami_bridge, bus, session_factory):  # noqa: F811
    recorder = CallRecorder(bus, session_factory, recordings_dir=asterisk.recordings_dir)
    await recorder.start()
    bureau = Phone(asterisk.instance, PhoneOptions("resident"), IvrSettings().asterisk_config_dir / "sipp")
    await asyncio.to_thread(bureau.start)
    shots = SHOTS / "browser-phone"
    try:
        await phone_event(bureau, "registered", within=10)
        base = await open_console(make_app, serve, asterisk, bus)
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                       args=[*BASE_ARGS, "--use-fake-ui-for-media-stream"])
            page = await log_in(browser, base)
            status = page.get_by_test_id("phone-status")
            await expect(status).to_have_attribute("data-state", "registered", timeout=20000)
            await page.click("#btn-login")
            await expect(page.locator("#state")).to_have_text("空闲", timeout=15000)
            await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                               exten="general-zh", caller_id="13800138000 <13800138000>",
                                               variables={"TEST_DELAY": "0", "TEST_HOLD": "90"})
            await expect(status).to_have_attribute("data-state", "ringing", timeout=20000)
            await page.click("#phone-answer")
            await expect(page.locator("#state")).to_have_text("通话中", timeout=10000)
            await page.fill("#case-description", "小区门口井盖缺失，晚上很危险，需要城管和派出所一起处理")
            await page.select_option("#case-street", "futian")
            await page.click("#btn-save")
            await expect(page.get_by_test_id("case-result")).to_contain_text("工单已创建", timeout=10000)
            number = await saved_case_number(page)

            # Consult, then 返回来电 (*1): the bureau's phone is hung up, the agent is back with the caller.
            await page.fill("#consult-target", "urban-duty")
            await page.click("#consult-start")
            await phone_event(bureau, "answered")
            await page.click("#consult-back")
            await phone_event(bureau, "hungup")
            await expect(page.locator("#consult-start")).to_be_visible()
            assert "PJSIP/webrtc-1001-" in channels(asterisk)
            await expect(page.locator("#state")).to_have_text("通话中")

            # Consult again, then 三方通话 (*3): all three talk; the agent leaves, the other two stay.
            # (Asterisk needs a moment after *1 before it takes another consultation: the button waits.)
            await expect(page.locator("#consult-start")).to_be_disabled()
            await expect(page.locator("#consult-start")).to_be_enabled(timeout=10000)
            await page.click("#consult-start")
            await phone_event(bureau, "answered")
            await page.click("#consult-three-way")
            banner = page.locator("#banner")
            await expect(banner).to_contain_text("已记录：来电由 城管局值班电话", timeout=10000)
            await asyncio.sleep(2)
            live = channels(asterisk)
            assert "PJSIP/resident-" in live and "PJSIP/webrtc-1001-" in live, live
            await page.screenshot(path=str(shots / "three-way.png"), full_page=True)
            await page.click("#phone-hangup")
            await expect(status).to_have_attribute("data-state", "registered", timeout=15000)
            await expect(page.locator("#state")).to_have_text("话后处理", timeout=10000)
            live = channels(asterisk)
            assert "PJSIP/resident-" in live and "Local/caller@hotline-test" in live, live
            await page.click("#btn-leave")
            await expect(page.locator("#state")).to_have_text("离线", timeout=10000)
            await page.goto(f"{base}/console/cases/{number}")
            await expect(page.locator("body")).to_contain_text("来电三方通话，加入 城管局值班电话")
            await browser.close()
        for channel in [line.split("!", 1)[0] for line in channels(asterisk).splitlines()
                        if line.startswith("Local/caller@hotline-test")]:
            asterisk.cli(f"channel request hangup {channel}")
        await phone_event(bureau, "hungup")
    finally:
        await asyncio.to_thread(bureau.stop)
