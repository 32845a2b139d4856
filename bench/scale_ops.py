"""The operations bench.scale times: what agents, bureau staff and supervisors do, through the real code."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ticketing.config import Settings

Measure = Callable[[Callable[[int], object], int], tuple[float, float]]
OPEN = "new,dispatched,acknowledged,in_progress,extension_requested,returned,reopened"
WORDS = {"search words 噪音 (common)": "噪音", "search words 挖掘机": "挖掘机",
         "search words 健身器材 (rare)": "健身器材"}


def after_load(conn: Connection) -> dict[str, float]:
    """Build what the schema derives from the loaded rows (the search index), when it has any."""
    try:
        from ticketing.case import search
    except ImportError:
        return {}
    reindex = getattr(search, "reindex_all", None)
    if reindex is None:
        return {}
    import time

    started = time.monotonic()
    reindex(conn)
    conn.commit()
    return {"search index": time.monotonic() - started}


def _users(url: str) -> dict[str, Any]:
    """Create (once) a supervisor, an agent and a bureau user of the busiest bureau; return tokens and ids."""
    from ticketing.database.core import make_engine, make_session_factory, session_scope
    from ticketing.user import service as users
    from ticketing.user.models import User

    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        busiest = session.execute(text(
            "SELECT b.code FROM cases c JOIN bureaus b ON b.id = c.bureau_id WHERE c.status IN "
            "('dispatched','acknowledged','in_progress') GROUP BY b.code ORDER BY count(*) DESC LIMIT 1"
        )).scalar_one()
        tokens: dict[str, Any] = {}
        for role, bureau in (("supervisor", None), ("agent", None), ("bureau", busiest)):
            name = f"scale-{role}"
            user = users.get_by_username(session, name)
            user = user or users.create(session, name, role, bureau_code=bureau)
            tokens[role] = {"Authorization": f"Bearer {users.create_token(session, user, 'scale')}"}
            if role == "bureau":
                tokens["bureau_user"] = (user.id, user.bureau_id)
        tokens["bureau_code"] = busiest
        session.query(User).count()
    engine.dispose()
    return tokens


def _samples(url: str) -> dict[str, Any]:
    """Numbers, phones and an address to ask for, chosen from the loaded data."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        one = lambda sql: conn.execute(text(sql)).scalar_one()  # noqa: E731
        rows = lambda sql: [r[0] for r in conn.execute(text(sql))]  # noqa: E731
        samples = {
            "busiest": one("SELECT caller_phone FROM cases WHERE caller_phone IS NOT NULL "
                           "GROUP BY caller_phone ORDER BY count(*) DESC LIMIT 1"),
            "numbers": rows("SELECT number FROM cases TABLESAMPLE SYSTEM (1) LIMIT 200"),
            "category": one("SELECT code FROM categories WHERE default_bureau_id IS NOT NULL "
                            "ORDER BY id LIMIT 1"),
            "month": one("SELECT to_char(max(created_at) - interval '60 days', 'YYYY-MM') FROM cases"),
        }
        samples["rare"] = rows("SELECT caller_phone FROM cases TABLESAMPLE SYSTEM (1) "
                               "WHERE caller_phone IS NOT NULL LIMIT 100")
        # the newest loaded address (cases made by an earlier run's "case creation" have none)
        samples["address"] = one("SELECT address FROM cases WHERE address <> '' "
                                 "ORDER BY id DESC LIMIT 1")[3:10]
    engine.dispose()
    return samples


def run_all(url: str, runs: int, measure: Measure, only: set[str]) -> dict[str, tuple[float, float]]:
    """Time every operation; return name -> (median ms, p95 ms)."""
    from fastapi.testclient import TestClient

    from ticketing.api import create_api

    settings = Settings(database_url=url)
    app = create_api(settings)
    tokens, s = _users(url), _samples(url)
    client = TestClient(app)
    results: dict[str, tuple[float, float]] = {}
    ops = _operations(client, app, tokens, s)
    for name, operation in ops.items():
        if only and not any(o in name for o in only):
            continue
        results[name] = measure(operation, runs)
        print(f"  {name:44} median {results[name][0]:8.1f} ms  p95 {results[name][1]:8.1f} ms", flush=True)
    return results


