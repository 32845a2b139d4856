"""A year's reports on a city's year of cases in PostgreSQL, against a bare GROUP BY count as the baseline.

Loads N cases (default 1,000,000) received over 2026, their 'create' events and N calls, with set-based
SQL into a database of its own (kept between runs: it is loaded once), then times each report of the
year (per bureau, street, category, agent; calls per queue and agent) beside the plainest aggregate over
the same rows (`SELECT bureau_id, count(*) ... GROUP BY bureau_id`).

    .venv/bin/python -m bench.reports [--cases 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, date, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ticketing.config import Settings
from ticketing.database.core import make_engine, make_session_factory, session_scope
from ticketing.database.migrate import upgrade
from ticketing.dataset import load_dataset
from ticketing.report import service
from ticketing.report.periods import months_back, period
from ticketing.seed import seed

ENV_URL = "HOTLINE_BENCH_REPORTS_URL"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
NAME = "hotline_bench_reports"
AS_OF = datetime(2027, 1, 20, tzinfo=UTC)

CASES = """
INSERT INTO cases (number, channel, caller_phone, caller_name, street_id, address, description, category_id,
  priority, status, bureau_id, routing_explanation, extended_days, paused_seconds, public_reply, satisfaction,
  created_at, updated_at, dispatched_at, acknowledge_by, acknowledged_at, resolve_by, resolved_at,
  returned_at, reopened_at, version)
SELECT 'B' || lpad(g::text, 9, '0'), 'phone', '+86138' || lpad((g % 100000000)::text, 8, '0'), '', s.id, '',
  'bench', c.id, 'normal', CASE WHEN r.res THEN 'resolved' ELSE 'dispatched' END, b.id, '',
  CASE WHEN r.x < 0.03 THEN 2 ELSE 0 END, 0, '',
  CASE WHEN r.res AND r.y < 0.5 THEN 'satisfied' WHEN r.res AND r.y < 0.65 THEN 'mostly_satisfied'
       WHEN r.res AND r.y < 0.7 THEN 'unsatisfied' END,
  r.created, r.created, r.dispatched, r.dispatched + interval '2 hours',
  r.dispatched + r.z * interval '3 hours', r.dispatched + interval '5 days',
  CASE WHEN r.res THEN r.dispatched + r.y * interval '7 days' END,
  CASE WHEN r.x < 0.05 THEN r.dispatched + interval '1 hour' END,
  CASE WHEN r.res AND r.y >= 0.65 AND r.y < 0.7 THEN r.dispatched + interval '8 days' END, 1
FROM generate_series(1, :n) g
CROSS JOIN LATERAL (SELECT
  TIMESTAMPTZ '2025-12-31 16:00:00+00' + (g::float / :n) * interval '365 days' AS created,
  random() AS x, random() AS y, random() AS z, random() < 0.9 AS res) r0
CROSS JOIN LATERAL (SELECT r0.*, r0.created + interval '30 minutes' AS dispatched) r
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS m FROM bureaus) b
  ON b.k = g % b.m
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS m FROM streets) s
  ON s.k = g % s.m
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () AS m FROM categories) c
  ON c.k = (g / 7) % c.m
"""
EVENTS = """
INSERT INTO case_events (case_id, actor, at, action, from_status, to_status, note, visibility, data)
SELECT id, 'agent' || (id % 40 + 1), created_at, 'create', NULL, 'new', '', 'public', '{}' FROM cases
"""
# The bureau workflow's audit entries the reports read (returns and extensions charged to the bureau that
# held the case): a dispatch naming the bureau for every case, then its return or granted extension.
WORKFLOW_EVENTS = """
INSERT INTO case_events (case_id, actor, at, action, from_status, to_status, note, visibility, data)
SELECT c.id, 'dispatcher1', c.dispatched_at, 'dispatch', 'new', 'dispatched', 'bench', 'internal',
  json_build_object('bureau', b.code) FROM cases c JOIN bureaus b ON b.id = c.bureau_id
WHERE c.number LIKE 'B%';
INSERT INTO case_events (case_id, actor, at, action, from_status, to_status, note, visibility, data)
SELECT c.id, 'clerk', c.returned_at, 'return', 'dispatched', 'returned', 'bench', 'internal',
  json_build_object('bureau', b.code)
FROM cases c JOIN bureaus b ON b.id = c.bureau_id WHERE c.returned_at IS NOT NULL AND c.number LIKE 'B%';
INSERT INTO case_events (case_id, actor, at, action, from_status, to_status, note, visibility, data)
SELECT c.id, 'supervisor1', c.dispatched_at + interval '1 day', 'approve-extension', 'extension_requested',
  'in_progress', '', 'internal', json_build_object('days', c.extended_days, 'bureau', b.code)
