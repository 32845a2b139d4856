"""Prometheus /metrics: request latency per route, and the centre's state read at scrape time.

Calls, cases and the outbox are counted from the database and consumer lag from Redis when scraped, so
every worker process answers the same (safe with several workers). The request histogram lives in each
process; with several workers `hotline serve` sets PROMETHEUS_MULTIPROC_DIR and the scrape merges them.

Only scrapers the settings allow are answered: a client from `metrics_networks` (loopback by default), or one
showing `metrics_token` as a bearer token; anyone else gets 401 or 403 (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import os
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau
from ticketing.bus.streams import Streams
from ticketing.call.models import Call
from ticketing.case.models import Case
from ticketing.case.states import OPEN_STATUSES
from ticketing.database.types import utcnow
from ticketing.outbox.models import OutboxEntry
from ticketing.web import health

LIVE_CALL_HOURS = 4  # an open call older than this is a lost record, not a live call
REQUEST_SECONDS = Histogram(
    "hotline_http_request_duration_seconds", "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
STREAMS = [Streams.CALLS, Streams.AGENTS, Streams.TRANSCRIPTS, Streams.CASES, Streams.AMI_COMMANDS,
           Streams.AMI_REPLIES]


class RequestTimer:
    """ASGI middleware timing every HTTP request under its route template (never the raw path)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def timed_send(message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            REQUEST_SECONDS.labels(scope["method"], route_template(scope), str(status[0])).observe(
                time.perf_counter() - started)


def route_template(scope) -> str:
    """The matched route's path with its prefix (/api/v1/cases/{number}); static files and misses apart."""
    included = (scope.get("fastapi") or {}).get("effective_route_context")  # a route of an included router
    found = getattr(included, "path_format", None) or getattr(scope.get("route"), "path", None)
    return found or ("static" if "/static/" in scope["path"] else "unmatched")


def install(app: FastAPI) -> None:
    """Add /metrics and the request timer to the app."""
    app.add_api_route("/metrics", metrics, methods=["GET"], tags=["health"], include_in_schema=False)
    app.add_middleware(RequestTimer)


async def metrics(request: Request) -> Response:
    """Answer the Prometheus text format: this process's histograms plus the state read now."""
    app = request.app
    refusal = refuse_scraper(request)
    if refusal is not None:
        return refusal
    families = await asyncio.to_thread(_database_families, app)
    families += await _lag_families(app.state.bus)
    families += _readiness_families(await health.gather(app))
    body = generate_latest(_process_registry()) + generate_latest(_Snapshot(families))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def refuse_scraper(request: Request) -> Response | None:
    """Return the 401/403 answer for a client the settings do not allow to scrape (None: allowed)."""
    settings = request.app.state.settings
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    if _from_networks(request, settings.metrics_networks):
        return None
    if token:
        return JSONResponse({"detail": "metrics need the scrape token (Authorization: Bearer ...)"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})
    return JSONResponse({"detail": "metrics are served only to the configured networks"}, status_code=403)


def _from_networks(request: Request, networks) -> bool:
    try:  # the peer as uvicorn saw it (X-Forwarded-For only from its trusted proxies)
        address = ipaddress.ip_address(request.client.host if request.client else "")
    except ValueError:
        return False  # not an IP address (a Unix socket, a test client's name)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


def _process_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


class _Snapshot:
    """A registry-like collector of families computed for one scrape."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


def _database_families(app: FastAPI) -> list[GaugeMetricFamily]:
    now = utcnow()
    midnight = _local_midnight(now, ZoneInfo(app.state.settings.timezone))
    with app.state.session_factory() as session:
        return [*_call_families(session, now, midnight), *_case_families(session, now),
                _gauge("hotline_outbox_backlog", "Events committed but not yet published to the bus",
                       [([], session.scalar(select(func.count()).select_from(OutboxEntry)
                                            .where(OutboxEntry.sent_at.is_(None))) or 0)])]


def _local_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _call_families(session: Session, now: datetime, midnight: datetime) -> list[GaugeMetricFamily]:
    live = session.execute(
        select(Call.queue, Call.queued_at.is_not(None), Call.answered_at.is_not(None), func.count(),
               func.min(Call.queued_at))
        .where(Call.status == "open", Call.started_at > now - timedelta(hours=LIVE_CALL_HOURS))
        .group_by(Call.queue, Call.queued_at.is_not(None), Call.answered_at.is_not(None))).all()
    in_ivr = sum(n for _q, queued, answered, n, _first in live if not queued and not answered)
    waiting = [([q or "-"], n) for q, queued, answered, n, _first in live if queued and not answered]
    talking = [([q or "-"], n) for q, _queued, answered, n, _first in live if answered]
    oldest = [([q or "-"], (now - first).total_seconds()) for q, queued, answered, _n, first in live
              if queued and not answered and first is not None]
    today = session.execute(select(Call.outcome, func.count()).where(Call.started_at >= midnight)
                            .group_by(Call.outcome)).all()
    waits = session.execute(select(func.avg(Call.wait_seconds), func.max(Call.wait_seconds))
                            .where(Call.started_at >= midnight, Call.wait_seconds.is_not(None))).one()
    abandoned = sum(n for outcome, n in today if outcome.startswith("abandoned"))
    return [
        _gauge("hotline_calls_in_ivr", "Live calls in the IVR menus", [([], in_ivr)]),
        _gauge("hotline_calls_in_queue", "Live calls waiting in a queue", waiting, ["queue"]),
        _gauge("hotline_calls_talking", "Live calls answered by an agent", talking, ["queue"]),
        _gauge("hotline_queue_longest_wait_seconds", "How long the longest-waiting call has waited", oldest,
               ["queue"]),
        _gauge("hotline_calls_today", "Calls since local midnight by outcome", [([o], n) for o, n in today],
               ["outcome"]),
        _gauge("hotline_calls_abandoned_today", "Calls hung up in the IVR or queue since midnight",
               [([], abandoned)]),
        _gauge("hotline_queue_wait_seconds_today", "Queue waits of calls since midnight (average, longest)",
               [(["average"], float(waits[0] or 0)), (["longest"], float(waits[1] or 0))], ["stat"]),
    ]


def _case_families(session: Session, now: datetime) -> list[GaugeMetricFamily]:
    bureau = func.coalesce(Bureau.code, "-")
    is_open = Case.status.in_(sorted(OPEN_STATUSES))
    cases = select().select_from(Case).outerjoin(Bureau, Case.bureau_id == Bureau.id).where(is_open)
    by_state = session.execute(cases.add_columns(Case.status, bureau, func.count())
                               .group_by(Case.status, bureau)).all()
    overdue = session.execute(cases.add_columns(bureau, func.count()).where(Case.sla_due_at < now)
                              .group_by(bureau)).all()
    return [
        _gauge("hotline_open_cases", "Open cases by state and bureau", [([s, b], n) for s, b, n in by_state],
               ["status", "bureau"]),
        _gauge("hotline_overdue_cases", "Open cases past their current deadline, by bureau",
               [([b], n) for b, n in overdue], ["bureau"]),
    ]


async def _lag_families(bus) -> list[GaugeMetricFamily]:
    lag = getattr(bus, "lag", None)
    if lag is None:
        return []
    try:
        async with asyncio.timeout(health.PROBE_SECONDS):
            found = await lag(STREAMS)
    except Exception:  # Redis down: /readyz and hotline_ready say so
        return []
    return [_gauge("hotline_consumer_lag", "Bus entries a consumer group has yet to read or acknowledge",
                   [([name], n) for name, n in sorted(found.items())], ["consumer"])]


def _readiness_families(checks) -> list[GaugeMetricFamily]:
    return [_gauge("hotline_ready", "1 when a part (database, bus, worker, AMI, speech) is ready",
                   [([c.name], 1 if c.ok else 0) for c in checks], ["part"])]


def _gauge(name: str, doc: str, samples, labels: list[str] | None = None) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=labels or [])
    for values, value in samples:
        family.add_metric(values, value)
    return family
