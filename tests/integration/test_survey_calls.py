"""回访 survey calls through the real Asterisk: the dialer originates through the bridge's command path,
the resident (a Local channel of the test dial plan) answers and keys 1, 2 or 3, may leave a spoken
comment; no answer and busy are retried by the policy, then the task goes to the agents' list.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from agent_console.live.commands import AmiCommands
from agent_console.surveys import SurveyDialer
from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.testcall import BusSteps, TestCaller, parse_moves
from tests.integration.test_ivr_calls import WORKING, database, dataset, menus, sounds  # noqa: F401
from tests.ticketing.callback.support import resolved_case
from ticketing.bus import Streams
from ticketing.callback import service as callbacks
from ticketing.callback.policy import CallbackPolicy
from ticketing.case import service as cases
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.timeout(180)]
SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = CallbackPolicy(max_attempts=2, retry_after=(timedelta(minutes=30),), ring_seconds=6)
ANSWERS = "Local/caller@hotline-test/n"
AFTER = WORKING + timedelta(hours=2)  # the survey calls' "now": two hours after the case was resolved


@pytest.fixture
async def survey(asterisk, ami_bridge, bus, database, dataset, menus, sounds):  # noqa: F811
    """The IVR server, a dialer on the bridge's command path, and a resident who follows the survey menu."""
    services = IvrServices(database, dataset, case_prefix="FT", clock=fixed_clock(WORKING, SHANGHAI))
    host, port = asterisk.agi
    server = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, asterisk.recordings_dir),
                       host=host, port=port)
    commands = AmiCommands(bus, 5.0)
    bus.subscribe(Streams.AMI_REPLIES, "survey-test", commands.on_reply, durable=False)
    steps = BusSteps(bus)
    await server.start()
    resident = TestCaller(ami_bridge.actions, steps, menus["survey"], prompts_dir=asterisk.prompts_dir,
                          test_audio_dir=asterisk.test_audio_dir)

    def dialer(channel: str) -> SurveyDialer:
        return SurveyDialer(database, dataset, commands, POLICY, channel, SHANGHAI, clock=lambda: AFTER)

    yield dialer, steps, resident
    await server.stop()


def _due_call(database, dataset, now):  # noqa: F811
    """Resolve a case, schedule its task and claim its survey call."""
    with session_scope(database) as session:
        case = resolved_case(session, dataset)
        callbacks.schedule(session, dataset, now)
        number = case.number
    with session_scope(database) as session:
        (call,) = [c for c in callbacks.claim(session, now, 10) if c.case_number == number]
    return call


def _task(database, task_id):  # noqa: F811
    with session_scope(database) as session:
        task = callbacks.get(session, task_id)
        case = cases.get_by_number(session, task.case.number)
        return task.status, task.rating, task.attempts, task.comment_path, case.status, case.satisfaction


async def _answered_survey(survey, call, moves):
    dialer, steps, resident = survey
    steps.watch(call.linkedid)
    placed = asyncio.create_task(dialer(ANSWERS).place(call))
    report = await resident.answer(call.linkedid, parse_moves(moves), limit=90)
    assert await placed == "answered"
    return report


@pytest.mark.parametrize("key, rating, case_status", [
    ("1", "satisfied", "closed"), ("2", "mostly_satisfied", "closed"), ("3", "unsatisfied", "dispatched")])
async def test_each_key_records_its_rating(survey, database, dataset, key, rating, case_status):  # noqa: F811
    call = _due_call(database, dataset, AFTER)
    report = await _answered_survey(survey, call, [key, "#"])
    assert [node for node, _ in report.path][:3] == ["intro", "ask", f"rate_{rating.split('_')[0]}"
                                                     if rating != "mostly_satisfied" else "rate_mostly"]
    status, saved, attempts, _comment, case, satisfaction = _task(database, call.task_id)
    assert (status, saved, attempts, case, satisfaction) == ("done", rating, 1, case_status, rating)


async def test_a_spoken_comment_is_kept_as_audio(survey, database, dataset):  # noqa: F811
    call = _due_call(database, dataset, AFTER)
    report = await _answered_survey(survey, call, ["3", "@message"])
    assert ("comment", "comment") in [(node, step) for node, step in report.path] or \
        [node for node, _ in report.path][-1] == "goodbye"
    status, rating, _attempts, comment, case, _ = _task(database, call.task_id)
    assert (status, rating, case) == ("done", "unsatisfied", "dispatched")
    size = await asyncio.to_thread(lambda: __import__("os").path.getsize(comment))
    assert comment.endswith(".wav") and size > 8000


@pytest.mark.parametrize("target, result", [("Local/noanswer@hotline-test/n", "no_answer"),
                                            ("Local/busy@hotline-test/n", "busy")])
async def test_unanswered_is_retried_then_answered(survey, database, dataset, target, result):  # noqa: F811
    dialer, steps, resident = survey
    now = AFTER
    call = _due_call(database, dataset, now)
    outcome = await dialer(target).place(call)
    assert outcome != "answered"
    status, _r, attempts, *_ = _task(database, call.task_id)
    assert (status, attempts) == ("pending", 1)
    with session_scope(database) as session:  # nothing before the retry time, then the second attempt
        assert callbacks.claim(session, now + timedelta(minutes=29), 10) == []
        (again,) = callbacks.claim(session, now + timedelta(minutes=31), 10)
    await _answered_survey(survey, again, ["1", "#"])
    status, rating, attempts, *_ = _task(database, call.task_id)
    assert (status, rating, attempts) == ("done", "satisfied", 2)
    assert outcome == result


async def test_after_the_last_attempt_the_task_goes_to_the_agents(survey, database, dataset):  # noqa: F811
    dialer, *_ = survey
    now = AFTER
    call = _due_call(database, dataset, now)
    await dialer("Local/busy@hotline-test/n").place(call)
    with session_scope(database) as session:
        (again,) = callbacks.claim(session, now + timedelta(hours=1), 10)
    await dialer("Local/busy@hotline-test/n").place(again)
    status, rating, attempts, *_ = _task(database, call.task_id)
    assert (status, rating, attempts) == ("agent", None, 2)
