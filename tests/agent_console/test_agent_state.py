"""The agent state machine, as a table: state + event -> next state and AMI commands."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agent_console import agent_state as sm

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(minutes=5)
IFACE = "PJSIP/1001"
QUEUES = ("general-zh", "urban-zh")
S = sm.AgentState


def presence(state: S, reason: str = "", linkedid: str = "", since=EARLIER) -> sm.Presence:
    return sm.Presence(interface=IFACE, member_name="李娜", queues=QUEUES, state=state, reason=reason,
                       since=since, linkedid=linkedid,
                       wrapup_until=NOW if state is S.WRAPUP else None)


OFFLINE = sm.Presence()

TABLE = [
    # (name, before, event, state after, reason after, commands)
    ("login adds every queue unpaused", OFFLINE, sm.Login(IFACE, "李娜", QUEUES), S.AVAILABLE, "",
     [("QueueAdd", {"Queue": "general-zh", "Interface": IFACE, "MemberName": "李娜", "Paused": "false"}),
      ("QueueAdd", {"Queue": "urban-zh", "Interface": IFACE, "MemberName": "李娜", "Paused": "false"})]),
    ("pause with reason", presence(S.AVAILABLE), sm.Pause("meal"), S.PAUSED, "meal",
     [("QueuePause", {"Interface": IFACE, "Paused": "true", "Reason": "meal"})]),
    ("same pause again changes nothing", presence(S.PAUSED, "meal"), sm.Pause("meal"), S.PAUSED, "meal", []),
    ("pause in wrap-up", presence(S.WRAPUP, "wrapup"), sm.Pause("break"), S.PAUSED, "break",
     [("QueuePause", {"Interface": IFACE, "Paused": "true", "Reason": "break"})]),
    ("resume", presence(S.PAUSED, "meal"), sm.Resume(), S.AVAILABLE, "",
     [("QueuePause", {"Interface": IFACE, "Paused": "false"})]),
    ("resume when available is a no-op", presence(S.AVAILABLE), sm.Resume(), S.AVAILABLE, "", []),
    ("logout removes every queue", presence(S.PAUSED, "meal"), sm.Logout(), S.OFFLINE, "",
     [("QueueRemove", {"Queue": "general-zh", "Interface": IFACE}),
      ("QueueRemove", {"Queue": "urban-zh", "Interface": IFACE})]),
    ("logout offline is a no-op", OFFLINE, sm.Logout(), S.OFFLINE, "", []),
    ("offered rings", presence(S.AVAILABLE), sm.CallOffered("L1"), S.RINGING, "", []),
    ("answered", presence(S.RINGING, linkedid="L1"), sm.CallConnected("L1"), S.ON_CALL, "", []),
    ("connected of another call ignored", presence(S.RINGING, linkedid="L1"), sm.CallConnected("L2"),
     S.RINGING, "", []),
    ("missed call back to available", presence(S.RINGING, linkedid="L1"), sm.CallEnded("L1"), S.AVAILABLE,
     "", []),
    ("hang-up starts wrap-up, paused in Asterisk", presence(S.ON_CALL, linkedid="L1"), sm.CallEnded("L1"),
     S.WRAPUP, "wrapup", [("QueuePause", {"Interface": IFACE, "Paused": "true", "Reason": "wrapup"})]),
    ("end of another call ignored", presence(S.ON_CALL, linkedid="L1"), sm.CallEnded("L9"), S.ON_CALL, "",
     []),
    ("wrap-up timer ends", presence(S.WRAPUP, "wrapup"), sm.WrapupExpired(), S.AVAILABLE, "",
     [("QueuePause", {"Interface": IFACE, "Paused": "false"})]),
    ("wrap-up timer after a pause is ignored", presence(S.PAUSED, "meal"), sm.WrapupExpired(), S.PAUSED,
     "meal", []),
    ("paused from the phone", presence(S.AVAILABLE), sm.PhonePaused(True, "phone", NOW), S.PAUSED, "phone",
     []),
    ("unpaused from the phone", presence(S.PAUSED, "meal"), sm.PhonePaused(False, "", NOW), S.AVAILABLE, "",
     []),
    ("echo of our own pause ignored", presence(S.WRAPUP, "wrapup"), sm.PhonePaused(True, "wrapup", NOW),
     S.WRAPUP, "wrapup", []),
    ("stale unpause right after wrap-up began ignored", presence(S.WRAPUP, "wrapup", since=NOW),
     sm.PhonePaused(False, "", NOW + timedelta(seconds=1)), S.WRAPUP, "wrapup", []),
    ("phone pause during a call ignored", presence(S.ON_CALL, linkedid="L1"), sm.PhonePaused(True, "", NOW),
     S.ON_CALL, "", []),
    ("lost member is re-added, keeping the pause", presence(S.PAUSED, "meal"), sm.MemberLost("urban-zh"),
     S.PAUSED, "meal",
     [("QueueAdd", {"Queue": "urban-zh", "Interface": IFACE, "MemberName": "李娜", "Paused": "true",
                    "Reason": "meal"})]),
    ("restart re-adds every queue", presence(S.AVAILABLE), sm.MemberLost(""), S.AVAILABLE, "",
     [("QueueAdd", {"Queue": q, "Interface": IFACE, "MemberName": "李娜", "Paused": "false"})
      for q in QUEUES]),
    ("lost member of a queue not chosen ignored", presence(S.AVAILABLE), sm.MemberLost("safety-en"),
     S.AVAILABLE, "", []),
    ("offline agent ignores calls", OFFLINE, sm.CallOffered("L1"), S.OFFLINE, "", []),
]


@pytest.mark.parametrize(("before", "event", "state", "reason", "commands"), [row[1:] for row in TABLE],
                         ids=[row[0] for row in TABLE])
def test_transition(before, event, state, reason, commands):
    decision = sm.decide(before, event, NOW, wrapup_seconds=30)
    assert decision.presence.state is state
    assert decision.presence.reason == reason
    assert [(c.action, c.args) for c in decision.commands] == commands


REFUSED = [
    ("login twice", presence(S.AVAILABLE), sm.Login(IFACE, "x", QUEUES), "already_logged_in"),
    ("login without queues", OFFLINE, sm.Login(IFACE, "x", ()), "no_queue_chosen"),
    ("pause offline", OFFLINE, sm.Pause("meal"), "cannot_pause"),
    ("pause on a call", presence(S.ON_CALL, linkedid="L1"), sm.Pause("meal"), "cannot_pause"),
    ("pause without reason", presence(S.AVAILABLE), sm.Pause(""), "pause_reason_required"),
    ("resume while ringing", presence(S.RINGING, linkedid="L1"), sm.Resume(), "cannot_resume"),
    ("leave queues on a call", presence(S.ON_CALL, linkedid="L1"), sm.Logout(), "busy_on_call"),
]


@pytest.mark.parametrize(("before", "event", "code"), [row[1:] for row in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_refused(before, event, code):
    with pytest.raises(sm.InvalidTransition) as err:
        sm.decide(before, event, NOW, wrapup_seconds=30)
    assert err.value.code == code


def test_wrapup_deadline_and_round_trip():
    decision = sm.decide(presence(S.ON_CALL, linkedid="L1"), sm.CallEnded("L1"), NOW, wrapup_seconds=45)
    assert decision.presence.wrapup_until == NOW + timedelta(seconds=45)
    assert decision.presence.linkedid == "L1"
    assert sm.Presence.from_json(decision.presence.to_json()) == decision.presence


def test_login_keeps_no_previous_call():
    old = replace(OFFLINE, linkedid="old")
    decision = sm.decide(old, sm.Login(IFACE, "x", QUEUES), NOW, wrapup_seconds=30)
    assert decision.presence.linkedid == "" and decision.presence.since == NOW
