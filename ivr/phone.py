"""`hotline phone EXT`: an auto-answering SIP phone for agent EXT, for trying the console without a softphone.

`hotline phone resident` registers as the demo resident instead: without a trunk every outside number
(callbacks, a warm transfer to a bureau's hotline or 110) rings it, so it stands in for the other side.

sipp runs inside the Asterisk instance's mount namespace and root (`nsenter -t <asterisk pid> -m -r`, the
runner's way of reaching the instance), so it needs nothing on the host: the cached root ships it. Its
two scenarios live in asterisk-config/sipp/: phone-register.xml REGISTERs with digest auth and registers
again before expiry; phone-answer.xml (sipp's out-of-call scenario) answers every INVITE. They report
through sipp `<log>` lines ("EVENT ...") that this module tails and prints. Stopping ends sipp, hangs up a
call still in progress and un-REGISTERs from the same port with the same Call-ID.
"""

from __future__ import annotations

import ctypes
import os
import random
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from ivr.asterisk import runner
from ivr.asterisk.instance import AGENT_EXTENSIONS, Instance, InstanceError
from ivr.config import get_ivr_settings

SIPP = "/usr/bin/sipp"
PCAP = "/usr/share/sip-tester/g711a.pcap"  # sample speech shipped with Debian's sip-tester
INSIDE_RUN = "/var/run/asterisk"  # STATE/run as seen inside the namespace
SCENARIOS = ("phone-register.xml", "phone-answer.xml")
REGISTER_TIMEOUT = 10.0  # seconds for the first registration (or a refusal) to show up
UNREGISTER_TIMEOUT = 10.0
POLL = 0.1
UNREGISTER_CSEQ = 1_000_000  # above any CSeq the running phone can have reached on its Call-ID
MEDIA_PORTS = (30000, 39998)  # sipp's RTP ports (even), outside Asterisk's own RTP range
REFUSAL_HINTS = {
    ("401",): "\n(the password in secrets.json is not the one the running Asterisk loaded: restart it with "
              "`hotline asterisk stop` and `hotline asterisk start`)",
    ("403",): "\n(Asterisk forbids this account: see `hotline asterisk cli \"pjsip show endpoint EXT\"`)",
}
RESIDENT = "resident"  # the demo resident's account: outside numbers ring it when there is no trunk
EVENT_WORDS = {"registered", "ringing", "answered", "hungup", "refused", "no_answer", "unregistered"}


class PhoneError(RuntimeError):
    """The phone cannot start, was refused, or its sipp failed."""


@dataclass(frozen=True)
class PhoneOptions:
    """What `hotline phone` was asked to do."""

    extension: str
    answer_after: float = 0.0  # seconds of ringing before answering
    hangup_after: float = 0.0  # seconds of talk before the phone hangs up; 0 = wait for the caller
    expires: int = 300  # registration lifetime asked for, in seconds


@dataclass(frozen=True)
class PhoneEvent:
    """One line the scenarios logged: kind (see EVENT_WORDS, or "reregistered") and its words."""

    kind: str
    args: tuple[str, ...] = ()


def check_options(options: PhoneOptions) -> None:
    """Refuse an extension that is no agent phone (nor the resident) and negative or too short durations."""
    if options.extension not in (*AGENT_EXTENSIONS, RESIDENT):
        raise PhoneError(f"unknown extension {options.extension!r}: agent phones are "
                         f"{AGENT_EXTENSIONS[0]}-{AGENT_EXTENSIONS[-1]} or {RESIDENT}")
    if options.answer_after < 0 or options.hangup_after < 0:
        raise PhoneError("--answer-after and --hangup-after take seconds >= 0")
    if options.expires < 60:
        raise PhoneError("--expires must be at least 60 s (Asterisk's minimum_expiration)")


def reregister_ms(expires: int) -> int:
    """Return how long to wait before registering again: 80 % of the lifetime, at least 10 s early."""
    return max(1000, min(int(expires * 800), (expires - 10) * 1000))


def parse_event(line: str) -> PhoneEvent | None:
    """Turn one sipp log line ("EVENT ringing 13800000000") into an event; None for anything else."""
    words = line.split()
    if len(words) < 2 or words[0] != "EVENT" or words[1] not in EVENT_WORDS:
        return None
    return PhoneEvent(words[1], tuple(words[2:]))


