"""A resident's test call: originate a Local channel into the hotline and answer the IVR from a script.

Each *move* answers one question of the IVR (a menu or a case-number prompt, or a message):
"2" keys digits, "-" keeps silent, "x" hangs up, ">message" keys whatever option of the current menu
leads to the node "message", "@file" plays test-audio/<file> as the message then keys "#",
"say:file" answers a "say your request" node: plays test-audio/<file> after its prompt (again if the
IVR asks again), then keys 1 when the IVR reads the category back.
Moves are sent when the IVR reports arriving at an input node, so they never race the prompts.
Steps come from the bus (same process or Redis) or, for a separate `hotline call`, from the call
record that `hotline serve` keeps.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
import wave
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ivr.agi.menu import Menu
from ivr.ami.actions import AmiActions
from ticketing.bus import Bus, Envelope, Streams
from ticketing.bus import contract as ct

log = logging.getLogger(__name__)

INPUT_TYPES = frozenset({"menu", "case_status"})
SPEECH_TYPES = frozenset({"speech_request"})
RECORD_TYPES = frozenset({"message", "survey_comment"})  # nodes where an @file move speaks
HEARD = "heard:"  # input of the speech node's step when it reads the category back and waits for the key
CONFIRM_KEY = "1"
DTMF_GAP = 0.12  # seconds between keyed digits
STEP_SETTLE = 0.3  # let the IVR's GET DATA start before keying
BEEP_SECONDS = 0.8
PROMPT_MARGIN = 0.4  # after a prompt's length, the IVR is listening (or collecting the key)
SPEECH_HINTS = {
    "speech:no_model": "note: the IVR did not listen: no speech model for the caller's language "
                       "(set HOTLINE_VOSK_MODEL, and HOTLINE_SPEECH_LANGUAGE, for `hotline serve`)",
    "speech:busy": "note: every speech recogniser was busy (HOTLINE_SPEECH_MAX_STREAMS)",
    "speech:error": "note: the audio never reached the speech server (see the `hotline serve` log)",
}


class TestCallError(RuntimeError):
    """The test call could not be placed or did not finish in time."""


@dataclass(frozen=True)
class Move:
    """One answer to the IVR: digits, silence, or a spoken message (test-audio file)."""

    keys: str = ""
    audio: str = ""
    hangup: bool = False
    goal: str = ""  # press whichever key of the current menu leads to this node
    say: str = ""  # test-audio file spoken to a "say your request" node (then `keys` confirms)


def parse_moves(words: list[str]) -> list[Move]:
    """Turn command-line words into moves ("2", "202611260042#", "-", "@noise", "say:request")."""
    moves = []
    for word in words:
        if word.startswith("say:") and len(word) > 4:
            moves.append(Move(say=word[4:], keys=CONFIRM_KEY))
        elif word == "-":
            moves.append(Move())
        elif word == "x":
            moves.append(Move(hangup=True))
        elif word.startswith(">") and len(word) > 1:
            moves.append(Move(goal=word[1:]))
        elif word.startswith("@") and len(word) > 1:
            moves.append(Move(audio=word[1:]))
        elif word and all(ch in "0123456789*#" for ch in word):
            moves.append(Move(keys=word))
        else:
            raise TestCallError(f"bad move {word!r}: use digits (0-9 * #), '-' for silence, 'x' to hang up, "
                                ">node for the key leading there, @audio-file, or say:audio-file")
    return moves


@dataclass
class CallReport:
    """What happened on a test call."""

    linkedid: str
    path: list[tuple[str, str]] = field(default_factory=list)  # (node, input)
    cases: list[str] = field(default_factory=list)
    ended: bool = False
    outcome: str = ""
    statuses: list[str] = field(default_factory=list)  # what the IVR told of each case looked up, in words
    heard: list[tuple[str, str]] = field(default_factory=list)  # (node, what the recogniser heard)
    messages: list[tuple[str, str | None]] = field(default_factory=list)  # (case, message transcript or None)

    def lines(self) -> list[str]:
        """Return a human-readable account of the call."""
        path = " -> ".join(f"{node}[{inp}]" if inp else node for node, inp in self.path)
        lines = [f"call {self.linkedid}: {'ended' if self.ended else 'still running'}"
                 + (f", outcome {self.outcome}" if self.outcome else ""),
                 f"IVR path: {path or '(none)'}",
                 f"cases: {', '.join(self.cases) or '(none)'}"]
        lines += [f"heard at {node}: {text}" for node, text in self.heard]
        lines += [f"message of {number}: {text}" if text is not None
                  else f"message of {number}: not transcribed yet (the case page shows it when it is)"
                  for number, text in self.messages]
        lines += [f"case status told: {told}" for told in self.statuses]
        return lines + [SPEECH_HINTS[inp] for _node, inp in self.path if inp in SPEECH_HINTS][:1]


FOLLOWED = (ct.IvrStep, ct.IvrCaseOpened, ct.CallEnded)  # what a test caller reacts to


def summarise(report: CallReport, session_factory: sessionmaker[Session], menu: Menu) -> CallReport:
    """Fill in the call's outcome, the transcripts of its messages (None: not yet), and for each case the
    IVR found, its status and bureau in words."""
    from ticketing.call import service as calls
    from ticketing.case import service as cases

    report.messages = message_transcripts(session_factory, report.cases)
    with session_factory() as session:
        record = calls.get_by_linkedid(session, report.linkedid)
        if record is None:
            return report
        report.outcome = record.outcome
        for number in calls.status_lookups(record):
            case = cases.get_by_number(session, number)
            if case is not None:
                report.statuses.append(status_words(menu, number, case.status, case.bureau))
    return report


def message_transcripts(factory: sessionmaker[Session], numbers: list[str]) -> list[tuple[str, str | None]]:
    """Return (case, transcript) of each case with a recorded message: None while it is being transcribed."""
    from ticketing.case.models import Case, CaseAttachment

    found: list[tuple[str, str | None]] = []
    with factory() as session:
        for number in numbers:
            query = (select(CaseAttachment.kind, CaseAttachment.transcript)
                     .join(Case, Case.id == CaseAttachment.case_id)
                     .where(Case.number == number, CaseAttachment.kind.in_(("recording", "transcript"))))
            kinds = {kind: text for kind, text in session.execute(query)}
            if "recording" in kinds:
                found.append((number, kinds.get("transcript")))
    return found


async def wait_for_messages(report: CallReport, factory: sessionmaker[Session], within: float,
                            progress: Callable[[str], None], poll: float = 0.5) -> None:
    """Wait up to WITHIN seconds for the messages of the call to be transcribed (in the background)."""
    if not report.cases or within <= 0:
        return

    async def pending() -> list[str]:
        found = await asyncio.to_thread(message_transcripts, factory, report.cases)
        return [number for number, text in found if text is None]

    waiting = await pending()
    if waiting:
        progress(f"waiting for the transcript of the message of {', '.join(waiting)} "
                 f"(up to {within:.0f} s) …")
    deadline = asyncio.get_running_loop().time() + within
    while waiting and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(poll)
        waiting = await pending()


def status_words(menu: Menu, number: str, status: str, bureau) -> str:
    """Say a case's status and bureau in words (the menu's own status prompts, the bureau's names)."""
    said = menu.prompts.get(f"status_{status}", {})
    zh, en = said.get("zh", status).rstrip("。"), said.get("en", status).rstrip(".")
    handled = f"bureau {bureau.name_zh} ({bureau.name_en})" if bureau is not None else "no bureau yet"
    return f"{number} {zh} ({en}); {handled}"


