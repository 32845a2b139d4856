"""What the console knows about calls in progress: caller, language, IVR path and transcript, by Linkedid.

Filled from bus events as they pass (every console process sees every event), bounded to recent calls.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ticketing.bus import contract as ct

MAX_CALLS = 2_000
MAX_SEGMENTS = 200


@dataclass
class CallContext:
    """One call as the screen pop shows it."""

    linkedid: str
    caller: str = ""
    caller_name: str = ""
    language: str = ""
    queue: str = ""
    channel: str = ""  # the caller's channel
    agent_channel: str = ""  # the answering agent's channel
    server: str = ""  # the Asterisk server the call is on (commands on it go there)
    ivr_path: list[dict[str, Any]] = field(default_factory=list)
    transcript: list[dict[str, Any]] = field(default_factory=list)  # final segments, then the current partial
    partial: str = ""
    ended: bool = False  # the caller hung up: the pop keeps the facts for the case, without live controls

    def to_json(self) -> dict[str, Any]:
        """Plain data for the page."""
        return {"linkedid": self.linkedid, "caller": self.caller, "caller_name": self.caller_name,
                "language": self.language, "queue": self.queue, "channel": self.channel,
                "agent_channel": self.agent_channel, "ivr_path": list(self.ivr_path),
                "transcript": list(self.transcript), "partial": self.partial, "ended": self.ended}


class CallContexts:
    """A bounded map Linkedid -> CallContext updated by `apply(event)`; safe to apply an event twice."""

    def __init__(self, limit: int = MAX_CALLS) -> None:
        self._calls: OrderedDict[str, CallContext] = OrderedDict()
        self._limit = limit

    def get(self, linkedid: str) -> CallContext | None:
        """Return the context of a call, if seen."""
        return self._calls.get(linkedid)

    def ensure(self, linkedid: str) -> CallContext:
        """Return the context of a call, creating it (and forgetting the oldest call) when new."""
        context = self._calls.get(linkedid)
        if context is None:
            context = self._calls[linkedid] = CallContext(linkedid=linkedid)
            while len(self._calls) > self._limit:
                self._calls.popitem(last=False)
        return context

    def apply(self, event: ct.Event) -> CallContext | None:
        """Fold one call, IVR or transcript event in; return the changed context (None if not a call's)."""
        handler = _HANDLERS.get(type(event))
        linkedid = getattr(event, "linkedid", "")
        if not linkedid or handler is None:
            return None
        context = self.ensure(linkedid)
        if isinstance(event, ct.TelephonyEvent) and event.server:
            context.server = event.server
        handler(context, event)
        return context


def _started(context: CallContext, e: ct.CallStarted) -> None:
    context.caller = context.caller or e.caller
    context.caller_name = context.caller_name or e.caller_name
    context.language = context.language or e.language
    context.channel = context.channel or e.channel


def _caller(context: CallContext, e: ct.CallerIdChanged | ct.CallQueued | ct.CallOffered) -> None:
    """Take the caller's number from a later event (Local channels get it after call.started)."""
    if e.caller:
        context.caller = e.caller
        context.caller_name = e.caller_name or context.caller_name


def _queued(context: CallContext, e: ct.CallQueued | ct.CallOffered) -> None:
    context.queue = e.queue or context.queue
    # The channel's language when it reached the queue is what the IVR set (call.started has the
    # channel's first language: Asterisk's "en" for Local channels, the endpoint's for SIP callers).
    context.language = e.language or context.language
    _caller(context, e)


def _offered(context: CallContext, e: ct.CallOffered) -> None:
    _queued(context, e)
    context.agent_channel = e.agent_channel or context.agent_channel


def _connected(context: CallContext, e: ct.CallConnected) -> None:
    context.queue = e.queue or context.queue
    context.agent_channel = e.agent_channel or context.agent_channel


def _ivr_step(context: CallContext, e: ct.IvrStep) -> None:
    step = {"node": e.node, "input": e.input, "label": "", "at": e.at}
    if step not in context.ivr_path:
        context.ivr_path.append(step)
    if e.language:
        context.language = e.language
    if e.caller and not context.caller:
        context.caller = e.caller


def _partial(context: CallContext, e: ct.TranscriptPartial) -> None:
    context.partial = e.text


def _final(context: CallContext, e: ct.TranscriptFinal) -> None:
    segment = {"text": e.text, "stream_id": e.stream_id}
    if segment["text"] and segment not in context.transcript[-5:]:
        context.transcript.append(segment)
        del context.transcript[:-MAX_SEGMENTS]
    context.partial = ""


def _ended(context: CallContext, e: ct.CallEnded) -> None:
    context.ended = True
    context.partial = ""


_HANDLERS: dict[type, Callable[[CallContext, Any], None]] = {
    ct.CallStarted: _started,
    ct.CallerIdChanged: _caller,
    ct.CallQueued: _queued,
    ct.CallOffered: _offered,
    ct.CallConnected: _connected,
    ct.IvrStep: _ivr_step,
    ct.TranscriptPartial: _partial,
    ct.TranscriptFinal: _final,
    ct.CallEnded: _ended,
}
