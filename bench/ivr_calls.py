"""Concurrent callers walking the IVR on the real Asterisk, against a bare panoramisk FastAGI app.

Run: .venv/bin/python -m bench.ivr_calls [--calls 100] [--database URL]
A private Asterisk instance (H3's runner) on a free 127.0.0.N gets CALLS simultaneous residents
(Local channels originated over AMI, all within a second). Phase "bare": a panoramisk fast_agi
Application answers each call with the same quick commands our IVR sends (ANSWER, GET VARIABLE x3,
SET VARIABLE), waits like a caller would, and hangs up. Phase "ivr": the real FastAGI IVR with the
default menu, bus, recorder and database; every resident keys 1 (Mandarin), 1 (case status), a case
number and #, hears the status and hangs up. Printed per phase: completed, failed, p50/p99 round trip
of quick AGI commands (sent -> reply), wall time, CPU of this process and of Asterisk; then ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from panoramisk.fast_agi import Application

from ivr.agi import prompts
from ivr.agi.app import IvrServer
from ivr.agi.component import ASTERISK_RECORDINGS, fixed_clock, usable_menus
from ivr.agi.services import IvrServices
from ivr.agi.session import RecordingPlaces
from ivr.ami.bridge import AmiBridge
from ivr.asterisk import runner
from ivr.asterisk.instance import Instance
from ivr.asterisk.provision import provision
from ivr.config import IvrSettings
from ivr.recorder import CallRecorder
from ivr.testcall import BusSteps, TestCaller, TestCallError, parse_moves
from ticketing.bureau.seed import sync_dataset
from ticketing.bus import create_bus
from ticketing.case.flows import intake
from ticketing.case.schemas import CaseCreate
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.dataset import load_dataset

ROOT = Path(__file__).resolve().parent.parent
PROMPT_CACHE = ROOT / "var" / "test-cache" / "prompts"
AGI_PORT = 4573
QUICK = ("ANSWER", "GET VARIABLE CHANNEL(linkedid)", "GET VARIABLE HOTLINE_DIALLED",
         "GET VARIABLE HOTLINE_RECORDING", "SET VARIABLE CHANNEL(language) zh")


@dataclass
class Phase:
    """Figures of one phase."""

    name: str
    completed: int = 0
    failed: int = 0
    round_trips: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu_self: float = 0.0
    cpu_asterisk: float = 0.0

    def p(self, q: float) -> float:
        """Return the q-quantile of the round trips in milliseconds."""
        if not self.round_trips:
            return float("nan")
        ordered = sorted(self.round_trips)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        mean = statistics.fmean(self.round_trips) * 1000 if self.round_trips else 0.0
        return (f"{self.name:5}  completed {self.completed:4}  failed {self.failed:3}  "
                f"round trips {len(self.round_trips):5}  p50 {self.p(0.5):6.2f} ms  "
                f"p99 {self.p(0.99):6.2f} ms  mean {mean:6.2f} ms  wall {self.wall:5.1f} s  "
                f"CPU self {self.cpu_self:5.1f}%  asterisk {self.cpu_asterisk:5.1f}%")


class Meter:
    """CPU of this process and of Asterisk over a phase, as % of one core."""

    def __init__(self, asterisk_pid: int | None) -> None:
        self.pid = asterisk_pid

    def __enter__(self) -> Meter:
        self.t0, self.self0, self.ast0 = time.perf_counter(), time.process_time(), self._asterisk()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.t0
        self.cpu_self = 100 * (time.process_time() - self.self0) / self.wall
        self.cpu_asterisk = 100 * (self._asterisk() - self.ast0) / self.wall

    def _asterisk(self) -> float:
        if self.pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_address() -> str:
    """Return a 127.0.0.N whose SIP, AMI and AGI ports are free."""
    import socket

    for n in range(200, 254):
        address = f"127.0.0.{n}"
        try:
            for kind, port in ((socket.SOCK_STREAM, 5038), (socket.SOCK_STREAM, AGI_PORT),
                               (socket.SOCK_DGRAM, 5060)):
                with socket.socket(socket.AF_INET, kind) as probe:
                    probe.bind((address, port))
            return address
        except OSError:
            continue
    raise RuntimeError("no free loopback address")


async def originate_holders(bridge: AmiBridge, calls: int) -> None:
    """Originate CALLS residents who stay silent on the line (the bare phase)."""
    for n in range(calls):
        await bridge.actions.send({"Action": "Originate", "Channel": "Local/hold@hotline-test/n",
                                   "Context": "hotline-inbound", "Exten": "12345", "Priority": 1,
                                   "Async": "true", "CallerID": f"<1380013{n:04d}>",
                                   "Variable": "TEST_HOLD=30"}, as_list=False)


async def bare_phase(bridge: AmiBridge, address: str, calls: int, pid: int | None) -> Phase:
    """Serve every call with a bare panoramisk app sending the same quick commands."""
    phase, done = Phase("bare"), asyncio.Event()
    app = Application(loop=asyncio.get_running_loop())

    async def route(request) -> None:
        try:
            for command in QUICK:
                started = time.perf_counter()
                reply = await request.send_command(command)
                phase.round_trips.append(time.perf_counter() - started)
                if "error" in reply and reply["error"] != "AGIResultHangup":
                    raise RuntimeError(f"{command}: {reply}")
            await request.send_command("EXEC Wait 2")
            await request.send_command("HANGUP")
            phase.completed += 1
        except Exception:
            phase.failed += 1
            raise
        finally:
            if phase.completed + phase.failed >= calls:
                done.set()

    app.add_route("hotline", route)
    server = await asyncio.start_server(app.handler, address, AGI_PORT)
    try:
        with Meter(pid) as meter:
            await originate_holders(bridge, calls)
            try:
                await asyncio.wait_for(done.wait(), 120)
            except TimeoutError:
                phase.failed += calls - phase.completed - phase.failed
    finally:
        server.close()
        await server.wait_closed()
    phase.wall, phase.cpu_self, phase.cpu_asterisk = meter.wall, meter.cpu_self, meter.cpu_asterisk
    return phase


async def ivr_phase(bridge: AmiBridge, bus, instance: Instance, address: str, factory, dataset, number: str,
                    calls: int, pid: int | None) -> Phase:
    """Serve every call with our IVR while residents walk to a case status."""
    phase = Phase("ivr")
    menus = usable_menus(ROOT / "ivr/agi/menus", ROOT / "asterisk-config/queues.conf")
    services = IvrServices(factory, dataset, case_prefix="FT",
                           clock=fixed_clock(dataset_working_time(), dataset.calendar.timezone))
    server = IvrServer(menus, services, bus, RecordingPlaces(ASTERISK_RECORDINGS, instance.recordings_dir),
                       host=address, port=AGI_PORT)
    recorder = CallRecorder(bus, factory)
    steps = BusSteps(bus)
    await server.start()
    await recorder.start()
    caller = TestCaller(bridge.actions, steps, menus["hotline"], prompts_dir=instance.prompts_dir,
                        test_audio_dir=instance.test_audio_dir)
    digits = number[2:].replace("-", "") + "#"

    async def one(n: int) -> bool:
        try:
            report = await caller.call(parse_moves(["1", "1", digits, "x"]), caller_id=f"1390013{n:04d}",
                                       limit=120)
        except TestCallError as err:
            print(f"  call {n} failed: {err}")
            return False
        reached = [node for node, _ in report.path]
        return "after_status" in reached

    try:
        with Meter(pid) as meter:
            results = await asyncio.gather(*(one(n) for n in range(calls)))
    finally:
        await server.stop()
    phase.completed, phase.failed = sum(results), calls - sum(results)
    phase.round_trips = list(server.app.round_trips)
    phase.failed += server.app.failed
    phase.wall, phase.cpu_self, phase.cpu_asterisk = meter.wall, meter.cpu_self, meter.cpu_asterisk
    return phase


def dataset_working_time():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def prepare_database(url: str | None, workdir: Path, dataset) -> tuple[object, str]:
    """Migrate and seed a database; return its session factory and an existing case number."""
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(Settings(database_url=url).sqlalchemy_url)
    factory = make_session_factory(make_engine(Settings(database_url=url).sqlalchemy_url))
    with session_scope(factory) as session:
        sync_dataset(session, dataset)
        data = CaseCreate(description="路灯不亮", caller_phone="13800138000")
        case = intake(session, dataset, data, "agent", now=dataset_working_time())
        number = case.number
    return factory, number


async def main(calls: int, database: str | None) -> None:
    dataset = load_dataset(Settings().dataset_dir)
    settings = IvrSettings()
    workdir = Path(tempfile.mkdtemp(prefix="bench-ivr-"))
    address = free_address()
    instance = Instance(name=f"bench-{address.rsplit('.', 1)[1]}", state_dir=workdir / "asterisk",
                        address=address, agi=f"{address}:{AGI_PORT}", prompts_dir=workdir / "prompts",
                        queue_timeout=30,
                        config_dir=settings.asterisk_config_dir)
    menus = usable_menus(ROOT / "ivr/agi/menus", ROOT / "asterisk-config/queues.conf")
    jobs = prompts.plan(menus.values(), PROMPT_CACHE, ROOT / "prompts/overrides", dataset)
    prompts.build(jobs, PROMPT_CACHE)
    shutil.copytree(PROMPT_CACHE, instance.prompts_dir, dirs_exist_ok=True)
    factory, number = prepare_database(database, workdir, dataset)
    install = provision(settings.asterisk_root, use_system=settings.asterisk_system, progress=lambda _l: None)
    runner.start(install, instance, timeout=60)
    bus = create_bus(None)
    await bus.start()
    bridge = AmiBridge(bus, host=address, port=instance.ami_port, username=instance.ami_username,
                       secret=instance.secrets().ami_secret)
    try:
        await bridge.start()
        await bridge.wait_connected(15)
        pid = runner.asterisk_pid(instance)
        print(f"{calls} simultaneous callers, {install.version} on {address}, {os.cpu_count()} cores")
        bare = await bare_phase(bridge, address, calls, pid)
        await asyncio.sleep(3)  # let the bare phase's channels go
        ours = await ivr_phase(bridge, bus, instance, address, factory, dataset, number, calls, pid)
        print(bare.line())
        print(ours.line())
        print(f"ratio ivr/bare: p50 {ours.p(0.5) / bare.p(0.5):.2f}x  "
              f"p99 {ours.p(0.99) / bare.p(0.99):.2f}x  (goal: {calls} calls, 0 failed, p99 < 50 ms)")
    finally:
        await bridge.stop()
        await bus.close()
        runner.stop(instance)
        shutil.rmtree(workdir, ignore_errors=True)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="simultaneous callers (default 100)")
    parser.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.database))


if __name__ == "__main__":
    cli()
