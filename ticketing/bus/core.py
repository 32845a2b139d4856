"""Bus interface, the envelope every event travels in, and the factory choosing a transport."""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

MAX_DELIVERIES = 5


@dataclass(frozen=True)
class Envelope:
    """One event on the bus: typed, versioned, keyed, with a unique id for idempotent consumers."""

    type: str
    key: str
    data: dict[str, Any]
    version: int = 1
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    stream: str = ""
    entry_id: str = ""

    def encode(self) -> dict[str, str]:
        """Flatten into the field map stored in a stream entry."""
        body = {"type": self.type, "key": self.key, "data": self.data, "version": self.version,
                "id": self.id, "occurred_at": self.occurred_at}
        return {"event": json.dumps(body, ensure_ascii=False, default=str)}

    @classmethod
    def decode(cls, stream: str, entry_id: str, fields: dict[str, str]) -> Envelope:
        """Rebuild an envelope from a stream entry; raises ValueError on a malformed entry."""
        try:
            body = json.loads(fields["event"])
            return cls(type=body["type"], key=str(body["key"]), data=dict(body["data"]),
                       version=int(body.get("version", 1)), id=body["id"],
                       occurred_at=body["occurred_at"], stream=stream, entry_id=entry_id)
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"malformed bus entry {stream}/{entry_id}: {err}") from err


Handler = Callable[[Envelope], Awaitable[None]]


@dataclass(frozen=True)
class Outgoing:
    """An event to publish with `Bus.publish_batch`."""

    stream: str
    type: str
    key: str
    data: dict[str, Any]
    version: int = 1


@dataclass(frozen=True)
class Subscription:
    """A consumer group reading one stream with one handler.

    durable=False makes a group private to this process that starts at new entries and is removed
    on close: for fan-out to every console worker. Durable groups start at the beginning.
    """

    stream: str
    group: str
    handler: Handler
    consumer: str = field(default_factory=lambda: f"c-{uuid.uuid4().hex[:8]}")
    durable: bool = True


class Bus(abc.ABC):
    """Publish events and run subscribed handlers; one implementation per transport."""

    def __init__(self) -> None:
        self.subscriptions: list[Subscription] = []
        self._tasks: dict[Subscription, asyncio.Task] = {}

    async def publish(self, stream: str, type: str, key: str, data: dict[str, Any],
                      version: int = 1) -> Envelope:
        """Append an event to a stream and return it with its entry id."""
        envelope = Envelope(type=type, key=str(key), data=data, version=version, stream=stream)
        entry_id = await self._append(stream, envelope)
        return Envelope(**{**envelope.__dict__, "entry_id": entry_id})

    async def publish_batch(self, items: Sequence[Outgoing]) -> list[Envelope]:
        """Append several events in order with one round trip where the transport allows it."""
        envelopes = [Envelope(type=i.type, key=str(i.key), data=i.data, version=i.version, stream=i.stream)
                     for i in items]
        entry_ids = await self._append_many(envelopes)
        pairs = zip(envelopes, entry_ids, strict=True)
        return [Envelope(**{**e.__dict__, "entry_id": eid}) for e, eid in pairs]

    async def _append_many(self, envelopes: list[Envelope]) -> list[str]:
        return [await self._append(e.stream, e) for e in envelopes]

    def subscribe(self, stream: str, group: str, handler: Handler, *, durable: bool = True) -> Subscription:
        """Register a handler for a stream under a consumer group; started with start()."""
        sub = Subscription(stream=stream, group=group, handler=handler, durable=durable)
        self.subscriptions.append(sub)
        if self.started:
            self._start_subscription(sub)
        return sub

    @property
    @abc.abstractmethod
    def started(self) -> bool:
        """Whether consumption has begun."""

    @abc.abstractmethod
    async def _append(self, stream: str, envelope: Envelope) -> str: ...

    def _start_subscription(self, sub: Subscription) -> None:
        if sub not in self._tasks:
            task = asyncio.create_task(self._consume(sub), name=f"bus:{sub.stream}:{sub.group}")
            task.add_done_callback(_log_crash)
            self._tasks[sub] = task

    @abc.abstractmethod
    async def _consume(self, sub: Subscription) -> None:
        """Deliver a subscription's entries to its handler until cancelled."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Start consuming for every subscription."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop consuming and release connections."""

    @abc.abstractmethod
    async def read_all(self, stream: str) -> list[Envelope]:
        """Return every retained entry of a stream (for tools, tests and replays)."""


async def deliver(sub: Subscription, envelope: Envelope) -> bool:
    """Run a handler; log and report failure instead of letting it vanish."""
    try:
        await sub.handler(envelope)
    except Exception:
        log.exception("handler for %s in group %s failed on %s %s", sub.stream, sub.group,
                      envelope.type, envelope.entry_id)
        return False
    return True


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("bus consumer %s crashed", task.get_name(), exc_info=task.exception())


def create_bus(redis_url: str | None) -> Bus:
    """Redis streams when a URL is given, the in-process bus otherwise."""
    if redis_url:
        from ticketing.bus.redis_streams import RedisBus

        return RedisBus(redis_url)
    from ticketing.bus.memory import MemoryBus

    return MemoryBus()
