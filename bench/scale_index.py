"""Build the loaded cases' search documents in parallel: each worker process writes one range of case ids.

The documents are made by the app's own code (ticketing.case.search.documents and terms), so a search
at scale reads exactly what intake would have written; only the work is split, because one process
needs about 150 µs per case (7 minutes of CPU for 3 million cases).

    .venv/bin/python -m bench.scale_index postgresql+psycopg://postgres@127.0.0.1:5432/hotline_scale_3000000
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import create_engine, text

BATCH = 20_000


def _range(args: tuple[str, int, int]) -> int:
    from ticketing.case import search

    url, lo, hi = args
    engine = create_engine(url)
    count = 0
    with engine.connect() as conn:
        for start in range(lo, hi + 1, BATCH):
            rows = list(search.documents(conn, start, min(start + BATCH - 1, hi)))
            search._copy(conn, rows)
            count += len(rows)
        conn.commit()
    engine.dispose()
    return count


def reindex(url: str, jobs: int = 3) -> float:
    """Write every case's search document again with `jobs` processes; return the seconds it took."""
    started = time.monotonic()
    engine = create_engine(url)
    with engine.begin() as conn:
        top = conn.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()
        conn.execute(text("TRUNCATE case_search"))
    engine.dispose()
    step = -(-top // (jobs * 4)) if top else 1
    ranges = [(url, lo, min(lo + step - 1, top)) for lo in range(1, top + 1, step)]
    with ProcessPoolExecutor(jobs) as pool:
        total = sum(pool.map(_range, ranges))
    elapsed = time.monotonic() - started
    print(f"  {'search docs':12} {elapsed:7.1f} s ({total:,} cases, {jobs} processes)")
    return elapsed


if __name__ == "__main__":
    reindex(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)