class BusSteps:
    """Steps of one call read from the bus (tests, benchmark, or `hotline call` with Redis)."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self._queues: dict[str, asyncio.Queue] = {}
        bus.subscribe(Streams.CALLS, f"testcall-{uuid.uuid4().hex[:8]}", self._on_event, durable=False)

    async def _on_event(self, envelope: Envelope) -> None:
        queue = self._queues.get(envelope.key)
        if queue is None:
            return
        try:
            event = ct.parse(envelope)
        except ValueError:  # another version's event, or not the contract's: nothing a caller acts on
            log.debug("test call ignores %s %s", envelope.type, envelope.id)
            return
        if isinstance(event, FOLLOWED):
            queue.put_nowait(event)

    def watch(self, linkedid: str) -> None:
        """Start collecting events of a call (before it is placed)."""
        self._queues[linkedid] = asyncio.Queue()

    async def events(self, linkedid: str) -> AsyncIterator[ct.CallEvent]:
        """Yield the call's IVR steps, opened cases and its end, as contract events, until it ends."""
        queue = self._queues[linkedid]
        try:
            while True:
                event = await queue.get()
                yield event
                if isinstance(event, ct.CallEnded):
                    return
        finally:
            self._queues.pop(linkedid, None)


class RecordSteps:
    """Steps of one call read from its call record (another process runs the IVR and recorder)."""

    def __init__(self, session_factory: sessionmaker[Session], poll: float = 0.2) -> None:
        self.session_factory, self.poll = session_factory, poll

    def watch(self, linkedid: str) -> None:
        """Nothing to prepare: the record is read when it appears."""

    async def events(self, linkedid: str) -> AsyncIterator[ct.CallEvent]:
        """Yield IvrStep / IvrCaseOpened / CallEnded as the call record grows."""
        seen_steps, seen_cases = 0, set()
        while True:
            snapshot = await asyncio.to_thread(self._read, linkedid)
            if snapshot is not None:
                path, cases, status = snapshot
                for step in path[seen_steps:]:
                    yield ct.IvrStep(linkedid=linkedid, node=step["node"], input=step.get("input") or "",
                                     language=step.get("language") or "", heard=step.get("heard") or "",
                                     at=step.get("at") or ct.now_iso())
                seen_steps = len(path)
                for number in sorted(set(cases) - seen_cases):
                    yield ct.IvrCaseOpened(linkedid=linkedid, case_number=number)
                seen_cases |= set(cases)
                if status == "ended":
                    yield ct.CallEnded(linkedid=linkedid, cause="")
                    return
            await asyncio.sleep(self.poll)

    def _read(self, linkedid: str):
        from ticketing.call import service as calls

        with self.session_factory() as session:
            call = calls.get_by_linkedid(session, linkedid)
            if call is None:
                return None
            return list(call.ivr_path), calls.case_numbers(session, call), call.status


