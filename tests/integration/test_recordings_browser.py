"""Recordings in the console: the pop's history plays an earlier call and the after-hours voice message.

Debian's Chromium (Playwright), PostgreSQL, the console over real HTTP. A resident called yesterday (the
call was recorded and linked to a case) and left a voice message after hours (the IVR's case with the
recording attached). When they call again, the agent's pop lists both cases with players: each <audio>
element loads through the case media endpoint (range requests), reaches HAVE_CURRENT_DATA and plays
(currentTime advances). Agents play but cannot download (403, Chinese message); a supervisor downloads
from the case page; plays and downloads are in the audit trail.
"""

from __future__ import annotations

import math
import struct
import wave
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect
from sqlalchemy import select

from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
)
from tests.integration.test_browser_phone import BASE_ARGS, SHOTS, log_in
from ticketing.audit.models import AccessRecord
from ticketing.bus import contract as ct
from ticketing.call.models import Call
from ticketing.case import service as cases
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
RESIDENT = "13800138123"
PLAYS = """(audio) => new Promise((done) => {
    const give = (what) => done({what, ready: audio.readyState, time: audio.currentTime});
    setTimeout(() => give("timeout"), 15000);
    audio.addEventListener("error", () => give("error " + (audio.error && audio.error.code)));
    audio.addEventListener("timeupdate", () => { if (audio.currentTime > 0.3) give("playing"); });
    audio.play().catch((err) => give("refused " + err.name));
})"""


def tone_wav(path: Path, seconds: float = 3.0, rate: int = 8000) -> Path:
    """Write a 16-bit mono 440 Hz WAV like Asterisk's recordings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
                for n in range(int(seconds * rate))
            )
        )
    return path


def earlier_cases(session, data, var_dir: Path) -> tuple[str, str]:
    """A recorded call with its case, and an after-hours voice message case, of the same resident."""
    called = intake(
        session,
        data,
        CaseCreate(description="楼道灯坏了一个星期，晚上看不见", caller_phone=RESIDENT, category=None),
        "agent1",
    )
    yesterday = utcnow() - timedelta(days=1)
    call = Call(
        linkedid=f"rec-{called.number}",
        caller="+86" + RESIDENT,
        started_at=yesterday,
        agent="PJSIP/1001",
        outcome="answered",
        status="ended",
        ended_at=yesterday + timedelta(minutes=2),
        recording=str(tone_wav(var_dir / "recordings" / f"rec-{called.number}.wav")),
    )
    session.add(call)
    session.flush()
    cases.link_call(session, called, call.linkedid)
    message = intake(
        session,
        data,
        CaseCreate(description="市民夜间留言：小区门口垃圾没人清运", caller_phone=RESIDENT, category=None),
        "ivr",
    )
    cases.add_attachment(
        session,
        message,
        "recording",
        path=str(tone_wav(var_dir / "recordings" / f"msg-{message.number}.wav")),
    )
    return called.number, message.number


async def test_the_pop_history_plays_an_earlier_call_and_the_voice_message(make_app, serve, dataset,  # noqa: F811
                                                                           tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))  # the media root the endpoints serve from
    app, console, _bridge = make_app()
    base = await serve(app)
    with session_scope(console.session_factory) as session:
        called, message = earlier_cases(session, dataset, tmp_path)
    shots = SHOTS / "recordings"
    shots.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[*BASE_ARGS, "--autoplay-policy=no-user-gesture-required"],
        )
        agent = await log_in(browser, base)
        await agent.select_option("#extension", "1001")
        await agent.click("#btn-login")
        await expect(agent.locator("#state")).to_have_text("空闲", timeout=15000)
        await console.bus.publish_event(
            ct.CallOffered(linkedid="again-1", queue="general-zh", agent="PJSIP/1001", caller=RESIDENT)
        )
        history = agent.get_by_test_id("pop-history")
        await expect(history).to_contain_text(called, timeout=10000)
        players = agent.get_by_test_id("history-audio")
        await expect(players).to_have_count(2)
        await expect(history).to_contain_text("通话录音")
        await expect(history).to_contain_text("市民留言录音")
        for kind in ("call", "message"):
            audio = agent.locator(f"[data-testid=history-audio][data-kind={kind}]")
            assert await audio.get_attribute("controlslist") == "nodownload"
            result = await audio.evaluate(PLAYS)
            assert result["what"] == "playing" and result["ready"] >= 2 and result["time"] > 0.3, result
        await agent.screenshot(path=str(shots / "pop-history-playing.png"), full_page=True)
        assert await history.locator("a", has_text="下载").count() == 0

        src = await agent.locator("[data-testid=history-audio][data-kind=message]").get_attribute("src")
        part = await agent.request.get(base + src, headers={"Range": "bytes=100-199"})
        assert part.status == 206 and part.headers["content-range"].startswith("bytes 100-199/")
        refused = await agent.request.get(base + src + "?download=1")
        assert refused.status == 403 and "不能下载" in await refused.text()

        # A supervisor downloads the call's recording from the case page: a file, audited.
        boss = await log_in(browser, base, "supervisor1", "supervisor-pass")
        await boss.goto(f"{base}/console/cases/{called}")
        await expect(boss.get_by_test_id("call-audio")).to_have_count(1)
        await expect(boss.get_by_test_id("media")).to_contain_text("话务员 李娜（分机 1001）")
        async with boss.expect_download() as info:
            await boss.get_by_test_id("call-download").click()
        download = await info.value
        assert download.suggested_filename.endswith(".wav")
        await boss.screenshot(path=str(shots / "case-page-download.png"), full_page=True)
        await browser.close()

    with session_scope(console.session_factory) as session:
        trail = session.execute(
            select(AccessRecord.username, AccessRecord.action, AccessRecord.case_number).where(
                AccessRecord.case_number.in_([called, message])
            )
        ).all()
    assert ("agent1", "play-recording", called) in trail
    assert ("agent1", "play-recording", message) in trail
    assert ("supervisor1", "download-recording", called) in trail
