"""A supervisor listens to, then barges into, an agent's browser-phone call from the wallboard.

Real Asterisk, Chromium with fake audio devices: the supervisor's own browser phone is rung into ChanSpy
and connects by itself; it hears the call (RTP energy), and ends with the agent's call. Each use is in
the access audit trail, whose monitoring part the supervisor reads as 监听记录.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import async_playwright, expect

from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.test_browser_phone import (
    BASE_ARGS,
    CALLER_HZ,
    SHOTS,
    agent_channel,
    log_in,
    open_console,
    write_tone,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.postgres]


def spy_data(asterisk) -> list[str]:
    """Return the ChanSpy arguments of every spying channel (concise: ...!Application!Data!...)."""
    return re.findall(r"!ChanSpy!([^!]*)!", asterisk.cli("core show channels concise"))


async def test_supervisor_listens_then_barges_from_the_wallboard(make_app, serve, asterisk, ami_bridge,  # noqa: F811
                                                                bus, tmp_path):
    base = await open_console(make_app, serve, asterisk, bus)
    write_tone(asterisk.test_audio_dir / "monitor-tone.wav", CALLER_HZ, 40.0, 8000)
    shots = SHOTS / "browser-phone"
    shots.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                   args=[*BASE_ARGS, "--use-fake-ui-for-media-stream"])
        agent = await log_in(browser, base)
        await expect(agent.get_by_test_id("phone-status")).to_have_attribute("data-state", "registered",
                                                                            timeout=20000)
        await agent.click("#btn-login")
        await expect(agent.locator("#state")).to_have_text("空闲", timeout=15000)
        boss = await log_in(browser, base, "supervisor1", "supervisor-pass")
        boss_phone = boss.get_by_test_id("phone-status")
        await expect(boss_phone).to_have_attribute("data-state", "registered", timeout=20000)
        await expect(boss.locator("#phone-identity")).to_have_text("分机 1020")

        await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                           exten="general-zh", caller_id="13800138000 <13800138000>",
                                           variables={"TEST_AUDIO": "monitor-tone", "TEST_DELAY": "0",
                                                      "TEST_HOLD": "40"})
        await expect(agent.get_by_test_id("phone-status")).to_have_attribute("data-state", "ringing",
                                                                            timeout=20000)
        await agent.click("#phone-answer")
        await expect(agent.locator("#state")).to_have_text("通话中", timeout=10000)
        await agent_channel(asterisk, "webrtc-1001")

        listen = boss.locator("#agent-rows button[data-mode=listen]")
        await expect(listen).to_be_visible(timeout=10000)
        await listen.click()
        await expect(boss_phone).to_have_attribute("data-state", "talking", timeout=30000)
        await expect(boss.locator("#banner")).to_contain_text("监听 话务员 李娜")
        assert spy_data(asterisk) == ["PJSIP/webrtc-1001-,qE"]
        await boss.wait_for_function("() => Number(document.getElementById('phone-stats').dataset.rx) > 100 "
                                     "&& Number(document.getElementById('phone-stats').dataset.energy) > 0",
                                     timeout=15000)
        await boss.screenshot(path=str(shots / "supervisor-listening.png"), full_page=True)
        await boss.click("#phone-hangup")
        await expect(boss_phone).to_have_attribute("data-state", "registered", timeout=10000)
        await expect(agent.locator("#state")).to_have_text("通话中")  # the agent's call goes on

        await boss.locator("#agent-rows button[data-mode=barge]").click()
        await expect(boss_phone).to_have_attribute("data-state", "talking", timeout=30000)
        assert spy_data(asterisk) == ["PJSIP/webrtc-1001-,qBE"]
        await agent.click("#phone-hangup")  # the agent's call ends: ChanSpy (option E) ends the supervisor's
        await expect(boss_phone).to_have_attribute("data-state", "registered", timeout=10000)
        await expect(agent.locator("#state")).to_have_text("话后处理", timeout=10000)
        await agent.click("#btn-leave")

        # Both uses are in the audit trail; the supervisor reads its monitoring part (监听记录), in words.
        await boss.get_by_test_id("nav").get_by_text("监听记录").click()
        await expect(boss.locator("h1")).to_have_text("监听记录")
        rows = boss.get_by_test_id("audit").locator("tbody tr")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(0)).to_contain_text("强插通话")
        await expect(rows.nth(1)).to_contain_text("监听通话")
        await expect(rows.nth(0)).to_contain_text("supervisor1")
        await expect(rows.nth(0)).to_contain_text("话务员 李娜（分机 1001）")
        await expect(rows.nth(0)).to_contain_text("浏览器话机 分机 1020")
        await boss.screenshot(path=str(shots / "monitor-audit.png"), full_page=True)
        await browser.close()
