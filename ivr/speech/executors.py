"""Run the speech node's commands on a call (the IO side of ivr/speech/node.py), registered with the IVR."""

from __future__ import annotations

import asyncio
import logging

from ivr.agi import commands as c
from ivr.agi import session as agi_session
from ivr.agi.protocol import AgiHangup
from ivr.agi.session import PROMPT_ROOT, CallSession
from ivr.speech import node as n
from ivr.speech.cases import open_spoken_case
from ivr.speech.results import ListenReason
from ticketing.bus.contract import RequestConfirmed
from ticketing.routing.suggest import suggest_category

log = logging.getLogger(__name__)

SKIP_KEYS = "0123456789*#"  # any key during the "say your request" prompt means "I'd rather press keys"


async def listen(session: CallSession, cmd: n.Listen) -> n.Heard:
    """Listen through AudioSocket with the prompt playing inside the listen (speech stops it, a key skips
    to the DTMF menu); a prompt the speech server cannot play is played first with STREAM FILE.

    Without a model (or a model for another language) nothing is played: the caller goes straight on.
    """
    speech = getattr(session.services, "speech", None)
    if speech is None or not speech.serves(cmd.language):
        return n.Heard("", ListenReason.NO_MODEL.value)
    prompt = speech.prompt_audio(cmd.language, cmd.prompt)
    if prompt is None:
        key = await _prompt(session, cmd)
        if key:
            log.info("call %s pressed %s during the speech prompt: DTMF menu", session.call.linkedid, key)
            return n.Heard(key, n.KEYED)
    grammar = list(cmd.grammar) if cmd.grammar else None
    result = await speech.listen(session.channel, session.call.linkedid, language=cmd.language,
                                 max_seconds=cmd.max_seconds, grammar=grammar, prompt=prompt or b"")
    return n.Heard(result.text, result.reason.value, result.confidence)


async def _prompt(session: CallSession, cmd: n.Listen) -> str:
    """Play the listen prompt, interruptible by any key; return the key pressed, or ""."""
    sound = f"{PROMPT_ROOT}/{cmd.language}/{cmd.prompt}"
    reply = await session.channel.send(f'STREAM FILE {sound} "{SKIP_KEYS}"', quick=False)
    if reply.result == "-1":
        raise AgiHangup("the caller hung up during the speech prompt")
    code = int(reply.result) if reply.result.isdigit() else 0
    return chr(code) if code > 0 else ""


async def suggest(session: CallSession, cmd: n.SuggestCategory) -> n.CategorySuggested:
    """Suggest a category with the routing engine's keyword index of the district's data set."""
    dataset = session.services.dataset
    found = suggest_category(dataset.categories, cmd.text)
    code = found.code if found else None
    if code is None and cmd.fallback in dataset.categories:
        log.info("call %s: no keyword in %r, fallback category %s", session.call.linkedid, cmd.text,
                 cmd.fallback)
        code = cmd.fallback
    lineage = dataset.ancestors(code)[1:] if code else ()  # the groups above the category
    log.info("call %s: %r suggests category %s (groups %s)", session.call.linkedid, cmd.text, code, lineage)
    return n.CategorySuggested(cmd.text, code, lineage)


async def confirm(session: CallSession, cmd: n.ConfirmCategory) -> n.CategoryConfirmed:
    """Read the category back and collect one key."""
    await session.play(c.Play(cmd.prompts, cmd.language))
    answer = await session.collect(c.Collect(cmd.confirm_prompt, cmd.language, cmd.timeout, 1))
    key = answer.value if isinstance(answer, c.Digits) else ""
    return n.CategoryConfirmed(cmd.text, cmd.code, key, cmd.lineage)


async def tag_call(session: CallSession, cmd: n.TagCall) -> None:
    """Put the confirmed category and transcript on the channel (for the queue) and on the bus."""
    await session.channel.send(f"SET VARIABLE HOTLINE_CATEGORY {cmd.code}")
    await session.channel.send(f'SET VARIABLE HOTLINE_TRANSCRIPT "{_quoted(cmd.text)}"')
    session.bus.emit(RequestConfirmed(linkedid=session.call.linkedid, category=cmd.code, text=cmd.text))


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
    """Teach the IVR's call session to run the speech node's commands (done on import; idempotent)."""
    agi_session.EXECUTORS.update({n.Listen: listen, n.SuggestCategory: suggest, n.ConfirmCategory: confirm,
                                  n.TagCall: tag_call, n.OpenSpokenCase: open_case})


register()  # ivr.agi.session imports this module (PLUGIN_EXECUTOR_MODULES) before running a call



