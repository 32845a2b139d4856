"""The console's browser phone in Debian's Chromium with fake audio devices against the real Asterisk.

The page registers over WSS (the instance's generated certificate) as webrtc-1001, signs in to a queue,
rings and answers a Local-channel resident's call; media is DTLS-SRTP through Asterisk. Audio both ways
is proven from what Asterisk recorded of the browser's leg (MixMonitor r/t files: the fake microphone's
1000 Hz tone came in, the resident's 440 Hz tone went out) and from the browser's own RTP counters.
Bad input: a wrong password, a second registration of the same extension, a denied microphone.
"""

from __future__ import annotations

import asyncio
import math
import re
import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from playwright.async_api import async_playwright, expect

from agent_console.config import ConsoleSettings
from ivr.asterisk.webrtc import BrowserPhones
from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.postgres]
SHOTS = Path("test-artifacts/screenshots")
BASE_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--use-fake-device-for-media-stream"]
MIC_HZ, CALLER_HZ = 1000, 440


def write_tone(path: Path, hz: int, seconds: float, rate: int) -> Path:
    """Write a 16-bit mono sine tone WAV."""
    frames = b"".join(struct.pack("<h", int(9000 * math.sin(2 * math.pi * hz * n / rate)))
                      for n in range(int(seconds * rate)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def tone_share(path: Path, hz: int) -> float:
    """Return the share of a recording's spectral energy within 30 Hz of `hz` (0 when silent)."""
    with wave.open(str(path)) as rec:
        rate = rec.getframerate()
        samples = np.frombuffer(rec.readframes(rec.getnframes()), dtype="<i2").astype(float)
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    total = spectrum[freqs > 50].sum()
    return float(spectrum[np.abs(freqs - hz) < 30].sum() / total) if total else 0.0


def phone_settings() -> ConsoleSettings:
    return ConsoleSettings(queues=["general-zh"], command_timeout=10, wrapup_seconds=5, registration_wait=3)


async def open_console(make_app, serve, asterisk, bus):  # noqa: F811 - the fixture, passed on
    app, console, _none = make_app(bus=bus, with_bridge=False, settings_=phone_settings())
    console.phones = BrowserPhones(asterisk.instance)
    return await serve(app)


async def log_in(browser, base: str, username: str = "agent1", password: str = "agent-pass"):
    context = await browser.new_context(viewport={"width": 1366, "height": 1000}, locale="zh-CN",
                                        ignore_https_errors=True)  # the instance's self-signed certificate
    page = await context.new_page()
    await page.goto(f"{base}/console/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")
    return page


def contacts(asterisk, endpoint: str) -> list[str]:
    return re.findall(rf"Contact:\s+{endpoint}/\S+", asterisk.cli(f"pjsip show aor {endpoint}"))


async def wait_contacts(asterisk, endpoint: str, count: int, within: float = 10.0) -> list[str]:
    deadline = time.monotonic() + within
    while (found := contacts(asterisk, endpoint)) and len(found) != count or (not found and count):
        if time.monotonic() > deadline:
            raise AssertionError(f"{endpoint} has contacts {found}, expected {count}")
        await asyncio.sleep(0.2)
    return found


async def agent_channel(asterisk, endpoint: str, within: float = 10.0) -> str:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = re.search(rf"(PJSIP/{endpoint}-[0-9a-f]+)", asterisk.cli("core show channels concise"))
        if found:
            return found.group(1)
        await asyncio.sleep(0.1)
    raise AssertionError(f"no channel of {endpoint}")


async def test_browser_phone_answers_a_queued_call_with_audio_both_ways(make_app, serve, asterisk,  # noqa: F811
                                                                       ami_bridge, bus, tmp_path):
    base = await open_console(make_app, serve, asterisk, bus)
    mic = write_tone(tmp_path / "mic.wav", MIC_HZ, 4.0, 48000)
    write_tone(asterisk.test_audio_dir / "caller-tone.wav", CALLER_HZ, 30.0, 8000)
    shots = SHOTS / "browser-phone"
    shots.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[*BASE_ARGS, "--use-fake-ui-for-media-stream", f"--use-file-for-fake-audio-capture={mic}"])
        page = await log_in(browser, base)
        status = page.get_by_test_id("phone-status")
        await expect(status).to_have_attribute("data-state", "registered", timeout=20000)
        await expect(status).to_have_text("已注册")
        assert len(await wait_contacts(asterisk, "webrtc-1001", 1)) == 1
        await page.screenshot(path=str(shots / "registered.png"), full_page=True)

        await page.click("#btn-login")
        await expect(page.locator("#state")).to_have_text("空闲", timeout=15000)
        assert "PJSIP/webrtc-1001" in asterisk.cli("queue show general-zh")

        originated = time.monotonic()
        await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                           exten="general-zh", caller_id="13800138000 <13800138000>",
                                           variables={"TEST_AUDIO": "caller-tone", "TEST_DELAY": "0",
                                                      "TEST_HOLD": "30",
                                                      "CHANNEL(language)": "zh"})  # as the IVR sets it
        await expect(status).to_have_attribute("data-state", "ringing", timeout=20000)
        rang = time.monotonic() - originated
        await expect(page.get_by_test_id("phone-peer")).to_contain_text("13800138000")
        await expect(page.locator("#pop-language")).to_have_text("普通话")  # the channel language
        await page.screenshot(path=str(shots / "ringing.png"), full_page=True)
        await page.click("#phone-answer")
        await expect(status).to_have_attribute("data-state", "talking", timeout=10000)
        answered = time.monotonic() - originated
        channel = await agent_channel(asterisk, "webrtc-1001")
        stem = f"browser-leg-{int(time.time())}"
        await ami_bridge.actions.mixmonitor(channel, f"{stem}.wav", f"r({stem}-in.wav)t({stem}-out.wav)")
        await expect(page.locator("#state")).to_have_text("通话中", timeout=10000)
        stats = page.get_by_test_id("phone-stats")
        await page.wait_for_function("() => Number(document.getElementById('phone-stats').dataset.rx) > 150 "
                                     "&& Number(document.getElementById('phone-stats').dataset.tx) > 150",
                                     timeout=15000)
        assert "SRTP" in asterisk.cli(f"core show channel {channel}").upper() or \
            "dtls" in asterisk.cli("pjsip show endpoint webrtc-1001")
        await page.screenshot(path=str(shots / "talking.png"), full_page=True)

        await page.click("#phone-mute")
        await expect(page.locator("#phone-mute")).to_have_text("取消静音")
        await page.click("#phone-mute")
        await page.click("#phone-hold")
        await expect(status).to_have_attribute("data-state", "held", timeout=10000)
        await page.click("#phone-hold")
        await expect(status).to_have_attribute("data-state", "talking", timeout=10000)
        await page.click("#phone-keypad button[data-digit='5']")

        energy = float(await stats.get_attribute("data-energy"))
        await page.click("#phone-hangup")
        await expect(status).to_have_attribute("data-state", "registered", timeout=10000)
        await expect(page.locator("#state")).to_have_text("话后处理", timeout=10000)
        await page.click("#btn-leave")
        await browser.close()

    heard_in = asterisk.recordings_dir / f"{stem}-in.wav"
    sent_out = asterisk.recordings_dir / f"{stem}-out.wav"
    for _ in range(50):
        if heard_in.exists() and sent_out.exists():
            break
        await asyncio.sleep(0.1)
    mic_share, caller_share = tone_share(heard_in, MIC_HZ), tone_share(sent_out, CALLER_HZ)
    print(f"browser phone: rang {rang * 1000:.0f} ms and answered {answered * 1000:.0f} ms after Originate; "
          f"mic tone {mic_share:.2f}, caller tone {caller_share:.2f}, browser energy {energy:.3f}")
    assert mic_share > 0.5, "the browser's microphone tone is not in what Asterisk received"
    assert caller_share > 0.5, "the resident's tone is not in what Asterisk sent the browser"
    assert energy > 0, "the browser played no audio"


