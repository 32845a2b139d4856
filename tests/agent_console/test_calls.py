"""Call context for the screen pop: caller, language, IVR path, transcript, built from typed events."""

from __future__ import annotations

from agent_console.live.calls import CallContexts
from ticketing.bus import contract as ct


def test_context_from_events_applied_twice():
    calls = CallContexts()
    events = [
        ct.CallStarted(linkedid="L1", uniqueid="L1", channel="PJSIP/in-1", caller="13800138001"),
        ct.IvrStep(linkedid="L1", node="language", input="1", language="zh", at="t1"),
        ct.IvrStep(linkedid="L1", node="main", input="2", at="t2"),
        ct.CallQueued(linkedid="L1", queue="general-zh", position=1, waiting=1),
        ct.TranscriptPartial(linkedid="L1", stream_id="s1", text="路灯"),
        ct.TranscriptFinal(linkedid="L1", text="路灯坏了", stream_id="s1", confidence=0.9, reason="silence",
                           audio_seconds=1.0),
        ct.CallOffered(linkedid="L1", queue="general-zh", agent="PJSIP/1001",
                       agent_channel="PJSIP/1001-0001"),
    ]
    for event in events + events:
        calls.apply(event)
    call = calls.get("L1").to_json()
    assert call["caller"] == "13800138001" and call["language"] == "zh" and call["queue"] == "general-zh"
    assert [s["node"] for s in call["ivr_path"]] == ["language", "main"]
    assert [s["text"] for s in call["transcript"]] == ["路灯坏了"] and call["partial"] == ""
    assert call["channel"] == "PJSIP/in-1" and call["agent_channel"] == "PJSIP/1001-0001"


def test_unrelated_events_and_bound():
    calls = CallContexts(limit=3)
    assert calls.apply(ct.QueueStats(queue="q", waiting=0)) is None
    assert calls.apply(ct.CallStarted(linkedid="", uniqueid="", channel="")) is None
    for n in range(5):
        calls.apply(ct.CallStarted(linkedid=f"L{n}", uniqueid=f"L{n}", channel="c", caller=str(n)))
    assert calls.get("L0") is None and calls.get("L4").caller == "4"


def test_a_caller_number_learnt_after_the_start_reaches_the_pop():
    # Local-channel calls: call.started has no caller; queue/offer events and call.caller_changed carry it.
    for later in [ct.CallerIdChanged(linkedid="L", caller="13800138001", caller_name="Li"),
                  ct.CallQueued(linkedid="L", queue="general-zh", position=1, waiting=1, caller="13800138001",
                                caller_name="Li"),
                  ct.CallOffered(linkedid="L", queue="general-zh", agent="PJSIP/1001", caller="13800138001",
                                 caller_name="Li")]:
        calls = CallContexts()
        calls.apply(ct.CallStarted(linkedid="L", uniqueid="L", channel="Local/c;1", caller=""))
        calls.apply(later)
        calls.apply(ct.CallOffered(linkedid="L", queue="general-zh", agent="PJSIP/1001"))
        assert (calls.get("L").caller, calls.get("L").caller_name) == ("13800138001", "Li"), later.TYPE


def test_the_language_the_ivr_set_on_the_channel_wins_over_the_first_one():
    calls = CallContexts()
    calls.apply(ct.CallStarted(linkedid="L", uniqueid="L", channel="Local/caller@t;1", language="en"))
    assert calls.get("L").language == "en"  # Asterisk's default for a Local channel: not a choice
    calls.apply(ct.CallQueued(linkedid="L", queue="general-zh", position=1, waiting=1, language="zh"))
    assert calls.get("L").language == "zh"
    calls.apply(ct.CallOffered(linkedid="L", queue="general-zh", agent="PJSIP/webrtc-1001"))  # says nothing
    assert calls.get("L").to_json()["language"] == "zh"
