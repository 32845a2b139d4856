"""Transitions of the menu state machine, walked from the start of the default hotline menu."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.agi import commands as c
from ivr.agi.machine import Machine, case_number_from_digits, spoken_number
from ivr.agi.menu import load_menu
from ivr.speech.node import Heard

MENU = load_menu(Path(__file__).parents[3] / "ivr/agi/menus/hotline.yaml")
# Open: the caller is first asked to say the request; without a speech model that leads to the DTMF menu.
OPEN, CLOSED = (c.HoursChecked(True), Heard("", "no_model")), c.HoursChecked(False)
FOUND = c.CaseLookedUp("FT20261126-0042", True, "dispatched", "police")


def walk(inputs):
    """Feed inputs from the start; return the last transition."""
    machine = Machine(MENU, "FT")
    transition = machine.start()
    for event in inputs:
        for one in event if isinstance(event, tuple) else (event,):
            transition = machine.advance(transition.state, one)
    return transition


def kinds(transition):
    return [type(cmd).__name__ for cmd in transition.commands]


@pytest.mark.parametrize(("inputs", "node", "language", "last_command"), [
    ([], "welcome", "zh", c.Collect("welcome", "zh", 6.0, 1)),
    ([c.Digits("1")], "hours", "zh", c.CheckHours()),
    ([c.Digits("2")], "hours", "en", c.CheckHours()),
    ([c.Timeout()], "hours", "zh", c.CheckHours()),  # retries: 1 then carry on in the default language
    ([c.Digits("1"), OPEN], "main", "zh", c.Collect("main_menu", "zh", 6.0, 1)),
    ([c.Digits("1"), CLOSED], "after_hours", "zh", c.Collect("after_hours_menu", "zh", 6.0, 1)),
    ([c.Digits("1"), OPEN, c.Digits("1")], "case_status", "zh",
     c.Collect("enter_case_number", "zh", 12.0, 12)),
    ([c.Digits("1"), OPEN, c.Digits("1"), c.Digits("202611260042")], "case_status", "zh",
     c.LookupCase("FT20261126-0042")),
    ([c.Digits("1"), OPEN, c.Digits("1"), c.Digits("202611260042"), FOUND], "after_status", "zh",
     c.Collect("after_status_menu", "zh", 6.0, 1)),
    ([c.Digits("1"), OPEN, c.Digits("2")], "queue_urban", "zh", c.QueueSize("urban-zh")),
    ([c.Digits("2"), OPEN, c.Digits("3")], "queue_safety", "en", c.QueueSize("safety-en")),
    ([c.Digits("1"), OPEN, c.Digits("5"), c.QueueInfo(2)], "queue_consumer", "zh",
     c.EnterQueue("consumer-zh", 300)),
    ([c.Digits("1"), OPEN, c.Digits("2"), c.QueueInfo(0), c.QueueLeft("TIMEOUT")], "message", "zh",
     c.RecordMessage(120)),
    ([c.Digits("1"), OPEN, c.Digits("0")], "operator", "zh", c.QueueSize("general-zh")),
    ([c.Digits("1"), OPEN, c.Digits("6")], "message", "zh", c.RecordMessage(120)),
    ([c.Digits("1"), CLOSED, c.Digits("2"), c.Recorded("/r/m.wav", 3.0)], "message", "zh",
     c.OpenMessageCase("/r/m.wav", "zh", None)),
    ([c.Digits("1"), CLOSED, c.Digits("2"), c.Recorded("/r/m.wav"), c.CaseCreated("FT20261126-0001")],
     "goodbye", "zh", c.Hangup()),
    ([c.Digits("1"), CLOSED, c.Digits("2"), c.Recorded(None)], "goodbye_no_message", "zh", c.Hangup()),
    ([c.Digits("1"), CLOSED, c.Digits("2"), c.Recorded("/r/m.wav"), c.CaseCreated(None)],
     "goodbye_no_message", "zh", c.Hangup()),
    ([c.Digits("1"), OPEN, c.Digits("9")], "main_again", "zh", c.CheckHours()),
])
def test_walks(inputs, node, language, last_command):
    transition = walk(inputs)
    assert transition.state.node == node
    assert transition.state.language == language
    assert transition.commands[-1] == last_command


@pytest.mark.parametrize(("inputs", "node", "attempts", "commands"), [
    # garbage and silence are retried with a warning, then on_fail (operator for the main menu)
    ([c.Digits("8")], "main", 1, ["Play", "Collect"]),
    ([c.Timeout()], "main", 1, ["Play", "Collect"]),
    ([c.Digits("8"), c.Timeout()], "main", 2, ["Play", "Collect"]),
    ([c.Digits("8"), c.Timeout(), c.Digits("8")], "operator", 0, ["QueueSize"]),
    # repeat does not count as an attempt
    ([c.Digits("8"), c.Digits("*")], "main", 1, ["Collect"]),
    # back from the main menu returns to the language menu
    ([c.Digits("#")], "welcome", 0, ["Collect"]),
])
def test_retries_and_global_keys_in_main_menu(inputs, node, attempts, commands):
    transition = walk([c.Digits("1"), OPEN, *inputs])
    assert (transition.state.node, transition.state.attempts, kinds(transition)) == (node, attempts, commands)


@pytest.mark.parametrize(("inputs", "node", "commands"), [
    ([c.Digits("12345")], "case_status", ["Play", "Collect"]),  # not 12 digits: invalid
    ([c.Digits("202611260042"), c.CaseLookedUp("FT20261126-0042", False)], "case_status",
     ["Play", "Collect"]),
    ([c.Digits("1"), c.Digits("2"), c.Digits("3")], "goodbye_no_input", ["Play", "Hangup"]),
    ([c.Digits("0")], "operator", ["QueueSize"]),
    ([c.Digits("#")], "main", ["Collect"]),
    ([c.Digits("*")], "case_status", ["Collect"]),
])
def test_case_status_entry(inputs, node, commands):
    transition = walk([c.Digits("1"), OPEN, c.Digits("1"), *inputs])
    assert (transition.state.node, kinds(transition)) == (node, commands)


def test_status_report_speaks_number_status_and_bureau():
    transition = walk([c.Digits("2"), OPEN, c.Digits("1"), c.Digits("202611260042"), FOUND])
    play = transition.commands[0]
    assert play.language == "en"
    assert play.prompts[0] == "case_status_intro"
    assert play.prompts[1:13] == tuple(f"digit_{d}" for d in "202611260042")
    assert play.prompts[13:] == ("status_dispatched", "handled_by", "bureau_police")


def test_language_switch_sends_set_language_first():
    transition = walk([c.Digits("2")])
    assert transition.commands[0] == c.SetLanguage("en")
    assert [s.node for s in transition.steps] == ["hours"]
    assert transition.steps[0].input == "2"


def test_queue_announces_position_after_those_waiting():
    transition = walk([c.Digits("1"), OPEN, c.Digits("2"), c.QueueInfo(3)])
    assert transition.commands[0] == c.Play(("queue_wait", "queue_position", "number_4"), "zh")


def test_answered_queue_call_ends():
    transition = walk([c.Digits("1"), OPEN, c.Digits("2"), c.QueueInfo(0), c.QueueLeft("CONTINUE")])
    assert transition.state.ended and transition.commands == (c.Hangup(),)


def test_message_case_number_is_kept_and_spoken():
    transition = walk([c.Digits("1"), CLOSED, c.Digits("2"), c.Recorded("/r/m.wav"),
                       c.CaseCreated("FT20261126-0007")])
    assert transition.state.case_number == "FT20261126-0007"
    assert transition.state.ended
    assert transition.commands[0].prompts[0] == "message_saved"


@pytest.mark.parametrize(("entry", "language", "node", "first"), [
    (None, None, "welcome", c.SetLanguage("zh")),  # set even if no key is pressed: later scripts read it
    ("message", "en", "message", c.Play(("queue_busy",), "en")),
    ("message", "fr", "message", c.Play(("queue_busy",), "zh")),  # unknown language: the default
    ("nonsense", None, "welcome", c.SetLanguage("zh")),
])
def test_entries_and_language_from_the_channel(entry, language, node, first):
    transition = Machine(MENU).start(entry, language)
    assert (transition.state.node, transition.commands[0]) == (node, first)


def test_ended_state_ignores_input():
    transition = walk([c.Digits("1"), CLOSED, c.Digits("2"), c.Recorded(None)])
    assert walk([c.Digits("1"), CLOSED, c.Digits("2"), c.Recorded(None), c.Digits("1")]).commands == ()
    assert transition.state.ended


@pytest.mark.parametrize(("digits", "number"), [
    ("202611260042", "FT20261126-0042"),
    ("20261126004", None),
    ("2026112600421", None),
    ("2026112600a2", None),
])
def test_case_number_from_digits(digits, number):
    assert case_number_from_digits("FT", digits) == number


@pytest.mark.parametrize(("n", "prompts"), [
    (1, ("number_1",)), (99, ("number_99",)), (120, ("digit_1", "digit_2", "digit_0")),
])
def test_spoken_number(n, prompts):
    assert spoken_number(n) == prompts


# Every node of the menu, entered in every language, and what a caller there may do next.
KEYS = (c.Timeout(), c.Digits("9"), c.Digits("1"), c.Digits("2"), c.Digits("0"), c.Digits("#"))
EVENTS = {
    "menu": KEYS, "play": (), "hangup": (), "hours": (c.HoursChecked(True), c.HoursChecked(False)),
    "case_status": (*KEYS, c.Digits("202611260042"), FOUND, c.CaseLookedUp("FT20261126-0042", False, "", "")),
    "queue": (c.QueueInfo(2), c.QueueLeft("TIMEOUT")),
    "message": (c.Recorded("/r/m.wav"), c.Recorded(None)),
    "speech_request": (Heard("", "no_model"), c.Digits("1")),
}
LANGUAGE_TABLE = [(node, language) for node in MENU.nodes for language in MENU.languages]


def spoken_languages(transition):
    return {cmd.language for cmd in transition.commands if isinstance(cmd, c.Play | c.Collect)}


@pytest.mark.parametrize(("node", "language"), LANGUAGE_TABLE, ids=[f"{n}-{x}" for n, x in LANGUAGE_TABLE])
def test_every_path_speaks_the_callers_language(node, language):
    """No prompt of another language on any node or the next step from it (a Mandarin caller heard en)."""
    from ivr.agi.machine import CallState

    machine = Machine(MENU, "FT")
    entered = machine.goto(CallState(node=node, language=language), node, "table")
    assert spoken_languages(entered) <= {language}
    for event in EVENTS[MENU.nodes[entered.state.node].type]:
        if entered.state.ended:
            break
        following = machine.advance(entered.state, event)
        assert spoken_languages(following) <= {language}, (node, event)
        switched = {cmd.language for cmd in following.commands if isinstance(cmd, c.SetLanguage)}
        if not switched:
            assert following.state.language == language


@pytest.mark.parametrize("language", MENU.languages)
def test_nobody_free_message_speaks_the_language_chosen_or_defaulted(language):
    """After an unanswered queue the dial plan starts the "message" script in the channel's language."""
    keys = [c.Digits("1" if language == "zh" else "2")] if language != MENU.default_language else []
    first = walk(keys)
    set_languages = [cmd.language for cmd in first.commands if isinstance(cmd, c.SetLanguage)]
    channel_language = set_languages[-1] if set_languages else None
    if language == MENU.default_language:
        assert Machine(MENU).start().commands[0] == c.SetLanguage(language)
        channel_language = language
    message = Machine(MENU).start("message", channel_language)
    assert spoken_languages(message) == {language}


