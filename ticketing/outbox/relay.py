"""The outbox relay: publish committed outbox rows to the bus in order, retry with backoff, mark them sent.

Runs in every server process; on PostgreSQL one relay at a time holds the publishing lock (the others
wait their turn), so each row is published by one relay. A row is marked sent in the same transaction
that claimed it, after the bus accepted it: a crash between the two publishes it again with the same event
id, which idempotent consumers skip. Commits that staged events wake the relay at once; otherwise it
polls every `idle` seconds (rows committed by other processes, or left by a bus outage).

When the bus reports a new epoch (Redis restarted without its data), the relay publishes again what it
sent in the last `REPLAY_WINDOW`: events published but not yet read were lost with Redis; the same
event ids let consumers skip those they had already handled.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ticketing.bus.core import Bus
from ticketing.bus.health import WorkerHealth, failing_too_long
from ticketing.database.types import utcnow
from ticketing.outbox import service

log = logging.getLogger(__name__)

PUBLISH_LIMIT = 10.0  # seconds one batch may take on the bus (a hung Redis) before it counts as failed
KEEP_SENT = timedelta(days=2)
REPLAY_WINDOW = timedelta(minutes=5)


class Relay:
    """Component moving outbox rows onto the bus."""

    name = "outbox-relay"

    def __init__(self, session_factory: sessionmaker[Session], bus: Bus, *, batch: int = 500,
                 idle: float = 1.0, retry_max: float = 5.0) -> None:
        self.session_factory, self.bus = session_factory, bus
        self.batch, self.idle, self.retry_max = batch, idle, retry_max
        self.published = 0
        self.backlog = 0  # unsent rows at the last look
        self.failing_since: float | None = None
        self.last_error = ""
        self._wake = asyncio.Event()
        self._stopping = False
        self._epoch: str | None = None
        self.replayed = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Start relaying and listen for commits that staged events."""
        self._loop = asyncio.get_running_loop()
        event.listen(self.session_factory, "after_commit", self._after_commit)
        self._task = asyncio.create_task(self._run(), name="outbox-relay")
        self._task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        """Publish what is committed (briefly), then stop."""
        event.remove(self.session_factory, "after_commit", self._after_commit)
        if self._task is None:
            return
        # Not cancelled mid-batch: a claim runs in a worker thread holding row locks until it commits.
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), PUBLISH_LIMIT + 5)
        except TimeoutError:
            log.warning("outbox relay did not stop in time; cancelling it")
            self._task.cancel()
        self._task, self._stopping = None, False

    def wake(self) -> None:
        """Relay now (thread-safe: commits happen in worker threads)."""
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def health(self) -> WorkerHealth:
        """Report whether the relay runs and keeps up, with the backlog it last saw."""
        running = self._task is not None and not self._task.done()
        stalled = failing_too_long(self.failing_since, time.monotonic())
        return WorkerHealth(name=self.name, running=running, healthy=running and not stalled,
                            detail=self.last_error if self.failing_since is not None else "",
                            backlog=self.backlog)

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(service.WAKE_FLAG, False):
            self.wake()

    async def _run(self) -> None:
        delay, pruned_at = 0.2, 0.0
        while not self._stopping:
            try:
                await self._follow_epoch()
                await self.drain()
            except Exception as err:
                self._failed(err, delay)
                await asyncio.to_thread(self._read_backlog)
                await self._pause(delay)
                delay = min(delay * 2, self.retry_max)
                continue
            delay = 0.2
            if time.monotonic() - pruned_at > 3600:
                pruned_at = time.monotonic()
                await asyncio.to_thread(self._prune)
            await self._pause(self.idle)

    async def _follow_epoch(self) -> None:
        """Publish recent events again when the bus lost its data since the last look."""
        epoch = await self.bus.epoch()
        if self._epoch is not None and epoch != self._epoch:
            count = await asyncio.to_thread(self._unsend_recent)
            self.replayed += count
            log.warning("the bus lost its data (Redis restarted empty?): publishing the last %s again "
                        "(%d events)", REPLAY_WINDOW, count)
        self._epoch = epoch

    def _unsend_recent(self) -> int:
        with self.session_factory() as session:
            count = service.unsend_recent(session, REPLAY_WINDOW)
            session.commit()
        return count

    async def _pause(self, seconds: float) -> None:
        """Sleep until woken (a commit, stop()) or `seconds` passed."""
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
        self._wake.clear()

    async def drain(self) -> int:
        """Publish batches until nothing committed is left (or stop() was called); return how many."""
        total = 0
        while (sent := await self.relay_once()) > 0:
            total += sent
            if self._stopping:
                break
        return total

    async def relay_once(self) -> int:
        """Claim a batch, publish it, mark it sent; return its size (0: nothing to do or not our turn)."""
        bind = self.session_factory.kw["bind"]
        if bind.dialect.name == "postgresql":
            return await self._relay_batch()
        async with _local_turn(str(bind.url)):  # SQLite: one process; its relays take turns
            return await self._relay_batch()

    async def _relay_batch(self) -> int:
        session = self.session_factory()
        try:
            rows = await asyncio.to_thread(service.claim, session, self.batch)
            if not rows:
                self.backlog = 0 if rows is not None else self.backlog
                return 0
            items = [service.outgoing(row) for row in rows]
            try:
                async with asyncio.timeout(PUBLISH_LIMIT):
                    await self.bus.publish_batch(items)
            except Exception as err:
                await asyncio.to_thread(_record_failure, session, rows, str(err) or type(err).__name__)
                raise
            await asyncio.to_thread(_commit_sent, session, rows)
        finally:
            await asyncio.to_thread(session.close)
        self.published += len(rows)
        self.backlog = max(self.backlog - len(rows), 0)
        if self.failing_since is not None:
            log.info("outbox relay: bus back after %.0f s", time.monotonic() - self.failing_since)
            self.failing_since, self.last_error = None, ""
        return len(rows)

    def _failed(self, err: Exception, delay: float) -> None:
        self.last_error = str(err) or type(err).__name__
        if self.failing_since is None:
            self.failing_since = time.monotonic()
            log.error("outbox relay: publishing failed (%s); retrying with backoff", self.last_error)
        else:
            log.warning("outbox relay: still failing (%s); next try in %.1f s", self.last_error, delay)

    def _read_backlog(self) -> None:
        try:
            with self.session_factory() as session:
                self.backlog = service.backlog(session)
        except Exception:
            log.debug("outbox backlog unreadable", exc_info=True)

    def _prune(self) -> None:
        with self.session_factory() as session:
            removed = service.prune(session, KEEP_SENT)
            session.commit()
        if removed:
            log.info("outbox: removed %d events sent more than %s ago", removed, KEEP_SENT)


_TURNS: dict[tuple[str, int], asyncio.Lock] = {}


def _local_turn(url: str) -> asyncio.Lock:
    """Return this event loop's lock for relays of one database (databases without row locks)."""
    key = (url, id(asyncio.get_running_loop()))
    return _TURNS.setdefault(key, asyncio.Lock())


def _commit_sent(session: Session, rows) -> None:
    service.mark_sent(session, rows, utcnow())
    session.commit()


def _record_failure(session: Session, rows, error: str) -> None:
    service.mark_failed(session, rows, error)
    session.commit()


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("outbox relay crashed", exc_info=task.exception())
