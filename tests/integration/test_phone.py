"""`hotline phone EXT` against the session's real Asterisk: it registers, answers a queue call, ends it
both ways, gives up with the caller, refuses clearly, and un-registers on Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from ticketing.bus import Streams
from ticketing.bus.contract import CallConnected, parse

pytestmark = pytest.mark.asterisk

HOTLINE = str(Path(sys.executable).parent / "hotline")
NOT_IN_USE, UNAVAILABLE = "1", "5"  # QueueMember Status (Asterisk device states)


class PhoneProcess:
    """A `hotline phone` subprocess and the lines it printed."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[tuple[float, str]] = []

    async def expect(self, text: str, within: float = 15.0) -> float:
        """Wait for a printed line containing text; return when it was read (monotonic)."""
        for at, line in self.lines:
            if text in line:
                return at
        try:
            async with asyncio.timeout(within):
                while True:
                    raw = await self.proc.stdout.readline()
                    if not raw:
                        raise AssertionError(f"`hotline phone` ended before {text!r}: {self.printed()}")
                    self.lines.append((time.monotonic(), raw.decode().rstrip()))
                    if text in self.lines[-1][1]:
                        return self.lines[-1][0]
        except TimeoutError:
            raise AssertionError(f"no {text!r} within {within} s: {self.printed()}") from None

    async def interrupt(self) -> int:
        """Press Ctrl-C and return the exit code."""
        self.proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(20):
            await self.expect("unregistered")
            return await self.proc.wait()

    def printed(self) -> str:
        return "\n".join(line for _at, line in self.lines)


def phone_env(asterisk, **extra: str) -> dict[str, str]:
    """Environment pointing `hotline` at the session's Asterisk instance."""
    instance = asterisk.instance
    return {**os.environ, "HOTLINE_ASTERISK_INSTANCE": instance.name,
            "HOTLINE_ASTERISK_ADDRESS": instance.address,
            "HOTLINE_ASTERISK_STATE_DIR": str(instance.state_dir), **extra}


