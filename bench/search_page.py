"""The console's case search (工单查询) on a database loaded by bench.scale: each kind of search, timed.

    nice -n 10 .venv/bin/python -m bench.scale --cases 200000 --load-only --keep --name hotline_scale_s
    .venv/bin/python -m bench.search_page --name hotline_scale_s

Runs what /console/search runs for one form (agent_console.views.search.criteria, then the case service's
page and the rows the page shows), `--runs` times per form, and prints median and p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

from sqlalchemy import text

from agent_console import caselists
from agent_console.auth import Viewer
from agent_console.views.search import SearchForm, criteria
from bench.scale import DEFAULT_ADMIN, database_urls
from ticketing.case import service
from ticketing.config import PACKAGE_DATA
from ticketing.database.core import make_engine, make_session_factory
from ticketing.database.types import utcnow
from ticketing.dataset import load_dataset

VIEWER = Viewer(session_id="bench", user_id=1, username="agent1", display_name="agent", role="agent",
                bureau_id=None, extension=None, csrf_token="")


def forms(session) -> dict[str, SearchForm]:
    """One form per kind of search, filled from the loaded data (a busy caller, a real number, ...)."""
    phone = session.execute(text("SELECT caller_phone FROM cases WHERE caller_phone IS NOT NULL "
                                 "GROUP BY caller_phone ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    number = session.execute(text("SELECT number FROM cases ORDER BY id DESC OFFSET 5000 LIMIT 1"))
    number = number.scalar_one()
    return {
        "phone (busiest caller)": SearchForm(phone=phone),
        "case number": SearchForm(number=number),
        "name 王": SearchForm(name="王"),
        "address 福华": SearchForm(address="福华"),
        "words 噪音 (common)": SearchForm(words="噪音"),
        "words 挖掘机": SearchForm(words="挖掘机"),
        "words + month + state": SearchForm(words="路灯", date_from="2026-03-01", date_to="2026-03-31",
                                            status="closed"),
        "state closed, a month": SearchForm(status="closed", date_from="2026-03-01", date_to="2026-03-31"),
    }


def time_form(factory, dataset, form: SearchForm, runs: int, page2: bool = False) -> list[float]:
    """Milliseconds of each run: the criteria, the page of cases, the rows shown."""
    found = criteria(form, dataset.calendar)
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        with factory() as session:
            cases, page = service.get_page(session, found)
            if page2 and page.next_cursor:
                cases, page = service.get_page(session, replace(found, cursor=page.next_cursor))
            [caselists.row(case, dataset, utcnow(), "zh", VIEWER) for case in cases]
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True, help="database kept by bench.scale --keep")
    parser.add_argument("--postgres", default=DEFAULT_ADMIN)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    _admin, url = database_urls(args.postgres, args.name)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    dataset = load_dataset(PACKAGE_DATA / "futian")
    with factory() as session:
        count = session.execute(text("SELECT count(*) FROM cases")).scalar_one()
        chosen = forms(session)
    print(f"{count:,} cases in {args.name}; median / p95 ms over {args.runs} runs")
    for label, form in chosen.items():
        spent = time_form(factory, dataset, form, args.runs)
        p95 = sorted(spent)[max(0, round(0.95 * len(spent)) - 1)]
        print(f"  {label:28s} {statistics.median(spent):8.1f} / {p95:8.1f}")
    spent = time_form(factory, dataset, chosen["phone (busiest caller)"], args.runs, page2=True)
    print(f"  {'phone, pages 1+2 (cursor)':28s} {statistics.median(spent):8.1f} / {max(spent):8.1f}")
    engine.dispose()


if __name__ == "__main__":
    main()