class TestCaller:
    __test__ = False  # a call placer, not a pytest class

    """Place test calls into the hotline over AMI and play the caller's part."""

    def __init__(self, actions: AmiActions, steps: BusSteps | RecordSteps, menu: Menu, *,
                 prompts_dir: Path, test_audio_dir: Path, number: str = "12345",
                 progress: Callable[[str], None] | None = None) -> None:
        self.actions, self.steps, self.menu = actions, steps, menu
        self.prompts_dir, self.test_audio_dir, self.number = prompts_dir, test_audio_dir, number
        self.progress = progress  # hears each IVR step as it happens (`hotline call` prints them)
        self._channels: dict[str, dict[str, str]] = {}  # linkedid -> uniqueid -> channel name
        self._speaking: dict[str, Move] = {}  # linkedid -> the say move a speech node is answering

    async def call(self, moves: list[Move], *, caller_id: str = "13800138000", limit: float = 120.0,
                   hold: int = 300) -> CallReport:
        """Place one call, answer the IVR with the moves, and return what happened."""
        linkedid = f"hc-{uuid.uuid4().hex[:16]}"
        report = CallReport(linkedid)
        self.steps.watch(linkedid)
        await self._originate(linkedid, caller_id, hold)
        try:
            await asyncio.wait_for(self._follow(linkedid, list(moves), report), limit)
        except TimeoutError as err:
            gone = await self.hang_up(linkedid)  # giving up must not leave the call running in Asterisk
            raise TestCallError(f"call {linkedid} did not end within {limit:.0f} s (hung up {gone} "
                                f"channel{'s' if gone != 1 else ''}): {report.lines()}") from err
        finally:
            self._channels.pop(linkedid, None)
            self._speaking.pop(linkedid, None)
        return report

    async def hang_up(self, linkedid: str) -> int:
        """Hang up every channel of a call still up in Asterisk; return how many were."""
        channels = [entry.get("Channel", "") for entry in await self.actions.core_show_channels()
                    if entry.get("Linkedid") == linkedid or entry.get("Uniqueid", "").startswith(linkedid)]
        for channel in filter(None, channels):
            try:
                await self.actions.hangup(channel)
            except Exception as err:  # gone meanwhile: what we wanted
                log.info("hanging up %s of call %s: %s", channel, linkedid, err)
        return len(channels)

    async def answer(self, linkedid: str, moves: list[Move], *, limit: float = 120.0) -> CallReport:
        """Play the resident's part in a call the hotline placed (a survey call); `steps.watch` it first."""
        report = CallReport(linkedid)
        try:
            await asyncio.wait_for(self._follow(linkedid, list(moves), report), limit)
        except TimeoutError as err:
            message = f"call {linkedid} did not end within {limit:.0f} s: {report.lines()}"
            raise TestCallError(message) from err
        finally:
            self._channels.pop(linkedid, None)
        return report

    async def _originate(self, linkedid: str, caller_id: str, hold: int) -> None:
        fields = {"Action": "Originate", "Channel": "Local/caller@hotline-test/n",
                  "Context": "hotline-inbound", "Exten": self.number, "Priority": 1, "Async": "true",
                  "Timeout": 30000,
                  "CallerID": f'"Test resident" <{caller_id}>', "ChannelId": linkedid,
                  "OtherChannelId": f"{linkedid}-r", "Variable": [f"TEST_HOLD={hold}", "TEST_DELAY=0"]}
        await self.actions.send(fields, as_list=False)

    async def _follow(self, linkedid: str, moves: list[Move], report: CallReport) -> None:
        async for event in self.steps.events(linkedid):
            match event:
                case ct.IvrStep():
                    report.path.append((event.node, event.input))
                    if event.heard:
                        report.heard.append((event.node, event.heard))
                    if self.progress is not None:
                        self.progress(f"  IVR: {event.node}[{event.input}]" if event.input
                                      else f"  IVR: {event.node}")
                        if event.heard:
                            self.progress(f"    heard: {event.heard}")
                    await self._answer(linkedid, event, moves)
                case ct.IvrCaseOpened():
                    report.cases.append(event.case_number)
                case ct.CallEnded():
                    report.ended = True

    async def _answer(self, linkedid: str, step: ct.IvrStep, moves: list[Move]) -> None:
        node = self.menu.nodes.get(step.node)
        if node is not None and node.type in SPEECH_TYPES:
            await self._answer_speech(linkedid, node, step, moves)
            return
        self._speaking.pop(linkedid, None)  # the speech node is done with (or fell back to DTMF)
        if node is None or not moves:
            return
        if moves[0].hangup:  # hang up wherever the caller is
            moves.pop(0)
            await self.actions.hangup(await self._resident_channel(linkedid))
        elif node.type in INPUT_TYPES:
            move = moves.pop(0)
            if move.goal:
                move = Move(keys=next((k for k, o in node.options.items() if o.next == move.goal), ""))
            if move.keys:
                await asyncio.sleep(STEP_SETTLE)
                await self.press(linkedid, move.keys)
        elif node.type in RECORD_TYPES and moves and moves[0].audio:
            await self.speak(linkedid, moves.pop(0).audio)

    async def _answer_speech(self, linkedid: str, node, step: ct.IvrStep, moves: list[Move]) -> None:
        """Speak after the node's prompt (again if it asks again); key 1 after the read-back."""
        language = step.language
        spoken = self._speaking.get(linkedid)
        if step.input.startswith(HEARD):
            if spoken is not None:
                readback = (node.get("readback_prompt"), f"category_{step.input[len(HEARD):]}")
                await asyncio.sleep(self.prompt_seconds(language, *readback) + PROMPT_MARGIN)
                await self.press(linkedid, spoken.keys)
            return
        if spoken is None and moves and moves[0].say:
            spoken = self._speaking[linkedid] = moves.pop(0)
        if spoken is not None:
            await asyncio.sleep(self.prompt_seconds(language, node.get("prompt")) + PROMPT_MARGIN)
            await self.play_as_resident(linkedid, spoken.say)
        elif moves and moves[0].hangup:
            moves.pop(0)
            await self.actions.hangup(await self._resident_channel(linkedid))
        # Other moves wait for the next input node: without a model the IVR goes straight on to the DTMF
        # menu; with one, a caller who says nothing reaches it after the node's retries.

    def prompt_seconds(self, language: str, *prompts: str | None) -> float:
        """Return how long the IVR's prompt files play (0 for a missing one)."""
        return sum(_seconds(self.prompts_dir / language / f"{p}.wav") for p in prompts if p)

    async def press(self, linkedid: str, keys: str) -> None:
        """Key digits as the resident: injected as received DTMF on the IVR's channel of the call.

        (Sending them out of the resident's side instead blocks Asterisk's AMI session for each digit.)
        """
        channel = await self._channel(linkedid, linkedid)
        for key in keys:
            # "Async: false": panoramisk reads that field of a "successfully queued" reply.
            await self.actions.send({"Action": "PlayDTMF", "Channel": channel, "Digit": key, "Duration": 100,
                                     "Receive": "true", "Async": "false"})
            await asyncio.sleep(DTMF_GAP)

    async def speak(self, linkedid: str, audio: str) -> None:
        """When recording starts (after the beep), play a test-audio file as the resident's voice, then #."""
        await asyncio.sleep(BEEP_SECONDS)
        seconds = await self.play_as_resident(linkedid, audio)
        await asyncio.sleep(seconds + 0.6)
        await self.press(linkedid, "#")

    async def play_as_resident(self, linkedid: str, audio: str) -> float:
        """Start playing test-audio/<audio> from the resident's side; return its length in seconds."""
        channel = await self._resident_channel(linkedid)
        for name, value in (("TEST_AUDIO", audio), ("TEST_DELAY", "0"), ("TEST_DIGITS", "")):
            await self.actions.send({"Action": "Setvar", "Channel": channel, "Variable": name,
                                     "Value": value})
        await self.actions.send({"Action": "Redirect", "Channel": channel, "Context": "hotline-test",
                                 "Exten": "caller", "Priority": 1})
        return _seconds(self.test_audio_dir / f"{audio}.wav")

    async def _resident_channel(self, linkedid: str) -> str:
        return await self._channel(linkedid, f"{linkedid}-r")

    async def _channel(self, linkedid: str, uniqueid: str) -> str:
        """Return the name of one channel of a test call (looked up once, then cached)."""
        known = self._channels.setdefault(linkedid, {})
        if uniqueid not in known:
            for entry in await self.actions.core_show_channels():
                if entry.get("Linkedid") == linkedid or entry.get("Uniqueid") == uniqueid:
                    known[entry.get("Uniqueid", "")] = entry.get("Channel", "")
        if uniqueid not in known:
            raise TestCallError(f"channel {uniqueid} of call {linkedid} is gone")
        return known[uniqueid]


