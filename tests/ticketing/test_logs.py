"""Log lines: JSON or text, with the call id and case number they concern, phone numbers masked."""

from __future__ import annotations

import json
import logging

import pytest

from ticketing import logs

BODY = {"description": "小区门口路灯坏了一个星期", "street": "futian", "caller_phone": "13800138000"}


@pytest.fixture
def configured():
    """Configure the hotline's logging for one test, then give the root logger back to pytest."""
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level

    def configure(fmt: str) -> None:
        logs.configure(fmt)

    yield configure
    root.handlers[:] = saved
    root.setLevel(level)


@pytest.mark.parametrize(("text", "masked"), [
    ("caller 13800138000 rang", "caller 138****8000 rang"),
    ("from +8613800138000.", "from 138****8000."),
    ("landline 0755-83451234 and 075583451234", "landline 0755****1234 and 0755****1234"),
    ("case FT20261126-0042 for 13912345678", "case FT20261126-0042 for 139****5678"),
    ("channel PJSIP/1001-00000012 call 1733112233.45", "channel PJSIP/1001-00000012 call 1733112233.45"),
    ("at 2026-12-02 07:00:38 extension 1001", "at 2026-12-02 07:00:38 extension 1001"),
    ("/api/v1/callers/13800138000/history", "/api/v1/callers/138****8000/history"),
])
def test_phone_numbers_are_masked_and_ids_kept(text, masked):
    assert logs.mask_phones(text) == masked


def test_json_lines_carry_call_and_case_without_phone_numbers(configured, capsys):
    configured("json")
    log = logging.getLogger("hotline.test")
    with logs.bind(call="1733112233.45", case="FT20261126-0042"):
        log.warning("caller %s asked again", "13800138000")
    log.info("no context here")
    first, second = (json.loads(line) for line in capsys.readouterr().err.splitlines())
    assert first["message"] == "caller 138****8000 asked again"
    assert (first["call_id"], first["case"], first["level"], first["logger"]) == (
        "1733112233.45", "FT20261126-0042", "WARNING", "hotline.test")
    assert second["call_id"] is None and second["case"] is None


def test_text_lines_have_a_context_prefix(configured, capsys):
    configured("text")
    with logs.bind(case="FT20261126-0042"):
        logging.getLogger("hotline.test").warning("reply to %s", "13800138000")
    line = capsys.readouterr().err.strip()
    assert line.endswith("WARNING hotline.test: [case=FT20261126-0042] reply to 138****8000")


def test_a_case_request_logs_with_its_case_number(client, headers, configured, capsys):
    created = client.post("/api/v1/cases", json={**BODY, "dispatch": True}, headers=headers["agent"])
    number = created.json()["number"]
    configured("json")
    logging.getLogger("ticketing").setLevel(logging.INFO)
    response = client.post(f"/api/v1/cases/{number}/actions/note", json={"note": "回电 13800138000"},
                           headers=headers["agent"])
    assert response.status_code == 200
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    about = [line for line in lines if line["logger"] == "ticketing.case.flows"]
    assert about and all(line["case"] == number for line in about)
    assert "13800138000" not in json.dumps(lines)
