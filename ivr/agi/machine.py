"""The IVR as a pure state machine: (state, input) -> (next state, commands, steps). No IO here.

Each node type has an `enter` function (what happens on arriving at the node) and a `handle`
function (what an input does there). Another package adds a node type with `register_node_type`
(the speech helper's "say your request" node), giving its fields so `hotline ivr check` knows them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from ivr.agi import commands as c
from ivr.agi.menu import AUTOMATIC_TYPES, NODE_FIELDS, NOT_BACK_TARGETS, REQUIRED, TERMINAL_TYPES, Menu, Node

CASE_DIGITS = re.compile(r"^(\d{8})(\d{4})$")
LEAVE_STATUSES = frozenset({"TIMEOUT", "FULL", "JOINEMPTY", "LEAVEEMPTY", "JOINUNAVAIL", "LEAVEUNAVAIL"})
MAX_CHAIN = 25  # automatic nodes entered in one transition before we give up (the checker forbids loops)
DEFAULT_TIMEOUT = 5.0
DEFAULT_RETRIES = 3
CALLER_WARNING = "caller-warning:"  # input of the start step when a marked caller heard the warning


@dataclass(frozen=True)
class CallState:
    """Where a caller is in the menu."""

    node: str
    language: str
    attempts: int = 0
    trail: tuple[str, ...] = ()  # interactive nodes visited, for the back key
    ended: bool = False
    case_number: str | None = None  # case opened from this call's message
    own_cases: tuple[str, ...] = ()  # the caller's latest case numbers (by caller ID), offered at case status
    callback_task: int = 0  # the 回访 task a survey call was placed for (ivr/survey)


@dataclass(frozen=True)
class Step:
    """One entry of the call's IVR path: the node reached and the input that led there."""

    node: str
    input: str
    language: str
    heard: str = ""  # what the speech recogniser heard the caller say at this step, when it listened


@dataclass(frozen=True)
class Transition:
    """The next state, the commands to send, and the path steps to publish."""

    state: CallState
    commands: tuple[c.Command, ...] = ()
    steps: tuple[Step, ...] = ()

    def after(self, commands: tuple[c.Command, ...], steps: tuple[Step, ...] = ()) -> Transition:
        """Return this transition preceded by other commands and steps."""
        return Transition(self.state, (*commands, *self.commands), (*steps, *self.steps))


Enter = Callable[["Machine", CallState, Node], Transition]
Handle = Callable[["Machine", CallState, Node, c.Input], Transition]
ENTER: dict[str, Enter] = {}
HANDLE: dict[str, Handle] = {}


def register_node_type(name: str, enter: Enter, handle: Handle, fields: dict[str, str],
                       required: tuple[str, ...] = (), *, terminal: bool = False,
                       back_target: bool = True) -> None:
    """Add a node type: its behaviour, the fields `hotline ivr check` accepts, whether back returns there."""
    ENTER[name], HANDLE[name] = enter, handle
    NODE_FIELDS[name] = fields
    REQUIRED[name] = required
    if terminal:
        TERMINAL_TYPES.add(name)
    if not back_target:
        NOT_BACK_TARGETS.add(name)


