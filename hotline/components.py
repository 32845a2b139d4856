"""Shared services of one hotline process and the background components it runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ticketing.bus import Bus, create_bus
from ticketing.bus.health import Check, WorkerHealth, worker_checks
from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory
from ticketing.outbox import Relay

log = logging.getLogger(__name__)


class Component(Protocol):
    """A long-running part of the process (AMI bridge, FastAGI server, recorder, ...)."""

    name: str

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Services:
    """Database, bus and components shared by everything in one process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    bus: Bus
    components: list[Component] = field(default_factory=list)
    phones: object | None = None  # browser phones' SIP accounts (ivr.asterisk.webrtc.BrowserPhones)

    @classmethod
    def from_settings(cls, settings: Settings) -> Services:
        """Build the shared services and ask each package for the components this process runs."""
        engine = make_engine(settings.sqlalchemy_url)
        redis_url = settings.redis_url.get_secret_value() if settings.redis_url else None
        services = cls(settings=settings, engine=engine, session_factory=make_session_factory(engine),
                       bus=create_bus(redis_url))
        from ivr.runtime import browser_phones
        from ivr.runtime import build_components as ivr_components

        services.components.append(Relay(services.session_factory, services.bus))
        services.components.extend(ivr_components(services))
        services.components.append(_supervision(services))
        services.components.append(_webhooks(services))
        services.phones = browser_phones()
        return services

    def health(self) -> list[WorkerHealth]:
        """Return the liveness of every bus worker of this process (consumers, senders, outbox relay).

        For /readyz ("consumers alive": every entry `healthy`) and /metrics (backlogs).
        """
        reports = list(self.bus.health())
        for component in self.components:
            report = getattr(component, "health", None)
            if report is not None:
                reports.extend(_as_list(report()))
        return reports

    def readiness(self) -> list[Check]:
        """Return what /readyz checks in this process besides database and bus: workers, AMI, speech."""
        checks = worker_checks(self.health())
        for component in self.components:
            ready = getattr(component, "readiness", None)
            if ready is not None:
                checks.extend(ready())
        return checks

    async def start(self) -> None:
        """Start components (which subscribe to the bus), then the bus consumers."""
        started: list[Component] = []
        try:
            for component in self.components:
                log.info("starting %s", component.name)
                await component.start()
                started.append(component)
            await self.bus.start()
        except BaseException:
            for component in reversed(started):
                await _stop_quietly(component)
            raise

    async def stop(self) -> None:
        """Stop components in reverse order, then the bus, then the database pool."""
        for component in reversed(self.components):
            await _stop_quietly(component)
        await self.bus.close()
        self.engine.dispose()


def _supervision(services: Services) -> Component:
    """The deadline scheduler (临期提醒, 超期, 催办, 督办); safe to run in every process."""
    from ticketing.dataset import load_dataset
    from ticketing.supervision.component import SupervisionScheduler

    settings = services.settings
    return SupervisionScheduler(services.session_factory, load_dataset(settings.dataset_dir),
                                settings.supervision_interval)


def _webhooks(services: Services) -> Component:
    """The sender of signed case events to registered receivers (idle while none is registered)."""
    from ticketing.webhook.worker import WebhookSender

    return WebhookSender(services.session_factory, services.bus)


def _as_list(report: WorkerHealth | list[WorkerHealth]) -> list[WorkerHealth]:
    return report if isinstance(report, list) else [report]


async def _stop_quietly(component: Component) -> None:
    try:
        await component.stop()
    except Exception:
        log.exception("stopping %s failed", component.name)
