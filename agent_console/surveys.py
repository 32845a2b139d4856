"""The survey dialer: every round, schedule callbacks of resolved cases and place the due survey calls.

Calls go through the bridge's command path (Originate on the bus, waiting for the answer). An answered
call is the survey IVR's (ivr/survey); an unanswered or busy one is retried by the district's policy
(callback.yaml) and finally handed to the agents' callback list. A survey call that was answered but never
rated within STALE is counted as unanswered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from agent_console import cases as console_cases
from agent_console.live.commands import AmiCommands, CommandFailed, TelephonyUnavailable
from ticketing.callback import service as callbacks
from ticketing.callback.models import CallbackTask
from ticketing.callback.policy import CallbackPolicy, may_call_now, result_of
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow

log = logging.getLogger(__name__)
STALE = timedelta(minutes=15)


class SurveyDialer:
    """Places 回访 survey calls; `run_round` is one pass (the console runs it every survey_interval)."""

    name = "survey-dialer"

    def __init__(self, session_factory, dataset, commands: AmiCommands, policy: CallbackPolicy,
                 channel_template: str, timezone, clock: Callable[[], datetime] = utcnow) -> None:
        self.session_factory, self.dataset, self.commands = session_factory, dataset, commands
        self.policy, self.channel_template, self.timezone = policy, channel_template, timezone
        self.clock = clock

    async def run_round(self, now: datetime | None = None) -> list[callbacks.SurveyCall]:
        """Schedule new tasks, expire stale calls, and place the due calls (within calling hours)."""
        now = now or self.clock()
        await asyncio.to_thread(self._prepare, now)
        if not may_call_now(self.policy, now.astimezone(self.timezone)):
            return []
        calls = await asyncio.to_thread(self._claim, now)
        await asyncio.gather(*(self.place(call) for call in calls))
        return calls

    def _prepare(self, now: datetime) -> None:
        with session_scope(self.session_factory) as session:
            callbacks.schedule(session, self.dataset, now)
            stale = select(CallbackTask.id).where(CallbackTask.status == "calling",
                                                  CallbackTask.updated_at < now - STALE)
            for task_id in list(session.scalars(stale)):
                callbacks.attempt_failed(session, self.policy, task_id, "no_rating", now)

    def _claim(self, now: datetime) -> list[callbacks.SurveyCall]:
        with session_scope(self.session_factory) as session:
            return callbacks.claim(session, now, self.policy.batch)

    def originate_args(self, call: callbacks.SurveyCall) -> dict[str, Any]:
        """Return the Originate of one survey call: ring the resident, then the survey context."""
        digits = console_cases.dial_digits(call.phone)
        return {"Channel": self.channel_template.format(digits=digits), "Context": "hotline-survey",
                "Exten": "s", "CallerID": f"12345 <{digits}>", "ChannelId": call.linkedid,
                "OtherChannelId": f"{call.linkedid}-r",
                "Variable": {"HOTLINE_SURVEY_TASK": str(call.task_id)}, "Wait": True,
                "RingSeconds": self.policy.ring_seconds}

    async def place(self, call: callbacks.SurveyCall) -> str:
        """Place one survey call and record how it went; return the attempt's result."""
        try:
            reply = await self.commands.run("Originate", self.originate_args(call), check=False,
                                            wait=self.policy.ring_seconds + 15)
            fields = reply.fields if reply.ok else {}
            result = result_of(bool(fields.get("answered")), str(fields.get("reason", "")))
        except (TelephonyUnavailable, CommandFailed) as err:
            log.warning("survey call for case %s not placed: %s", call.case_number, err)
            result = "failed"
        await asyncio.to_thread(self._record, call, result)
        log.info("survey call %s for case %s: %s", call.linkedid, call.case_number, result)
        return result

    def _record(self, call: callbacks.SurveyCall, result: str) -> None:
        with session_scope(self.session_factory) as session:
            if result == "answered":
                callbacks.attempt_answered(session, call.task_id)
            else:
                callbacks.attempt_failed(session, self.policy, call.task_id, result, self.clock())
