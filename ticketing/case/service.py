"""Read and write cases, their events and attachments. Functions flush only; callers commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    String,
    Text,
    bindparam,
    cast,
    func,
    insert,
    inspect,
    literal_column,
    null,
    select,
    text,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Session, make_transient_to_detached

from ticketing.bureau.models import Bureau, Category, Street
from ticketing.call.models import Call, CaseCall
from ticketing.case import listing, search
from ticketing.case.errors import CaseNotFound
from ticketing.case.models import ATTACHMENT_KINDS, Case, CaseAttachment, CaseEvent, CaseNumberCounter
from ticketing.case.phone import InvalidPhone, normalize_phone
from ticketing.case.schemas import CallerHistory, CallSummary, CaseSummary
from ticketing.database.types import utcnow

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class CaseFilter:
    """Criteria of a case search; None means 'any'."""

    status: str | None = None
    bureau: str | None = None
    category: str | None = None
    street: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    caller_phone: str | None = None
    caller_name: str | None = None  # part of the caller's name (searched as words, then matched as text)
    address: str | None = None  # part of the address (likewise)
    q: str | None = None
    bureau_id: int | None = None  # set for bureau users: only cases dispatched to their bureau
    cursor: str | None = None  # next_cursor of the previous page (keyset paging; `page` is then ignored)
    page: int = 1
    per_page: int = 50


def get_by_number(session: Session, number: str) -> Case | None:
    """Return the case with this number, or None."""
    return session.scalars(select(Case).where(Case.number == number)).first()


def require(session: Session, number: str) -> Case:
    """Return the case with this number or raise CaseNotFound."""
    case = get_by_number(session, number)
    if case is None:
        raise CaseNotFound(number)
    return case


def lock(session: Session, numbers: set[str]) -> dict[str, Case]:
    """Lock these cases until the commit and return them freshly read, by number (missing ones left out).

    Rows are locked in id order, so two requests locking the same cases never deadlock. SQLite has no
    row locks: a write that changes nothing takes its database-wide write lock before the read instead.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(Case).where(Case.number.in_(numbers)).values(number=Case.number),
                        execution_options={"synchronize_session": False})
    query = (select(Case).where(Case.number.in_(numbers)).order_by(Case.id).with_for_update(of=Case)
             .execution_options(populate_existing=True))
    return {case.number: case for case in session.scalars(query).unique()}


def get_all(session: Session, criteria: CaseFilter) -> tuple[list[Case], int]:
    """Return one page of cases matching `criteria` (newest first, or best first for words) and the count.

    The count stops at listing.LIST_COUNT_CAP (search.SEARCH_CAP for words); `list_page` says so.
    """
    page = listing.page_ids(session, criteria)
    cases = session.scalars(select(Case).where(Case.id.in_(page.ids))).unique()
    return _in_order(cases, page.ids), page.total


def numbers_of_caller(session: Session, phone: str, limit: int = 3) -> list[str]:
    """Return the numbers of the latest cases of a number in E.164, newest first."""
    query = (select(Case.number).where(Case.caller_phone == phone)
             .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit))
    return list(session.scalars(query))


def get_page(session: Session, criteria: CaseFilter) -> tuple[list[Case], listing.Page]:
    """Return one page of cases matching `criteria` and its paging facts (count, next cursor)."""
    page = listing.page_ids(session, criteria)
    cases = session.scalars(select(Case).where(Case.id.in_(page.ids))).unique()
    return _in_order(cases, page.ids), page


def list_page(session: Session, criteria: CaseFilter) -> tuple[list[CaseSummary], listing.Page]:
    """Return one page of case summaries (only the listed columns are read) and its paging facts."""
    page = listing.page_ids(session, criteria)
    return summaries(session, page.ids), page


