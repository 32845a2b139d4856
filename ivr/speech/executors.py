"""Run the speech node's commands on a call (the IO side of ivr/speech/node.py), registered with the IVR."""

from __future__ import annotations

import asyncio
import logging

from ivr.agi import commands as c
from ivr.agi import session as agi_session
from ivr.agi.session import CallSession
from ivr.speech import node as n
from ivr.speech.cases import open_spoken_case
from ivr.speech.events import REQUEST_CONFIRMED
from ivr.speech.results import ListenReason
from ticketing.bus import Streams
from ticketing.routing.suggest import suggest_category

log = logging.getLogger(__name__)


async def listen(session: CallSession, cmd: n.Listen) -> n.Heard:
    """Play the prompt, then listen through AudioSocket (DTMF fallback reasons when speech is off)."""
    speech = getattr(session.services, "speech", None)
    if speech is None or not speech.available:
        return n.Heard("", ListenReason.NO_MODEL.value)
    await session.play(c.Play((cmd.prompt,), cmd.language))
    grammar = list(cmd.grammar) if cmd.grammar else None
    result = await speech.listen(session.channel, session.call.linkedid, language=cmd.language,
                                 max_seconds=cmd.max_seconds, grammar=grammar)
    return n.Heard(result.text, result.reason.value, result.confidence)


async def suggest(session: CallSession, cmd: n.SuggestCategory) -> n.CategorySuggested:
    """Suggest a category: the node's own keywords first, then the routing engine's keyword index."""
    code = n.match_keywords(cmd.text, cmd.keywords)
    if code is None:
        found = suggest_category(session.services.dataset.categories, cmd.text)
        code = found.code if found else None
    log.info("call %s: %r suggests category %s", session.call.linkedid, cmd.text, code)
    return n.CategorySuggested(cmd.text, code)


async def confirm(session: CallSession, cmd: n.ConfirmCategory) -> n.CategoryConfirmed:
    """Read the category back and collect one key."""
    await session.play(c.Play(cmd.prompts, cmd.language))
    answer = await session.collect(c.Collect(cmd.confirm_prompt, cmd.language, cmd.timeout, 1))
    key = answer.value if isinstance(answer, c.Digits) else ""
    return n.CategoryConfirmed(cmd.text, cmd.code, key)


async def tag_call(session: CallSession, cmd: n.TagCall) -> None:
    """Put the confirmed category and transcript on the channel (for the queue) and on the bus."""
    await session.channel.send(f"SET VARIABLE HOTLINE_CATEGORY {cmd.code}")
    await session.channel.send(f'SET VARIABLE HOTLINE_TRANSCRIPT "{_quoted(cmd.text)}"')
    data = {"linkedid": session.call.linkedid, "category": cmd.code, "text": cmd.text}
    await session.bus.publish(Streams.TRANSCRIPTS, REQUEST_CONFIRMED, session.call.linkedid, data)


async def open_case(session: CallSession, cmd: n.OpenSpokenCase) -> c.CaseCreated:
    """Open a case described by the transcript, in the confirmed category."""
    call = session.call
    try:
        number = await asyncio.to_thread(open_spoken_case, session.services, cmd.text, caller=call.caller,
                                         category=cmd.code, linkedid=call.linkedid)
    except Exception:
        log.exception("opening a case from the request of call %s failed", call.linkedid)
        return c.CaseCreated(number=None)
    return c.CaseCreated(number=number)


def _quoted(text: str) -> str:
    return text.replace("\\", "").replace('"', "'").replace("\n", " ")


def register() -> None:
    """Teach the IVR's call session to run the speech node's commands."""
    agi_session.EXECUTORS.update({n.Listen: listen, n.SuggestCategory: suggest, n.ConfirmCategory: confirm,
                                  n.TagCall: tag_call, n.OpenSpokenCase: open_case})
    # The session publishes a node's steps just before its last command when that command asks the caller.
    c.ASKS = (*c.ASKS, *(k for k in n.ASKING if k not in c.ASKS))



