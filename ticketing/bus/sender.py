"""The way out for processes that write no database: a bounded, ordered local queue drained onto the bus.

`emit` never blocks and never raises, so a bus outage never ends a resident's call. One task publishes
what has queued up in batches (one Redis round trip each) and retries the same batch with backoff while
the bus is down; each event keeps its id across retries, so a batch Redis took before failing to answer
is de-duplicated by consumers. When the queue is full the newest events are dropped, counted and logged.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ticketing.bus.core import Outgoing
from ticketing.bus.health import WorkerHealth, failing_too_long

if TYPE_CHECKING:
    from ticketing.bus.contract import Event
    from ticketing.bus.core import Bus

log = logging.getLogger(__name__)

RETRY_MAX = 5.0
BATCH_MAX = 200
QUEUE_MAX = 100_000


class Sender:
    """Publish contract events in emission order; retry while the bus is down."""

    def __init__(self, bus: Bus, *, name: str = "sender", limit: int = QUEUE_MAX) -> None:
        self.bus, self.name = bus, name
        self.published = 0
        self.dropped = 0
        self.failing_since: float | None = None  # monotonic time of the first failure of the current outage
        self._queue: asyncio.Queue[Outgoing] = asyncio.Queue(limit)
        self._task: asyncio.Task | None = None

    @property
    def backlog(self) -> int:
        """Events waiting to be published."""
        return self._queue.qsize()

    @property
    def running(self) -> bool:
        """Whether the publishing task is alive."""
        return self._task is not None and not self._task.done()

    def health(self) -> WorkerHealth:
        """Report whether the sender runs (it starts on first use) and keeps up, with its backlog."""
        running = self._task is None or not self._task.done()
        stalled = failing_too_long(self.failing_since, time.monotonic())
        return WorkerHealth(name=f"sender {self.name}", running=running, healthy=running and not stalled,
                            detail="bus unreachable" if stalled else "", backlog=self.backlog)

    def emit(self, events: Iterable[Event]) -> None:
        """Queue events for publication (never blocks, never raises); starts the task when needed."""
        for event in events:
            try:
                self._queue.put_nowait(event.outgoing())
            except asyncio.QueueFull:
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.error("%s queue full (%d): dropped %d events so far, last %s %s", self.name,
                              self._queue.maxsize, self.dropped, event.TYPE, event.key)
        if self._task is None:
            try:
                self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)
            except RuntimeError:
                return  # no loop yet: start() picks the queue up
            self._task.add_done_callback(self._log_crash)

    async def start(self) -> None:
        """Start the publishing task (emit starts it too)."""
        self.emit(())

    async def flush(self, limit: float = 10.0) -> None:
        """Wait until every queued event is on the bus."""
        async with asyncio.timeout(limit):
            await self._queue.join()

    async def stop(self, limit: float = 5.0) -> None:
        """Publish what is queued (within `limit` seconds), then stop."""
        if self._task is None:
            return
        try:
            await self.flush(limit)
        except TimeoutError:
            log.warning("%s stopping with %d events unpublished", self.name, self._queue.qsize())
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass
        self._task = None

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH_MAX and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._publish(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _publish(self, batch: list[Outgoing]) -> None:
        delay = 0.2
        while True:
            try:
                await self.bus.publish_batch(batch)
            except Exception as err:
                if self.failing_since is None:
                    self.failing_since = time.monotonic()
                    log.exception("%s: publishing %d events (first %s %s) failed; retrying",
                                  self.name, len(batch), batch[0].type, batch[0].key)
                else:
                    log.warning("%s: bus still failing (%s); retrying in %.1f s", self.name, err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
                continue
            self.published += len(batch)
            if self.failing_since is not None:
                log.info("%s: bus back, publishing resumed", self.name)
                self.failing_since = None
            return

    def _log_crash(self, task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("%s crashed", self.name, exc_info=task.exception())
