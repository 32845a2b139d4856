"""What the menu state machine asks the AGI side to do (commands) and what comes back (inputs).

A transition's commands run in order; at most the last one is a *question* (ASKS) whose answer is the
machine's next input. Everything is frozen plain data so transitions can be tested by tables.
"""

from __future__ import annotations

from dataclasses import dataclass


# ---- commands -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Play:
    """Play prompts in order, not interruptible."""

    prompts: tuple[str, ...]
    language: str


@dataclass(frozen=True)
class Collect:
    """Play a prompt and collect up to max_digits keys ('#' ends input); answered by Digits or Timeout."""

    prompt: str
    language: str
    timeout: float
    max_digits: int = 1


@dataclass(frozen=True)
class SetLanguage:
    """Switch the channel's language."""

    language: str


@dataclass(frozen=True)
class CheckHours:
    """Ask whether the centre is open now; answered by HoursChecked."""


@dataclass(frozen=True)
class LookupCase:
    """Look a case up by number; answered by CaseLookedUp."""

    number: str


@dataclass(frozen=True)
class RecordMessage:
    """Beep and record the caller; answered by Recorded."""

    max_seconds: int


@dataclass(frozen=True)
class OpenMessageCase:
    """Open a case from a recorded message; answered by CaseCreated."""

    recording: str
    language: str
    category: str | None = None


@dataclass(frozen=True)
class QueueSize:
    """Ask how many callers wait in a queue; answered by QueueInfo."""

    queue: str


@dataclass(frozen=True)
class EnterQueue:
    """Put the caller in a queue until answered or timed out; answered by QueueLeft."""

    queue: str
    timeout: int


@dataclass(frozen=True)
class Hangup:
    """End the call."""


Command = (Play | Collect | SetLanguage | CheckHours | LookupCase | RecordMessage | OpenMessageCase
           | QueueSize | EnterQueue | Hangup)
ASKS = (Collect, CheckHours, LookupCase, RecordMessage, OpenMessageCase, QueueSize, EnterQueue)
TELLS = (Play, SetLanguage, Hangup)  # commands with no answer; any other command (a plug-in's too) asks


# ---- inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Digits:
    """Keys the caller pressed ('#' alone arrives as '#')."""

    value: str


@dataclass(frozen=True)
class Timeout:
    """The caller pressed nothing in time."""


@dataclass(frozen=True)
class HoursChecked:
    """Whether the centre is open."""

    open: bool


@dataclass(frozen=True)
class CaseLookedUp:
    """A case's status and bureau, or found=False."""

    number: str
    found: bool
    status: str = ""
    bureau: str = ""


@dataclass(frozen=True)
class Recorded:
    """Where the message was stored; path None when nothing usable was recorded."""

    path: str | None
    seconds: float = 0.0


@dataclass(frozen=True)
class CaseCreated:
    """The number of the case opened from a message; None when opening it failed."""

    number: str | None


@dataclass(frozen=True)
class QueueInfo:
    """Callers already waiting in the queue."""

    waiting: int


@dataclass(frozen=True)
class QueueLeft:
    """Why the caller left the queue (Asterisk's QUEUESTATUS, e.g. TIMEOUT, CONTINUE)."""

    status: str


Input = Digits | Timeout | HoursChecked | CaseLookedUp | Recorded | CaseCreated | QueueInfo | QueueLeft


def describe(event: Input | None) -> str:
    """Return the short text stored as a step's `input` (the keys, or what happened)."""
    match event:
        case None:
            return ""
        case Digits(value=value):
            return value
        case Timeout():
            return "timeout"
        case HoursChecked(open=is_open):
            return "open" if is_open else "closed"
        case CaseLookedUp(number=number, found=found):
            return f"{number}:{'found' if found else 'not-found'}"
        case Recorded(path=path):
            return "recorded" if path else "empty"
        case CaseCreated(number=number):
            return number or "failed"
        case QueueInfo(waiting=waiting):
            return f"waiting={waiting}"
        case QueueLeft(status=status):
            return status
    return type(event).__name__
