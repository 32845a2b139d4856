"""Lists and searches of cases that stay fast at millions of rows.

Lists page by keyset: newest first on (created_at, id), the next page starts after the last row's key
(an opaque cursor), so page 2,000 costs what page 1 does; each filter has an index that yields rows in
that order (see the scale migration). Counts stop at LIST_COUNT_CAP. A text that looks like a case
number or a phone number is looked up by index; other text is searched in the full-text documents
(search.py), ranked. Only the ids are chosen here; the caller loads the columns its list shows.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import bindparam, func, select, tuple_
from sqlalchemy.orm import Session

from ticketing.bureau.models import Bureau, Category, Street
from ticketing.case import references, search
from ticketing.case.errors import InvalidCursor, UnknownReference
from ticketing.case.models import Case
from ticketing.case.phone import InvalidPhone, normalize_phone
from ticketing.database.types import UTCDateTime

LIST_COUNT_CAP = 1_000


@dataclass(frozen=True)
class Page:
    """The ids of one page, best or newest first, with the (capped) count and the next page's cursor."""

    ids: list[int]
    total: int
    total_capped: bool
    next_cursor: str | None


def encode_cursor(created_at: datetime, case_id: int) -> str:
    """Opaque cursor of the row after which the next page starts."""
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{case_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(created_at, id) of a cursor; InvalidCursor when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, case_id = raw.split("|")
        created_at = datetime.fromisoformat(moment)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        return created_at, int(case_id)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidCursor() from err


def page_ids(session: Session, criteria) -> Page:
    """Choose the page of case ids for `criteria` (a service.CaseFilter).

    A name or address part narrows a number or phone lookup as text; otherwise it joins the words of the
    full-text search (the index finds the candidates, the text match keeps the cases that hold it there).
    """
    query = select(Case.id, Case.created_at)
    query = _filtered(session, query, criteria)
    kind = search.kind_of(criteria.q) if criteria.q else None
    if kind in ("number", "phone"):
        return _keyset(session, query.where(_lookup(kind, criteria.q.strip())), criteria)
    words = " ".join(part for part in (criteria.q, criteria.caller_name, criteria.address) if part)
    if words.strip():
        return _ranked(session, replace(criteria, q=words))
    return _keyset(session, query, criteria)


def _keyset(session: Session, query, criteria) -> Page:
    count = session.scalar(select(func.count()).select_from(query.limit(LIST_COUNT_CAP + 1).subquery()))
    if criteria.cursor:
        created_at, case_id = decode_cursor(criteria.cursor)
        key = tuple_(bindparam("after_at", created_at, type_=UTCDateTime()), bindparam("after_id", case_id))
        query = query.where(tuple_(Case.created_at, Case.id) < key)
    else:
        query = query.offset((criteria.page - 1) * criteria.per_page)
    query = query.order_by(Case.created_at.desc(), Case.id.desc()).limit(criteria.per_page + 1)
    rows = session.execute(query).all()[: criteria.per_page + 1]
    more = len(rows) > criteria.per_page
    rows = rows[: criteria.per_page]
    cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if more and rows else None
    return Page([r.id for r in rows], min(count or 0, LIST_COUNT_CAP), (count or 0) > LIST_COUNT_CAP, cursor)


def _ranked(session: Session, criteria) -> Page:
    found = search.matches(session, criteria.q, Case.id)
    if found is None:
        return Page([], 0, False, None)
    source, on, match, newest, _rank = found
    hits = select(newest).select_from(source).where(match)
    if _filtered(session, hits, criteria) is not hits:  # a filter on the case's own columns: join the cases
        hits = _filtered(session, hits.join(Case, on), criteria)
    # The newest SEARCH_CAP + 1 matches (the extra one only tells that the count is capped), then their ranks.
    ids = search.newest(session, hits, newest, search.SEARCH_CAP + 1)
    total, ids = len(ids), ids[: search.SEARCH_CAP]
    if not ids:
        return Page([], 0, False, None)
    best = search.best_first(session, found, ids)
    start = (criteria.page - 1) * criteria.per_page
    return Page(best[start:start + criteria.per_page], min(total, search.SEARCH_CAP),
                total > search.SEARCH_CAP, None)


def text_match(session: Session, q: str):
    """WHERE clause on Case of every case `q` finds: number or phone by index, words in the documents."""
    kind = search.kind_of(q)
    if kind != "words":
        return _lookup(kind, q.strip())
    found = search.matches(session, q, Case.id)
    if found is None:
        return Case.id.is_(None)
    source, _on, match, newest, _rank = found
    return Case.id.in_(select(newest).select_from(source).where(match))


def _lookup(kind: str, q: str):
    if kind == "number":
        q = q.upper()
        if "-" in q:
            return Case.number == q
        return (Case.number >= q) & (Case.number < q + "~")  # a day's numbers: FT20261126-0001 ...
    try:
        return Case.caller_phone == normalize_phone(q)
    except InvalidPhone:
        return Case.caller_phone == q


def _filtered(session: Session, query, c):
    if c.status:
        query = query.where(Case.status.in_(c.status.split(",")))
    for model, field, code, column in ((Bureau, "bureau", c.bureau, Case.bureau_id),
                                       (Category, "category", c.category, Case.category_id),
                                       (Street, "street", c.street, Case.street_id)):
        if code:
            found = references.lookup(session, model, code)
            if found is None:
                raise UnknownReference(field, code)
            query = query.where(column == found.id)
    if c.bureau_id is not None:
        query = query.where(Case.bureau_id == c.bureau_id, Case.dispatched_at.is_not(None))
    if c.created_from:
        query = query.where(Case.created_at >= c.created_from)
    if c.created_to:
        query = query.where(Case.created_at < c.created_to)
    if c.caller_phone:
        query = query.where(Case.caller_phone == c.caller_phone)
    for column, part in ((Case.caller_name, c.caller_name), (Case.address, c.address)):
        if part and part.strip():
            query = query.where(column.ilike(f"%{_escape_like(part.strip())}%", escape="\\"))
    return query


def _escape_like(text: str) -> str:
    """Match `text` literally in LIKE (its %, _ and \\ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
