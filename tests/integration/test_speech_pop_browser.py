"""A Mandarin call's words reach the agent's screen pop in Chromium (Whisper has no partial results).

Everything real: the resident's Local-channel call into the product menu on the real Asterisk, the AISHELL-1
recording said to "say your request", Whisper's one final result per utterance on the bus, the read-back
confirmed, the general queue ringing agent1's member interface (a Local channel standing in for the phone),
and the console's live hub folding the transcript into the pop that agent1 sees.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import async_playwright, expect

from agent_console.config import ConsoleSettings
from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.speech.check import MANDARIN_RECORDING, MANDARIN_REFERENCE, cer
from ivr.speech.component import build_speech
from ivr.speech.install import install
from ivr.testcall import BusSteps, SpokenRequest, TestCaller, parse_moves
from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.browser import CHROMIUM_ARGS, keep
from tests.integration.browser import shot as save_shot
from tests.integration.test_ivr_calls import RESIDENT, SHANGHAI, WORKING, menus, sounds  # noqa: F401

pytestmark = [pytest.mark.asterisk, pytest.mark.browser, pytest.mark.postgres, pytest.mark.speech,
              pytest.mark.timeout(300)]


class _Services:
    def __init__(self, bus, factory) -> None:
        self.bus = bus
        self.session_factory = factory


async def test_a_mandarin_callers_words_reach_the_agents_pop(make_app, serve, asterisk, ami_bridge, bus,  # noqa: F811
                                                             session_factory, dataset, menus, sounds):  # noqa: F811
    if not MANDARIN_RECORDING.is_file():
        pytest.skip(f"{MANDARIN_RECORDING} is not there (shared test data)")
    settings = asterisk.settings(speech_engines="zh=whisper,en=whisper", speech_trailing_silence=0.8,
                                 qa_transcribe_workers=0)
    await asyncio.to_thread(install, settings.whisper_model)
    speech = build_speech(settings, _Services(bus, session_factory))
    services = IvrServices(session_factory, dataset, case_prefix="FT", clock=fixed_clock(WORKING, SHANGHAI),
                           speech=speech.service)
    host, port = asterisk.agi
    server = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir),
                       host=host, port=port)
    console = ConsoleSettings(interface_template="Local/agent@hotline-test/n", check_registration=False,
                              queues=["general-zh"], command_timeout=10, wrapup_seconds=5)
    app, _console, _none = make_app(bus=bus, with_bridge=False, settings_=console)
    base = await serve(app)
    await speech.start()
    await server.start()
    caller = TestCaller(ami_bridge.actions, BusSteps(bus), menus["hotline"], prompts_dir=asterisk.prompts_dir,
                        test_audio_dir=asterisk.test_audio_dir)
    name = await asyncio.to_thread(SpokenRequest(file=MANDARIN_RECORDING).prepare, asterisk.test_audio_dir)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1400, "height": 900},
                                                    locale="zh-CN")).new_page()
            await page.goto(f"{base}/console/login")
            await page.fill("input[name=username]", "agent1")
            await page.fill("input[name=password]", "agent-pass")
            await page.click("button[type=submit]")
            await page.click("#btn-login")
            await expect(page.locator("#state")).to_have_text("空闲", timeout=15000)
            call = asyncio.create_task(caller.call(parse_moves(["1", f"say:{name}"]), caller_id=RESIDENT,
                                                   limit=150))
            await expect(page.locator("#pop-queue")).to_contain_text("综合服务（普通话）", timeout=90000)
            transcript = page.get_by_test_id("pop-transcript")
            await expect(transcript).to_contain_text("交易", timeout=10000)
            said = await transcript.inner_text()
            assert cer(MANDARIN_REFERENCE, said.strip()) <= 0.10, said
            await page.screenshot(path=save_shot("pop-mandarin-transcript.png"), full_page=True)
            keep("pop-mandarin-transcript.png")
            report = await call
            assert report.path[-1][0] == "operator", report.lines()
        finally:
            await browser.close()
            await server.stop()
            await speech.stop()
