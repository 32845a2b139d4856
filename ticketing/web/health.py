"""/healthz (is the process serving, does the database answer) and /readyz (is every part ready).

/readyz asks the database and the bus itself, then every readiness source the process registered
(`add_readiness`: bus workers, AMI bridges, speech engines). It answers 503 naming the parts that are not
ready; reasons are fixed words, the drivers' messages go to the log only.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from ticketing.bus.health import Check

log = logging.getLogger(__name__)
PROBE_SECONDS = 3.0
Source = Callable[[], list[Check] | Awaitable[list[Check]]]


def add_readiness(app: FastAPI, source: Source) -> None:
    """Have /readyz also ask `source` (sync or async, returning Checks)."""
    app.state.readiness_sources.append(source)


def install(app: FastAPI) -> None:
    """Add /healthz and /readyz to the app."""
    app.state.readiness_sources = []
    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["health"])
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["health"])


def _database_answers(app: FastAPI) -> bool:
    try:
        with app.state.session_factory() as session:
            session.execute(text("SELECT 1"))
        return True
    except Exception as err:  # any failure means "unavailable"; the driver's words go to the log only
        log.warning("health check: database unavailable: %s", str(err).splitlines()[0] if str(err) else err)
        return False


async def healthz(request: Request) -> JSONResponse:
    """Report whether the process serves and its database answers (no error text to anyone)."""
    if not await asyncio.to_thread(_database_answers, request.app):
        return JSONResponse({"status": "unhealthy", "database": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok", "dataset": request.app.state.dataset.name})


async def readyz(request: Request) -> JSONResponse:
    """Report whether every part is ready; 503 with the failing parts otherwise."""
    checks = await gather(request.app)
    failing = [c.name for c in checks if not c.ok]
    body = {"status": "not ready" if failing else "ready", "failing": failing,
            "checks": {c.name: "ok" if c.ok else c.reason or "not ready" for c in checks}}
    return JSONResponse(body, status_code=503 if failing else 200)


async def gather(app: FastAPI) -> list[Check]:
    """Run every readiness probe of the app."""
    checks = [Check("database", await asyncio.to_thread(_database_answers, app), "unreachable")]
    checks.append(await _bus_check(app.state.bus))
    for source in app.state.readiness_sources:
        try:
            found = source()
            checks.extend(await found if inspect.isawaitable(found) else found)
        except Exception:
            log.exception("readiness source %r failed", source)
            checks.append(Check(getattr(source, "__qualname__", "component"), False, "check failed"))
    return checks


async def _bus_check(bus) -> Check:
    ping = getattr(bus, "ping", None)
    if bus is None or ping is None:  # no bus, or the in-process one: nothing to reach
        return Check("bus", True)
    try:
        async with asyncio.timeout(PROBE_SECONDS):
            await ping()
        return Check("bus", True)
    except Exception as err:
        log.warning("readiness: bus unreachable: %s", err)
        return Check("bus", False, "unreachable")
