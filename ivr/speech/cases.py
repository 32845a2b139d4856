"""Open a case from a confirmed spoken request (synchronous: call with asyncio.to_thread)."""

from __future__ import annotations

import logging

from ivr.agi.services import ACTOR, IvrServices, _phone_or_none
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope

log = logging.getLogger(__name__)


def open_spoken_case(services: IvrServices, text: str, *, caller: str, category: str, linkedid: str) -> str:
    """Open a phone case whose description is the caller's words, in the confirmed category."""
    data = CaseCreate(channel="phone", description=text, caller_phone=_phone_or_none(caller),
                      category=category, linkedid=linkedid or None)
    with session_scope(services.session_factory) as session:
        case = intake(session, services.dataset, data, ACTOR, now=services.clock(),
                      prefix=services.case_prefix)
        number = case.number
    log.info("spoken request on call %s opened case %s (%s)", linkedid, number, category)
    return number