@asynccontextmanager
async def running_phone(asterisk, *args: str):
    """Start `hotline phone ARGS...`, wait for its registration, and always stop it."""
    proc = await asyncio.create_subprocess_exec(HOTLINE, "phone", *args, env=phone_env(asterisk),
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    phone = PhoneProcess(proc)
    try:
        await phone.expect("registered at")
        yield phone
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            try:
                async with asyncio.timeout(20):
                    await proc.wait()
            except TimeoutError:
                proc.kill()


async def contacts_of(ami_bridge, aor: str) -> list[dict]:
    """The AOR's contacts as PJSIPShowContacts lists them (Asterisk answers no list when there is none)."""
    replies = await ami_bridge.actions.send({"Action": "PJSIPShowContacts"}, as_list=True)
    return [m for m in replies  # ObjectName is "<aor>;@<hash>"
            if m.get("Event") == "ContactList" and m.get("ObjectName", "").startswith(f"{aor};@")]


async def member_status(ami_bridge, queue: str, interface: str) -> str:
    for entry in await ami_bridge.actions.queue_status():
        if entry.get("Event") == "QueueMember" and entry.get("Queue") == queue \
                and interface in (entry.get("StateInterface"), entry.get("Location")):
            return entry.get("Status", "")
    return ""


async def wait_member_status(ami_bridge, queue: str, interface: str, status: str, within: float = 5) -> None:
    deadline = time.monotonic() + within
    while (seen := await member_status(ami_bridge, queue, interface)) != status:
        assert time.monotonic() < deadline, f"{interface} in {queue}: status {seen!r}, wanted {status!r}"
        await asyncio.sleep(0.2)


def cli_contacts(asterisk, aor: str) -> list[str]:
    """The AOR's contact lines in `pjsip show contacts`."""
    return [line for line in asterisk.cli("pjsip show contacts").splitlines() if f" {aor}/sip:" in line]


def of_call(kind: str, linkedid: str):
    return lambda env: env.type == kind and env.key == linkedid


async def test_phone_registers_answers_a_queue_call_and_unregisters(asterisk, ami_bridge, bus,
                                                                    wait_for_event):
    queue, interface = "safety-en", "PJSIP/1001"
    await ami_bridge.actions.queue_add(queue, interface, member_name="Phone 1001")
    try:
        async with running_phone(asterisk, "1001") as phone:
            [contact] = await contacts_of(ami_bridge, "1001")
            assert contact["Status"] not in {"Unreachable", "Unavailable"}, contact  # NonQualified
            assert contact["UserAgent"] == "hotline-phone"
            await wait_member_status(ami_bridge, queue, interface, NOT_IN_USE)

            linkedid = uuid.uuid4().hex
            await ami_bridge.actions.originate("Local/caller@hotline-test/n", context="hotline-queue",
                                               exten=queue, caller_id="Resident <13900000042>",
                                               channel_id=linkedid, variables={"TEST_HOLD": "4"})
            await phone.expect("ringing from 13900000042")
            await phone.expect("answered 13900000042")
            envelope = await wait_for_event(bus, Streams.CALLS, of_call("call.connected", linkedid))
            connected = parse(envelope)
            assert isinstance(connected, CallConnected) and connected.agent == interface
            await phone.expect("hung up by 13900000042")  # the caller's BYE after TEST_HOLD
            await wait_for_event(bus, Streams.CALLS, of_call("call.ended", linkedid))

            assert await phone.interrupt() == 0
        assert cli_contacts(asterisk, "1001") == []
        await wait_member_status(ami_bridge, queue, interface, UNAVAILABLE)
    finally:
        await ami_bridge.actions.queue_remove(queue, interface)


async def test_phone_answers_late_and_hangs_up_itself(asterisk, ami_bridge, bus, wait_for_event):
    async with running_phone(asterisk, "1002", "--answer-after", "1.5", "--hangup-after", "2") as phone:
        linkedid = uuid.uuid4().hex
        await ami_bridge.actions.originate("PJSIP/1002", application="Wait", data="30",
                                           caller_id="Supervisor <1010>", channel_id=linkedid)
        ringing = await phone.expect("ringing from 1010")
        answered = await phone.expect("answered 1010")
        assert answered - ringing >= 1.2
        hung_up = await phone.expect("hung up 1010 (--hangup-after)")
        assert hung_up - answered >= 1.7
        # the call ends with the phone's BYE, long before the 30 s Wait of the calling side
        await wait_for_event(bus, Streams.CALLS, of_call("call.ended", linkedid), within=5)


async def test_caller_giving_up_while_ringing_is_a_missed_call(asterisk, ami_bridge):
    async with running_phone(asterisk, "1003", "--answer-after", "30") as phone:
        await ami_bridge.actions.originate("PJSIP/1003", application="Wait", data="5", ring_seconds=2,
                                           caller_id="Resident <13900000043>")
        await phone.expect("ringing from 13900000043")
        await phone.expect("missed: 13900000043 gave up while ringing", within=10)
        await asyncio.sleep(0.5)
        assert phone.proc.returncode is None  # still running: the next call would be answered


async def run_phone(asterisk, *args: str, **env: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(HOTLINE, "phone", *args, env=phone_env(asterisk, **env),
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.STDOUT)
    async with asyncio.timeout(30):
        out, _ = await proc.communicate()
    return proc.returncode, out.decode()


async def test_unknown_extension_and_stopped_asterisk_are_explained(asterisk, tmp_path):
    code, out = await run_phone(asterisk, "999")
    assert code == 1 and "unknown extension '999'" in out and "1001-1020" in out
    code, out = await run_phone(asterisk, "1001", HOTLINE_ASTERISK_STATE_DIR=str(tmp_path / "no-instance"))
    assert code == 1 and "is not running" in out and "hotline asterisk start" in out
    assert not (tmp_path / "no-instance").exists()


async def test_refused_registration_shows_the_sip_status(asterisk, ami_bridge):
    """Secrets changed after Asterisk loaded them: the phone says 401 and how to fix it."""
    secrets = asterisk.instance.state_dir / "secrets.json"
    original = secrets.read_text()
    changed = json.loads(original)
    changed["sip_passwords"]["1020"] = "not-the-loaded-one"
    try:
        secrets.write_text(json.dumps(changed))
        code, out = await run_phone(asterisk, "1020")
    finally:
        secrets.write_text(original)
    assert code == 1 and "registration refused: 401 Unauthorized" in out and "restart" in out
    assert cli_contacts(asterisk, "1020") == []
    assert not (asterisk.instance.state_dir / "run/phone/1020/credentials.csv").exists()
