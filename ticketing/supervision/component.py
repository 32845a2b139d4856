"""The deadline scheduler as a process component: runs the due steps every few seconds.

Each step's notice is staged in the outbox with the step (scheduler.take_step); the relay publishes it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from ticketing.database.types import utcnow
from ticketing.dataset import Dataset
from ticketing.supervision.scheduler import backfill, run_due

log = logging.getLogger(__name__)


class SupervisionScheduler:
    """Every INTERVAL seconds, takes the deadline steps due by CLOCK() (notices go out by the outbox)."""

    name = "supervision"

    def __init__(self, factory: sessionmaker[Session], dataset: Dataset, interval: float,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.factory, self.dataset = factory, dataset
        self.interval, self.clock = interval, clock
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Stamp cases written before the due columns existed, then start the timer (unless turned off)."""
        if self.interval <= 0:
            return
        await asyncio.to_thread(backfill, self.factory, self.dataset)
        self._task = asyncio.create_task(self._loop(), name="supervision scheduler")

    async def stop(self) -> None:
        """Stop the timer."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def tick(self) -> int:
        """Take the steps due now; return how many were raised."""
        raised = await asyncio.to_thread(run_due, self.factory, self.dataset, self.clock())
        return len(raised)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("supervision scheduler run failed; retrying in %s s", self.interval)
            await asyncio.sleep(self.interval)
