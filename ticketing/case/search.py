"""Full-text search of cases: one search document per case, Chinese as bigrams (see terms.py).

PostgreSQL keeps `case_search(case_id, doc tsvector)` under a GIN index; SQLite an FTS5 table whose rowid
is the case id. Intake writes the document (description, address, caller name); a note, reply or
transcript is appended to it. A search ranks only the newest SEARCH_CAP matches (ts_rank / bm25), so a
word found in a fifth of a million cases costs no more than a rare one; the count is capped with it.

Finding the newest matches on PostgreSQL (`newest`): GIN yields matches in no order, and a phrase must be
checked against the stored document, so "all matches, then the newest" reads every matching row (58,000
for 挖掘机 at a million cases, 2.5 s). Instead the newest ids are searched in a window (10,000 ids) inside
the two-column GIN index over (case_id, doc) (migration 0023), so a window reads only its own matches;
the next window is as wide as the rate of matches seen says is needed; when that rate says there are few
matches in all, one search by the words alone finishes. The cost follows how common the word is, not
how many cases there are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Integer, and_, any_, bindparam, cast, column, func, literal_column, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ticketing.case import terms

SEARCH_CAP = 1000  # matches ranked and counted at most; the page says when there were more
WINDOW = 10_000  # ids in the first window of the newest cases searched; each next window is 4 times wider
REPLY, NOTE, TRANSCRIPT = "B", "C", "D"  # weights of appended text
NUMBER = re.compile(r"^[A-Za-z]{1,8}\d{8}(-\d{1,6})?$")
PHONE = re.compile(r"^\+?[\d\s()-]{7,24}$")
BATCH = 20_000
PG_TABLE = table("case_search", column("case_id"), column("doc"))
FTS_TABLE = table("case_search", column("rowid"))
FTS_COLUMNS = {"A": "main", REPLY: "reply", NOTE: "notes", TRANSCRIPT: "transcripts"}
FTS_WEIGHTS = (10.0, 4.0, 2.0, 1.0)  # bm25 weight of each FTS5 column, as ts_rank's A, B, C, D

DOC_SQL = """
SELECT c.id, c.description, c.address, c.caller_name, c.public_reply,
       (SELECT {agg}(e.note, ' ') FROM case_events e WHERE e.case_id = c.id AND e.note <> ''
         AND e.action <> 'resolve') AS notes,
       (SELECT {agg}(a.transcript, ' ') FROM case_attachments a WHERE a.case_id = c.id
         AND a.transcript <> '') AS transcripts
  FROM cases c WHERE c.id BETWEEN :lo AND :hi
"""


def _postgres(bind) -> bool:
    return bind.dialect.name == "postgresql"


def document_literal(description: str, address: str, caller_name: str) -> str:
    """PostgreSQL: a new case's search document as a tsvector literal (intake writes it with the case)."""
    return terms.tsvector_literal(description, address, caller_name, weights="A")


def index_case(session: Session, case_id: int, description: str, address: str, caller_name: str) -> None:
    """Write the search document of a new case."""
    if _postgres(session.get_bind()):
        session.execute(text("INSERT INTO case_search (case_id, doc) VALUES (:id, CAST(:doc AS tsvector))"),
                        {"id": case_id, "doc": document_literal(description, address, caller_name)})
    else:
        session.execute(text(FTS_INSERT), _fts_row(case_id, (description, address, caller_name)))


def append(session: Session, case_id: int, words: str, weight: str = NOTE) -> None:
    """Add a note, reply or transcript to the case's search document."""
    if not terms.tokens(words):
        return
    if _postgres(session.get_bind()):
        literal = terms.tsvector_literal(words, weights=weight, start=terms.FIELD_GAP)
        statement = "UPDATE case_search SET doc = doc || CAST(:doc AS tsvector) WHERE case_id = :id"
        session.execute(text(statement), {"id": case_id, "doc": literal})
    else:
        name = FTS_COLUMNS[weight]
        statement = f"UPDATE case_search SET {name} = {name} || ' zzgap ' || :terms WHERE rowid = :id"
        session.execute(text(statement), {"id": case_id, "terms": terms.fts5_text(words)})


def documents(conn: Connection, lo: int, hi: int) -> Iterable[tuple[int, tuple[str, ...]]]:
    """(case id, fields in CASE_WEIGHTS order) of the cases with ids lo..hi, read from the tables."""
    agg = "string_agg" if _postgres(conn) else "group_concat"
    for row in conn.execute(text(DOC_SQL.format(agg=agg)), {"lo": lo, "hi": hi}):
        yield row[0], tuple(value or "" for value in row[1:])


def reindex_all(conn: Connection) -> int:
    """Rebuild every case's search document from the tables (migration, bench load, repair); return count."""
    top = conn.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()
    conn.execute(text("DELETE FROM case_search"))
    count = 0
    for lo in range(1, top + 1, BATCH):
        rows = list(documents(conn, lo, lo + BATCH - 1))
        count += len(rows)
        if _postgres(conn):
            _copy(conn, rows)
        elif rows:
            conn.execute(text(FTS_INSERT), [_fts_row(i, fields) for i, fields in rows])
    return count