@pytest.mark.parametrize("kind", ["abusive", "prank"])
def test_a_marked_caller_hears_the_warning_in_every_language_then_the_menu(kind):
    """Nothing is blocked: the warning of the caller-list kind, then the welcome menu as for anyone."""
    started = Machine(MENU, "FT").start(flag=kind)
    warning = MENU.caller_warnings[kind]
    assert started.commands[:2] == (c.Play((warning,), "zh"), c.Play((warning,), "en"))
    assert started.commands[-1] == c.Collect("welcome", "zh", 6.0, 1)
    steps = [(s.node, s.input) for s in started.steps]
    assert steps == [("welcome", f"caller-warning:{kind}"), ("welcome", "")]
    plain = Machine(MENU, "FT").start()
    assert started.commands[2:] == plain.commands and started.state == plain.state


@pytest.mark.parametrize(("entry", "flag"), [(None, None), (None, "unknown-kind"), ("message", "abusive")])
def test_no_warning_for_unmarked_callers_unknown_kinds_or_a_later_script(entry, flag):
    started = Machine(MENU, "FT").start(entry, "zh", flag)
    played = [cmd.prompts[0] for cmd in started.commands if isinstance(cmd, c.Play)]
    assert not [p for p in played if p.startswith("warning_")]


OWN = ("FT20261120-0007", "FT20261101-0003")


