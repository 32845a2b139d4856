"""`kill -9` of `hotline serve` (API, outbox relay, AMI bridge, call recorder in one process) under load.

The real `hotline serve` runs as a subprocess on a private database (shared PostgreSQL server), a private
Redis and the session's Asterisk. 20 clients file cases over HTTP while 20 calls run on Asterisk, each for
its own length. The process is killed with SIGKILL (nothing flushed, no shutdown), so its bridge dies with
it; some calls end while it is dead. It is started again and the load goes on.

Exact counts: every case acknowledged (201) is stored once (a case committed whose answer the kill cut
off is stored too, and counted); an independent reader gets exactly one case.created per stored case (the
outbox publishes what it had not marked sent; a second copy carries the same event id); every call has
one call record, closed, also the calls that ended while no bridge watched them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ivr.ami.bridge import AmiBridge
from tests.faults.test_redis_faults import BODY, Reader
from ticketing.bus import create_bus
from ticketing.call.models import Call
from ticketing.case.models import Case
from ticketing.database.core import session_scope

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.faults, pytest.mark.timeout(400)]
HOTLINE = str(Path(sys.executable).parent / "hotline")
CLIENTS = 20
CALLS = 20


class Server:
    """`hotline serve` as a child process we can SIGKILL and start again on the same port."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.env, self.cwd = env, cwd
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def _spawn(self) -> None:
        self.starts += 1
        with open(self.log_path, "wb") as log:  # the child has its own copy of the descriptor
            self.process = subprocess.Popen([HOTLINE, "serve", "--port", str(self.port)], env=self.env,
                                            cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT)

    @property
    def log_path(self) -> Path:
        return self.cwd / f"serve-{self.starts}.log"

    async def start(self) -> None:
        await asyncio.to_thread(self._spawn)
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=self.base, timeout=2) as client:
            while True:
                assert self.process.poll() is None, self.log_tail()
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"hotline serve did not start: {self.log_tail()}"
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_tail(self) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])


async def file_cases(base: str, token: str, stop: asyncio.Event) -> tuple[list[str], int]:
    """Post cases from CLIENTS workers until `stop`; return the numbers acknowledged and the failed tries."""
    numbers, failed = [], 0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as client:

        async def worker() -> None:
            nonlocal failed
            while not stop.is_set():
                try:
                    response = await client.post("/api/v1/cases", json=BODY)
                except httpx.HTTPError:  # the server is dead: not acknowledged; wait for it
                    failed += 1
                    await asyncio.sleep(0.2)
                    continue
                if response.status_code == 201:
                    numbers.append(response.json()["number"])
                else:
                    failed += 1

        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return numbers, failed


async def test_kill_9_of_the_server_and_its_bridge_loses_nothing(asterisk, private_redis, seeded_database,
                                                                 tmp_path):
    asterisk.start()  # a previous test may have stopped it
    await asyncio.to_thread(asterisk.cli, "channel request hangup all")  # calls other tests left behind
    url, factory, token = seeded_database
    instance = asterisk.instance
    env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_REDIS_URL": private_redis.url,
           "HOTLINE_VAR_DIR": str(tmp_path / "var"), "HOTLINE_ASTERISK_INSTANCE": instance.name,
           "HOTLINE_ASTERISK_ADDRESS": instance.address,
           "HOTLINE_ASTERISK_STATE_DIR": str(instance.state_dir),
           "HOTLINE_AMI_SECRET": asterisk.secret, "HOTLINE_AMI_PING_INTERVAL": "1",
           "HOTLINE_IVR_ENABLED": "false", "HOTLINE_SPEECH_ENABLED": "false",
           "HOTLINE_QA_TRANSCRIBE_WORKERS": "0", "HOTLINE_CONSOLE_SURVEY_INTERVAL": "0"}
    server = Server(env, tmp_path)
    caller_bus = create_bus(None)  # the test's own AMI connection places the residents' calls
    caller = AmiBridge.from_settings(asterisk.settings(), caller_bus)
    reader = Reader(private_redis.url)
    await server.start()
    await caller.start()
    await caller.wait_connected(15)
    await reader.start()
    stop = asyncio.Event()
    try:
        load = asyncio.create_task(file_cases(server.base, token, stop))
        calls = []
        for n in range(CALLS):  # 3..22 s: some end while the server is dead, some after it is back
            linkedid = f"kill-{n:02d}-{os.urandom(4).hex()}"
            await caller.actions.originate("Local/hold@hotline-test/n", application="Wait", data="60",
                                           variables={"TEST_HOLD": str(3 + n)}, channel_id=linkedid)
            calls.append(linkedid)
        await asyncio.sleep(2)
        await asyncio.to_thread(server.kill)
        await asyncio.sleep(5)  # calls end meanwhile; clients fail to connect
        await server.start()
        await asyncio.sleep(6)
        stop.set()
        numbers, failed = await load

        def settled() -> bool:
            with session_scope(factory) as session:
                stored = set(session.scalars(select(Case.number)))
                records = dict(session.execute(select(Call.linkedid, Call.status)).all())
            return set(reader.created) >= stored and all(records.get(c) == "ended" for c in calls)

        deadline = time.monotonic() + 90  # calls last up to 22 s; the relay and recorder catch up
        while not await asyncio.to_thread(settled):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        with session_scope(factory) as session:
            stored = session.scalars(select(Case.number)).all()
            records = session.execute(select(Call.linkedid, Call.status)).all()
        unacknowledged = set(stored) - set(numbers)
        print(f"\n{len(numbers)} cases acknowledged, {len(stored)} stored ({len(unacknowledged)} committed "
              f"as the kill cut their answer; {failed} tries failed while the server was dead); the reader "
              f"got {len(reader.created)} case.created ({reader.deliveries} handled); "
              f"{sum(1 for _, s in records if s == 'ended')}/{len(records)} call records closed")
        assert len(numbers) == len(set(numbers)) and set(numbers) <= set(stored)
        assert len(stored) == len(set(stored)) and len(unacknowledged) <= CLIENTS
        assert set(reader.created) == set(stored) and reader.doubled == []
        by_call = {linkedid: status for linkedid, status in records if linkedid in calls}
        assert sorted(by_call) == sorted(calls), "one record per call"
        assert {c: s for c, s in by_call.items() if s != "ended"} == {}, "every call record closed"
    finally:
        stop.set()
        server.stop()
        await caller.stop()
        await reader.bus.close()
        await asyncio.to_thread(asterisk.cli, "channel request hangup all")