def describe(event: PhoneEvent, extension: str, server: str) -> str:
    """Return the line printed for an event."""
    arg = event.args[0] if event.args else ""
    caller = event.args[-1] if event.args else "unknown"
    texts = {
        "registered": f"registered at {server} (expires {arg or '?'} s); answering calls, Ctrl-C to stop",
        "reregistered": f"registered again (expires {arg or '?'} s)",
        "ringing": f"ringing from {caller}",
        "answered": f"answered {caller}",
        "hungup": {"caller": f"hung up by {caller}", "phone": f"hung up {caller} (--hangup-after)",
                   "cancelled": f"missed: {caller} gave up while ringing"}.get(arg, f"hung up {caller}"),
        "unregistered": "unregistered",
        "refused": f"registration refused: {' '.join(event.args) or 'no status'}",
        "no_answer": f"no answer to REGISTER from {arg}: is Asterisk listening there?",
    }
    return f"{time.strftime('%H:%M:%S')} phone {extension}: {texts[event.kind]}"


def sipp_command(asterisk_pid: int, *, server: str, local_ip: str, sip_port: int, media_port: int,
                 options: PhoneOptions, work: str, call_id: str, unregister: bool = False) -> list[str]:
    """Return the argv running sipp for the phone (or its un-REGISTER) inside the instance's namespace."""
    expires = 0 if unregister else options.expires
    argv = ["nsenter", "-t", str(asterisk_pid), "-m", "-r", SIPP, server,
            "-i", local_ip, "-p", str(sip_port), "-s", options.extension,
            "-sf", f"{work}/phone-register.xml", "-inf", f"{work}/credentials.csv",
            "-m", "1", "-cid_str", call_id, "-nostdin", "-aa",
            "-set", "expires", str(expires), "-set", "reregister_ms", str(reregister_ms(options.expires)),
            "-trace_logs", "-log_file", f"{work}/events.log", "-log_overwrite", "false",
            "-trace_err", "-error_file", f"{work}/errors.log",
            "-ringbuffer_files", "1", "-ringbuffer_size", "1000000"]
    if unregister:
        return [*argv, "-base_cseq", str(UNREGISTER_CSEQ), "-timeout", f"{UNREGISTER_TIMEOUT:.0f}s"]
    return [*argv, "-oocsf", f"{work}/phone-answer.xml", "-mp", str(media_port),
            "-set", "answer_ms", str(int(options.answer_after * 1000)),
            "-set", "hangup_ms", str(int(options.hangup_after * 1000))]


def free_udp_port(address: str, *, span: int = 1, even: bool = False,
                  ports: tuple[int, int] | None = None) -> int:
    """Return a port where `span` consecutive UDP ports are free on address."""
    for _attempt in range(200):
        port = random.randrange(*ports, 2) if ports else _ephemeral(address)
        if even and port % 2:
            continue
        if all(_udp_free(address, port + n) for n in range(span)):
            return port
    raise PhoneError(f"no free UDP port on {address}")


