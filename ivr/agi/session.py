"""One caller's walk through the menu: run the machine's commands over AGI and feed back the answers."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from ivr.agi import commands as c
from ivr.agi.machine import Machine, Step, Transition
from ivr.agi.protocol import AgiChannel, AgiError, AgiHangup
from ivr.agi.services import IvrServices
from ticketing import logs
from ticketing.bus import Bus
from ticketing.bus.contract import IvrCaseOpened, IvrStep

log = logging.getLogger(__name__)

PROMPT_ROOT = "hotline"  # sounds/hotline/<lang>/<id> inside Asterisk (var/prompts on the host)
MIN_MESSAGE_BYTES = 8000  # half a second of 8 kHz 16-bit audio
# Modules of other packages that run their node types' commands (they add to EXECUTORS on import).
PLUGIN_EXECUTOR_MODULES = ("ivr.speech.executors", "ivr.survey.executors")


@dataclass(frozen=True)
class RecordingPlaces:
    """Where messages go: the directory as Asterisk sees it, and the same directory on this host."""

    asterisk_dir: str
    host_dir: Path


@dataclass(frozen=True)
class CallInfo:
    """Who is calling, read from the AGI headers and the channel."""

    linkedid: str
    uniqueid: str
    caller: str
    dialled: str
    language: str
    recording: str = ""  # the dial plan's MixMonitor file, as a path on this host


class CallSession:
    """Drive one call: the machine decides, this class only sends commands and publishes steps."""

    def __init__(self, channel: AgiChannel, machine: Machine, services: IvrServices, bus: Bus,
                 recordings: RecordingPlaces, *, entry: str | None = None,
                 queue_in_dialplan: bool = True, server: str = "default") -> None:
        self.channel, self.machine, self.services, self.bus = channel, machine, services, bus
        self.recordings, self.entry, self.queue_in_dialplan = recordings, entry, queue_in_dialplan
        self.server = server
        self.call: CallInfo | None = None
        self.path: list[Step] = []
        load_executors()

    async def run(self) -> None:
        """Walk the menu until it ends or the caller hangs up."""
        self.call = await self._identify()
        logs.bind_call(self.call.linkedid)  # this call's task: its log lines carry the call id
        flag, own_cases = await self._caller_facts() if self.entry is None else (None, ())
        await self.channel.send("ANSWER")
        # A later entry (e.g. "message" after a queue) continues in the language the caller chose.
        language = self.call.language if self.entry else None
        transition = self.machine.start(self.entry, language, flag, own_cases)
        while True:
            answer = await self._execute(transition)
            if transition.state.ended or answer is None:
                return
            transition = self.machine.advance(transition.state, answer)

    async def _identify(self) -> CallInfo:
        headers = self.channel.headers
        uniqueid = headers.get("agi_uniqueid", "")
        linkedid = await self._variable("CHANNEL(linkedid)") or uniqueid
        dialled = await self._variable("HOTLINE_DIALLED") or _header(headers, "agi_dnid")
        recording = await self._variable("HOTLINE_RECORDING")
        host_recording = str(self.recordings.host_dir / recording) if recording else ""
        return CallInfo(linkedid, uniqueid, _header(headers, "agi_callerid"), dialled,
                        _header(headers, "agi_language"), host_recording)

    async def _caller_facts(self) -> tuple[str | None, tuple[str, ...]]:
        """Return the caller-list kind of the caller and their latest cases; a failed lookup costs the
        warning and the offer, never the call."""
        if not self.call.caller:
            return None, ()
        try:
            return await asyncio.to_thread(self.services.caller_facts, self.call.caller,
                                           bool(self.machine.menu.caller_warnings))
        except Exception:
            log.exception("looking up caller %s on call %s failed", self.call.caller, self.call.linkedid)
            return None, ()

    async def _variable(self, name: str) -> str:
        reply = await self.channel.send(f"GET VARIABLE {name}")
        return reply.data if reply.result == "1" else ""

    async def _execute(self, transition: Transition) -> c.Input | None:
        """Run a transition's commands; its steps are published just before it asks the caller.

        So a step means "the IVR now waits at this node" (what a test caller keys on); a hang-up during
        an earlier prompt still publishes them.
        """
        commands = transition.commands
        asks = bool(commands) and not isinstance(commands[-1], c.TELLS)
        lead, last = (commands[:-1], commands[-1:]) if asks else ((), commands)
        published = False
        try:
            if not asks:
                await self._publish(transition.steps)
                published = True
            for command in lead:
                await EXECUTORS[type(command)](self, command)
            if not published:
                await self._publish(transition.steps)
                published = True
            answer = None
            for command in last:
                answer = await EXECUTORS[type(command)](self, command)
            return answer
        finally:
            if not published:
                await self._publish(transition.steps)

    async def _publish(self, steps: tuple[Step, ...]) -> None:
        call = self.call
        for step in steps:
            self.path.append(step)
            event = IvrStep(server=self.server, linkedid=call.linkedid, node=step.node, input=step.input,
                            language=step.language, heard=step.heard, menu=self.machine.menu.name,
                            uniqueid=call.uniqueid, caller=call.caller, dialled=call.dialled,
                            recording=call.recording if len(self.path) == 1 else "")
            self.bus.emit(event)  # queued: a bus outage never ends the call

    # ---- one coroutine per command ------------------------------------------------------------
    async def play(self, cmd: c.Play) -> None:
        files = "&".join(f"{PROMPT_ROOT}/{cmd.language}/{p}" for p in cmd.prompts)
        await self._tolerant(f'EXEC Playback "{files}"')

    async def collect(self, cmd: c.Collect) -> c.Input:
        sound = f"{PROMPT_ROOT}/{cmd.language}/{cmd.prompt}"
        reply = await self.channel.send(f"GET DATA {sound} {int(cmd.timeout * 1000)} {cmd.max_digits}",
                                        quick=False)
        if reply.result == "-1":
            raise AgiHangup("GET DATA failed: the channel is gone")
        if reply.result:
            return c.Digits(reply.result)
        return c.Timeout() if reply.timed_out else c.Digits("#")

    async def set_language(self, cmd: c.SetLanguage) -> None:
        await self.channel.send(f"SET VARIABLE CHANNEL(language) {cmd.language}")

    async def check_hours(self, cmd: c.CheckHours) -> c.Input:
        return c.HoursChecked(await asyncio.to_thread(self.services.is_open))

    async def lookup_case(self, cmd: c.LookupCase) -> c.Input:
        try:
            return await asyncio.to_thread(self.services.lookup_case, cmd.number)
        except Exception:
            log.exception("looking up case %s failed", cmd.number)
            return c.CaseLookedUp(number=cmd.number, found=False)

    async def record(self, cmd: c.RecordMessage) -> c.Input:
        name = f"message-{self.call.linkedid}-{uuid.uuid4().hex[:6]}".replace("/", "_")
        target = f"{self.recordings.asterisk_dir}/{name}"
        reply = await self.channel.send(f"RECORD FILE {target} wav # {cmd.max_seconds * 1000} 0 BEEP s=6",
                                        quick=False)
        host_file = self.recordings.host_dir / f"{name}.wav"
        size = await asyncio.to_thread(_size, host_file)
        if size < MIN_MESSAGE_BYTES:
            log.info("call %s left no usable message (%s bytes)", self.call.linkedid, size)
            if reply.result == "-1":
                raise AgiHangup("the caller hung up without leaving a message")
            return c.Recorded(path=None)
        # A caller who hangs up to finish still leaves the message (the case is opened without the channel).
        return c.Recorded(path=str(host_file), seconds=(size - 44) / 16000)

    async def open_case(self, cmd: c.OpenMessageCase) -> c.Input:
        call = self.call
        try:
            number = await asyncio.to_thread(
                self.services.open_message_case, cmd.recording, caller=call.caller, language=cmd.language,
                category=cmd.category, linkedid=call.linkedid)
        except Exception:
            log.exception("opening a case for the message of call %s failed", call.linkedid)
            return c.CaseCreated(number=None)
        # Queued in order with the IVR's steps (before the goodbye that reads the number out).
        self.bus.emit(IvrCaseOpened(server=self.server, linkedid=call.linkedid, case_number=number,
                                    recording=cmd.recording, caller=call.caller, language=cmd.language))
        return c.CaseCreated(number=number)

    async def queue_size(self, cmd: c.QueueSize) -> c.Input:
        reply = await self.channel.send(f"GET FULL VARIABLE ${{QUEUE_WAITING_COUNT({cmd.queue})}}")
        return c.QueueInfo(int(reply.data) if reply.data.isdigit() else 0)

    async def enter_queue(self, cmd: c.EnterQueue) -> c.Input | None:
        if self.queue_in_dialplan:  # the dial plan queues the caller when the AGI returns
            await self.channel.send(f"SET VARIABLE HOTLINE_QUEUE {cmd.queue}")
            return None
        await self.channel.send(f'EXEC Queue "{cmd.queue},t,,,{cmd.timeout}"', quick=False)
        reply = await self.channel.send("GET VARIABLE QUEUESTATUS")
        return c.QueueLeft(reply.data or "UNKNOWN")

    async def hangup(self, cmd: c.Hangup) -> None:
        await self._tolerant("HANGUP")

    async def _tolerant(self, command: str) -> None:
        """Send a command whose failure should not end the call (e.g. a missing prompt file)."""
        try:
            await self.channel.send(command, quick=False)
        except AgiHangup:
            raise
        except AgiError as err:
            log.warning("AGI command %r failed: %s", command, err)


def load_executors() -> None:
    """Import the modules that run plug-in node types' commands (idempotent)."""
    for module in PLUGIN_EXECUTOR_MODULES:
        importlib.import_module(module)


def _header(headers: dict[str, str], name: str) -> str:
    value = headers.get(name, "")
    return "" if value in ("unknown", "") else value


def _size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


EXECUTORS = {
    c.Play: CallSession.play, c.Collect: CallSession.collect, c.SetLanguage: CallSession.set_language,
    c.CheckHours: CallSession.check_hours, c.LookupCase: CallSession.lookup_case,
    c.RecordMessage: CallSession.record, c.OpenMessageCase: CallSession.open_case,
    c.QueueSize: CallSession.queue_size, c.EnterQueue: CallSession.enter_queue, c.Hangup: CallSession.hangup,
}
