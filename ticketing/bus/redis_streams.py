"""Redis streams transport: XADD to publish, XREADGROUP/XACK per consumer group, XAUTOCLAIM for retries.

Consumers heal: a lost connection is retried with backoff (pooled connections are health-checked and a
command on a stale one is retried once on a fresh one), and a stream or group that vanished because Redis
restarted without its data (NOGROUP) is created again, so the consumer carries on. `epoch()` tells the
outbox relay when that happened, so it can publish again what Redis lost.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError

from ticketing.bus.core import MAX_DELIVERIES, Bus, Envelope, Subscription, deliver

log = logging.getLogger(__name__)

MAXLEN = 200_000
BLOCK_MS = 2_000
RECLAIM_IDLE_MS = 15_000
ACK_EVERY_S = 1.0  # handled entries of one read are acked together, at least this often
CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 3.0  # beyond a blocking read's own wait: a hung Redis fails a command after this
HEALTH_CHECK = 10  # seconds an idle pooled connection may sit before it is checked on reuse
EPOCH_KEY = "hotline:bus:epoch"


class BusUnavailable(RuntimeError):
    """Redis cannot be reached or refused a command."""


class RedisBus(Bus):
    """Bus over Redis streams; a restarted consumer first re-reads what it had not acknowledged."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self._redis = aioredis.from_url(
            url, decode_responses=True, socket_connect_timeout=CONNECT_TIMEOUT,
            socket_timeout=BLOCK_MS / 1000 + COMMAND_TIMEOUT, health_check_interval=HEALTH_CHECK)
        self._started = False
        self._closing = False
        self._host = f"{socket.gethostname()}-{os.getpid()}"

    @property
    def started(self) -> bool:
        return self._started

    async def _append(self, stream: str, envelope: Envelope) -> str:
        [entry_id] = await self._append_many([Envelope(**{**envelope.__dict__, "stream": stream})])
        return entry_id

    async def _append_many(self, envelopes: list[Envelope]) -> list[str]:
        async def send() -> list[str]:
            pipe = self._redis.pipeline(transaction=False)
            for envelope in envelopes:
                pipe.xadd(envelope.stream, envelope.encode(), maxlen=MAXLEN, approximate=True)
            return list(await pipe.execute())

        try:
            return await _once_more_on_a_fresh_connection(send)
        except RedisError as err:
            raise BusUnavailable(f"cannot publish {len(envelopes)} events: {err}") from err

    async def ping(self) -> None:
        """Fail loudly when Redis is not reachable."""
        try:
            await self._redis.ping()
        except RedisError as err:
            raise BusUnavailable(f"Redis is not reachable: {err}") from err

    async def lag(self, streams: list[str]) -> dict[str, int]:
        """Entries each consumer group of `streams` has yet to read or acknowledge ("stream/group": n)."""
        found: dict[str, int] = {}
        for stream in streams:
            try:
                groups = await self._redis.xinfo_groups(stream)
            except ResponseError:  # no such stream (yet)
                continue
            for group in groups:
                name = group["name"].decode() if isinstance(group["name"], bytes) else group["name"]
                found[f"{stream}/{name}"] = int(group.get("lag") or 0) + int(group.get("pending") or 0)
        return found

    async def start(self) -> None:
        await self.ping()
        self._started = True
        for sub in self.subscriptions:
            self._start_subscription(sub)

    def _consumer_name(self, sub: Subscription) -> str:
        # Durable groups keep a stable consumer name so a restart re-reads its own pending entries.
        return f"{sub.group}@{self._host.split('-')[0]}" if sub.durable else sub.consumer

    async def _ensure_group(self, sub: Subscription) -> None:
        try:
            await self._redis.xgroup_create(sub.stream, sub.group, id="0" if sub.durable else "$",
                                            mkstream=True)
        except ResponseError as err:
            if "BUSYGROUP" not in str(err):
                raise

    async def epoch(self) -> str:
        """Return the id of this Redis's data set; a new one after Redis restarted without its data."""
        async def read() -> str | None:
            await self._redis.set(EPOCH_KEY, uuid.uuid4().hex, nx=True)  # kept when already there
            return await self._redis.get(EPOCH_KEY)

        try:
            value = await _once_more_on_a_fresh_connection(read)
        except RedisError as err:
            raise BusUnavailable(f"Redis is not reachable: {err}") from err
        return str(value)

    async def _consume(self, sub: Subscription) -> None:
        """Consume until closed; on any Redis failure wait (backoff), re-create what vanished, resume."""
        consumer = self._consumer_name(sub)
        while not self._closing:
            try:
                await self._ensure_group(sub)
                await self._drain_pending(sub, consumer)
                await self._read(sub, consumer)
            except (RedisError, OSError) as err:
                # redis-py can turn a cancellation into a connection error: the flag ends the loop then.
                if self._closing:
                    return
                delay = sub.state.failed(err)
                if "NOGROUP" in str(err):
                    log.warning("%s lost its group %s (Redis lost its data?); creating it again",
                                sub.stream, sub.group)
                else:
                    log.warning("consuming %s for %s failed: %s; retrying in %.1f s", sub.stream, sub.group,
                                err, delay)
                await asyncio.sleep(delay)

    async def _read(self, sub: Subscription, consumer: str) -> None:
        while not self._closing:
            reply = await self._redis.xreadgroup(sub.group, consumer, {sub.stream: ">"}, count=100,
                                                 block=BLOCK_MS)
            sub.state.ok()
            if not reply:
                await self._reclaim(sub, consumer)
                continue
            # One XACK for the entries of a read that were handled (an XACK per entry was a Redis round
            # trip per case event and consumer group), at least every ACK_EVERY_S so that no handled entry
            # sits long enough to be reclaimed by another consumer; an entry handled but not acked when the
            # process dies is delivered again, as to a consumer that died mid-handler (at least once).
            handled: list[str] = []
            acked_at = time.monotonic()
            try:
                for _stream, entries in reply:
                    for entry_id, fields in entries:
                        await self._handle(sub, entry_id, fields, handled)
                        if handled and time.monotonic() - acked_at > ACK_EVERY_S:
                            await self._redis.xack(sub.stream, sub.group, *handled)
                            handled.clear()
                            acked_at = time.monotonic()
            finally:
                if handled:  # a failure leaves them pending: delivered again after the reconnection
                    await self._redis.xack(sub.stream, sub.group, *handled)

    async def _drain_pending(self, sub: Subscription, consumer: str) -> None:
        while True:
            reply = await self._redis.xreadgroup(sub.group, consumer, {sub.stream: "0"}, count=100)
            entries = reply[0][1] if reply else []
            entries = [(eid, f) for eid, f in entries if f]
            if not entries:
                return
            for entry_id, fields in entries:
                if not await self._handle(sub, entry_id, fields):
                    return  # leave the rest pending; the reclaim loop retries them

    async def _reclaim(self, sub: Subscription, consumer: str) -> None:
        try:
            _next, entries, *_ = await self._redis.xautoclaim(
                sub.stream, sub.group, consumer, min_idle_time=RECLAIM_IDLE_MS, count=50)
        except RedisError as err:
            log.warning("reclaiming %s for %s failed: %s", sub.stream, sub.group, err)
            return
        for entry_id, fields in entries:
            if fields:
                await self._handle(sub, entry_id, fields)

    async def _handle(self, sub: Subscription, entry_id: str, fields: dict[str, str],
                      handled: list[str] | None = None) -> bool:
        """Deliver one entry; ack it at once, or add it to `handled` for the caller to ack with others."""
        try:
            envelope = Envelope.decode(sub.stream, entry_id, fields)
        except ValueError as err:
            log.error("%s; moved to %s.dead", err, sub.stream)
            await self._dead_letter(sub, entry_id, fields)
            return True
        if await deliver(sub, envelope):
            if handled is None:
                await self._redis.xack(sub.stream, sub.group, entry_id)
            else:
                handled.append(entry_id)
            return True
        await self._give_up_if_exhausted(sub, entry_id, fields)
        return False

    async def _give_up_if_exhausted(self, sub: Subscription, entry_id: str, fields: dict) -> None:
        pending = await self._redis.xpending_range(sub.stream, sub.group, min=entry_id, max=entry_id, count=1)
        if pending and pending[0]["times_delivered"] >= MAX_DELIVERIES:
            log.error("dead-lettering %s for group %s after %d deliveries",
                      entry_id, sub.group, MAX_DELIVERIES)
            await self._dead_letter(sub, entry_id, fields)

    async def _dead_letter(self, sub: Subscription, entry_id: str, fields: dict) -> None:
        await self._redis.xadd(f"{sub.stream}.dead", {**fields, "group": sub.group, "origin": entry_id})
        await self._redis.xack(sub.stream, sub.group, entry_id)

    async def close(self) -> None:
        await self.sender.stop()
        self._closing = True
        for task in self._tasks.values():
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks.values(), timeout=BLOCK_MS / 1000 + 3)
        for sub in list(self._tasks):
            if not sub.durable:
                try:
                    await self._redis.xgroup_destroy(sub.stream, sub.group)
                except RedisError:
                    log.debug("could not remove group %s", sub.group)
        self._tasks.clear()
        self._started = False
        self._closing = False
        await self._redis.aclose()

    async def read_all(self, stream: str) -> list[Envelope]:
        entries = await self._redis.xrange(stream)
        return [Envelope.decode(stream, eid, fields) for eid, fields in entries]


async def _once_more_on_a_fresh_connection(call):
    """Run `call`; after a connection error (a pooled connection Redis closed on restart) try once more.

    The pool hands out a new connection for the second try. Retrying a publish can store a batch twice
    when Redis took it but the answer was lost: the events keep their ids, consumers skip the second copy.
    """
    try:
        return await call()
    except RedisConnectionError as err:
        log.info("Redis connection lost (%s); trying once more on a fresh connection", err)
        return await call()
