"""Build the one-process hotline: the HTTP app plus every background component, started in its lifespan."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

log = logging.getLogger(__name__)


def create_app() -> FastAPI:
    """Create the HTTP app (API + console) whose lifespan starts the bus and the telephony components."""
    from hotline.settings import get_hotline_settings
    from ticketing import logs
    from ticketing.api import create_api
    from ticketing.web.health import add_readiness

    settings = get_hotline_settings().case  # every section loaded and checked together, once
    logs.configure(settings.log_format)  # also in each of several workers (spawned processes)
    services = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    app = create_api(settings, session_factory=services.session_factory, bus=services.bus, lifespan=lifespan)
    add_readiness(app, services.readiness)
    mount_console(app, services)
    return app


def build_services(settings):
    """Wire the shared services (database, bus) and the components that run beside HTTP."""
    from hotline.components import Services

    return Services.from_settings(settings)


def mount_console(app: FastAPI, services) -> None:
    """Attach the agent console's pages and live feed to the app, when the console is installed."""
    try:
        from agent_console.app import mount
    except ImportError:  # the console package is optional in API-only deployments
        log.info("agent console not mounted")
        return
    mount(app, services)
