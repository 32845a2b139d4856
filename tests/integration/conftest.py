"""Fixtures driving a real Asterisk: one instance per test session on its own loopback address.

`asterisk` (session) provisions the cached root, renders the project's asterisk-config/ into a tmp
state dir and starts Asterisk on a free 127.0.0.N; it FAILS the run (never skips) when Asterisk cannot
start. Its AGI and AudioSocket targets are <address>:4573 and <address>:9092, so a test starts its
FastAGI/AudioSocket server on `asterisk.agi` / `asterisk.audiosocket`. Sound files written to
`asterisk.prompts_dir` play as hotline/<name>, files in `asterisk.test_audio_dir` as test-audio/<name>;
recordings appear in `asterisk.recordings_dir`.

`bus` is a started in-process bus; `ami_bridge` is an AmiBridge connected to the session's Asterisk
publishing onto it. `wait_for_event(bus, stream, predicate)` polls the bus for a matching envelope.
"""

from __future__ import annotations

import asyncio
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.ami.bridge import AmiBridge
from ivr.asterisk import runner
from ivr.asterisk.instance import Instance
from ivr.asterisk.provision import AsteriskInstall, ProvisionError, provision
from ivr.config import IvrSettings
from ticketing.bus import Bus, Envelope, create_bus

AGI_PORT = 4573
AUDIOSOCKET_PORT = 9092


def _free(address: str) -> bool:
    """Whether every port an instance needs is free on this loopback address."""
    checks = [(socket.SOCK_STREAM, port) for port in (5038, AGI_PORT, AUDIOSOCKET_PORT)]
    checks.append((socket.SOCK_DGRAM, 5060))
    for kind, port in checks:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((address, port))
            except OSError:
                return False
    return True


def free_loopback_address() -> str:
    """Pick a 127.0.0.N (N >= 2) where the instance's ports are all free."""
    candidates = list(range(2, 255))
    random.shuffle(candidates)
    for n in candidates:
        address = f"127.0.0.{n}"
        if _free(address):
            return address
    raise RuntimeError("no free loopback address for a test Asterisk")


@dataclass
class TestAsterisk:
    """A running test instance and what tests need to reach it."""

    __test__ = False  # not a test class, despite the name

    install: AsteriskInstall
    instance: Instance
    secret: str

    @property
    def address(self) -> str:
        return self.instance.address

    @property
    def agi(self) -> tuple[str, int]:
        """Where the dial plan's AGI() connects: start the FastAGI server here."""
        return self.address, AGI_PORT

    @property
    def audiosocket(self) -> tuple[str, int]:
        """Where the dial plan's AudioSocket() connects: start the speech server here."""
        return self.address, AUDIOSOCKET_PORT

    @property
    def prompts_dir(self) -> Path:
        return self.instance.prompts_dir

    @property
    def recordings_dir(self) -> Path:
        return self.instance.recordings_dir

    @property
    def test_audio_dir(self) -> Path:
        return self.instance.test_audio_dir

    def settings(self, **overrides) -> IvrSettings:
        """IvrSettings pointing at this instance (AMI, AGI, AudioSocket, paths); overrides win."""
        values = dict(asterisk_instance=self.instance.name, asterisk_address=self.address,
                      asterisk_state_dir=self.instance.state_dir, prompts_dir=self.prompts_dir,
                      ami_host=self.address, ami_port=self.instance.ami_port,
                      ami_username=self.instance.ami_username, ami_secret=self.secret,
                      agi_host=self.address, agi_port=AGI_PORT, audiosocket_host=self.address,
                      audiosocket_port=AUDIOSOCKET_PORT, ami_ping_interval=1.0, ami_ping_timeout=1.0,
                      ami_reconnect_min=0.2, ami_reconnect_max=1.0)
        return IvrSettings(**{**values, **overrides})

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command on the instance."""
        return runner.cli(self.instance, command)

    def start(self) -> None:
        """Start the instance (no-op when running) and wait until fully booted."""
        runner.start(self.install, self.instance, timeout=60)

    def stop(self) -> None:
        """Stop the instance cleanly."""
        runner.stop(self.instance)

    def kill(self, *, hard: bool = True) -> None:
        """Kill the instance without a clean shutdown (hard: SIGKILL, a crash)."""
        runner.kill(self.instance, hard=hard)


@pytest.fixture
def loopback_address() -> str:
    """A free 127.0.0.N for one more Asterisk instance."""
    return free_loopback_address()


@pytest.fixture(scope="session")
def asterisk_install() -> AsteriskInstall:
    """The provisioned Asterisk (cached root or a system install); the run fails when there is none."""
    try:
        return provision(IvrSettings().asterisk_root, progress=lambda _line: None)
    except ProvisionError as err:
        pytest.fail(f"Asterisk cannot be provisioned: {err}", pytrace=False)


@pytest.fixture(scope="session")
def asterisk(asterisk_install: AsteriskInstall, tmp_path_factory) -> TestAsterisk:
    """A real Asterisk for this test session on a free 127.0.0.N; stopped at the end."""
    state_dir = tmp_path_factory.mktemp("asterisk")
    address = free_loopback_address()
    instance = Instance(name=f"test-{address.rsplit('.', 1)[1]}", state_dir=state_dir, address=address,
                        agi=f"{address}:{AGI_PORT}", audiosocket=f"{address}:{AUDIOSOCKET_PORT}",
                        queue_timeout=60, prompts_dir=state_dir / "prompts",
                        config_dir=IvrSettings().asterisk_config_dir)
    test = TestAsterisk(install=asterisk_install, instance=instance, secret=instance.secrets().ami_secret)
    try:
        test.start()
    except runner.AsteriskError as err:
        runner.kill(instance)
        pytest.fail(f"test Asterisk did not start: {err}", pytrace=False)
    yield test
    runner.stop(instance)


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    """A started in-process bus."""
    memory = create_bus(None)
    await memory.start()
    yield memory
    await memory.close()


@pytest.fixture
async def ami_bridge(asterisk: TestAsterisk, bus: Bus) -> AsyncIterator[AmiBridge]:
    """An AMI bridge connected to the session's Asterisk, publishing on `bus`."""
    asterisk.start()  # a previous test may have stopped it
    bridge = AmiBridge.from_settings(asterisk.settings(), bus)
    await bridge.start()
    try:
        await bridge.wait_connected(15)
    except TimeoutError:
        await bridge.stop()
        pytest.fail(f"AMI bridge did not connect to {asterisk.address}", pytrace=False)
    yield bridge
    await bridge.stop()


async def _wait_for_event(bus: Bus, stream: str, predicate: Callable[[Envelope], bool],
                         within: float = 15.0) -> Envelope:
    """Return the first envelope on `stream` matching predicate, polling until `within` seconds pass."""
    deadline = time.monotonic() + within
    while True:
        for envelope in await bus.read_all(stream):
            if predicate(envelope):
                return envelope
        if time.monotonic() > deadline:
            seen = [(e.type, e.key) for e in await bus.read_all(stream)][-20:]
            raise AssertionError(f"no matching event on {stream} within {within} s; last seen: {seen}")
        await asyncio.sleep(0.1)


@pytest.fixture
def wait_for_event() -> Callable:
    """`await wait_for_event(bus, stream, predicate, within=15)`: the first matching envelope, or fail."""
    return _wait_for_event
