"""The webhook component: owe each case event to every receiver, then POST what is due, signed.

Case events reach it through a durable bus group, so an event published while this process was down is
still owed when it comes back; the delivery rows are the durable queue from there on (a crash mid-POST
leaves the row leased for a minute, then another worker sends it again with the same event id, which
receivers de-duplicate by `X-Hotline-Delivery`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from ticketing.bus import Bus, Envelope, Streams
from ticketing.bus import contract as ct
from ticketing.database.core import session_scope
from ticketing.database.types import utcnow
from ticketing.webhook import service, signing

log = logging.getLogger(__name__)
GROUP = "webhooks"
CASE_FIELDS = ("number", "action", "actor", "status", "bureau", "category")
NOTICE_FIELDS = ("number", "kind", "stage", "due", "bureau", "order")
EXTRA_FIELDS = {ct.CaseCalledBack: ("rating",), ct.CaseReopened: ("reason",)}


def public_fields(event: ct.CaseEvent | ct.DeadlineNotice) -> dict[str, Any]:
    """Return the fields of a case event meant for other systems (no internal ids)."""
    if isinstance(event, ct.DeadlineNotice):
        return {"number": event.number, "kind": event.kind, "stage": event.stage, "due": event.due,
                "bureau": event.bureau, "order": event.order}
    names = CASE_FIELDS + EXTRA_FIELDS.get(type(event), ())
    return {name: getattr(event, name) for name in names}


def payload_of(envelope: Envelope, event: ct.CaseEvent | ct.DeadlineNotice) -> dict[str, Any]:
    """Return what a receiver gets: the event's identity and the case fields meant for other systems."""
    return {
        "id": envelope.id,
        "type": envelope.type,
        "version": envelope.version,
        "occurred_at": envelope.occurred_at,
        "case": public_fields(event),
    }


class WebhookSender:
    """Component enqueueing case events for receivers and sending due deliveries."""

    name = "webhooks"

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        bus: Bus,
        *,
        poll: float = 2.0,
        concurrency: int = 8,
        timeout: float = 10.0,
        retry_delays: tuple[float, ...] = signing.RETRY_DELAYS,
    ) -> None:
        self.session_factory, self.bus, self.poll = session_factory, bus, poll
        self.timeout, self.retry_delays = timeout, retry_delays
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._wanted = service.WantedTypes()
        self._task: asyncio.Task | None = None
        self.sent = 0
        self.failures = 0

    async def start(self) -> None:
        """Subscribe to case events and start sending."""
        self.bus.subscribe(Streams.CASES, GROUP, self.on_case_event)
        self._task = asyncio.create_task(self._run(), name="webhook-sender")
        self._task.add_done_callback(_log_crash)

    async def stop(self) -> None:
        """Stop sending (leased deliveries go back to due after their lease)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def alive(self) -> bool:
        """Whether the sending loop runs."""
        return self._task is not None and not self._task.done()

    async def on_case_event(self, envelope: Envelope) -> None:
        """Owe a case event to the receivers that want it (idempotent by event id).

        Types outside the contract's case events are skipped; a malformed case event raises ValueError
        (the bus retries it, then moves it to the dead-letter stream).
        """
        if envelope.type not in service.CASE_EVENT_TYPES:
            return
        event = ct.parse(envelope)
        if not isinstance(event, ct.CaseEvent | ct.DeadlineNotice):
            return
        if not self._wanted.fresh():
            await asyncio.to_thread(self._load_wanted)
        if not self._wanted.wants(envelope.type):
            return  # no receiver wants it: no transaction
        added = await asyncio.to_thread(self._enqueue, envelope, payload_of(envelope, event))
        if added:
            self._wake.set()

    def _load_wanted(self) -> None:
        with session_scope(self.session_factory) as session:
            self._wanted.load(session)

    def _enqueue(self, envelope: Envelope, payload: dict[str, Any]) -> int:
        with session_scope(self.session_factory) as session:
            return service.enqueue(session, envelope.id, envelope.type, envelope.key, payload)

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            while True:
                try:
                    await self.send_due(client)
                except Exception:
                    log.exception("webhook round failed; trying again in %.0f s", self.poll)
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll)
                except TimeoutError:
                    pass

    async def send_due(self, client: httpx.AsyncClient) -> int:
        """Claim the due deliveries and POST them; return how many were tried."""
        attempts = await asyncio.to_thread(self._claim)
        await asyncio.gather(*(self._send(client, attempt) for attempt in attempts))
        return len(attempts)

    def _claim(self) -> list[service.Attempt]:
        with session_scope(self.session_factory) as session:
            return service.claim_due(session, utcnow())

    async def _send(self, client: httpx.AsyncClient, attempt: service.Attempt) -> None:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "citizen-hotline-webhooks/1",
            "X-Hotline-Event": attempt.event_type,
            "X-Hotline-Delivery": attempt.event_id,
            "X-Hotline-Signature": signing.sign(attempt.secret, int(time.time()), attempt.body),
        }
        status_code, error = None, ""
        async with self._limit:
            try:
                response = await client.post(attempt.url, content=attempt.body, headers=headers)
                status_code, error = (
                    response.status_code,
                    "" if response.is_success else response.text[:500],
                )
            except httpx.HTTPError as err:
                error = f"{type(err).__name__}: {err}"
        outcome = await asyncio.to_thread(self._record, attempt.delivery_id, status_code, error)
        if outcome == "delivered":
            self.sent += 1
        else:
            self.failures += 1
            log.warning(
                "webhook delivery %s to %s: %s %s (now %s)",
                attempt.delivery_id,
                attempt.url,
                status_code,
                error[:200],
                outcome,
            )

    def _record(self, delivery_id: int, status_code: int | None, error: str) -> str:
        with session_scope(self.session_factory) as session:
            return service.record(session, delivery_id, status_code, error, utcnow(), self.retry_delays)


def _log_crash(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("webhook sender crashed", exc_info=task.exception())