def _ephemeral(address: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def _udp_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:
    """In the child: get SIGTERM when `hotline phone` dies, so no sipp is left answering calls."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def phone_channels(concise: str, extension: str) -> list[str]:
    """Return the channels of the phone in `core show channels concise` output."""
    prefix = f"PJSIP/{extension}-"
    return [line.split("!", 1)[0] for line in concise.splitlines() if line.startswith(prefix)]


class Phone:
    """One running phone: its sipp process, its work directory (STATE/run/phone/EXT) and its call state."""

    def __init__(self, instance: Instance, options: PhoneOptions, scenario_dir: Path) -> None:
        self.instance = instance
        self.options = options
        self.scenario_dir = scenario_dir
        self.work = instance.path("run") / "phone" / options.extension
        self.inside = f"{INSIDE_RUN}/phone/{options.extension}"
        self.server = f"{instance.address}:{instance.sip_port}"
        self.call_id = f"hotline-phone-{options.extension}-{os.urandom(6).hex()}@{instance.address}"
        self.registered = False
        self.in_call = False
        self._proc: subprocess.Popen | None = None
        self._sip_port = 0
        self._offset = 0
        self._partial = b""

    def start(self) -> None:
        """Check everything, then start sipp; its first event follows through next_event()."""
        check_options(self.options)
        asterisk_pid = self._asterisk_pid()
        password = self._password()
        self._claim_work_dir()
        self._write_files(password)
        self._sip_port = free_udp_port(self.instance.address)
        media_port = free_udp_port(self.instance.address, span=4, even=True, ports=MEDIA_PORTS)
        argv = sipp_command(asterisk_pid, server=self.server, local_ip=self.instance.address,
                            sip_port=self._sip_port, media_port=media_port, options=self.options,
                            work=self.inside, call_id=self.call_id)
        self._proc = self._spawn(argv, "sipp.err")
        (self.work / "sipp.pid").write_text(str(self._proc.pid))

    def next_event(self, timeout: float | None) -> PhoneEvent | None:
        """Return the next event (None after `timeout` s); raise PhoneError when sipp has ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while deadline is None or time.monotonic() < deadline:
            event = self._read_event()
            if event is not None:
                if event.kind == "registered" and self.registered:
                    event = PhoneEvent("reregistered", event.args)
                self._track(event)
                return event
            if self._proc is None or self._proc.poll() is not None:
                raise PhoneError(f"sipp ended (exit {self._proc.returncode if self._proc else '?'}): "
                                 f"{self.diagnostics()}")
            time.sleep(POLL)
        return None

    def stop(self) -> list[PhoneEvent]:
        """Hang up a call in progress, end sipp and un-REGISTER; return the events seen meanwhile."""
        events: list[PhoneEvent] = []
        if self._proc is None:
            return events
        if self.in_call and self._proc.poll() is None:
            events += self._hang_up_calls()
        _terminate(self._proc)
        events += self._drain()
        if self.registered:
            events += self._unregister()
        for name in ("credentials.csv", "sipp.pid"):
            (self.work / name).unlink(missing_ok=True)
        self._proc = None
        return events

    def diagnostics(self) -> str:
        """Return the end of sipp's stderr and error log, to explain a failure."""
        parts = []
        for name in ("sipp.err", "unregister.err", "errors.log"):
            try:
                text = (self.work / name).read_text(errors="replace").strip()
            except OSError:
                continue
            if text:
                parts.append("\n".join(text.splitlines()[-8:]))
        return "\n".join(parts) or f"(nothing logged in {self.work})"

    def _asterisk_pid(self) -> int:
        pid = runner.asterisk_pid(self.instance)
        if pid is None:
            raise PhoneError(f"Asterisk instance {self.instance.name!r} is not running on {self.server}: "
                             "start it first (`hotline asterisk start`, or `make run`)")
        return pid

    def _password(self) -> str:
        try:
            password = self.instance.secrets().sip_passwords[self.options.extension]
        except (InstanceError, KeyError) as err:
            raise PhoneError(f"no SIP password for {self.options.extension}: {err}") from err
        if any(ch in password for ch in ";\r\n"):
            raise PhoneError(f"the SIP password of {self.options.extension} contains ';' or a line break, "
                             "which sipp's injection file cannot carry")
        return password

    def _claim_work_dir(self) -> None:
        """Refuse when a phone already runs on this extension; clear what a dead one left."""
        try:
            pid = int((self.work / "sipp.pid").read_text())
            alive = "sipp" in Path(f"/proc/{pid}/comm").read_text()
        except (OSError, ValueError):
            alive = False
        if alive:
            raise PhoneError(f"a phone already runs on {self.options.extension} (sipp pid {pid}); "
                             "stop it first (Ctrl-C in its terminal)")
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)

    def _write_files(self, password: str) -> None:
        for name in SCENARIOS:
            source = self.scenario_dir / name
            if not source.is_file():
                raise PhoneError(f"sipp scenario {source} is missing")
            shutil.copyfile(source, self.work / name)
        fd = os.open(self.work / "credentials.csv", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"SEQUENTIAL\n{password};\n")

    def _spawn(self, argv: list[str], err_name: str) -> subprocess.Popen:
        with open(self.work / err_name, "wb") as err:
            try:
                return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                        start_new_session=True, preexec_fn=_die_with_parent)
            except OSError as exc:
                raise PhoneError(f"cannot run {argv[0]}: {exc}") from exc

    def _read_event(self) -> PhoneEvent | None:
        """Return the next complete EVENT line of events.log, if one was written."""
        while True:
            if b"\n" not in self._partial:
                try:
                    with open(self.work / "events.log", "rb") as log:
                        log.seek(self._offset)
                        chunk = log.read()
                except FileNotFoundError:
                    return None
                self._offset += len(chunk)
                self._partial += chunk
                if b"\n" not in self._partial:
                    return None
            line, self._partial = self._partial.split(b"\n", 1)
            event = parse_event(line.decode(errors="replace"))
            if event is not None:
                return event

    def _track(self, event: PhoneEvent) -> None:
        if event.kind == "registered":
            self.registered = True
        elif event.kind == "unregistered":
            self.registered = False
        elif event.kind in {"ringing", "answered"}:
            self.in_call = True
        elif event.kind == "hungup":
            self.in_call = False

    def _drain(self) -> list[PhoneEvent]:
        events = []
        while (event := self._read_event()) is not None:
            self._track(event)
            events.append(event)
        return events

    def _hang_up_calls(self) -> list[PhoneEvent]:
        """Ask Asterisk to hang up the phone's channels, so the call ends on both sides."""
        try:
            channels = phone_channels(runner.cli(self.instance, "core show channels concise"),
                                      self.options.extension)
            for channel in channels:
                runner.cli(self.instance, f"channel request hangup {channel}")
        except runner.AsteriskError:
            return []
        events = []
        deadline = time.monotonic() + 3.0
        while self.in_call and time.monotonic() < deadline:
            events += self._drain()
            time.sleep(POLL)
        return events

    def _unregister(self) -> list[PhoneEvent]:
        """REGISTER with Expires 0 from the same port and Call-ID; return the events it logged."""
        pid = runner.asterisk_pid(self.instance)
        if pid is None:
            return []
        argv = sipp_command(pid, server=self.server, local_ip=self.instance.address, sip_port=self._sip_port,
                            media_port=0, options=self.options, work=self.inside, call_id=self.call_id,
                            unregister=True)
        proc = self._spawn(argv, "unregister.err")
        try:
            proc.wait(UNREGISTER_TIMEOUT + 5)
        except subprocess.TimeoutExpired:
            _terminate(proc)
        return self._drain()


