"""The "say your request" node of the default menu, walked as a pure state machine (tables)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ivr.agi import commands as c
from ivr.agi.machine import Machine
from ivr.agi.menu import load_menu, parse_menu
from ivr.speech import node as n

ROOT = Path(__file__).parents[3]
MENU = load_menu(ROOT / "ivr/agi/menus/hotline.yaml")
TO_REQUEST = (c.Digits("1"), c.HoursChecked(True))  # Mandarin, centre open: "say your request" first
SAID = n.Heard("我们小区晚上施工噪音很大", "final", 0.9)
NOISE = n.CategorySuggested(SAID.text, "noise-construction", ("noise",))


def walk(*inputs):
    """Feed inputs from the start of the default menu; return the last transition."""
    machine = Machine(MENU, "FT")
    transition = machine.start()
    for event in (*TO_REQUEST, *inputs):
        transition = machine.advance(transition.state, event)
    return transition


def confirm(key: str, code: str = "noise-construction", lineage=("noise",)) -> n.CategoryConfirmed:
    return n.CategoryConfirmed(SAID.text, code, key, lineage)


def summary(transition):
    return (transition.state.node, transition.state.attempts, [type(x).__name__ for x in transition.commands],
            [(s.node, s.input) for s in transition.steps])


@pytest.mark.parametrize(("inputs", "expected"), [
    ((), ("request", 0, ["Listen"], [("request", "open")])),
    ((SAID,), ("request", 0, ["SuggestCategory"], [])),
    # still talking at max_seconds: cut there, "that was long", then the part heard is read back
    ((n.Heard(SAID.text, "timeout", 0.9),), ("request", 0, ["Play", "SuggestCategory"], [])),
    ((SAID, NOISE), ("request", 0, ["ConfirmCategory"], [("request", "heard:noise-construction")])),
    # confirmed: tagged, then routed by the category's group (noise -> the safety queue)
    ((SAID, NOISE, confirm("1")), ("queue_safety", 0, ["TagCall", "QueueSize"],
                                   [("queue_safety", "category:noise-construction")])),
    # a category whose code and groups have no route goes to `next` (the general queue)
    ((SAID, NOISE, confirm("1", "general-enquiry", ("general",))),
     ("operator", 0, ["TagCall", "QueueSize"], [("operator", "category:general-enquiry")])),
    # "2" or no key: listen again, no warning
    ((SAID, NOISE, confirm("2")), ("request", 1, ["Listen"], [("request", "confirm:2")])),
    ((SAID, NOISE, confirm("")), ("request", 1, ["Listen"], [("request", "confirm:timeout")])),
    # silence, low confidence, nothing matched: "sorry, did not catch that", listen again
    ((n.Heard("", "silence"),), ("request", 1, ["Play", "Listen"], [("request", "speech:silence")])),
    ((n.Heard("嗯", "low_confidence", 0.2),), ("request", 1, ["Play", "Listen"],
                                              [("request", "speech:low_confidence")])),
    ((SAID, n.CategorySuggested(SAID.text, None)), ("request", 1, ["Play", "Listen"],
                                                    [("request", "speech:no-category")])),
    # after `retries` (2) failed attempts: the DTMF menu
    ((n.Heard("", "silence"), n.Heard("", "silence")),
     ("main", 0, ["Play", "Collect"], [("main", "speech:silence:gave-up")])),
    # no model, every recogniser busy, an error, or a key during the prompt: the DTMF menu at once
    ((n.Heard("", "no_model"),), ("main", 0, ["Collect"], [("main", "speech:no_model")])),
    ((n.Heard("", "busy"),), ("main", 0, ["Collect"], [("main", "speech:busy")])),
    ((n.Heard("", "error"),), ("main", 0, ["Collect"], [("main", "speech:error")])),
    ((n.Heard("3", n.KEYED),), ("main", 0, ["Collect"], [("main", "speech:keyed")])),
    # a late answer the node did not ask for changes nothing
    ((c.Digits("5"),), ("request", 0, [], [])),
])
def test_default_menu_request_node(inputs, expected):
    assert summary(walk(*inputs)) == expected


def test_hang_up_mid_utterance_ends_the_call():
    assert walk(n.Heard("", "hangup")).state.ended


def test_read_back_says_the_category_then_asks_for_the_key():
    ask = walk(SAID, NOISE).commands[-1]
    prompts = ("you_reported", "category_noise-construction")
    assert ask == n.ConfirmCategory(SAID.text, "noise-construction", prompts, "confirm_request", "zh", 6.0,
                                    ("noise",))


def test_confirmed_request_tags_the_call_with_category_and_transcript():
    assert walk(SAID, NOISE, confirm("1")).commands[0] == n.TagCall("noise-construction", SAID.text)


def test_main_menu_offers_the_request_again_and_back_skips_it():
    machine = Machine(MENU, "FT")
    state = walk(n.Heard("", "no_model")).state
    assert machine.advance(state, c.Digits("7")).state.node == "request"
    assert machine.advance(state, c.Digits("#")).state.node == "welcome"


CASE_MENU = """\
name: spoken
languages: [zh]
start: request
defaults: {invalid_prompt: p, no_input_prompt: p}
nodes:
  request:
    type: speech_request
    prompt: p
    readback_prompt: p
    confirm_prompt: p
    saved_prompt: p
    mode: case
    next: bye
    on_fail: bye
  bye: {type: hangup, prompt: p}
prompts:
  p: {zh: 你好}
"""


def test_case_mode_opens_a_case_with_the_transcript_and_says_its_number():
    machine = Machine(parse_menu(CASE_MENU), "FT")
    t = machine.start()
    for event in (SAID, NOISE, confirm("1")):
        t = machine.advance(t.state, event)
    assert t.commands == (n.OpenSpokenCase(SAID.text, "noise-construction", "zh"),)
    t = machine.advance(t.state, c.CaseCreated("FT20261126-0007"))
    assert (t.state.node, t.state.case_number) == ("bye", "FT20261126-0007")
    assert t.commands[0].prompts == ("p", *(f"digit_{d}" for d in "202611260007"))


def test_ivr_check_knows_the_speech_node_in_a_fresh_process():
    menu = ROOT / "ivr/agi/menus/hotline.yaml"
    result = subprocess.run([str(Path(sys.executable).parent / "hotline"), "ivr", "check", str(menu)],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, f"{menu}: ok"), result.stderr


def test_checker_reports_a_route_to_an_unknown_node_with_its_line():
    from ivr.agi.check import check_menu

    text = CASE_MENU.replace("    mode: case\n", "    routes: {noise: bye, traffic: nowhere}\n")
    problems = [(p.line, p.field, p.message) for p in check_menu(parse_menu(text))]
    assert problems == [(12, "nodes.request.routes.traffic", "unknown node 'nowhere'")]


def test_the_default_menu_falls_back_to_general_matters_when_no_keyword_matches():
    """A clearly heard request no keyword knows is read back as 综合事务 and, confirmed, reaches an agent."""
    assert walk(SAID).commands == (n.SuggestCategory(SAID.text, "general"),)
    general = n.CategorySuggested(SAID.text, "general")
    assert summary(walk(SAID, general, confirm("1", "general", ()))) == (
        "operator", 0, ["TagCall", "QueueSize"], [("operator", "category:general")])