async def test_wrong_password_is_refused_and_a_second_registration_takes_over(make_app, serve,  # noqa: F811
                                                                              asterisk, bus):
    base = await open_console(make_app, serve, asterisk, bus)
    shots = SHOTS / "browser-phone"
    shots.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                   args=[*BASE_ARGS, "--use-fake-ui-for-media-stream"])
        page = await log_in(browser, base, "agent2")
        status = page.get_by_test_id("phone-status")
        await expect(status).to_have_attribute("data-state", "registered", timeout=20000)
        first = await wait_contacts(asterisk, "webrtc-1002", 1)

        # A WebSocket client with a wrong password (through the console relay): Asterisk refuses it.
        account = {"ws": base.replace("http", "ws", 1) + "/console/phone/ws", "domain": asterisk.address}
        cause = await page.evaluate("""(a) => new Promise((done) => {
            setTimeout(() => done("no answer in 30 s"), 30000);
            const ua = new JsSIP.UA({sockets: [new JsSIP.WebSocketInterface(a.ws)],
                                     uri: `sip:webrtc-1002@${a.domain}`, password: "wrong", register: true});
            ua.on("registrationFailed", (e) => { ua.stop(); done(e.cause); });
            ua.on("registered", () => { ua.stop(); done("registered"); });
            ua.start(); })""", account)
        assert cause == "Authentication Error"
        assert await wait_contacts(asterisk, "webrtc-1002", 1) == first

        # The same extension registered from a second browser: the newest wins, one contact stays.
        other = await log_in(browser, base, "agent2")
        await expect(other.get_by_test_id("phone-status")).to_have_attribute("data-state", "registered",
                                                                            timeout=20000)
        await expect(status).to_have_attribute("data-state", "failed", timeout=10000)
        await expect(status).to_have_text("话机已在另一个窗口使用")
        second = await wait_contacts(asterisk, "webrtc-1002", 1)
        assert second != first
        await page.screenshot(path=str(shots / "taken-over.png"), full_page=True)

        # The page's own phone given a wrong password says so, in Chinese and in English (this login
        # takes agent2's console over, so it comes last).
        wrong = await (await browser.new_context(locale="zh-CN", ignore_https_errors=True)).new_page()

        async def wrong_password(route):
            answer = await route.fetch()
            await route.fulfill(response=answer, json={**await answer.json(), "password": "wrong"})

        await wrong.route("**/console/phone/account", wrong_password)
        await wrong.goto(f"{base}/console/login")
        await wrong.fill("input[name=username]", "agent2")
        await wrong.fill("input[name=password]", "agent-pass")
        await wrong.click("button[type=submit]")
        await expect(wrong.get_by_test_id("phone-error")).to_have_text("话机注册被拒绝：分机密码错误",
                                                                       timeout=20000)
        await expect(wrong.get_by_test_id("phone-status")).to_have_attribute("data-state", "failed")
        await wrong.click("a.lang[href*='/lang/']")
        await expect(wrong.get_by_test_id("phone-error")).to_have_text(
            "The phone's registration was refused: wrong password", timeout=20000)
        await wrong.screenshot(path=str(shots / "wrong-password-en.png"), full_page=True)
        await wrong.context.close()
        await browser.close()