def _get(client, path: str, headers: dict, **params) -> Any:
    response = client.get("/api/v1" + path, headers=headers, params=params)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.text[:300]}")
    return response.json()


def _operations(client, app, tokens: dict[str, Any], s: dict[str, Any]) -> dict[str, Callable[[int], object]]:
    sup, bureau, agent = tokens["supervisor"], tokens["bureau"], tokens["agent"]
    numbers, rare = s["numbers"], s["rare"]
    ops: dict[str, Callable[[int], object]] = {
        "pop history, busiest caller": lambda i: _get(client, f"/callers/{s['busiest']}/history", agent),
        "pop history, any caller": lambda i: _get(client, f"/callers/{rare[i % len(rare)]}/history", agent),
        "case by number": lambda i: _get(client, f"/cases/{numbers[i % len(numbers)]}", sup),
        "case events": lambda i: _get(client, f"/cases/{numbers[i % len(numbers)]}/events", sup),
        "all cases, first page": lambda i: _get(client, "/cases", sup),
        "all cases, page 2000": lambda i: _deep(client, sup, 2000),
        "open cases of a status, first page": lambda i: _get(client, "/cases", sup, status="in_progress"),
        "open cases of a bureau, first page": lambda i: _get(
            client, "/cases", sup, status=OPEN, bureau=tokens["bureau_code"]),
        "bureau user's cases, first page": lambda i: _get(client, "/cases", bureau),
        "bureau user's cases, page 100": lambda i: _deep(client, bureau, 100),
        "filter category + month": lambda i: _get(
            client, "/cases", sup, category=s["category"],
            **{"from": s["month"] + "-01", "to": s["month"] + "-28"}),
    }
    for label, word in WORDS.items():
        ops[label] = lambda i, word=word: _get(client, "/cases", sup, q=word)
    ops["search address"] = lambda i: _get(client, "/cases", sup, q=s["address"])
    ops["search phone"] = lambda i: _get(client, "/cases", sup, q=rare[i % len(rare)])
    ops["search case number"] = lambda i: _get(client, "/cases", sup, q=numbers[i % len(numbers)])
    for tab in ("pending", "working"):
        ops[f"bureau page (console), {tab} tab"] = lambda i, tab=tab: _console(app, tokens, "bureau", tab)
    ops["supervisor page (console), overdue tab"] = lambda i: _console(app, tokens, "supervisor", "overdue")
    ops["deadline list (console)"] = lambda i: _console(app, tokens, "deadlines", "")
    ops["case creation"] = lambda i: _create(client, agent, i)
    return ops


def _deep(client, headers: dict, page: int) -> Any:
    """The page-th page of 50 (by cursor when the API pages by cursor)."""
    from bench import scale_paging

    return scale_paging.deep_page(client, headers, page, _get)


def _console(app, tokens: dict[str, Any], page: str, tab: str) -> list:
    """A console list as its view reads it: the tab's criteria, one page of rows (or the wallboard's
    deadline list)."""
    from agent_console import caselists, cases
    from agent_console.auth import Viewer
    from ticketing.database.core import session_scope
    from ticketing.database.types import utcnow

    user_id, bureau_id = tokens["bureau_user"]
    role = "bureau" if page == "bureau" else "supervisor"
    viewer = Viewer(session_id="", user_id=user_id, username=f"scale-{role}", display_name="", role=role,
                    bureau_id=bureau_id if role == "bureau" else None, extension=None, csrf_token="")
    dataset = app.state.dataset
    with session_scope(app.state.session_factory) as session:
        if page == "deadlines":
            return cases.deadline_cases(session, dataset, utcnow())
        criteria = caselists.criteria(page, tab, caselists.Filters(), viewer, dataset,
                                      caselists.triage_id(session, dataset))
        return caselists.rows(session, dataset, criteria, utcnow(), "zh", viewer)[0]


def _create(client, headers: dict, i: int) -> Any:
    body = {"description": random.choice(["小区门口路灯坏了一个星期，晚上很黑", "工地晚上施工噪音很大"]),
            "street": "futian", "caller_phone": f"1380013{i:04d}", "caller_name": "王先生"}
    response = client.post("/api/v1/cases", headers=headers, json=body)
    if response.status_code != 201:
        raise RuntimeError(f"POST /cases: {response.status_code} {response.text[:300]}")
    return response.json()
