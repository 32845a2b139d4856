"""SQL statements per case creation (so the intake path cannot silently grow) and the reference cache."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, select

from ticketing.bureau.models import Category, Street
from ticketing.case import references
from ticketing.database.core import session_scope

LAMP = {
    "description": "小区门口路灯坏了一个星期，晚上很黑",
    "street": "futian",
    "caller_phone": "13800138000",
    "caller_name": "王先生",
}
# The day's number (a sequence's nextval on PostgreSQL, a counter upsert on SQLite), the case with its first
# event and its search document (one statement with CTEs on PostgreSQL, three INSERTs on SQLite), and its
# case.created event in the outbox (same transaction; published by the relay, not by the request). The
# token was verified by the first request (kept for 30 s in the process).
STATEMENTS = {"postgresql": ["WITH", "INSERT"], "sqlite": ["INSERT", "INSERT", "INSERT", "INSERT", "INSERT"]}


@contextmanager
def recorded(engine) -> Iterator[list[str]]:
    """Collect the SQL statements `engine` sends while the block runs."""
    statements: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_one_case_creation_issues_a_fixed_number_of_statements(client, headers, session_factory):
    client.post("/api/v1/cases", json=LAMP, headers=headers["agent"])  # loads the reference cache
    with recorded(session_factory.kw["bind"]) as statements:
        response = client.post("/api/v1/cases", json=LAMP, headers=headers["agent"])
    assert response.status_code == 201, response.text
    assert response.json()["street"] == "futian" and response.json()["bureau_name"]
    assert statements == STATEMENTS[session_factory.kw["bind"].dialect.name]


def test_a_renamed_category_shows_in_the_next_case(client, headers, session_factory):
    before = client.post("/api/v1/cases", json=LAMP, headers=headers["agent"]).json()
    with session_scope(session_factory) as session:
        category = session.scalars(select(Category).where(Category.code == "street-lights")).one()
        original, category.name_zh = category.name_zh, "路灯（改名）"
    try:
        after = client.post("/api/v1/cases", json=LAMP, headers=headers["agent"]).json()
        assert (before["category_name"], after["category_name"]) == (original, "路灯（改名）")
    finally:
        with session_scope(session_factory) as session:
            session.get(Category, category.id).name_zh = original


def test_a_street_only_in_the_callers_transaction_is_found(session):
    references.lookup(session, Street, "futian")  # cache loaded before the street exists
    street = Street(code="new-street", name_zh="新街道", name_en="New")
    session.add(street)
    session.flush()
    assert references.lookup(session, Street, "new-street") is street
    session.rollback()


def test_cached_rows_are_attached_to_the_session(session):
    street = references.lookup(session, Street, "futian")
    assert street in session and street.bureau in session
    assert references.lookup(session, Street, "futian") is street
    assert references.lookup(session, Street, "no-such-street") is None


def test_intake_writes_with_plain_inserts_no_unit_of_work_flush(client, headers, session_factory):
    from sqlalchemy.orm import Session

    flushes: list[int] = []

    def note(session, _context, _instances) -> None:
        flushes.append(len(session.new) + len(session.dirty))

    client.post("/api/v1/cases", json=LAMP, headers=headers["agent"])
    event.listen(Session, "before_flush", note)
    try:
        response = client.post("/api/v1/cases", json=LAMP, headers=headers["agent"])
        plain = len(flushes)
        dispatched = client.post("/api/v1/cases", json={**LAMP, "dispatch": True}, headers=headers["agent"])
    finally:
        event.remove(Session, "before_flush", note)
    assert response.status_code == 201 and dispatched.status_code == 201, dispatched.text
    assert plain == 0 and flushes  # the dispatch's change of the new case goes through the ORM as before
    assert dispatched.json()["status"] == "dispatched" and dispatched.json()["acknowledge_by"]
    number = response.json()["number"]
    read = client.get(f"/api/v1/cases/{number}", headers=headers["agent"]).json()
    assert {k: read[k] for k in ("street", "category", "bureau", "version", "status")} == {
        k: response.json()[k] for k in ("street", "category", "bureau", "version", "status")}


def test_loading_the_cache_never_waits_for_a_second_pooled_connection(session_factory):
    """Every pooled connection held by a request that then looks a code up: the loader uses its own.

    (It opened a session of its own while holding the cache's lock: with the pool emptied by requests
    waiting for that lock, 20 clients against `hotline serve` waited out the 30 s pool timeout.)
    """
    import threading

    from ticketing.database.core import make_engine, make_session_factory

    url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=2, max_overflow=0, pool_timeout=3)
    tiny = make_session_factory(engine)
    references.invalidate()
    both_hold_one = threading.Barrier(2)
    found, failed = [], []

    def request() -> None:
        try:
            with tiny() as session:
                session.execute(select(1))  # this request's connection: the pool is now empty
                both_hold_one.wait(10)
                found.append(references.lookup(session, Street, "futian") is not None)
        except Exception as err:
            failed.append(repr(err))

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    engine.dispose()
    assert failed == [] and len(found) == 2 and len(set(found)) == 1


def test_intakes_statement_is_one_psycopg_converts_once_and_keeps():
    """Past 50 parameters (or 4096 characters) psycopg parses a statement again at every execution.

    The case, its first event and its search document are one statement on PostgreSQL; a column more
    on `cases` must not push it over (at 57 parameters the merged statement cost as much as three).
    """
    from psycopg import _queries  # the limits of psycopg's cache of converted statements
    from sqlalchemy import create_engine

    from ticketing.case.service import NEW_CASE

    compiled = NEW_CASE.compile(dialect=create_engine("postgresql+psycopg://").dialect)
    assert len(compiled.params) <= _queries.MAX_CACHED_STATEMENT_PARAMS
    assert len(str(compiled)) <= _queries.MAX_CACHED_STATEMENT_LENGTH
