"""The AMI bridge against the real Asterisk: call events, actions, commands over the bus."""

from __future__ import annotations

import uuid

import pytest

from ivr.ami.errors import AmiError
from ticketing.bus import Streams
from ticketing.bus.commands import CommandClient, NoReply
from ticketing.bus.contract import CallEnded, CallStarted, parse

pytestmark = pytest.mark.asterisk


def of_call(kind: str, linkedid: str):
    return lambda env: env.type == kind and env.key == linkedid


async def test_local_call_starts_and_ends_with_a_cause(asterisk, ami_bridge, bus, wait_for_event):
    linkedid = uuid.uuid4().hex
    await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-inbound",
                                       exten="12345", caller_id="Resident <13900000001>",
                                       variables={"TEST_HOLD": "1"}, channel_id=linkedid)
    started = parse(await wait_for_event(bus, Streams.CALLS, of_call("call.started", linkedid)))
    assert isinstance(started, CallStarted) and not started.reconciled
    assert started.channel.startswith("Local/caller@hotline-test")
    ended = parse(await wait_for_event(bus, Streams.CALLS, of_call("call.ended", linkedid), within=20))
    assert isinstance(ended, CallEnded) and ended.cause and ended.cause_code == 16
    assert started.linkedid not in ami_bridge.ctx.registry.calls


async def test_queue_call_answered_by_a_stand_in_agent(asterisk, ami_bridge, bus, wait_for_event):
    agent = "Local/agent@hotline-test/n"
    await ami_bridge.actions.queue_add("consumer-en", agent, member_name="Test Agent")
    try:
        linkedid = uuid.uuid4().hex
        await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                           exten="consumer-en", channel_id=linkedid,
                                           variables={"TEST_HOLD": "5", "TEST_TALK": "1"})
        for kind in ("call.started", "call.queued", "call.offered", "call.connected", "call.ended"):
            await wait_for_event(bus, Streams.CALLS, of_call(kind, linkedid), within=20)
        busy = await wait_for_event(bus, Streams.AGENTS,
                                    lambda e: e.key == agent and e.data["state"] == "busy")
        assert busy.data["queue"] == "consumer-en"
    finally:
        await ami_bridge.actions.queue_remove("consumer-en", agent)


async def test_actions_report_asterisk_errors_clearly(ami_bridge):
    with pytest.raises(AmiError, match="Hangup"):
        await ami_bridge.actions.hangup("PJSIP/no-such-channel-0001")
    with pytest.raises(AmiError, match="QueueRemove"):
        await ami_bridge.actions.queue_remove("general-zh", "PJSIP/1999")


async def test_commands_over_the_bus(asterisk, ami_bridge, bus, wait_for_event):
    client = CommandClient(bus, timeout=15)
    client.subscribe()
    server = ami_bridge.commands.server
    ping = await client.send("ping", server=server, limit=5)
    assert ping.ok and ping.result is None and ping.server == server
    assert (await client.send("queue_add", {"queue": "urban-zh", "interface": "PJSIP/1007", "paused": False},
                              server=server)).ok
    assert (await client.send("queue_pause", {"interface": "PJSIP/1007", "paused": True, "reason": "lunch"},
                              server=server)).ok
    paused = await wait_for_event(bus, Streams.AGENTS,
                                  lambda e: e.key == "PJSIP/1007" and e.data["paused"])
    assert parse(paused).paused_reason == "lunch"
    assert (await client.send("queue_remove", {"queue": "urban-zh", "interface": "PJSIP/1007"},
                              server=server)).ok
    refused = await client.send("reboot", server=server, limit=5)
    assert not refused.ok and "unknown action" in refused.error
    typo = await client.send("hangup", {"chanel": "typo"}, server=server, limit=5)
    assert not typo.ok and "bad arguments" in typo.error
    missing = await client.send("hangup", {"channel": "PJSIP/none-0001"}, server=server, limit=5)
    assert not missing.ok and "Hangup" in missing.error
    with pytest.raises(NoReply):  # no bridge serves that server: nobody runs the command
        await client.send("ping", server="elsewhere", limit=2)
