"""Console events on Streams.AGENTS, keyed by user id: an agent's presence and which tab holds it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ticketing.bus.contract.base import Event, register
from ticketing.bus.streams import Streams


@dataclass(frozen=True)
class PresenceView:
    """An agent's presence as pages show it (agent_console.agent_state.Presence.to_json)."""

    interface: str = ""
    member_name: str = ""
    queues: tuple[str, ...] = ()
    state: str = "offline"
    reason: str = ""
    since: str | None = None
    wrapup_until: str | None = None
    linkedid: str = ""
    server: str = ""  # the Asterisk server the agent's phone is a queue member of ("" = unknown)

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> PresenceView:
        """Build from plain data, ignoring unknown fields."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in names}
        values["queues"] = tuple(values.get("queues") or ())
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class UserEvent(Event):
    """An event about one console user."""

    STREAM: ClassVar[str] = Streams.AGENTS

    user_id: int

    @property
    def key(self) -> str:
        return str(self.user_id)


@register
@dataclass(frozen=True, kw_only=True)
class AgentPresence(UserEvent):
    """An agent's presence changed (state, phone, queues, call on screen)."""

    TYPE: ClassVar[str] = "console.agent_presence"

    name: str = ""
    presence: PresenceView = field(default_factory=PresenceView)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AgentPresence:
        stamp = {"at": data["at"]} if data.get("at") else {}
        return cls(user_id=int(data["user_id"]), name=str(data.get("name", "")),
                   presence=PresenceView.from_data(data.get("presence")), **stamp)


@register
@dataclass(frozen=True, kw_only=True)
class TabClaimed(UserEvent):
    """A console tab took charge of the agent; the agent's other tabs step back."""

    TYPE: ClassVar[str] = "console.tab_claimed"

    tab: str
