"""A resident's spoken 回访 comment is transcribed after the survey call, with the call transcripts' workers.

The real survey call through Asterisk (dialer, IVR, the resident keys 3 and speaks the AISHELL-1 Mandarin
recording as the comment), the bridge's call.ended, and the speech component's bounded call-transcript
workers with Whisper: the text is kept on the callback task and under the comment's audio on the case.
"""

from __future__ import annotations

import asyncio

import pytest

from ivr.speech.check import MANDARIN_RECORDING, MANDARIN_REFERENCE, cer
from ivr.speech.component import build_speech
from ivr.speech.install import install
from ivr.testcall import to_8k
from tests.integration.test_ivr_calls import database, dataset, menus, sounds  # noqa: F401
from tests.integration.test_survey_calls import (  # noqa: F401  (fixture)
    AFTER,
    _answered_survey,
    _due_call,
    survey,
)
from ticketing.callback import service as callbacks
from ticketing.case.models import CaseAttachment
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.speech, pytest.mark.timeout(240)]


class _Services:
    def __init__(self, bus, session_factory) -> None:
        self.bus = bus
        self.session_factory = session_factory


@pytest.fixture
async def transcribing(asterisk, bus, database):  # noqa: F811
    """The speech component of `hotline serve` (Whisper; call transcripts on) following the bus."""
    if not MANDARIN_RECORDING.is_file():
        pytest.skip(f"{MANDARIN_RECORDING} is not there (shared test data)")
    settings = asterisk.settings(speech_engines="zh=whisper,en=whisper", qa_transcribe_workers=1)
    await asyncio.to_thread(install, settings.whisper_model)
    speech = build_speech(settings, _Services(bus, database))
    await speech.start()
    yield speech
    await speech.stop()


def _comment(database, task_id):  # noqa: F811
    with session_scope(database) as session:
        task = callbacks.get(session, task_id)
        shown = [a.transcript for a in session.query(CaseAttachment).filter_by(case_id=task.case_id)
                 if a.path == task.comment_path]
        return task.comment_path, task.comment_text, shown


async def test_a_spoken_comment_is_transcribed_and_kept_with_the_rating(
        survey, transcribing, asterisk, database, dataset):  # noqa: F811
    await asyncio.to_thread(to_8k, MANDARIN_RECORDING, asterisk.test_audio_dir / "aishell-comment.wav")
    call = _due_call(database, dataset, AFTER)
    await _answered_survey(survey, call, ["3", "@aishell-comment"])
    for _ in range(240):  # transcribed in the background after call.ended
        path, text, shown = await asyncio.to_thread(_comment, database, call.task_id)
        if text:
            break
        await asyncio.sleep(0.5)
    assert path.endswith(".wav") and cer(MANDARIN_REFERENCE, text) <= 0.10, text
    assert shown == [text]  # under the comment's audio on the case page
