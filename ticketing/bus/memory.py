"""In-process bus with the same consumer-group semantics as the Redis one (embedded default)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time

from ticketing.bus.core import MAX_DELIVERIES, Bus, Envelope, Subscription, deliver

log = logging.getLogger(__name__)

RETAIN = 100_000
RETRY_DELAY = 0.5


class MemoryBus(Bus):
    """Streams kept in lists; each group has a cursor, failed entries are retried then dead-lettered."""

    def __init__(self) -> None:
        super().__init__()
        self._streams: dict[str, list[Envelope]] = {}
        self._offsets: dict[str, int] = {}  # entries trimmed from the head of each stream
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._started = False

    @property
    def started(self) -> bool:
        return self._started

    async def _append(self, stream: str, envelope: Envelope) -> str:
        entry_id = f"{int(time.time() * 1000)}-{next(self._seq)}"
        entries = self._streams.setdefault(stream, [])
        entries.append(Envelope(**{**envelope.__dict__, "stream": stream, "entry_id": entry_id}))
        if len(entries) > RETAIN:
            drop = len(entries) - RETAIN
            del entries[:drop]
            self._offsets[stream] = self._offsets.get(stream, 0) + drop
        self._changed.set()
        return entry_id

    async def start(self) -> None:
        self._started = True
        for sub in self.subscriptions:
            self._start_subscription(sub)

    async def _consume(self, sub: Subscription) -> None:
        position = 0 if sub.durable else self._absolute_len(sub.stream)
        while True:
            entries = self._streams.get(sub.stream, [])
            base = self._offsets.get(sub.stream, 0)
            position = max(position, base)
            if position - base >= len(entries):
                self._changed.clear()
                await self._changed.wait()
                continue
            envelope = entries[position - base]
            await self._deliver_with_retry(sub, envelope)
            position += 1

    async def _deliver_with_retry(self, sub: Subscription, envelope: Envelope) -> None:
        for attempt in range(1, MAX_DELIVERIES + 1):
            if await deliver(sub, envelope):
                return
            await asyncio.sleep(RETRY_DELAY * attempt)
        log.error("dead-lettering %s %s for group %s after %d attempts", envelope.type,
                  envelope.entry_id, sub.group, MAX_DELIVERIES)
        await self._append(f"{sub.stream}.dead", envelope)

    def _absolute_len(self, stream: str) -> int:
        return self._offsets.get(stream, 0) + len(self._streams.get(stream, []))

    async def close(self) -> None:
        await self.sender.stop()
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks.clear()
        self._started = False

    async def read_all(self, stream: str) -> list[Envelope]:
        return list(self._streams.get(stream, []))
