"""IVR node "say your request" (type `speech_request`): listen, suggest a category, confirm by key (pure).

prompt → listen → category from the transcript → read back ("您反映的是 <category>") → confirm key
("问题，确认请按1，重新说请按2") → `mode: queue` tags the call and goes to the node `routes` names for the
category or its nearest group (else `next`), `mode: case` opens a case with the transcript. Busy, no model,
errors, or a key pressed while listening (the prompt plays inside the listen: speech during it stops it)
→ `on_fail` (a DTMF menu) at once; silence, noise, music, low confidence, no category or "2" →
`retry_prompt` and listen again up to `retries`, then `on_fail`. Speech still going at `max_seconds` is cut
there: `too_long_prompt` says so, then the part heard is read back with the keys. A hang-up ends the call.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ivr.agi import commands as c
from ivr.agi.machine import CallState, Machine, Step, Transition, register_node_type, spoken_digits
from ivr.agi.menu import Node
from ivr.speech.results import ListenReason

DEFAULT_MAX_SECONDS = 12.0
CONFIRM_TIMEOUT = 6.0
GIVE_UP_AT_ONCE = frozenset({ListenReason.BUSY, ListenReason.NO_MODEL, ListenReason.ERROR,
                             ListenReason.KEYED})


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
    """Find a transcript's category with the data set's keywords; answered by CategorySuggested.

    `fallback`: the category read back when no keyword matches (e.g. the data set's general matters, so a
    clearly heard request no keyword knows still reaches an agent with its transcript); None: ask again.
    """

    text: str
    fallback: str | None = None


@dataclass(frozen=True)
class CategorySuggested:
    """The category suggested for a transcript and its groups (nearest first); code None: no match."""

    text: str
    code: str | None
    lineage: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfirmCategory:
    """Read the category back and collect the confirmation key; answered by CategoryConfirmed."""

    text: str
    code: str
    prompts: tuple[str, ...]
    confirm_prompt: str
    language: str
    timeout: float
    lineage: tuple[str, ...] = ()


@dataclass(frozen=True)
class CategoryConfirmed:
    """The key the caller pressed after the read-back ("" on timeout)."""

    text: str
    code: str
    key: str
    lineage: tuple[str, ...] = ()


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




# ---- behaviour ----------------------------------------------------------------------------------------
KEYED = ListenReason.KEYED.value  # Heard.reason when the caller pressed a key: they want the DTMF menu


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
            return again(m, state, node, f"speech:{reason}")
        case Heard(text=text, reason=reason):
            suggest = Transition(state, (SuggestCategory(text, node.get("fallback_category")),))
            too_long = node.get("too_long_prompt") if reason == ListenReason.TIMEOUT else None
            return suggest.after((c.Play((too_long,), state.language),)) if too_long else suggest
        case CategorySuggested(code=None):
            return again(m, state, node, "speech:no-category")
        case CategorySuggested(text=text, code=code, lineage=lineage):
            prompts = (node.fields["readback_prompt"], f"category_{code}")
            timeout = float(node.get("timeout", CONFIRM_TIMEOUT))
            ask = ConfirmCategory(text, code, prompts, node.fields["confirm_prompt"], state.language, timeout,
                                  lineage)
            # A step here means "waiting for the confirmation key" (test callers and screens key on it).
            step = Step(node.id, f"heard:{code}", state.language, heard=text)
            return Transition(state, (ask,), (step,))
        case CategoryConfirmed(key="1", text=text, code=code, lineage=lineage):
            return confirmed(m, state, node, text, code, lineage)
        case CategoryConfirmed(key=key):
            return again(m, state, node, f"confirm:{key or 'timeout'}", warn=False)
        case c.CaseCreated(number=None):
            return m.follow(state, node, "on_fail", "case-failed")
        case c.CaseCreated(number=number):
            saved = dataclasses.replace(state, case_number=number)
            said = c.Play((node.fields["saved_prompt"], *spoken_digits(number)), state.language)
            return m.follow(saved, node, "next", number).after((said,))
    return Transition(state)


def again(m: Machine, state: CallState, node: Node, cause: str, *, warn: bool = True) -> Transition:
    """Ask the caller to say it again (after `retry_prompt`), or give up to `on_fail` after `retries`."""
    retried = m.retry(state, node, c.Digits(cause), "")
    warning = node.get("retry_prompt") if warn else None
    return retried.after((c.Play((warning,), state.language),)) if warning else retried


def confirmed(m: Machine, state: CallState, node: Node, text: str, code: str,
              lineage: tuple[str, ...]) -> Transition:
    """Act on a confirmed category: open the case with the transcript, or tag the call and route it."""
    if node.get("mode", "queue") == "case":
        return Transition(state, (OpenSpokenCase(text, code, state.language),))
    target = route_for(node, (code, *lineage))
    return m.goto(state, target, f"category:{code}").after((TagCall(code, text),))


def route_for(node: Node, lineage: tuple[str, ...]) -> str:
    """Return where a confirmed category leads: `routes` of the category or its nearest group, else `next`."""
    routes = node.get("routes") or {}
    return next((routes[code] for code in lineage if code in routes), node.fields["next"])


FIELDS = {"prompt": "prompt", "readback_prompt": "prompt", "confirm_prompt": "prompt",
          "saved_prompt": "prompt", "retry_prompt": "prompt", "too_long_prompt": "prompt", "next": "node",
          "on_fail": "node", "routes": "nodes", "mode": "value", "max_seconds": "value", "timeout": "value",
          "retries": "value", "fallback_category": "value"}


def register() -> None:
    """Add the node type to the IVR engine (its commands are run by ivr.speech.executors)."""
    register_node_type("speech_request", enter_request, handle_request, FIELDS,
                       ("prompt", "readback_prompt", "confirm_prompt", "next", "on_fail"), back_target=False)


register()
