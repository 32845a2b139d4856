"""Quality review (质检): transcripts stored with the call and searchable, a checklist as data, scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ticketing.call import service as calls
from ticketing.config import PACKAGE_DATA
from ticketing.database.core import session_scope
from ticketing.qa import service as qa
from ticketing.qa.checklist import ChecklistError, check_scores, load_checklist, parse_checklist
from ticketing.user import service as users

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CHECKLIST = load_checklist(PACKAGE_DATA / "futian")
FULL = {i.code: i.points for i in CHECKLIST}


def test_the_futian_checklist_has_the_five_items():
    assert [i.code for i in CHECKLIST] == ["greeting", "verification", "category", "time-promise", "closing"]
    assert all(i.name_zh and i.name_en and i.points >= 1 for i in CHECKLIST)
    assert all(i.guide and i.guide_en for i in CHECKLIST)  # what to listen for, on both pages


@pytest.mark.parametrize(("doc", "message"), [
    ({}, "non-empty `items`"),
    ({"items": [{"code": "greeting"}]}, "needs code, name_zh, name_en, points"),
    ({"items": [{"code": "a", "name_zh": "甲", "name_en": "A", "points": 0}]}, "at least 1"),
    ({"items": [{"code": "a", "name_zh": "甲", "name_en": "A", "points": 1}] * 2}, "repeat"),
])
def test_a_malformed_checklist_says_what_is_wrong(doc, message):
    with pytest.raises(ChecklistError, match=message):
        parse_checklist(doc)


@pytest.mark.parametrize(("scores", "message"), [
    ({**FULL, "greeting": 3}, "greeting: 3 is outside 0..2"),
    ({k: v for k, v in FULL.items() if k != "closing"}, "missing: closing"),
    ({**FULL, "smile": 1}, "unknown: smile"),
    ({**FULL, "closing": -1}, "outside"),
])
def test_scores_must_fit_the_checklist(scores, message):
    with pytest.raises(ChecklistError, match=message):
        check_scores(CHECKLIST, scores)


def _recorded_call(session, linkedid: str, agent: str | None, minute: int) -> None:
    at = T0 + timedelta(minutes=minute)
    calls.start(session, linkedid, at, caller="13800138000", dialled="12345", language="zh")
    if agent:
        calls.connected(session, linkedid, at + timedelta(seconds=20), queue="general-zh", agent=agent,
                        hold_seconds=5)
    calls.end(session, linkedid, at + timedelta(minutes=2), cause="Normal Clearing",
              recording=f"/rec/{linkedid}.wav")


@pytest.fixture
def reviewed(session_factory):
    """Three recorded calls, two transcribed; a QA reviewer and an agent with their tokens."""
    with session_scope(session_factory) as session:
        _recorded_call(session, "c-1", "PJSIP/1001", 0)
        _recorded_call(session, "c-2", "PJSIP/1002", 5)
        _recorded_call(session, "c-3", None, 9)
        qa.store_transcript(session, "c-1", "caller", "甚至出现交易几乎停滞的情况", language="zh")
        qa.store_transcript(session, "c-1", "agent", "您好12345热线工号1001为您服务", engine="whisper")
        qa.store_transcript(session, "c-2", "mixed", "路灯坏了", language="zh", engine="whisper")
        qa.store_transcript(session, "c-2", "mixed", "小区路灯坏了一个星期", language="zh")  # again: replaced
        tokens = {role: users.create_token(session, users.create(session, name, role))
                  for name, role in (("qa1", "qa"), ("agent9", "agent"))}
    return {role: {"Authorization": f"Bearer {token}"} for role, token in tokens.items()}


def test_transcripts_are_searchable_and_stored_once_per_side(client, reviewed):
    found = client.get("/api/v1/qa/transcripts", params={"q": "路灯"}, headers=reviewed["qa"]).json()
    assert [(f["linkedid"], f["side"], f["text"]) for f in found] == [
        ("c-2", "mixed", "小区路灯坏了一个星期")]
    call = client.get("/api/v1/qa/calls/c-1", headers=reviewed["qa"]).json()
    assert [t["side"] for t in call["transcripts"]] == ["caller", "agent"] and call["has_recording"]
    assert call["review"] is None


def test_a_reviewer_scores_the_sample_and_the_agent_report_aggregates(client, reviewed, session_factory):
    sample = client.get("/api/v1/qa/sample", headers=reviewed["qa"]).json()
    assert [c["linkedid"] for c in sample] == ["c-2", "c-1"]  # transcribed, unscored, newest first
    scores = {**FULL, "time-promise": 0}
    made = client.post("/api/v1/qa/calls/c-1/scores", json={"scores": scores, "note": "未告知时限"},
                       headers=reviewed["qa"])
    assert made.status_code == 201, made.text
    assert (made.json()["total"], made.json()["max_total"], made.json()["agent"]) == (8, 10, "PJSIP/1001")
    client.post("/api/v1/qa/calls/c-2/scores", json={"scores": FULL}, headers=reviewed["qa"])
    again = client.post("/api/v1/qa/calls/c-2/scores", json={"scores": FULL}, headers=reviewed["qa"])
    assert again.status_code == 201  # a second review replaces the first
    assert client.get("/api/v1/qa/sample", headers=reviewed["qa"]).json() == []
    with session_factory() as session:
        assert qa.agent_scores(session) == [("PJSIP/1001", 1, 0.8), ("PJSIP/1002", 1, 1.0)]


@pytest.mark.parametrize(("path", "body", "role", "code", "detail"), [
    ("/api/v1/qa/calls/c-1/scores", {"scores": {"greeting": 2}}, "qa", 422, "missing"),
    ("/api/v1/qa/calls/nope/scores", {"scores": FULL}, "qa", 404, "no call nope"),
    ("/api/v1/qa/calls/c-1/scores", {"scores": FULL}, "agent", 403, "role 'agent'"),
])
def test_wrong_reviews_are_refused_clearly(client, reviewed, path, body, role, code, detail):
    answer = client.post(path, json=body, headers=reviewed[role])
    assert answer.status_code == code and detail in answer.text
