"""Report figures against hand-computed fixtures, on SQLite and PostgreSQL (the `session` backends)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ticketing.report import service, working
from ticketing.report.figures import case_counts, prepare
from ticketing.report.periods import period

from .fixtures import AS_OF, TZ, at, casework_cases, holiday_calls, holiday_cases

SPAN = period(date(2026, 9, 1), date(2026, 10, 31), TZ)


def _rows(table):
    return {row["key"]: row for row in table.rows}


def test_bureau_figures_match_the_hand_computed_ones(session, dataset):
    holiday_cases(session)
    table = service.case_report(session, dataset.calendar, SPAN, "bureau", AS_OF)
    rows = _rows(table)
    assert list(rows) == ["urban-mgmt", "environment", None]
    urban = rows["urban-mgmt"]
    assert (urban["received"], urban["dispatched"], urban["resolved"], urban["rated"]) == (2, 2, 2, 2)
    assert urban["acknowledged_on_time_pct"] == 50.0
    assert urban["resolved_on_time_pct"] == 50.0
    assert (urban["returned_pct"], urban["extended_pct"], urban["reopened_pct"]) == (50.0, 50.0, 50.0)
    assert urban["avg_handling_hours"] == 12.0  # (7 + 17) / 2 working hours across the holiday
    assert urban["satisfaction_pct"] == 50.0  # 基本满意 counts as satisfied, 不满意 does not
    assert urban["direct_answer_pct"] == 0.0
    environment = rows["environment"]
    assert (environment["acknowledged_on_time_pct"], environment["resolved_on_time_pct"]) == (0.0, 0.0)
    assert environment["avg_handling_hours"] is None and environment["satisfaction_pct"] is None
    centre = rows[None]
    assert (centre["name_zh"], centre["direct_answer_pct"], centre["satisfaction_pct"]) == (
        "未派单", 100.0, 100.0)
    assert centre["acknowledged_on_time_pct"] is None
    total = table.total
    assert (total["received"], total["dispatched"], total["resolved"]) == (4, 3, 3)
    assert (total["acknowledged_on_time_pct"], total["resolved_on_time_pct"]) == (33.3, 33.3)
    assert (total["satisfaction_pct"], total["direct_answer_pct"]) == (66.7, 25.0)
    assert total["avg_handling_hours"] == 12.0


def test_each_case_handling_time_is_the_calendars(session, dataset):
    holiday_cases(session)
    one_month = period(date(2026, 9, 30), date(2026, 9, 30), TZ)
    counts = case_counts(session, dataset.calendar, one_month, "bureau", AS_OF)
    (only,) = counts.values()
    expected = dataset.calendar.working_time_between(at(9, 30, 10), at(10, 8, 10))
    assert expected == timedelta(hours=7)
    assert only["handling_seconds"] == expected.total_seconds()


def test_street_category_and_agent_groupings(session, dataset):
    holiday_cases(session)
    streets = _rows(service.case_report(session, dataset.calendar, SPAN, "street", AS_OF))
    assert {k: r["received"] for k, r in streets.items()} == {"futian": 3, "nanyuan": 1}
    assert streets["nanyuan"]["name_zh"] == "南园街道" or streets["nanyuan"]["name_zh"].startswith("南园")
    categories = _rows(service.case_report(session, dataset.calendar, SPAN, "category", AS_OF))
    assert {k: r["received"] for k, r in categories.items()} == {"city-management": 3, "noise": 1}
    agents = _rows(service.case_report(session, dataset.calendar, SPAN, "agent", AS_OF))
    assert {k: r["received"] for k, r in agents.items()} == {"agent1": 3, "agent2": 1}
    assert agents["agent2"]["direct_answer_pct"] == 100.0


def test_call_figures_per_queue_and_agent(session):
    holiday_calls(session)
    queues = service.call_report(session, SPAN, "queue", 15)
    (row,) = queues.rows
    assert (row["key"], row["offered"], row["answered"], row["abandoned"]) == ("general-zh", 3, 2, 1)
    assert (row["answer_pct"], row["service_level_pct"], row["avg_wait_seconds"]) == (66.7, 33.3, 15.0)
    agents = service.call_report(session, SPAN, "agent", 15)
    # the desk phone (PJSIP/1001) and the browser phone (PJSIP/webrtc-1001) are one agent, by name
    assert [(r["key"], r["name_zh"], r["answered"]) for r in agents.rows] == [("agent1", "话务员 李娜", 2)]


def test_qa_scores_feed_the_agent_reports(session, dataset):
    holiday_calls(session)
    holiday_cases(session)
    calls = service.call_report(session, SPAN, "agent", 15)
    assert [c.key for c in calls.columns][-2:] == ["qa_reviewed", "qa_score_pct"]
    (agent1,) = calls.rows
    assert (agent1["qa_reviewed"], agent1["qa_score_pct"]) == (2, 80.0)
    assert (calls.total["qa_reviewed"], calls.total["qa_score_pct"]) == (2, 80.0)
    cases = _rows(service.case_report(session, dataset.calendar, SPAN, "agent", AS_OF))
    assert (cases["agent1"]["qa_reviewed"], cases["agent1"]["qa_score_pct"]) == (2, 80.0)
    assert (cases["agent2"]["qa_reviewed"], cases["agent2"]["qa_score_pct"]) == (0, None)  # November's
    november = period(date(2026, 11, 1), date(2026, 11, 30), TZ)
    (agent2,) = service.call_report(session, november, "agent", 15).rows
    assert (agent2["name_zh"], agent2["qa_reviewed"], agent2["qa_score_pct"]) == ("话务员 陈刚", 1, 40.0)


def test_a_phone_that_is_nobodys_extension_is_named_by_its_number(session):
    from .fixtures import add_call

    add_call(session, "r-9", queued=at(10, 8, 10), wait=3, agent="PJSIP/1999")
    (row,) = service.call_report(session, SPAN, "agent", 15).rows
    assert (row["name_zh"], row["name_en"]) == ("分机 1999", "Extension 1999")


@pytest.mark.parametrize("start, end", [
    (at(9, 30, 10), at(10, 8, 10)),        # across the National Day holiday
    (at(10, 9, 17), at(10, 13, 11)),       # across the make-up Saturday
    (at(10, 9, 12, 30), at(10, 9, 13, 30)),  # inside the lunch break
    (at(10, 11, 20), at(10, 12, 9, 15)),   # from a Sunday evening
    (at(12, 31, 17), at(12, 31, 23)),      # end of the year, after hours
])
def test_sql_working_time_equals_the_calendar(session, dataset, start, end):
    _check_sql_against_calendar(session, dataset.calendar, start, end, date(2026, 9, 1), date(2027, 1, 31))


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("start, end", [
    (datetime(2026, 3, 27, 10, tzinfo=BERLIN), datetime(2026, 3, 30, 11, tzinfo=BERLIN)),  # DST starts
    (datetime(2026, 10, 23, 17, tzinfo=BERLIN), datetime(2026, 10, 26, 9, tzinfo=BERLIN)),  # DST ends
])
def test_sql_working_time_in_a_zone_with_summer_time(session, dataset, start, end):
    calendar = dataclasses.replace(dataset.calendar, timezone=BERLIN)
    table = working.day_table(calendar, date(2026, 3, 1), date(2026, 11, 30))
    assert table.offset is None  # the time-zone path, not the fixed-offset arithmetic
    _check_sql_against_calendar(session, calendar, start, end, date(2026, 3, 1), date(2026, 11, 30))


def _check_sql_against_calendar(session, calendar, start, end, first, last):
    from sqlalchemy import literal, select

    from ticketing.database.types import UTCDateTime

    table = working.day_table(calendar, first, last)
    days_a, days_b = working.days_clause(table, "da"), working.days_clause(table, "db")
    a, b = literal(start, UTCDateTime()), literal(end, UTCDateTime())
    query = (select(working.working_epoch(calendar, table, days_b, b)
                    - working.working_epoch(calendar, table, days_a, a))
             .select_from(days_a).join(days_b, days_b.c.d == working.day_of(calendar, table, b))
             .where(days_a.c.d == working.day_of(calendar, table, a)))
    prepare(session)
    assert session.scalar(query) == calendar.working_time_between(start, end).total_seconds()


OCTOBER = period(date(2026, 10, 1), date(2026, 10, 31), TZ)


def test_casework_figures_read_the_bureau_workflow(session, dataset):
    """Returns and extensions charged to the bureau that made them, overdue from the stored due instants,
    催办 and 督办 from the supervision tables (cases E, F, G of fixtures.casework_cases)."""
    casework_cases(session)
    table = service.case_report(session, dataset.calendar, OCTOBER, "bureau", AS_OF)
    rows = _rows(table)
    assert list(rows) == ["urban-mgmt", "environment"]
    urban, environment = rows["urban-mgmt"], rows["environment"]
    assert (urban["received"], urban["dispatched"], urban["resolved"]) == (3, 3, 1)
    assert urban["acknowledged_on_time_pct"] == 100.0
    assert urban["resolved_on_time_pct"] == 50.0  # E late, F on time, G paused: not due
    assert (urban["returned_pct"], urban["extended_pct"], urban["reopened_pct"]) == (0.0, 33.3, 0.0)
    assert (urban["overdue"], urban["overdue_now"], urban["urged"], urban["supervised"]) == (1, 1, 1, 1)
    # F: Tue 20 Oct 09:30 -> Tue 27 Oct 16:00 = 6.5 + 3 x 7 + (weekend) + 7 + 5 = 39.5 working hours
    assert urban["avg_handling_hours"] == 39.5
    assert dataset.calendar.working_time_between(at(10, 20, 9, 30), at(10, 27, 16)) == timedelta(hours=39.5)
    # 环境局 returned E, now with 城管局: it was sent one case and returned it.
    assert (environment["received"], environment["dispatched"], environment["returned_pct"]) == (0, 1, 100.0)
    assert (environment["urged"], environment["supervised"], environment["overdue"]) == (1, 0, 0)
    assert environment["acknowledged_on_time_pct"] is None
    total = table.total
    assert (total["received"], total["dispatched"], total["returned_pct"]) == (3, 4, 25.0)
    assert (total["overdue"], total["overdue_now"], total["urged"], total["supervised"]) == (1, 1, 2, 1)


def test_casework_figures_by_street_and_agent_count_each_case_once(session, dataset):
    casework_cases(session)
    for by, key in (("street", "futian"), ("agent", "agent1")):
        row = _rows(service.case_report(session, dataset.calendar, OCTOBER, by, AS_OF))[key]
        assert (row["received"], row["dispatched"]) == (3, 3)
        assert (row["returned_pct"], row["extended_pct"]) == (33.3, 33.3)
        assert (row["overdue"], row["overdue_now"], row["urged"], row["supervised"]) == (1, 1, 2, 1)


def test_holiday_cases_overdue_counts(session, dataset):
    holiday_cases(session)
    rows = _rows(service.case_report(session, dataset.calendar, SPAN, "bureau", AS_OF))
    # B acknowledged and resolved late; C never acknowledged, its stored due instant long past.
    assert (rows["urban-mgmt"]["overdue"], rows["urban-mgmt"]["overdue_now"]) == (1, 0)
    assert (rows["environment"]["overdue"], rows["environment"]["overdue_now"]) == (1, 1)
    assert rows[None]["overdue"] == 0


@pytest.mark.parametrize("by", ["bureau", "agent"])
def test_the_page_one_pass_equals_the_table_and_the_monthly_trend(session, dataset, by):
    from ticketing.report.periods import months_back

    holiday_cases(session)
    casework_cases(session)
    months = months_back(OCTOBER, 3)
    table, months_seen = service.report_page(session, dataset.calendar, OCTOBER, by, months, AS_OF)
    alone = service.case_report(session, dataset.calendar, OCTOBER, by, AS_OF)
    assert (table.rows, table.total) == (alone.rows, alone.total)
    assert months_seen == service.trend(session, dataset.calendar, months, AS_OF, by)
    assert [m["received"] for m in months_seen] == [0, 1, 6]  # A in September; B, C, D, E, F, G
    for month, seen in zip(months, months_seen, strict=True):  # each month as if reported alone
        alone = service.case_report(session, dataset.calendar, month, by, AS_OF).total or {}
        for figure in ("received", "dispatched", "resolved_on_time_pct", "satisfaction_pct",
                       "avg_handling_hours", "overdue", "direct_answer_pct", "returned_pct", "extended_pct",
                       "urged", "supervised"):
            counted = figure in ("received", "dispatched", "overdue", "urged", "supervised")
            assert seen[figure] == alone.get(figure, 0 if counted else None)
    # October's 退回, 延期, 催办 and 督办 (cases D, E, F): the trend reads the audit trail per month too.
    # By bureau 环境局 was also sent E before returning it: 6 dispatches to bureaus, 5 cases dispatched.
    october = months_seen[-1]
    returned = {"bureau": 33.3, "agent": 40.0}[by]  # D (over the holiday) and E returned, D and F extended
    assert (october["returned_pct"], october["extended_pct"]) == (returned, returned)
    assert (october["urged"], october["supervised"]) == (2, 1)


def test_a_return_through_the_flows_is_charged_to_the_bureau_that_returned(session, dataset):
    from ticketing.case import flows
    from ticketing.case.models import CaseEvent
    from ticketing.case.schemas import CaseCreate
    from ticketing.database.types import utcnow

    data = CaseCreate(description="小区门口路灯坏了，晚上很黑", street="futian", caller_phone="13800138000",
                      dispatch=True)
    case = flows.intake(session, dataset, data, "agent1")
    assert case.bureau.code == "urban-mgmt"
    flows.apply_action(session, dataset, case.number, "return", {"note": "不属于本单位"}, "urban1")
    flows.apply_action(session, dataset, case.number, "dispatch", {"bureau": "environment"}, "dispatcher1")
    flows.apply_action(session, dataset, case.number, "acknowledge", {}, "env1")
    asked = {"days": 2, "note": "需检测"}
    flows.apply_action(session, dataset, case.number, "request-extension", asked, "env1")
    flows.apply_action(session, dataset, case.number, "approve-extension", {"days": 2}, "supervisor1")
    session.flush()
    recorded = {e.action: e.data.get("bureau") for e in session.query(CaseEvent).filter_by(case_id=case.id)}
    assert (recorded["return"], recorded["approve-extension"]) == ("urban-mgmt", "environment")
    today = dataset.calendar.local(utcnow()).date()
    span = period(today - timedelta(days=1), today + timedelta(days=1), TZ)
    rows = _rows(service.case_report(session, dataset.calendar, span, "bureau", utcnow()))
    assert (rows["urban-mgmt"]["dispatched"], rows["urban-mgmt"]["returned_pct"]) == (1, 100.0)
    assert (rows["urban-mgmt"]["received"], rows["urban-mgmt"]["extended_pct"]) == (0, 0.0)
    assert (rows["environment"]["returned_pct"], rows["environment"]["extended_pct"]) == (0.0, 100.0)
