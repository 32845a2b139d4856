"""Bus interface, the envelope every event travels in, and the factory choosing a transport."""

from __future__ import annotations

import abc
import asyncio
import json
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ticketing.bus.health import WorkerHealth, failing_too_long

log = logging.getLogger(__name__)

MAX_DELIVERIES = 5
SEEN_LIMIT = 20_000  # event ids remembered per subscription for de-duplication


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
    id: str = field(default_factory=lambda: uuid.uuid4().hex)  # kept across retries: consumers de-duplicate
    occurred_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def envelope(self) -> Envelope:
        """Return the envelope this item is published as."""
        return Envelope(type=self.type, key=str(self.key), data=self.data, version=self.version, id=self.id,
                        occurred_at=self.occurred_at, stream=self.stream)


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
    seen: OrderedDict[str, None] = field(default_factory=OrderedDict, compare=False, repr=False)
    state: SubscriptionState = field(default_factory=lambda: SubscriptionState(), compare=False, repr=False)

    @property
    def name(self) -> str:
        """The consumer's name in health reports."""
        return f"consumer {self.stream}/{self.group}"


@dataclass
class SubscriptionState:
    """How a consumer is doing: since when it fails (monotonic time, None when fine) and why."""

    failing_since: float | None = None
    failures: int = 0
    last_error: str = ""

    def ok(self) -> None:
        """Note a successful read."""
        self.failing_since, self.failures, self.last_error = None, 0, ""

    def failed(self, err: BaseException) -> float:
        """Note a failure; return the delay before the next try (0.5 s doubling to 5 s)."""
        if self.failing_since is None:
            self.failing_since = time.monotonic()
        self.failures += 1
        self.last_error = str(err) or type(err).__name__
        return min(0.5 * 2 ** (self.failures - 1), 5.0)


class Bus(abc.ABC):
    """Publish events and run subscribed handlers; one implementation per transport."""

    def __init__(self) -> None:
        from ticketing.bus.sender import Sender

        self.subscriptions: list[Subscription] = []
        self._tasks: dict[Subscription, asyncio.Task] = {}
        self.sender = Sender(self, name="bus-sender")

    def emit(self, *events) -> None:
        """Queue contract events for publication; never blocks or raises (see ticketing/bus/sender.py).

        For processes and paths that write no database (IVR steps, transcripts, presence, command
        replies). Database changes put their events in the outbox instead (ticketing/outbox).
        """
        self.sender.emit(events)

    async def publish_event(self, event) -> Envelope:
        """Publish one contract event now; raises when the bus is down (for request/reply commands)."""
        [envelope] = await self.publish_batch([event.outgoing()])
        return envelope

    async def publish(self, stream: str, type: str, key: str, data: dict[str, Any],
                      version: int = 1) -> Envelope:
        """Append an event to a stream and return it with its entry id."""
        envelope = Envelope(type=type, key=str(key), data=data, version=version, stream=stream)
        entry_id = await self._append(stream, envelope)
        return Envelope(**{**envelope.__dict__, "entry_id": entry_id})

    async def publish_batch(self, items: Sequence[Outgoing]) -> list[Envelope]:
        """Append several events in order with one round trip where the transport allows it."""
        envelopes = [item.envelope() for item in items]
        entry_ids = await self._append_many(envelopes)
        pairs = zip(envelopes, entry_ids, strict=True)
        return [Envelope(**{**e.__dict__, "entry_id": eid}) for e, eid in pairs]

    async def _append_many(self, envelopes: list[Envelope]) -> list[str]:
        return [await self._append(e.stream, e) for e in envelopes]

    def health(self) -> list[WorkerHealth]:
        """Return the liveness of each consumer and of the bus's own sender."""
        now = time.monotonic()
        reports = [self.sender.health()]
        for sub in self.subscriptions:
            task = self._tasks.get(sub)
            running = task is not None and not task.done()
            stalled = failing_too_long(sub.state.failing_since, now)
            reports.append(WorkerHealth(name=sub.name, running=running, healthy=running and not stalled,
                                        detail=sub.state.last_error if sub.state.failing_since else ""))
        return reports

    def subscribe(self, stream: str, group: str, handler: Handler, *, durable: bool = True) -> Subscription:
        """Register a handler for a stream under a consumer group; started with start()."""
        sub = Subscription(stream=stream, group=group, handler=handler, durable=durable)
        self.subscriptions.append(sub)
        if self.started:
            self._start_subscription(sub)
        return sub

    async def epoch(self) -> str:
        """Return the id of the transport's data set; it changes when the transport lost its entries."""
        return "in-process"

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
    """Run a handler once per event id; log and report failure instead of letting it vanish.

    An event published twice (a relay or sender retrying after Redis took a batch but did not answer,
    an outbox replay after Redis lost its data) reaches the handler once while its id is remembered.
    """
    if envelope.id in sub.seen:
        return True
    try:
        await sub.handler(envelope)
    except Exception:
        log.exception("handler for %s in group %s failed on %s %s", sub.stream, sub.group,
                      envelope.type, envelope.entry_id)
        return False
    sub.seen[envelope.id] = None
    if len(sub.seen) > SEEN_LIMIT:
        sub.seen.popitem(last=False)
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
