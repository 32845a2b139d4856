"""Two Asterisk servers, a bridge each: calls, presence and a click-to-call land on the right one only.

The session's Asterisk ("alpha") and a second provisioned instance ("beta") on another loopback address
each get their own AMI bridge, in the way two `hotline serve` processes would run them (own bus client on
one Redis: a private redis-server here). Agent 1001's phone registers with alpha and 1002's with beta
(`hotline phone`, real SIP); the console learns where each phone is from the bridges' phone.contact
events and sends every command to the server that owns the phone or the call. Each server must see only
its own agent in its queue, each queue call must reach only the agent on that server, and a click-to-call
must ring on one server: exactly one bridge answers the command and the other places no call.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from agent_console.config import ConsoleSettings
from ivr.ami.bridge import AmiBridge
from ivr.asterisk import runner
from ivr.asterisk.instance import Instance
from ivr.config import IvrSettings
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
from tests.faults.private_redis import PrivateRedis
from tests.integration.conftest import AGI_PORT, AUDIOSOCKET_PORT, TestAsterisk, free_loopback_address
from tests.integration.test_phone import running_phone
from ticketing.bus import Streams, create_bus
from ticketing.bus import contract as ct
from ticketing.bus.commands import CommandClient
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
QUEUE = "general-zh"
RESIDENT = "13900139011"


@pytest.fixture
def second_asterisk(asterisk_install, tmp_path_factory):
    """A second Asterisk instance ("beta") on its own loopback address, ports and state directory."""
    state_dir = tmp_path_factory.mktemp("asterisk-beta")
    address = free_loopback_address()
    instance = Instance(name=f"beta-{address.rsplit('.', 1)[1]}", state_dir=state_dir, address=address,
                        agi=f"{address}:{AGI_PORT}", audiosocket=f"{address}:{AUDIOSOCKET_PORT}",
                        queue_timeout=60, prompts_dir=state_dir / "prompts",
                        config_dir=IvrSettings().asterisk_config_dir)
    test = TestAsterisk(install=asterisk_install, instance=instance, secret=instance.secrets().ami_secret)
    try:
        test.start()
    except runner.AsteriskError as err:
        runner.kill(instance)
        pytest.fail(f"second test Asterisk did not start: {err}", pytrace=False)
    yield test
    runner.stop(instance)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.close()


async def start_bridge(asterisk: TestAsterisk, server: str, redis_url: str) -> AmiBridge:
    """A bridge named `server` with its own bus client, as its own `hotline serve` would have."""
    bus = create_bus(redis_url)
    bridge = AmiBridge.from_settings(asterisk.settings(ami_server=server, ami_queue_stats_interval=1.0), bus)
    await bridge.start()
    await bus.start()
    await bridge.wait_connected(15)
    return bridge


def queue_row(console) -> dict:
    """The wallboard's row of QUEUE (all servers summed, `servers` each one's share)."""
    return next(q for q in console.hub.wallboard_snapshot(15)["queues"] if q["queue"] == QUEUE)


def shares(console) -> list[tuple]:
    return [(s["server"], s["answered"], s["agents"] > 0) for s in queue_row(console)["servers"]]


def members(asterisk: TestAsterisk) -> str:
    return asterisk.cli(f"queue show {QUEUE}")


async def presence_of(client: ConsoleClient) -> dict:
    return (await client.http.get("/console/agent/state")).json()["presence"]


async def test_calls_presence_and_click_to_call_reach_the_right_server(
        asterisk, second_asterisk, private_redis, make_app, serve, session_factory, dataset,  # noqa: F811
        caplog):
    asterisk.start()  # a previous test may have stopped it
    settings = ConsoleSettings(queues=[QUEUE], command_timeout=10, wrapup_seconds=2, registration_wait=2,
                               survey_interval=0)
    console_bus = create_bus(private_redis.url)
    app, console, _none = make_app(bus=console_bus, with_bridge=False, settings_=settings)
    base = await serve(app)  # the console listens before the bridges speak (its groups start at "now")
    alpha = await start_bridge(asterisk, "alpha", private_redis.url)
    beta = await start_bridge(second_asterisk, "beta", private_redis.url)
    agents = {"alpha": ConsoleClient(base), "beta": ConsoleClient(base)}
    try:
        async with running_phone(asterisk, "1001") as phone_a, \
                running_phone(second_asterisk, "1002") as phone_b:
            servers = console.hub.servers
            await wait_for(lambda: servers.of_interface("PJSIP/1001") == "alpha"
                           and servers.of_interface("PJSIP/1002") == "beta", within=15)

            # presence: each agent joins the queue on the server its phone is registered with, only there
            for (server, client), (user, extension) in zip(agents.items(), (("agent1", "1001"),
                                                                            ("agent2", "1002")), strict=True):
                await client.login(user, "agent-pass")
                response = await client.post("/console/agent/presence/login",
                                             json={"extension": extension, "queues": [QUEUE]})
                assert response.status_code == 200, response.text
                assert response.json()["presence"]["server"] == server
            on_alpha, on_beta = members(asterisk), members(second_asterisk)
            assert "PJSIP/1001" in on_alpha and "PJSIP/1002" not in on_alpha, on_alpha
            assert "PJSIP/1002" in on_beta and "PJSIP/1001" not in on_beta, on_beta

            # calls: a queue call on each server reaches the agent whose phone is there, and only them
            calls = {}
            for server, bridge in (("alpha", alpha), ("beta", beta)):
                linkedid = uuid.uuid4().hex
                calls[server] = linkedid
                await bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                               exten=QUEUE, caller_id=f"Resident <{RESIDENT}>",
                                               channel_id=linkedid, variables={"TEST_HOLD": "3"})
            await phone_a.expect(f"answered {RESIDENT}", within=20)
            await phone_b.expect(f"answered {RESIDENT}", within=20)
            for server, client in agents.items():
                for _ in range(100):
                    presence = await presence_of(client)
                    if presence["linkedid"] == calls[server]:
                        break
                    await asyncio.sleep(0.1)
                assert presence["linkedid"] == calls[server], (server, presence)
            events = [ct.parse(e) for e in await console_bus.read_all(Streams.CALLS)]
            for server, linkedid in calls.items():
                of_call = [e for e in events if getattr(e, "linkedid", "") == linkedid]
                assert {e.server for e in of_call} == {server}
                offered = [e for e in of_call if isinstance(e, ct.CallOffered)]
                assert offered and {e.agent for e in offered} == {
                    "PJSIP/1001" if server == "alpha" else "PJSIP/1002"}
            # the wallboard: QUEUE runs on both servers under one name; its row counts both calls and
            # lists each server with its own agents (one server's queue.stats no longer replaces the other's)
            await wait_for(lambda: shares(console) == [("alpha", 1, True), ("beta", 1, True)], within=10)
            assert queue_row(console)["answered"] == 2
            assert [s["agents"] for s in queue_row(console)["servers"]][1] == 1  # beta: agent2 only
            await phone_a.expect(f"hung up by {RESIDENT}", within=15)
            await phone_b.expect(f"hung up by {RESIDENT}", within=15)

            # click-to-call: agent1's phone (alpha) rings; beta runs nothing and places no call
            with session_scope(session_factory) as session:
                case = intake(session, dataset, CaseCreate(description="回拨测试：路灯不亮", street="futian",
                                                           caller_phone=RESIDENT), "agent1")
                number = case.number
            before = len(await console_bus.read_all(Streams.CALLS))
            response = await agents["alpha"].post("/console/agent/callback", json={"number": number})
            assert response.status_code == 200, response.text
            await phone_a.expect(f"ringing from {RESIDENT}", within=15)
            await asyncio.sleep(2)  # time for a wrongly addressed bridge to act
            originates = [ct.parse(e) for e in await console_bus.read_all(Streams.AMI_COMMANDS)
                          if e.data.get("action") == "originate"]
            assert [c.server for c in originates] == ["alpha"]
            replies = [ct.parse(e) for e in await console_bus.read_all(Streams.AMI_REPLIES)
                       if e.key == originates[0].id]
            assert [(r.server, r.ok) for r in replies] == [("alpha", True)]
            later = [ct.parse(e) for e in (await console_bus.read_all(Streams.CALLS))[before:]]
            assert {e.server for e in later if isinstance(e, ct.CallStarted)} == {"alpha"}
            assert "0 active channels" in second_asterisk.cli("core show channels count")

            # a command naming no server (any Asterisk will do) is run by exactly one of the two bridges
            client = CommandClient(console_bus, timeout=10)
            client.subscribe()
            await asyncio.sleep(0.5)  # the reply group exists before the first command goes out
            pings = [await client.send("ping") for _ in range(6)]
            await asyncio.sleep(1)
            ids = {reply.id for reply in pings}
            replies = [e for e in await console_bus.read_all(Streams.AMI_REPLIES) if e.key in ids]
            assert len(replies) == 6 and all(reply.ok for reply in pings)

            # logging out removes each member from its own server
            for client in agents.values():
                for _ in range(50):
                    response = await client.post("/console/agent/presence/logout")
                    if response.status_code == 200:
                        break
                    await asyncio.sleep(0.2)  # still on the callback: wait until it ends
                assert response.status_code == 200, response.text
            assert "PJSIP/1001" not in members(asterisk) and "PJSIP/1002" not in members(second_asterisk)
        # the phones un-registered: the console no longer places them anywhere
        await wait_for(lambda: not (servers.of_interface("PJSIP/1001") or servers.of_interface("PJSIP/1002")),
                       within=15)
        # the bridges reconciled before any phone registered: "no contacts" is an answer, not a failure
        assert "reading the registered phones failed" not in caplog.text
    finally:
        for client in agents.values():
            await client.close()
        for bridge in (alpha, beta):
            await bridge.stop()
            await bridge.bus.close()
        await asyncio.to_thread(asterisk.cli, "channel request hangup all")
