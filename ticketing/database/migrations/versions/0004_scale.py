"""Scale: full-text search documents (tsvector + GIN / FTS5), keyset and partial indexes of lists.

Revision ID: 0004_scale
Revises: 0009_reports_callbacks
Create Date: 2026-12-02 03:40:00

Single-column indexes that lists could not use for their order give way to (filter, created_at, id)
indexes, partial ones for open cases; the pop history reads (caller, time) indexes. Existing cases get
their search documents here (about a minute per million cases on PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_scale"
down_revision = "0009_reports_callbacks"
branch_labels = None
depends_on = None

OPEN = ("status IN ('new', 'dispatched', 'acknowledged', 'in_progress', 'extension_requested', 'returned', "
        "'reopened')")
OLD = [("cases", "ix_cases_created_at", ["created_at"]), ("cases", "ix_cases_status", ["status"]),
       ("cases", "ix_cases_bureau_id", ["bureau_id"]), ("cases", "ix_cases_category_id", ["category_id"]),
       ("cases", "ix_cases_street_id", ["street_id"]), ("cases", "ix_cases_caller_phone", ["caller_phone"]),
       ("calls", "ix_calls_caller", ["caller"])]
NEW = [("cases", "ix_cases_created", ["created_at", "id"], None),
       ("cases", "ix_cases_status_created", ["status", "created_at", "id"], None),
       ("cases", "ix_cases_bureau_created", ["bureau_id", "created_at", "id"], None),
       ("cases", "ix_cases_category_created", ["category_id", "created_at", "id"], None),
       ("cases", "ix_cases_street_created", ["street_id", "created_at", "id"], None),
       ("cases", "ix_cases_caller_created", ["caller_phone", "created_at"], None),
       ("cases", "ix_cases_open_created", ["created_at", "id"], OPEN),
       ("cases", "ix_cases_open_bureau", ["bureau_id", "created_at", "id"], OPEN),
       ("cases", "ix_cases_open_bureau_status", ["bureau_id", "status", "created_at", "id"], OPEN),
       ("calls", "ix_calls_caller_started", ["caller", "started_at"], None)]


# Case numbers on PostgreSQL: one sequence per prefix and day, created by the first intake of the day and
# started after any number the day already has (from the counter rows of before, or loaded cases).
NEXT_NUMBER = """
CREATE FUNCTION hotline_next_case_number(day_key text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    seq text := 'case_number_' || lower(regexp_replace(day_key, '[^A-Za-z0-9]', '_', 'g'));
    first bigint;
BEGIN
    RETURN nextval(seq);
EXCEPTION WHEN undefined_table THEN
    SELECT 1 + greatest(
        coalesce((SELECT max(split_part(number, '-', 2)::bigint) FROM cases
                   WHERE number > day_key || '-' AND number < day_key || '.'), 0),
        coalesce((SELECT last FROM case_number_counters WHERE key = day_key), 0)) INTO first;
    BEGIN
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START WITH %s', seq, first);
    EXCEPTION WHEN unique_violation OR duplicate_table THEN
        NULL;  -- another intake created it first
    END;
    RETURN nextval(seq);
END $$
"""


def upgrade() -> None:
    for table, name, _columns in OLD:
        op.drop_index(name, table_name=table)
    for table, name, columns, where in NEW:
        clause = sa.text(where) if where else None
        op.create_index(name, table, columns, postgresql_where=clause, sqlite_where=clause)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE TABLE case_search (case_id integer PRIMARY KEY REFERENCES cases (id) "
                   "ON DELETE CASCADE, doc tsvector NOT NULL)")
    else:
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(main, reply, notes, transcripts, "
                   "tokenize='unicode61')")
    from ticketing.case.search import reindex_all

    reindex_all(bind)
    if bind.dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_case_search_doc ON case_search USING gin (doc)")
        op.execute(NEXT_NUMBER)


def downgrade() -> None:
    op.execute("DROP TABLE case_search")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION hotline_next_case_number(text)")
        for (name,) in op.get_bind().execute(sa.text(
                "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname LIKE 'case\\_number\\_%'")):
            op.execute(f'DROP SEQUENCE "{name}"')
    for table, name, _columns, _where in NEW:
        op.drop_index(name, table_name=table)
    for table, name, columns in OLD:
        op.create_index(name, table, columns)