def _terminate(proc: subprocess.Popen, grace: float = 3.0) -> None:
    """End a sipp: TERM, then KILL after `grace` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run(phone: Phone, echo: Callable[[str], None]) -> None:
    """Start the phone and print its events until Ctrl-C (or SIGTERM); always stop it cleanly."""
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    # installed explicitly: a shell starts background commands with SIGINT ignored
    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    extension, server = phone.options.extension, phone.server
    try:
        phone.start()
        first = phone.next_event(REGISTER_TIMEOUT)
        if first is None:
            raise PhoneError(f"no answer to REGISTER within {REGISTER_TIMEOUT:.0f} s:\n{phone.diagnostics()}")
        event: PhoneEvent | None = first
        while True:
            if event is not None and event.kind in {"refused", "no_answer"}:
                raise PhoneError(describe(event, extension, server) + REFUSAL_HINTS.get(event.args[:1], ""))
            if event is not None:
                echo(describe(event, extension, server))
            event = phone.next_event(None)
    except KeyboardInterrupt:
        pass
    finally:
        for event in phone.stop():
            echo(describe(event, extension, server))
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def command(
    extension: str = typer.Argument(..., metavar="EXT", help="Agent extension to register as (1001-1020), or "
                                    "'resident' (answers calls to outside numbers when there is no trunk)."),
    answer_after: float = typer.Option(0.0, "--answer-after", help="Seconds of ringing before answering."),
    hangup_after: float = typer.Option(0.0, "--hangup-after",
                                       help="Seconds of talk before hanging up; 0 waits for the caller."),
    expires: int = typer.Option(300, "--expires", help="Registration lifetime asked for (seconds)."),
) -> None:
    """Register as agent EXT and answer every call (no softphone needed) until Ctrl-C."""
    settings = get_ivr_settings()
    options = PhoneOptions(extension, answer_after=answer_after, hangup_after=hangup_after, expires=expires)
    phone = Phone(Instance.from_settings(settings), options, settings.asterisk_config_dir / "sipp")
    try:
        run(phone, typer.echo)
    except PhoneError as err:
        typer.secho(str(err), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from err
