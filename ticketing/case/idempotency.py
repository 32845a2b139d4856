"""Idempotency keys of case intake: a client retrying `POST /cases` gets the case it already made.

The key, who sent it and a hash of the request are stored in the same transaction as the case, so a retry
on any worker finds them; a second request with the key still in flight waits on the unique index and then
reads the first one's case. Keys are kept for KEEP_HOURS.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ticketing.case import flows
from ticketing.case.models import Case
from ticketing.case.permissions import Actor
from ticketing.case.schemas import CaseCreate
from ticketing.database.core import Base
from ticketing.database.types import UTCDateTime, utcnow
from ticketing.dataset import Dataset

KEEP_HOURS = 24
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")  # printable ASCII without spaces (UUIDs, ULIDs, ...)


class KeyReused(ValueError):
    """The key was already used for a different request."""


class KeyInFlight(ValueError):
    """Another request with the key is still being taken in."""


class InvalidKey(ValueError):
    """The Idempotency-Key header is empty, too long or not printable ASCII."""


class IdempotencyKey(Base):
    """One `Idempotency-Key` a user sent with a new case, and the case it made."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def check_key(key: str) -> str:
    """Return the key if it is usable, else raise InvalidKey."""
    if not KEY_PATTERN.match(key):
        raise InvalidKey("Idempotency-Key must be 1 to 200 printable ASCII characters without spaces")
    return key


def request_hash(payload: dict) -> str:
    """SHA-256 of the request's canonical JSON (key order and spacing do not matter)."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def find(session: Session, user_id: int, key: str, digest: str) -> int | None:
    """Return the id of the case this key made (None: unused or expired); KeyReused for another request."""
    row = session.get(IdempotencyKey, (user_id, key))
    if row is None or row.created_at < utcnow() - timedelta(hours=KEEP_HOURS):
        return None
    if row.request_hash != digest:
        raise KeyReused("this Idempotency-Key was already used with a different request body")
    return row.case_id


def claim(session: Session, user_id: int, key: str, digest: str) -> bool:
    """Claim the key for this request; False when a concurrent request with the key committed first.

    The user's expired keys go first. The insert runs in a savepoint: a concurrent claim of the same key
    waits on the primary key until the other transaction ends, then fails here without spoiling ours.
    """
    cutoff = utcnow() - timedelta(hours=KEEP_HOURS)
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id,
                                                 IdempotencyKey.created_at < cutoff))
    try:
        with session.begin_nested():
            session.add(IdempotencyKey(user_id=user_id, key=key, request_hash=digest, created_at=utcnow()))
    except IntegrityError:
        return False
    return True


def intake_once(session: Session, dataset: Dataset, data: CaseCreate, actor: Actor, user_id: int,
                key: str | None) -> tuple[Case, bool]:
    """Take in a case, or return the one this key already made; the bool says it was made before."""
    if key is None:
        return flows.intake(session, dataset, data, actor), False
    digest = request_hash(data.model_dump(mode="json"))
    for _ in range(2):  # a lost race reads the winner's case (or, if it rolled back, claims again)
        made = find(session, user_id, check_key(key), digest)
        if made is not None:
            return session.get(Case, made), True
        if claim(session, user_id, key, digest):
            case = flows.intake(session, dataset, data, actor)
            session.get(IdempotencyKey, (user_id, key)).case_id = case.id
            session.flush()
            return case, False
    raise KeyInFlight("another request with this Idempotency-Key is being taken in; retry shortly")

