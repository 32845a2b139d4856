"""Callback tasks on SQLite and PostgreSQL: scheduling, claiming, retries, hand-over, ratings, do-not-call."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from ticketing.callback import service
from ticketing.callback.policy import (
    CallbackPolicy,
    after_failed_attempt,
    may_call_now,
    parse_policy,
    result_of,
)
from ticketing.case.models import CaseEvent

from .support import SHANGHAI, THURSDAY_10, resolved_case

POLICY = CallbackPolicy(max_attempts=3, retry_after=(timedelta(minutes=30), timedelta(hours=2)))
LATER = THURSDAY_10 + timedelta(hours=2)


def test_a_resolved_case_gets_one_task_due_by_the_next_working_day(session, dataset):
    case = resolved_case(session, dataset)
    (task,) = service.schedule(session, dataset, LATER)
    assert (task.status, task.case_id, task.next_attempt_at) == ("pending", case.id, LATER)
    assert task.due_at.astimezone(SHANGHAI) == datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI)  # Friday close
    assert service.schedule(session, dataset, LATER) == []  # once per resolution


def test_cases_resolved_long_ago_get_no_callback(session, dataset):
    resolved_case(session, dataset)
    assert service.schedule(session, dataset, LATER + timedelta(days=8)) == []


def test_unanswered_calls_are_retried_then_handed_to_the_agents(session, dataset):
    resolved_case(session, dataset)
    service.schedule(session, dataset, LATER)
    now = LATER
    for attempt in (1, 2, 3):
        (call,) = service.claim(session, now, limit=5)
        assert call.phone == "+8613800138000" and call.linkedid.startswith("survey-")
        assert service.claim(session, now, limit=5) == []  # already calling
        task = service.attempt_failed(session, POLICY, call.task_id, "no_answer", now)
        if attempt < 3:
            assert task.status == "pending" and task.next_attempt_at > now
            assert service.claim(session, now, limit=5) == []  # not before the retry time
            now = task.next_attempt_at
    assert (task.status, task.attempts, task.last_result) == ("agent", 3, "no_answer")
    assert [t.id for t in service.agent_list(session)] == [task.id]


@pytest.mark.parametrize("rating, status", [("satisfied", "closed"), ("mostly_satisfied", "closed")])
def test_a_good_rating_closes_the_case(session, dataset, rating, status):
    case = resolved_case(session, dataset)
    (task,) = service.schedule(session, dataset, LATER)
    service.rate(session, dataset, task.id, rating, service.SURVEY, LATER)
    assert (case.status, case.satisfaction, task.status, task.rated_by) == (status, rating, "done", "survey")


def test_unsatisfied_reopens_to_the_same_bureau_with_a_new_deadline(session, dataset):
    case = resolved_case(session, dataset)
    first_deadline = case.resolve_by
    (task,) = service.schedule(session, dataset, LATER)
    friday = THURSDAY_10 + timedelta(days=1)
    service.rate(session, dataset, task.id, "unsatisfied", service.SURVEY, friday, comment_path="/tmp/c.wav",
                 note="还有一盏路灯没修好")
    assert (case.status, case.bureau.code, case.satisfaction) == ("dispatched", "urban-mgmt", "unsatisfied")
    # why it is done again stays in the trail for the bureau (the agent's note of the call)
    callback = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                       CaseEvent.action == "callback")).one()
    assert (callback.note, callback.data["rating"]) == ("还有一盏路灯没修好", "unsatisfied")
    assert case.reopened_at == friday and case.dispatched_at == friday and case.resolve_by > first_deadline
    assert task.comment_path == "/tmp/c.wav"
    with pytest.raises(service.TaskClosed):
        service.rate(session, dataset, task.id, "satisfied", service.SURVEY, LATER)


def test_residents_who_asked_not_to_be_called_are_skipped(session, dataset):
    service.add_do_not_call(session, "138 0013 8000", "resident asked on 2026-11-20")
    resolved_case(session, dataset)
    resolved_case(session, dataset, phone="13900139000")
    tasks = service.schedule(session, dataset, LATER)
    assert sorted((t.status, t.last_result) for t in tasks) == [("pending", ""), ("skipped", "do_not_call")]
    assert [c.phone for c in service.claim(session, LATER, limit=5)] == ["+8613900139000"]


@pytest.mark.parametrize("attempts, status, wait", [
    (1, "pending", timedelta(minutes=30)), (2, "pending", timedelta(hours=2)), (3, "agent", None)])
def test_retry_policy(attempts, status, wait):
    outcome = after_failed_attempt(POLICY, attempts, LATER)
    assert outcome.status == status
    assert outcome.next_attempt_at == (LATER + wait if wait else None)


@pytest.mark.parametrize("answered, reason, result", [
    (True, "4", "answered"), (False, "3", "no_answer"), (False, "5", "busy"), (False, "0", "failed"),
    (False, "", "failed")])
def test_result_of_asterisk_reasons(answered, reason, result):
    assert result_of(answered, reason) == result


def test_calling_hours_and_policy_checks():
    assert may_call_now(POLICY, THURSDAY_10) and not may_call_now(POLICY, THURSDAY_10.replace(hour=21))
    policy = parse_policy({"max_attempts": 2, "retry_after_minutes": [5]})
    assert policy.retry_after == (timedelta(minutes=5),)
    with pytest.raises(ValueError):
        parse_policy({"calling_from": "21:00", "calling_until": "08:00"})


def test_do_not_call_over_http(client, headers):
    added = client.post("/api/v1/do-not-call", json={"phone": "138-0013-8000", "note": "asked on the phone"},
                        headers=headers["agent"])
    assert added.status_code == 201 and added.json()["phone"] == "+8613800138000"
    again = client.post("/api/v1/do-not-call", json={"phone": "+8613800138000"}, headers=headers["agent"])
    assert again.status_code == 201
    listed = client.get("/api/v1/do-not-call", headers=headers["supervisor"]).json()
    assert [e["phone"] for e in listed] == ["+8613800138000"]
    wrong = client.post("/api/v1/do-not-call", json={"phone": "not a number"}, headers=headers["agent"])
    assert wrong.status_code == 422 and "phone" in wrong.text.lower()
    assert client.post("/api/v1/do-not-call", json={"phone": "13800138000"},
                       headers=headers["bureau"]).status_code == 403
