"""Handlers turn AMI events into telephony events: a recorded conversation, tables, duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest
from panoramisk.message import Message

from ivr.ami.handlers import HandlerContext, agent_state, as_int, caller_number, event_time, handle
from ivr.ami.state import CallRegistry
from ticketing.bus.contract import CallEnded, CallStarted, parse

RECORDED = Path(__file__).parent / "data" / "queue_call.ami"


def recorded_messages() -> list[Message]:
    """The AMI events of a real queue call (caller -> IVR down -> general-zh -> Local agent answers)."""
    raw = RECORDED.read_bytes().decode("utf-8")
    messages = [Message.from_line(block.strip()) for block in raw.split("\r\n\r\n")]
    return [m for m in messages if m is not None and m.get("Event")]


def replay(ctx: HandlerContext, messages: list[Message]) -> list:
    return [event for message in messages for event in handle(ctx, message)]


def test_recorded_queue_call_gives_the_call_story_in_order():
    events = replay(HandlerContext(CallRegistry()), recorded_messages())
    call_events = [e.TYPE for e in events if e.TYPE.startswith("call.")]
    assert call_events == ["call.started", "call.queued", "call.offered", "call.connected",
                           "call.agent_completed", "call.ended"]
    assert len({e.key for e in events if e.TYPE.startswith("call.")}) == 1  # one Linkedid for all legs
    agent_states = [e.state for e in events if e.TYPE == "agent.state_changed"]
    assert agent_states == ["idle", "busy", "idle", "removed"]
    queued = events[[e.TYPE for e in events].index("call.queued")]
    offered = events[[e.TYPE for e in events].index("call.offered")]
    assert queued.language == offered.language == "en"  # the caller channel's language (a Local channel)
    completed = events[[e.TYPE for e in events].index("call.agent_completed")]
    assert (completed.queue, completed.agent, completed.reason, completed.talk_seconds) == (
        "general-zh", "Local/agent@hotline-test/n", "agent", 6)
    ended = events[[e.TYPE for e in events].index("call.ended")]
    assert ended.cause == "Normal Clearing" and ended.cause_code == 16


def test_replaying_the_conversation_twice_adds_nothing():
    ctx = HandlerContext(CallRegistry())
    replay(ctx, recorded_messages())
    again = replay(ctx, recorded_messages())
    assert [e.TYPE for e in again if e.TYPE.startswith("call.")] == []
    assert ctx.registry.calls == {}


def test_every_event_survives_the_bus_round_trip():
    for event in replay(HandlerContext(CallRegistry()), recorded_messages()):
        assert parse(event.TYPE, event.to_data()) == event


def test_unknown_and_malformed_events_are_ignored():
    ctx = HandlerContext(CallRegistry())
    odd = [Message({"Event": "SomethingNew", "Foo": "bar"}), Message({"Event": "Hangup"}),
           Message({"Event": "Newchannel", "Uniqueid": "1.1"}), Message({"Event": "QueueCallerJoin"}),
           Message({"Event": "QueueSummary", "Queue": "q", "Callers": "lots"})]
    events = replay(ctx, odd)
    assert [e.TYPE for e in events] == ["queue.stats"]
    assert events[0].waiting == 0
    assert ctx.unhandled == {"SomethingNew": 1}


def test_call_ends_with_the_originating_channels_cause():
    ctx = HandlerContext(CallRegistry())
    base = {"Linkedid": "L", "Channel": "PJSIP/x"}
    replay(ctx, [Message({"Event": "Newchannel", "Uniqueid": "L", **base}),
                 Message({"Event": "Newchannel", "Uniqueid": "L2", **base})])
    first = handle(ctx, Message({"Event": "Hangup", "Uniqueid": "L", "Cause": "17",
                                 "Cause-txt": "User busy"}))
    last = handle(ctx, Message({"Event": "Hangup", "Uniqueid": "L2", "Cause": "16",
                                "Cause-txt": "Normal"}))
    assert first == []
    assert isinstance(last[0], CallEnded) and (last[0].cause, last[0].cause_code) == ("User busy", 17)


def test_newchannel_fields_make_the_call_started_event():
    ctx = HandlerContext(CallRegistry(server="ast1"))
    [event] = handle(ctx, Message({"Event": "Newchannel", "Uniqueid": "U", "Linkedid": "U",
                                   "Channel": "PJSIP/inbound-1", "CallerIDNum": "13800138000",
                                   "CallerIDName": "<unknown>", "Exten": "12345",
                                   "Context": "hotline-inbound", "Language": "zh",
                                   "Timestamp": "1700000000.5"}))
    assert isinstance(event, CallStarted)
    assert (event.caller, event.caller_name, event.dialled) == ("13800138000", "", "12345")
    assert event.server == "ast1"
    assert event.at.startswith("2023-11-14T22:13:20.5")


@pytest.mark.parametrize(("status", "paused", "expected"), [
    ("1", False, "idle"), ("1", True, "paused"), ("2", True, "busy"), ("6", False, "ringing"),
    ("5", False, "unavailable"), ("8", False, "on_hold"), ("99", False, "unknown"), ("", False, "unknown"),
])
def test_agent_state(status, paused, expected):
    assert agent_state(status, paused) == expected


@pytest.mark.parametrize(("raw", "expected"), [("12", 12), (" 7 ", 7), ("", 0), ("x", 0), (None, 0)])
def test_as_int(raw, expected):
    assert as_int(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("<unknown>", ""), ("13800138000", "13800138000"), ("", "")])
def test_caller_number(raw, expected):
    assert caller_number(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [("1700000000.0", "2023-11-14T22:13:20+00:00"), ("", None),
                                               ("soon", None)])
def test_event_time(raw, expected):
    assert event_time({"Timestamp": raw}) == expected


def live_call(linkedid: str = "L") -> HandlerContext:
    ctx = HandlerContext(CallRegistry())
    handle(ctx, Message({"Event": "Newchannel", "Uniqueid": linkedid, "Linkedid": linkedid, "Channel": "c"}))
    return ctx


@pytest.mark.parametrize(("message", "expected"), [
    ({"Event": "BlindTransfer", "TransfererLinkedid": "L", "TransfereeLinkedid": "L", "Extension": "1002",
      "Context": "hotline-agents", "TransfererChannel": "PJSIP/1001-1", "Result": "Success"},
     ("blind", "1002@hotline-agents", "PJSIP/1001-1")),
    ({"Event": "AttendedTransfer", "OrigTransfererLinkedid": "L", "TransfereeLinkedid": "L",
      "TransferTargetChannel": "PJSIP/1003-2", "OrigTransfererChannel": "PJSIP/1001-1", "Result": "Success"},
     ("attended", "PJSIP/1003-2", "PJSIP/1001-1")),
])
def test_transfers(message, expected):
    [event] = handle(live_call(), Message(message))
    assert (event.TYPE, event.key) == ("call.transferred", "L")
    assert (event.kind, event.target, event.by_channel) == expected


def test_abandon_is_reported_once():
    ctx = live_call()
    abandon = Message({"Event": "QueueCallerAbandon", "Uniqueid": "L", "Linkedid": "L", "Queue": "urban-zh",
                       "Position": "2", "OriginalPosition": "3", "HoldTime": "41"})
    [event] = handle(ctx, abandon)
    assert (event.TYPE, event.queue, event.position, event.original_position, event.hold_seconds) == \
        ("call.abandoned", "urban-zh", 2, 3, 41)
    assert handle(ctx, abandon) == []


def test_queue_member_from_queue_status_uses_location_and_name():
    ctx = HandlerContext(CallRegistry())
    member = Message({"Event": "QueueMember", "Queue": "general-zh", "Name": "Li Na",
                      "Location": "PJSIP/1004", "Status": "1", "Paused": "1", "PausedReason": "break",
                      "InCall": "0"})
    [event] = handle(ctx, member)
    assert (event.key, event.member_name, event.state, event.paused_reason) == \
        ("PJSIP/1004", "Li Na", "paused", "break")
    assert handle(ctx, member) == []  # unchanged state is not published again


def local_call_messages() -> list[Message]:
    """A Local-channel call into a queue as Asterisk 22 reports it: caller id set after Newchannel."""
    def chan(event, name, uniqueid, cid="<unknown>", **extra):
        return Message({"Event": event, "Channel": name, "Uniqueid": uniqueid, "Linkedid": "p.0",
                        "CallerIDNum": cid, "CallerIDName": cid, **extra})
    return [chan("Newchannel", "Local/caller@hotline-test-0;1", "p.0"),
            chan("Newchannel", "Local/caller@hotline-test-0;2", "p.1"),
            chan("NewCallerid", "Local/caller@hotline-test-0;1", "p.0", "13800138001"),
            chan("NewCallerid", "Local/caller@hotline-test-0;2", "p.1", "13800138001"),
            chan("QueueCallerJoin", "Local/caller@hotline-test-0;1", "p.0", "13800138001", Queue="general-zh",
                 Position="1", Count="1"),
            chan("Newchannel", "Local/agent@hotline-test-1;1", "p.2"),
            chan("NewCallerid", "Local/agent@hotline-test-1;1", "p.2", "general-zh"),  # the agent's leg
            chan("AgentCalled", "Local/caller@hotline-test-0;1", "p.0", "13800138001", Queue="general-zh",
                 Interface="Local/agent@hotline-test/n", DestChannel="Local/agent@hotline-test-1;1")]


def test_a_caller_id_set_after_newchannel_reaches_the_queue_and_offer_events():
    ctx = HandlerContext(CallRegistry())
    events = replay(ctx, local_call_messages())
    assert [(e.TYPE, getattr(e, "caller", None)) for e in events] == [
        ("call.started", ""), ("call.caller_changed", "13800138001"), ("call.queued", "13800138001"),
        ("call.offered", "13800138001")]
    assert all(e.key == "p.0" for e in events)
    assert replay(ctx, local_call_messages()) == []  # a replay repeats nothing


def test_a_queue_event_teaches_the_caller_when_no_callerid_event_was_seen():
    messages = [m for m in local_call_messages() if m["Event"] != "NewCallerid"]
    events = replay(HandlerContext(CallRegistry()), messages)
    assert [(e.TYPE, getattr(e, "caller", None)) for e in events] == [
        ("call.started", ""), ("call.queued", "13800138001"), ("call.offered", "13800138001")]


def test_phone_registrations_are_said_once_per_change():
    ctx = HandlerContext(CallRegistry("beta"))
    said = replay(ctx, [
        {"Event": "ContactStatus", "EndpointName": "1002", "AOR": "1002", "ContactStatus": "Created"},
        {"Event": "ContactStatus", "EndpointName": "1002", "AOR": "1002", "ContactStatus": "Reachable"},
        {"Event": "ContactList", "ObjectName": "1002;@9f1c", "Endpoint": "1002", "Status": "NonQualified"},
        {"Event": "ContactStatus", "EndpointName": "1002", "AOR": "1002", "ContactStatus": "Removed"},
        {"Event": "ContactStatus", "ContactStatus": "Created"},  # no endpoint: nothing to say
    ])
    assert [(e.TYPE, e.interface, e.registered, e.server) for e in said] == [
        ("phone.contact", "PJSIP/1002", True, "beta"), ("phone.contact", "PJSIP/1002", False, "beta")]
