"""Wrap-up (话后整理) is the console's, against the real Asterisk: no second timer of Asterisk's own.

queues.conf has `wrapuptime = 0`; the agent's leg of a queue call pauses its member itself as it hangs up
(hotline-member in extensions.conf), so a caller already waiting cannot slip in before the console's pause;
the console unpauses the member when the agent ends wrap-up. Before, Asterisk's 15 s wrapuptime came on top:
an agent who ended wrap-up at once still got no call for 15 s after the last one.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from agent_console.config import ConsoleSettings
from tests.agent_console.support import (  # noqa: F401 - fixtures are found by name
    ConsoleClient,
    console_db,
    console_settings,
    dataset,
    engine,
    make_app,
    serve,
    session_factory,
    wait_for,
)
from ticketing.bus import Streams

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
AGENT = "Local/agent@hotline-test/n"  # answers, talks TEST_TALK seconds, hangs up: the agent's leg ends
WAITING_AT_MOST = 5.0  # a waiting caller retries every 2 s (queues.conf retry): offered within this


def of_call(kind: str, linkedid: str):
    return lambda env: env.type == kind and env.key == linkedid


async def member(ami_bridge, queue: str, interface: str) -> dict:
    entries = [e for e in await ami_bridge.actions.queue_status()
               if e.get("Event") == "QueueMember" and e.get("Queue") == queue
               and (e.get("StateInterface") == interface or e.get("Location") == interface)]
    assert len(entries) == 1, entries
    return entries[0]


async def leave_every_queue(ami_bridge, interface: str) -> None:
    """Take `interface` out of every queue an earlier test of this Asterisk left it in: the dial plan pauses a
    member in all its queues as the call ends, so a membership left elsewhere is paused (wrapup) with it."""
    for entry in await ami_bridge.actions.queue_status():
        where = (entry.get("StateInterface"), entry.get("Location"))
        if entry.get("Event") == "QueueMember" and interface in where:
            await ami_bridge.actions.queue_remove(entry["Queue"], interface)


async def presence_state(agent: ConsoleClient) -> str:
    return (await agent.http.get("/console/agent/state")).json()["presence"]["state"]


async def call_into(ami_bridge, queue: str, talk: int) -> str:
    linkedid = uuid.uuid4().hex
    await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue", exten=queue,
                                       caller_id="Resident <13900139055>", channel_id=linkedid,
                                       variables={"TEST_HOLD": "30", "TEST_TALK": str(talk)})
    return linkedid


async def test_the_agents_leg_pauses_its_member_as_it_hangs_up(asterisk, ami_bridge, bus, wait_for_event):
    queue = "livelihood-en"
    await leave_every_queue(ami_bridge, AGENT)
    await ami_bridge.actions.queue_add(queue, AGENT, member_name="Wrap-up Agent")
    try:
        linkedid = await call_into(ami_bridge, queue, talk=1)
        await wait_for_event(bus, Streams.CALLS, of_call("call.connected", linkedid), within=20)
        assert (await member(ami_bridge, queue, AGENT))["Paused"] == "0"
        paused = await wait_for_event(bus, Streams.AGENTS, lambda e: e.key == AGENT
                                      and e.data["queue"] == queue and e.data.get("paused") is True,
                                      within=10)
        assert paused.data["paused_reason"] == "wrapup"
        assert (await member(ami_bridge, queue, AGENT))["PausedReason"] == "wrapup"
        assert "paused:wrapup" in asterisk.cli(f"queue show {queue}")
    finally:
        await ami_bridge.actions.queue_remove(queue, AGENT)
        await ami_bridge.actions.hangup("/^Local/caller@hotline-test-.*$/")


async def test_ending_wrapup_in_the_console_lets_the_next_call_through_at_once(
        asterisk, ami_bridge, bus, wait_for_event, make_app, serve):  # noqa: F811
    queue = "consumer-zh"
    await leave_every_queue(ami_bridge, AGENT)
    settings = ConsoleSettings(interface_template=AGENT, check_registration=False, queues=[queue],
                               command_timeout=10, wrapup_seconds=60)
    app, _console, _none = make_app(bus=bus, with_bridge=False, settings_=settings)
    agent = ConsoleClient(await serve(app))
    try:
        await agent.login("agent1", "agent-pass")
        response = await agent.post("/console/agent/presence/login",
                                    json={"extension": "1001", "queues": [queue]})
        assert response.status_code == 200, response.text
        first = await call_into(ami_bridge, queue, talk=2)
        await wait_for_event(bus, Streams.CALLS, of_call("call.connected", first), within=20)
        second = await call_into(ami_bridge, queue, talk=30)  # waits: the agent is on the first call
        await wait_for_event(bus, Streams.CALLS, of_call("call.queued", second), within=10)

        # the agent's leg of the first call ends: wrap-up, and the waiting caller is not offered
        await wait_for_event(bus, Streams.AGENTS, lambda e: e.key == AGENT and e.data["queue"] == queue
                             and e.data.get("paused") is True and e.data.get("paused_reason") == "wrapup",
                             within=10)
        ended_at = time.monotonic()
        for _ in range(8):  # 4 s: two of the waiting caller's retries
            assert await presence_state(agent) == "wrapup"
            assert not [e for e in await bus.read_all(Streams.CALLS)
                        if e.type == "call.offered" and e.key == second]
            await asyncio.sleep(0.5)

        # the agent ends wrap-up: the waiting caller is offered within a retry, not 15 s after the call
        response = await agent.post("/console/agent/presence/end-wrapup")
        assert response.status_code == 200 and response.json()["presence"]["state"] == "available"
        resumed_at = time.monotonic()
        await wait_for_event(bus, Streams.CALLS, of_call("call.offered", second), within=WAITING_AT_MOST)
        offered_at = time.monotonic()
        assert offered_at - resumed_at < WAITING_AT_MOST
        assert offered_at - ended_at < 12, "Asterisk held the agent back after the console's wrap-up"
        await wait_for_event(bus, Streams.CALLS, of_call("call.connected", second), within=10)
    finally:
        await ami_bridge.actions.hangup("/^Local/(caller|agent)@hotline-test-.*$/")
        for _ in range(50):  # leave the queue (once the hang-up reached the console)
            if (await agent.post("/console/agent/presence/logout")).status_code == 200:
                break
            await asyncio.sleep(0.2)
        await agent.close()
