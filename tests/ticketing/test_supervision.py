"""Due instants kept on the case and the scheduler taking each step once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ticketing.bus import contract as ct
from ticketing.bus.contract import parse
from ticketing.case import flows, lists, states
from ticketing.case.models import Case, CaseEvent
from ticketing.case.permissions import Actor
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope
from ticketing.outbox.models import OutboxEntry
from ticketing.supervision import orders
from ticketing.supervision.models import CaseNotice, SupervisionOrder
from ticketing.supervision.scheduler import run_due

SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # an ordinary working Monday
AGENT, CLERK, BOSS = Actor("agent1", "agent"), Actor("urban1", "bureau"), Actor("super1", "supervisor")


def dispatched(factory, dataset, now=MONDAY_10, text="小区门口路灯坏了，晚上很黑") -> str:
    with session_scope(factory) as session:
        data = CaseCreate(description=text, street="futian", caller_phone="13800138000", dispatch=True)
        return flows.intake(session, dataset, data, AGENT, now=now).number


def load(factory, number: str) -> Case:
    with session_scope(factory) as session:
        case = session.scalars(select(Case).where(Case.number == number)).unique().one()
        session.expunge(case)
        return case


def kinds(factory, number: str) -> list[str]:
    with session_scope(factory) as session:
        query = select(CaseNotice.kind).join(Case, Case.id == CaseNotice.case_id).where(Case.number == number)
        return list(session.scalars(query.order_by(CaseNotice.id)))


def test_each_stage_stamps_its_due_instants(session_factory, dataset):
    with session_scope(session_factory) as session:
        data = CaseCreate(description="小区门口路灯坏了", street="futian", caller_phone="13800138000")
        number = flows.intake(session, dataset, data, AGENT, now=MONDAY_10).number
    new = load(session_factory, number)
    assert (new.sla_stage, new.sla_next_kind) == ("dispatch", "reminder")
    assert new.sla_due_at == new.dispatch_by and new.sla_remind_at < new.sla_due_at
    with session_scope(session_factory) as session:
        flows.apply_action(session, dataset, number, "dispatch", {}, AGENT, now=MONDAY_10)
    sent = load(session_factory, number)
    assert (sent.sla_stage, sent.sla_due_at) == ("acknowledge", sent.acknowledge_by)
    assert sent.sla_next_at == sent.sla_remind_at == datetime(2026, 11, 23, 11, 36, tzinfo=SH)
    with session_scope(session_factory) as session:
        flows.apply_action(
            session, dataset, number, "acknowledge", {}, CLERK.__class__("urban1", "bureau", sent.bureau_id)
        )
    working = load(session_factory, number)
    assert (working.sla_stage, working.sla_due_at) == ("resolve", working.resolve_by)
    with session_scope(session_factory) as session:
        flows.apply_action(session, dataset, number, "start", {}, "system")
        flows.apply_action(session, dataset, number, "pause", {"note": "等待市民补充照片"}, "system")
    assert load(session_factory, number).sla_next_at is None  # a stopped clock has nothing due
    with session_scope(session_factory) as session:
        flows.apply_action(session, dataset, number, "resolve", {"reply": "已修复"}, "system")
    done = load(session_factory, number)
    assert done.sla_stage is None and done.sla_next_at is None and done.sla_due_at is None


def test_the_scheduler_takes_each_step_once_in_order(session_factory, dataset):
    number = dispatched(session_factory, dataset)
    assert run_due(session_factory, dataset, MONDAY_10 + timedelta(minutes=30)) == []
    at_reminder = datetime(2026, 11, 23, 11, 36, tzinfo=SH)
    raised = run_due(session_factory, dataset, at_reminder)
    assert [(r.number, r.kind, r.stage) for r in raised] == [(number, "reminder", "acknowledge")]
    assert run_due(session_factory, dataset, at_reminder) == []  # taken: nothing due any more
    late = datetime(2026, 11, 23, 17, 0, tzinfo=SH)  # past 12:00 and 12:00 + 2 working hours (16:00)
    assert [r.kind for r in run_due(session_factory, dataset, late)] == ["overdue", "urge"]
    assert kinds(session_factory, number) == ["reminder", "overdue", "urge"]
    assert load(session_factory, number).sla_next_at is None  # acknowledge has no 督办 step
    with session_scope(session_factory) as session:
        actions = session.scalars(select(CaseEvent.action).join(Case).where(Case.number == number)).all()
    assert {"sla-reminder", "sla-overdue", "urge"} <= set(actions)
    # Each step's notice was committed with it in the outbox, as its contract event.
    with session_scope(session_factory) as session:
        rows = session.scalars(select(OutboxEntry).where(OutboxEntry.key == number,
                                                         OutboxEntry.type.like("case.%"))
                               .order_by(OutboxEntry.seq)).all()
        notices = [parse(r.type, r.data) for r in rows if r.type not in ("case.created", "case.changed")]
    assert [(type(n), n.kind, n.stage) for n in notices] == [
        (ct.CaseReminded, "reminder", "acknowledge"), (ct.CaseOverdue, "overdue", "acknowledge"),
        (ct.CaseUrged, "urge", "acknowledge")]
    bureau_id = load(session_factory, number).bureau_id
    assert all(n.bureau == "urban-mgmt" and n.bureau_id == bureau_id and n.due for n in notices)


def test_overdue_resolution_is_put_under_supervision_and_answered(session_factory, dataset):
    number = dispatched(session_factory, dataset)
    with session_scope(session_factory) as session:
        case = session.scalars(select(Case).where(Case.number == number)).unique().one()
        bureau_id = case.bureau_id
        flows.apply_action(
            session,
            dataset,
            number,
            "acknowledge",
            {},
            Actor("urban1", "bureau", bureau_id),
            now=MONDAY_10 + timedelta(minutes=5),
        )
    due = load(session_factory, number).resolve_by
    version = load(session_factory, number).version
    raised = run_due(session_factory, dataset, due + timedelta(days=10))
    assert [r.kind for r in raised] == ["reminder", "overdue", "urge", "supervise"]
    with session_scope(session_factory) as session:
        row = session.scalars(select(OutboxEntry).where(OutboxEntry.type == "case.supervised")).one()
        assert parse(row.type, row.data).order == raised[-1].order_id is not None
    case = load(session_factory, number)
    assert case.supervised_at is not None and case.version == version  # a clerk's form is not made stale
    with session_scope(session_factory) as session:
        order = orders.open_order(session, case.id)
        assert order.automatic and order.answer_by > order.ordered_at
        flows.apply_action(
            session,
            dataset,
            number,
            "answer-supervision",
            {"note": "已增派人手，本周内办结"},
            Actor("urban1", "bureau", bureau_id),
        )
    assert load(session_factory, number).supervised_at is None
    with session_scope(session_factory) as session:
        assert session.scalar(select(SupervisionOrder.answer)) == "已增派人手，本周内办结"


def test_a_supervisor_orders_supervision_by_hand(session_factory, dataset):
    number = dispatched(session_factory, dataset)
    with session_scope(session_factory) as session:
        flows.apply_action(session, dataset, number, "supervise", {"note": "市民多次来电催促"}, BOSS)
    case = load(session_factory, number)
    assert case.supervised_at is not None
    with session_scope(session_factory) as session:
        found = lists.page(session, lists.ListCriteria(supervised=True), MONDAY_10).items
        assert [c.number for c in found] == [number]
        # The bureau is told as by the scheduler: the contract's case.supervised notice, for its bureau,
        # naming the order, and a row on its notice list (not a bare case.changed "supervise").
        rows = session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)).all()
        last = parse(rows[-1].type, rows[-1].data)
        order = orders.open_order(session, case.id)
        assert isinstance(last, ct.CaseSupervised) and last.TYPE == "case.supervised"
        assert (last.number, last.bureau_id, last.order) == (number, case.bureau_id, order.id)
        assert not [r for r in rows if r.type == "case.changed" and r.data.get("action") == "supervise"]
    assert kinds(session_factory, number) == ["supervise"]
    with session_scope(session_factory) as session:  # answered, then supervised again: listed again
        flows.apply_action(session, dataset, number, "answer-supervision", {"note": "已安排"},
                           Actor("urban1", "bureau", case.bureau_id))
        flows.apply_action(session, dataset, number, "supervise", {"note": "仍未处理"}, BOSS)
    assert kinds(session_factory, number) == ["supervise", "supervise"]


def test_several_processes_take_a_step_once(backend, session_factory, dataset):
    numbers = [dispatched(session_factory, dataset, text=f"路灯坏了 {i}") for i in range(6)]
    at = datetime(2026, 11, 23, 11, 40, tzinfo=SH)
    results: list[list] = []
    errors: list[BaseException] = []

    def worker():
        try:
            results.append(run_due(session_factory, dataset, at, batch=2))
        except BaseException as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(3 if backend[0] == "postgresql" else 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    taken = sorted(r.number for batch in results for r in batch)
    assert taken == sorted(numbers)
    with session_scope(session_factory) as session:
        assert session.scalar(select(func.count(CaseNotice.id))) == len(numbers)


def test_the_deadline_list_is_complete_and_most_urgent_first(session_factory, dataset):
    numbers = [
        dispatched(session_factory, dataset, now=MONDAY_10 + timedelta(minutes=i), text=f"路灯 {i}")
        for i in range(5)
    ]
    criteria = lists.ListCriteria(statuses=tuple(states.OPEN_STATUSES), deadline="near", order="due", limit=2)
    with session_scope(session_factory) as session:
        assert lists.page(session, criteria, MONDAY_10).items == []
        later = datetime(2026, 11, 23, 15, 0, tzinfo=SH)
        first = lists.page(session, criteria, later)
        second = lists.page(
            session, lists.ListCriteria(**{**criteria.__dict__, "after": first.next_cursor}), later
        )
        third = lists.page(
            session, lists.ListCriteria(**{**criteria.__dict__, "after": second.next_cursor}), later
        )
        seen = [c.number for c in first.items + second.items + third.items]
    assert seen == numbers and third.next_cursor is None


def test_deadline_lists_show_running_clocks_of_their_statuses_only(session_factory, dataset):
    late = datetime(2026, 11, 30, 15, 0, tzinfo=SH)  # a week on: every clock below is past its deadline
    waiting = dispatched(session_factory, dataset, text="路灯 等签收")
    returned = dispatched(session_factory, dataset, text="路灯 退回")
    with session_scope(session_factory) as session:
        data = CaseCreate(description="路灯 未派单", street="futian", caller_phone="13800138000")
        undispatched = flows.intake(session, dataset, data, AGENT, now=MONDAY_10).number
        clerk = Actor("clerk", "bureau", load(session_factory, returned).bureau_id)
        reason = {"note": "不属于本单位"}
        flows.apply_action(session, dataset, returned, "return", reason, clerk, now=MONDAY_10)
    everything = lists.ListCriteria(statuses=tuple(states.OPEN_STATUSES), deadline="overdue", order="due")
    bureau_tab = lists.ListCriteria(statuses=(states.DISPATCHED, states.ACKNOWLEDGED), deadline="overdue",
                                    order="due")
    with session_scope(session_factory) as session:
        assert {c.number for c in lists.page(session, everything, late).items} == {waiting, undispatched}
        assert [c.number for c in lists.page(session, bureau_tab, late).items] == [waiting]