def at_case_status(own_cases=()):
    machine = Machine(MENU, "FT")
    state = machine.start(own_cases=own_cases).state
    for event in (c.Digits("1"), *OPEN, c.Digits("1")):
        transition = machine.advance(state, event)
        state = transition.state
    assert state.node == "case_status"
    return machine, transition


def test_a_caller_with_cases_hears_the_latest_number_and_presses_1_for_it():
    machine, entered = at_case_status(OWN)
    digits = tuple(f"digit_{d}" for d in "202611200007")
    assert entered.commands == (c.Play(("your_latest_case", *digits), "zh"),
                                c.Collect("enter_or_press_1", "zh", 12.0, 12))
    assert machine.advance(entered.state, c.Digits("1")).commands == (c.LookupCase("FT20261120-0007"),)
    keyed = machine.advance(entered.state, c.Digits("202611010003"))
    assert keyed.commands == (c.LookupCase("FT20261101-0003"),)


@pytest.mark.parametrize("own_cases", [(), OWN])
@pytest.mark.parametrize("keyed", ["0007", "20261120", "2026112000071", "12026112000", "1" * 11])
def test_only_exactly_twelve_digits_name_a_case(own_cases, keyed):
    """A part of a number (its sequence, its day, one digit too many) is no number: nothing is looked up."""
    machine, entered = at_case_status(own_cases)
    following = machine.advance(entered.state, c.Digits(keyed))
    assert not [cmd for cmd in following.commands if isinstance(cmd, c.LookupCase)]
    assert following.state.attempts == 1 and c.Play(("invalid",), "zh") in following.commands


def test_without_cases_of_their_own_1_is_no_choice():
    machine, entered = at_case_status()
    assert entered.commands == (c.Collect("enter_case_number", "zh", 12.0, 12),)
    following = machine.advance(entered.state, c.Digits("1"))
    assert following.state.attempts == 1 and not any(isinstance(x, c.LookupCase) for x in following.commands)


@pytest.mark.parametrize("language", MENU.languages)
def test_the_offer_of_the_callers_own_case_speaks_the_callers_language(language):
    from ivr.agi.machine import CallState

    machine = Machine(MENU, "FT")
    state = CallState(node="case_status", language=language, own_cases=OWN)
    entered = machine.goto(state, "case_status", "t")
    assert spoken_languages(entered) == {language}
    for event in (c.Digits("1"), c.Digits("9"), c.Timeout(), FOUND):
        assert spoken_languages(machine.advance(entered.state, event)) <= {language}
