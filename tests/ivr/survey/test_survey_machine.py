"""The survey menu's transitions as a table: read the case, take the key, save the rating, keep a comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.agi import commands as c
from ivr.agi.machine import Machine
from ivr.agi.menu import load_menu
from ivr.survey import node as n

MENU = load_menu(Path(__file__).parents[3] / "ivr/agi/menus/survey.yaml")
LOADED = n.SurveyLoaded(found=True, task_id=7, case_number="FT20261126-0001", category="street-lights",
                        bureau="urban-mgmt")


def _walk(*inputs):
    machine = Machine(MENU)
    transition = machine.start()
    seen = [transition]
    for event in inputs:
        transition = machine.advance(transition.state, event)
        seen.append(transition)
    return seen


def test_the_intro_reads_the_case_then_asks_for_the_rating():
    start, read = _walk(LOADED)
    assert start.commands == (c.SetLanguage("zh"), n.LoadSurvey())  # every call starts in its language
    play, ask = read.commands
    assert play.prompts == ("survey_intro", "survey_topic", "category_street-lights", "survey_handled_by",
                            "bureau_urban-mgmt", "survey_resolved")
    assert isinstance(ask, c.Collect) and ask.prompt == "survey_ask"
    assert read.state.callback_task == 7 and read.state.case_number == "FT20261126-0001"


@pytest.mark.parametrize("key, rating", [("1", "satisfied"), ("2", "mostly_satisfied"), ("3", "unsatisfied")])
def test_each_key_saves_its_rating_then_offers_a_comment(key, rating):
    *_, rated, commented = _walk(LOADED, c.Digits(key), n.RatingSaved(ok=True))
    assert rated.commands == (n.SaveRating(7, rating),)
    assert [type(x) for x in commented.commands] == [c.Play, c.RecordMessage]
    assert [s.node for s in commented.steps] == ["comment"]


def test_a_comment_is_kept_and_thanked_for():
    *_, recorded, kept = _walk(LOADED, c.Digits("3"), n.RatingSaved(ok=True), c.Recorded("/tmp/c.wav", 3.0),
                               n.CommentSaved(ok=True))
    assert recorded.commands == (n.SaveComment(7, "/tmp/c.wav"),)
    assert kept.commands[0] == c.Play(("survey_comment_kept",), "zh")
    assert kept.state.ended and isinstance(kept.commands[-1], c.Hangup)


def test_no_comment_says_goodbye():
    *_, done = _walk(LOADED, c.Digits("1"), n.RatingSaved(ok=True), c.Recorded(None))
    assert done.state.ended and done.commands[0] == c.Play(("survey_goodbye",), "zh")


def test_no_key_three_times_ends_without_a_rating():
    *_, gave_up = _walk(LOADED, c.Timeout(), c.Timeout(), c.Timeout())
    assert gave_up.state.ended and gave_up.commands[0] == c.Play(("survey_no_rating",), "zh")


def test_a_call_without_a_task_ends_politely():
    _, ended = _walk(n.SurveyLoaded(found=False))
    assert ended.state.ended and [s.node for s in ended.steps] == ["goodbye_unknown"]
