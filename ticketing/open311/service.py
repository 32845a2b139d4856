"""Open311 clients and requests: keys, the service list, filing a request as a case, finding requests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.bureau.models import Category
from ticketing.case import states
from ticketing.case.models import Case
from ticketing.database.types import utcnow
from ticketing.dataset import Dataset
from ticketing.open311.formats import Open311Error
from ticketing.open311.models import Open311Client, Open311Request

CLOSED = frozenset({states.RESOLVED, states.CLOSED, states.MERGED})
WINDOW = timedelta(days=90)  # the spec's default and widest date range
MAX_RESULTS = 1000
MAX_IDS = 200


class ClientError(Exception):
    """A key command that cannot be done (a name in use, an unknown client)."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key(session: Session, name: str) -> str:
    """Register client NAME and return its new API key (only its hash is stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ClientError("a client name of 1-100 characters is needed")
    if session.scalar(select(Open311Client).where(Open311Client.name == name)) is not None:
        raise ClientError(f"client {name!r} exists already: revoke it first or choose another name")
    key = secrets.token_urlsafe(24)
    session.add(Open311Client(name=name, key_hash=_digest(key), key_prefix=key[:8]))
    session.flush()
    return key


def revoke_key(session: Session, name: str) -> None:
    """Revoke client NAME's key; its requests stay."""
    client = session.scalar(select(Open311Client).where(Open311Client.name == name))
    if client is None:
        raise ClientError(f"no client named {name!r}")
    client.revoked_at = client.revoked_at or utcnow()
    client.name = f"{name} (revoked {client.id})"
    session.flush()


def get_all_clients(session: Session) -> list[Open311Client]:
    """Return every client, newest first."""
    return list(session.scalars(select(Open311Client).order_by(Open311Client.id.desc())))


def client_for_key(session: Session, key: str | None) -> Open311Client:
    """Return the active client holding KEY; 403 in the spec's words otherwise."""
    if not key:
        raise Open311Error(400, "api_key is required to submit a request")
    client = session.scalar(select(Open311Client).where(Open311Client.key_hash == _digest(key)))
    if client is None or client.revoked_at is not None:
        raise Open311Error(403, "api_key is not valid")
    return client


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters, already checked."""

    numbers: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None


def window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """Return the date range to search: the spec's 90-day default, and never wider than 90 days."""
    if start is None and end is None:
        return now - WINDOW, now
    if start is None:
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > WINDOW:
        raise Open311Error(400, "start_date and end_date may not span more than 90 days")
    return start, end


def find_requests(
    session: Session, query: RequestQuery, now: datetime
) -> list[tuple[Case, Open311Request | None]]:
    """Return the cases matching the query with their Open311 rows, newest first, at most 1000."""
    statement = select(Case, Open311Request).outerjoin(Open311Request, Open311Request.case_id == Case.id)
    if query.numbers:
        statement = statement.where(Case.number.in_(query.numbers))
    else:
        start, end = window(query.start, query.end, now)
        statement = statement.where(Case.created_at >= start, Case.created_at <= end)
        if query.service_codes:
            statement = statement.join(Category, Case.category_id == Category.id).where(
                Category.code.in_(query.service_codes))
        if query.statuses and set(query.statuses) != {"open", "closed"}:
            closed = Case.status.in_(CLOSED)
            statement = statement.where(closed if query.statuses == ("closed",) else ~closed)
    statement = statement.order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_RESULTS)
    return [(case, row) for case, row in session.execute(statement).unique()]


def by_token(session: Session, token: str) -> Open311Request | None:
    """Return the request filed under TOKEN."""
    return session.scalar(select(Open311Request).where(Open311Request.token == token))


def record_request(session: Session, case: Case, client: Open311Client, media_url: str) -> Open311Request:
    """Remember that CLIENT filed CASE; the token lets the client look the request up later."""
    row = Open311Request(case=case, client_id=client.id, token=secrets.token_hex(16), media_url=media_url)
    session.add(row)
    session.flush()
    return row


def street_in(dataset: Dataset, address: str) -> str | None:
    """Return the code of the street (街道) the address names, when it names exactly one."""
    found = {code for code, street in dataset.streets.items() if street.name_zh in address}
    return found.pop() if len(found) == 1 else None