def _seconds(path: Path) -> float:
    """Return the duration of a WAV file, 0 when it is missing or unreadable."""
    try:
        with wave.open(str(path), "rb") as audio:
            return audio.getnframes() / float(audio.getframerate())
    except (OSError, wave.Error, EOFError):
        return 0.0


# ---- `hotline call` ---------------------------------------------------------------------------------
DEFAULT_MOVES = ["1", ">message", "@message"]  # Mandarin, leave a message (open or not), speak it
MESSAGE_TEXT = "我家楼下的工地晚上十一点还在施工，噪音很大，请尽快处理。"


def call(moves: list[str] = typer.Argument(None, help="Answers to the IVR, in order: digits (e.g. 2, "
                                                       "202611260042#), '-' for silence, @file to speak "
                                                       "test-audio/<file>.wav as the message, say:file for "
                                                       "the 'say your request' node. Default: 1 >message "
                                                       "@message (Mandarin, leave a message)."),
         caller: str = typer.Option("13800138000", help="Caller number the hotline sees."),
         limit: float = typer.Option(180.0, "--timeout", help="Seconds to wait for the call to end."),
         say: Path = typer.Option(None, "--say", help="WAV file to say when the IVR listens (any rate; "
                                                      "converted to 8 kHz); then key 1 to confirm."),
         say_text: str = typer.Option(None, "--say-text", help="Text to synthesise and say instead."),
         voice: str = typer.Option("cmn", help="espeak-ng voice of --say-text (cmn, en, ko, ko+f2, ...)."),
         speed: int = typer.Option(160, help="espeak-ng words per minute of --say-text."),
         transcript_wait: float = typer.Option(60.0, "--transcript-wait", min=0,
                                               help="Seconds to wait after the call for its message's "
                                                    "transcript (transcribed in the background)."),
         ) -> None:
    """Place a test call into the running hotline and print the IVR path and the case it created."""
    try:
        spoken = SpokenRequest(say, say_text, voice, speed) if (say or say_text) else None
        report = asyncio.run(_place(parse_moves(moves or []), caller, limit, spoken,
                                    progress=lambda line: typer.echo(line, err=True),
                                    transcript_wait=transcript_wait))
    except TestCallError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    for line in report.lines():
        typer.echo(line)


