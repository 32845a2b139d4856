"""Case creation through the real HTTP API vs a minimal FastAPI + SQLAlchemy endpoint, both on PostgreSQL.

Both servers run as uvicorn processes on loopback against the same scratch database; the same async
client load (CONCURRENCY requests in flight) drives each in turn, twice, and the best run of each counts.
The real endpoint authenticates a bearer token, validates and normalises input (phone to E.164),
routes the text, computes working-time deadlines, numbers the case under a per-day counter row,
writes the case and its audit event. The baseline validates a small model and inserts one row.

    .venv/bin/python -m bench.case_api [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import create_engine, insert, text

from ticketing.config import Settings

BODY = {
    "description": "小区门口路灯坏了一个星期，晚上很黑",
    "street": "futian",
    "caller_phone": "13800138000",
    "caller_name": "王先生",
}
ENV_URL = "HOTLINE_BENCH_DATABASE_URL"


class MinimalCase(BaseModel):
    """The baseline's input: the same fields, checked only for type and length."""

    description: str = Field(max_length=4000)
    street: str | None = None
    caller_phone: str | None = None
    caller_name: str = ""


def make_real_app():
    """The hotline API on the bench database (uvicorn factory)."""
    from ticketing.api import create_api

    return create_api(Settings(database_url=os.environ[ENV_URL]))


def make_baseline_app():
    """A minimal FastAPI endpoint inserting the same kind of row into `cases` (uvicorn factory)."""
    from ticketing.case.models import Case

    engine = create_engine(
        Settings(database_url=os.environ[ENV_URL]).sqlalchemy_url, pool_size=10, max_overflow=20
    )
    app = FastAPI()
    numbers = itertools.count(1)
    prefix = uuid.uuid4().hex[:6]

    @app.post("/cases", status_code=201)
    def create(case: MinimalCase) -> dict:
        now = datetime.now(UTC)
        row = {
            "number": f"B{prefix}-{next(numbers)}",
            "channel": "phone",
            "caller_phone": case.caller_phone,
            "caller_name": case.caller_name,
            "address": "",
            "description": case.description,
            "priority": "normal",
            "status": "new",
            "routing_explanation": "",
            "extended_days": 0,
            "paused_seconds": 0,
            "public_reply": "",
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        with engine.begin() as conn:
            conn.execute(insert(Case.__table__).values(row))
        return {"number": row["number"]}

    return app


def prepare(server_url: str) -> tuple[str, str, str]:
    """Create, migrate and seed a scratch database; return (admin URL, database URL, agent token)."""
    from ticketing.bureau.seed import sync_dataset
    from ticketing.database.core import make_engine, make_session_factory, session_scope
    from ticketing.database.migrate import upgrade
    from ticketing.dataset import load_dataset
    from ticketing.user import service as users

    settings = Settings(database_url=server_url)
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin_url = settings.sqlalchemy_url.rsplit("/", 1)[0] + "/postgres"
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = settings.sqlalchemy_url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        sync_dataset(session, load_dataset(settings.dataset_dir))
        token = users.create_token(session, users.create(session, "bench-agent", "agent"), "bench")
    engine.dispose()
    return admin_url, url, token


def drop(admin_url: str, url: str) -> None:
    """Drop the scratch database."""
    name = url.rsplit("/", 1)[1]
    with create_engine(admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def serve(factory: str, url: str) -> tuple[subprocess.Popen, str]:
    """Start uvicorn with FACTORY in a child process on a free loopback port; return it and its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env={**os.environ, ENV_URL: url})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/openapi.json", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{factory} did not start")


async def load(base: str, path: str, headers: dict, seconds: float, concurrency: int) -> tuple[float, int]:
    """Post BODY as fast as CONCURRENCY workers can for SECONDS; return (requests/s, failures)."""
    done = failed = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(
        base_url=base, headers=headers, timeout=30, limits=httpx.Limits(max_connections=concurrency)
    ) as client:

        async def worker() -> None:
            nonlocal done, failed
            while time.monotonic() < stop:
                response = await client.post(path, json=BODY)
                done += 1
                failed += response.status_code != 201

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.monotonic() - started), failed


def main() -> None:
    """Run both endpoints side by side and print requests/s and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    admin_url, url, token = prepare(args.postgres)
    servers = []
    try:
        real, real_base = serve("bench.case_api:make_real_app", url)
        servers.append(real)
        baseline, baseline_base = serve("bench.case_api:make_baseline_app", url)
        servers.append(baseline)
        targets = {
            "hotline API": (real_base, "/api/v1/cases", {"Authorization": f"Bearer {token}"}),
            "minimal FastAPI+SQLAlchemy": (baseline_base, "/cases", {}),
        }
        for base, path, headers in targets.values():  # warm up connections, imports and caches
            asyncio.run(load(base, path, headers, 1.0, 2))
        best: dict[str, float] = {}
        for round_ in (1, 2):
            for name, (base, path, headers) in targets.items():
                rate, failed = asyncio.run(load(base, path, headers, args.seconds, args.concurrency))
                print(f"round {round_}: {name:28} {rate:8.1f} req/s  ({failed} failed)")
                best[name] = max(best.get(name, 0.0), rate)
        real_rate, base_rate = best["hotline API"], best["minimal FastAPI+SQLAlchemy"]
        print(
            f"case creation, concurrency {args.concurrency}, best of 2 x {args.seconds:.0f} s on PostgreSQL:"
        )
        print(f"  hotline API                 {real_rate:8.1f} req/s")
        print(f"  minimal FastAPI+SQLAlchemy  {base_rate:8.1f} req/s")
        print(f"  ratio (hotline / minimal)   {real_rate / base_rate:8.2f}")
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=10)
        drop(admin_url, url)


if __name__ == "__main__":
    main()
