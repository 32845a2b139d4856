"""Quality review (质检) in Debian's Chromium: qa1 opens a transcribed call, hears it, scores it."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import expect
from sqlalchemy import select, update

from ivr.speech.check import MANDARIN_RECORDING
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
from ticketing.audit.models import AccessRecord
from ticketing.call import service as calls
from ticketing.call.models import Call
from ticketing.database.core import session_scope
from ticketing.qa import service as qa

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
SCREENS = Path("/work/screens/mandarin")
T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


def _keep_screens() -> None:
    """Copy the screenshots to the shared screens folder when it exists (the development machine)."""
    if SCREENS.is_dir():
        for name in ("qa-review.png", "qa-scored.png"):
            shutil.copy(SHOTS / name, SCREENS / name)


def _transcribed_call(factory, recording: Path, linkedid: str) -> None:
    with session_scope(factory) as session:
        calls.start(session, linkedid, T0, caller="13800138000", dialled="12345", language="zh")
        calls.connected(session, linkedid, T0, queue="general-zh", agent="PJSIP/1001", hold_seconds=3)
        calls.end(session, linkedid, T0.replace(minute=3), cause="Normal Clearing", recording=str(recording))
        qa.store_transcript(session, linkedid, "caller", "甚至出现交易几乎停制的情况", language="zh",
                            engine="whisper")
        qa.store_transcript(session, linkedid, "agent", "您好12345热线请讲", language="zh", engine="whisper")


async def test_reviewer_hears_the_call_reads_both_sides_and_scores_it(make_app, serve, browser,  # noqa: F811
                                                                       session_factory, tmp_path,  # noqa: F811
                                                                       monkeypatch):
    monkeypatch.setenv("HOTLINE_VAR_DIR", str(tmp_path))  # the media root the recording is served from
    if not MANDARIN_RECORDING.is_file():
        pytest.skip(f"{MANDARIN_RECORDING} is not there (shared test data)")
    recording = Path(shutil.copy(MANDARIN_RECORDING, tmp_path / "call.wav"))
    linkedid = f"qa-{tmp_path.name[-8:]}"
    _transcribed_call(session_factory, recording, linkedid)
    app, _console, _bridge = make_app(with_bridge=False)
    base = await serve(app)
    page = await log_in(browser, base, "qa1", "qa-pass")
    assert page.url.endswith("/console/qa")  # a reviewer lands on the calls to review
    await expect(page.locator("[data-testid=qa-sample]")).to_contain_text("话务员 李娜")
    await page.fill("[data-testid=qa-q]", "交易")
    await page.click("text=搜索通话文字 >> nth=-1")
    await expect(page.locator("[data-testid=qa-found]")).to_contain_text("甚至出现交易几乎停制的情况")
    await page.goto(f"{base}/console/qa/{linkedid}")
    await expect(page.locator("[data-testid=qa-transcripts]")).to_contain_text("来电人")
    await expect(page.locator("[data-testid=qa-transcripts]")).to_contain_text("您好12345热线请讲")
    audio = await page.request.get(f"{base}/console/qa/{linkedid}/recording", headers={"Range": "bytes=0-99"})
    assert audio.status == 206 and len(await audio.body()) == 100
    played = await page.request.get(f"{base}/console/qa/{linkedid}/recording", headers={"Range": "bytes=0-"})
    assert played.status == 206  # the player starting from the top: one play, audited once
    with session_factory() as session:  # the reviewer's listening is in the audit trail
        heard = session.scalars(select(AccessRecord).where(AccessRecord.target == f"call:{linkedid}")).all()
        assert [(r.username, r.action) for r in heard] == [("qa1", "play-recording")]
    await page.select_option("[data-testid=score-time-promise]", "0")
    await page.screenshot(path=str(SHOTS / "qa-review.png"), full_page=True)
    await page.click("[data-testid=qa-save]")
    await expect(page.locator("[data-testid=qa-total]")).to_contain_text("8 / 10")
    await page.screenshot(path=str(SHOTS / "qa-scored.png"), full_page=True)
    _keep_screens()
    await page.goto(f"{base}/console/lang/en?back=/console/qa/{linkedid}")  # the English page, in English
    await expect(page.locator("[data-testid=qa-call] h1")).to_contain_text("(Extension 1001)")
    await expect(page.locator("[data-testid=qa-form]")).to_contain_text("Tells the resident the time limit")
    assert not re.search(r"分机|告知", await page.locator("main").inner_text())
    with session_factory() as session:
        assert ("PJSIP/1001", 1, 0.8) in qa.agent_scores(session)
    agent = await log_in(browser, base, "agent1", "agent-pass")
    refused = await agent.request.get(f"{base}/console/qa/{linkedid}/recording")
    assert refused.status == 403  # recordings are for reviewers only
    outside = Path(shutil.copy(MANDARIN_RECORDING, tmp_path.parent / f"{linkedid}-outside.wav"))
    with session_factory() as session:
        session.execute(update(Call).where(Call.linkedid == linkedid).values(recording=str(outside)))
        session.commit()
    stray = await page.request.get(f"{base}/console/qa/{linkedid}/recording")
    assert stray.status == 404  # only files under the media directories are served