@dataclass(frozen=True)
class SpokenRequest:
    """What `hotline call --say/--say-text` says to the IVR's "say your request" node."""

    file: Path | None = None
    text: str | None = None
    voice: str = "cmn"
    speed: int = 160

    def moves(self, name: str, given: list[Move]) -> list[Move]:
        """The moves of a spoken call: the given ones with the say move added, or by default Mandarin, speak,
        confirm, and hang up at the next node (the queue the request was routed to, or the DTMF menu)."""
        said = Move(say=name, keys=CONFIRM_KEY)
        return [*given, said] if given else [Move(keys="1"), said, Move(hangup=True)]

    def prepare(self, directory: Path) -> str:
        """Write the audio as 8 kHz mono 16-bit into Asterisk's test-audio; return its sound name."""
        import hashlib

        source = self.file.read_bytes() if self.file else f"{self.voice}|{self.speed}|{self.text}".encode()
        name = f"say-{hashlib.sha1(source).hexdigest()[:12]}"
        target = directory / f"{name}.wav"
        if self.file:
            if not self.file.is_file():
                raise TestCallError(f"{self.file}: no such file")
            to_8k(self.file, target)
        else:
            synthesise_8k(self.text or "", self.voice, target, self.speed)
        return name


async def _place(moves: list[Move], caller: str, limit: float, spoken: SpokenRequest | None = None,
                 progress: Callable[[str], None] = lambda _line: None,
                 transcript_wait: float = 0.0) -> CallReport:
    from ivr.agi.menu import load_menu
    from ivr.ami.bridge import AmiBridge
    from ivr.asterisk.instance import Instance
    from ivr.config import get_ivr_settings
    from ticketing.bus.memory import MemoryBus
    from ticketing.config import get_settings
    from ticketing.database.core import make_engine, make_session_factory

    settings = get_ivr_settings()
    instance = Instance.from_settings(settings)
    progress("preparing the caller's audio …")
    await asyncio.to_thread(ensure_message_audio, instance.test_audio_dir / "message.wav")
    if spoken is not None:
        name = await asyncio.to_thread(spoken.prepare, instance.test_audio_dir)
        moves = spoken.moves(name, moves)
    moves = moves or parse_moves(DEFAULT_MOVES)
    bridge = AmiBridge.from_settings(settings, MemoryBus())
    await bridge.start()
    factory = make_session_factory(make_engine(get_settings().sqlalchemy_url))
    try:
        try:
            await bridge.wait_connected(10)
        except TimeoutError as err:
            raise TestCallError("cannot reach Asterisk's AMI: is the hotline running (make run)?") from err
        menu = load_menu(settings.menus_dir / "hotline.yaml")
        tester = TestCaller(bridge.actions, RecordSteps(factory), menu,
                            prompts_dir=settings.prompts_path, test_audio_dir=instance.test_audio_dir,
                            number=settings.hotline_number, progress=progress)
        progress(f"calling {settings.hotline_number} as {caller} (gives up after {limit:.0f} s) …")
        report = await tester.call(moves, caller_id=caller, limit=limit)
        await wait_for_messages(report, factory, transcript_wait, progress)
        return await asyncio.to_thread(summarise, report, factory, menu)
    finally:
        await bridge.stop()


