"""Run the survey nodes' commands on a call (the IO side of ivr/survey/node.py), registered with the IVR."""

from __future__ import annotations

import asyncio
import logging

from ivr.agi import session as agi_session
from ivr.agi.session import CallSession
from ivr.survey import node as n
from ivr.survey.services import SurveyServices

log = logging.getLogger(__name__)

TASK_VARIABLE = "HOTLINE_SURVEY_TASK"  # set by the survey call's Originate


def _services(session: CallSession) -> SurveyServices:
    return SurveyServices(session.services.session_factory, session.services.dataset, session.services.clock)


async def load(session: CallSession, cmd: n.LoadSurvey) -> n.SurveyLoaded:
    """Read the task id from the channel and look its case up."""
    raw = await session._variable(TASK_VARIABLE)
    if not raw.isdigit():
        log.warning("survey call %s has no callback task (%s=%r)", session.call.linkedid, TASK_VARIABLE, raw)
        return n.SurveyLoaded(found=False)
    try:
        return await asyncio.to_thread(_services(session).load, int(raw))
    except Exception:
        log.exception("loading callback task %s failed", raw)
        return n.SurveyLoaded(found=False)


async def rate(session: CallSession, cmd: n.SaveRating) -> n.RatingSaved:
    """Record the rating the resident keyed."""
    try:
        await asyncio.to_thread(_services(session).rate, cmd.task_id, cmd.rating)
    except Exception:
        log.exception("saving rating %s of callback task %s failed", cmd.rating, cmd.task_id)
        return n.RatingSaved(ok=False)
    log.info("survey call %s: task %s rated %s", session.call.linkedid, cmd.task_id, cmd.rating)
    return n.RatingSaved(ok=True)


async def comment(session: CallSession, cmd: n.SaveComment) -> n.CommentSaved:
    """Keep the spoken comment on the task and the case."""
    try:
        await asyncio.to_thread(_services(session).comment, cmd.task_id, cmd.path)
    except Exception:
        log.exception("keeping the comment of callback task %s failed", cmd.task_id)
        return n.CommentSaved(ok=False)
    return n.CommentSaved(ok=True)


def register() -> None:
    """Teach the IVR's call session to run the survey nodes' commands (done on import; idempotent)."""
    agi_session.EXECUTORS.update({n.LoadSurvey: load, n.SaveRating: rate, n.SaveComment: comment})


register()  # ivr.agi.session imports this module (PLUGIN_EXECUTOR_MODULES) before running a call
