"""Call records: the recorder applies call and IVR events (twice, in any order) and the API shows them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivr.recorder import CallRecorder
from ticketing.bus import Envelope, Streams
from ticketing.bus import contract as ev
from ticketing.bus.contract import IvrCaseOpened, IvrStep
from ticketing.bus.memory import MemoryBus
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope

T0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
PHONE = "13800138000"


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def started(lid, s=0):
    return ev.CallStarted(linkedid=lid, uniqueid=lid, channel="PJSIP/inbound-1", caller=PHONE,
                          dialled="12345", at=at(s))


def queued(lid, s):
    return ev.CallQueued(linkedid=lid, queue="urban-zh", position=1, waiting=1, at=at(s))


def connected(lid, s, hold=0):
    return ev.CallConnected(linkedid=lid, queue="urban-zh", agent="PJSIP/1001", hold_seconds=hold, at=at(s))


def step(lid, node, inp, s):
    return IvrStep(linkedid=lid, node=node, input=inp, language="zh", menu="hotline", at=at(s))


def ended(lid, s):
    return ev.CallEnded(linkedid=lid, cause="Normal Clearing", cause_code=16, at=at(s))


SCENARIOS = {
    "abandoned_ivr": lambda lid: [started(lid), step(lid, "welcome", "", 1), step(lid, "main", "1", 5),
                                  ended(lid, 9)],
    # The IVR read a case's status (after_status reached with "<number>:found"): served, not abandoned.
    "self_service": lambda lid: [started(lid), step(lid, "welcome", "", 1), step(lid, "case_status", "1", 5),
                                 step(lid, "case_status", "FT20261126-0042:not-found", 20),
                                 step(lid, "after_status", "FT20261126-0041:found", 30), ended(lid, 40)],
    "answered": lambda lid: [started(lid), step(lid, "queue_urban", "2", 4),
                             queued(lid, 5), connected(lid, 12, hold=7), ended(lid, 60)],
    "abandoned_queue": lambda lid: [started(lid),
                                    queued(lid, 5),
                                    ev.CallAbandoned(linkedid=lid, queue="urban-zh", position=1,
                                                     original_position=1, hold_seconds=20, at=at(25)),
                                    ended(lid, 25)],
    "transferred": lambda lid: [started(lid),
                                connected(lid, 9),
                                ev.CallTransferred(linkedid=lid, kind="blind", target="1002@hotline-agents",
                                                   at=at(30)),
                                ended(lid, 90)],
}


def envelope(event) -> Envelope:
    return Envelope(type=event.TYPE, key=event.key, data=event.to_data(), stream=Streams.CALLS)


async def apply_all(recorder: CallRecorder, events) -> None:
    for event in events:
        await recorder.handle(envelope(event))


@pytest.fixture
def recorder(session_factory):
    return CallRecorder(MemoryBus(), session_factory)


@pytest.mark.parametrize("outcome", list(SCENARIOS))
async def test_outcomes_and_idempotence(outcome, recorder, client, headers):
    events = SCENARIOS[outcome](f"lid-{outcome}")
    await apply_all(recorder, events)
    await apply_all(recorder, reversed(events))  # redelivered, out of order
    page = client.get("/api/v1/calls", headers=headers["agent"]).json()
    assert page["total"] == 1
    call = page["items"][0]
    assert (call["outcome"], call["status"], call["caller"]) == (outcome, "ended", "+86" + PHONE)
    assert call["started_at"].startswith("2026-11-26T02:00:00")
    one = client.get(f"/api/v1/calls/{call['id']}", headers=headers["agent"]).json()
    assert one == call


async def test_ivr_path_is_ordered_and_not_doubled(recorder, client, headers):
    lid = "lid-path"
    events = SCENARIOS["abandoned_ivr"](lid)
    await apply_all(recorder, [events[2], events[1], events[0], events[2], events[3]])
    call = client.get("/api/v1/calls", headers=headers["agent"]).json()["items"][0]
    assert [(s["node"], s["input"]) for s in call["ivr_path"]] == [("welcome", ""), ("main", "1")]
    assert call["language"] == "zh"


async def test_message_links_the_case_and_shows_in_caller_history(recorder, session_factory, dataset, client,
                                                                  headers):
    lid = "lid-message"
    await apply_all(recorder, [started(lid), step(lid, "message", "2", 5)])
    with session_scope(session_factory) as session:
        number = intake(session, dataset, CaseCreate(description="热线留言", caller_phone=PHONE), "ivr",
                        now=T0).number
    await apply_all(recorder, [IvrCaseOpened(linkedid=lid, case_number=number, at=at(40)), ended(lid, 50)])
    call = client.get("/api/v1/calls?outcome=message", headers=headers["agent"]).json()["items"][0]
    assert call["cases"] == [number] and call["outcome"] == "message"
    history = client.get(f"/api/v1/callers/{PHONE}/history", headers=headers["agent"]).json()
    assert [c["linkedid"] for c in history["calls"]] == [lid]
    assert [c["number"] for c in history["cases"]] == [number]


async def test_a_call_only_the_ivr_saw_is_closed_by_its_servers_reconciliation(recorder, client, headers):
    """AMI was down for the whole call: the IVR's steps (on the bus, not AMI) made its record, and the
    bridge's reconciliation on reconnect closes it (not live); another server's call is left to that one."""
    def ivr(lid, server, node, inp, s):
        return IvrStep(server=server, linkedid=lid, node=node, input=inp, language="zh", menu="hotline",
                       caller=PHONE, dialled="12345", at=at(s))

    await apply_all(recorder, [
        ivr("lid-unseen", "pbx1", "welcome", "", 1), ivr("lid-unseen", "pbx1", "main", "1", 5),
        ivr("lid-live", "pbx1", "welcome", "", 2), ivr("lid-other", "pbx2", "welcome", "", 3),
        ev.CallsReconciled(server="pbx1", since=at(60), live=("lid-live",), at=at(61))])
    found = {c["linkedid"]: c for c in client.get("/api/v1/calls", headers=headers["agent"]).json()["items"]}
    unseen = found["lid-unseen"]
    assert (unseen["server"], unseen["status"]) == ("pbx1", "ended")
    assert unseen["hangup_cause"] == ev.LOST_DURING_OUTAGE
    assert unseen["outcome"] == "abandoned_ivr" and unseen["caller"] == "+86" + PHONE
    assert [s["node"] for s in unseen["ivr_path"]] == ["welcome", "main"]
    assert (found["lid-live"]["status"], found["lid-other"]["status"]) == ("open", "open")
    assert found["lid-other"]["server"] == "pbx2"


async def test_unknown_and_malformed_events_are_skipped(recorder, client, headers):
    await recorder.handle(Envelope(type="speech.partial", key="x", data={}))
    await recorder.handle(Envelope(type="call.started", key="x", data={"linkedid": "x"}))  # fields missing
    assert client.get("/api/v1/calls", headers=headers["agent"]).json()["total"] == 0


@pytest.mark.parametrize(("query", "status"), [
    ("?outcome=nonsense", 422), ("?limit=0", 422), ("?since=yesterday", 422), ("", 200),
])
def test_list_rejects_bad_filters(client, headers, query, status):
    assert client.get(f"/api/v1/calls{query}", headers=headers["agent"]).status_code == status


def test_calls_need_a_centre_role(client, headers):
    assert client.get("/api/v1/calls", headers=headers["bureau"]).status_code == 403
    assert client.get("/api/v1/calls").status_code == 401
    assert client.get("/api/v1/calls/999", headers=headers["agent"]).status_code == 404