def ensure_message_audio(path: Path, text: str = MESSAGE_TEXT) -> Path:
    """Synthesise the default spoken message (Mandarin, 8 kHz) once."""
    if not path.exists():
        synthesise_8k(text, "cmn", path)
    return path


def synthesise_8k(text: str, voice: str, target: Path, speed: int = 175) -> Path:
    """Speak a text with espeak-ng into an 8 kHz mono 16-bit WAV (as Asterisk plays it)."""
    import tempfile

    if not text.strip():
        raise TestCallError("nothing to say: the text is empty")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], f"espeak-ng voice {voice!r}")
        return to_8k(raw, target)


def to_8k(source: Path, target: Path) -> Path:
    """Convert any audio file sox reads to an 8 kHz mono 16-bit WAV, written atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".tmp.wav")
    _run(["sox", "-D", str(source), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(partial),
          "pad", "0.2", "1.0"], f"sox on {source}")
    partial.replace(target)
    return target


def _run(argv: list[str], what: str) -> None:
    import subprocess

    try:
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
    except subprocess.CalledProcessError as err:
        detail = err.stderr.decode(errors="replace").strip().splitlines()
        raise TestCallError(f"{what} failed: {detail[-1] if detail else err}") from err
    except (OSError, subprocess.TimeoutExpired) as err:
        raise TestCallError(f"{what} could not run: {err}") from err
