"""IVR node "say your request" (type `speech_request`): listen, suggest a category, confirm by key (pure).

prompt → listen → category from the transcript → read back ("您反映的是 <category>") → confirm key
("确认请按1，重新说请按2") → `mode: queue` tags the call and goes to `next` (a queue node), `mode: case`
opens a case with the transcript. Busy, no model, errors → `on_fail` (a DTMF menu) at once; silence,
low confidence, no category or "2" → listen again up to `retries`, then `on_fail`. A hang-up ends the call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ivr.agi import commands as c
from ivr.agi.machine import CallState, Machine, Transition, register_node_type, spoken_digits
from ivr.agi.menu import Node
from ivr.speech.results import ListenReason

DEFAULT_MAX_SECONDS = 12.0
CONFIRM_TIMEOUT = 6.0
GIVE_UP_AT_ONCE = frozenset({ListenReason.BUSY, ListenReason.NO_MODEL, ListenReason.ERROR})


# ---- commands and their answers (executed by ivr/speech/executors.py) -------------------------------
@dataclass(frozen=True)
class Listen:
    """Play a prompt, then hear the caller; answered by Heard."""

    prompt: str
    language: str
    max_seconds: float
    grammar: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Heard:
    """What the caller said, or why nothing usable was heard."""

    text: str
    reason: str
    confidence: float = 0.0


@dataclass(frozen=True)
class SuggestCategory:
    """Find the category of a transcript (node keywords first, then the routing engine)."""

    text: str
    keywords: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class CategorySuggested:
    """The category suggested for a transcript; code None when nothing matched."""

    text: str
    code: str | None


@dataclass(frozen=True)
class ConfirmCategory:
    """Read the category back and collect the confirmation key; answered by CategoryConfirmed."""

    text: str
    code: str
    prompts: tuple[str, ...]
    confirm_prompt: str
    language: str
    timeout: float


@dataclass(frozen=True)
class CategoryConfirmed:
    """The key the caller pressed after the read-back ("" on timeout)."""

    text: str
    code: str
    key: str


@dataclass(frozen=True)
class TagCall:
    """Record the confirmed category and transcript on the channel and the bus before queueing."""

    code: str
    text: str


@dataclass(frozen=True)
class OpenSpokenCase:
    """Open a case whose description is the transcript; answered by ivr.agi.commands.CaseCreated."""

    text: str
    code: str
    language: str


ASKING = (Listen, SuggestCategory, ConfirmCategory, OpenSpokenCase)


# ---- behaviour ----------------------------------------------------------------------------------------
def enter_request(m: Machine, state: CallState, node: Node) -> Transition:
    seconds = float(node.get("max_seconds", DEFAULT_MAX_SECONDS))
    return Transition(state, (Listen(node.fields["prompt"], state.language, seconds),))


def handle_request(m: Machine, state: CallState, node: Node, event) -> Transition:
    match event:
        case Heard(reason=reason) if reason == ListenReason.HANGUP:
            return Transition(dataclasses.replace(state, ended=True))
        case Heard(reason=reason) if reason in GIVE_UP_AT_ONCE:
            return m.follow(state, node, "on_fail", f"speech:{reason}")
        case Heard(text=text, reason=reason) if not text or reason not in (ListenReason.FINAL,
                                                                              ListenReason.TIMEOUT):
            return m.retry(state, node, c.Timeout(), "no_input_prompt")
        case Heard(text=text):
            return Transition(state, (SuggestCategory(text, keyword_table(node)),))
        case CategorySuggested(code=None):
            return m.retry(state, node, c.Timeout(), "invalid_prompt")
        case CategorySuggested(text=text, code=code):
            prompts = (node.fields["readback_prompt"], f"category_{code}")
            timeout = float(node.get("timeout", CONFIRM_TIMEOUT))
            return Transition(state, (ConfirmCategory(text, code, prompts, node.fields["confirm_prompt"],
                                                      state.language, timeout),))
        case CategoryConfirmed(key="1", text=text, code=code):
            return confirmed(m, state, node, text, code)
        case CategoryConfirmed():
            return m.retry(state, node, c.Digits(event.key or "timeout"), "")
        case c.CaseCreated(number=None):
            return m.follow(state, node, "on_fail", "case-failed")
        case c.CaseCreated(number=number):
            saved = dataclasses.replace(state, case_number=number)
            said = c.Play((node.fields["saved_prompt"], *spoken_digits(number)), state.language)
            return m.follow(saved, node, "next", number).after((said,))
    return Transition(state)


def confirmed(m: Machine, state: CallState, node: Node, text: str, code: str) -> Transition:
    """Act on a confirmed category: open the case with the transcript, or tag the call and queue it."""
    if node.get("mode", "queue") == "case":
        return Transition(state, (OpenSpokenCase(text, code, state.language),))
    return m.follow(state, node, "next", f"category:{code}").after((TagCall(code, text),))


def keyword_table(node: Node) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The node's own keyword → category table (extra spoken forms, e.g. dialect words), as plain data."""
    table = node.get("keywords") or {}
    return tuple((str(code), tuple(str(w) for w in words)) for code, words in table.items())


def match_keywords(text: str, table: tuple[tuple[str, tuple[str, ...]], ...]) -> str | None:
    """Return the first category whose keyword occurs in the text (spaces ignored), or None."""
    squeezed = text.replace(" ", "")
    for code, words in table:
        if any(word.replace(" ", "") in squeezed for word in words):
            return code
    return None


FIELDS = {"prompt": "prompt", "readback_prompt": "prompt", "confirm_prompt": "prompt",
          "saved_prompt": "prompt", "next": "node", "on_fail": "node", "mode": "value",
          "max_seconds": "value", "timeout": "value", "retries": "value", "keywords": "value"}


def register() -> None:
    """Add the node type to the IVR engine (its commands are run by ivr.speech.executors)."""
    register_node_type("speech_request", enter_request, handle_request, FIELDS,
                       ("prompt", "readback_prompt", "confirm_prompt", "next", "on_fail"))


register()
