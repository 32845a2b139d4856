"""Reconciliation decisions of the call registry, as tables of known calls vs Asterisk's channel list."""

from __future__ import annotations

import pytest

from ivr.ami.state import CallRegistry, ChannelInfo
from ticketing.bus.contract import LOST_DURING_OUTAGE


def chan(uniqueid: str, linkedid: str | None = None) -> ChannelInfo:
    return ChannelInfo(uniqueid=uniqueid, linkedid=linkedid or uniqueid, name=f"Local/{uniqueid}")


def registry_with(*channels: ChannelInfo) -> CallRegistry:
    registry = CallRegistry()
    for info in channels:
        registry.add_channel(info)
    return registry


@pytest.mark.parametrize(("known", "live", "expected"), [
    ([], [], []),
    ([chan("A")], [chan("A")], []),
    ([chan("A")], [], [("call.ended", "A", LOST_DURING_OUTAGE)]),
    ([], [chan("B")], [("call.started", "B", True)]),
    ([chan("A")], [chan("B")], [("call.started", "B", True), ("call.ended", "A", LOST_DURING_OUTAGE)]),
    ([chan("A"), chan("A2", "A")], [chan("A2", "A")], []),  # one leg gone, the call lives on
    ([], [chan("C2", "C"), chan("C")], [("call.started", "C", True)]),  # one start per call
])
def test_apply_snapshot(known, live, expected):
    registry = registry_with(*known)
    registry.begin_reconcile()
    events = registry.apply_snapshot(live)
    described = [(e.TYPE, e.key, e.cause if e.TYPE == "call.ended" else e.reconciled) for e in events]
    assert described == expected
    assert set(registry.calls) == {c.linkedid for c in live}


def test_changes_racing_the_snapshot_are_kept():
    registry = registry_with(chan("OLD"))
    registry.begin_reconcile()
    registry.add_channel(chan("NEW"))  # started after the snapshot was asked for
    registry.remove_channel("OLD", cause="Normal Clearing")  # hung up after the snapshot was taken
    events = registry.apply_snapshot([chan("OLD")])
    assert events == []
    assert set(registry.calls) == {"NEW"}


def test_started_call_started_once_even_when_repeated():
    registry = CallRegistry()
    assert len(registry.add_channel(chan("A"))) == 1
    assert registry.add_channel(chan("A")) == []
    assert len(registry.remove_channel("A")) == 1
    assert registry.add_channel(chan("A")) == []  # a late duplicate Newchannel cannot resurrect it
    assert registry.remove_channel("A") == []


def test_linkedid_change_moves_the_channel_and_ends_the_emptied_call():
    registry = registry_with(chan("A"), chan("B"))
    [ended] = registry.follow_linkedid("B", "A")
    assert ended.key == "B" and ended.cause == "merged into call A"
    assert registry.calls["A"].channels == {"A", "B"}


class _QueuesNeverAnswer:
    """AmiActions whose channel list is empty and whose queue actions time out.

    A stand-in rather than the FakeAmi server: the case is precisely "CoreShowChannels answered,
    QueueSummary did not", which this states in three lines.
    """

    async def core_show_channels(self):
        return []

    async def queue_summary(self):
        from ivr.ami.errors import AmiTimeout

        raise AmiTimeout("QueueSummary got no response in 5.0 s")


async def test_ended_calls_are_emitted_even_when_the_queue_refresh_fails():
    from ivr.ami.errors import AmiTimeout
    from ivr.ami.handlers import HandlerContext
    from ivr.ami.reconcile import reconcile

    ctx = HandlerContext(registry=registry_with(chan("A"), chan("B")))
    emitted = []
    with pytest.raises(AmiTimeout):
        await reconcile(ctx, _QueuesNeverAnswer(), emitted.extend)
    assert sorted((e.TYPE, e.key) for e in emitted) == [("call.ended", "A"), ("call.ended", "B"),
                                                         ("calls.reconciled", "default")]
    assert emitted[-1].live == ()  # nothing live: the recorder closes what is still open
    again = []
    with pytest.raises(AmiTimeout):
        await reconcile(ctx, _QueuesNeverAnswer(), again.extend)
    assert [e.TYPE for e in again] == ["calls.reconciled"]  # applied once: a retry does not end them twice


def test_records_of_calls_that_ended_unwatched_are_closed_once(tmp_path):
    """The recorder closes open records the reconciliation no longer lists (bridge killed meanwhile)."""
    from datetime import UTC, datetime, timedelta

    from ivr.recorder import CallRecorder
    from ticketing.bus import create_bus
    from ticketing.bus.contract import LOST_DURING_OUTAGE, CallsReconciled, CallStarted
    from ticketing.call.models import Call
    from ticketing.database.core import make_engine, make_session_factory, session_scope
    from ticketing.database.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'calls.db'}"
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    recorder = CallRecorder(create_bus(None), factory)
    then = datetime.now(UTC) - timedelta(minutes=1)
    for linkedid, server in (("gone", "a"), ("live", "a"), ("other-server", "b")):
        recorder.apply(CallStarted(linkedid=linkedid, uniqueid=linkedid, channel="Local/x", server=server,
                                   at=then.isoformat()))
    snapshot = CallsReconciled(since=datetime.now(UTC).isoformat(), live=("live",), server="a")
    recorder.apply(snapshot)
    recorder.apply(CallStarted(linkedid="after", uniqueid="after", channel="Local/x", server="a"))
    recorder.apply(snapshot)  # delivered twice: nothing more changes
    with session_scope(factory) as session:
        rows = {c.linkedid: (c.status, c.hangup_cause) for c in session.query(Call)}
    assert rows == {"gone": ("ended", LOST_DURING_OUTAGE), "live": ("open", None),
                    "other-server": ("open", None), "after": ("open", None)}