class Machine:
    """Pure transitions for one menu; `case_prefix` turns keyed digits into a case number."""

    def __init__(self, menu: Menu, case_prefix: str = "FT") -> None:
        self.menu = menu
        self.case_prefix = case_prefix

    def start(self, entry: str | None = None, language: str | None = None,
              flag: str | None = None, own_cases: tuple[str, ...] = ()) -> Transition:
        """Enter the menu at its start (or a named entry), in the given or default language.

        FLAG is the caller-list kind of the caller's number (abusive, prank): a call that starts at the
        beginning first hears that kind's warning in every language of the menu, then goes on as any other.
        OWN_CASES are the numbers of the caller's latest cases, newest first (a case-status node offers them).
        """
        node = self.menu.entries.get(entry or "", self.menu.start)
        language = language if language in self.menu.languages else self.menu.default_language
        state = CallState(node=node, language=language, own_cases=tuple(own_cases))
        transition = self.goto(state, node, entry or "")
        if entry is None or node == self.menu.start:
            # The channel's own language (Asterisk's default is en) is what a later script of this call
            # (the dial plan's "message" after an unanswered queue) starts in: set it even when the caller
            # never pressed a language key.
            transition = transition.after((c.SetLanguage(language),), ())
        warning = self.menu.caller_warnings.get(flag or "") if entry is None else None
        if warning:
            said = tuple(c.Play((warning,), lang) for lang in self.menu.languages)
            transition = transition.after(said, (Step(node, f"{CALLER_WARNING}{flag}", language),))
        return transition

    def advance(self, state: CallState, event: c.Input) -> Transition:
        """Apply one input to a state."""
        if state.ended:
            return Transition(state)
        node = self.menu.nodes[state.node]
        return HANDLE[node.type](self, state, node, event)

    def goto(self, state: CallState, target: str, cause: str, depth: int = 0) -> Transition:
        """Arrive at a node, following automatic nodes; records the step."""
        if depth > MAX_CHAIN:
            return Transition(dataclasses.replace(state, ended=True), (c.Hangup(),),
                              (Step(target, "loop-guard", state.language),))
        node = self.menu.nodes[target]
        trail = state.trail
        kept = node.type not in AUTOMATIC_TYPES | TERMINAL_TYPES | NOT_BACK_TARGETS
        if kept and trail[-1:] != (target,):
            trail = (*trail, target)
        arrived = dataclasses.replace(state, node=target, attempts=0, trail=trail)
        step = Step(target, cause, state.language)
        return ENTER[node.type](self, arrived, node).after((), (step,))

    def follow(self, state: CallState, node: Node, field: str, cause: str) -> Transition:
        """Go to the node named in one of this node's fields."""
        return self.goto(state, node.fields[field], cause)

    def setting(self, node: Node, name: str, default):
        """Return a node field or menu default, or the given default."""
        value = self.menu.setting(node, name)
        return default if value is None else value

    def retry(self, state: CallState, node: Node, event: c.Input, prompt_default: str) -> Transition:
        """Count a failed attempt: say why and ask again, or give up to the node's on_fail."""
        attempts = state.attempts + 1
        cause = c.describe(event)
        if attempts >= int(self.setting(node, "retries", DEFAULT_RETRIES)):
            return self.follow(state, node, "on_fail", f"{cause}:gave-up")
        warning = self.menu.defaults.get(prompt_default)
        again = dataclasses.replace(state, attempts=attempts)
        retried = ENTER[node.type](self, again, node)
        lead = (c.Play((warning,), state.language),) if warning else ()
        return retried.after(lead, (Step(node.id, cause, state.language),))

    def global_key(self, state: CallState, node: Node, digits: str) -> Transition | None:
        """Apply the repeat, back and operator keys; None when `digits` is none of them."""
        keys = self.menu.keys
        if digits == keys["repeat"]:
            return ENTER[node.type](self, state, node).after((), (Step(node.id, digits, state.language),))
        if digits == keys["back"]:
            if len(state.trail) < 2:
                return ENTER[node.type](self, state, node)
            back = dataclasses.replace(state, trail=state.trail[:-2])
            return self.goto(back, state.trail[-2], digits)
        if digits == keys["operator"] and self.menu.operator:
            return self.goto(state, self.menu.operator, digits)
        return None


def case_number_from_digits(prefix: str, digits: str) -> str | None:
    """Turn keyed digits (date + sequence, e.g. 202611260042) into FT20261126-0042, or None."""
    match = CASE_DIGITS.match(digits)
    return f"{prefix}{match.group(1)}-{match.group(2)}" if match else None


def spoken_digits(text: str) -> tuple[str, ...]:
    """Return the prompts that speak every digit of a text, one by one."""
    return tuple(f"digit_{ch}" for ch in text if ch.isdigit())


def spoken_number(n: int) -> tuple[str, ...]:
    """Return the prompts that speak a small number (1-99), or its digits above that."""
    return (f"number_{n}",) if 0 <= n <= 99 else spoken_digits(str(n))


def queue_name(machine: Machine, node: Node, language: str) -> str:
    """Return the node's queue for the caller's language."""
    queue = node.fields["queue"]
    return queue.get(language, next(iter(queue.values()))) if isinstance(queue, dict) else str(queue)


from ivr.agi import nodes as _nodes  # noqa: E402,F401  (registers the built-in node types)