def summaries(session: Session, ids: list[int]) -> list[CaseSummary]:
    """Case summaries of these ids, in this order, reading only the columns a list shows."""
    if not ids:
        return []
    rows = _in_order(session.execute(_summary_query().where(Case.id.in_(ids))), ids)
    return [CaseSummary.model_validate(row._mapping) for row in rows]


def _summary_query():
    return (
        select(Case.id, Case.number, Case.status, Case.channel, Category.code.label("category"),
               Bureau.code.label("bureau"), Street.code.label("street"), Case.description, Case.created_at,
               Case.resolve_by, Case.priority)
        .outerjoin(Category, Category.id == Case.category_id)
        .outerjoin(Bureau, Bureau.id == Case.bureau_id)
        .outerjoin(Street, Street.id == Case.street_id)
    )


def _in_order(rows, ids: list[int]) -> list:
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def day_key(prefix: str, day: date) -> str:
    """The part of a case number that names its day (FT20261126); the number adds `-` and 4 digits or more."""
    return f"{prefix}{day:%Y%m%d}"


def next_number(session: Session, prefix: str, day: date) -> str:
    """Hand out the next case number of `day` (e.g. FT20261126-0042); safe under concurrent intake.

    PostgreSQL: a sequence per day (hotline_next_case_number), so concurrent intakes never wait on each
    other; a number taken by an intake that then fails is not reused (numbers are unique and increasing
    per day, not gap-free). SQLite, which runs one writer at a time: a counter row per day.
    """
    key = day_key(prefix, day)
    if session.get_bind().dialect.name == "postgresql":
        last = session.execute(text("SELECT hotline_next_case_number(:key)"), {"key": key}).scalar_one()
        return f"{key}-{last:04d}"
    statement = sqlite.insert(CaseNumberCounter).values(key=key, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=["key"], set_={"last": CaseNumberCounter.last + 1}
    )
    last = session.execute(statement.returning(CaseNumberCounter.last)).scalar_one()
    return f"{key}-{last:04d}"


CASE_INSERT = insert(Case.__table__).returning(Case.__table__.c.id)
EVENT_INSERT = insert(CaseEvent.__table__)
FIRST_EVENT = {"action": "create", "from_status": None, "note": "", "visibility": "public"}


def _new_case_statement():
    """PostgreSQL: a new case with the day's next number, its first audit entry and search document at once.

    `WITH new_case AS (INSERT INTO cases (number, …) VALUES ((SELECT :number_key || '-' || lpad(n::text,
    greatest(4, length(n::text)), '0') FROM (SELECT hotline_next_case_number(:number_key) AS n) AS day),
    …) RETURNING id, number), first_event AS (INSERT INTO case_events … VALUES ((SELECT id FROM new_case),
    …)), document AS (INSERT INTO case_search …) SELECT id, number FROM new_case`: one round trip instead
    of four. The number reads as next_number's (`{key}-{last:04d}`); the entry is at the case's creation,
    to its status. Parameters: `number_key`, the case's other columns by name, `event_actor`,
    `event_data`, the tsvector literal `doc`: no more than psycopg converts once and keeps
    (MAX_CACHED_STATEMENT_PARAMS, 50; past it every execution parses the statement again).
    """
    cases, events = Case.__table__, CaseEvent.__table__
    key = bindparam("number_key", type_=String)
    last = select(func.hotline_next_case_number(key).label("n")).subquery("day")
    digits = cast(last.c.n, Text)
    padded = func.lpad(digits, func.greatest(literal_column("4"), func.length(digits)), literal_column("'0'"))
    number = select(key.concat(literal_column("'-'")).concat(padded)).scalar_subquery()
    columns = {c.key: bindparam(c.key, type_=c.type) for c in cases.c if c.key not in ("id", "number")}
    new_case = (insert(cases).values(number=number, **columns).returning(cases.c.id, cases.c.number)
                .cte("new_case"))
    case_id = select(new_case.c.id).scalar_subquery()
    first_event = insert(events).values(
        case_id=case_id, actor=bindparam("event_actor", type_=events.c.actor.type), at=columns["created_at"],
        to_status=columns["status"], data=bindparam("event_data", type_=events.c.data.type),
        **{field: null() if value is None else literal_column(f"'{value}'", events.c[field].type)
           for field, value in FIRST_EVENT.items()},  # constants in the statement: no parameters
    ).cte("first_event")
    document = insert(search.PG_TABLE).values(case_id=case_id, doc=cast(bindparam("doc"), TSVECTOR))
    document = document.cte("document")
    return select(new_case.c.id, new_case.c.number).add_cte(first_event, document)


