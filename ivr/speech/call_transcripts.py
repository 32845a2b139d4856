"""Call transcripts for quality review: after a recorded call ends, each side is transcribed in the
background and stored with the call (ticketing.qa), searchable by reviewers.

The dial plan's MixMonitor writes the mixed recording and, beside it, what the resident said
(`<linkedid>-caller.wav`, r()) and what the resident heard (`-agent.wav`, t(): IVR prompts and the
agent). One worker thread by default (`HOTLINE_QA_TRANSCRIBE_WORKERS`) decodes them one after the other,
separate from the live listens' pool, with a bounded backlog: live calls are never slowed by it, and a
backlog that overflows is logged and dropped, never queued without end.

A survey call (回访) that ended with a spoken comment has that comment transcribed first, by the same
workers: the text is kept on the callback task and under the comment's audio on the case page, beside the
rating in the case's timeline.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ivr.speech.transcribe import AudioFileError, transcribe_file
from ticketing.bus import Envelope
from ticketing.bus.contract import CallEnded
from ticketing.call import service as calls
from ticketing.callback import service as callbacks
from ticketing.database.core import session_scope
from ticketing.qa import service as qa

log = logging.getLogger(__name__)


SIDE_SUFFIXES = (("caller", "-caller"), ("agent", "-agent"))
COMMENT_WAIT_SECONDS = 5.0  # the IVR saves the comment as the call ends: the event may come first


def side_files(recording: Path) -> list[tuple[str, Path]]:
    """The per-side files beside a mixed recording, or the mixed one alone when there are none (pure IO)."""
    found = [(side, recording.with_name(f"{recording.stem}{suffix}{recording.suffix}"))
             for side, suffix in SIDE_SUFFIXES]
    found = [(side, path) for side, path in found if path.is_file()]
    return found or ([("mixed", recording)] if recording.is_file() else [])


class CallTranscriber:
    """Bus handler on Streams.CALLS: transcribe each ended, recorded call once, off the live path."""

    def __init__(self, engines, session_factory, *, workers: int = 1, backlog: int = 20) -> None:
        self.engines = engines
        self.session_factory = session_factory
        self.executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="qa-transcribe")
        self.slots = asyncio.Semaphore(max(1, workers) + backlog)
        self.tasks: set[asyncio.Task] = set()

    async def on_call_event(self, envelope: Envelope) -> None:
        """Start the transcription of an ended call in the background (the bus is not held up)."""
        if envelope.type != CallEnded.TYPE:
            return
        if self.slots.locked():
            log.warning("call %s not transcribed for review: %d calls already waiting", envelope.key,
                        self.slots._value)
            return
        task = asyncio.create_task(self._transcribe_call(envelope.key))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _transcribe_call(self, linkedid: str) -> None:
        async with self.slots:
            loop = asyncio.get_running_loop()
            try:
                comment = await asyncio.to_thread(self._comment_of, linkedid)
                if comment is not None:
                    await loop.run_in_executor(self.executor, self.transcribe_comment, *comment)
                recording, language = await asyncio.to_thread(self._recording_of, linkedid)
                if recording is None:
                    return
                await loop.run_in_executor(self.executor, self.transcribe_now, linkedid, recording, language)
            except Exception:
                log.exception("transcribing call %s for review failed", linkedid)

    def _comment_of(self, linkedid: str) -> tuple[int, Path, str] | None:
        """(task id, audio, language) of a survey call's spoken comment not transcribed yet, else None."""
        deadline = time.monotonic() + COMMENT_WAIT_SECONDS
        while True:
            with self.session_factory() as session:
                task = callbacks.task_of_linkedid(session, linkedid)
                if task is None or task.comment_text:
                    return None
                if task.comment_path:
                    call = calls.get_by_linkedid(session, linkedid)
                    return task.id, Path(task.comment_path), (call.language if call else None) or "zh"
                if time.monotonic() > deadline:
                    return None  # no comment left
            time.sleep(0.25)

    def transcribe_comment(self, task_id: int, path: Path, language: str) -> str | None:
        """Decode a survey comment and keep its text on the task and the case (blocking)."""
        if not self.engines.supports(language):
            log.info("survey comment of task %s (%s) not transcribed: no engine for its language", task_id,
                     language)
            return None
        try:
            result = transcribe_file(self.engines, path, language=language, background=True)
        except AudioFileError as err:
            log.error("survey comment of task %s not transcribed: %s", task_id, err)
            return None
        with session_scope(self.session_factory) as session:
            callbacks.store_comment_transcript(session, callbacks.get(session, task_id), result.text)
        log.info("survey comment of task %s transcribed (%d characters)", task_id, len(result.text))
        return result.text

    def _recording_of(self, linkedid: str) -> tuple[Path | None, str | None]:
        """The call's recording once the recorder has stored it (it may lag the event a little)."""
        with self.session_factory() as session:
            call = calls.get_by_linkedid(session, linkedid)
            if call is None or not call.recording:
                return None, None
            return Path(call.recording), call.language

    def transcribe_now(self, linkedid: str, recording: Path, language: str | None) -> int:
        """Decode each side and store it (blocking); return how many sides were stored."""
        language = language or "zh"
        if not self.engines.supports(language):
            log.info("call %s (%s) not transcribed for review: no engine for its language", linkedid,
                     language)
            return 0
        stored = 0
        for side, path in side_files(recording):
            try:
                result = transcribe_file(self.engines, path, language=language, background=True)
            except AudioFileError as err:
                log.error("call %s: %s side not transcribed: %s", linkedid, side, err)
                continue
            engine = self.engines.engine(language)
            with session_scope(self.session_factory) as session:
                qa.store_transcript(session, linkedid, side, result.text, language=language,
                                    engine=getattr(engine, "name", ""), recording=str(path))
            stored += 1
        log.info("call %s transcribed for review (%d sides)", linkedid, stored)
        return stored

    async def stop(self) -> None:
        """Let running transcriptions finish their current file; drop the rest."""
        for task in list(self.tasks):
            task.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)
