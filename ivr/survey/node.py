"""IVR node types of the survey call (pure): read the case back, save the rating, keep a spoken comment.

`survey_intro`: loads the callback task the call was placed for (channel variable HOTLINE_SURVEY_TASK) and
says "关于您反映的 <category> 问题，已由 <bureau> 办结" before going to `next` (a menu asking 1/2/3); no task
→ `on_fail`. `survey_rate`: saves its `rating` and goes to `next`. `survey_comment`: beeps, records up to
`max_seconds` (# ends), keeps the audio on the task and the case, thanks, goes to `next`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ivr.agi import commands as c
from ivr.agi.machine import CallState, Machine, Transition, register_node_type
from ivr.agi.menu import Node

COMMENT_SECONDS = 30


# ---- commands and their answers (executed by ivr/survey/executors.py) ------------------------------
@dataclass(frozen=True)
class LoadSurvey:
    """Find the callback task of this call; answered by SurveyLoaded."""


@dataclass(frozen=True)
class SurveyLoaded:
    """The task's case: its category and bureau codes (found False: no task for this call)."""

    found: bool
    task_id: int = 0
    case_number: str = ""
    category: str = ""
    bureau: str = ""


@dataclass(frozen=True)
class SaveRating:
    """Record the resident's rating on the task's case; answered by RatingSaved."""

    task_id: int
    rating: str


@dataclass(frozen=True)
class RatingSaved:
    """Whether the rating was recorded."""

    ok: bool


@dataclass(frozen=True)
class SaveComment:
    """Keep the recorded comment on the task and the case; answered by CommentSaved."""

    task_id: int
    path: str


@dataclass(frozen=True)
class CommentSaved:
    """Whether the comment was kept."""

    ok: bool


# ---- survey_intro ---------------------------------------------------------------------------------
def enter_intro(m: Machine, state: CallState, node: Node) -> Transition:
    return Transition(state, (LoadSurvey(),))


def handle_intro(m: Machine, state: CallState, node: Node, event) -> Transition:
    if not isinstance(event, SurveyLoaded):
        return Transition(state)
    if not event.found:
        return m.follow(state, node, "on_fail", "no-task")
    known = dataclasses.replace(state, case_number=event.case_number, callback_task=event.task_id)
    topic = (f"category_{event.category}",) if event.category else ()
    prompts = (node.fields["prompt"], node.fields["topic_prompt"], *topic, node.fields["handled_prompt"],
               f"bureau_{event.bureau}" if event.bureau else "bureau_none", node.fields["done_prompt"])
    return m.follow(known, node, "next", event.case_number).after((c.Play(prompts, state.language),))


# ---- survey_rate ----------------------------------------------------------------------------------
def enter_rate(m: Machine, state: CallState, node: Node) -> Transition:
    return Transition(state, (SaveRating(state.callback_task, str(node.fields["rating"])),))


def handle_rate(m: Machine, state: CallState, node: Node, event) -> Transition:
    if not isinstance(event, RatingSaved):
        return Transition(state)
    return m.follow(state, node, "next", "saved" if event.ok else "not-saved")


# ---- survey_comment -------------------------------------------------------------------------------
def enter_comment(m: Machine, state: CallState, node: Node) -> Transition:
    seconds = int(node.get("max_seconds", COMMENT_SECONDS))
    return Transition(state, (c.Play((node.fields["prompt"],), state.language), c.RecordMessage(seconds)))


def handle_comment(m: Machine, state: CallState, node: Node, event) -> Transition:
    match event:
        case c.Recorded(path=None):
            return m.follow(state, node, "next", "no-comment")
        case c.Recorded(path=path):
            return Transition(state, (SaveComment(state.callback_task, path),))
        case CommentSaved(ok=ok):
            thanks = c.Play((node.fields["saved_prompt"],), state.language)
            return m.follow(state, node, "next", "comment" if ok else "comment-lost").after((thanks,))
    return Transition(state)


register_node_type("survey_intro", enter_intro, handle_intro,
                   {"prompt": "prompt", "topic_prompt": "prompt", "handled_prompt": "prompt",
                    "done_prompt": "prompt", "next": "node", "on_fail": "node"},
                   ("prompt", "topic_prompt", "handled_prompt", "done_prompt", "next", "on_fail"),
                   back_target=False)
register_node_type("survey_rate", enter_rate, handle_rate, {"rating": "value", "next": "node"},
                   ("rating", "next"), back_target=False)
register_node_type("survey_comment", enter_comment, handle_comment,
                   {"prompt": "prompt", "saved_prompt": "prompt", "max_seconds": "value", "next": "node"},
                   ("prompt", "saved_prompt", "next"), back_target=False)