NEW_CASE = _new_case_statement()
# The columns insert_new fills from the Python-side defaults when the new case left them unset.
_DEFAULTED = tuple((a.key, a.columns[0].default) for a in inspect(Case).column_attrs if a.key != "id")
_MANY_TO_ONE = tuple(tuple((local.key, remote.key) for local, remote in r.local_remote_pairs) + (r.key,)
                     for r in inspect(Case).relationships if r.direction.name == "MANYTOONE")


def insert_new(session: Session, case: Case, actor: str, *, prefix: str, day: date,
               data: dict[str, Any]) -> None:
    """Number and write a new case, its first audit entry (public, by ACTOR, with DATA) and search document.

    The number is the day's next (next_number), taken in the same statement as the insert on PostgreSQL
    and just before it on SQLite (whose day's counter row then stays locked until the commit). No
    unit-of-work flush: every column gets its value now (foreign keys from the references set on the
    object, Python defaults, version 1), so reading the case afterwards needs no query; later changes are
    flushed as usual; the case is then in the session. PostgreSQL: one statement (NEW_CASE); SQLite: one
    plain INSERT each.
    """
    for *pairs, key in _MANY_TO_ONE:
        target = case.__dict__.get(key)
        if target is not None:
            for local, remote in pairs:
                setattr(case, local, getattr(target, remote))
    values: dict[str, Any] = {}
    for key, default in _DEFAULTED:
        if key not in case.__dict__:
            value = None if default is None else default.arg if default.is_scalar else default.arg(None)
            setattr(case, key, value)
        values[key] = getattr(case, key)
    if values["version"] is None:
        case.version = values["version"] = 1
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        del values["number"]
        literal_doc = search.document_literal(case.description, case.address, case.caller_name)
        params = {**values, "number_key": day_key(prefix, day), "doc": literal_doc, "event_actor": actor,
                  "event_data": data}
        case.id, case.number = connection.execute(NEW_CASE, params).one()
    else:
        case.number = values["number"] = next_number(session, prefix, day)
        case.id = connection.execute(CASE_INSERT, values).scalar_one()
        connection.execute(EVENT_INSERT, {"case_id": case.id, "actor": actor, "at": case.created_at,
                                          "to_status": case.status, "data": data, **FIRST_EVENT})
        search.index_case(session, case.id, case.description, case.address, case.caller_name)
    make_transient_to_detached(case)
    session.add(case)


def insert_event(session: Session, case: Case, actor: str, action: str, from_status: str | None, *,
                 visibility: str = "internal", data: dict[str, Any] | None = None,
                 at: datetime | None = None) -> None:
    """Append an audit-trail entry without a note with one plain INSERT (no object, no flush)."""
    session.connection().execute(EVENT_INSERT, {
        "case_id": case.id, "actor": actor, "at": at or utcnow(), "action": action,
        "from_status": from_status, "to_status": case.status, "note": "", "visibility": visibility,
        "data": data or {}})