FTS_INSERT = ("INSERT INTO case_search (rowid, main, reply, notes, transcripts) "
              "VALUES (:id, :main, :reply, :notes, :transcripts)")


def _fts_row(case_id: int, fields: tuple[str, ...]) -> dict:
    """FTS5 columns of a case: its own text, then reply, notes and transcripts when given."""
    rest = [terms.fts5_text(field) for field in fields[3:]] + ["", "", ""]
    return {"id": case_id, "main": terms.fts5_text(*fields[:3]), "reply": rest[0], "notes": rest[1],
            "transcripts": rest[2]}


def _copy(conn: Connection, rows: list[tuple[int, tuple[str, ...]]]) -> None:
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy("COPY case_search (case_id, doc) FROM STDIN") as copy:
        for case_id, fields in rows:
            copy.write_row((case_id, terms.tsvector_literal(*fields, weights=terms.CASE_WEIGHTS)))


def kind_of(q: str) -> str:
    """What a search text looks like: 'number' (FT20261126-0042 or its day), 'phone', or 'words'."""
    q = q.strip()
    if NUMBER.match(q):
        return "number"
    if PHONE.match(q) and sum(ch.isdigit() for ch in q) >= 7:
        return "phone"
    return "words"


def newest(session: Session, query, id_column, limit: int) -> list[int]:
    """The ids `query` (selecting `id_column`, the search table's id) finds, newest first, at most `limit`.

    SQLite's FTS5 reads its index by rowid, newest first, on its own. PostgreSQL: windows, see above. Each
    window is searched from the newest id down (`case_id > lower bound` only: in a GIN index an upper bound
    would be a second range matching every older id), so a window repeats the smaller ones before it, a
    third more work at most.
    """
    if not _postgres(session.get_bind()):
        return list(session.scalars(query.order_by(id_column.desc()).limit(limit)))
    top = session.scalar(select(func.max(PG_TABLE.c.case_id))) or 0
    width = WINDOW
    while top - width > 0:
        found = list(session.scalars(query.where(id_column > top - width).order_by(id_column.desc())
                                     .limit(limit)))
        if len(found) >= limit:
            return found
        if len(found) * top / width <= 4 * limit:  # few matches in all, at the rate seen: words alone
            break
        # The next window is as wide as the rate seen says `limit` matches need, with a margin.
        width = int(min(width * 16, max(width * 2, 1.3 * limit * width / len(found))))
    # The rest by the words alone: few matches are left (or the windows reached the oldest case).
    return list(session.scalars(query.order_by(id_column.desc()).limit(limit)))


def best_first(session: Session, found: tuple, ids: list[int]) -> list[int]:
    """These matching ids (of `matches`), best first, newest first among equals.

    PostgreSQL ranks them looked up by id (one array parameter, the primary key): asking `doc @@ q` again
    let the planner read every match of the word (95 ms for 健身器材 at a million cases). FTS5's bm25 only
    works inside its MATCH.
    """
    source, _on, match, newest_id, rank = found
    if _postgres(session.get_bind()):
        chosen = newest_id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
        query = select(newest_id, rank).select_from(source).where(chosen)
    else:
        query = select(newest_id, rank).select_from(source).where(match, newest_id.in_(ids))
    rows = session.execute(query).all()
    return [case_id for case_id, _rank in sorted(rows, key=lambda row: (row[1], -row[0]))]


def matches(session: Session, q: str, case_id_column):
    """(FROM table, WHERE clause, rank expression; lower ranks first) of the cases matching `q`'s words.

    None when `q` has no searchable word. The caller joins the table on `case_id_column`.
    """
    if _postgres(session.get_bind()):
        query = terms.tsquery_text(q)
        if query is None:
            return None
        tsq = cast(bindparam("fts", query), TSQUERY)
        match = PG_TABLE.c.doc.op("@@")(tsq)
        narrow = terms.tsquery_text(q, index=True)
        if narrow != query:
            # The index finds the words without their costly lone-character prefixes (terms.py); the
            # whole query is checked on those rows as a function call, which the planner never takes
            # to the index.
            index_tsq = cast(bindparam("fts_index", narrow), TSQUERY)
            match = and_(PG_TABLE.c.doc.op("@@")(index_tsq), func.ts_match_vq(PG_TABLE.c.doc, tsq))
        return (PG_TABLE, PG_TABLE.c.case_id == case_id_column, match,
                PG_TABLE.c.case_id, -func.ts_rank(PG_TABLE.c.doc, tsq))
    query = terms.fts5_query(q)
    if query is None:
        return None
    return (FTS_TABLE, FTS_TABLE.c.rowid == case_id_column,
            literal_column("case_search").op("MATCH")(bindparam("fts", query)), FTS_TABLE.c.rowid,
            func.bm25(literal_column("case_search"), *FTS_WEIGHTS))


__all__ = ["SEARCH_CAP", "append", "index_case", "kind_of", "matches", "newest", "reindex_all", "select"]
