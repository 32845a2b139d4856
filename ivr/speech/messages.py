"""Background transcription of messages the IVR recorded, attached to their cases as searchable text."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy import select

from ivr.speech.engines import EngineSet
from ivr.speech.model import ModelHolder, ModelUnavailable
from ivr.speech.session import Publish
from ivr.speech.transcribe import AudioFileError, transcribe_file
from ticketing.bus import Envelope
from ticketing.bus.contract import IvrCaseOpened, MessageTranscribed, parse
from ticketing.case import service as cases
from ticketing.case.models import CaseAttachment
from ticketing.database.core import session_scope

log = logging.getLogger(__name__)

ACTOR = "speech"


class MessageTranscriber:
    """Bus handler: on `ivr.case_opened` with a recording, transcribe it and attach the transcript."""

    def __init__(self, holder: EngineSet | ModelHolder, session_factory, publish: Publish) -> None:
        self.holder = holder
        self.session_factory = session_factory
        self.publish = publish

    async def on_call_event(self, envelope: Envelope) -> None:
        """Transcribe the message of a case the IVR opened (idempotent: one transcript per recording)."""
        if envelope.type != IvrCaseOpened.TYPE:
            return
        try:
            opened = parse(envelope)
        except ValueError as err:
            log.warning("ignoring %s %s: %s", envelope.type, envelope.id, err)
            return
        if not isinstance(opened, IvrCaseOpened) or not opened.recording:
            return
        case_number, recording = opened.case_number, opened.recording
        language = opened.language or None
        if not self.holder.ready or not self.holder.supports(language):
            log.info("message of case %s (%s) not transcribed: %s", case_number, language, self.holder.error)
            return
        text, confidence = await self.transcribe(Path(recording), language)
        if text is None:
            return
        attached = await asyncio.to_thread(self.attach, case_number, recording, text)
        if attached:
            await self.publish(MessageTranscribed(linkedid=opened.linkedid, case_number=case_number,
                                                  path=recording, text=text, confidence=confidence))

    async def transcribe(self, path: Path, language: str | None = None) -> tuple[str | None, float]:
        """Decode a recording in its own thread (live calls keep the pool); None when unreadable."""
        try:
            result = await asyncio.to_thread(transcribe_file, self.holder, path, language=language,
                                           background=True)
        except (AudioFileError, ModelUnavailable) as err:
            log.error("message %s not transcribed: %s", path, err)
            return None, 0.0
        return result.text, result.confidence

    def attach(self, case_number: str, recording: str, text: str) -> bool:
        """Store the transcript on the case once; False when it was already there."""
        with session_scope(self.session_factory) as session:
            exists = session.scalars(select(CaseAttachment.id).where(
                CaseAttachment.kind == "transcript", CaseAttachment.path == recording)).first()
            if exists is not None:
                return False
            cases.add_attachment(session, case_number, "transcript", path=recording, transcript=text,
                                 actor=ACTOR)
        log.info("message of case %s transcribed (%d characters)", case_number, len(text))
        return True
