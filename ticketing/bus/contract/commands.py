"""Commands for an AMI bridge and its replies (Streams.AMI_COMMANDS / AMI_REPLIES, keyed by command id).

A command names the Asterisk server that owns the channel or queue member it acts on; only that server's
bridge runs it. A command with `server == ""` (any Asterisk will do) is run by exactly one bridge: they
share one consumer group for those (ivr/ami/commands.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from ticketing.bus.contract.base import Event, new_event_id, register
from ticketing.bus.streams import Streams

ACTIONS = frozenset({"originate", "redirect", "hangup", "queue_add", "queue_remove", "queue_pause",
                     "mixmonitor", "ping", "atxfer"})


@register
@dataclass(frozen=True, kw_only=True)
class AmiCommand(Event):
    """Ask the bridge of `server` to run one action (`ACTIONS`) with keyword arguments."""

    TYPE: ClassVar[str] = "ami.command"
    STREAM: ClassVar[str] = Streams.AMI_COMMANDS

    id: str = field(default_factory=new_event_id)
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    server: str = ""

    @property
    def key(self) -> str:
        return self.id

    def age(self, now: datetime | None = None) -> float:
        """Seconds since the command was issued (0 when its timestamp is unreadable)."""
        try:
            sent = datetime.fromisoformat(self.at)
        except (TypeError, ValueError):
            return 0.0
        return ((now or datetime.now(UTC)) - sent).total_seconds()

    def addressed_to(self, server: str) -> bool:
        """Tell whether the bridge of `server` should run this command (unaddressed: one of them, any)."""
        return self.server in ("", server)


@register
@dataclass(frozen=True, kw_only=True)
class AmiReply(Event):
    """A bridge's answer to one command: `result` when ok, else `error` (and the error's class name)."""

    TYPE: ClassVar[str] = "ami.reply"
    STREAM: ClassVar[str] = Streams.AMI_REPLIES

    id: str
    action: str = ""
    server: str = ""
    ok: bool
    result: Any = None
    error: str = ""
    error_type: str = ""

    @property
    def key(self) -> str:
        return self.id

    @classmethod
    def of(cls, command: AmiCommand, server: str, *, result: Any = None, error: str = "",
           error_type: str = "") -> AmiReply:
        """Answer `command` from `server`: ok unless an error is given."""
        if dataclasses.is_dataclass(result) and not isinstance(result, type):
            result = dataclasses.asdict(result)
        return cls(id=command.id, action=command.action, server=server, ok=not error, result=result,
                   error=error, error_type=error_type)

    @property
    def fields(self) -> dict[str, Any]:
        """The result as a mapping (a scalar result becomes {"value": result})."""
        if isinstance(self.result, dict):
            return self.result
        return {} if self.result is None else {"value": self.result}
