"""GET /api/v1/reports/...: the same figures as JSON, CSV and XLSX; clear 4xx for wrong input."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from ticketing.database.core import session_scope

from .fixtures import holiday_calls, holiday_cases

OCTOBER = {"from": "2026-09-01", "to": "2026-10-31"}
CASES, CALLS, RANKING = "/api/v1/reports/cases", "/api/v1/reports/calls", "/api/v1/reports/assessment"
OCT = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def filled(session_factory):
    with session_scope(session_factory) as session:
        holiday_cases(session)
        holiday_calls(session)


def test_case_report_as_json(client, headers, filled):
    answer = client.get(CASES, params={**OCTOBER, "by": "bureau"}, headers=headers["supervisor"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    urban = next(r for r in body["rows"] if r["key"] == "urban-mgmt")
    assert (urban["received"], urban["avg_handling_hours"], urban["satisfaction_pct"]) == (2, 12.0, 50.0)
    assert body["total"]["received"] == 4
    assert body["columns"][2] == {"key": "received", "zh": "受理量", "en": "Received"}
    assert body["columns"][4]["zh"] == "按时签收率 (%)"


def test_csv_and_xlsx_exports_hold_the_json_figures(client, headers, filled):
    params = {**OCTOBER, "by": "bureau"}
    as_csv = client.get(CASES, params={**params, "format": "csv"}, headers=headers["supervisor"])
    assert as_csv.status_code == 200
    assert 'filename="report-bureau-2026-09-01_2026-10-31.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["名称 / Name (Chinese)", "英文名称 / Name (English)", "受理量 / Received"]
    assert rows[-1][:3] == ["合计", "Total", "4"]
    as_xlsx = client.get(CASES, params={**params, "format": "xlsx"}, headers=headers["supervisor"])
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "承办单位效能报表 / Performance by bureau"
    urban = next(v for v in values if v[0] == "区城市管理和综合执法局")
    assert urban[2] == 2 and urban[10] == 12.0


def test_call_report_and_assessment(client, headers, filled):
    calls = client.get(CALLS, params={**OCTOBER, "by": "queue"}, headers=headers["supervisor"])
    assert calls.json()["rows"][0]["service_level_pct"] == 33.3
    ranking = client.get(RANKING, params={"month": "2026-10"}, headers=headers["supervisor"])
    assert ranking.status_code == 200
    assert [r["key"] for r in ranking.json()["rows"]] == ["urban-mgmt", "environment"]


@pytest.mark.parametrize("path, params, fragment", [
    (CASES, {"from": "2026-10-31", "to": "2026-10-01"}, "before it starts"),
    (CASES, {"from": "2020-01-01", "to": "2026-10-01"}, "at most"),
    (CASES, {**OCT, "by": "planet"}, "by must be one of"),
    (CASES, {"from": "2026-13-01", "to": "2026-10-31"}, "from"),
    (CALLS, {**OCT, "by": "bureau"}, "by must be one of"),
    (RANKING, {"month": "2026-13"}, "YYYY-MM"),
    (CASES, {**OCT, "format": "pdf"}, "format"),
])
def test_wrong_input_is_a_clear_422(client, headers, path, params, fragment):
    answer = client.get(path, params=params, headers=headers["supervisor"])
    assert answer.status_code == 422
    assert fragment in answer.text


def test_reports_are_for_supervisors(client, headers):
    answer = client.get(CASES, params=OCTOBER, headers=headers["agent"])
    assert answer.status_code == 403


def test_monthly_trend_as_json_and_xlsx(client, headers, session_factory):
    from .fixtures import casework_cases

    with session_scope(session_factory) as session:
        holiday_cases(session)
        casework_cases(session)
    params = {"month": "2026-10", "months": 3}
    answer = client.get("/api/v1/reports/trend", params=params, headers=headers["supervisor"])
    assert answer.status_code == 200, answer.text
    rows = answer.json()["rows"]
    assert [r["month"] for r in rows] == ["2026-08", "2026-09", "2026-10"]
    october = rows[-1]
    assert (october["received"], october["returned_pct"], october["extended_pct"]) == (6, 33.3, 33.3)
    assert (october["urged"], october["supervised"]) == (2, 1)
    as_xlsx = client.get("/api/v1/reports/trend", params={**params, "format": "xlsx"},
                         headers=headers["supervisor"])
    values = list(openpyxl.load_workbook(io.BytesIO(as_xlsx.content)).active.iter_rows(values_only=True))
    assert values[0][0] == "月度趋势 / Monthly trend" and values[-1][0] == "2026-10"


@pytest.mark.parametrize("params", [{"month": "2026-13"}, {"month": "2026-10", "months": 0},
                                    {"month": "2026-10", "by": "planet"}, {}])
def test_monthly_trend_refuses_wrong_input(client, headers, params):
    answer = client.get("/api/v1/reports/trend", params=params, headers=headers["supervisor"])
    assert answer.status_code == 422, answer.text
