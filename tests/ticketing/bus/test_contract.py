"""The one event contract: each type round-trips through an envelope; the parser refuses bad ones."""

from __future__ import annotations

import dataclasses
import json

import pytest

from ticketing.bus import Envelope, Streams
from ticketing.bus import contract as ct

SAMPLES: list[ct.Event] = [
    ct.CallStarted(linkedid="L1", uniqueid="U1", channel="PJSIP/trunk-01", caller="13800138000", server="a"),
    ct.CallerIdChanged(linkedid="L1", caller="13800138000"),
    ct.CallQueued(linkedid="L1", queue="general-zh", position=1, waiting=2),
    ct.CallAbandoned(linkedid="L1", queue="general-zh", position=1, original_position=1, hold_seconds=9),
    ct.CallOffered(linkedid="L1", queue="general-zh", agent="PJSIP/1001"),
    ct.CallConnected(linkedid="L1", queue="general-zh", agent="PJSIP/1001", hold_seconds=4),
    ct.AgentCompleted(linkedid="L1", queue="general-zh", agent="PJSIP/1001", reason="transfer"),
    ct.CallTransferred(linkedid="L1", kind="blind", target="100@ctx"),
    ct.CallEnded(linkedid="L1", cause="Normal Clearing", cause_code=16),
    ct.IvrStep(linkedid="L1", node="main", input="1"),
    ct.IvrCaseOpened(linkedid="L1", case_number="FT20261202-0001", recording="/r.wav"),
    ct.AgentStateChanged(interface="PJSIP/1001", queue="general-zh", state="idle"),
    ct.QueueStats(queue="general-zh", waiting=3, logged_in=2),
    ct.PhoneContact(interface="PJSIP/1001", registered=True, status="Reachable", server="b"),
    ct.CallsReconciled(since="2026-12-02T07:00:00+00:00", live=("L1", "L2"), server="b"),
    ct.TranscriptPartial(linkedid="L1", stream_id="s", text="路灯"),
    ct.TranscriptFinal(linkedid="L1", stream_id="s", text="路灯坏了", confidence=0.8, reason="silence",
                       audio_seconds=2.5),
    ct.MessageTranscribed(linkedid="L1", case_number="FT1", path="/r.wav", text="你好", confidence=0.7),
    ct.RequestConfirmed(linkedid="L1", category="street-lights", text="路灯坏了"),
    ct.CaseCreated(number="FT1", action="create", actor="agent1", status="new", bureau="urban-mgmt",
                   bureau_id=3),
    ct.CaseChanged(number="FT1", action="dispatch", actor="agent1", status="dispatched", bureau_id=3,
                   dispatched=True, case_version=2),
    ct.CaseCalledBack(number="FT1", action="callback", actor="survey", status="reopened", bureau_id=3,
                      dispatched=True, rating="unsatisfied"),
    ct.CaseReopened(number="FT1", action="callback", actor="survey", status="reopened", bureau_id=3,
                    dispatched=True, reason="unsatisfied"),
    ct.CaseReminded(number="FT1", stage="acknowledge", due="2026-12-02T12:00:00+08:00", bureau="urban-mgmt",
                    bureau_id=3),
    ct.CaseOverdue(number="FT1", stage="dispatch", due="2026-12-02T12:00:00+08:00"),
    ct.CaseUrged(number="FT1", stage="resolve", due="2026-12-02T12:00:00+08:00", bureau_id=3),
    ct.CaseSupervised(number="FT1", stage="resolve", due="2026-12-02T12:00:00+08:00", bureau_id=3, order=5),
    ct.CaseUrgent(number="FT1", stage="dispatch", due="2026-12-02T10:00:00+08:00"),
    ct.AgentPresence(user_id=7, name="agent1",
                     presence=ct.PresenceView(interface="PJSIP/1001", queues=("general-zh",), state="ready")),
    ct.TabClaimed(user_id=7, tab="t1"),
    ct.AmiCommand(action="originate", args={"channel": "PJSIP/1001"}, server="a"),
    ct.AmiReply(id="c1", action="ping", ok=True, server="a"),
]


def through_the_wire(event: ct.Event) -> Envelope:
    """Encode an event as a stream entry and decode it again (what a consumer in another process gets)."""
    envelope = event.outgoing().envelope()
    return Envelope.decode(event.STREAM, "1-0", json.loads(json.dumps(envelope.encode())))


def test_every_contract_type_is_sampled_and_streams_are_known():
    assert {type(e) for e in SAMPLES} == set(ct.EVENT_TYPES.values())
    known = {v for k, v in vars(Streams).items() if k.isupper()}
    assert {e.STREAM for e in SAMPLES} <= known


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.TYPE)
def test_round_trip(event):
    envelope = through_the_wire(event)
    assert (envelope.type, envelope.key, envelope.version) == (event.TYPE, event.key, ct.SCHEMA_VERSION)
    assert ct.parse(envelope) == event


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.TYPE)
def test_payload_is_what_asdict_gives_and_shares_no_container(event):
    data = event.to_data()
    assert dataclasses.asdict(event).items() <= data.items()  # notices add their kind
    for name, value in data.items():
        if isinstance(value, (dict, list)):
            assert value is not getattr(event, name)  # a consumer editing its payload cannot change the event


def test_outgoing_keeps_its_id_for_retries():
    item = SAMPLES[0].outgoing("fixed")
    assert item.envelope().id == item.envelope().id == "fixed"


@pytest.mark.parametrize(("type_", "data", "version", "error"), [
    ("call.nonsense", {}, 1, ct.UnknownEventType),
    ("call.ended", {"linkedid": "L"}, 1, ValueError),  # cause missing
    ("call.ended", {"linkedid": "L", "cause": "x"}, ct.SCHEMA_VERSION + 1, ValueError),
    ("console.agent_presence", {"name": "no id"}, 1, ValueError),
])
def test_parser_refuses(type_, data, version, error):
    with pytest.raises(error):
        ct.parse(Envelope(type=type_, key="k", data=data, version=version))


def test_unknown_fields_of_a_newer_producer_are_ignored():
    event = ct.parse("call.ended", {"linkedid": "L", "cause": "x", "added_later": 1})
    assert event == ct.CallEnded(linkedid="L", cause="x", at=event.at)


def test_commands_are_addressed_to_one_server():
    command = ct.AmiCommand(action="ping", server="b")
    assert command.addressed_to("b") and not command.addressed_to("a")
    assert ct.AmiCommand(action="ping").addressed_to("a")
    reply = ct.AmiReply.of(command, "b", error="refused")
    assert (reply.id, reply.ok, reply.server, reply.error) == (command.id, False, "b", "refused")


def test_deadline_notices_name_their_kind_and_one_class_per_kind():
    assert {kind: cls.TYPE for kind, cls in ct.NOTICES.items()} == {
        "reminder": "case.reminder", "overdue": "case.overdue", "urge": "case.urged",
        "supervise": "case.supervised", "urgent": "case.urgent"}
    envelope = through_the_wire(ct.CaseUrged(number="FT1", stage="resolve", due="2026-12-02T12:00:00+08:00"))
    assert envelope.data["kind"] == "urge" and ct.parse(envelope).kind == "urge"
    with pytest.raises(ValueError):  # a notice without its deadline is malformed
        ct.parse("case.urged", {"number": "FT1", "stage": "resolve"})


def test_the_architecture_page_lists_every_type_of_the_contract():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [f"{t} ({cls.__name__})" for t, cls in ct.EVENT_TYPES.items()
               if f"`{t}`" not in page or f"`{cls.__name__}`" not in page]
    assert missing == [], "add them to the table in docs/architecture.md"
