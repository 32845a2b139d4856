"""What users wait for at a city's scale: every read and write they do, timed on PostgreSQL with N cases.

Loads `--cases` cases (default 20,000 so `make bench` stays short; the figures in docs/operations.md are at
1,000,000 and 3,000,000) with events, calls, transcripts and skewed callers into a database of its own
(bench/scale_data.py, set-based SQL), then times each operation `--runs` times through the real code —
the HTTP API in-process for API reads and intake, the console's own functions for the bureau page and the
deadline list — and prints median and p95 in milliseconds.

    nice -n 10 .venv/bin/python -m bench.scale --cases 1000000 --keep     # load once, keep the database
    nice -n 10 .venv/bin/python -m bench.scale --cases 1000000 --reuse    # time again on the kept one
    .venv/bin/python -m bench.scale --cases 1000000 --drop                # drop it
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import scale_data, scale_due, scale_ops
from ticketing.config import Settings

DEFAULT_ADMIN = os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def database_urls(admin: str, name: str) -> tuple[str, str]:
    """Return (maintenance URL, URL of database `name`) on the server of `admin`, psycopg 3 driver."""
    base = Settings(database_url=admin).sqlalchemy_url.rsplit("/", 1)[0]
    return base + "/postgres", f"{base}/{name}"


def exists(admin_url: str, name: str) -> bool:
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        return found is not None


def recreate(admin_url: str, name: str, drop_only: bool = False) -> None:
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not drop_only:
            conn.execute(text(f'CREATE DATABASE "{name}"'))


def build(url: str, cases: int, days: int, now: datetime) -> dict[str, float]:
    """Migrate, seed the district and load `cases` cases; return the seconds each step took."""
    from ticketing.bureau.seed import sync_dataset
    from ticketing.database.core import make_engine, make_session_factory, session_scope
    from ticketing.database.migrate import upgrade
    from ticketing.dataset import load_dataset

    upgrade(url)
    engine = make_engine(url)
    dataset = load_dataset(Settings().dataset_dir)
    with session_scope(make_session_factory(engine)) as session:
        sync_dataset(session, dataset)
    started = time.monotonic()
    with engine.connect() as conn:
        _lower_priority(conn)
        indexes = scale_data.drop_indexes(conn)
        timings = scale_data.load(conn, cases, days, now)
        timings["deadlines"] = scale_due.fill(conn, dataset)
        # The search documents read each case's events and transcripts by case id: those indexes first.
        documents = [d for d in indexes if " ON public.case_search " in d]
        timings["indexes"] = scale_data.create_indexes(conn, [d for d in indexes if d not in documents])
        timings.update(scale_ops.after_load(conn))
        timings["indexes"] += scale_data.create_indexes(conn, documents)
        timings["vacuum"] = scale_data.finish(conn)
    timings["total"] = time.monotonic() - started
    engine.dispose()
    return timings


def _lower_priority(conn) -> None:
    """Load at nice 10 (this process and, when the server is local and ours to renice, its backend)."""
    pids = [0, conn.execute(text("SELECT pg_backend_pid()")).scalar_one()]
    for pid in pids:
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 10)
        except OSError:
            pass  # a remote server, or not ours: the load just runs at normal priority


def _normal_priority() -> None:
    """Time at normal priority: a niced client measures the machine's other work, not the hotline."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    except OSError:
        pass  # not allowed (not root): the figures then carry the niceness they were started with


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def measure(operation: Callable[[int], object], runs: int, budget: float = 60.0) -> tuple[float, float]:
    """Run once to warm up, then `runs` times (at least 5, fewer when they pass `budget` seconds);
    return (median, p95) in milliseconds."""
    operation(0)
    times: list[float] = []
    stop = time.monotonic() + budget
    for i in range(1, runs + 1):
        started = time.perf_counter()
        operation(i)
        times.append((time.perf_counter() - started) * 1000)
        if len(times) >= 5 and time.monotonic() > stop:
            break
    return statistics.median(times), percentile(times, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=1095, help="span of the cases (default 3 years)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--postgres", default=DEFAULT_ADMIN)
    parser.add_argument("--name", default="", help="database name (default hotline_scale_<cases>)")
    parser.add_argument("--keep", action="store_true", help="keep the database for --reuse")
    parser.add_argument("--reuse", action="store_true", help="time on the kept database, no load")
    parser.add_argument("--drop", action="store_true", help="only drop the database")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--only", default="", help="comma-separated operation names to time")
    parser.add_argument("--load-only", action="store_true", help="load and keep the database, time nothing")
    args = parser.parse_args()
    name = args.name or f"hotline_scale_{args.cases}"
    admin_url, url = database_urls(args.postgres, name)
    if args.drop:
        recreate(admin_url, name, drop_only=True)
        return
    now = datetime.now(UTC)
    loaded: dict[str, float] = {}
    if not (args.reuse and exists(admin_url, name)):
        recreate(admin_url, name)
        print(f"loading {args.cases:,} cases over {args.days} days into {name}")
        loaded = build(url, args.cases, args.days, now)
    else:
        from ticketing.database.migrate import upgrade

        upgrade(url)  # a kept database follows the migrations added since it was loaded
    if args.load_only:
        print(json.dumps(loaded))
        return
    _normal_priority()
    try:
        results = scale_ops.run_all(url, args.runs, measure, set(filter(None, args.only.split(","))))
    finally:
        if not (args.keep or args.reuse):
            recreate(admin_url, name, drop_only=True)
    print(f"\nbench.scale: {args.cases:,} cases, {args.runs} runs each (ms)")
    print(f"| {'operation':44} | median |    p95 |")
    print(f"|{'-' * 46}|-------:|-------:|")
    for op, (median, p95) in results.items():
        print(f"| {op:44} | {median:6.1f} | {p95:6.1f} |")
    if args.json:
        args.json.write_text(json.dumps({"cases": args.cases, "load_seconds": loaded,
                                         "operations": results}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