FROM cases c JOIN bureaus b ON b.id = c.bureau_id WHERE c.extended_days > 0 AND c.number LIKE 'B%'
"""
CALLS = """
INSERT INTO calls (linkedid, server, caller_raw, dialled, started_at, queued_at, answered_at, ended_at,
  ivr_path, queue, wait_seconds, agent, outcome, status, updated_at)
SELECT 'bench-' || g, '', '', '12345', t, t, CASE WHEN w < 60 THEN t + w * interval '1 second' END, t, '[]',
  (ARRAY['general-zh','urban-zh','safety-zh','livelihood-zh','consumer-zh','general-en'])[1 + g % 6],
  CASE WHEN w < 60 THEN w END, CASE WHEN w < 60 THEN 'agent' || (g % 40 + 1) END,
  CASE WHEN w < 60 THEN 'answered' ELSE 'abandoned_queue' END, 'ended', t
FROM generate_series(1, :n) g
CROSS JOIN LATERAL (SELECT TIMESTAMPTZ '2025-12-31 16:00:00+00' + (g::float / :n) * interval '365 days' AS t,
  random() * 70 AS w) r
"""


def database(server_url: str) -> str:
    """Return the bench database's URL, creating and migrating it when missing."""
    server = make_url(Settings(database_url=server_url).sqlalchemy_url)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": NAME}):
            conn.execute(text(f'CREATE DATABASE "{NAME}"'))
    admin.dispose()
    url = server.set(database=NAME).render_as_string(hide_password=False)
    upgrade(url)
    return url


def load(url: str, n: int, dataset) -> None:
    """Fill the database with N cases, their events and N calls, unless it already holds them."""
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        if session.scalar(text("SELECT count(*) FROM cases WHERE number LIKE 'B%'")) == n:
            loaded = "SELECT count(*) FROM case_events WHERE action = 'dispatch' AND note = 'bench'"
            if not session.scalar(text(loaded)):
                for statement in WORKFLOW_EVENTS.split(";"):  # a database loaded before these were
                    session.execute(text(statement))
                print("loaded the workflow events", flush=True)
            return
        session.execute(text("TRUNCATE cases, case_events, calls RESTART IDENTITY CASCADE"))
        if not session.scalar(text("SELECT count(*) FROM bureaus")):
            seed(session, dataset)
    for label, sql in (("cases", CASES), ("events", EVENTS), ("workflow events", WORKFLOW_EVENTS),
                       ("calls", CALLS)):
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in sql.split(";"):
                conn.execute(text(statement), {"n": n} if ":n" in statement else {})
        print(f"loaded {label} in {time.perf_counter() - started:.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def best(runs: int, job) -> float:
    """Return the fastest of RUNS timings of JOB, in seconds."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        job()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    dataset = load_dataset(Settings().dataset_dir)
    url = database(os.environ.get(ENV_URL) or os.environ.get("HOTLINE_TEST_POSTGRES_URL") or DEFAULT_SERVER)
    load(url, args.cases, dataset)
    factory = make_session_factory(make_engine(url))
    year = period(date(2026, 1, 1), date(2026, 12, 31), dataset.calendar.timezone)
    with session_scope(factory) as session:
        bare = text("SELECT bureau_id, count(*) FROM cases WHERE created_at >= :a AND created_at < :b "
                    "GROUP BY bureau_id")
        baseline = best(args.runs, lambda: session.execute(bare, {"a": year.start, "b": year.end}).all())
        print(f"baseline GROUP BY count over the year: {baseline:.2f} s")
        for by in ("bureau", "street", "category", "agent"):
            took = best(args.runs,
                        lambda by=by: service.case_report(session, dataset.calendar, year, by, AS_OF))
            print(f"cases by {by:8}: {took:6.2f} s  ({took / baseline:5.1f}x baseline)")
        for by in ("queue", "agent"):
            took = best(args.runs, lambda by=by: service.call_report(session, year, by, 15))
            print(f"calls by {by:8}: {took:6.2f} s  ({took / baseline:5.1f}x baseline)")
        months = months_back(year, 12)
        took = best(args.runs, lambda: service.report_page(session, dataset.calendar, year, "bureau", months,
                                                             AS_OF))
        print(f"report page of the year by bureau (table + 12-month trend, one pass): {took:6.2f} s  "
              f"({took / baseline:5.1f}x baseline)")


if __name__ == "__main__":
    main()
