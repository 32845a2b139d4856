"""What the console knows about calls in progress: caller, language, IVR path and transcript, by Linkedid.

Filled from bus events as they pass (every console process sees every event), bounded to recent calls.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

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
    """A bounded map Linkedid -> CallContext updated by `apply(type, data)`; safe to apply an event twice."""

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

    def apply(self, type_: str, data: dict[str, Any]) -> CallContext | None:
        """Fold one call, IVR or transcript event in; return the changed context (None if not a call's)."""
        linkedid = str(data.get("linkedid") or "")
        handler = _HANDLERS.get(type_)
        if not linkedid or handler is None:
            return None
        context = self.ensure(linkedid)
        handler(context, data)
        return context


def _started(context: CallContext, data: dict[str, Any]) -> None:
    context.caller = context.caller or str(data.get("caller") or "")
    context.caller_name = context.caller_name or str(data.get("caller_name") or "")
    context.language = context.language or str(data.get("language") or "")
    context.channel = context.channel or str(data.get("channel") or "")


def _caller(context: CallContext, data: dict[str, Any]) -> None:
    """Take the caller's number from a later event (Local channels get it after call.started)."""
    if data.get("caller"):
        context.caller = str(data["caller"])
        context.caller_name = str(data.get("caller_name") or context.caller_name)


def _queued(context: CallContext, data: dict[str, Any]) -> None:
    context.queue = str(data.get("queue") or context.queue)
    _caller(context, data)


def _agent_leg(context: CallContext, data: dict[str, Any]) -> None:
    _queued(context, data)
    context.agent_channel = str(data.get("agent_channel") or context.agent_channel)


def _ivr_step(context: CallContext, data: dict[str, Any]) -> None:
    step = {"node": str(data.get("node") or data.get("step") or data.get("menu") or ""),
            "input": str(data.get("input") or data.get("digits") or data.get("choice") or ""),
            "label": str(data.get("label") or data.get("title") or ""),
            "at": str(data.get("at") or "")}
    if step not in context.ivr_path:
        context.ivr_path.append(step)
    if data.get("language"):
        context.language = str(data["language"])
    if data.get("caller") and not context.caller:
        context.caller = str(data["caller"])


def _partial(context: CallContext, data: dict[str, Any]) -> None:
    context.partial = str(data.get("text") or "")


def _final(context: CallContext, data: dict[str, Any]) -> None:
    segment = {"text": str(data.get("text") or ""), "stream_id": str(data.get("stream_id") or "")}
    if segment["text"] and segment not in context.transcript[-5:]:
        context.transcript.append(segment)
        del context.transcript[:-MAX_SEGMENTS]
    context.partial = ""


def _ended(context: CallContext, data: dict[str, Any]) -> None:
    context.ended = True
    context.partial = ""


_HANDLERS = {
    "call.started": _started,
    "call.caller_changed": _caller,
    "call.queued": _queued,
    "call.offered": _agent_leg,
    "call.connected": _agent_leg,
    "ivr.step": _ivr_step,
    "transcript.partial": _partial,
    "transcript.final": _final,
    "call.ended": _ended,
}