def add_event(
    session: Session,
    case: Case,
    actor: str,
    action: str,
    from_status: str | None,
    note: str = "",
    visibility: str = "internal",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Append an entry to the case's audit trail."""
    event = new_event(case, actor, action, from_status, note, visibility, data, at)
    session.add(event)
    session.flush()
    if note and action != "attach":
        search.append(session, case.id, note, search.REPLY if action == "resolve" else search.NOTE)
    return event


def new_event(
    case: Case,
    actor: str,
    action: str,
    from_status: str | None,
    note: str = "",
    visibility: str = "internal",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Build an audit-trail entry of `case` (which may still be pending) without adding it."""
    return CaseEvent(
        case=case,
        actor=actor,
        at=at or utcnow(),
        action=action,
        from_status=from_status,
        to_status=case.status,
        note=note,
        visibility=visibility,
        data=data or {},
    )


def events(session: Session, case: Case, include_internal: bool = True) -> list[CaseEvent]:
    """Return the case's audit trail, oldest first."""
    query = select(CaseEvent).where(CaseEvent.case_id == case.id)
    if not include_internal:
        query = query.where(CaseEvent.visibility == "public")
    return list(session.scalars(query.order_by(CaseEvent.at, CaseEvent.id)))


def add_attachment(
    session: Session,
    case: Case | str,
    kind: str,
    *,
    path: str = "",
    transcript: str = "",
    actor: str = "system",
) -> CaseAttachment:
    """Attach a recording, transcript or file to a case (by object or number) and log it."""
    if kind not in ATTACHMENT_KINDS:
        raise ValueError(f"unknown attachment kind {kind!r}: use one of {', '.join(ATTACHMENT_KINDS)}")
    if isinstance(case, str):
        case = require(session, case)
    attachment = CaseAttachment(case_id=case.id, kind=kind, path=path, transcript=transcript)
    session.add(attachment)
    session.flush()
    if transcript:
        search.append(session, case.id, transcript, search.TRANSCRIPT)
    add_event(
        session, case, actor, "attach", case.status, note=path, data={"kind": kind, "id": attachment.id}
    )
    return attachment


def link_call(session: Session, case: Case, linkedid: str) -> Call | None:
    """Link the call with this Linkedid to the case, when the call is recorded; return it."""
    call = session.scalars(select(Call).where(Call.linkedid == linkedid)).first()
    if call is None:
        return None
    if session.get(CaseCall, (case.id, call.id)) is None:
        session.add(CaseCall(case_id=case.id, call_id=call.id))
        session.flush()
    return call


def caller_history(session: Session, phone: str) -> CallerHistory:
    """Return the cases and calls of a phone number (raises InvalidPhone when it does not parse)."""
    e164 = normalize_phone(phone)
    newest = _summary_query().where(Case.caller_phone == e164)  # (caller_phone, created_at) backwards
    cases = session.execute(newest.order_by(Case.created_at.desc()).limit(HISTORY_LIMIT))
    shown = [getattr(Call, name) for name in CallSummary.model_fields]  # all in the index (0024)
    calls = session.execute(
        select(*shown).where(Call.caller == e164).order_by(Call.started_at.desc()).limit(HISTORY_LIMIT)
    )
    return CallerHistory(
        phone=e164,
        cases=[CaseSummary.model_validate(row._mapping) for row in cases],
        calls=[CallSummary.model_validate(row._mapping) for row in calls],
    )


def summary(case: Case) -> CaseSummary:
    """Short form of a case for lists."""
    return CaseSummary(
        number=case.number,
        status=case.status,
        channel=case.channel,
        category=case.category.code if case.category else None,
        bureau=case.bureau.code if case.bureau else None,
        street=case.street.code if case.street else None,
        description=case.description,
        created_at=case.created_at,
        resolve_by=case.resolve_by,
        priority=case.priority,
    )


__all__ = [
    "CaseFilter",
    "get_page",
    "numbers_of_caller",
    "InvalidPhone",
    "add_attachment",
    "add_event",
    "caller_history",
    "events",
    "get_all",
    "get_by_number",
    "link_call",
    "list_page",
    "lock",
    "new_event",
    "next_number",
    "require",
    "summaries",
    "summary",
]
