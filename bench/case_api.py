"""Case creation through `hotline serve` itself vs a fair minimal endpoint, with 1 and 2 worker processes.

`hotline serve` runs as deployed: API and console mounted, the bus on Redis (HOTLINE_TEST_REDIS_URL),
uvicorn's access log on (to a file), telephony components off (no Asterisk in this bench). Each case
is authenticated (bearer token), validated, routed, given working-time deadlines, numbered, written with
its first event and search document, committed, announced on the bus and returned in full.
The baseline is a bare FastAPI endpoint writing the same rows with the same durability and transactions:
the day's number from the same per-day sequence, the case, its first event, its search document and its
outbox row in one committed transaction (synchronous_commit on), published to the same Redis by the same
outbox relay, access log on too. It skips what makes the hotline the hotline: auth, validation of codes,
routing, deadlines, the read model, the console and its bus consumers. The same load (CONCURRENCY
requests in flight from two client processes) drives each in turn, twice; the best run of each counts.

Requests per second on 2 shared cores mostly measure who else is running, and the Python load generator
itself takes about as much CPU per request as the baseline server. So each run also reads the CPU time
the server's processes (uvicorn and its workers, from /proc) spent per case: that ratio, baseline CPU per
case over the hotline's, is what the hotline's throughput would be against the baseline's on a CPU-bound
machine, and it barely moves with the machine's load. `--client wrk` drives the load with wrk (a C load
generator, Debian package `wrk`, with a Lua script for the POST) instead of two Python processes, so the
load generator leaves the cores to the servers; the worker scaling is only measurable that way.

    .venv/bin/python -m bench.case_api [--seconds 5] [--concurrency 16] [--workers 1,2] [--client wrk]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field
from sqlalchemy import create_engine, text

from ticketing.config import Settings

BODY = {
    "description": "小区门口路灯坏了一个星期，晚上很黑",
    "street": "futian",
    "caller_phone": "13800138000",
    "caller_name": "王先生",
}
ENV_URL = "HOTLINE_BENCH_DATABASE_URL"
HOTLINE_PORT = int(os.environ.get("HOTLINE_BENCH_PORT", "8108"))
CLIENTS = 2


class MinimalCase(BaseModel):
    """The baseline's input: the same fields, checked only for type and length."""

    description: str = Field(max_length=4000)
    street: str | None = None
    caller_phone: str | None = None
    caller_name: str = ""


CASE_SQL = text("""
INSERT INTO cases (number, channel, caller_phone, caller_name, address, description, priority, status,
    routing_explanation, extended_days, paused_seconds, public_reply, created_at, updated_at, version)
VALUES (:number, 'phone', :phone, :name, '', :description, 'normal', 'new', '', 0, 0, '', :now, :now, 1)
RETURNING id""")
EVENT_SQL = text("""
INSERT INTO case_events (case_id, actor, at, action, from_status, to_status, note, visibility, data)
VALUES (:id, 'baseline', :now, 'create', NULL, 'new', '', 'public', '{}')""")
SEARCH_SQL = text("INSERT INTO case_search (case_id, doc) VALUES (:id, CAST(:doc AS tsvector))")


def make_baseline_app():
    """A minimal FastAPI endpoint writing what intake writes, published the same way (uvicorn factory).

    One transaction per case: the day's number from the same per-day sequence (hotline_next_case_number,
    prefix of the hotline's), the case, its first event, its search document and its case.created row
    in the outbox; the same outbox relay then publishes it to Redis and marks it sent (its own
    transactions, batched as the hotline's are). No token, routing, deadlines, read model or consumers.
    """
    from contextlib import asynccontextmanager

    from ticketing import outbox
    from ticketing.bus.contract import CaseCreated
    from ticketing.bus.core import create_bus
    from ticketing.case.terms import tsvector_literal
    from ticketing.database.core import make_session_factory

    settings = Settings(database_url=os.environ[ENV_URL])
    engine = create_engine(settings.sqlalchemy_url, pool_size=5, max_overflow=5)
    factory = make_session_factory(engine)
    bus = create_bus(os.environ["HOTLINE_REDIS_URL"])
    relay = outbox.Relay(factory, bus)

    @asynccontextmanager
    async def lifespan(_app):
        await bus.start()
        await relay.start()
        yield
        await relay.stop()
        await bus.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/cases", status_code=201)
    def create(case: MinimalCase) -> dict:
        now = datetime.now(UTC)
        key = f"{settings.case_prefix}{now:%Y%m%d}"
        with factory() as session:
            conn = session.connection()
            last = conn.execute(text("SELECT hotline_next_case_number(:key)"), {"key": key}).scalar_one()
            number = f"{key}-{last:04d}"
            case_id = conn.execute(CASE_SQL, {"number": number, "phone": case.caller_phone,
                                              "name": case.caller_name, "description": case.description,
                                              "now": now}).scalar_one()
            conn.execute(EVENT_SQL, {"id": case_id, "now": now})
            conn.execute(SEARCH_SQL, {"id": case_id, "doc": tsvector_literal(case.description)})
            outbox.add(session, CaseCreated(number=number, action="create", actor="baseline", status="new",
                                            bureau=None, bureau_id=None, dispatched=False, category=None,
                                            case_version=1, at=now.isoformat()))
            session.commit()
        return {"number": number}

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict, ready: str, log: Path) -> subprocess.Popen:
    """Start a server writing its (access) log to `log`; wait until GET `ready` answers."""
    process = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:3]} exited with {process.returncode}; see {log}")
        try:
            if httpx.get(ready, timeout=2).status_code < 500:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"{command[:3]} did not start; see {log}")


