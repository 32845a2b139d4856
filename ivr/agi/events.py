"""Events the IVR publishes on Streams.CALLS, keyed by Linkedid (parsed with ivr.ami.events.parse_event)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ivr.ami.events import CallEvent, register_event_type


@register_event_type
@dataclass(frozen=True, kw_only=True)
class IvrStep(CallEvent):
    """The caller reached a menu node; `input` is the key(s) or outcome that led there."""

    TYPE: ClassVar[str] = "ivr.step"

    node: str
    input: str = ""
    language: str = ""
    menu: str = ""
    uniqueid: str = ""
    caller: str = ""
    dialled: str = ""
    recording: str = ""  # the call's recording (MixMonitor) on the first step of a session


@register_event_type
@dataclass(frozen=True, kw_only=True)
class IvrCaseOpened(CallEvent):
    """The IVR opened a case for this call (a message); the recorder links it to the call."""

    TYPE: ClassVar[str] = "ivr.case_opened"

    case_number: str
    recording: str = ""
    caller: str = ""
    language: str = ""
