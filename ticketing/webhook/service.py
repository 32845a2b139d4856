"""Webhook receivers and deliveries: register, enqueue an event for every receiver, claim due ones, record."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.bus import contract as ct
from ticketing.bus.streams import Streams
from ticketing.database.types import utcnow
from ticketing.database.watch import on_write
from ticketing.webhook import signing
from ticketing.webhook.models import DELIVERED, FAILED, PENDING, WebhookDelivery, WebhookSubscription

LEASE = timedelta(seconds=60)  # a claimed delivery is another worker's again if no result came by then
# Every case event of the contract: case.created, case.changed, case.called_back, case.reopened and the
# deadline notices (case.reminder, case.overdue, case.urged, case.supervised).
CASE_EVENT_TYPES = tuple(sorted(t for t, cls in ct.EVENT_TYPES.items() if cls.STREAM == Streams.CASES))


WANTED_REFRESH = 5.0  # seconds the process trusts its list of wanted event types (see WantedTypes)
EVERY_TYPE = "*"


class WebhookError(Exception):
    """A registration that cannot be made (bad URL, a name in use, an unknown receiver)."""


def check_url(url: str) -> str:
    """Return URL if it is an absolute http(s) URL a POST can go to; raise WebhookError otherwise."""
    url = url.strip()
    parts = urlsplit(url)
    if "\x00" in url or len(url) > 500 or parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError(
            "the URL must be an absolute http:// or https:// address of at most 500 characters"
        )
    return url


def register(
    session: Session, name: str, url: str, event_types: list[str] | None = None
) -> WebhookSubscription:
    """Add receiver NAME at URL for EVENT_TYPES (all case events when empty); its secret is generated."""
    name = name.strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise WebhookError("a receiver name of 1-100 characters is needed")
    unknown = sorted(set(event_types or ()) - set(CASE_EVENT_TYPES))
    if unknown:
        raise WebhookError(f"unknown event types {unknown}: choose from {list(CASE_EVENT_TYPES)}")
    if get_by_name(session, name) is not None:
        raise WebhookError(f"a receiver named {name!r} exists already")
    subscription = WebhookSubscription(
        name=name,
        url=check_url(url),
        secret=secrets.token_hex(32),
        event_types=sorted(set(event_types or ())),
    )
    session.add(subscription)
    session.flush()
    return subscription


def get_by_name(session: Session, name: str) -> WebhookSubscription | None:
    """Return the receiver called NAME."""
    return session.scalar(select(WebhookSubscription).where(WebhookSubscription.name == name))


def get(session: Session, subscription_id: int) -> WebhookSubscription | None:
    """Return a receiver by id."""
    return session.get(WebhookSubscription, subscription_id)


def get_all(session: Session) -> list[WebhookSubscription]:
    """Return every receiver, newest first."""
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id.desc())))


def disable(session: Session, subscription: WebhookSubscription) -> None:
    """Stop sending to a receiver; its pending deliveries are dropped as failed."""
    subscription.disabled_at = subscription.disabled_at or utcnow()
    for delivery in session.scalars(
        select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription.id, WebhookDelivery.status == PENDING
        )
    ):
        delivery.status, delivery.last_error = FAILED, "receiver disabled"
    session.flush()


def wants(event_types: list[str], event_type: str) -> bool:
    """Whether a receiver registered for `event_types` (empty: every case event) wants `event_type`."""
    return not event_types or event_type in event_types


def wanted_types(session: Session) -> frozenset[str]:
    """Return the event types some active receiver wants (EVERY_TYPE among them when one wants all)."""
    types: set[str] = set()
    for event_types in session.scalars(
        select(WebhookSubscription.event_types).where(WebhookSubscription.disabled_at.is_(None))
    ):
        types.update(event_types or (EVERY_TYPE,))  # the receiver wants every type (see wants)
    return frozenset(types)


class WantedTypes:
    """Which case events any receiver wants, kept in the process so an unwanted event costs no query.

    Most districts have no receiver, or one for a few types; without this every case event took a
    transaction of the webhook consumer to find that out (8 % of intake's CPU). The answer is reloaded
    WANTED_REFRESH after loading, and at once when any session of this process writes a receiver (after
    the flush and after its commit). So a receiver registered here gets the very next event; one
    registered through another process (another worker, `hotline webhooks add`) gets events published
    from at most WANTED_REFRESH later. Skipping is the only thing decided from memory: an event some
    receiver may want is enqueued against the receivers read in its own transaction, as before.
    """

    _generation = 0  # bumped on every write of a receiver in this process
    _bump_lock = threading.Lock()

    def __init__(self) -> None:
        self._types: frozenset[str] | None = None
        self._loaded_at = 0.0
        self._loaded_generation = -1

    @classmethod
    def forget(cls) -> None:
        """Make every instance reload before its next answer."""
        with cls._bump_lock:
            cls._generation += 1

    def fresh(self) -> bool:
        """Whether the kept answer may be used."""
        return (
            self._types is not None
            and self._loaded_generation == WantedTypes._generation
            and time.monotonic() - self._loaded_at < WANTED_REFRESH
        )

    def load(self, session: Session) -> None:
        """Read the wanted types in `session` (committed receivers) and keep them."""
        generation, loaded_at = WantedTypes._generation, time.monotonic()  # before reading: a write
        self._types = wanted_types(session)  # during the read leaves the answer stale, never wrong
        self._loaded_at, self._loaded_generation = loaded_at, generation

    def wants(self, event_type: str) -> bool:
        """Whether some receiver may want `event_type` (call only when fresh())."""
        assert self._types is not None
        return EVERY_TYPE in self._types or event_type in self._types  # empty: no receiver at all


on_write((WebhookSubscription,), WantedTypes.forget, key="webhook_receivers_touched")


def enqueue(session: Session, event_id: str, event_type: str, key: str, payload: dict[str, Any]) -> int:
    """Owe the event to every active receiver that wants it, once: a replayed event adds nothing, also
    when the bus hands the same event to two consumers at once (the unique (receiver, event) pair decides,
    ON CONFLICT DO NOTHING; reading what is owed first raced: both saw nothing and the second failed)."""
    receivers = session.scalars(
        select(WebhookSubscription).where(WebhookSubscription.disabled_at.is_(None))
    )
    wanted = [r for r in receivers if wants(r.event_types, event_type)]
    if not wanted:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    rows = [{"subscription_id": r.id, "event_id": event_id, "event_type": event_type, "key": key,
             "payload": payload} for r in wanted]
    added = session.execute(
        insert(WebhookDelivery).values(rows)
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
        .returning(WebhookDelivery.id)
    )
    return len(added.all())


@dataclass(frozen=True)
class Attempt:
    """A claimed delivery with what its POST needs."""

    delivery_id: int
    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes


def claim_due(session: Session, now: datetime, limit: int = 20) -> list[Attempt]:
    """Lease up to LIMIT due deliveries to this worker (SKIP LOCKED: each goes to one worker)."""
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    attempts = []
    for delivery in session.scalars(query).unique():
        delivery.next_attempt_at = now + LEASE
        attempts.append(
            Attempt(
                delivery.id,
                delivery.subscription.url,
                delivery.subscription.secret,
                delivery.event_id,
                delivery.event_type,
                signing.body_of(delivery.payload),
            )
        )
    session.flush()
    return attempts


def record(
    session: Session,
    delivery_id: int,
    status_code: int | None,
    error: str,
    now: datetime,
    delays: tuple[float, ...] = signing.RETRY_DELAYS,
) -> str:
    """Record one POST's outcome: delivered on 2xx, else retried later or failed for good."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != PENDING:
        return delivery.status if delivery else FAILED
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = status_code, error[:2000]
    if status_code is not None and 200 <= status_code < 300:
        delivery.status, delivery.delivered_at = DELIVERED, now
    else:
        delay = signing.next_delay(delivery.attempts, status_code, delays)
        if delay is None:
            delivery.status = FAILED
        else:
            delivery.next_attempt_at = now + timedelta(seconds=delay)
    session.flush()
    return delivery.status


def deliveries(session: Session, subscription_id: int, limit: int = 100) -> list[WebhookDelivery]:
    """Return a receiver's newest deliveries (the delivery log)."""
    return list(
        session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription_id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def retry(session: Session, delivery: WebhookDelivery, now: datetime | None = None) -> None:
    """Send a failed delivery again from now on (after the receiver was fixed)."""
    delivery.status, delivery.attempts, delivery.next_attempt_at = PENDING, 0, now or utcnow()
    session.flush()
