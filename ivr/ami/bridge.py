"""The AMI bridge: the one component that talks AMI, as a Component of `hotline serve`.

It keeps one logged-in AMI session up (reconnect with backoff; a Ping every few seconds that must be
answered in time, since panoramisk never notices a dead peer), turns AMI events into typed telephony
events through the handlers, reconciles after every (re)connect and FullyBooted, publishes through its
bounded sender (ticketing/bus/sender.py) and executes commands other processes put on the bus. Asterisk
being down never stops the process: the bridge logs and keeps retrying.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

from ivr.ami.actions import AmiActions
from ivr.ami.commands import CommandConsumer
from ivr.ami.connection import AmiConnection
from ivr.ami.errors import AmiAuthError, AmiError
from ivr.ami.handlers import HandlerContext, handle
from ivr.ami.reconcile import reconcile, refresh_queues
from ivr.ami.state import CallRegistry
from ivr.config import IvrSettings
from ticketing import logs
from ticketing.bus import Bus
from ticketing.bus.health import Check
from ticketing.bus.sender import Sender

log = logging.getLogger(__name__)
RECONCILE_RETRY_MIN = 0.5  # seconds before retrying a failed reconciliation (doubles)
RECONCILE_RETRY_MAX = 5.0


class AmiBridge:
    """Connect to one Asterisk's AMI and keep the bus informed about its calls, queues and agents."""

    name = "ami-bridge"

    def __init__(self, bus: Bus, *, host: str, port: int, username: str, secret: str, server: str = "default",
                 action_timeout: float = 5.0, ping_interval: float = 5.0, ping_timeout: float = 3.0,
                 reconnect_min: float = 0.5, reconnect_max: float = 15.0, stats_interval: float = 10.0,
                 command_ttl: float = 60.0) -> None:
        self.bus = bus
        self.address = (host, port)
        self._credentials = (username, secret)
        self.ctx = HandlerContext(CallRegistry(server))
        self.notifier = Sender(bus, name=f"ami-bridge.{server}")  # bounded local queue with retry
        self.actions = AmiActions(self._live_connection, action_timeout)
        self.commands = CommandConsumer(bus, self.actions, server=server, ttl=command_ttl)
        self.ping_interval, self.ping_timeout = ping_interval, ping_timeout
        self.reconnect_min, self.reconnect_max = reconnect_min, reconnect_max
        self.stats_interval = stats_interval
        self.connects = 0
        self.connected = asyncio.Event()
        self._connection: AmiConnection | None = None
        self._lost = asyncio.Event()
        self._reconcile_lock = asyncio.Lock()
        self._reconcile_again = False  # FullyBooted arrived while a reconciliation was running
        self._task: asyncio.Task | None = None
        self._side_tasks: set[asyncio.Task] = set()

    @classmethod
    def from_settings(cls, settings: IvrSettings, bus: Bus) -> AmiBridge:
        """Build the bridge for the configured Asterisk (secret: setting, else the instance's own)."""
        secret = settings.ami_secret.get_secret_value() if settings.ami_secret else None
        if secret is None:
            from ivr.asterisk.instance import Instance

            secret = Instance.from_settings(settings).secrets().ami_secret
        return cls(bus, host=settings.ami_address, port=settings.ami_port, username=settings.ami_username,
                   secret=secret, server=settings.ami_server, action_timeout=settings.ami_action_timeout,
                   ping_interval=settings.ami_ping_interval, ping_timeout=settings.ami_ping_timeout,
                   reconnect_min=settings.ami_reconnect_min, reconnect_max=settings.ami_reconnect_max,
                   stats_interval=settings.ami_queue_stats_interval, command_ttl=settings.ami_command_ttl)

    # --- Component ---------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start publishing, subscribe to commands and begin connecting (returns at once)."""
        await self.notifier.start()
        self.commands.subscribe()
        self._task = asyncio.create_task(self._run(), name="ami-bridge")
        self._task.add_done_callback(self._log_crash)

    async def stop(self) -> None:
        """Disconnect, stop background work and publish what is still queued."""
        tasks = {t for t in (self._task, *self._side_tasks) if t is not None}
        while tasks:  # cancel again if a cancellation was swallowed by a library await
            for task in tasks:
                task.cancel()
            _done, tasks = await asyncio.wait(tasks, timeout=1.0)
        self._task = None
        self._close_connection()
        await self.notifier.stop()

    def health(self):
        """Report the liveness of the bridge's sender (its bounded queue of telephony events)."""
        return self.notifier.health()

    def readiness(self) -> list[Check]:
        """Whether the bridge is logged in to its Asterisk (for /readyz)."""
        return [Check(f"ami {self.ctx.registry.server}", self._live_connection() is not None
                      and self.connected.is_set(), "not connected")]

    async def wait_connected(self, limit: float) -> None:
        """Wait until the bridge is logged in (raises TimeoutError)."""
        async with asyncio.timeout(limit):
            await self.connected.wait()

    # --- connection loop -------------------------------------------------------------------------------
    def _live_connection(self) -> AmiConnection | None:
        connection = self._connection
        return connection if connection is not None and connection.connected else None

    async def _run(self) -> None:
        delay = self.reconnect_min
        while True:
            try:
                await self._session()
                delay = self.reconnect_min
            except AmiAuthError as err:
                log.error("AMI at %s:%s refused the login (%s): that Asterisk is another clone's, or "
                          "runs with older secrets (`hotline asterisk stop`, `start`); retrying in %.1f s",
                          *self.address, err, delay)
            except (OSError, AmiError) as err:
                log.warning("AMI at %s:%s unavailable (%s); retrying in %.1f s", *self.address, err, delay)
            except Exception:
                log.exception("AMI session failed; retrying in %.1f s", delay)
            finally:
                self._close_connection()
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self.reconnect_max)

    async def _session(self) -> None:
        """Connect, log in, reconcile, then watch the connection until it is lost."""
        self._lost = asyncio.Event()
        lost = self._lost
        self._connection = AmiConnection(on_event=self._on_event, on_lost=lambda _exc: lost.set())
        await self._connection.open(*self.address, *self._credentials, limit=self.actions.timeout)
        self.connects += 1
        self.connected.set()
        # Beside the liveness watch, so a reconciliation Asterisk does not answer cannot hide a dead link.
        self._spawn(self._reconcile("connect"))
        await self._watch(lost)

    async def _watch(self, lost: asyncio.Event) -> None:
        next_stats = time.monotonic() + self.stats_interval
        while not lost.is_set():
            try:
                async with asyncio.timeout(self.ping_interval):
                    await lost.wait()
                break
            except TimeoutError:
                pass
            try:
                await self.actions.ping(limit=self.ping_timeout)
            except AmiError as err:
                log.warning("AMI liveness check failed (%s); reconnecting", err)
                return
            if time.monotonic() >= next_stats:
                next_stats = time.monotonic() + self.stats_interval
                await self._refresh_queue_stats()
        log.warning("AMI connection to %s:%s lost; reconnecting", *self.address)

    def _close_connection(self) -> None:
        self.connected.clear()
        self._lost.set()  # ends this session's side work (a reconciliation still retrying)
        if self._connection is not None:
            self._connection.abort()
            self._connection.close()
            self._connection = None

    # --- events -----------------------------------------------------------------------------------------
    def _on_event(self, message) -> None:
        """panoramisk's callback for every event: run the handler, queue its events, never raise."""
        try:
            with logs.bind(call=message.get("Linkedid")):
                events = handle(self.ctx, message)
        except Exception:
            log.exception("AMI handler for %s failed", message.get("Event"))
            return
        if events:
            self.notifier.emit(events)
        if message.get("Event") == "FullyBooted" and self.connected.is_set():
            if self._reconcile_lock.locked():  # the running one may have asked before the modules loaded
                self._reconcile_again = True
            else:
                self._spawn(self._reconcile("FullyBooted"))

    async def _reconcile(self, why: str) -> None:
        lost = self._lost  # this session's: a later connection reconciles on its own
        async with self._reconcile_lock:
            delay = RECONCILE_RETRY_MIN
            while not lost.is_set():
                self._reconcile_again = False
                try:
                    await reconcile(self.ctx, self.actions, self.notifier.emit)
                except AmiError as err:
                    # An Asterisk still booting (or busy) may not answer yet; until a reconciliation
                    # succeeds, calls that ended while we were away stay open: retry while connected.
                    log.warning("reconciliation after %s failed: %s; retrying in %.1f s", why, err, delay)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), delay)
                    delay = min(delay * 2, RECONCILE_RETRY_MAX)
                    continue
                if not self._reconcile_again:
                    return
                why = "FullyBooted"

    async def _refresh_queue_stats(self) -> None:
        try:
            self.notifier.emit(await refresh_queues(self.ctx, self.actions))
        except AmiError as err:
            log.warning("refreshing queue figures failed: %s", err)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._side_tasks.add(task)
        task.add_done_callback(self._side_tasks.discard)
        task.add_done_callback(self._log_crash)

    @staticmethod
    def _log_crash(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("AMI bridge task %s crashed", task.get_name(), exc_info=task.exception())