async def test_a_denied_microphone_is_explained_and_signing_in_refused(make_app, serve, asterisk,  # noqa: F811
                                                                       ami_bridge, bus):
    base = await open_console(make_app, serve, asterisk, bus)
    shots = SHOTS / "browser-phone"
    shots.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        # A browser whose microphone is denied: clear message, no registration, signing in is refused.
        denying = await playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                   args=[*BASE_ARGS, "--deny-permission-prompts"])
        page = await log_in(denying, base, "agent1")
        await expect(page.get_by_test_id("phone-error")).to_contain_text("麦克风权限被拒绝", timeout=15000)
        await expect(page.get_by_test_id("phone-status")).to_have_attribute("data-state", "failed")
        assert not contacts(asterisk, "webrtc-1003")
        await page.select_option("#extension", "1003")
        await page.click("#btn-login")
        await expect(page.locator("#banner")).to_contain_text("未注册", timeout=15000)
        await expect(page.locator("#banner")).to_contain_text("分机 1003")  # the phone in words
        await expect(page.locator("#banner")).not_to_contain_text("PJSIP")
        await expect(page.locator("#state")).to_have_text("离线")
        await page.screenshot(path=str(shots / "microphone-denied.png"), full_page=True)
        await page.click("a.lang[href*='/lang/']")  # the same page in English says the same
        await expect(page.get_by_test_id("phone-error")).to_contain_text("Microphone access was denied",
                                                                         timeout=15000)
        await expect(page.get_by_test_id("phone-status")).to_have_attribute("data-state", "failed")
        await page.screenshot(path=str(shots / "microphone-denied-en.png"), full_page=True)
        await denying.close()