def serve_hotline(url: str, redis: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    """`hotline serve` on the bench database and Redis, telephony components off."""
    env = {**os.environ, "HOTLINE_DATABASE_URL": url.replace("+psycopg", ""), "HOTLINE_REDIS_URL": redis,
           "HOTLINE_AMI_ENABLED": "false", "HOTLINE_IVR_ENABLED": "false", "HOTLINE_SPEECH_ENABLED": "false",
           "HOTLINE_RECORDER_ENABLED": "false", "HOTLINE_PROMPTS_AUTOBUILD": "false"}
    command = [str(Path(sys.executable).parent / "hotline"), "serve", "--host", "127.0.0.1",
               "--port", str(HOTLINE_PORT), "--workers", str(workers)]
    base = f"http://127.0.0.1:{HOTLINE_PORT}"
    return start(command, env, f"{base}/healthz", log), base


def serve_baseline(url: str, redis: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    """The minimal endpoint under uvicorn with the same worker count, access log on, relay to Redis."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.case_api:make_baseline_app",
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "info"]
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, ENV_URL: url, "HOTLINE_REDIS_URL": redis}
    return start(command, env, f"{base}/openapi.json", log), base


async def _load(base: str, path: str, headers: dict, seconds: float, concurrency: int) -> tuple[int, int]:
    done = failed = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker() -> None:
            nonlocal done, failed
            while time.monotonic() < stop:
                response = await client.post(path, json=BODY)
                done += 1
                failed += response.status_code != 201

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, failed


def _client(args: tuple) -> tuple[int, int]:
    return asyncio.run(_load(*args))


def load(pool: ProcessPoolExecutor | None, target: tuple, seconds: float,
         concurrency: int) -> tuple[int, int, float]:
    """Drive `target` for `seconds` (wrk when pool is None); return (requests, failures, elapsed s)."""
    base, path, headers = target
    if pool is None:
        return _wrk(base + path, headers, seconds, concurrency)
    started = time.monotonic()
    share = max(1, concurrency // CLIENTS)
    results = list(pool.map(_client, [(base, path, headers, seconds, share)] * CLIENTS))
    elapsed = time.monotonic() - started
    return sum(r[0] for r in results), sum(r[1] for r in results), elapsed


WRK_SCRIPT = """wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
{headers}
"""


def _wrk(url: str, headers: dict, seconds: float, concurrency: int) -> tuple[int, int, float]:
    """One wrk run (one thread, `concurrency` connections) posting BODY; (requests, non-2xx, elapsed s)."""
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        body = json.dumps(json.dumps(BODY, ensure_ascii=False), ensure_ascii=False)  # a Lua string literal
        script.write(WRK_SCRIPT.format(body=body, headers=lines))
    try:
        command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", script.name, url]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if done is None:
        raise RuntimeError(f"wrk printed no request count: {out}")
    elapsed = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return (int(done.group(1)), (int(failed.group(1)) if failed else 0)
            + (sum(int(n) for n in errors.groups()) if errors else 0), elapsed)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its child processes (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def machine_cpu_seconds() -> float:
    """CPU time every core of the machine spent busy (all but idle and iowait), from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
        for kid in kids:
            found += [kid, *_children(kid)]
    return found


def measure(url: str, redis: str, token: str, workers: int, args,
            logs: Path) -> dict[str, tuple[float, float, float]]:
    """Best requests/s, least server CPU ms per case and least machine CPU ms per case (server, PostgreSQL,
    Redis, load generator, kernel; on an otherwise idle machine) of the hotline and the baseline."""
    servers = []
    try:
        hotline, hotline_base = serve_hotline(url, redis, workers, logs / f"hotline-{workers}.log")
        servers.append(hotline)
        baseline, baseline_base = serve_baseline(url, redis, workers, logs / f"baseline-{workers}.log")
        servers.append(baseline)
        auth = {"Authorization": f"Bearer {token}"}
        targets = {"hotline serve": (hotline, hotline_base, "/api/v1/cases", auth),
                   "baseline": (baseline, baseline_base, "/cases", {})}
        best: dict[str, tuple[float, float, float]] = {}
        with ProcessPoolExecutor(CLIENTS) if args.client == "python" else _no_pool() as pool:
            for _process, *target in targets.values():  # warm up connections, imports and caches
                load(pool, tuple(target), 1.5, 4)
            for round_ in range(1, args.rounds + 1):
                for name, (process, *target) in targets.items():
                    cpu, machine = cpu_seconds(process.pid), machine_cpu_seconds()
                    done, failed, elapsed = load(pool, tuple(target), args.seconds, args.concurrency)
                    cpu_ms = (cpu_seconds(process.pid) - cpu) * 1000 / max(done, 1)
                    machine_ms = (machine_cpu_seconds() - machine) * 1000 / max(done, 1)
                    rate = done / elapsed
                    print(f"  {workers} worker(s), round {round_}: {name:14} {rate:8.1f} req/s "
                          f"{cpu_ms:6.2f} ms CPU per case, machine {machine_ms:6.2f} ms ({failed} failed, "
                          f"load average {os.getloadavg()[0]:.1f})", flush=True)
                    rate_best, cpu_best, machine_best = best.get(name, (0.0, float("inf"), float("inf")))
                    best[name] = (max(rate_best, rate), min(cpu_best, cpu_ms), min(machine_best, machine_ms))
        return best
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)


class _no_pool:
    """Context manager standing in for the client pool when wrk drives the load."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exc) -> None:
        return None


def main() -> None:
    """Run both endpoints side by side for each worker count; print requests/s, ratios and scaling."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client", choices=("python", "wrk"),
                        default="python",
                        help="load generator: two Python (httpx) processes, or wrk (Debian package)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--redis", default=os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args()
    admin_url, url, token = prepare(args.postgres)
    results: dict[int, dict[str, tuple[float, float, float]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-case-api-") as logs:
            for workers in (int(w) for w in args.workers.split(",")):
                results[workers] = measure(url, args.redis, token, workers, args, Path(logs))
    finally:
        drop(admin_url, url)
    print(f"case creation ({args.client} client), concurrency {args.concurrency}, best of {args.rounds} x "
          f"{args.seconds:.0f} s on PostgreSQL; CPU = the server's processes per case:")
    print("| workers | hotline serve req/s | baseline req/s | ratio "
          "| hotline CPU ms | baseline CPU ms | CPU ratio |")
    print("|--------:|--------------------:|---------------:|------:"
          "|---------------:|----------------:|----------:|")
    for workers, best in results.items():
        (rate, cpu, _), (base_rate, base_cpu, _) = best["hotline serve"], best["baseline"]
        print(f"| {workers} | {rate:.1f} | {base_rate:.1f} | {rate / base_rate:.2f} | {cpu:.2f} "
              f"| {base_cpu:.2f} | {base_cpu / cpu:.2f} |")
    if 1 in results:
        _ceilings(results)
    if 1 in results and 2 in results:
        for name in ("hotline serve", "baseline"):
            print(f"  {name}: 2 workers / 1 worker = {results[2][name][0] / results[1][name][0]:.2f}")


def _ceilings(results: dict[int, dict[str, tuple[float, float, float]]]) -> None:
    """What more workers could give on this machine: all its cores over the machine's CPU per case.

    One worker is one process, at most one core of Python; the cases/s of N workers can reach neither N
    times that nor what the machine's cores give when everything a case costs (the worker, PostgreSQL,
    Redis, the load generator, the kernel) shares them. On 2 cores that bound, not the hotline, decides
    whether 2 workers give 1.6 times one.
    """
    cores = os.cpu_count() or 1
    for name, (rate, cpu, machine) in results[1].items():
        ceiling = cores * 1000 / machine
        print(f"  {name}: 1 worker {rate:.1f} req/s; per case {cpu:.2f} ms in the server, "
              f"{machine - cpu:.2f} ms elsewhere; {cores} cores allow at most {ceiling:.0f} req/s "
              f"= {ceiling / rate:.2f}x one worker")


if __name__ == "__main__":
    main()
