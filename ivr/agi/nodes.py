"""Behaviour of the built-in node types: menu, play, hours, case_status, message, queue, hangup."""

from __future__ import annotations

import dataclasses

from ivr.agi import commands as c
from ivr.agi.check import status_prompt
from ivr.agi.machine import (
    DEFAULT_TIMEOUT,
    ENTER,
    HANDLE,
    LEAVE_STATUSES,
    CallState,
    Machine,
    Transition,
    case_number_from_digits,
    queue_name,
    spoken_digits,
    spoken_number,
)
from ivr.agi.menu import Node

CASE_TIMEOUT = 10.0
CASE_DIGITS = 12
OFFER_KEY = "1"  # at a case-status node that offers the caller's own latest case: hear that one
MESSAGE_SECONDS = 120
QUEUE_TIMEOUT = 300


def _ignore(m: Machine, state: CallState, node: Node, event: c.Input) -> Transition:
    """Keep the state for an input this node did not ask for (e.g. a late answer)."""
    return Transition(state)


# ---- menu -----------------------------------------------------------------------------------------
def enter_menu(m: Machine, state: CallState, node: Node) -> Transition:
    timeout = float(m.setting(node, "timeout", DEFAULT_TIMEOUT))
    return Transition(state, (c.Collect(node.fields["prompt"], state.language, timeout, 1),))


def handle_menu(m: Machine, state: CallState, node: Node, event: c.Input) -> Transition:
    if isinstance(event, c.Timeout):
        return m.retry(state, node, event, "no_input_prompt")
    if not isinstance(event, c.Digits):
        return _ignore(m, state, node, event)
    option = node.options.get(event.value)
    if option is not None:
        if option.language and option.language != state.language:
            switched = dataclasses.replace(state, language=option.language)
            return m.goto(switched, option.next, event.value).after((c.SetLanguage(option.language),))
        return m.goto(state, option.next, event.value)
    return m.global_key(state, node, event.value) or m.retry(state, node, event, "invalid_prompt")


# ---- play / hours / hangup ------------------------------------------------------------------------
def enter_play(m: Machine, state: CallState, node: Node) -> Transition:
    played = c.Play((node.fields["prompt"],), state.language)
    return m.goto(state, node.fields["next"], "played").after((played,))


def enter_hours(m: Machine, state: CallState, node: Node) -> Transition:
    return Transition(state, (c.CheckHours(),))


def handle_hours(m: Machine, state: CallState, node: Node, event: c.Input) -> Transition:
    if not isinstance(event, c.HoursChecked):
        return _ignore(m, state, node, event)
    return m.follow(state, node, "open" if event.open else "closed", c.describe(event))


def enter_hangup(m: Machine, state: CallState, node: Node) -> Transition:
    ended = dataclasses.replace(state, ended=True)
    return Transition(ended, (c.Play((node.fields["prompt"],), state.language), c.Hangup()))


# ---- case status ----------------------------------------------------------------------------------
def enter_case_status(m: Machine, state: CallState, node: Node) -> Transition:
    """Ask for a case number; a caller with cases of their own first hears the latest and may press 1."""
    timeout = float(node.get("timeout", CASE_TIMEOUT))
    offered = _offered(state, node)
    if offered is None:
        return Transition(state, (c.Collect(node.fields["prompt"], state.language, timeout, CASE_DIGITS),))
    said = c.Play((node.fields["offer_prompt"], *spoken_digits(offered)), state.language)
    return Transition(state, (said, c.Collect(node.fields["offer_choice_prompt"], state.language, timeout,
                                              CASE_DIGITS)))


def _offered(state: CallState, node: Node) -> str | None:
    """The caller's own case this node offers (their latest), None when it offers none."""
    if not state.own_cases or "offer_prompt" not in node.fields or "offer_choice_prompt" not in node.fields:
        return None
    return state.own_cases[0]


def handle_case_status(m: Machine, state: CallState, node: Node, event: c.Input) -> Transition:
    match event:
        case c.Timeout():
            return m.retry(state, node, event, "no_input_prompt")
        case c.Digits(value=value) if value == OFFER_KEY and _offered(state, node):
            return Transition(state, (c.LookupCase(_offered(state, node)),))
        case c.Digits(value=value):
            # Exactly twelve digits name one case; anything else (a part, a day) is no number at all.
            number = case_number_from_digits(m.case_prefix, value)
            if number is not None:
                return Transition(state, (c.LookupCase(number),))
            return m.global_key(state, node, value) or m.retry(state, node, event, "invalid_prompt")
        case c.CaseLookedUp(found=False):
            lead = (c.Play((node.fields["not_found_prompt"],), state.language),)
            return m.retry(state, node, event, "").after(lead)
        case c.CaseLookedUp():
            report = _status_report(node, state, event)
            return m.follow(state, node, "next", c.describe(event)).after((report,))
    return _ignore(m, state, node, event)


def _status_report(node: Node, state: CallState, found: c.CaseLookedUp) -> c.Play:
    prompts = (node.fields["found_prompt"], *spoken_digits(found.number), status_prompt(found.status),
               node.fields["bureau_prompt"], f"bureau_{found.bureau}" if found.bureau else "bureau_none")
    return c.Play(prompts, state.language)


# ---- message --------------------------------------------------------------------------------------
def enter_message(m: Machine, state: CallState, node: Node) -> Transition:
    seconds = int(node.get("max_seconds", MESSAGE_SECONDS))
    return Transition(state, (c.Play((node.fields["prompt"],), state.language), c.RecordMessage(seconds)))


def handle_message(m: Machine, state: CallState, node: Node, event: c.Input) -> Transition:
    match event:
        case c.Recorded(path=None):
            return m.follow(state, node, "on_fail", c.describe(event))
        case c.Recorded(path=path):
            category = node.get("category")
            return Transition(state, (c.OpenMessageCase(path, state.language, category),))
        case c.CaseCreated(number=None):
            return m.follow(state, node, "on_fail", c.describe(event))
        case c.CaseCreated(number=number):
            saved = dataclasses.replace(state, case_number=number)
            said = c.Play((node.fields["saved_prompt"], *spoken_digits(number)), state.language)
            return m.follow(saved, node, "next", number).after((said,))
    return _ignore(m, state, node, event)


# ---- queue ----------------------------------------------------------------------------------------
def enter_queue(m: Machine, state: CallState, node: Node) -> Transition:
    return Transition(state, (c.QueueSize(queue_name(m, node, state.language)),))


def handle_queue(m: Machine, state: CallState, node: Node, event: c.Input) -> Transition:
    match event:
        case c.QueueInfo(waiting=waiting):
            prompts = (node.fields["prompt"], node.fields["position_prompt"], *spoken_number(waiting + 1))
            timeout = int(node.get("timeout", QUEUE_TIMEOUT))
            return Transition(state, (c.Play(prompts, state.language),
                                      c.EnterQueue(queue_name(m, node, state.language), timeout)))
        case c.QueueLeft(status=status) if status.upper() in LEAVE_STATUSES:
            return m.follow(state, node, "on_timeout", status)
        case c.QueueLeft():
            return Transition(dataclasses.replace(state, ended=True), (c.Hangup(),))
    return _ignore(m, state, node, event)


ENTER.update(menu=enter_menu, play=enter_play, hours=enter_hours, hangup=enter_hangup,
             case_status=enter_case_status, message=enter_message, queue=enter_queue)
HANDLE.update(menu=handle_menu, play=_ignore, hours=handle_hours, hangup=_ignore,
              case_status=handle_case_status, message=handle_message, queue=handle_queue)
