"""Call context for the screen pop: caller, language, IVR path, transcript, built from events."""

from __future__ import annotations

from agent_console.live.calls import CallContexts


def test_context_from_events_applied_twice():
    calls = CallContexts()
    events = [
        ("call.started", {"linkedid": "L1", "uniqueid": "L1", "channel": "PJSIP/in-1",
                          "caller": "13800138001"}),
        ("ivr.step", {"linkedid": "L1", "node": "language", "input": "1", "language": "zh"}),
        ("ivr.step", {"linkedid": "L1", "node": "main", "input": "2", "label": "投诉"}),
        ("call.queued", {"linkedid": "L1", "queue": "general-zh"}),
        ("transcript.partial", {"linkedid": "L1", "text": "路灯"}),
        ("transcript.final", {"linkedid": "L1", "text": "路灯坏了", "stream_id": "s1"}),
        ("call.offered", {"linkedid": "L1", "queue": "general-zh", "agent": "PJSIP/1001",
                          "agent_channel": "PJSIP/1001-0001"}),
    ]
    for type_, data in events + events:
        calls.apply(type_, data)
    call = calls.get("L1").to_json()
    assert call["caller"] == "13800138001" and call["language"] == "zh" and call["queue"] == "general-zh"
    assert [s["node"] for s in call["ivr_path"]] == ["language", "main"]
    assert [s["text"] for s in call["transcript"]] == ["路灯坏了"] and call["partial"] == ""
    assert call["channel"] == "PJSIP/in-1" and call["agent_channel"] == "PJSIP/1001-0001"


def test_unrelated_events_and_bound():
    calls = CallContexts(limit=3)
    assert calls.apply("queue.stats", {"queue": "q"}) is None
    assert calls.apply("call.started", {}) is None
    for n in range(5):
        calls.apply("call.started", {"linkedid": f"L{n}", "caller": str(n)})
    assert calls.get("L0") is None and calls.get("L4").caller == "4"


def test_a_caller_number_learnt_after_the_start_reaches_the_pop():
    # Local-channel calls: call.started has no caller; queue/offer events and call.caller_changed carry it.
    for later in [("call.caller_changed", {"linkedid": "L", "caller": "13800138001", "caller_name": "Li"}),
                  ("call.queued", {"linkedid": "L", "queue": "general-zh", "caller": "13800138001",
                                   "caller_name": "Li"}),
                  ("call.offered", {"linkedid": "L", "queue": "general-zh", "agent": "PJSIP/1001",
                                    "caller": "13800138001", "caller_name": "Li"})]:
        calls = CallContexts()
        calls.apply("call.started", {"linkedid": "L", "uniqueid": "L", "channel": "Local/c;1", "caller": ""})
        calls.apply(*later)
        calls.apply("call.offered", {"linkedid": "L", "queue": "general-zh", "agent": "PJSIP/1001"})
        assert (calls.get("L").caller, calls.get("L").caller_name) == ("13800138001", "Li"), later[0]
