"""The one way telephony events leave the bridge: an ordered queue drained onto the bus.

Handlers run synchronously inside panoramisk's callback; they hand their events to `emit`, which
never blocks. One task publishes them in order, in batches of what has queued up (one Redis round
trip each); when the bus fails (Redis down) it retries the same batch with backoff instead of
dropping it, and logs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from ivr.ami.events import TelephonyEvent
from ticketing.bus import Bus, Outgoing

log = logging.getLogger(__name__)

RETRY_MAX = 5.0
BATCH_MAX = 200


class Notifier:
    """Publish telephony events on the bus (CALLS or AGENTS by event class), in emission order."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.published = 0
        self._queue: asyncio.Queue[TelephonyEvent] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    def emit(self, events: Iterable[TelephonyEvent]) -> None:
        """Queue events for publication (never blocks, never raises)."""
        for event in events:
            self._queue.put_nowait(event)

    async def start(self) -> None:
        """Start the publishing task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ami-notifier")
            self._task.add_done_callback(_log_crash)

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
            log.warning("stopping with %d telephony events unpublished", self._queue.qsize())
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

    async def _publish(self, batch: list[TelephonyEvent]) -> None:
        items = [Outgoing(e.STREAM, e.TYPE, e.key, e.to_data(), e.VERSION) for e in batch]
        delay = 0.2
        while True:
            try:
                await self.bus.publish_batch(items)
                self.published += len(batch)
                return
            except Exception:
                log.exception("publishing %d events (first %s %s) failed; retrying in %.1f s",
                              len(batch), batch[0].TYPE, batch[0].key, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("AMI notifier crashed", exc_info=task.exception())
