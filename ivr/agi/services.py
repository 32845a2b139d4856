"""What the IVR asks of the case service: opening hours, a case's status, a case from a message.

Synchronous (SQLAlchemy); the AGI side calls these with asyncio.to_thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ivr.agi.commands import CaseLookedUp
from ticketing.caller import service as caller_list
from ticketing.case import service as cases
from ticketing.case.flows import intake
from ticketing.case.phone import InvalidPhone, normalize_phone
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope
from ticketing.dataset import Dataset

log = logging.getLogger(__name__)

ACTOR = "ivr"
OWN_CASES = 3  # latest case numbers of the caller kept for the case-status node (it offers the newest)
# A resident's message is worth a short wait: while the database is unreachable (restarting, failing over)
# opening its case is tried again for this long before the caller is told it could not be kept.
MESSAGE_SAVE_PATIENCE = 20.0
MESSAGE_SAVE_RETRY = (0.5, 4.0)  # first and longest pause between tries (seconds; doubling)
# The case's description of a voice message: read by the bureau too, so the caller's number stays in the
# case's caller field (masked for bureaus), never in this text; the language in words, not its code.
MESSAGE_TEXT = {
    "zh": "热线留言（{language}），请听录音。",
    "en": "Voice message left on the hotline ({language}); listen to the recording.",
}
LANGUAGE_WORDS = {"zh": ("普通话", "Mandarin"), "en": ("英语", "English"), "yue": ("粤语", "Cantonese")}


def message_text(language: str) -> str:
    """Describe a voice message left in LANGUAGE, in that language (Chinese for Mandarin and Cantonese)."""
    words = LANGUAGE_WORDS.get(language, ("其他语言", "another language"))
    if language == "en":
        return MESSAGE_TEXT["en"].format(language=words[1])
    return MESSAGE_TEXT["zh"].format(language=words[0])


class IvrServices:
    """Case-service calls the IVR makes, with an injectable clock (tests pin "now" after hours)."""

    def __init__(self, session_factory: sessionmaker[Session], dataset: Dataset, *, case_prefix: str,
                 clock: Callable[[], datetime] | None = None, speech=None) -> None:
        self.session_factory = session_factory
        self.speech = speech  # ivr.speech.api.SpeechService for speech nodes, None = DTMF only
        self.dataset = dataset
        self.case_prefix = case_prefix
        self.clock = clock or (lambda: datetime.now(UTC))

    def is_open(self) -> bool:
        """Tell whether the centre works now (working periods, holidays and make-up days)."""
        return self.dataset.calendar.is_working_time(self.clock())

    def caller_flag(self, caller: str) -> str | None:
        """Return the caller-list kind (abusive, prank) of the caller's number now, None when unmarked."""
        return self.caller_facts(caller, flag=True)[0]

    def caller_facts(self, caller: str, flag: bool = True) -> tuple[str | None, tuple[str, ...]]:
        """Return the caller-list kind of the number now (when FLAG) and its latest case numbers."""
        phone = _phone_or_none(caller)
        if phone is None:
            return None, ()
        with session_scope(self.session_factory) as session:
            marked = caller_list.active(session, phone, self.clock()) if flag else None
            numbers = cases.numbers_of_caller(session, phone, OWN_CASES)
            return (marked.kind if marked is not None else None), tuple(numbers)

    def lookup_case(self, number: str) -> CaseLookedUp:
        """Return a case's status and bureau code, or found=False."""
        with session_scope(self.session_factory) as session:
            case = cases.get_by_number(session, number)
            if case is None:
                return CaseLookedUp(number=number, found=False)
            bureau = case.bureau.code if case.bureau else ""
            return CaseLookedUp(number=number, found=True, status=case.status, bureau=bureau)

    def open_message_case(self, recording: str, *, caller: str, language: str, category: str | None,
                          linkedid: str, patience: float = MESSAGE_SAVE_PATIENCE) -> str:
        """Open a phone case for a recorded message, attach the recording, return the case number.

        A database that cannot be reached is tried again for `patience` seconds (the transaction either
        committed or not: a connection refused or cut before the commit leaves nothing behind).
        """
        deadline = time.monotonic() + patience
        pause, longest = MESSAGE_SAVE_RETRY
        while True:
            try:
                return self._open_message_case(recording, caller=caller, language=language,
                                               category=category, linkedid=linkedid)
            except (OperationalError, InterfaceError) as err:
                if time.monotonic() + pause > deadline:
                    raise
                log.warning("database unreachable while saving the message of call %s (%s); trying again "
                            "in %.1f s", linkedid, type(err.orig).__name__ if err.orig else err, pause)
                time.sleep(pause)
                pause = min(pause * 2, longest)

    def _open_message_case(self, recording: str, *, caller: str, language: str, category: str | None,
                           linkedid: str) -> str:
        phone = _phone_or_none(caller)
        data = CaseCreate(channel="phone", description=message_text(language), caller_phone=phone,
                          category=category, linkedid=linkedid or None)
        with session_scope(self.session_factory) as session:
            case = intake(session, self.dataset, data, ACTOR, now=self.clock(), prefix=self.case_prefix)
            cases.add_attachment(session, case, "recording", path=recording, actor=ACTOR)
            number = case.number  # its case.created goes out through the outbox (flows.intake)
        log.info("message from %s on call %s opened case %s", caller or "unknown", linkedid, number)
        return number


def _phone_or_none(caller: str) -> str | None:
    """Return the caller's number when it is a real phone number (test and withheld callers are not)."""
    try:
        return normalize_phone(caller) if caller else None
    except InvalidPhone:
        return None
