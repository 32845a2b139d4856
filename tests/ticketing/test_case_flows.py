"""Intake and lifecycle flows on SQLite and PostgreSQL: routing, numbers, deadlines, audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ticketing.bus import contract as ct
from ticketing.bus.contract import parse
from ticketing.case import flows, reads, service
from ticketing.case.errors import (
    AlreadyWithBureau,
    CaseNotFound,
    ConcurrentUpdate,
    InvalidAction,
    NotPermitted,
    UnknownReference,
)
from ticketing.case.models import Case, CaseEvent
from ticketing.case.permissions import Actor
from ticketing.case.schemas import CaseCreate
from ticketing.case.states import IllegalTransition
from ticketing.database.core import session_scope
from ticketing.outbox.models import OutboxEntry
from ticketing.sla import shift

SHANGHAI = ZoneInfo("Asia/Shanghai")
THURSDAY_10 = datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
AGENT = Actor("agent1", "agent")


def new_case(session, dataset, now=THURSDAY_10, **fields) -> Case:
    data = {
        "description": "小区门口路灯坏了，晚上很黑",
        "street": "futian",
        "caller_phone": "13800138000",
        **fields,
    }
    return flows.intake(session, dataset, CaseCreate(**data), AGENT, now=now)


def test_intake_routes_numbers_and_sets_the_dispatch_deadline(session, dataset):
    case = new_case(session, dataset)
    session.commit()
    assert case.number == "FT20261126-0001"
    assert (case.status, case.category.code, case.bureau.code) == ("new", "street-lights", "urban-mgmt")
    assert case.routing_rule == "category-default" and "路灯" in case.routing_explanation
    assert case.caller_phone == "+8613800138000"
    assert case.dispatch_by > THURSDAY_10 and case.acknowledge_by is None
    assert case.version == 1
    events = service.events(session, case)
    assert [(e.action, e.from_status, e.to_status, e.actor) for e in events] == [
        ("create", None, "new", "agent1")
    ]


def test_numbers_count_per_local_day(session, dataset):
    first = new_case(session, dataset)
    second = new_case(session, dataset)
    late_evening = datetime(2026, 11, 26, 23, 30, tzinfo=SHANGHAI)  # 15:30 UTC, still the 26th locally
    third = new_case(session, dataset, now=late_evening)
    next_day = new_case(session, dataset, now=late_evening + timedelta(hours=1))
    assert [first.number, second.number, third.number, next_day.number] == [
        "FT20261126-0001",
        "FT20261126-0002",
        "FT20261126-0003",
        "FT20261127-0001",
    ]


def test_intake_with_dispatch_sets_all_deadlines(session, dataset):
    case = new_case(session, dataset, dispatch=True)
    assert case.status == "dispatched" and case.dispatched_at == THURSDAY_10
    assert case.acknowledge_by == datetime(2026, 11, 26, 12, 0, tzinfo=SHANGHAI)  # 2 working hours
    assert case.resolve_by > case.acknowledge_by
    assert [e.action for e in service.events(session, case)] == ["create", "dispatch"]


def test_chosen_category_and_bureau_override_routing(session, dataset):
    case = new_case(session, dataset, category="litter", bureau="street-futian")
    assert (case.category.code, case.bureau.code) == ("litter", "street-futian")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("street", "atlantis"),
        ("category", "dragons"),
        ("bureau", "ministry-of-magic"),
        ("community", "nowhere"),
    ],
)
def test_unknown_codes_are_refused_and_nothing_is_written(session, dataset, field, value):
    with pytest.raises(UnknownReference, match=f"unknown {field} '{value}'"):
        new_case(session, dataset, **{field: value})
    session.rollback()
    assert session.scalar(select(func.count(Case.id))) == 0


def test_full_lifecycle(session, dataset):
    case = new_case(session, dataset)
    bureau = Actor("urban1", "bureau", bureau_id=case.bureau_id)
    supervisor = Actor("super1", "supervisor")
    steps = [
        ("dispatch", {}, AGENT, "dispatched"),
        ("acknowledge", {}, bureau, "acknowledged"),
        ("start", {}, bureau, "in_progress"),
        ("request-extension", {"days": 3, "note": "需要协调供电局"}, bureau, "extension_requested"),
        ("approve-extension", {}, supervisor, "in_progress"),
        ("resolve", {"reply": "路灯已修复"}, bureau, "resolved"),
        ("callback", {"rating": "unsatisfied"}, AGENT, "reopened"),
        ("dispatch", {"bureau": "street-futian"}, AGENT, "dispatched"),
    ]
    resolve_by = None
    for action, payload, actor, status in steps:
        if action == "approve-extension":
            resolve_by = case.resolve_by
        case = flows.apply_action(session, dataset, case.number, action, payload, actor, now=THURSDAY_10)
        assert case.status == status, action
        if action == "approve-extension":
            assert case.extended_days == 3 and case.resolve_by > resolve_by
    session.commit()
    assert case.bureau.code == "street-futian" and case.satisfaction == "unsatisfied"
    assert case.version == len(steps) + 1
    trail = [(e.action, e.from_status, e.to_status) for e in service.events(session, case)]
    assert trail[0] == ("create", None, "new") and trail[-1] == ("dispatch", "reopened", "dispatched")
    assert len(trail) == len(steps) + 1
    # Each step staged its contract events in the outbox: the rated callback (回访) and the reopening (重办)
    # are their own types, with the rating and the reason.
    events = [parse(r.type, r.data) for r in session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))]
    assert [e.TYPE for e in events] == ["case.created"] + ["case.changed"] * 6 + [
        "case.called_back", "case.reopened", "case.changed"]
    called_back, reopened = events[7], events[8]
    assert called_back.rating == "unsatisfied" and called_back.status == "reopened"
    assert (reopened.reason, reopened.action, reopened.number) == ("unsatisfied", "callback", case.number)


def test_a_satisfied_callback_closes_without_reopening_and_a_reopen_says_why(session, dataset):
    first, second = new_case(session, dataset), new_case(session, dataset)
    bureau = Actor("urban1", "bureau", bureau_id=first.bureau_id)
    for number, last in ((first.number, ("callback", {"rating": "satisfied"})),
                         (second.number, ("reopen", {}))):
        steps = (("dispatch", {}), ("acknowledge", {}), ("resolve", {"reply": "已修复"}), last)
        for action, payload in steps:
            actor = bureau if action in ("acknowledge", "resolve") else Actor("super1", "supervisor")
            flows.apply_action(session, dataset, number, action, payload, actor, now=THURSDAY_10)
    session.commit()
    rows = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
    tail = {r.key: parse(r.type, r.data) for r in rows}  # the last event of each case
    assert isinstance(tail[first.number], ct.CaseCalledBack) and tail[first.number].status == "closed"
    assert not any(r.type == "case.reopened" and r.key == first.number for r in rows)
    assert isinstance(tail[second.number], ct.CaseReopened) and tail[second.number].reason == "reopen"


def test_illegal_action_writes_nothing(session, dataset):
    case = new_case(session, dataset)
    session.commit()
    with pytest.raises(IllegalTransition, match="cannot acknowledge a case that is new"):
        flows.apply_action(session, dataset, case.number, "acknowledge", {}, "system")
    session.rollback()
    assert session.scalar(select(func.count(CaseEvent.id))) == 1
    assert service.get_by_number(session, case.number).version == 1


@pytest.mark.parametrize(
    ("action", "payload", "message"),
    [
        ("return", {}, "return needs a reason"),
        ("resolve", {}, "resolve needs a reply"),
        ("request-extension", {"note": "why"}, "request-extension needs days"),
        ("merge", {}, "merge needs the number"),
        ("note", {}, "note needs text"),
    ],
)
def test_actions_check_their_payload(session, dataset, action, payload, message):
    case = new_case(session, dataset, dispatch=True)
    flows.apply_action(session, dataset, case.number, "acknowledge", {}, "system")
    with pytest.raises(InvalidAction, match=message):
        flows.apply_action(session, dataset, case.number, action, payload, "system")


def test_bureau_users_only_touch_their_own_dispatched_cases(session, dataset):
    case = new_case(session, dataset)  # routed to urban-mgmt, not dispatched yet
    urban = Actor("urban1", "bureau", bureau_id=case.bureau_id)
    with pytest.raises(CaseNotFound):
        flows.apply_action(session, dataset, case.number, "acknowledge", {}, urban)
    flows.apply_action(session, dataset, case.number, "dispatch", {}, AGENT)
    other = Actor("env1", "bureau", bureau_id=case.bureau_id + 1)
    with pytest.raises(CaseNotFound):
        flows.apply_action(session, dataset, case.number, "acknowledge", {}, other)
    with pytest.raises(NotPermitted, match="role 'bureau' may not approve-extension"):
        flows.apply_action(session, dataset, case.number, "approve-extension", {}, urban)
    assert (
        flows.apply_action(session, dataset, case.number, "acknowledge", {}, urban).status == "acknowledged"
    )


def test_a_re_dispatch_to_the_bureau_holding_the_case_is_refused_and_restarts_nothing(session, dataset):
    case = new_case(session, dataset, dispatch=True)
    flows.apply_action(session, dataset, case.number, "acknowledge", {}, "system")
    session.commit()
    acknowledge_by, resolve_by = case.acknowledge_by, case.resolve_by
    later = THURSDAY_10 + timedelta(hours=2)
    for payload in ({}, {"bureau": case.bureau.code}, {"bureau": case.bureau.code, "assist": []}):
        with pytest.raises(AlreadyWithBureau, match="already with"):
            flows.apply_action(session, dataset, case.number, "dispatch", payload, AGENT, now=later)
        session.rollback()
    case = service.get_by_number(session, case.number)
    assert (case.status, case.acknowledge_by, case.resolve_by) == ("acknowledged", acknowledge_by, resolve_by)
    assert [e.action for e in service.events(session, case)] == ["create", "dispatch", "acknowledge"]
    # Adding an assisting bureau (协办) still goes through, and so does a re-dispatch elsewhere (改派).
    assisted = {"assist": ["environment"]}
    flows.apply_action(session, dataset, case.number, "dispatch", assisted, AGENT, now=later)
    moved = flows.apply_action(session, dataset, case.number, "dispatch", {"bureau": "street-futian"}, AGENT,
                               now=later)
    assert (moved.status, moved.bureau.code) == ("dispatched", "street-futian")


def test_merge_links_the_duplicate_and_notes_the_target(session, dataset):
    original = new_case(session, dataset)
    duplicate = new_case(session, dataset)
    flows.apply_action(session, dataset, duplicate.number, "merge", {"target": original.number}, AGENT)
    assert duplicate.status == "merged" and duplicate.merged_into_id == original.id
    assert [e.action for e in service.events(session, original)][-1] == "merge-in"
    with pytest.raises(UnknownReference):
        flows.apply_action(session, dataset, original.number, "merge", {"target": "FT19990101-0001"}, AGENT)


def test_attachments_are_logged_and_found_by_search(session, dataset):
    case = new_case(session, dataset)
    service.add_attachment(session, case.number, "transcript", transcript="居民说路灯闪烁已经三天")
    session.commit()
    found, total = service.get_all(session, service.CaseFilter(q="闪烁"))
    assert total == 1 and found[0].number == case.number
    assert service.get_all(session, service.CaseFilter(q="100%"))[1] == 0
    assert [e.action for e in service.events(session, case)] == ["create", "attach"]


def test_caller_history_accepts_any_form_of_the_number(session, dataset):
    new_case(session, dataset, caller_phone="0755-83212345")
    new_case(session, dataset, caller_phone="13900000000")
    session.commit()
    history = service.caller_history(session, "075583212345")
    assert history.phone == "+8675583212345" and len(history.cases) == 1 and history.calls == []


def test_caller_history_reads_calls_from_the_index_alone(session):
    """What the history shows of each call is in the index (migration 0024): no table page per call."""
    from sqlalchemy import event, text

    from ticketing.call.models import Call

    start = datetime(2026, 11, 26, 9, tzinfo=ZoneInfo("UTC"))
    for n in range(3):
        session.add(Call(linkedid=f"hist.{n}", caller="+8613700000000", caller_raw="13700000000",
                         started_at=start + timedelta(minutes=n), outcome="answered", queue="general-zh",
                         agent="agent1", status="ended", ivr_path=[]))
    session.flush()
    statements: list[tuple[str, object]] = []
    capture = lambda _c, _cur, statement, params, *_: statements.append((statement, params))  # noqa: E731
    bind = session.connection().engine
    event.listen(bind, "before_cursor_execute", capture)
    try:
        history = service.caller_history(session, "137 0000 0000")
    finally:
        event.remove(bind, "before_cursor_execute", capture)
    assert [call.linkedid for call in history.calls] == ["hist.2", "hist.1", "hist.0"]
    assert history.calls[0].queue == "general-zh" and history.calls[0].outcome == "answered"
    if bind.dialect.name != "postgresql":
        return  # SQLite has no INCLUDE; its index is the plain (caller, started_at)
    statement, params = next((s, p) for s, p in statements if "FROM calls" in s)
    conn = session.connection()
    conn.execute(text("SET LOCAL enable_seqscan = off"))
    conn.execute(text("SET LOCAL enable_bitmapscan = off"))
    plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, params))
    assert "Index Only Scan" in plan and "ix_calls_caller_started" in plan, plan


def test_numbers_survive_separate_transactions(session_factory, dataset):
    numbers = []
    for _ in range(3):
        with session_scope(session_factory) as session:
            numbers.append(new_case(session, dataset).number)
    assert numbers == ["FT20261126-0001", "FT20261126-0002", "FT20261126-0003"]


def test_a_stale_copy_of_the_case_is_reread_under_the_lock(session_factory, dataset):
    with session_scope(session_factory) as setup:
        number = new_case(setup, dataset, dispatch=True).number
    with session_factory() as first, session_factory() as second:
        # Both sessions hold the case at version 2 (kept referenced: the identity map holds objects weakly).
        held = service.require(first, number), service.require(second, number)
        assert [case.version for case in held] == [2, 2]
        flows.apply_action(first, dataset, number, "acknowledge", {}, "system")
        first.commit()
        # A client that decided on version 2 is refused; the stale copy never overwrites version 3.
        with pytest.raises(ConcurrentUpdate, match=f"case {number} was changed by someone else"):
            flows.apply_action(second, dataset, number, "return",
                               {"note": "不是我们的", "expected_version": 2}, "system")
        second.rollback()
        # Without expected_version the action applies to the case as it is now (re-read under the lock).
        flows.apply_action(second, dataset, number, "start", {}, "system")
        second.commit()
    with session_factory() as check:
        case = service.require(check, number)
        assert (case.status, case.version) == ("in_progress", 4)
        actions = [e.action for e in service.events(check, case)]
        assert actions == ["create", "dispatch", "acknowledge", "start"]


def test_pause_stops_the_resolve_clock_for_working_time_only(session, dataset):
    case = new_case(session, dataset, dispatch=True)
    for action in ("acknowledge", "start"):
        flows.apply_action(session, dataset, case.number, action, {}, "system", now=THURSDAY_10)
    original = case.resolve_by
    flows.apply_action(
        session, dataset, case.number, "pause", {"note": "等居民补充照片"}, "system", now=THURSDAY_10
    )
    assert (
        case.paused_at == THURSDAY_10
        and "resume" in reads.to_read(case, dataset, THURSDAY_10).allowed_actions
    )
    with pytest.raises(IllegalTransition, match="already paused"):
        flows.apply_action(session, dataset, case.number, "pause", {"note": "again"}, "system")
    four_pm = THURSDAY_10.replace(hour=16)  # 10-12 and 14-16: four working hours, lunch excluded
    flows.apply_action(session, dataset, case.number, "resume", {}, "system", now=four_pm)
    assert case.paused_seconds == 4 * 3600 and case.paused_at is None
    assert case.resolve_by == shift(dataset.calendar, original, timedelta(hours=4))
    flows.apply_action(session, dataset, case.number, "pause", {"note": "再等"}, "system", now=four_pm)
    flows.apply_action(
        session,
        dataset,
        case.number,
        "resolve",
        {"reply": "已处理"},
        "system",
        now=four_pm + timedelta(hours=1),
    )
    assert case.paused_at is None and case.paused_seconds == 5 * 3600  # resolving ends the pause
